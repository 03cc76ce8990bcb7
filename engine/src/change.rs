//! The metadata weft records in every Automerge change.
//!
//! Automerge derives a fresh actor id for a transaction made at old heads,
//! and every connection writes with its own random actor, so the actor cannot
//! name the agent. Each change's message therefore carries a small JSON
//! object with the agent's name and the writer's message, and the change's
//! time is set explicitly (Automerge stores 0 otherwise).

use std::time::{SystemTime, UNIX_EPOCH};

use automerge::transaction::CommitOptions;
use serde::{Deserialize, Serialize};

/// Who made a change, why and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeMeta {
    /// The agent's name, as given in its hello.
    pub agent: String,
    /// The writer's description of the change; may be empty.
    #[serde(default)]
    pub message: String,
    /// Milliseconds since the Unix epoch.
    #[serde(skip)]
    pub time_ms: i64,
}

impl ChangeMeta {
    /// Metadata stamped with the current time.
    pub fn now(agent: &str, message: &str) -> ChangeMeta {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        ChangeMeta {
            agent: agent.to_owned(),
            message: message.to_owned(),
            time_ms,
        }
    }

    /// The commit options that record this metadata.
    pub fn commit_options(&self) -> CommitOptions {
        let message = serde_json::to_string(self).unwrap_or_else(|_| self.message.clone());
        CommitOptions::default()
            .with_message(message)
            .with_time(self.time_ms)
    }

    /// Reads metadata back from a change's message and time. A message that
    /// weft did not write is kept whole, with no agent.
    pub fn from_change(message: Option<&str>, time_ms: i64) -> ChangeMeta {
        let message = message.unwrap_or_default();
        match serde_json::from_str::<ChangeMeta>(message) {
            Ok(meta) => ChangeMeta { time_ms, ..meta },
            Err(_) => ChangeMeta {
                agent: String::new(),
                message: message.to_owned(),
                time_ms,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips_through_message() {
        let meta = ChangeMeta::now("agent-a", "split query builder");
        let message = serde_json::to_string(&meta).expect("plain struct serializes");
        let read = ChangeMeta::from_change(Some(&message), meta.time_ms);
        assert_eq!(read, meta);
    }

    #[test]
    fn foreign_message_is_kept() {
        let read = ChangeMeta::from_change(Some("initial commit"), 5);
        assert_eq!(read.agent, "");
        assert_eq!(read.message, "initial commit");
    }
}
