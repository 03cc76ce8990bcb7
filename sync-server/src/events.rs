//! Event fan-out: the subscribed connections and the events each of them
//! receives.
//!
//! Publishing never waits. Each subscriber has a bounded queue of encoded
//! events; [`Events::publish`] offers the event to every subscriber that
//! wants it with `try_send`. A subscriber whose queue is full is removed
//! and told through its lag signal, and its connection sends `lagged` and
//! closes (see [`crate::handler`]). A subscriber wants an event when one
//! of the event's paths matches its patterns, or when the event is about a
//! lease or an overlap of its own agent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use globset::{GlobBuilder, GlobMatcher};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

use crate::clock::Clock;
use crate::protocol::ProtocolError;

/// Maximum number of patterns in one subscription.
const MAX_PATTERNS: usize = 256;

/// The paths and agents an event concerns, which decide who receives it.
#[derive(Debug, Default)]
pub struct Concerns<'a> {
    /// Workspace paths the event is about.
    pub paths: Vec<&'a str>,
    /// Agents that receive the event whatever their patterns: the holder
    /// of a lease, the agents of an overlap.
    pub agents: Vec<&'a str>,
}

impl<'a> Concerns<'a> {
    /// Builds the concerns of a file event: its paths, and no agent beyond
    /// those whose patterns match.
    pub fn files(paths: &[&'a str]) -> Concerns<'a> {
        Concerns {
            paths: paths.to_vec(),
            agents: Vec::new(),
        }
    }
}

/// The paths a subscriber receives events for.
#[derive(Debug)]
pub struct PathFilter {
    patterns: Vec<String>,
    matchers: Vec<GlobMatcher>,
}

impl PathFilter {
    /// Compiles glob patterns; an empty list matches every path. A pattern
    /// without glob characters also matches everything under it.
    pub fn new(patterns: &[String]) -> Result<PathFilter, ProtocolError> {
        if patterns.len() > MAX_PATTERNS {
            return Err(ProtocolError::field(
                "invalid_request",
                "paths",
                format!(
                    "{} patterns given; subscribe with at most {MAX_PATTERNS}",
                    patterns.len()
                ),
            ));
        }
        let mut matchers = Vec::new();
        for pattern in patterns {
            // Workspace paths are relative and normalized, so `./src`
            // means `src`, and a pattern that leaves the root can never
            // match.
            let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
            let drive = trimmed.as_bytes().get(1) == Some(&b':');
            if trimmed.is_empty()
                || drive
                || trimmed.starts_with('/')
                || trimmed.contains(['\\', '\0'])
                || trimmed
                    .split('/')
                    .any(|part| part == ".." || part == "." || part.is_empty())
            {
                return Err(ProtocolError::field(
                    "invalid_request",
                    "paths",
                    format!(
                        "pattern {pattern:?} can never match a workspace path; use a relative pattern such as \"src/**\""
                    ),
                ));
            }
            let mut sources = vec![trimmed.to_owned()];
            if !trimmed.contains(['*', '?', '[', '{']) {
                sources.push(format!("{trimmed}/**"));
            }
            for source in sources {
                let glob = GlobBuilder::new(&source)
                    .literal_separator(true)
                    .build()
                    .map_err(|err| {
                        ProtocolError::field(
                            "invalid_request",
                            "paths",
                            format!("pattern {pattern:?} is not a valid glob ({err}); use *, ** and ? such as \"src/**/*.rs\""),
                        )
                    })?;
                matchers.push(glob.compile_matcher());
            }
        }
        Ok(PathFilter {
            patterns: patterns.to_vec(),
            matchers,
        })
    }

    /// Returns the patterns as given.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Returns whether `path` matches.
    pub fn matches(&self, path: &str) -> bool {
        self.matchers.is_empty() || self.matchers.iter().any(|matcher| matcher.is_match(path))
    }
}

struct Subscriber {
    id: u64,
    agent: String,
    filter: PathFilter,
    sender: mpsc::Sender<Arc<str>>,
    lagged: Arc<Notify>,
}

/// The next item a subscription delivers to its connection.
#[derive(Debug)]
pub enum Feed {
    /// An encoded event to send.
    Event(Arc<str>),
    /// The subscriber fell behind and was dropped: send `lagged` and close.
    Lagged,
}

/// A connection's end of a subscription.
pub struct Subscription {
    id: u64,
    receiver: mpsc::Receiver<Arc<str>>,
    lagged: Arc<Notify>,
}

impl Subscription {
    /// Waits for the next encoded event. Returns `None` once the publisher
    /// dropped the subscription and its queue is empty.
    pub async fn next(&mut self) -> Option<Arc<str>> {
        self.receiver.recv().await
    }

    /// Takes the next queued event, without waiting.
    pub fn try_next(&mut self) -> Option<Arc<str>> {
        self.receiver.try_recv().ok()
    }

    /// Completes when the subscriber fell behind and was dropped.
    pub async fn lagged(&self) {
        self.lagged.notified().await;
    }

    /// Waits for the next thing to do: send an event, or, once the
    /// subscriber fell behind, stop sending events at once.
    pub async fn feed(&mut self) -> Feed {
        let Subscription {
            receiver, lagged, ..
        } = self;
        tokio::select! {
            biased;
            () = lagged.notified() => Feed::Lagged,
            event = receiver.recv() => match event {
                Some(event) => Feed::Event(event),
                None => Feed::Lagged,
            },
        }
    }
}

/// The subscribers of a server, shared by every connection and task.
#[derive(Clone)]
pub struct Events {
    subscribers: Arc<Mutex<Vec<Subscriber>>>,
    next_id: Arc<AtomicU64>,
    queue: usize,
    clock: Clock,
}

impl Events {
    /// No subscribers yet; each gets a queue of `queue` events.
    pub fn new(queue: usize, clock: Clock) -> Events {
        Events {
            subscribers: Arc::default(),
            next_id: Arc::default(),
            queue: queue.max(1),
            clock,
        }
    }

    /// Returns whether any connection is subscribed, so that callers can
    /// skip building events that no connection receives.
    pub fn has_subscribers(&self) -> bool {
        self.subscribers
            .lock()
            .map(|subscribers| !subscribers.is_empty())
            .unwrap_or(false)
    }

    /// Returns the queue length of each subscriber.
    pub fn queue(&self) -> usize {
        self.queue
    }

    /// Adds a subscriber for `agent`, or replaces the filter of the
    /// subscription `current` while keeping its queue.
    pub fn subscribe(
        &self,
        agent: &str,
        filter: PathFilter,
        current: Option<&Subscription>,
    ) -> Option<Subscription> {
        let Ok(mut subscribers) = self.subscribers.lock() else {
            return None;
        };
        if let Some(current) = current
            && let Some(existing) = subscribers.iter_mut().find(|sub| sub.id == current.id)
        {
            existing.filter = filter;
            return None;
        }
        let (sender, receiver) = mpsc::channel(self.queue);
        let lagged = Arc::new(Notify::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        subscribers.push(Subscriber {
            id,
            agent: agent.to_owned(),
            filter,
            sender,
            lagged: Arc::clone(&lagged),
        });
        Some(Subscription {
            id,
            receiver,
            lagged,
        })
    }

    /// Removes a subscription.
    pub fn unsubscribe(&self, subscription: &Subscription) {
        if let Ok(mut subscribers) = self.subscribers.lock() {
            subscribers.retain(|sub| sub.id != subscription.id);
        }
    }

    /// Sends `event` (an object; `event` and `time` are added) to every
    /// subscriber that wants it, without waiting for any of them.
    pub fn publish(&self, kind: &str, mut event: Value, concerns: &Concerns<'_>) {
        let Ok(mut subscribers) = self.subscribers.lock() else {
            return;
        };
        if subscribers.is_empty() {
            return;
        }
        if let Some(fields) = event.as_object_mut() {
            fields.insert("event".into(), json!(kind));
            fields.insert("time".into(), json!(self.clock.now_ms()));
        }
        let encoded: Arc<str> = Arc::from(event.to_string());
        subscribers.retain(|sub| {
            let wanted = concerns.agents.contains(&sub.agent.as_str())
                || concerns.paths.iter().any(|path| sub.filter.matches(path));
            if !wanted {
                return !sub.sender.is_closed();
            }
            match sub.sender.try_send(Arc::clone(&encoded)) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(agent = %sub.agent, queue = self.queue, "a subscriber fell behind; disconnecting it");
                    sub.lagged.notify_one();
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
    }

    /// Encodes the `lagged` event sent before a lagging connection is
    /// closed.
    pub fn lagged_event(&self) -> String {
        json!({
            "event": "lagged",
            "time": self.clock.now_ms(),
            "queue": self.queue,
            "message": format!(
                "this connection fell more than {} events behind and is closed; reconnect, read the state you need (list, leases, overlaps) and subscribe again",
                self.queue
            ),
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(patterns: &[&str]) -> PathFilter {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        PathFilter::new(&patterns).expect("valid patterns")
    }

    #[test]
    fn path_filter_matches_globs() {
        assert!(filter(&[]).matches("any/path.rs"));
        let rust = filter(&["src/*.rs"]);
        assert!(rust.matches("src/lib.rs"));
        assert!(!rust.matches("src/a/lib.rs"));
        assert!(filter(&["src/**/*.rs"]).matches("src/a/b.rs"));
        let folder = filter(&["docs"]);
        assert!(folder.matches("docs"));
        assert!(folder.matches("docs/a/b.md"));
        assert!(!folder.matches("docs2/a.md"));
        assert!(PathFilter::new(&["src/[".to_owned()]).is_err());
        assert!(filter(&["./src"]).matches("src/a.rs"));
        for never in ["", "/abs", "../x", "src//x", ".", "src/.", "a\\b", "C:/x"] {
            assert!(PathFilter::new(&[never.to_owned()]).is_err(), "{never:?}");
        }
    }

    #[tokio::test]
    async fn publish_drops_full_subscriber() {
        let events = Events::new(2, Clock::new(false));
        let mut slow = events
            .subscribe("agent-a", filter(&[]), None)
            .expect("subscribed");
        let mut other = events
            .subscribe("agent-b", filter(&["src/**"]), None)
            .expect("subscribed");
        let concerns = Concerns {
            paths: vec!["src/a.rs"],
            agents: vec![],
        };
        for n in 0..3 {
            events.publish("file_changed", json!({"n": n}), &concerns);
            // The other subscriber keeps up.
            assert!(other.next().await.is_some());
        }
        slow.lagged().await;
        assert!(slow.next().await.is_some());
        assert!(slow.next().await.is_some());
        assert!(
            slow.next().await.is_none(),
            "dropped after its queue filled"
        );
    }

    #[tokio::test]
    async fn publish_reaches_own_agent() {
        let events = Events::new(8, Clock::new(false));
        let mut sub = events
            .subscribe("agent-a", filter(&["docs/**"]), None)
            .expect("subscribed");
        let concerns = Concerns {
            paths: vec!["src/a.rs"],
            agents: vec!["agent-a"],
        };
        events.publish("lease_granted", json!({}), &concerns);
        let event = sub.next().await.expect("delivered");
        assert!(event.contains("\"event\":\"lease_granted\""), "{event}");
    }
}
