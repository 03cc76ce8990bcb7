//! The WebSocket client of the weft protocol (`docs/protocol.md`): one
//! connection, requests with ids, typed replies and typed server errors.
//! A subscribed connection also receives events, which arrive between
//! replies and are kept for [`Client::next_event`].

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header::AUTHORIZATION};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

mod events;
mod lease_requests;
pub mod messages;
mod overlap_requests;

pub use events::{CloseInfo, Event, EventBody, Received};
pub use lease_requests::{Lease, LeaseFilter, LeaseGrant, LeaseRequest};
pub use messages::{
    Change, FileContent, FileEntry, Listing, Overlap, Payload, PreviewRequest, WriteRequest,
};

/// Maximum size of one WebSocket message or frame the client accepts. The
/// server's own default limit is 16 MiB, so this only has to stay above it.
const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// How long a request may wait for its reply. It guards against a server
/// that stops replying without closing the connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// An `error` reply of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    /// The error code, such as `not_found` or `unknown_version`.
    pub code: String,
    /// The server's message, including the next step to take.
    pub message: String,
    /// The request field that was wrong, when one was.
    pub field: Option<String>,
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server returned {}: {}", self.code, self.message)?;
        if let Some(field) = &self.field {
            write!(f, " (field \"{field}\")")?;
        }
        Ok(())
    }
}

impl std::error::Error for RemoteError {}

