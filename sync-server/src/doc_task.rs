//! A document task's loop: loading its document, handling one command at
//! a time, leaving memory when idle, and failing the queued commands when
//! the store fails. Writes, previews and acknowledgements are in
//! [`crate::doc_write`], the lease work in [`crate::doc_leases`].

use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use weft_engine::document::{DocumentError, FileDoc};

use crate::doc_leases;
use crate::documents::{Command, ReadResult, Registry};
use crate::events::Events;
use crate::leases::Leases;
use crate::protocol::ProtocolError;
use crate::store_thread::StoreHandle;

pub(crate) struct DocTask {
    pub(crate) generation: u64,
    pub(crate) doc_id: String,
    pub(crate) store: StoreHandle,
    pub(crate) registry: Registry,
    pub(crate) idle: Duration,
    pub(crate) writes_since_compaction: usize,
    pub(crate) leases: Leases,
    pub(crate) events: Events,
}

impl DocTask {
    pub(crate) async fn run(mut self, mut receiver: mpsc::Receiver<Command>) {
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
