//! The JSON protocol: reading requests field by field so that every error
//! names the field, and shaping replies and errors.
//!
//! A request is `{"id": ..., "type": ..., fields}`; a reply is
//! `{"id": ..., "result": {...}}` and an error `{"id": ..., "error": {"code",
//! "message", "field"}}`. The message flow is documented in
//! `docs/protocol.md`.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use weft_engine::content::FileContent;
use weft_engine::path::WorkspacePath;
use weft_engine::version::Version;

/// An error sent back to a client; the connection stays open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProtocolError {
    /// A stable machine-readable code, such as `not_found`.
    pub code: &'static str,
    /// The problem and what to do about it.
    pub message: String,
    /// The request field that was wrong, when one was.
    pub field: Option<&'static str>,
}

impl ProtocolError {
    /// An error about one field of a request.
    pub fn field(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        ProtocolError {
            code,
            message: message.into(),
            field: Some(field),
        }
    }

    /// An error about the request as a whole.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ProtocolError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// An internal failure; the message is for the log and the client alike.
    pub fn internal(message: impl Into<String>) -> Self {
        ProtocolError::new("internal", message)
    }
}

/// A parsed request: its id, its type and its other fields.
#[derive(Debug)]
pub struct Request {
    /// The client's id, echoed in the reply.
    pub id: Value,
    /// The request type, such as `write`.
    pub kind: String,
    fields: Map<String, Value>,
}

impl Request {
    /// Parses a text frame. On failure returns the id (when one could be
    /// read) with the error.
    pub fn parse(text: &str) -> Result<Request, (Value, ProtocolError)> {
        let value: Value = serde_json::from_str(text).map_err(|err| {
            (
                Value::Null,
                ProtocolError::new(
                    "invalid_json",
                    format!(
                        "the message is not valid JSON ({err}); send one JSON object per text frame"
                    ),
                ),
            )
        })?;
        let Value::Object(mut fields) = value else {
            return Err((
                Value::Null,
                ProtocolError::new("invalid_request", "the message must be a JSON object"),
            ));
        };

        let id = fields.remove("id").unwrap_or(Value::Null);
        if !(id.is_string() || id.is_number()) {
            return Err((
                id,
                ProtocolError::field(
                    "invalid_request",
                    "id",
                    "every request needs an \"id\" that is a string or a number",
                ),
            ));
        }
        let kind = match fields.remove("type") {
            Some(Value::String(kind)) => kind,
            _ => {
                return Err((
                    id,
                    ProtocolError::field(
                        "invalid_request",
                        "type",
                        "every request needs a \"type\" string, such as \"read\"",
                    ),
                ));
            }
        };
        Ok(Request { id, kind, fields })
    }

    /// A required string field.
    pub fn string(&self, field: &'static str) -> Result<&str, ProtocolError> {
        match self.fields.get(field) {
            Some(Value::String(value)) => Ok(value),
            Some(_) => Err(wrong_type(field, "a string")),
            None => Err(missing(field)),
        }
    }

    /// An optional string field.
    pub fn opt_string(&self, field: &'static str) -> Result<Option<&str>, ProtocolError> {
        match self.fields.get(field) {
            Some(Value::String(value)) => Ok(Some(value)),
            Some(Value::Null) | None => Ok(None),
            Some(_) => Err(wrong_type(field, "a string")),
        }
    }

