//! The workspace index: one Automerge document that maps paths to file
//! documents.
//!
//! The root map's `files` map is keyed by path; each value is a map with the
//! file document's `id`, its `kind`, its `executable` bit and a `deleted`
//! flag. A deleted or renamed-away path keeps its entry with `deleted` set,
//! so an export knows to remove it from disk and a later write based on one
//! of the file's versions can bring it back. A rename moves the document id
//! to the new key, so an edit to the document made concurrently with the
//! rename survives it.

use automerge::{ActorId, Automerge, ObjId, ObjType, ROOT, ReadDoc, transaction::Transactable};

use crate::change::ChangeMeta;
use crate::content::FileKind;
use crate::path::WorkspacePath;
use crate::version::Version;

const FILES: &str = "files";
const ID: &str = "id";
const KIND: &str = "kind";
const EXECUTABLE: &str = "executable";
const DELETED: &str = "deleted";
const DELETED_BY: &str = "deleted_by";

/// A failed operation on the workspace index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The stored index is not one weft wrote.
    #[error("the stored workspace index is damaged: {0}")]
    Corrupt(String),
    /// Automerge rejected an operation.
    #[error("automerge operation on the workspace index failed: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// One path of the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// The file's path.
    pub path: WorkspacePath,
    /// The id of the file's document in the store.
    pub doc_id: String,
    /// Whether the file is text or bytes.
    pub kind: FileKind,
    /// The executable bit.
    pub executable: bool,
    /// Whether the path was deleted or renamed away.
    pub deleted: bool,
    /// The agent that deleted or renamed the path away, when it is deleted.
    pub deleted_by: Option<String>,
}

/// The workspace index document.
pub struct WorkspaceIndex {
    doc: Automerge,
}

impl WorkspaceIndex {
    /// Creates an empty index and returns it with the bytes to store.
    pub fn create(
        actor: ActorId,
        meta: &ChangeMeta,
    ) -> Result<(WorkspaceIndex, Vec<u8>), IndexError> {
        let mut doc = Automerge::new();
        doc.set_actor(actor);
        let mut tx = doc.transaction();
        tx.put_object(ROOT, FILES, ObjType::Map)?;
        tx.commit_with(meta.commit_options());
        let bytes = doc.save();
        Ok((WorkspaceIndex { doc }, bytes))
    }

    /// Loads the index from stored bytes.
    pub fn load(bytes: &[u8]) -> Result<WorkspaceIndex, IndexError> {
        let doc = Automerge::load(bytes).map_err(|err| IndexError::Corrupt(err.to_string()))?;
        let index = WorkspaceIndex { doc };
        index.files_obj()?;
        Ok(index)
    }

    /// The index's version.
    pub fn version(&self) -> Version {
        Version::from_heads(self.doc.get_heads())
    }

