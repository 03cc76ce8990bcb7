//! One Automerge document per file, and the write step that merges an
//! agent's new text into it.
//!
//! A file document's root map contains `kind` (`"text"` or `"bytes"`), and for
//! text a Text object under `text` plus the byte-order-mark attribute `bom`;
//! for bytes the exact bytes under `data`. The executable bit and the path
//! live in the workspace index, not here.
//!
//! A write says "here is the new content; I started from version H". For
//! text it is a three-way merge: the text at H is the base, the document's
//! current text one side and the written text the other ([`crate::merge`]).
//! The merged text is applied as one change at the current heads, as the
//! minimal splices from the current text ([`crate::diff`]). Applying the
//! writer's hunks in a transaction at H instead would let the text CRDT
//! interleave two versions of the same characters; computing the merge here
//! keeps each side's lines whole where they collide, and the result does not
//! depend on how Automerge orders concurrent insertions. One task owns each
//! document on the server, so the current heads are everything the server
//! knows when the write is applied.

use automerge::{
    ActorId, Automerge, ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue, transaction::Transactable,
};

use crate::change::ChangeMeta;
use crate::content::{FileContent, FileKind};
use crate::diff::splices;
use crate::line_endings::adopt_line_endings;
use crate::overlap::{TextOverlap, merge_file_at};

mod regions;

use crate::version::Version;
use regions::current_side_lines;

const KIND: &str = "kind";
const TEXT: &str = "text";
const BOM: &str = "bom";
const DATA: &str = "data";

/// A failed operation on a file document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The base version of a write is not in the document's history.
    #[error(
        "version {version} is not in this file's history; read the file again (or, if the \
         server's store was re-created, clone again) and reapply the change"
    )]
    UnknownVersion {
        /// The unknown version.
        version: Version,
    },
    /// A text operation on a file kept as bytes.
    #[error("the file is not UTF-8 text (it is kept as bytes); write its whole content as bytes")]
    NotText,
    /// A splice outside the text.
    #[error(
        "splice offset {offset} + delete {delete} is past the end of the text ({len} code points); \
         offsets count Unicode code points"
    )]
    InvalidOffset {
        /// The requested offset, in code points.
        offset: usize,
        /// The requested delete count, in code points.
        delete: usize,
        /// The text's length at the base version, in code points.
        len: usize,
    },
    /// A splice whose expected deleted text differs from the text at its
    /// base.
    #[error(
        "splice expected to delete {expected:?} but the text at the base version has {found:?} \
         there; read the file again and recompute the offsets (in Unicode code points)"
    )]
    SpliceMismatch {
        /// The text the request expected to delete.
        expected: String,
        /// The text actually at that place.
        found: String,
    },
    /// The stored bytes are not a document weft can read.
    #[error("the stored document is damaged or not a weft file document: {0}")]
    Corrupt(String),
    /// Automerge rejected an operation.
    #[error("automerge operation failed: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// The result of a write or splice.
#[derive(Debug)]
pub struct WriteOutcome {
    /// The document's version after the write.
    pub version: Version,
    /// The merged content.
    pub content: FileContent,
    /// Where the write and the concurrent changes may not fit together.
    pub overlaps: Vec<TextOverlap>,
    /// For each overlap, the agents whose concurrent changes wrote its
    /// current side (see [`PlannedWrite::overlap_agents`]).
    pub overlap_agents: Vec<Vec<String>>,
    /// The agents, other than the writer, whose changes the base had not
    /// seen.
    pub concurrent_agents: Vec<String>,
    /// Whether the base version of a bytes write was not the current one,
    /// so the write replaced content it had not seen.
    pub replaced_unseen_bytes: bool,
    /// The new changes to store, or `None` when the write changed nothing.
    pub chunk: Option<Vec<u8>>,
}

/// The merge a write would make, before it is applied.
#[derive(Debug)]
pub struct PlannedWrite {
    /// The merged content.
    pub content: FileContent,
    /// Where the write and the concurrent changes may not fit together.
    pub overlaps: Vec<TextOverlap>,
    /// For each overlap, the agents whose concurrent changes wrote its
    /// current side; empty where no characters of theirs remain there (a
    /// deletion), so the caller falls back to `concurrent_agents`.
    pub overlap_agents: Vec<Vec<String>>,
    /// The agents, other than the writer, whose changes the base had not
    /// seen.
    pub concurrent_agents: Vec<String>,
    /// Whether a bytes write would replace content its writer had not seen.
    pub replaced_unseen_bytes: bool,
}

