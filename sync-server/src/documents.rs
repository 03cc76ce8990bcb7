//! One tokio task per open file document.
//!
//! A document task owns its [`FileDoc`] and handles that document's
//! requests one at a time, so no lock guards a document. A write is
//! acknowledged only after the store thread reports its change durable. The
//! registry maps document ids to task senders; a task that stays idle removes
//! itself and frees its memory, and the next request loads the document
//! from the store again. A task that panics loses only its in-memory copy:
//! its requests get an `internal` error and the next request starts a fresh
//! task from the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::ActorId;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use weft_engine::change::ChangeMeta;
use weft_engine::content::FileContent;
use weft_engine::document::{DocumentError, FileDoc, SpliceEdit};
use weft_engine::merge::LineRange;
use weft_engine::path::WorkspacePath;
use weft_engine::version::Version;

use crate::doc_leases::{self, LeaseTarget, Region};
use crate::events::Events;
use crate::leases::Leases;
use crate::protocol::ProtocolError;
use crate::store_thread::StoreHandle;

/// Queue length of one document task.
const QUEUE: usize = 64;

/// A write's edit: the whole new content or a splice.
#[derive(Debug)]
pub enum Edit {
    /// The whole new content.
    Whole(FileContent),
    /// A splice in code points.
    Splice(SpliceEdit),
}

/// A write for a document task.
#[derive(Debug)]
pub struct WriteJob {
    /// The file's path, for the reply and the overlaps.
    pub path: WorkspacePath,
    /// The version the writer started from.
    pub base: Version,
    /// The edit.
    pub edit: Edit,
    /// The connection's actor.
    pub actor: ActorId,
    /// Agent, message and time.
    pub meta: ChangeMeta,
    /// The client's write id, for applying a retried write once.
    pub write_id: Option<String>,
    /// The executable bit the file has after the write.
    pub executable: bool,
    /// Whether this write created the path.
    pub created: bool,
    /// When the path was deleted or renamed away by another agent since the
    /// writer's base: that agent and what happened, for a `delete-edit`
    /// overlap.
    pub file_overlap: Option<(String, String)>,
    /// The workspace sequence number at which the writer last synced: the
    /// logged writes above it are concurrent with this one.
    pub since: Option<u64>,
}

/// A read's result.
pub struct ReadResult {
    /// The content at the requested version.
    pub content: FileContent,
    /// The version read.
    pub version: Version,
}

enum Command {
    Read {
        version: Option<Version>,
        reply: oneshot::Sender<Result<ReadResult, ProtocolError>>,
    },
    Write {
        job: Box<WriteJob>,
        reply: oneshot::Sender<Result<Map<String, Value>, ProtocolError>>,
    },
    Log {
        limit: usize,
        reply: oneshot::Sender<Result<Vec<Value>, ProtocolError>>,
    },
    Preview {
        job: Box<WriteJob>,
        reply: oneshot::Sender<Result<Map<String, Value>, ProtocolError>>,
    },
    CheckDelete {
        path: WorkspacePath,
        base: Version,
        agent: String,
        reply: oneshot::Sender<Result<Option<Value>, ProtocolError>>,
    },
    Ack {
        overlap_id: String,
        note: String,
        agent: String,
        reply: oneshot::Sender<Result<Value, ProtocolError>>,
    },
    LeaseRegion {
        path: WorkspacePath,
        target: LeaseTarget,
        reply: oneshot::Sender<Result<Region, ProtocolError>>,
    },
    Locate {
        anchors: Vec<(String, String)>,
        reply: oneshot::Sender<Vec<Option<LineRange>>>,
    },
    DeleteLeases {
        path: WorkspacePath,
        agent: String,
        reply: oneshot::Sender<Result<Vec<Value>, ProtocolError>>,
    },
}

/// A running task's sender, with a number that distinguishes this task from
/// an earlier or later task of the same document.
struct Slot {
    generation: u64,
    sender: mpsc::Sender<Command>,
}

#[derive(Default)]
struct Tasks {
    slots: HashMap<String, Slot>,
    next_generation: u64,
}

type Registry = Arc<Mutex<Tasks>>;

/// The open documents.
#[derive(Clone)]
pub struct Documents {
    registry: Registry,
    store: StoreHandle,
    idle: Duration,
    leases: Leases,
    events: Events,
}

