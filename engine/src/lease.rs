//! Leases: soft, visible claims that an agent is about to change a file or
//! some of its lines.
//!
//! A lease blocks no writer. It names its holder, the file, an optional line
//! range (anchored in the text with Automerge cursors, see
//! [`crate::document::FileDoc::anchor_lines`]), an intent text and an
//! expiry. Whether a lease is live is decided when it is read, from the
//! clock the caller passes, so correctness needs no timer. Every grant gets
//! a fencing number one above the previous grant in the workspace. The
//! numbers of one file therefore grow with every grant on it, through
//! renames, deletes and re-creations, so a writer can tell whether a later
//! lease superseded its own.
//!
//! [`LeaseBook`] holds the leases of a workspace in memory; the store keeps
//! each one as JSON (see [`crate::store`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::merge::LineRange;

/// One lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The lease's id, such as `ls-8c1e2f90a4b7`.
    pub id: String,
    /// The holder.
    pub agent: String,
    /// The file's path when the lease was granted.
    pub path: String,
    /// The file's document.
    pub doc_id: String,
    /// The leased lines when granted (1-based, inclusive), or `None` for
    /// the whole file.
    pub lines: Option<LineRange>,
    /// Cursors on the first and last leased character, so the range can be
    /// found again after edits.
    pub anchors: Option<(String, String)>,
    /// The definition name the lease was requested for, if any.
    pub symbol: Option<String>,
    /// The holder's stated intent.
    pub intent: String,
    /// When it was granted, in milliseconds since the Unix epoch.
    pub granted_ms: i64,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_ms: i64,
    /// The fencing number: one above the previous grant in the workspace.
    pub fence: u64,
    /// Whether the holder released it.
    pub released: bool,
}

/// The state of a lease at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// Granted, not released, and not yet expired.
    Live,
    /// Its expiry has passed.
    Expired,
    /// Its holder released it.
    Released,
}

impl LeaseState {
    /// Returns the state's name in the protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseState::Live => "live",
            LeaseState::Expired => "expired",
            LeaseState::Released => "released",
        }
    }
}

impl Lease {
    /// Returns the lease's state at `now_ms`.
    pub fn state(&self, now_ms: i64) -> LeaseState {
        if self.released {
            LeaseState::Released
        } else if now_ms >= self.expires_ms {
            LeaseState::Expired
        } else {
            LeaseState::Live
        }
    }

    /// Returns whether the lease is live at `now_ms`.
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.state(now_ms) == LeaseState::Live
    }
}

/// Returns whether two leased regions share a line. `None` is the whole
/// file.
pub fn regions_meet(a: Option<LineRange>, b: Option<LineRange>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.start <= b.end && b.start <= a.end,
        _ => true,
    }
}

/// Returns whether a change of `changed` lines (1-based, inclusive; an
/// insertion before line `k` is `k..=k-1`) falls inside `region` (`None`
/// is the whole file). An insertion counts when it lands between two leased lines.
pub fn change_inside(region: Option<LineRange>, changed: LineRange) -> bool {
    let Some(region) = region else {
        return true;
    };
    if changed.end < changed.start {
        region.start < changed.start && changed.start <= region.end
    } else {
        changed.start <= region.end && region.start <= changed.end
    }
}

/// The leases of a workspace, by id, with the last fencing number handed
/// out.
#[derive(Debug, Default)]
pub struct LeaseBook {
    leases: BTreeMap<String, Lease>,
    last_fence: u64,
}

impl LeaseBook {
    /// Creates a book of `leases`, as loaded from the store.
    pub fn new(leases: Vec<Lease>) -> LeaseBook {
        let mut book = LeaseBook::default();
        for lease in leases {
            book.put(lease);
        }
        book
    }

    /// Hands out the next fencing number.
    pub fn next_fence(&mut self) -> u64 {
        self.last_fence += 1;
        self.last_fence
    }

    /// Adds a lease or replaces the one with its id.
    pub fn put(&mut self, lease: Lease) {
        self.last_fence = self.last_fence.max(lease.fence);
        self.leases.insert(lease.id.clone(), lease);
    }

