//! The store thread: the one owner of the SQLite store while the server
//! runs, with group commit.
//!
//! Document tasks send their changes here and wait for the reply before
//! acknowledging a write. The thread takes every commit request that is
//! waiting when it starts a transaction and stores them all in that one
//! transaction, so concurrent writes to different documents share one fsync
//! instead of queueing behind each other's. SQLite calls block, which is why
//! this is a thread and not a tokio task.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;
use weft_engine::store::{LoggedWrite, Store, StoreWrite, StoredOverlap};

/// How many waiting commit requests one transaction takes at most.
const MAX_BATCH: usize = 256;

/// A store request failed; the message names the cause.
#[derive(Clone, Debug, thiserror::Error)]
#[error("store failed: {0}")]
pub struct StoreFailed(pub String);

enum Job {
    Commit {
        writes: Vec<StoreWrite>,
        done: oneshot::Sender<Result<(), StoreFailed>>,
    },
    Load {
        doc_id: String,
        reply: oneshot::Sender<Result<Option<Vec<u8>>, StoreFailed>>,
    },
    WriteReply {
        write_id: String,
        reply: oneshot::Sender<Result<Option<String>, StoreFailed>>,
    },
    Compact {
        doc_id: String,
        bytes: Vec<u8>,
    },
    Overlaps {
        doc_id: Option<String>,
        reply: oneshot::Sender<Result<Vec<StoredOverlap>, StoreFailed>>,
    },
    Overlap {
        id: String,
        reply: oneshot::Sender<Result<Option<StoredOverlap>, StoreFailed>>,
    },
    WritesSince {
        seq: u64,
        reply: oneshot::Sender<Result<Vec<LoggedWrite>, StoreFailed>>,
    },
}

/// A cloneable handle to the store thread. The thread stops, after storing
/// everything sent to it, when the last handle is dropped.
#[derive(Clone)]
pub struct StoreHandle {
    jobs: mpsc::Sender<Job>,
    /// The workspace sequence number of the last write handed out.
    seq: Arc<AtomicU64>,
}

impl StoreHandle {
    /// Starts the store thread, which owns `store` from now on.
    pub fn spawn(store: Store) -> std::io::Result<(StoreHandle, JoinHandle<()>)> {
        let last_seq = store.last_seq().map_err(std::io::Error::other)?;
        let seq = Arc::new(AtomicU64::new(last_seq));
        let (jobs, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("weft-store".into())
            .spawn(move || run(store, receiver))?;
        Ok((StoreHandle { jobs, seq }, thread))
    }

    /// Hands out the next workspace sequence number, for a write that
    /// changes a file. Numbers are handed out in the order writes are
    /// applied; writes to different files may reach the store in another
    /// order, which only matters between writes that were concurrent.
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The workspace sequence number of the last write handed out.
    pub fn current_seq(&self) -> u64 {
        self.seq.load(Ordering::SeqCst)
    }

    /// Stores `writes` durably, in one transaction with whatever other
    /// commits are waiting.
    pub async fn commit(&self, writes: Vec<StoreWrite>) -> Result<(), StoreFailed> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Commit { writes, done })?;
        wait.await.map_err(|_| stopped())?
    }

    /// Reads a document's stored bytes.
    pub async fn load(&self, doc_id: &str) -> Result<Option<Vec<u8>>, StoreFailed> {
        let (reply, wait) = oneshot::channel();
        self.send(Job::Load {
            doc_id: doc_id.to_owned(),
            reply,
        })?;
        wait.await.map_err(|_| stopped())?
    }

    /// Reads the recorded reply of a write id, if that write was applied.
    pub async fn write_reply(&self, write_id: &str) -> Result<Option<String>, StoreFailed> {
        let (reply, wait) = oneshot::channel();
        self.send(Job::WriteReply {
            write_id: write_id.to_owned(),
            reply,
        })?;
        wait.await.map_err(|_| stopped())?
    }

    /// Reads the overlaps of one document, or all of them, oldest first.
    pub async fn overlaps(&self, doc_id: Option<&str>) -> Result<Vec<StoredOverlap>, StoreFailed> {
        let (reply, wait) = oneshot::channel();
        self.send(Job::Overlaps {
            doc_id: doc_id.map(str::to_owned),
            reply,
        })?;
        wait.await.map_err(|_| stopped())?
    }

    /// Reads the logged writes numbered above `seq`.
    pub async fn writes_since(&self, seq: u64) -> Result<Vec<LoggedWrite>, StoreFailed> {
        let (reply, wait) = oneshot::channel();
        self.send(Job::WritesSince { seq, reply })?;
        wait.await.map_err(|_| stopped())?
    }

    /// Reads one overlap by id.
    pub async fn overlap(&self, id: &str) -> Result<Option<StoredOverlap>, StoreFailed> {
        let (reply, wait) = oneshot::channel();
        self.send(Job::Overlap {
            id: id.to_owned(),
            reply,
        })?;
        wait.await.map_err(|_| stopped())?
    }

    /// Replaces a document's chunks with one compacted save, in the
    /// background. A failure is logged; the chunks stay as they were.
    pub fn compact(&self, doc_id: &str, bytes: Vec<u8>) {
        let _ = self.send(Job::Compact {
            doc_id: doc_id.to_owned(),
            bytes,
        });
    }

    fn send(&self, job: Job) -> Result<(), StoreFailed> {
        self.jobs.send(job).map_err(|_| stopped())
    }
}

