//! Events of a subscribed connection (`docs/protocol.md`, sections
//! `subscribe` and `Events`): subscribing, reading the next event, and the
//! typed forms of the events.

use std::borrow::Cow;
use std::fmt;

use anyhow::{Result, bail};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::lease_requests::Lease;
use super::messages::Overlap;
use super::{Client, Incoming, decode};

/// One event as the server sent it: a JSON object with an `event` field
/// and no `id`.
#[derive(Debug, Clone)]
pub struct Event {
    /// The message text exactly as received.
    pub text: String,
    /// The parsed message.
    pub value: Value,
}

impl Event {
    /// Wraps a received event message.
    pub fn new(text: String, value: Value) -> Event {
        Event { text, value }
    }

    /// Returns the event's kind, such as `file_changed`, or `""` when the
    /// message has no `event` field.
    pub fn kind(&self) -> &str {
        self.value
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Returns the received text on one line. A JSON string cannot contain
    /// a raw line break, so any line break in the text is whitespace between
    /// tokens. It becomes a space, and every other byte stays as received.
    pub fn one_line(&self) -> Cow<'_, str> {
        if self.text.contains(['\n', '\r']) {
            Cow::Owned(self.text.replace(['\n', '\r'], " "))
        } else {
            Cow::Borrowed(&self.text)
        }
    }
}

/// The close code and reason of a closed connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code, such as 1013 ("try again later"), or `None` when the
    /// connection ended without a close frame.
    pub code: Option<u16>,
    /// The reason the server gave, possibly empty.
    pub reason: String,
}

impl CloseInfo {
    /// Reads the code and reason of a close frame, if one was sent.
    pub(super) fn from_frame(frame: Option<&CloseFrame>) -> CloseInfo {
        match frame {
            Some(frame) => CloseInfo {
                code: Some(u16::from(frame.code)),
                reason: frame.reason.to_string(),
            },
            None => CloseInfo::default(),
        }
    }
}

impl fmt::Display for CloseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.reason.is_empty()) {
            (None, _) => write!(f, "the connection ended without a close frame"),
            (Some(code), true) => write!(f, "close code {code}, no reason given"),
            (Some(code), false) => write!(f, "close code {code}, {}", self.reason),
        }
    }
}

/// A result of [`Client::next_event`]: an event or the end of the
/// connection.
#[derive(Debug)]
pub enum Received {
    /// An event.
    Event(Event),
    /// The server closed the connection; no further event follows.
    Closed(CloseInfo),
}

/// The `result` of a `subscribe` request.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    /// The glob patterns in force; empty for every path.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The length of the connection's event queue on the server.
    #[serde(default)]
    pub queue: Option<u64>,
}

/// The typed form of an event, decoded from [`Event::value`]. Fields this
/// client does not use are left out, and kinds it does not know decode as
/// [`EventBody::Unknown`].
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventBody {
    /// A write changed a file.
    FileChanged {
        #[serde(default)]
        agent: String,
        path: String,
        /// Changed line ranges of the new text as `[start, end]`, 1-based
        /// and inclusive; `end` is `start - 1` where lines were only
        /// removed.
        #[serde(default)]
        lines: Vec<[u64; 2]>,
    },
    /// A write created a file.
    FileAdded {
        #[serde(default)]
        agent: String,
        path: String,
    },
    /// A file was deleted.
    FileDeleted {
        #[serde(default)]
        agent: String,
        path: String,
    },
    /// A file was renamed.
    FileRenamed {
        #[serde(default)]
        agent: String,
        from: String,
        to: String,
    },
    /// A lease was granted.
    LeaseGranted { lease: Lease },
    /// A lease was renewed.
    LeaseRenewed { lease: Lease },
    /// A lease was released.
    LeaseReleased { lease: Lease },
    /// A lease expired.
    LeaseExpired { lease: Lease },
    /// An overlap was opened.
    OverlapOpened { overlap: Overlap },
    /// An overlap was acknowledged.
    OverlapAcknowledged { overlap: Overlap },
    /// An overlap was resolved.
    OverlapResolved { overlap: Overlap },
    /// The connection fell behind; the server closes it next.
    Lagged {
        #[serde(default)]
        message: String,
        #[serde(default)]
        queue: Option<u64>,
    },
    /// An event kind this client does not know.
    #[serde(other)]
    Unknown,
}