    /// Finds the lease with `id`.
    pub fn get(&self, id: &str) -> Option<&Lease> {
        self.leases.get(id)
    }

    /// Returns every lease, oldest grant first.
    pub fn all(&self) -> Vec<&Lease> {
        oldest_first(self.leases.values().collect())
    }

    /// Counts the leases of `agent` that are live at `now_ms`.
    pub fn live_count(&self, agent: &str, now_ms: i64) -> usize {
        self.leases
            .values()
            .filter(|lease| lease.agent == agent && lease.is_live(now_ms))
            .count()
    }

    /// Returns the leases live at `now_ms` on document `doc_id`, except
    /// those of `except_agent`, oldest first.
    pub fn live_on_doc(&self, doc_id: &str, except_agent: Option<&str>, now_ms: i64) -> Vec<Lease> {
        // Filtered before sorting: the book keeps every lease ever granted,
        // and a write asks for the live ones of its file.
        let live = self
            .leases
            .values()
            .filter(|lease| lease.doc_id == doc_id && lease.is_live(now_ms))
            .filter(|lease| except_agent != Some(lease.agent.as_str()))
            .collect();
        oldest_first(live).into_iter().cloned().collect()
    }

    /// Finds the lease granted with fencing number `fence`.
    pub fn by_fence(&self, fence: u64) -> Option<&Lease> {
        self.leases.values().find(|lease| lease.fence == fence)
    }
}

/// Sorts leases by grant time, then id.
fn oldest_first(mut leases: Vec<&Lease>) -> Vec<&Lease> {
    leases.sort_by(|a, b| (a.granted_ms, &a.id).cmp(&(b.granted_ms, &b.id)));
    leases
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(id: &str, path: &str, fence: u64, expires_ms: i64) -> Lease {
        Lease {
            id: id.to_owned(),
            agent: "agent-a".to_owned(),
            path: path.to_owned(),
            doc_id: format!("doc-{path}"),
            lines: Some(LineRange { start: 10, end: 40 }),
            anchors: None,
            symbol: None,
            intent: "split".to_owned(),
            granted_ms: 0,
            expires_ms,
            fence,
            released: false,
        }
    }

    #[test]
    fn expiry_is_decided_when_read() {
        let mut held = lease("ls-1", "src/lib.rs", 1, 30_000);
        assert_eq!(held.state(29_999), LeaseState::Live);
        assert_eq!(held.state(30_000), LeaseState::Expired);
        held.released = true;
        assert_eq!(held.state(0), LeaseState::Released);
    }

    #[test]
    fn fences_grow_and_survive_reload() {
        let mut book = LeaseBook::new(vec![lease("ls-1", "a.rs", 4, 1)]);
        assert_eq!(book.next_fence(), 5);
        assert_eq!(book.next_fence(), 6);
        assert_eq!(book.by_fence(4).map(|l| l.id.as_str()), Some("ls-1"));
    }

    #[test]
    fn live_on_doc_skips_expired_and_own_leases() {
        let mut other = lease("ls-2", "a.rs", 2, 100);
        other.agent = "agent-b".to_owned();
        let book = LeaseBook::new(vec![lease("ls-1", "a.rs", 1, 100), other]);
        let live = book.live_on_doc("doc-a.rs", Some("agent-a"), 50);
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].id, "ls-2");
        assert!(book.live_on_doc("doc-a.rs", None, 100).is_empty());
    }

    #[test]
    fn changes_inside_a_region() {
        let region = Some(LineRange { start: 10, end: 12 });
        assert!(change_inside(region, LineRange { start: 12, end: 13 }));
        assert!(!change_inside(region, LineRange { start: 13, end: 20 }));
        // Inserting lines between lines 10 and 11 lands inside.
        assert!(change_inside(region, LineRange { start: 11, end: 10 }));
        // Inserting above the first leased line does not.
        assert!(!change_inside(region, LineRange { start: 10, end: 9 }));
        assert!(change_inside(None, LineRange { start: 1, end: 1 }));
        assert!(regions_meet(region, Some(LineRange { start: 1, end: 10 })));
        assert!(!regions_meet(
            region,
            Some(LineRange { start: 13, end: 14 })
        ));
    }
}
