//! The typed messages of the weft protocol (`docs/protocol.md`): replies
//! the client decodes and the content of write requests.

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One entry of a `list` reply.
#[derive(Debug, Clone, Deserialize)]
pub struct FileEntry {
    /// Workspace path.
    pub path: String,
    /// `text` or `bytes`.
    pub kind: String,
    /// The executable bit.
    pub executable: bool,
    /// The file's current version (change hashes).
    pub version: Vec<String>,
}

/// A `list` reply.
#[derive(Debug, Clone, Deserialize)]
pub struct Listing {
    /// The workspace's files.
    pub files: Vec<FileEntry>,
    /// Paths the workspace deleted or renamed away.
    #[serde(default)]
    pub deleted: Vec<String>,
}

/// The reply of `read`, `write`, `create` and `splice`: a file's content at
/// one version.
#[derive(Debug, Clone, Deserialize)]
pub struct FileContent {
    /// Workspace path.
    pub path: String,
    /// `text` or `bytes`.
    pub kind: String,
    /// The text of a text file, without the byte-order mark.
    pub text: Option<String>,
    /// Whether a text file starts with a byte-order mark.
    #[serde(default)]
    pub bom: bool,
    /// The base64 content of a bytes file.
    pub data: Option<String>,
    /// The executable bit.
    pub executable: bool,
    /// The version this content is at.
    pub version: Vec<String>,
    /// Whether a write created the file (write replies only).
    #[serde(default)]
    pub created: bool,
    /// Overlaps with concurrent changes (write replies only).
    #[serde(default)]
    pub overlaps: Vec<Overlap>,
}

/// The UTF-8 encoding of U+FEFF, written before a text whose `bom` is set.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

impl FileContent {
    /// Returns the file's bytes as they belong on disk: the byte-order mark
    /// (when set) and the text, or the decoded `data`.
    pub fn disk_bytes(&self) -> Result<Vec<u8>> {
        match (self.kind.as_str(), &self.text, &self.data) {
            ("text", Some(text), _) => {
                let mut bytes = Vec::with_capacity(text.len() + UTF8_BOM.len());
                if self.bom {
                    bytes.extend_from_slice(UTF8_BOM);
                }
                bytes.extend_from_slice(text.as_bytes());
                Ok(bytes)
            }
            ("bytes", _, Some(data)) => BASE64.decode(data).with_context(|| {
                format!(
                    "server sent invalid base64 data for \"{}\"; check that client and server versions match",
                    self.path
                )
            }),
            (kind, _, _) => bail!(
                "server reply for \"{}\" of kind \"{kind}\" lacks its content (text for text, data for bytes); \
                 check that client and server versions match",
                self.path
            ),
        }
    }
}

/// A `same-lines` or `binary` overlap reported by a write.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Overlap {
    /// The server's id for the overlap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// `same-lines` or `binary`.
    pub kind: String,
    /// Severity, such as `high`.
    #[serde(default)]
    pub severity: String,
    /// Agents of the concurrent changes first, the writer last.
    #[serde(default)]
    pub agents: Vec<String>,
    /// The lines of the base that both sides changed.
    pub base_lines: Option<LineRange>,
    /// The concurrent side as a unified diff against the base.
    pub current: Option<String>,
    /// The written side as a unified diff against the base.
    pub incoming: Option<String>,
}

/// A 1-based inclusive line range; `end` is `start - 1` for an insertion.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
pub struct LineRange {
    /// First line.
    pub start: u64,
    /// Last line.
    pub end: u64,
}

/// One entry of a `log` reply.
#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    /// Change hash.
    pub hash: String,
    /// Agent that made the change.
    #[serde(default)]
    pub agent: String,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// The change's message.
    #[serde(default)]
    pub message: String,
}

/// A file's content in the form a write request carries it.
pub enum Payload {
    /// UTF-8 without NUL bytes, sent as `text`. A leading U+FEFF is kept in
    /// the string, and the server turns it into the `bom` attribute.
    Text(String),
    /// Every other file, sent base64-encoded as `data`.
    Bytes(Vec<u8>),
}

impl Payload {
    /// Classifies `bytes` the way the server does: text when valid UTF-8
    /// without NUL bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Payload {
        if bytes.contains(&0) {
            return Payload::Bytes(bytes);
        }
        match String::from_utf8(bytes) {
            Ok(text) => Payload::Text(text),
            Err(error) => Payload::Bytes(error.into_bytes()),
        }
    }

    /// Inserts the `text` or `data` field into a request.
    pub(super) fn insert_into(&self, fields: &mut Map<String, Value>) {
        match self {
            Payload::Text(text) => fields.insert("text".into(), Value::from(text.as_str())),
            Payload::Bytes(bytes) => {
                fields.insert("data".into(), Value::from(BASE64.encode(bytes)))
            }
        };
    }
}

/// A whole-file write: `write` with a base, or `create` without one.
pub struct WriteRequest<'a> {
    /// Workspace path.
    pub path: &'a str,
    /// The version the content is based on; `None` sends a `create`.
    pub base: Option<&'a [String]>,
    /// The new content.
    pub payload: &'a Payload,
    /// The executable bit to set, or `None` to leave it to the server.
    pub executable: Option<bool>,
    /// The change message.
    pub message: &'a str,
    /// The idempotency key of the write.
    pub write_id: &'a str,
}