impl Client {
    /// Subscribes to the events of the paths that match `globs` (every
    /// path when empty). Events that arrive from then on, also while a
    /// later request waits for its reply, are returned by
    /// [`Client::next_event`].
    pub async fn subscribe(&mut self, globs: &[String]) -> Result<Subscription> {
        // Events can arrive before the reply, so they are kept from the
        // moment the request is sent.
        self.subscribed = true;
        let reply = self.request("subscribe", json!({ "paths": globs })).await;
        let result = match reply {
            Ok(result) => result,
            Err(error) => {
                self.subscribed = false;
                return Err(error.context("subscribing to events failed"));
            }
        };
        decode(result, "subscribe")
    }

    /// Returns the next event, or how the server closed the connection.
    /// Replies that arrive here belong to no pending request and are skipped.
    /// Cancel-safe, so it can wait in a `select!` beside other work.
    pub async fn next_event(&mut self) -> Result<Received> {
        if let Some(event) = self.events.pop_front() {
            return Ok(Received::Event(event));
        }
        if self.closed {
            bail!(
                "the connection to {} is closed; run the command again",
                self.url
            );
        }
        loop {
            let incoming = match self.read_incoming().await {
                Ok(incoming) => incoming,
                Err(error) => {
                    self.closed = true;
                    return Err(error.context(format!("lost the connection to {}", self.url)));
                }
            };
            match incoming {
                Incoming::Closed(close) => {
                    self.closed = true;
                    return Ok(Received::Closed(close));
                }
                Incoming::Message { text, value } if value.get("id").is_none() => {
                    return Ok(Received::Event(Event::new(text, value)));
                }
                Incoming::Message { text, .. } => {
                    tracing::warn!(message = %text, "skipping a reply while no request waits for one");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str) -> Event {
        let value = serde_json::from_str(text).expect("test events are JSON");
        Event::new(text.to_owned(), value)
    }

    #[test]
    fn one_line_keeps_compact_text() {
        let text = r#"{"event":"file_added","time":1,"agent":"b","path":"x"}"#;
        assert_eq!(event(text).one_line(), text);
    }

    #[test]
    fn one_line_replaces_line_breaks() {
        let received = event("{\n  \"event\": \"lagged\",\r\n  \"message\": \"a\\nb\"\n}");
        assert_eq!(
            received.one_line(),
            "{   \"event\": \"lagged\",    \"message\": \"a\\nb\" }"
        );
        assert_eq!(received.kind(), "lagged");
    }

    #[test]
    fn body_decodes_known_and_unknown_kinds() {
        let changed = event(
            r#"{"event":"file_changed","time":1,"agent":"agent-b","path":"src/a.rs","lines":[[3,5],[9,9]],"version":["ab"],"seq":4}"#,
        );
        let body = EventBody::deserialize(&changed.value).expect("file_changed decodes");
        let EventBody::FileChanged { agent, path, lines } = body else {
            panic!("expected file_changed, got {body:?}");
        };
        assert_eq!(agent, "agent-b");
        assert_eq!(path, "src/a.rs");
        assert_eq!(lines, [[3, 5], [9, 9]]);

        let future = event(r#"{"event":"workspace_renamed","time":1}"#);
        let body = EventBody::deserialize(&future.value).expect("an unknown kind decodes");
        assert!(matches!(body, EventBody::Unknown), "{body:?}");
    }

    #[test]
    fn close_info_describes_code_and_reason() {
        let lagged = CloseInfo {
            code: Some(1013),
            reason: "event queue full".into(),
        };
        assert_eq!(lagged.to_string(), "close code 1013, event queue full");
        let bare = CloseInfo {
            code: Some(1000),
            reason: String::new(),
        };
        assert_eq!(bare.to_string(), "close code 1000, no reason given");
        assert_eq!(
            CloseInfo::default().to_string(),
            "the connection ended without a close frame"
        );
    }
}