/// One change in a file's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// The change's hash.
    pub hash: ChangeHash,
    /// The change's agent, message and time.
    pub meta: ChangeMeta,
}

/// A fine-grained edit: replace `delete` code points at `offset` of the text
/// at `base` with `insert`.
#[derive(Clone, Debug)]
pub struct SpliceEdit {
    /// Offset in Unicode code points, not counting a byte-order mark.
    pub offset: usize,
    /// How many code points to delete.
    pub delete: usize,
    /// The text the writer expects to delete.
    pub expected: String,
    /// The text to insert.
    pub insert: String,
}

/// A file's Automerge document.
pub struct FileDoc {
    doc: Automerge,
}

impl FileDoc {
    /// Creates a document holding `content` and returns it with the bytes to
    /// store.
    pub fn create(
        content: &FileContent,
        actor: ActorId,
        meta: &ChangeMeta,
    ) -> Result<(FileDoc, Vec<u8>), DocumentError> {
        let mut doc = Automerge::new();
        doc.set_actor(actor);
        let mut tx = doc.transaction();
        put_content(&mut tx, content)?;
        tx.commit_with(meta.commit_options());
        let bytes = doc.save();
        Ok((FileDoc { doc }, bytes))
    }

    /// Loads a document from stored bytes (a saved document followed by any
    /// number of change chunks).
    pub fn load(bytes: &[u8]) -> Result<FileDoc, DocumentError> {
        let doc = Automerge::load(bytes).map_err(|err| DocumentError::Corrupt(err.to_string()))?;
        let file = FileDoc { doc };
        file.content()?;
        Ok(file)
    }

    /// The current version.
    pub fn version(&self) -> Version {
        Version::from_heads(self.doc.get_heads())
    }

    /// Whether every head of `version` is in the document's history.
    pub fn has_version(&self, version: &Version) -> bool {
        version
            .heads()
            .iter()
            .all(|hash| self.doc.get_change_meta_by_hash(hash).is_some())
    }

    /// The current content.
    pub fn content(&self) -> Result<FileContent, DocumentError> {
        self.read_content(None)
    }

    /// The content at an earlier version. The empty version is an empty
    /// text.
    pub fn content_at(&self, version: &Version) -> Result<FileContent, DocumentError> {
        if version.is_empty() {
            return Ok(FileContent::Text {
                text: String::new(),
                bom: false,
            });
        }
        self.check_version(version)?;
        self.read_content(Some(version.heads()))
    }

    /// The document's kind now.
    pub fn kind(&self) -> Result<FileKind, DocumentError> {
        Ok(self.content()?.kind())
    }

    /// Writes new content based on `base` and returns the merged result.
    ///
    /// Text merges three ways with the text at `base`; the written text's
    /// line endings follow the stored ones where lines are otherwise equal.
    /// A byte-order mark in the written content sets the attribute; its
    /// absence leaves the attribute as it is. Bytes, and any change of kind,
    /// replace the content: the last write wins.
    ///
    /// `path` names the file's type for the overlaps that depend on it (code
    /// definitions, structured keys, lock files).
    pub fn write(
        &mut self,
        path: &str,
        base: &Version,
        incoming: &FileContent,
        actor: ActorId,
        meta: &ChangeMeta,
    ) -> Result<WriteOutcome, DocumentError> {
        self.write_inner(path, base, incoming, true, actor, meta)
    }

    /// Applies a splice made at `base`, merged like a write of the base text
    /// with the splice applied.
    pub fn splice(
        &mut self,
        path: &str,
        base: &Version,
        edit: &SpliceEdit,
        actor: ActorId,
        meta: &ChangeMeta,
    ) -> Result<WriteOutcome, DocumentError> {
        let base_content = self.content_at(base)?;
        let FileContent::Text { text, bom } = base_content else {
            return Err(DocumentError::NotText);
        };
        if self.kind()? != FileKind::Text {
            return Err(DocumentError::NotText);
        }

        let len = text.chars().count();
        let end = edit
            .offset
            .checked_add(edit.delete)
            .filter(|end| *end <= len);
        let Some(end) = end else {
            return Err(DocumentError::InvalidOffset {
                offset: edit.offset,
                delete: edit.delete,
                len,
            });
        };
        let start_byte = char_offset_to_byte(&text, edit.offset);
        let end_byte = char_offset_to_byte(&text, end);
        let found = &text[start_byte..end_byte];
        if found != edit.expected {
            return Err(DocumentError::SpliceMismatch {
                expected: edit.expected.clone(),
                found: found.to_owned(),
            });
        }

        let mut spliced = String::with_capacity(text.len() + edit.insert.len());
        spliced.push_str(&text[..start_byte]);
        spliced.push_str(&edit.insert);
        spliced.push_str(&text[end_byte..]);
        // A splice that leaves U+FEFF at the start of the text writes a
        // byte-order mark, which is the `bom` attribute and never text, as
        // in a written text. Kept as text, it would export as a second mark.
        let incoming = match spliced.strip_prefix('\u{FEFF}') {
            Some(rest) => FileContent::Text {
                text: rest.to_owned(),
                bom: true,
            },
            None => FileContent::Text { text: spliced, bom },
        };
        self.write_inner(path, base, &incoming, false, actor, meta)
    }

