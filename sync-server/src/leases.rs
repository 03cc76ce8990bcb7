//! The server's leases: granting, renewing and releasing them durably,
//! reading them with their current lines, and announcing expiries.
//!
//! The [`LeaseBook`] sits behind an async mutex that is held across the
//! store commit of a change, so fencing numbers and stored records follow
//! one order. Whether a lease is live is read from its expiry and the
//! server's [`Clock`] each time. The announcer task only sends the
//! `lease_expired` event shortly after an expiry passes.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Mutex, Notify, watch};
use weft_engine::lease::{Lease, LeaseBook};
use weft_engine::merge::LineRange;
use weft_engine::store::StoreWrite;

use crate::clock::Clock;
use crate::documents::Documents;
use crate::events::{Concerns, Events};
use crate::protocol::ProtocolError;
use crate::store_thread::StoreHandle;

/// Maximum time to live of a lease, in seconds (one week).
pub const MAX_TTL_SECS: u64 = 7 * 24 * 3600;

/// Maximum number of live leases one agent may hold. Each lease can open an
/// overlap and send events, so an unbounded number would let one agent
/// flood every subscriber.
pub const MAX_LIVE_LEASES_PER_AGENT: usize = 256;

/// Time to live of a lease that does not ask for one, in seconds.
pub const DEFAULT_TTL_SECS: u64 = 30 * 60;

/// Maximum time the announcer sleeps before it looks for expiries again.
const ANNOUNCE_TICK: Duration = Duration::from_secs(1);

/// A grant request, after the handler checked and anchored its region.
pub struct GrantRequest {
    /// The holder.
    pub agent: String,
    /// The file's path.
    pub path: String,
    /// The file's document.
    pub doc_id: String,
    /// The leased lines, or `None` for the whole file.
    pub lines: Option<LineRange>,
    /// The cursors that anchor `lines`.
    pub anchors: Option<(String, String)>,
    /// The requested definition name, if any.
    pub symbol: Option<String>,
    /// The holder's intent.
    pub intent: String,
    /// Time to live in seconds.
    pub ttl_secs: u64,
}

/// A cloneable handle to the server's leases.
#[derive(Clone)]
pub struct Leases {
    book: Arc<Mutex<LeaseBook>>,
    clock: Clock,
    store: StoreHandle,
    events: Events,
    changed: Arc<Notify>,
}

impl Leases {
    /// Creates the handle over `leases`, as loaded from the store.
    pub fn new(leases: Vec<Lease>, clock: Clock, store: StoreHandle, events: Events) -> Leases {
        Leases {
            book: Arc::new(Mutex::new(LeaseBook::new(leases))),
            clock,
            store,
            events,
            changed: Arc::new(Notify::new()),
        }
    }

