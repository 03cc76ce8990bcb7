//! The task that owns the workspace index document.
//!
//! Creating, deleting and renaming paths go through this one task, so two
//! agents creating the same path at once are ordered here: the second finds
//! the path taken and its write merges into the first one's document.

use automerge::ActorId;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use weft_engine::change::ChangeMeta;
use weft_engine::content::FileContent;
use weft_engine::document::FileDoc;
use weft_engine::index::{IndexEntry, WorkspaceIndex, new_doc_id};
use weft_engine::path::WorkspacePath;
use weft_engine::store::{LoggedWrite, StoreWrite};
use weft_engine::version::Version;
use weft_engine::workspace::INDEX_DOC_ID;

use crate::doc_write::{created_result, write_record_key};
use crate::protocol::ProtocolError;
use crate::store_thread::StoreHandle;

/// A request to create a path.
pub struct NewFile {
    /// The path to create.
    pub path: WorkspacePath,
    /// The file's first content.
    pub content: FileContent,
    /// The executable bit.
    pub executable: bool,
    /// The creating connection's actor.
    pub actor: ActorId,
    /// Agent, message and time.
    pub meta: ChangeMeta,
    /// The client's write id, recorded with the new document so that a
    /// retried create gets this create's reply.
    pub write_id: Option<String>,
}

/// The result of a create request.
pub enum Created {
    /// The path was free and now names a new document.
    New {
        /// The new entry.
        entry: IndexEntry,
        /// The new document's version.
        version: Version,
        /// The content as stored.
        content: FileContent,
        /// The workspace sequence number of the create.
        seq: u64,
    },
    /// The path is taken; the caller merges into this entry's document.
    Exists(IndexEntry),
}

enum Command {
    List(oneshot::Sender<Result<Vec<IndexEntry>, ProtocolError>>),
    Get(
        WorkspacePath,
        oneshot::Sender<Result<Option<IndexEntry>, ProtocolError>>,
    ),
    Create {
        file: Box<NewFile>,
        reply: oneshot::Sender<Result<Created, ProtocolError>>,
    },
    Put {
        entries: Vec<IndexEntry>,
        actor: ActorId,
        meta: ChangeMeta,
        reply: oneshot::Sender<Result<(), ProtocolError>>,
    },
}

/// A handle to the index task.
#[derive(Clone)]
pub struct Index {
    commands: mpsc::Sender<Command>,
}

impl Index {
    /// Starts the index task over `index`, storing through `store`.
    pub fn spawn(index: WorkspaceIndex, store: StoreHandle) -> Index {
        let (commands, receiver) = mpsc::channel(256);
        tokio::spawn(run(index, store, receiver));
        Index { commands }
    }

    /// Every entry, deleted ones included, sorted by path.
    pub async fn list(&self) -> Result<Vec<IndexEntry>, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        self.send(Command::List(reply)).await?;
        wait.await.map_err(|_| stopped())?
    }

    /// The entry of `path`, deleted or not.
    pub async fn get(&self, path: &WorkspacePath) -> Result<Option<IndexEntry>, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        self.send(Command::Get(path.clone(), reply)).await?;
        wait.await.map_err(|_| stopped())?
    }

    /// A live entry that cannot exist beside a file at `path`.
    pub async fn clashing_entry(
        &self,
        path: &WorkspacePath,
    ) -> Result<Option<IndexEntry>, ProtocolError> {
        let entries = self.list().await?;
        Ok(entries
            .into_iter()
            .find(|entry| !entry.deleted && entry.path.clashes_with(path)))
    }

    /// The live entry whose document is `doc_id`, if any path has it.
    pub async fn live_entry_of(&self, doc_id: &str) -> Result<Option<IndexEntry>, ProtocolError> {
        let entries = self.list().await?;
        Ok(entries
            .into_iter()
            .find(|entry| !entry.deleted && entry.doc_id == doc_id))
    }

    /// The live entry of `path`, or a `not_found` error naming `field`.
    pub async fn live(
        &self,
        path: &WorkspacePath,
        field: &'static str,
    ) -> Result<IndexEntry, ProtocolError> {
        match self.get(path).await? {
            Some(entry) if !entry.deleted => Ok(entry),
            _ => Err(ProtocolError::field(
                "not_found",
                field,
                format!(
                    "file \"{path}\" not found in the workspace; list files with the list request"
                ),
            )),
        }
    }

    /// Creates `file.path` with `file.content` unless a live file has it.
    pub async fn create(&self, file: NewFile) -> Result<Created, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        let file = Box::new(file);
        self.send(Command::Create { file, reply }).await?;
        wait.await.map_err(|_| stopped())?
    }

    /// Adds or replaces entries, durably.
    pub async fn put(
        &self,
        entries: Vec<IndexEntry>,
        actor: ActorId,
        meta: ChangeMeta,
    ) -> Result<(), ProtocolError> {
        let (reply, wait) = oneshot::channel();
        self.send(Command::Put {
            entries,
            actor,
            meta,
            reply,
        })
        .await?;
        wait.await.map_err(|_| stopped())?
    }

    async fn send(&self, command: Command) -> Result<(), ProtocolError> {
        self.commands.send(command).await.map_err(|_| stopped())
    }
}