impl Documents {
    /// An empty registry whose tasks store through `store`, check writes
    /// against `leases`, tell `events` what changed, and stop after `idle`
    /// without requests.
    pub fn new(store: StoreHandle, idle: Duration, leases: Leases, events: Events) -> Documents {
        Documents {
            registry: Arc::default(),
            store,
            idle,
            leases,
            events,
        }
    }

    /// Checks the region a new lease asks for against the file's current
    /// text and anchors it.
    pub async fn lease_region(
        &self,
        doc_id: &str,
        path: &WorkspacePath,
        target: LeaseTarget,
    ) -> Result<Region, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        let command = Command::LeaseRegion {
            path: path.clone(),
            target,
            reply,
        };
        self.send(doc_id, command).await?;
        wait.await.map_err(|_| task_failed(doc_id))?
    }

    /// Opens a `lease` overlap with each other agent whose live lease
    /// covers the file that `agent` deletes, and returns the records.
    pub async fn delete_lease_overlaps(
        &self,
        doc_id: &str,
        path: &WorkspacePath,
        agent: &str,
    ) -> Result<Vec<Value>, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        let command = Command::DeleteLeases {
            path: path.clone(),
            agent: agent.to_owned(),
            reply,
        };
        self.send(doc_id, command).await?;
        wait.await.map_err(|_| task_failed(doc_id))?
    }

    /// Finds the lines that pairs of cursors anchor in the current text.
    pub async fn locate(
        &self,
        doc_id: &str,
        anchors: Vec<(String, String)>,
    ) -> Result<Vec<Option<LineRange>>, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        self.send(doc_id, Command::Locate { anchors, reply })
            .await?;
        wait.await.map_err(|_| task_failed(doc_id))
    }

    /// Reads a document at `version`, or now.
    pub async fn read(
        &self,
        doc_id: &str,
        version: Option<Version>,
    ) -> Result<ReadResult, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        self.send(doc_id, Command::Read { version, reply }).await?;
        wait.await.map_err(|_| task_failed(doc_id))?
    }

    /// Applies a write and returns the reply's result object.
    pub async fn write(
        &self,
        doc_id: &str,
        job: WriteJob,
    ) -> Result<Map<String, Value>, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        let job = Box::new(job);
        self.send(doc_id, Command::Write { job, reply }).await?;
        wait.await.map_err(|_| task_failed(doc_id))?
    }

    /// Lists a document's changes, newest first.
    pub async fn log(&self, doc_id: &str, limit: usize) -> Result<Vec<Value>, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        self.send(doc_id, Command::Log { limit, reply }).await?;
        wait.await.map_err(|_| task_failed(doc_id))?
    }

    /// Computes what a write would do, without writing: the merged content
    /// and the overlaps it would open.
    pub async fn preview(
        &self,
        doc_id: &str,
        job: WriteJob,
    ) -> Result<Map<String, Value>, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        let job = Box::new(job);
        self.send(doc_id, Command::Preview { job, reply }).await?;
        wait.await.map_err(|_| task_failed(doc_id))?
    }

    /// Checks a delete based on `base`: when other agents changed the file
    /// since, the delete must not happen, and this stores and returns the
    /// `delete-edit` overlap that reports it.
    pub async fn check_delete(
        &self,
        doc_id: &str,
        path: &WorkspacePath,
        base: &Version,
        agent: &str,
    ) -> Result<Option<Value>, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        let command = Command::CheckDelete {
            path: path.clone(),
            base: base.clone(),
            agent: agent.to_owned(),
            reply,
        };
        self.send(doc_id, command).await?;
        wait.await.map_err(|_| task_failed(doc_id))?
    }

    /// Acknowledges an overlap of this document with a note.
    pub async fn ack(
        &self,
        doc_id: &str,
        overlap_id: &str,
        note: &str,
        agent: &str,
    ) -> Result<Value, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        let command = Command::Ack {
            overlap_id: overlap_id.to_owned(),
            note: note.to_owned(),
            agent: agent.to_owned(),
            reply,
        };
        self.send(doc_id, command).await?;
        wait.await.map_err(|_| task_failed(doc_id))?
    }

    /// Stops accepting work: drops every task's sender, so each task ends
    /// after the requests already queued.
    pub fn close(&self) {
        if let Ok(mut registry) = self.registry.lock() {
            registry.slots.clear();
        }
    }

    async fn send(&self, doc_id: &str, command: Command) -> Result<(), ProtocolError> {
        let mut command = command;
        for _ in 0..2 {
            let sender = self.sender(doc_id)?;
            match sender.send(command).await {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(returned)) => {
                    // The task ended (idle or after a failure) between the
                    // lookup and the send: forget it and start a new one.
                    self.forget(doc_id, &sender);
                    command = returned;
                }
            }
        }
        Err(task_failed(doc_id))
    }

    fn sender(&self, doc_id: &str) -> Result<mpsc::Sender<Command>, ProtocolError> {
        let mut registry = self
            .registry
            .lock()
            .map_err(|_| ProtocolError::internal("the document registry is poisoned"))?;
        if let Some(slot) = registry.slots.get(doc_id)
            && !slot.sender.is_closed()
        {
            return Ok(slot.sender.clone());
        }
        let (sender, receiver) = mpsc::channel(QUEUE);
        let generation = registry.next_generation;
        registry.next_generation += 1;
        registry.slots.insert(
            doc_id.to_owned(),
            Slot {
                generation,
                sender: sender.clone(),
            },
        );
        let task = DocTask {
            generation,
            doc_id: doc_id.to_owned(),
            store: self.store.clone(),
            registry: Arc::clone(&self.registry),
            idle: self.idle,
            writes_since_compaction: 0,
            leases: self.leases.clone(),
            events: self.events.clone(),
        };
        tokio::spawn(task.run(receiver));
        Ok(sender)
    }

    fn forget(&self, doc_id: &str, sender: &mpsc::Sender<Command>) {
        if let Ok(mut registry) = self.registry.lock()
            && registry
                .slots
                .get(doc_id)
                .is_some_and(|slot| slot.sender.same_channel(sender))
        {
            registry.slots.remove(doc_id);
        }
    }
}

