//! A workspace as it sits in a store: the index, the file documents and the
//! first import of a folder. Offline commands (export from a store) use it
//! directly; the server uses the same first import and then owns the
//! documents in its own tasks.

use std::path::{Path, PathBuf};

use automerge::ActorId;

use crate::change::ChangeMeta;
use crate::content::FileContent;
use crate::document::{DocumentError, FileDoc};
use crate::export::{ExportError, ExportFile, ExportReport, export_folder};
use crate::import::{ImportError, scan_folder};
use crate::index::{IndexEntry, IndexError, WorkspaceIndex, new_doc_id};
use crate::store::{Store, StoreError, StoreWrite};

/// The store id of the workspace index document.
pub const INDEX_DOC_ID: &str = "index";

/// The store meta key of the workspace id: a random id made when a
/// folder is first imported, so that clients can tell one workspace from
/// another served at the same address (for example after the store was
/// deleted and the folder imported again).
pub const WORKSPACE_ID_KEY: &str = "workspace_id";

/// Returns the store's workspace id, making one if the store has none.
pub fn workspace_id(store: &mut Store) -> Result<String, WorkspaceError> {
    if let Some(id) = store.meta(WORKSPACE_ID_KEY)? {
        return Ok(id);
    }
    let id = new_doc_id();
    store.set_meta(WORKSPACE_ID_KEY, &id)?;
    Ok(id)
}

/// A failed workspace operation.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store has no workspace index yet.
    #[error(
        "{} is not a weft store (it has no {} with a workspace); pass the store folder, which is DIR/.weft for `weft serve DIR` unless --store named another",
        store.display(),
        crate::store::STORE_DB_FILE
    )]
    NoWorkspace {
        /// The store directory.
        store: PathBuf,
    },
    /// The index document failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A file document failed.
    #[error("file document {doc_id} failed: {source}")]
    Document {
        /// The document's store id.
        doc_id: String,
        /// The cause.
        #[source]
        source: Box<DocumentError>,
    },
    /// The index names a document the store does not hold.
    #[error("the index names document {doc_id} for {path}, but the store does not hold it")]
    MissingDocument {
        /// The document's store id.
        doc_id: String,
        /// The path that names it.
        path: String,
    },
    /// Scanning the folder failed.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Writing the folder failed.
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// The counts of a first import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Whether the folder was imported now; `false` when the store already
    /// held a workspace, which stays the truth.
    pub imported: bool,
    /// Files imported as text.
    pub text_files: usize,
    /// Files imported as bytes.
    pub bytes_files: usize,
}

/// Imports `root` into `store` unless the store already contains a workspace.
///
/// Every document and the index go into one store transaction, so a crash
/// leaves either no workspace or the whole import.
pub fn import_folder(
    store: &mut Store,
    root: &Path,
    skip: &[PathBuf],
    meta: &ChangeMeta,
) -> Result<ImportSummary, WorkspaceError> {
    if store.load_document(INDEX_DOC_ID)?.is_some() {
        return Ok(ImportSummary::default());
    }

    let scanned = scan_folder(root, skip)?;
    let actor = ActorId::random();
    let mut summary = ImportSummary {
        imported: true,
        ..ImportSummary::default()
    };
    let mut writes = Vec::with_capacity(scanned.len() + 1);
    let mut entries = Vec::with_capacity(scanned.len());
    for file in scanned {
        let content = FileContent::from_bytes(file.bytes);
        match content {
            FileContent::Text { .. } => summary.text_files += 1,
            FileContent::Bytes(_) => summary.bytes_files += 1,
        }
        let doc_id = new_doc_id();
        let (_, chunk) = FileDoc::create(&content, actor.clone(), meta).map_err(|source| {
            WorkspaceError::Document {
                doc_id: doc_id.clone(),
                source: Box::new(source),
            }
        })?;
        entries.push(IndexEntry {
            path: file.path,
            doc_id: doc_id.clone(),
            kind: content.kind(),
            executable: file.executable,
            deleted: false,
            deleted_by: None,
        });
        writes.push(StoreWrite {
            doc_id,
            chunk,
            write_record: None,
            overlaps: Vec::new(),
            logged: None,
            leases: Vec::new(),
        });
    }

    let (mut index, mut index_bytes) = WorkspaceIndex::create(actor.clone(), meta)?;
    if let Some(chunk) = index.put_entries(&entries, actor, meta)? {
        index_bytes.extend(chunk);
    }
    writes.push(StoreWrite {
        doc_id: INDEX_DOC_ID.to_owned(),
        chunk: index_bytes,
        write_record: None,
        overlaps: Vec::new(),
        logged: None,
        leases: Vec::new(),
    });
    store.commit(&writes)?;
    tracing::info!(
        root = %root.display(),
        text_files = summary.text_files,
        bytes_files = summary.bytes_files,
        "imported folder"
    );
    Ok(summary)
}

/// A workspace opened from its store, for offline reading.
pub struct Workspace {
    store: Store,
    index: WorkspaceIndex,
}

impl Workspace {
    /// Opens the workspace in the store directory `store_dir`.
    pub fn open(store_dir: &Path) -> Result<Workspace, WorkspaceError> {
        // Opening creates a database; a folder without one is not a store.
        if !store_dir.join(crate::store::STORE_DB_FILE).is_file() {
            return Err(WorkspaceError::NoWorkspace {
                store: store_dir.to_owned(),
            });
        }
        let store = Store::open(store_dir)?;
        let bytes =
            store
                .load_document(INDEX_DOC_ID)?
                .ok_or_else(|| WorkspaceError::NoWorkspace {
                    store: store_dir.to_owned(),
                })?;
        let index = WorkspaceIndex::load(&bytes)?;
        Ok(Workspace { store, index })
    }

    /// The workspace index.
    pub fn index(&self) -> &WorkspaceIndex {
        &self.index
    }

    /// Loads the document of an index entry.
    pub fn load_file(&self, entry: &IndexEntry) -> Result<FileDoc, WorkspaceError> {
        let bytes = self.store.load_document(&entry.doc_id)?.ok_or_else(|| {
            WorkspaceError::MissingDocument {
                doc_id: entry.doc_id.clone(),
                path: entry.path.to_string(),
            }
        })?;
        FileDoc::load(&bytes).map_err(|source| WorkspaceError::Document {
            doc_id: entry.doc_id.clone(),
            source: Box::new(source),
        })
    }

    /// Writes every live file into `out` and removes the files the workspace
    /// deleted, leaving `.git`, the paths in `skip` and ignored paths alone.
    pub fn export(&self, out: &Path, skip: &[PathBuf]) -> Result<ExportReport, WorkspaceError> {
        let mut files = Vec::new();
        let mut deleted = Vec::new();
        for entry in self.index.entries()? {
            if entry.deleted {
                deleted.push(entry.path);
                continue;
            }
            let content =
                self.load_file(&entry)?
                    .content()
                    .map_err(|source| WorkspaceError::Document {
                        doc_id: entry.doc_id.clone(),
                        source: Box::new(source),
                    })?;
            files.push(ExportFile {
                path: entry.path,
                bytes: content.to_bytes(),
                executable: entry.executable,
            });
        }
        Ok(export_folder(out, &files, &deleted, skip)?)
    }
}