fn stopped() -> ProtocolError {
    ProtocolError::internal("the workspace index task has stopped; the server is shutting down")
}

async fn run(mut index: WorkspaceIndex, store: StoreHandle, mut commands: mpsc::Receiver<Command>) {
    while let Some(command) = commands.recv().await {
        match command {
            Command::List(reply) => {
                let result = index.entries().map_err(internal);
                let _ = reply.send(result);
            }
            Command::Get(path, reply) => {
                let _ = reply.send(index.get(&path).map_err(internal));
            }
            Command::Create { file, reply } => {
                let result = create(&mut index, &store, *file).await;
                let _ = reply.send(result);
            }
            Command::Put {
                entries,
                actor,
                meta,
                reply,
            } => {
                let result = put(&mut index, &store, &entries, actor, &meta).await;
                let _ = reply.send(result);
            }
        }
    }
    tracing::debug!("index task stopped");
}

async fn create(
    index: &mut WorkspaceIndex,
    store: &StoreHandle,
    file: NewFile,
) -> Result<Created, ProtocolError> {
    let NewFile {
        path,
        content,
        executable,
        actor,
        meta,
        write_id,
    } = file;
    if let Some(entry) = index.get(&path).map_err(internal)?
        && !entry.deleted
    {
        return Ok(Created::Exists(entry));
    }
    if let Some(clash) = index.clashing_entry(&path).map_err(internal)? {
        return Err(clash_error(&path, &clash.path, "path"));
    }

    let doc_id = new_doc_id();
    let (doc, doc_bytes) =
        FileDoc::create(&content, actor.clone(), &meta).map_err(|err| internal(err.to_string()))?;
    let entry = IndexEntry {
        path,
        doc_id: doc_id.clone(),
        kind: content.kind(),
        executable,
        deleted: false,
        deleted_by: None,
    };
    let version = doc.version();
    let stored = doc.content().map_err(|err| internal(err.to_string()))?;
    let seq = store.next_seq();
    let write_record = write_id.map(|write_id| {
        let result = created_result(&entry.path, &version, &stored, executable, seq);
        let key = write_record_key(&doc_id, &meta.agent, &write_id);
        (key, Value::Object(result).to_string())
    });
    let index_before = index.save();
    let index_chunk = index
        .put_entries(std::slice::from_ref(&entry), actor, &meta)
        .map_err(internal)?
        .unwrap_or_default();
    let writes = vec![
        StoreWrite {
            doc_id: doc_id.clone(),
            chunk: doc_bytes,
            write_record,
            overlaps: Vec::new(),
            logged: Some(LoggedWrite {
                seq,
                doc_id: doc_id.clone(),
                path: entry.path.to_string(),
                agent: meta.agent.clone(),
                summary: json!({"created": true}).to_string(),
            }),
            leases: Vec::new(),
        },
        StoreWrite {
            doc_id: INDEX_DOC_ID.to_owned(),
            chunk: index_chunk,
            write_record: None,
            overlaps: Vec::new(),
            logged: None,
            leases: Vec::new(),
        },
    ];
    if let Err(err) = store.commit(writes).await {
        restore(index, &index_before);
        return Err(internal(err.to_string()));
    }
    tracing::info!(agent = %meta.agent, path = %entry.path, "created file");
    Ok(Created::New {
        entry,
        version,
        content: stored,
        seq,
    })
}

async fn put(
    index: &mut WorkspaceIndex,
    store: &StoreHandle,
    entries: &[IndexEntry],
    actor: ActorId,
    meta: &ChangeMeta,
) -> Result<(), ProtocolError> {
    let index_before = index.save();
    let Some(chunk) = index.put_entries(entries, actor, meta).map_err(internal)? else {
        return Ok(());
    };
    let writes = vec![StoreWrite {
        doc_id: INDEX_DOC_ID.to_owned(),
        chunk,
        write_record: None,
        overlaps: Vec::new(),
        logged: None,
        leases: Vec::new(),
    }];
    if let Err(err) = store.commit(writes).await {
        restore(index, &index_before);
        return Err(internal(err.to_string()));
    }
    Ok(())
}

/// Puts the index back as it was before a change the store did not take.
fn restore(index: &mut WorkspaceIndex, saved: &[u8]) {
    match WorkspaceIndex::load(saved) {
        Ok(previous) => *index = previous,
        Err(err) => tracing::error!(error = %err, "restoring the workspace index failed"),
    }
}

fn internal(err: impl ToString) -> ProtocolError {
    ProtocolError::internal(err.to_string())
}

/// The error for a path that would need a file to be a folder, or the
/// other way round.
pub fn clash_error(
    path: &WorkspacePath,
    existing: &WorkspacePath,
    field: &'static str,
) -> ProtocolError {
    ProtocolError::field(
        "invalid_path",
        field,
        format!(
            "\"{path}\" cannot exist beside the file \"{existing}\": one would have to be a folder; \
             delete or rename one of them first"
        ),
    )
}