/// Returns the server error code behind `error`, if the server sent one.
pub fn remote_code(error: &anyhow::Error) -> Option<&str> {
    error
        .downcast_ref::<RemoteError>()
        .map(|remote| remote.code.as_str())
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One open connection to `weft serve`.
pub struct Client {
    url: String,
    socket: Socket,
    next_id: u64,
    closed: bool,
    /// The workspace id from the hello reply.
    workspace: Option<String>,
    /// The server's limit for one file, in bytes, from the hello reply.
    max_file_bytes: Option<usize>,
    /// The server's limit for one message, in bytes, from the hello reply.
    max_message_bytes: Option<usize>,
    /// The workspace sequence number sent as `since` with each write.
    since: Option<u64>,
    /// Whether the connection subscribed to events, so that events read
    /// while waiting for a reply are kept rather than skipped.
    subscribed: bool,
    /// Events read while waiting for a reply, oldest first.
    events: VecDeque<Event>,
}

/// A message read from the connection.
enum Incoming {
    /// A text frame with a JSON value, and the text as it arrived.
    Message { text: String, value: Value },
    /// The server closed the connection.
    Closed(CloseInfo),
}

impl Client {
    /// Opens a connection to `url`, presenting `token` as a bearer token.
    pub async fn connect(url: &str, token: Option<&str>) -> Result<Client> {
        let mut request = url.into_client_request().with_context(|| {
            format!(
                "invalid server URL \"{url}\"; use the ws://IP:PORT address that weft serve prints"
            )
        })?;
        if let Some(token) = token {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).context(
                "invalid token: it must be printable ASCII; check the value passed with --token or WEFT_TOKEN",
            )?;
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let connected =
            tokio_tungstenite::connect_async_with_config(request, Some(config), true).await;
        let (socket, _response) =
            connected.map_err(|error| connect_error(url, token.is_some(), error))?;
        tracing::debug!(url, "connected");
        Ok(Client {
            url: url.to_owned(),
            socket,
            next_id: 1,
            closed: false,
            workspace: None,
            max_file_bytes: None,
            max_message_bytes: None,
            since: None,
            subscribed: false,
            events: VecDeque::new(),
        })
    }

    /// Sends a request of `kind` with `fields` and returns its `result`.
    /// Event messages (objects without `id`) are skipped. An `error` reply
    /// becomes a [`RemoteError`].
    pub async fn request(&mut self, kind: &str, fields: Value) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = match fields {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => bail!("request fields must be a JSON object, not {other}"),
        };
        message.insert("id".into(), Value::from(id));
        message.insert("type".into(), Value::from(kind));
        let text = Value::Object(message).to_string();
        tracing::debug!(id, kind, "sending request");

        if self.closed {
            bail!(
                "the connection to {} is closed; run the command again",
                self.url
            );
        }
        let exchange = async {
            self.socket
                .send(Message::text(text))
                .await
                .with_context(|| format!("failed to send the {kind} request to {}", self.url))?;
            self.receive_reply(id, kind).await
        };
        let reply = tokio::time::timeout(REQUEST_TIMEOUT, exchange).await;
        match reply {
            Ok(Err(error)) if error.downcast_ref::<RemoteError>().is_none() => {
                self.closed = true;
                Err(error)
            }
            Ok(reply) => reply,
            Err(_) => {
                self.closed = true;
                Err(anyhow!(
                    "{kind} request to {} timed out after {} s; check that weft serve still runs",
                    self.url,
                    REQUEST_TIMEOUT.as_secs()
                ))
            }
        }
    }

    /// Returns whether the connection failed, so no further request can
    /// succeed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Returns the server URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends a close frame and marks the connection closed. A failure is
    /// only logged, because the caller is done with the connection.
    pub async fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        if let Err(error) = self.socket.close(None).await {
            tracing::debug!(url = %self.url, %error, "closing the connection failed");
        }
    }

    async fn receive_reply(&mut self, id: u64, kind: &str) -> Result<Value> {
        loop {
            let incoming = self
                .read_incoming()
                .await
                .with_context(|| format!("failed to read the {kind} reply from {}", self.url))?;
            let (text, reply) = match incoming {
                Incoming::Message { text, value } => (text, value),
                Incoming::Closed(close) => bail!(
                    "{} closed the connection before replying to {kind}: {close}",
                    self.url
                ),
            };
            let Some(reply_id) = reply.get("id") else {
                self.keep_event(text, reply);
                continue;
            };
            if reply_id.as_u64() != Some(id) {
                tracing::warn!(expected = id, received = %reply_id, "skipping a reply to another request");
                continue;
            }
            return parse_reply(reply, kind);
        }
    }

    /// Keeps an event that arrived while a request waited for its reply,
    /// or skips it when the connection never subscribed.
    fn keep_event(&mut self, text: String, value: Value) {
        if self.subscribed {
            self.events.push_back(Event::new(text, value));
        } else {
            tracing::debug!(message = %text, "skipping event");
        }
    }

    /// Reads the next text message or the close of the connection, skipping
    /// ping, pong and binary frames. Cancel-safe: a message is either
    /// returned or still unread.
    async fn read_incoming(&mut self) -> Result<Incoming> {
        loop {
            let frame = match self.socket.next().await {
                Some(frame) => frame?,
                None => return Ok(Incoming::Closed(CloseInfo::default())),
            };
            let text = match frame {
                Message::Text(text) => text,
                Message::Close(close) => {
                    return Ok(Incoming::Closed(CloseInfo::from_frame(close.as_ref())));
                }
                Message::Binary(_) => {
                    tracing::warn!(url = %self.url, "ignoring a binary frame; the protocol sends text frames only");
                    continue;
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            };
            let value: Value = serde_json::from_str(text.as_str())
                .with_context(|| format!("server {} sent a message that is not JSON", self.url))?;
            return Ok(Incoming::Message {
                text: text.as_str().to_owned(),
                value,
            });
        }
    }

    /// Sends `hello` with the agent name.
    pub async fn hello(&mut self, agent: &str) -> Result<()> {
        let result = self
            .request("hello", json!({ "agent": agent }))
            .await
            .with_context(|| format!("hello as agent \"{agent}\" failed"))?;
        self.workspace = result
            .get("workspace")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let limit = |name: &str| {
            result
                .pointer(&format!("/limits/{name}"))
                .and_then(Value::as_u64)
                .and_then(|limit| usize::try_from(limit).ok())
        };
        self.max_file_bytes = limit("max_file_bytes");
        self.max_message_bytes = limit("max_message_bytes");
        Ok(())
    }

    /// Sets the workspace sequence number that writes carry as `since`:
    /// the last one at which the caller had seen every file.
    pub fn set_since(&mut self, seq: u64) {
        self.since = Some(seq);
    }

    /// The server's limit for one message in bytes, from its hello reply.
    pub fn max_message_bytes(&self) -> Option<usize> {
        self.max_message_bytes
    }

    /// The server's limit for one file in bytes, from its hello reply.
    pub fn max_file_bytes(&self) -> Option<usize> {
        self.max_file_bytes
    }

    /// The id of the workspace the server serves, from its hello reply
    /// (`None` before hello, or from a server that sends none).
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }

    /// Lists the workspace's files and the paths it deleted.
    pub async fn listing(&mut self) -> Result<Listing> {
        let result = self
            .request("list", json!({}))
            .await
            .context("listing files failed")?;
        decode(result, "list")
    }

    /// Reads `path` at its current version.
    pub async fn read(&mut self, path: &str) -> Result<FileContent> {
        let result = self
            .request("read", json!({ "path": path }))
            .await
            .with_context(|| format!("reading \"{path}\" from the server failed"))?;
        decode(result, "read")
    }

    /// Sends a whole-file `write` (or `create` when there is no base) and
    /// returns the raw reply.
    pub async fn write_raw(&mut self, write: &WriteRequest<'_>) -> Result<Value> {
        let mut fields = Map::new();
        fields.insert("path".into(), Value::from(write.path));
        write.payload.insert_into(&mut fields);
        fields.insert("message".into(), Value::from(write.message));
        fields.insert("write_id".into(), Value::from(write.write_id));
        if let Some(executable) = write.executable {
            fields.insert("executable".into(), Value::from(executable));
        }
        if let Some(since) = self.since {
            fields.insert("since".into(), Value::from(since));
        }
        let kind = match write.base {
            Some(base) => {
                fields.insert("base".into(), Value::from(base.to_vec()));
                "write"
            }
            None => "create",
        };
        self.request(kind, Value::Object(fields))
            .await
            .with_context(|| format!("{kind} of \"{}\" failed", write.path))
    }

    /// Sends a whole-file write and returns the merged content.
    pub async fn write(&mut self, write: &WriteRequest<'_>) -> Result<FileContent> {
        let result = self.write_raw(write).await?;
        decode(result, "write")
    }

    /// Removes `path` from the workspace.
    ///
    /// With `base`, the version the caller last had, the server keeps a file
    /// that other agents changed since and reports it: the reply then has
    /// `"kept": true` and the `delete-edit` overlap.
    pub async fn delete(&mut self, path: &str, base: Option<&[String]>) -> Result<Value> {
        let mut fields = json!({ "path": path });
        if let Some(base) = base {
            fields["base"] = Value::from(base.to_vec());
        }
        self.request("delete", fields)
            .await
            .with_context(|| format!("deleting \"{path}\" on the server failed"))
    }
}