    /// Returns the server's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Grants a lease. Other agents' leases never block a grant: it fails
    /// only when the agent has too many live leases or the store fails.
    pub async fn grant(&self, request: GrantRequest) -> Result<Lease, ProtocolError> {
        let mut book = self.book.lock().await;
        let now = self.clock.now_ms();
        let held = book.live_count(&request.agent, now);
        if held >= MAX_LIVE_LEASES_PER_AGENT {
            tracing::warn!(agent = %request.agent, held, "lease rejected: too many live leases");
            return Err(ProtocolError::new(
                "invalid_request",
                format!(
                    "{} has {held} live leases, the maximum for one agent; release some (weft release ID) or let them expire",
                    request.agent
                ),
            ));
        }

        let ttl_ms = i64::try_from(request.ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let lease = Lease {
            id: format!("ls-{}", hex::encode(rand::random::<[u8; 6]>())),
            fence: book.next_fence(),
            agent: request.agent,
            path: request.path,
            doc_id: request.doc_id,
            lines: request.lines,
            anchors: request.anchors,
            symbol: request.symbol,
            intent: request.intent,
            granted_ms: now,
            expires_ms: now.saturating_add(ttl_ms),
            released: false,
        };

        self.store_lease(&lease).await?;
        book.put(lease.clone());
        drop(book);
        self.changed.notify_waiters();
        tracing::info!(agent = %lease.agent, path = %lease.path, lease = %lease.id, fence = lease.fence, "granted lease");
        Ok(lease)
    }

    /// Extends a live lease of `agent` to `ttl_secs` from now.
    pub async fn renew(
        &self,
        id: &str,
        agent: &str,
        ttl_secs: u64,
    ) -> Result<Lease, ProtocolError> {
        let mut book = self.book.lock().await;
        let now = self.clock.now_ms();
        let mut lease = held_lease(&book, id, agent, "renew")?;
        if !lease.is_live(now) {
            return Err(ProtocolError::field(
                "lease_lapsed",
                "lease",
                format!(
                    "lease {id} is {} and cannot be renewed; take a new lease, since another agent may hold the lines by now",
                    lease.state(now).as_str()
                ),
            ));
        }
        let ttl_ms = i64::try_from(ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        lease.expires_ms = now.saturating_add(ttl_ms);
        self.store_lease(&lease).await?;
        book.put(lease.clone());
        drop(book);
        self.changed.notify_waiters();
        tracing::info!(agent, lease = id, "renewed lease");
        Ok(lease)
    }

    /// Releases a lease of `agent`, and returns it with whether this call
    /// ended it. A lease that already ended is returned as it is.
    pub async fn release(&self, id: &str, agent: &str) -> Result<(Lease, bool), ProtocolError> {
        let mut book = self.book.lock().await;
        let now = self.clock.now_ms();
        let mut lease = held_lease(&book, id, agent, "release")?;
        if !lease.is_live(now) {
            return Ok((lease, false));
        }
        lease.released = true;
        self.store_lease(&lease).await?;
        book.put(lease.clone());
        drop(book);
        self.changed.notify_waiters();
        tracing::info!(agent, lease = id, "released lease");
        Ok((lease, true))
    }

    /// Returns every lease, oldest grant first.
    pub async fn all(&self) -> Vec<Lease> {
        self.book.lock().await.all().into_iter().cloned().collect()
    }

    /// Returns the leases live now on document `doc_id`, except those of
    /// `except_agent`.
    pub async fn live_on_doc(&self, doc_id: &str, except_agent: Option<&str>) -> Vec<Lease> {
        let now = self.clock.now_ms();
        self.book
            .lock()
            .await
            .live_on_doc(doc_id, except_agent, now)
    }

    /// Finds the lease granted with fencing number `fence`.
    pub async fn by_fence(&self, fence: u64) -> Option<Lease> {
        self.book.lock().await.by_fence(fence).cloned()
    }

    /// Releases every live lease on document `doc_id`, as when its file is
    /// deleted, and sends `lease_released` for each.
    pub async fn release_all_on_doc(&self, doc_id: &str) -> Result<(), ProtocolError> {
        let mut book = self.book.lock().await;
        let now = self.clock.now_ms();
        let ended: Vec<Lease> = book
            .live_on_doc(doc_id, None, now)
            .into_iter()
            .map(|lease| Lease {
                released: true,
                ..lease
            })
            .collect();
        if ended.is_empty() {
            return Ok(());
        }
        let write = StoreWrite {
            leases: ended.clone(),
            ..StoreWrite::default()
        };
        self.store
            .commit(vec![write])
            .await
            .map_err(|err| ProtocolError::internal(err.to_string()))?;
        for lease in ended {
            self.publish("lease_released", &lease, lease.lines);
            book.put(lease);
        }
        drop(book);
        self.changed.notify_waiters();
        Ok(())
    }

    /// Sends a lease event to the subscribers that want it.
    pub fn publish(&self, kind: &str, lease: &Lease, lines: Option<LineRange>) {
        let now = self.clock.now_ms();
        let concerns = Concerns {
            paths: vec![lease.path.as_str()],
            agents: vec![lease.agent.as_str()],
        };
        self.events.publish(
            kind,
            json!({ "lease": lease_json(lease, lines, now) }),
            &concerns,
        );
    }

    /// Starts the task that sends `lease_expired` shortly after each live
    /// lease's expiry passes, until `stop` turns true.
    pub fn spawn_announcer(
        &self,
        documents: Documents,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let leases = self.clone();
        tokio::spawn(async move {
            let now = leases.clock.now_ms();
            let mut announced: HashSet<String> = leases
                .all()
                .await
                .into_iter()
                .filter(|lease| !lease.is_live(now))
                .map(|lease| lease.id)
                .collect();
            loop {
                let now = leases.clock.now_ms();
                let mut due = Vec::new();
                let mut next: Option<i64> = None;
                for lease in leases.all().await {
                    if lease.released || announced.contains(&lease.id) {
                        continue;
                    }
                    if lease.expires_ms <= now {
                        due.push(lease);
                    } else {
                        next = Some(next.map_or(lease.expires_ms, |t| t.min(lease.expires_ms)));
                    }
                }
                if !due.is_empty() {
                    let lines = located(&documents, &due).await;
                    for (lease, lines) in due.iter().zip(lines) {
                        tracing::info!(agent = %lease.agent, lease = %lease.id, "lease expired");
                        leases.publish("lease_expired", lease, lines);
                        announced.insert(lease.id.clone());
                    }
                }
                let wait = next
                    .map(|at| Duration::from_millis(u64::try_from(at - now).unwrap_or(0)))
                    .unwrap_or(ANNOUNCE_TICK)
                    .min(ANNOUNCE_TICK);
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = leases.clock.moved() => {}
                    () = leases.changed.notified() => {}
                    _ = stop.wait_for(|stop| *stop) => return,
                }
            }
        })
    }

    async fn store_lease(&self, lease: &Lease) -> Result<(), ProtocolError> {
        let write = StoreWrite {
            leases: vec![lease.clone()],
            ..StoreWrite::default()
        };
        self.store
            .commit(vec![write])
            .await
            .map_err(|err| ProtocolError::internal(err.to_string()))
    }
}

/// Finds the lease `id` and checks that `agent` is its holder.
fn held_lease(book: &LeaseBook, id: &str, agent: &str, verb: &str) -> Result<Lease, ProtocolError> {
    let lease = book.get(id).ok_or_else(|| {
        ProtocolError::field(
            "not_found",
            "lease",
            format!("lease {id:?} not found; list leases with the leases request"),
        )
    })?;
    if lease.agent != agent {
        return Err(ProtocolError::field(
            "not_holder",
            "lease",
            format!(
                "lease {id} is held by {}, not {agent}; only the holder may {verb} it",
                lease.agent
            ),
        ));
    }
    Ok(lease.clone())
}

/// Finds the current lines of each lease: where its anchors are now, the
/// lines it was granted when they cannot be found, `None` for a whole-file
/// lease.
pub async fn located(documents: &Documents, leases: &[Lease]) -> Vec<Option<LineRange>> {
    let mut found: Vec<Option<LineRange>> = leases.iter().map(|lease| lease.lines).collect();
    let mut by_doc: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, lease) in leases.iter().enumerate() {
        if lease.anchors.is_some() {
            by_doc.entry(&lease.doc_id).or_default().push(index);
        }
    }
    for (doc_id, indices) in by_doc {
        let anchors = indices
            .iter()
            .filter_map(|&index| leases[index].anchors.clone())
            .collect();
        match documents.locate(doc_id, anchors).await {
            Ok(lines) => {
                for (index, lines) in indices.into_iter().zip(lines) {
                    if let Some(lines) = lines {
                        found[index] = Some(lines);
                    }
                }
            }
            Err(err) => {
                tracing::warn!(doc_id, error = %err.message, "locating leased lines failed; showing the granted lines");
            }
        }
    }
    found
}

/// Formats a lease as the protocol shows it, with its current `lines`.
pub fn lease_json(lease: &Lease, lines: Option<LineRange>, now_ms: i64) -> Value {
    json!({
        "id": lease.id,
        "agent": lease.agent,
        "path": lease.path,
        "lines": lines.map(|lines| json!({"start": lines.start, "end": lines.end})),
        "symbol": lease.symbol,
        "intent": lease.intent,
        "granted": lease.granted_ms,
        "expires": lease.expires_ms,
        "fence": lease.fence,
        "state": lease.state(now_ms).as_str(),
    })
}
