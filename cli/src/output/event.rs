//! The text form of events, one line each, as `weft watch` prints them
//! without `--json`.

use serde::Deserialize as _;
use serde_json::Value;

use crate::client::{EventBody, Lease, Overlap};

use super::{lease_span, rfc3339_utc};

/// Maximum number of line ranges a `file_changed` line lists. A write that
/// changes every other line of a large file would otherwise print one very
/// long line.
pub const MAX_LISTED_RANGES: usize = 20;

/// Formats an event on one line, such as
///
/// ```text
/// file_changed src/a.rs by agent-b lines 3-5,9
/// lease_granted ls-8c1e2f90a4b7 agent-a src/db.rs lines 40-120 "split query builder" until 08:30:00Z
/// overlap_opened ov-51d2 lease (medium) src/db.rs agent-a,agent-b
/// ```
///
/// An event of a kind this client does not know, or one that lacks a
/// field it needs, is printed as its kind and its JSON.
pub fn event_line(event: &Value) -> String {
    let kind = event
        .get("event")
        .and_then(Value::as_str)
        .unwrap_or("(no event field)");
    let body = match EventBody::deserialize(event) {
        Ok(body) => body,
        Err(error) => {
            tracing::debug!(%error, "event does not match the protocol");
            EventBody::Unknown
        }
    };
    match body {
        EventBody::FileChanged { agent, path, lines } => {
            let mut text = format!("{kind} {path} by {agent}");
            let ranges = changed_ranges(&lines);
            if !ranges.is_empty() {
                text.push(' ');
                text.push_str(&ranges);
            }
            text
        }
        EventBody::FileAdded { agent, path } | EventBody::FileDeleted { agent, path } => {
            format!("{kind} {path} by {agent}")
        }
        EventBody::FileRenamed { agent, from, to } => format!("{kind} {from} -> {to} by {agent}"),
        EventBody::LeaseGranted { lease } | EventBody::LeaseRenewed { lease } => {
            lease_event(kind, &lease, true)
        }
        EventBody::LeaseReleased { lease } | EventBody::LeaseExpired { lease } => {
            lease_event(kind, &lease, false)
        }
        EventBody::OverlapOpened { overlap }
        | EventBody::OverlapAcknowledged { overlap }
        | EventBody::OverlapResolved { overlap } => overlap_event(kind, &overlap),
        EventBody::Lagged { message, queue } => {
            let mut text = format!("{kind}: {message}");
            if let Some(queue) = queue {
                text.push_str(&format!(" (queue of {queue} events)"));
            }
            text
        }
        EventBody::Unknown => format!("{kind} {event}"),
    }
}

