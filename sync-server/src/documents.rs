//! One tokio task per open file document.
//!
//! A document task owns its [`FileDoc`](weft_engine::document::FileDoc)
//! and handles that document's requests one at a time, so no lock guards a
//! document. A write is acknowledged only after the store thread reports
//! its change durable. The registry maps document ids to task senders; a task that stays idle removes
//! itself and frees its memory, and the next request loads the document
//! from the store again. A task that panics loses only its in-memory copy:
//! its requests get an `internal` error and the next request starts a fresh
//! task from the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::ActorId;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};
use weft_engine::change::ChangeMeta;
use weft_engine::content::FileContent;
use weft_engine::document::SpliceEdit;
use weft_engine::merge::LineRange;
use weft_engine::path::WorkspacePath;
use weft_engine::version::Version;

use crate::doc_leases::{LeaseTarget, Region};
pub(crate) use crate::doc_task::DocTask;
pub use crate::doc_task::document_error;
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

pub(crate) enum Command {
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
pub(crate) struct Slot {
    pub(crate) generation: u64,
    pub(crate) sender: mpsc::Sender<Command>,
}

#[derive(Default)]
pub(crate) struct Tasks {
    pub(crate) slots: HashMap<String, Slot>,
    next_generation: u64,
}

pub(crate) type Registry = Arc<Mutex<Tasks>>;

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
    /// Creates an empty registry whose tasks store through `store`, check
    /// writes against `leases`, publish changes to `events`, and stop after
    /// `idle` without requests.
    pub fn new(store: StoreHandle, idle: Duration, leases: Leases, events: Events) -> Documents {
        Documents {
            registry: Arc::default(),
            store,
            idle,
            leases,
            events,
        }
    }

    /// Checks the region a new lease requests against the file's current
    /// text and anchors it.
    pub async fn lease_region(
        &self,
        doc_id: &str,
        path: &WorkspacePath,
        target: LeaseTarget,
    ) -> Result<Region, ProtocolError> {
        let path = path.clone();
        self.ask(doc_id, |reply| Command::LeaseRegion {
            path,
            target,
            reply,
        })
        .await?
    }

    /// Opens a `lease` overlap with each other agent whose live lease
    /// covers the file that `agent` deletes, and returns the records.
    pub async fn delete_lease_overlaps(
        &self,
        doc_id: &str,
        path: &WorkspacePath,
        agent: &str,
    ) -> Result<Vec<Value>, ProtocolError> {
        let (path, agent) = (path.clone(), agent.to_owned());
        self.ask(doc_id, |reply| Command::DeleteLeases { path, agent, reply })
            .await?
    }

    /// Finds the lines that pairs of cursors anchor in the current text.
    pub async fn locate(
        &self,
        doc_id: &str,
        anchors: Vec<(String, String)>,
    ) -> Result<Vec<Option<LineRange>>, ProtocolError> {
        self.ask(doc_id, |reply| Command::Locate { anchors, reply })
            .await
    }

    /// Reads a document at `version`, or now.
    pub async fn read(
        &self,
        doc_id: &str,
        version: Option<Version>,
    ) -> Result<ReadResult, ProtocolError> {
        self.ask(doc_id, |reply| Command::Read { version, reply })
            .await?
    }

    /// Applies a write and returns the reply's result object.
    pub async fn write(
        &self,
        doc_id: &str,
        job: WriteJob,
    ) -> Result<Map<String, Value>, ProtocolError> {
        let job = Box::new(job);
        self.ask(doc_id, |reply| Command::Write { job, reply })
            .await?
    }

    /// Lists a document's changes, newest first.
    pub async fn log(&self, doc_id: &str, limit: usize) -> Result<Vec<Value>, ProtocolError> {
        self.ask(doc_id, |reply| Command::Log { limit, reply })
            .await?
    }

    /// Computes what a write would do, without writing: the merged content
    /// and the overlaps it would open.
    pub async fn preview(
        &self,
        doc_id: &str,
        job: WriteJob,
    ) -> Result<Map<String, Value>, ProtocolError> {
        let job = Box::new(job);
        self.ask(doc_id, |reply| Command::Preview { job, reply })
            .await?
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
        let (path, base, agent) = (path.clone(), base.clone(), agent.to_owned());
        self.ask(doc_id, |reply| Command::CheckDelete {
            path,
            base,
            agent,
            reply,
        })
        .await?
    }

    /// Acknowledges an overlap of this document with a note.
    pub async fn ack(
        &self,
        doc_id: &str,
        overlap_id: &str,
        note: &str,
        agent: &str,
    ) -> Result<Value, ProtocolError> {
        let (overlap_id, note, agent) = (overlap_id.to_owned(), note.to_owned(), agent.to_owned());
        self.ask(doc_id, |reply| Command::Ack {
            overlap_id,
            note,
            agent,
            reply,
        })
        .await?
    }

    /// Sends the command that `command` builds around a reply channel to
    /// the document's task, and waits for the reply.
    async fn ask<T>(
        &self,
        doc_id: &str,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, ProtocolError> {
        let (reply, wait) = oneshot::channel();
        self.send(doc_id, command(reply)).await?;
        wait.await.map_err(|_| task_failed(doc_id))
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

pub(crate) fn task_failed(doc_id: &str) -> ProtocolError {
    tracing::error!(doc_id, "document task ended without replying");
    ProtocolError::internal(format!(
        "the task of document {doc_id} failed; the request was not applied, retry it"
    ))
}