fn task_failed(doc_id: &str) -> ProtocolError {
    tracing::error!(doc_id, "document task ended without replying");
    ProtocolError::internal(format!(
        "the task of document {doc_id} failed; the request was not applied, retry it"
    ))
}

pub(crate) struct DocTask {
    generation: u64,
    pub(crate) doc_id: String,
    pub(crate) store: StoreHandle,
    registry: Registry,
    idle: Duration,
    pub(crate) writes_since_compaction: usize,
    pub(crate) leases: Leases,
    pub(crate) events: Events,
}

impl DocTask {
    async fn run(mut self, mut receiver: mpsc::Receiver<Command>) {
        let mut doc = match self.load().await {
            Ok(doc) => doc,
            Err(err) => {
                tracing::error!(doc_id = %self.doc_id, error = %err.message, "loading a document failed");
                receiver.close();
                while let Some(command) = receiver.recv().await {
                    fail(command, err.clone());
                }
                return;
            }
        };

        loop {
            let command = tokio::select! {
                command = receiver.recv() => command,
                () = tokio::time::sleep(self.idle) => {
                    if self.try_evict(&receiver) {
                        tracing::debug!(doc_id = %self.doc_id, "evicted idle document");
                        return;
                    }
                    continue;
                }
            };
            let Some(command) = command else {
                return;
            };
            if !self.handle(&mut doc, command).await {
                // A failed store commit leaves the in-memory document ahead
                // of the store; end the task so the next request reloads.
                receiver.close();
                self.remove_self();
                while let Some(command) = receiver.recv().await {
                    fail(
                        command,
                        ProtocolError::internal("the store failed; retry the request"),
                    );
                }
                return;
            }
        }
    }

    async fn load(&self) -> Result<FileDoc, ProtocolError> {
        let bytes = self
            .store
            .load(&self.doc_id)
            .await
            .map_err(|err| ProtocolError::internal(err.to_string()))?
            .ok_or_else(|| {
                ProtocolError::internal(format!(
                    "document {} is missing from the store",
                    self.doc_id
                ))
            })?;
        FileDoc::load(&bytes).map_err(|err| ProtocolError::internal(err.to_string()))
    }

