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
    /// The workspace sequence number when the list was read.
    #[serde(default)]
    pub seq: u64,
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
        disk_bytes(
            &self.path,
            &self.kind,
            self.text.as_deref(),
            self.bom,
            self.data.as_deref(),
        )
    }
}

/// Builds a file's bytes on disk from the content fields of a reply.
fn disk_bytes(
    path: &str,
    kind: &str,
    text: Option<&str>,
    bom: bool,
    data: Option<&str>,
) -> Result<Vec<u8>> {
    match (kind, text, data) {
        ("text", Some(text), _) => {
            let mut bytes = Vec::with_capacity(text.len() + UTF8_BOM.len());
            if bom {
                bytes.extend_from_slice(UTF8_BOM);
            }
            bytes.extend_from_slice(text.as_bytes());
            Ok(bytes)
        }
        ("bytes", _, Some(data)) => BASE64.decode(data).with_context(|| {
            format!(
                "server sent invalid base64 data for \"{path}\"; check that client and server versions match"
            )
        }),
        (kind, _, _) => bail!(
            "server reply for \"{path}\" of kind \"{kind}\" lacks its content (text for text, data for bytes); \
             check that client and server versions match"
        ),
    }
}

/// An overlap record: reported by a write or a preview, listed by
/// `overlaps`, returned by `ack`. Fields that older servers do not send are
/// optional, and fields this client does not decode are kept in `other`.
/// Serializing it gives back every field that the server sent, except the
/// new optional fields that were `null`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Overlap {
    /// The server's id for the overlap, such as `ov-3a9f01c2b7d4`. A preview
    /// reports overlaps without an id.
    #[serde(
        default,
        deserialize_with = "id_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// `same-lines`, `adjacent`, `delete-edit`, `add-add` or `binary`.
    pub kind: String,
    /// Severity, `high` or `low`.
    #[serde(default)]
    pub severity: String,
    /// The workspace path of the file when the overlap was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Agents of the concurrent changes first, the writer last.
    #[serde(default)]
    pub agents: Vec<String>,
    /// The lines of the base that both sides changed.
    pub base_lines: Option<LineRange>,
    /// The lines of the write's merged text that the region became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_lines: Option<LineRange>,
    /// The concurrent side as a unified diff against the base.
    pub current: Option<String>,
    /// The written side as a unified diff against the base.
    pub incoming: Option<String>,
    /// The versions of the write that opened the overlap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<OverlapVersions>,
    /// `open`, `acknowledged`, `resolved`, or `preview` in a preview reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The note of an acknowledged overlap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// An explanation for overlaps without hunks (`delete-edit`, `binary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the overlap was opened, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// Fields this client does not decode, kept for `--json` output.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The versions of the write that opened an overlap.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OverlapVersions {
    /// The writer's base.
    #[serde(default)]
    pub base: Vec<String>,
    /// The version the write merged into.
    #[serde(default)]
    pub current: Vec<String>,
    /// The version the write produced.
    #[serde(default)]
    pub result: Vec<String>,
}

/// Decodes an overlap id sent as a string, or as a number by older
/// servers.
fn id_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "invalid overlap id {other}: expected a string or a number"
        ))),
    }
}

/// A 1-based inclusive line range; `end` is `start - 1` for an insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct LineRange {
    /// First line.
    pub start: u64,
    /// Last line.
    pub end: u64,
}

/// The reply of `preview`: the content and overlaps that a write with the
/// same fields would produce.
#[derive(Debug, Clone, Deserialize)]
pub struct Preview {
    /// Workspace path.
    pub path: String,
    /// `text` or `bytes`.
    pub kind: String,
    /// The merged text of a text file, without the byte-order mark.
    pub text: Option<String>,
    /// Whether the merged text starts with a byte-order mark.
    #[serde(default)]
    pub bom: bool,
    /// The base64 merged content of a bytes file.
    pub data: Option<String>,
    /// Whether the write would create the file.
    #[serde(default)]
    pub created: bool,
    /// The overlaps the write would open, with state `preview` and no id.
    #[serde(default)]
    pub overlaps: Vec<Overlap>,
}

impl Preview {
    /// Returns the merged content as a write would put it on disk.
    pub fn disk_bytes(&self) -> Result<Vec<u8>> {
        disk_bytes(
            &self.path,
            &self.kind,
            self.text.as_deref(),
            self.bom,
            self.data.as_deref(),
        )
    }
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

    /// The size in bytes of the content as it appears in a JSON message:
    /// the escaped string, or the base64 text.
    pub fn encoded_len(&self) -> usize {
        match self {
            Payload::Text(text) => {
                serde_json::to_string(text).map_or(text.len(), |json| json.len())
            }
            Payload::Bytes(bytes) => bytes.len().div_ceil(3) * 4,
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

/// A whole-file write to preview: the fields of a `write` that decide its
/// merge.
pub struct PreviewRequest<'a> {
    /// Workspace path.
    pub path: &'a str,
    /// The version the content is based on; empty for a new file.
    pub base: &'a [String],
    /// The new content.
    pub payload: &'a Payload,
    /// The executable bit the write would set, or `None` to leave it.
    pub executable: Option<bool>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn overlap_decodes_old_and_new_replies() {
        let old: Overlap = serde_json::from_value(json!({
            "id": 3, "kind": "same-lines", "severity": "high", "agents": ["b", "a"],
            "base_lines": {"start": 1, "end": 1}, "current": "x", "incoming": "y"
        }))
        .expect("an old reply decodes");
        assert_eq!(old.id.as_deref(), Some("3"));
        assert_eq!(old.merged_lines, None);
        assert_eq!(old.state, None);

        let record = json!({
            "id": "ov-3a9f01c2b7d4", "kind": "same-lines", "severity": "high",
            "path": "src/lib.rs", "agents": ["agent-b", "agent-a"],
            "base_lines": {"start": 4, "end": 4}, "merged_lines": {"start": 4, "end": 5},
            "current": "c", "incoming": "i",
            "versions": {"base": ["9f"], "current": ["51"], "result": ["77"]},
            "state": "acknowledged", "note": "kept both", "created": 1_796_400_000_000_i64,
            "acknowledged_by": "agent-a"
        });
        let new: Overlap = serde_json::from_value(record.clone()).expect("a new reply decodes");
        assert_eq!(new.merged_lines, Some(LineRange { start: 4, end: 5 }));
        assert_eq!(new.note.as_deref(), Some("kept both"));
        assert_eq!(new.created, Some(1_796_400_000_000));
        let versions = new.versions.clone().expect("versions decode");
        assert_eq!(versions.result, ["77"]);
        assert_eq!(serde_json::to_value(&new).expect("serializes"), record);

        let previewed: Overlap = serde_json::from_value(json!({
            "kind": "same-lines", "severity": "high", "state": "preview", "id": null
        }))
        .expect("a preview's overlap decodes");
        assert_eq!(previewed.id, None);
        assert_eq!(previewed.state.as_deref(), Some("preview"));
    }
}