/// Splits a reply into its `result` or a [`RemoteError`].
fn parse_reply(mut reply: Value, kind: &str) -> Result<Value> {
    if let Some(error) = reply.get("error") {
        let text = |name: &str| error.get(name).and_then(Value::as_str).map(str::to_owned);
        return Err(RemoteError {
            code: text("code").unwrap_or_else(|| "unknown".into()),
            message: text("message").unwrap_or_else(|| error.to_string()),
            field: text("field"),
        }
        .into());
    }
    match reply.get_mut("result") {
        Some(result) => Ok(result.take()),
        None => bail!("server reply to {kind} has neither result nor error: {reply}"),
    }
}

/// Deserializes the `result` of a `kind` request.
pub fn decode<T: serde::de::DeserializeOwned>(result: Value, kind: &str) -> Result<T> {
    serde_json::from_value(result).with_context(|| {
        format!("server reply to {kind} does not match the protocol; check that client and server versions match")
    })
}

/// Turns a handshake failure into an error that names the URL and the fix.
fn connect_error(url: &str, sent_token: bool, error: WsError) -> anyhow::Error {
    if let WsError::Http(response) = &error
        && response.status() == StatusCode::UNAUTHORIZED
    {
        let hint = if sent_token {
            "the token was rejected; pass the token of this server with --token or WEFT_TOKEN"
        } else {
            "no token was sent; pass the server's token (its --token, WEFT_TOKEN or STORE/token file) with --token or WEFT_TOKEN"
        };
        return anyhow!("{url} rejected the connection (HTTP 401): {hint}");
    }
    anyhow::Error::new(error).context(format!(
        "failed to connect to {url}; check that weft serve runs there and that the URL and token are right"
    ))
}
