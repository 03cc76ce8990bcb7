//! Overlap reports for a write: where the write and concurrent changes by
//! other agents touched the same base lines, or replaced the same bytes.

use serde_json::{Value, json};
use weft_engine::document::WriteOutcome;
use weft_engine::path::WorkspacePath;

/// The overlaps a write opened, as protocol objects. Conflicts between the
/// write and changes by the same agent (another session of it) are merged
/// the same way but not reported: an overlap is between two agents.
pub fn overlaps_of(path: &WorkspacePath, writer: &str, outcome: &WriteOutcome) -> Vec<Value> {
    if outcome.concurrent_agents.is_empty() {
        return Vec::new();
    }
    let mut agents = outcome.concurrent_agents.clone();
    agents.push(writer.to_owned());

    let mut overlaps: Vec<Value> = outcome
        .conflicts
        .iter()
        .map(|conflict| {
            json!({
                "id": new_overlap_id(),
                "kind": "same-lines",
                "severity": "high",
                "path": path.as_str(),
                "agents": agents,
                "base_lines": {"start": conflict.base_lines.start, "end": conflict.base_lines.end},
                "current": conflict.current_hunk,
                "incoming": conflict.incoming_hunk,
            })
        })
        .collect();
    if outcome.replaced_unseen_bytes {
        overlaps.push(json!({
            "id": new_overlap_id(),
            "kind": "binary",
            "severity": "high",
            "path": path.as_str(),
            "agents": agents,
            "message": "both agents wrote this bytes file; the last write replaced the other",
        }));
    }
    overlaps
}

fn new_overlap_id() -> String {
    format!("ov-{}", hex::encode(rand::random::<[u8; 6]>()))
}