    /// Handles one command; returns `false` when the store failed.
    async fn handle(&mut self, doc: &mut FileDoc, command: Command) -> bool {
        match command {
            Command::Read { version, reply } => {
                let result = match version {
                    Some(version) => doc
                        .content_at(&version)
                        .map(|content| ReadResult { content, version }),
                    None => doc.content().map(|content| ReadResult {
                        content,
                        version: doc.version(),
                    }),
                };
                let _ = reply.send(result.map_err(document_error));
                true
            }
            Command::Log { limit, reply } => {
                let entries = doc
                    .log()
                    .into_iter()
                    .take(limit)
                    .map(|entry| {
                        json!({
                            "hash": entry.hash.to_string(),
                            "agent": entry.meta.agent,
                            "time": entry.meta.time_ms,
                            "message": entry.meta.message,
                        })
                    })
                    .collect();
                let _ = reply.send(Ok(entries));
                true
            }
            Command::Write { job, reply } => {
                let (result, stored) = self.write(doc, *job).await;
                let _ = reply.send(result);
                stored
            }
            Command::Preview { job, reply } => {
                let leases = self
                    .leases
                    .live_on_doc(&self.doc_id, Some(&job.meta.agent))
                    .await;
                let now = self.leases.clock().now_ms();
                let preview = crate::doc_write::preview(doc, &self.doc_id, &job, &leases, now);
                let _ = reply.send(preview);
                true
            }
            Command::CheckDelete {
                path,
                base,
                agent,
                reply,
            } => {
                let (result, stored) = self.check_delete(doc, &path, &base, &agent).await;
                let _ = reply.send(result);
                stored
            }
            Command::Ack {
                overlap_id,
                note,
                agent,
                reply,
            } => {
                let (result, stored) = self.ack(&overlap_id, &note, &agent).await;
                let _ = reply.send(result);
                stored
            }
            Command::LeaseRegion {
                path,
                target,
                reply,
            } => {
                let _ = reply.send(doc_leases::region(doc, &path, &target));
                true
            }
            Command::Locate { anchors, reply } => {
                let _ = reply.send(doc_leases::locate(doc, &anchors));
                true
            }
            Command::DeleteLeases { path, agent, reply } => {
                let (result, stored) = self.delete_lease_overlaps(doc, &path, &agent).await;
                let _ = reply.send(result);
                stored
            }
        }
    }

    /// Removes this task from the registry if no other handle to its sender exists and
    /// no request waits; returns whether it did.
    fn try_evict(&self, receiver: &mpsc::Receiver<Command>) -> bool {
        let Ok(mut registry) = self.registry.lock() else {
            return false;
        };
        let Some(slot) = registry.slots.get(&self.doc_id) else {
            return true;
        };
        if slot.generation != self.generation {
            return true;
        }
        if slot.sender.strong_count() == 1 && receiver.is_empty() {
            registry.slots.remove(&self.doc_id);
            return true;
        }
        false
    }

    fn remove_self(&self) {
        if let Ok(mut registry) = self.registry.lock()
            && registry
                .slots
                .get(&self.doc_id)
                .is_some_and(|slot| slot.generation == self.generation)
        {
            registry.slots.remove(&self.doc_id);
        }
    }
}

fn fail(command: Command, error: ProtocolError) {
    match command {
        Command::Preview { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Command::Ack { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Command::CheckDelete { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Command::Read { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Command::Write { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Command::Log { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Command::LeaseRegion { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        Command::DeleteLeases { reply, .. } => {
            let _ = reply.send(Err(error));
        }
        // A locate has no error reply; dropping it fails the caller's
        // wait, which reports the task as failed.
        Command::Locate { .. } => {}
    }
}

/// Maps a document error to the protocol's error codes.
pub fn document_error(err: DocumentError) -> ProtocolError {
    let code = match &err {
        DocumentError::UnknownVersion { .. } => "unknown_version",
        DocumentError::NotText => "not_text",
        DocumentError::InvalidOffset { .. } => "invalid_offset",
        DocumentError::SpliceMismatch { .. } => "splice_mismatch",
        DocumentError::Corrupt(_) | DocumentError::Automerge(_) => "internal",
    };
    let field = match &err {
        DocumentError::UnknownVersion { .. } => Some("base"),
        DocumentError::InvalidOffset { .. } => Some("offset"),
        DocumentError::SpliceMismatch { .. } => Some("expected"),
        _ => None,
    };
    ProtocolError {
        code,
        message: err.to_string(),
        field,
    }
}