    /// A required non-negative integer field.
    pub fn count(&self, field: &'static str) -> Result<usize, ProtocolError> {
        match self.fields.get(field) {
            Some(value) => value
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| wrong_type(field, "a non-negative integer")),
            None => Err(missing(field)),
        }
    }

    /// An optional non-negative integer field.
    pub fn opt_count(&self, field: &'static str) -> Result<Option<usize>, ProtocolError> {
        match self.fields.get(field) {
            Some(Value::Null) | None => Ok(None),
            Some(_) => self.count(field).map(Some),
        }
    }

    /// An optional boolean field.
    pub fn opt_bool(&self, field: &'static str) -> Result<Option<bool>, ProtocolError> {
        match self.fields.get(field) {
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(Value::Null) | None => Ok(None),
            Some(_) => Err(wrong_type(field, "true or false")),
        }
    }

    /// Reads an optional object field.
    pub fn opt_object(
        &self,
        field: &'static str,
    ) -> Result<Option<&Map<String, Value>>, ProtocolError> {
        match self.fields.get(field) {
            Some(Value::Object(value)) => Ok(Some(value)),
            Some(Value::Null) | None => Ok(None),
            Some(_) => Err(wrong_type(field, "an object")),
        }
    }

    /// Reads an optional list of strings; a missing field is an empty
    /// list.
    pub fn strings(&self, field: &'static str) -> Result<Vec<String>, ProtocolError> {
        match self.fields.get(field) {
            Some(Value::Null) | None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    _ => Err(wrong_type(field, "a list of strings")),
                })
                .collect(),
            Some(_) => Err(wrong_type(field, "a list of strings")),
        }
    }

    /// A required workspace path field.
    pub fn path(&self, field: &'static str) -> Result<WorkspacePath, ProtocolError> {
        let raw = self.string(field)?;
        WorkspacePath::new(raw)
            .map_err(|err| ProtocolError::field("invalid_path", field, err.to_string()))
    }

    /// A required version field: a list of hex change hashes.
    pub fn version(&self, field: &'static str) -> Result<Version, ProtocolError> {
        match self.fields.get(field) {
            Some(value) => self.parse_version(field, value),
            None => Err(missing(field)),
        }
    }

    /// An optional version field.
    pub fn opt_version(&self, field: &'static str) -> Result<Option<Version>, ProtocolError> {
        match self.fields.get(field) {
            Some(Value::Null) | None => Ok(None),
            Some(value) => self.parse_version(field, value).map(Some),
        }
    }

    /// The content of a write: `text`, or base64 `data` for bytes. At most
    /// `limit` bytes.
    pub fn content(&self, limit: usize) -> Result<FileContent, ProtocolError> {
        let content = match (self.opt_string("text")?, self.opt_string("data")?) {
            (Some(text), None) => FileContent::from_written_text(text),
            (None, Some(data)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|err| {
                        ProtocolError::field(
                            "invalid_request",
                            "data",
                            format!("\"data\" is not valid base64 ({err}); use the standard alphabet with padding"),
                        )
                    })?;
                FileContent::from_bytes(bytes)
            }
            (Some(_), Some(_)) => {
                return Err(ProtocolError::field(
                    "invalid_request",
                    "data",
                    "send either \"text\" or \"data\", not both",
                ));
            }
            (None, None) => return Err(missing("text")),
        };
        if content.len() > limit {
            return Err(ProtocolError::field(
                "too_large",
                "text",
                format!(
                    "the file is {} bytes, over the server's limit of {limit} bytes",
                    content.len()
                ),
            ));
        }
        Ok(content)
    }

    fn parse_version(&self, field: &'static str, value: &Value) -> Result<Version, ProtocolError> {
        let Value::Array(items) = value else {
            return Err(wrong_type(field, "a list of hex change hashes"));
        };
        let mut hashes = Vec::with_capacity(items.len());
        for item in items {
            let Value::String(hash) = item else {
                return Err(wrong_type(field, "a list of hex change hashes"));
            };
            hashes.push(hash.as_str());
        }
        Version::parse(&hashes)
            .map_err(|err| ProtocolError::field("unknown_version", field, err.to_string()))
    }
}

fn missing(field: &'static str) -> ProtocolError {
    ProtocolError::field(
        "invalid_request",
        field,
        format!("the request has no \"{field}\" field"),
    )
}

fn wrong_type(field: &'static str, expected: &str) -> ProtocolError {
    ProtocolError::field(
        "invalid_request",
        field,
        format!("\"{field}\" must be {expected}"),
    )
}

/// A successful reply.
pub fn reply(id: &Value, result: Value) -> String {
    json!({"id": id, "result": result}).to_string()
}

/// An error reply.
pub fn error_reply(id: &Value, error: &ProtocolError) -> String {
    let mut body = json!({"code": error.code, "message": error.message});
    if let Some(field) = error.field {
        body["field"] = json!(field);
    }
    json!({"id": id, "error": body}).to_string()
}

/// A file's content as reply fields: `kind` plus `text` and `bom`, or
/// base64 `data`.
pub fn content_fields(content: &FileContent) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("kind".into(), json!(content.kind().as_str()));
    match content {
        FileContent::Text { text, bom } => {
            fields.insert("text".into(), json!(text));
            fields.insert("bom".into(), json!(bom));
        }
        FileContent::Bytes(bytes) => {
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            fields.insert("data".into(), json!(data));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_type_names_field() {
        let (id, err) = Request::parse(r#"{"id": 3}"#).expect_err("no type");
        assert_eq!(id, json!(3));
        assert_eq!(err.field, Some("type"));
    }

    #[test]
    fn bad_json_is_invalid_json() {
        let (_, err) = Request::parse("{not json").expect_err("bad json");
        assert_eq!(err.code, "invalid_json");
    }

    #[test]
    fn escaping_path_is_invalid_path() {
        let request =
            Request::parse(r#"{"id": 1, "type": "read", "path": "../x"}"#).expect("parses");
        let err = request.path("path").expect_err("escapes");
        assert_eq!(err.code, "invalid_path");
        assert!(err.message.contains("../x"), "{}", err.message);
    }

    #[test]
    fn text_and_data_together_rejected() {
        let request = Request::parse(r#"{"id": 1, "type": "write", "text": "a", "data": "YQ=="}"#)
            .expect("parses");
        assert!(request.content(100).is_err());
    }

    #[test]
    fn oversized_content_is_too_large() {
        let request =
            Request::parse(r#"{"id": 1, "type": "write", "text": "abcdef"}"#).expect("parses");
        let err = request.content(3).expect_err("too big");
        assert_eq!(err.code, "too_large");
    }
}