    /// Every entry, deleted ones included, sorted by path. Keys that are not
    /// valid workspace paths are skipped with a warning.
    pub fn entries(&self) -> Result<Vec<IndexEntry>, IndexError> {
        let files = self.files_obj()?;
        let mut entries = Vec::new();
        for key in self.doc.keys(&files) {
            match WorkspacePath::new(&key) {
                Ok(path) => {
                    if let Some(entry) = self.read_entry(&files, path)? {
                        entries.push(entry);
                    }
                }
                Err(err) => tracing::warn!(key = %key, error = %err, "skipping invalid index key"),
            }
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// The live (not deleted) entries, sorted by path.
    pub fn live_entries(&self) -> Result<Vec<IndexEntry>, IndexError> {
        let mut entries = self.entries()?;
        entries.retain(|entry| !entry.deleted);
        Ok(entries)
    }

    /// A live entry that cannot exist beside a file at `path`: a file at
    /// one of `path`'s parent folders, or a file inside `path` as a folder.
    pub fn clashing_entry(&self, path: &WorkspacePath) -> Result<Option<IndexEntry>, IndexError> {
        Ok(self
            .live_entries()?
            .into_iter()
            .find(|entry| entry.path.clashes_with(path)))
    }

    /// The entry for `path`, deleted or not.
    pub fn get(&self, path: &WorkspacePath) -> Result<Option<IndexEntry>, IndexError> {
        let files = self.files_obj()?;
        self.read_entry(&files, path.clone())
    }

    /// Writes `entries` (adding or replacing each by path) as one change and
    /// returns the bytes to store, or `None` when nothing changed.
    pub fn put_entries(
        &mut self,
        entries: &[IndexEntry],
        actor: ActorId,
        meta: &ChangeMeta,
    ) -> Result<Option<Vec<u8>>, IndexError> {
        let changed: Vec<&IndexEntry> = entries
            .iter()
            .filter(|entry| self.get(&entry.path).ok().flatten().as_ref() != Some(*entry))
            .collect();
        if changed.is_empty() {
            return Ok(None);
        }

        let old_heads = self.doc.get_heads();
        let files = self.files_obj()?;
        self.doc.set_actor(actor);
        let mut tx = self.doc.transaction();
        for entry in changed {
            let obj = tx.put_object(&files, entry.path.as_str(), ObjType::Map)?;
            tx.put(&obj, ID, entry.doc_id.as_str())?;
            tx.put(&obj, KIND, entry.kind.as_str())?;
            tx.put(&obj, EXECUTABLE, entry.executable)?;
            tx.put(&obj, DELETED, entry.deleted)?;
            if let Some(agent) = &entry.deleted_by {
                tx.put(&obj, DELETED_BY, agent.as_str())?;
            }
        }
        tx.commit_with(meta.commit_options());
        Ok(Some(self.doc.save_after(&old_heads)))
    }

    /// The whole index, compacted.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    fn files_obj(&self) -> Result<ObjId, IndexError> {
        self.doc
            .get(ROOT, FILES)?
            .map(|(_, obj)| obj)
            .ok_or_else(|| IndexError::Corrupt("the root map has no files map".into()))
    }

    fn read_entry(
        &self,
        files: &ObjId,
        path: WorkspacePath,
    ) -> Result<Option<IndexEntry>, IndexError> {
        let Some((_, obj)) = self.doc.get(files, path.as_str())? else {
            return Ok(None);
        };
        let text = |key: &str| -> Result<Option<String>, IndexError> {
            Ok(self
                .doc
                .get(&obj, key)?
                .and_then(|(value, _)| value.as_str().map(str::to_owned)))
        };
        let flag = |key: &str| -> Result<bool, IndexError> {
            Ok(self
                .doc
                .get(&obj, key)?
                .and_then(|(value, _)| value.as_bool())
                .unwrap_or(false))
        };

        let doc_id = text(ID)?
            .ok_or_else(|| IndexError::Corrupt(format!("entry {path} has no document id")))?;
        let kind = match text(KIND)?.as_deref() {
            Some("bytes") => FileKind::Bytes,
            _ => FileKind::Text,
        };
        Ok(Some(IndexEntry {
            path,
            doc_id,
            kind,
            executable: flag(EXECUTABLE)?,
            deleted: flag(DELETED)?,
            deleted_by: text(DELETED_BY)?,
        }))
    }
}

/// A new random document id: 32 hex digits.
pub fn new_doc_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, doc_id: &str) -> IndexEntry {
        IndexEntry {
            path: WorkspacePath::new(path).expect("valid test path"),
            doc_id: doc_id.into(),
            kind: FileKind::Text,
            executable: false,
            deleted: false,
            deleted_by: None,
        }
    }

    #[test]
    fn entries_round_trip_through_store_bytes() {
        let meta = ChangeMeta::now("test", "");
        let (mut index, mut bytes) =
            WorkspaceIndex::create(ActorId::random(), &meta).expect("create");
        let chunk = index
            .put_entries(
                &[entry("src/lib.rs", "d1"), entry("README.md", "d2")],
                ActorId::random(),
                &meta,
            )
            .expect("put")
            .expect("changed");
        bytes.extend(chunk);

        let loaded = WorkspaceIndex::load(&bytes).expect("load");
        let paths: Vec<String> = loaded
            .entries()
            .expect("entries")
            .iter()
            .map(|e| e.path.to_string())
            .collect();
        assert_eq!(paths, ["README.md", "src/lib.rs"]);
    }

    #[test]
    fn file_and_folder_clash() {
        let meta = ChangeMeta::now("test", "");
        let (mut index, _) = WorkspaceIndex::create(ActorId::random(), &meta).expect("create");
        index
            .put_entries(
                &[entry("lf.txt", "d1"), entry("src/lib.rs", "d2")],
                ActorId::random(),
                &meta,
            )
            .expect("put");
        let clash = |path: &str| {
            index
                .clashing_entry(&WorkspacePath::new(path).expect("valid"))
                .expect("entries")
                .map(|entry| entry.path.to_string())
        };
        assert_eq!(clash("lf.txt/inner").as_deref(), Some("lf.txt"));
        assert_eq!(clash("src").as_deref(), Some("src/lib.rs"));
        assert_eq!(clash("src/main.rs"), None);
        assert_eq!(clash("lf.txt.bak"), None);
    }

    #[test]
    fn unchanged_entries_make_no_change() {
        let meta = ChangeMeta::now("test", "");
        let (mut index, _) = WorkspaceIndex::create(ActorId::random(), &meta).expect("create");
        index
            .put_entries(&[entry("a", "d1")], ActorId::random(), &meta)
            .expect("put");
        let again = index
            .put_entries(&[entry("a", "d1")], ActorId::random(), &meta)
            .expect("put");
        assert!(again.is_none());
    }
}