/// Formats `lines 3-5,9`, then `removed before 12` for ranges where lines
/// were only removed (`end` is `start - 1`), and at most
/// [`MAX_LISTED_RANGES`] ranges in all, then how many more there are.
fn changed_ranges(lines: &[[u64; 2]]) -> String {
    let mut changed = Vec::new();
    let mut removed = Vec::new();
    for &[start, end] in lines.iter().take(MAX_LISTED_RANGES) {
        if end < start {
            removed.push(start.to_string());
        } else if end == start {
            changed.push(start.to_string());
        } else {
            changed.push(format!("{start}-{end}"));
        }
    }
    let mut parts = Vec::new();
    if !changed.is_empty() {
        parts.push(format!("lines {}", changed.join(",")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed before {}", removed.join(",")));
    }
    if lines.len() > MAX_LISTED_RANGES {
        parts.push(format!(
            "and {} more ranges",
            lines.len() - MAX_LISTED_RANGES
        ));
    }
    parts.join(" ")
}

/// Formats `KIND ID AGENT PATH SPAN "INTENT"`, with `until TIME` when
/// `with_expiry` is set.
fn lease_event(kind: &str, lease: &Lease, with_expiry: bool) -> String {
    let mut text = format!(
        "{kind} {} {} {} {} {:?}",
        lease.id,
        lease.agent,
        lease.path,
        lease_span(lease),
        lease.intent
    );
    if let (true, Some(expires)) = (with_expiry, lease.expires) {
        text.push_str(&format!(" until {}", rfc3339_utc(expires)));
    }
    text
}

/// Formats `KIND ID OVERLAP_KIND (SEVERITY) PATH AGENTS`.
fn overlap_event(kind: &str, overlap: &Overlap) -> String {
    let id = overlap.id.as_deref().unwrap_or("(no id)");
    let path = overlap.path.as_deref().unwrap_or("(unknown path)");
    format!(
        "{kind} {id} {} ({}) {path} {}",
        overlap.kind,
        overlap.severity,
        overlap.agents.join(",")
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TIME: i64 = 1_700_000_000_000;

    fn lease_record() -> Value {
        json!({
            "id": "ls-8c1e2f90a4b7", "agent": "agent-a", "path": "src/db.rs",
            "lines": {"start": 40, "end": 120}, "intent": "split query builder",
            "granted": TIME, "expires": TIME + 1_800_000, "fence": 3, "state": "live"
        })
    }

    #[test]
    fn file_changed_lists_ranges() {
        let event = json!({
            "event": "file_changed", "time": TIME, "agent": "agent-b", "path": "src/a.rs",
            "lines": [[3, 5], [9, 9], [12, 11]], "version": ["ab"], "seq": 7
        });
        assert_eq!(
            event_line(&event),
            "file_changed src/a.rs by agent-b lines 3-5,9 removed before 12"
        );
    }

    #[test]
    fn file_changed_caps_ranges() {
        let lines: Vec<[u64; 2]> = (0..1500)
            .map(|index| [index * 2 + 1, index * 2 + 1])
            .collect();
        let event = json!({
            "event": "file_changed", "time": TIME, "agent": "agent-b", "path": "big.txt",
            "lines": lines, "version": ["ab"], "seq": 7
        });
        let listed: Vec<String> = (0..20).map(|index| (index * 2 + 1).to_string()).collect();
        assert_eq!(
            event_line(&event),
            format!(
                "file_changed big.txt by agent-b lines {} and 1480 more ranges",
                listed.join(",")
            )
        );
    }

    #[test]
    fn file_changed_without_ranges() {
        let event = json!({
            "event": "file_changed", "time": TIME, "agent": "agent-b", "path": "a.txt", "lines": []
        });
        assert_eq!(event_line(&event), "file_changed a.txt by agent-b");
    }

    #[test]
    fn file_events() {
        let added =
            json!({"event": "file_added", "time": TIME, "agent": "agent-b", "path": "n.rs"});
        assert_eq!(event_line(&added), "file_added n.rs by agent-b");
        let deleted =
            json!({"event": "file_deleted", "time": TIME, "agent": "agent-b", "path": "o.rs"});
        assert_eq!(event_line(&deleted), "file_deleted o.rs by agent-b");
        let renamed = json!({
            "event": "file_renamed", "time": TIME, "agent": "agent-b", "from": "a.rs", "to": "b.rs"
        });
        assert_eq!(event_line(&renamed), "file_renamed a.rs -> b.rs by agent-b");
    }

    #[test]
    fn lease_events() {
        let granted = json!({"event": "lease_granted", "time": TIME, "lease": lease_record()});
        assert_eq!(
            event_line(&granted),
            "lease_granted ls-8c1e2f90a4b7 agent-a src/db.rs lines 40-120 \"split query builder\" until 2023-11-14T22:43:20Z"
        );
        let mut ended = lease_record();
        ended["state"] = json!("expired");
        ended["lines"] = Value::Null;
        let expired = json!({"event": "lease_expired", "time": TIME, "lease": ended});
        assert_eq!(
            event_line(&expired),
            "lease_expired ls-8c1e2f90a4b7 agent-a src/db.rs whole file \"split query builder\""
        );
    }

    #[test]
    fn overlap_event_names_kind_and_agents() {
        let event = json!({
            "event": "overlap_opened", "time": TIME,
            "overlap": {
                "id": "ov-51d2aa", "kind": "lease", "severity": "medium", "path": "src/db.rs",
                "agents": ["agent-a", "agent-b"], "state": "open", "base_lines": null,
                "current": null, "incoming": null
            }
        });
        assert_eq!(
            event_line(&event),
            "overlap_opened ov-51d2aa lease (medium) src/db.rs agent-a,agent-b"
        );
    }

    #[test]
    fn lagged_event() {
        let event = json!({
            "event": "lagged", "time": TIME, "message": "fell behind", "queue": 4
        });
        assert_eq!(
            event_line(&event),
            "lagged: fell behind (queue of 4 events)"
        );
    }

    #[test]
    fn unknown_or_malformed_event_prints_json() {
        let unknown = json!({"event": "workspace_moved", "time": TIME});
        assert_eq!(event_line(&unknown), format!("workspace_moved {unknown}"));
        let malformed = json!({"event": "file_added", "time": TIME});
        assert_eq!(event_line(&malformed), format!("file_added {malformed}"));
    }
}
