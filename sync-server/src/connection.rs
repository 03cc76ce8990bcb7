//! One connection's frames: reading requests, sending replies and events,
//! and closing with a reason.
//!
//! The loop is generic over a `Sink` and a `Stream` of WebSocket messages,
//! so tests can drive it through channels while the server hands it a real
//! socket. Requests on one connection are handled in order, and events are
//! sent between replies. When the connection's event queue overflows, the
//! loop stops sending events, sends `lagged`, and closes the connection,
//! even if the client stopped reading.

use std::time::Duration;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::Value;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::{
    self, Message,
    protocol::{CloseFrame, frame::coding::CloseCode},
};

use crate::events::{Feed, Subscription};
use crate::handler::{Session, Shared};
use crate::protocol::{ProtocolError, Request, error_reply, reply};

/// How long a connection that fell behind has to take the `lagged` event
/// and the Close frame before it is dropped without them.
const LAGGED_GRACE: Duration = Duration::from_secs(30);

/// The cause that woke the connection loop.
enum Wake {
    Message(Option<Result<Message, tungstenite::Error>>),
    Feed(Feed),
    Shutdown,
}

/// Serves one connection until the client closes it, the transport fails,
/// or `shutdown` turns true; then sends a Close frame with the reason.
pub async fn serve_connection<S, R>(
    shared: Shared,
    mut sink: S,
    mut stream: R,
    mut shutdown: watch::Receiver<bool>,
) where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
    R: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let mut session = Session::new(shared);
    loop {
        let wake = tokio::select! {
            message = stream.next() => Wake::Message(message),
            feed = next_feed(&mut session.subscription) => Wake::Feed(feed),
            _ = shutdown.wait_for(|stop| *stop) => Wake::Shutdown,
        };
        let message = match wake {
            Wake::Message(message) => message,
            Wake::Feed(Feed::Event(event)) => {
                let frame = Message::text(event.to_string());
                if !send(&mut sink, &session, frame).await {
                    return;
                }
                continue;
            }
            Wake::Feed(Feed::Lagged) => {
                close_lagged(&mut sink, &session.shared).await;
                return;
            }
            Wake::Shutdown => {
                let frame = CloseFrame {
                    code: CloseCode::Away,
                    reason: "server shutting down".into(),
                };
                let _ = sink.send(Message::Close(Some(frame))).await;
                return;
            }
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                let error = ProtocolError::new(
                    "invalid_request",
                    "binary frames are not part of the JSON protocol; send JSON in text frames",
                );
                let frame = Message::text(error_reply(&Value::Null, &error));
                if !send(&mut sink, &session, frame).await {
                    return;
                }
                continue;
            }
            Some(Ok(Message::Close(_))) | None => return,
            Some(Ok(_)) => continue,
            Some(Err(err)) => {
                close_after_error(&mut sink, &err).await;
                return;
            }
        };

        let answer = match Request::parse(&text) {
            Ok(request) => match session.handle(&request).await {
                Ok(result) => reply(&request.id, result),
                Err(error) => {
                    tracing::debug!(request = %request.kind, code = error.code, message = %error.message, "request failed");
                    if error.code == "internal" {
                        tracing::error!(request = %request.kind, message = %error.message, "request failed inside the server");
                    }
                    error_reply(&request.id, &error)
                }
            },
            Err((id, error)) => error_reply(&id, &error),
        };
        if !send(&mut sink, &session, Message::text(answer)).await {
            return;
        }
    }
}

/// Waits for the next event or lag signal of a subscribed connection. For
/// a connection without a subscription it never completes.
async fn next_feed(subscription: &mut Option<Subscription>) -> Feed {
    match subscription {
        Some(subscription) => subscription.feed().await,
        None => std::future::pending().await,
    }
}

/// Sends one frame and returns whether the connection goes on. A
/// subscribed connection stops waiting for a client that does not read as
/// soon as its event queue overflows, and closes with `lagged`.
async fn send<S>(sink: &mut S, session: &Session, message: Message) -> bool
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    let sent = match &session.subscription {
        None => sink.send(message).await,
        Some(subscription) => tokio::select! {
            sent = sink.send(message) => sent,
            () = subscription.lagged() => {
                close_lagged(sink, &session.shared).await;
                return false;
            }
        },
    };
    sent.is_ok()
}

/// Tells a connection that fell behind why it is closed, and closes it
/// with code 1013 (try again later). A client that does not read at all is
/// dropped after [`LAGGED_GRACE`].
async fn close_lagged<S>(sink: &mut S, shared: &Shared)
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    tracing::warn!("closing a connection whose event queue overflowed");
    let notice = Message::text(shared.events.lagged_event());
    let frame = CloseFrame {
        code: CloseCode::Again,
        reason: "event queue full; reconnect and read the state again".into(),
    };
    let closing = async {
        sink.send(notice).await?;
        sink.send(Message::Close(Some(frame))).await
    };
    if tokio::time::timeout(LAGGED_GRACE, closing).await.is_err() {
        tracing::warn!(
            "dropping a lagging connection that did not take its lagged notice within 30 s"
        );
    }
}

/// Ends a connection whose transport failed, telling the client why when
/// the failure was a size limit.
async fn close_after_error<S>(sink: &mut S, err: &tungstenite::Error)
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    match err {
        tungstenite::Error::Capacity(cause) => {
            tracing::warn!(error = %cause, "closing a connection that sent an oversized message");
            let frame = CloseFrame {
                code: CloseCode::Size,
                reason: format!("{cause}")
                    .chars()
                    .take(100)
                    .collect::<String>()
                    .into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        tungstenite::Error::Utf8(cause) => {
            tracing::warn!(error = %cause, "closing a connection that sent a text frame that is not UTF-8");
            let frame = CloseFrame {
                code: CloseCode::Invalid,
                reason: "a text frame was not valid UTF-8".into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        ) => {
            tracing::debug!("client went away without a close frame");
        }
        tungstenite::Error::Protocol(cause) => {
            tracing::warn!(error = %cause, "closing a connection that broke the WebSocket protocol");
            let frame = CloseFrame {
                code: CloseCode::Protocol,
                reason: format!("{cause}")
                    .chars()
                    .take(100)
                    .collect::<String>()
                    .into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {}
        other => tracing::debug!(error = %other, "connection ended"),
    }
}