fn stopped() -> StoreFailed {
    StoreFailed("the store thread has stopped".into())
}

fn run(mut store: Store, jobs: mpsc::Receiver<Job>) {
    let mut pending = Vec::new();
    while let Ok(first) = jobs.recv() {
        pending.push(first);
        while pending.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => pending.push(job),
                Err(_) => break,
            }
        }

        // Jobs run in arrival order; runs of consecutive commits share one
        // transaction. Keeping the order matters: a compaction must not
        // overwrite a commit that arrived after it.
        let mut batch = Vec::new();
        let mut waiting = Vec::new();
        for job in pending.drain(..) {
            match job {
                Job::Commit { writes, done } => {
                    batch.extend(writes);
                    waiting.push(done);
                }
                Job::Load { doc_id, reply } => {
                    commit_batch(&mut store, &mut batch, &mut waiting);
                    let result = store
                        .load_document(&doc_id)
                        .map_err(|err| StoreFailed(err.to_string()));
                    let _ = reply.send(result);
                }
                Job::WriteReply { write_id, reply } => {
                    commit_batch(&mut store, &mut batch, &mut waiting);
                    let result = store
                        .write_reply(&write_id)
                        .map_err(|err| StoreFailed(err.to_string()));
                    let _ = reply.send(result);
                }
                Job::Overlaps { doc_id, reply } => {
                    commit_batch(&mut store, &mut batch, &mut waiting);
                    let result = store
                        .overlaps(doc_id.as_deref(), None)
                        .map_err(|err| StoreFailed(err.to_string()));
                    let _ = reply.send(result);
                }
                Job::WritesSince { seq, reply } => {
                    commit_batch(&mut store, &mut batch, &mut waiting);
                    let result = store
                        .writes_since(seq)
                        .map_err(|err| StoreFailed(err.to_string()));
                    let _ = reply.send(result);
                }
                Job::Overlap { id, reply } => {
                    commit_batch(&mut store, &mut batch, &mut waiting);
                    let result = store
                        .overlap(&id)
                        .map_err(|err| StoreFailed(err.to_string()));
                    let _ = reply.send(result);
                }
                Job::Compact { doc_id, bytes } => {
                    commit_batch(&mut store, &mut batch, &mut waiting);
                    if let Err(err) = store.replace_document(&doc_id, &bytes) {
                        tracing::warn!(doc_id, error = %err, "compacting a document failed");
                    }
                }
            }
        }
        commit_batch(&mut store, &mut batch, &mut waiting);
    }
    tracing::debug!("store thread stopped");
}

/// Commits the collected writes in one transaction and answers each waiting
/// request with the result.
fn commit_batch(
    store: &mut Store,
    batch: &mut Vec<StoreWrite>,
    waiting: &mut Vec<oneshot::Sender<Result<(), StoreFailed>>>,
) {
    if waiting.is_empty() {
        return;
    }
    let result = store.commit(batch).map_err(|err| {
        tracing::error!(error = %err, writes = batch.len(), "store commit failed");
        StoreFailed(err.to_string())
    });
    tracing::trace!(
        writes = batch.len(),
        requests = waiting.len(),
        "group commit"
    );
    for done in waiting.drain(..) {
        let _ = done.send(result.clone());
    }
    batch.clear();
}