    /// The document's changes, newest first.
    pub fn log(&self) -> Vec<LogEntry> {
        let mut entries: Vec<LogEntry> = self
            .doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|change| LogEntry {
                hash: change.hash,
                meta: ChangeMeta::from_change(change.message.as_deref(), change.timestamp),
            })
            .collect();
        entries.reverse();
        entries
    }

    /// The whole document, compacted, for storing in place of its chunks.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// Computes the merge that a write of `incoming` based on `base` would
    /// make, without changing the document.
    pub fn preview(
        &self,
        path: &str,
        base: &Version,
        incoming: &FileContent,
        writer: &str,
    ) -> Result<PlannedWrite, DocumentError> {
        self.plan(path, base, incoming, true, writer)
    }

    /// Whether the history up to `heads` contains every change of
    /// `ancestor`, so that a writer based on `heads` had seen `ancestor`.
    pub fn includes(&self, heads: &Version, ancestor: &Version) -> bool {
        if !self.has_version(heads) || !self.has_version(ancestor) {
            return false;
        }
        let unseen: Vec<ChangeHash> = self
            .doc
            .get_changes_meta(heads.heads())
            .into_iter()
            .map(|change| change.hash)
            .collect();
        ancestor.heads().iter().all(|hash| !unseen.contains(hash))
    }

    fn plan(
        &self,
        path: &str,
        base: &Version,
        incoming: &FileContent,
        adopt_endings: bool,
        writer: &str,
    ) -> Result<PlannedWrite, DocumentError> {
        let base_content = self.content_at(base)?;
        let current = self.content()?;
        let concurrent_agents = self.concurrent_agents(base, writer);

        let (
            FileContent::Text {
                text: current_text,
                bom: current_bom,
            },
            FileContent::Text {
                text: written,
                bom: written_bom,
            },
        ) = (&current, incoming)
        else {
            // Bytes, or a change of kind: the last write wins.
            let replaced_unseen_bytes = base.heads() != self.doc.get_heads().as_slice()
                && incoming.kind() == FileKind::Bytes
                && &current != incoming;
            return Ok(PlannedWrite {
                content: incoming.clone(),
                overlaps: Vec::new(),
                overlap_agents: Vec::new(),
                concurrent_agents,
                replaced_unseen_bytes,
            });
        };

        let base_text = match &base_content {
            FileContent::Text { text, .. } => text.as_str(),
            FileContent::Bytes(_) => "",
        };
        let written = if adopt_endings {
            adopt_line_endings(base_text, written)
        } else {
            written.clone()
        };
        // An empty base means the writer created the file that the document
        // already holds: both sides added it.
        let base_text = (!base.is_empty()).then_some(base_text);
        let outcome = merge_file_at(path, base_text, current_text, &written);
        let overlap_agents = outcome
            .overlaps
            .iter()
            .map(|overlap| {
                let lines = current_side_lines(&overlap.current_hunk);
                lines.map_or_else(Vec::new, |lines| {
                    self.line_authors(base, current_text, lines, writer)
                })
            })
            .collect();
        Ok(PlannedWrite {
            content: FileContent::Text {
                text: outcome.text,
                bom: *current_bom || *written_bom,
            },
            overlaps: outcome.overlaps,
            overlap_agents,
            concurrent_agents,
            replaced_unseen_bytes: false,
        })
    }

    fn write_inner(
        &mut self,
        path: &str,
        base: &Version,
        incoming: &FileContent,
        adopt_endings: bool,
        actor: ActorId,
        meta: &ChangeMeta,
    ) -> Result<WriteOutcome, DocumentError> {
        let planned = self.plan(path, base, incoming, adopt_endings, &meta.agent)?;
        let current = self.content()?;
        let old_heads = self.doc.get_heads();
        self.doc.set_actor(actor);

        // Text onto text is applied as the minimal splices, so unchanged
        // characters keep their identity; anything else replaces the
        // content.
        let mut tx = self.doc.transaction();
        match (&current, &planned.content) {
            (
                FileContent::Text {
                    text: current_text,
                    bom: current_bom,
                },
                FileContent::Text {
                    text: merged,
                    bom: merged_bom,
                },
            ) => {
                let text_obj = text_object(&tx)?;
                for splice in splices(current_text, merged).iter().rev() {
                    tx.splice_text(
                        &text_obj,
                        splice.pos,
                        splice.delete as isize,
                        &splice.insert,
                    )?;
                }
                if merged_bom != current_bom {
                    tx.put(ROOT, BOM, *merged_bom)?;
                }
            }
            (current, merged) => {
                if current != merged {
                    put_content(&mut tx, merged)?;
                }
            }
        }
        let (hash, _) = tx.commit_with(meta.commit_options());

        let chunk = hash.map(|_| self.doc.save_after(&old_heads));
        Ok(WriteOutcome {
            version: self.version(),
            content: self.content()?,
            overlaps: planned.overlaps,
            overlap_agents: planned.overlap_agents,
            concurrent_agents: planned.concurrent_agents,
            replaced_unseen_bytes: planned.replaced_unseen_bytes,
            chunk,
        })
    }

    fn check_version(&self, version: &Version) -> Result<(), DocumentError> {
        if self.has_version(version) {
            Ok(())
        } else {
            Err(DocumentError::UnknownVersion {
                version: version.clone(),
            })
        }
    }

    /// The agents other than `writer` that made changes `base` had not seen.
    pub fn concurrent_agents(&self, base: &Version, writer: &str) -> Vec<String> {
        let mut agents: Vec<String> = self
            .doc
            .get_changes_meta(base.heads())
            .into_iter()
            .map(|change| ChangeMeta::from_change(change.message.as_deref(), 0).agent)
            .filter(|agent| agent != writer)
            .collect();
        agents.sort();
        agents.dedup();
        agents
    }

    fn read_content(&self, heads: Option<&[ChangeHash]>) -> Result<FileContent, DocumentError> {
        let get = |key: &str| match heads {
            Some(heads) => self.doc.get_at(ROOT, key, heads),
            None => self.doc.get(ROOT, key),
        };
        let kind = get(KIND)?
            .and_then(|(value, _)| value.as_str().map(str::to_owned))
            .ok_or_else(|| DocumentError::Corrupt("the root map has no kind".into()))?;
        match kind.as_str() {
            "text" => {
                let (_, obj) = get(TEXT)?
                    .ok_or_else(|| DocumentError::Corrupt("a text file has no text".into()))?;
                let text = match heads {
                    Some(heads) => self.doc.text_at(&obj, heads)?,
                    None => self.doc.text(&obj)?,
                };
                let bom = get(BOM)?
                    .and_then(|(value, _)| value.as_bool())
                    .unwrap_or(false);
                Ok(FileContent::Text { text, bom })
            }
            "bytes" => {
                let bytes = get(DATA)?
                    .and_then(|(value, _)| value.as_bytes().map(<[u8]>::to_vec))
                    .ok_or_else(|| DocumentError::Corrupt("a bytes file has no data".into()))?;
                Ok(FileContent::Bytes(bytes))
            }
            other => Err(DocumentError::Corrupt(format!("unknown kind {other:?}"))),
        }
    }
}

/// Puts `content` into the root map, replacing what was there.
fn put_content<T: Transactable>(tx: &mut T, content: &FileContent) -> Result<(), DocumentError> {
    match content {
        FileContent::Text { text, bom } => {
            tx.put(ROOT, KIND, FileKind::Text.as_str())?;
            let obj = tx.put_object(ROOT, TEXT, ObjType::Text)?;
            tx.splice_text(&obj, 0, 0, text)?;
            tx.put(ROOT, BOM, *bom)?;
        }
        FileContent::Bytes(bytes) => {
            tx.put(ROOT, KIND, FileKind::Bytes.as_str())?;
            tx.put(ROOT, DATA, ScalarValue::Bytes(bytes.clone()))?;
        }
    }
    Ok(())
}

fn text_object<T: Transactable>(tx: &T) -> Result<automerge::ObjId, DocumentError> {
    tx.get(ROOT, TEXT)?
        .map(|(_, obj)| obj)
        .ok_or_else(|| DocumentError::Corrupt("a text file has no text".into()))
}

/// The byte offset of the `chars`-th code point; `text.len()` past the end.
fn char_offset_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(byte, _)| byte)
}
