//! A file's bytes as the engine keeps them: editable text, or exact bytes.
//!
//! A file is text when it is valid UTF-8 and contains no NUL byte. A leading
//! UTF-8 byte-order mark is a file attribute, not text: it is taken off on
//! import, never counted in offsets, and put back on export, so a tool that
//! drops the mark and a tool that keeps it write the same text. Every other
//! file (Latin-1 text, images, anything with a NUL) is kept as bytes, never
//! decoded.

/// The UTF-8 encoding of U+FEFF, the byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The byte-order mark as a character, as it appears at the start of a
/// written text.
const BOM_CHAR: char = '\u{FEFF}';

/// A file's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileContent {
    /// UTF-8 text without NUL bytes.
    Text {
        /// The text without the byte-order mark.
        text: String,
        /// Whether the file starts with a byte-order mark on disk.
        bom: bool,
    },
    /// Any other file, kept byte for byte.
    Bytes(Vec<u8>),
}

/// Whether a file's content is text or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// Editable UTF-8 text.
    Text,
    /// Exact bytes.
    Bytes,
}

impl FileKind {
    /// The kind's name in the index and the protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Text => "text",
            FileKind::Bytes => "bytes",
        }
    }
}

impl FileContent {
    /// Classifies bytes read from disk.
    pub fn from_bytes(bytes: Vec<u8>) -> FileContent {
        if bytes.contains(&0) {
            return FileContent::Bytes(bytes);
        }
        let (bom, body) = match bytes.strip_prefix(BOM) {
            Some(rest) => (true, rest.to_vec()),
            None => (false, bytes),
        };
        match String::from_utf8(body) {
            Ok(text) => FileContent::Text { text, bom },
            Err(err) => {
                let mut bytes = err.into_bytes();
                if bom {
                    bytes.splice(0..0, BOM.iter().copied());
                }
                FileContent::Bytes(bytes)
            }
        }
    }

    /// Builds text content from a text written by a client: a leading U+FEFF
    /// is the byte-order mark, not text, and a text with a NUL is kept as
    /// bytes, as it would be on import.
    pub fn from_written_text(text: &str) -> FileContent {
        if text.contains('\0') {
            return FileContent::Bytes(text.as_bytes().to_vec());
        }
        match text.strip_prefix(BOM_CHAR) {
            Some(rest) => FileContent::Text {
                text: rest.to_owned(),
                bom: true,
            },
            None => FileContent::Text {
                text: text.to_owned(),
                bom: false,
            },
        }
    }

    /// The content's kind.
    pub fn kind(&self) -> FileKind {
        match self {
            FileContent::Text { .. } => FileKind::Text,
            FileContent::Bytes(_) => FileKind::Bytes,
        }
    }

    /// The bytes to write to disk.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            FileContent::Text { text, bom } => {
                let mut bytes = Vec::with_capacity(text.len() + BOM.len());
                if *bom {
                    bytes.extend_from_slice(BOM);
                }
                bytes.extend_from_slice(text.as_bytes());
                bytes
            }
            FileContent::Bytes(bytes) => bytes.clone(),
        }
    }

    /// The size in bytes on disk.
    pub fn len(&self) -> usize {
        match self {
            FileContent::Text { text, bom } => text.len() + if *bom { BOM.len() } else { 0 },
            FileContent::Bytes(bytes) => bytes.len(),
        }
    }

    /// Whether the file is empty on disk.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_an_attribute() {
        let content = FileContent::from_bytes(b"\xEF\xBB\xBFx = 1\n".to_vec());
        assert_eq!(
            content,
            FileContent::Text {
                text: "x = 1\n".into(),
                bom: true
            }
        );
        assert_eq!(content.to_bytes(), b"\xEF\xBB\xBFx = 1\n");
    }

    #[test]
    fn written_bom_char_sets_attribute() {
        let content = FileContent::from_written_text("\u{FEFF}x = 2\n");
        assert_eq!(content.to_bytes(), b"\xEF\xBB\xBFx = 2\n");
    }

    #[test]
    fn latin1_is_bytes() {
        let bytes = b"const x = 1;\n// caf\xE9\n".to_vec();
        let content = FileContent::from_bytes(bytes.clone());
        assert_eq!(content.kind(), FileKind::Bytes);
        assert_eq!(content.to_bytes(), bytes);
    }

    #[test]
    fn bom_then_invalid_utf8_keeps_every_byte() {
        let bytes = b"\xEF\xBB\xBFcaf\xE9".to_vec();
        assert_eq!(FileContent::from_bytes(bytes.clone()).to_bytes(), bytes);
    }

    #[test]
    fn written_nul_makes_bytes() {
        let content = FileContent::from_written_text("a\0b");
        assert_eq!(content, FileContent::Bytes(b"a\0b".to_vec()));
    }

    #[test]
    fn nul_byte_makes_bytes() {
        let content = FileContent::from_bytes(b"a\0b".to_vec());
        assert_eq!(content.kind(), FileKind::Bytes);
    }

    #[test]
    fn empty_file_is_text() {
        let content = FileContent::from_bytes(Vec::new());
        assert_eq!(content.kind(), FileKind::Text);
        assert!(content.is_empty());
    }
}
