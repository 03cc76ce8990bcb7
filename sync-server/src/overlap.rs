//! Overlap records: what a write reports where concurrent edits by
//! different agents may not fit together, how records are stored, and when
//! a later write resolves one.
//!
//! A record is a JSON object (see `docs/protocol.md`): id, kind, severity,
//! path, agents, base and merged line ranges, both sides' hunks, the
//! versions involved, and a state (`open`, `acknowledged` with a note, or
//! `resolved`). The store keeps the object whole.

use serde_json::{Value, json};
use weft_engine::change::ChangeMeta;
use weft_engine::document::FileDoc;
use weft_engine::merge::LineRange;
use weft_engine::overlap::TextOverlap;
use weft_engine::path::WorkspacePath;
use weft_engine::store::StoredOverlap;
use weft_engine::version::Version;

use crate::events::{Concerns, Events};

/// The write an overlap record is about.
pub struct WriteContext<'a> {
    /// The file's document.
    pub doc_id: &'a str,
    /// The file's path.
    pub path: &'a WorkspacePath,
    /// The writing agent.
    pub writer: &'a str,
    /// The version the writer started from.
    pub base: &'a Version,
    /// The document's version just before the write.
    pub previous: &'a Version,
    /// The document's version after the write.
    pub result: &'a Version,
}

impl WriteContext<'_> {
    fn record(&self, agents: &[String], fields: Value) -> Value {
        let mut record = json!({
            "id": new_overlap_id(),
            "path": self.path.as_str(),
            "agents": agents,
            "versions": {
                "base": self.base.to_hex(),
                "current": self.previous.to_hex(),
                "result": self.result.to_hex(),
            },
            "state": "open",
            "note": null,
            "created": ChangeMeta::now("", "").time_ms,
        });
        if let (Some(record), Value::Object(fields)) = (record.as_object_mut(), fields) {
            record.extend(fields);
        }
        record
    }

    /// Builds the records of the text overlaps a write found, and of a bytes file
    /// replaced unseen. Overlaps with changes of the writer's own earlier
    /// sessions are merged the same way but not reported: an overlap is
    /// between two agents.
    ///
    /// Each overlap names the agents whose concurrent changes wrote its
    /// current side (`overlap_agents`, parallel to `overlaps`), or every
    /// concurrent agent where none of their characters remain (a
    /// deletion), then the writer.
    pub fn opened(
        &self,
        overlaps: &[TextOverlap],
        overlap_agents: &[Vec<String>],
        concurrent_agents: &[String],
        replaced_unseen_bytes: bool,
    ) -> Vec<Value> {
        if concurrent_agents.is_empty() {
            return Vec::new();
        }
        let mut agents = concurrent_agents.to_vec();
        agents.push(self.writer.to_owned());

        let mut records: Vec<Value> = overlaps
            .iter()
            .enumerate()
            .map(|(index, overlap)| {
                let agents = match overlap_agents.get(index) {
                    Some(authors) if !authors.is_empty() => {
                        let mut agents = authors.clone();
                        agents.push(self.writer.to_owned());
                        agents
                    }
                    _ => agents.clone(),
                };
                self.record(
                    &agents,
                    json!({
                        "kind": overlap.kind.as_str(),
                        "severity": overlap.severity.as_str(),
                        "base_lines": lines(overlap.base_lines),
                        "merged_lines": lines(overlap.merged_lines),
                        "current": overlap.current_hunk,
                        "incoming": overlap.incoming_hunk,
                    }),
                )
            })
            .collect();
        if replaced_unseen_bytes {
            records.push(self.record(
                &agents,
                json!({
                    "kind": "binary",
                    "severity": "high",
                    "message": "both agents wrote this bytes file; the last write replaced the other",
                }),
            ));
        }
        records
    }

    /// Builds the record of an edit to a file that `other` deleted or renamed
    /// away since the writer's base: the file is kept with the edit.
    pub fn delete_edit(&self, other: &str, message: &str) -> Value {
        self.file_level(&[other.to_owned()], message)
    }

    /// Builds the `definition-use` record between this write and `other`'s
    /// concurrent write to `other_path`.
    pub fn cross_file(&self, other: &str, other_path: &str, message: &str) -> Value {
        let agents = [other.to_owned(), self.writer.to_owned()];
        self.record(
            &agents,
            json!({
                "kind": "definition-use",
                "severity": "medium",
                "other_path": other_path,
                "message": message,
            }),
        )
    }

    /// Builds the `lease` record of a write inside `holder`'s live lease:
    /// `lease` is the lease as the protocol shows it, `merged_lines` the
    /// leased lines in the result.
    pub fn lease(
        &self,
        holder: &str,
        lease: Value,
        merged_lines: Option<LineRange>,
        message: &str,
    ) -> Value {
        let agents = [holder.to_owned(), self.writer.to_owned()];
        let mut fields = json!({
            "kind": "lease",
            "severity": "medium",
            "lease": lease,
            "message": message,
        });
        if let Some(range) = merged_lines {
            fields["merged_lines"] = lines(range);
        }
        self.record(&agents, fields)
    }

    /// Builds the `delete-edit` record of a file-level overlap between `others`
    /// and the writer.
    pub fn file_level(&self, others: &[String], message: &str) -> Value {
        let mut agents = others.to_vec();
        agents.push(self.writer.to_owned());
        self.record(
            &agents,
            json!({"kind": "delete-edit", "severity": "high", "message": message}),
        )
    }
}

fn lines(range: LineRange) -> Value {
    json!({"start": range.start, "end": range.end})
}

fn new_overlap_id() -> String {
    format!("ov-{}", hex::encode(rand::random::<[u8; 6]>()))
}

/// Sends an overlap event (`overlap_opened`, `overlap_acknowledged` or
/// `overlap_resolved`) to the subscribers of its paths and its agents.
pub fn publish(events: &Events, kind: &str, record: &Value) {
    let mut paths = vec![text_field(record, "path")];
    if let Some(other) = record.get("other_path").and_then(Value::as_str) {
        paths.push(other);
    }
    let agents: Vec<&str> = record
        .get("agents")
        .and_then(Value::as_array)
        .map(|agents| agents.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    events.publish(
        kind,
        json!({ "overlap": record }),
        &Concerns { paths, agents },
    );
}

/// Builds the store row of a record.
pub fn stored(doc_id: &str, record: &Value) -> StoredOverlap {
    StoredOverlap {
        id: text_field(record, "id").to_owned(),
        doc_id: doc_id.to_owned(),
        state: text_field(record, "state").to_owned(),
        created_ms: record.get("created").and_then(Value::as_i64).unwrap_or(0),
        record: record.to_string(),
    }
}

/// Parses a store row into its record; a damaged row is logged and
/// skipped.
pub fn parse(stored: &StoredOverlap) -> Option<Value> {
    match serde_json::from_str::<Value>(&stored.record) {
        Ok(mut record) => {
            record["state"] = json!(stored.state);
            Some(record)
        }
        Err(err) => {
            tracing::warn!(id = %stored.id, error = %err, "skipping a damaged overlap record");
            None
        }
    }
}

/// Returns whether `agent` is one of the record's agents.
pub fn involves(record: &Value, agent: &str) -> bool {
    record
        .get("agents")
        .and_then(Value::as_array)
        .is_some_and(|agents| agents.iter().any(|name| name == agent))
}

/// Returns whether a write by `writer`, based on `base` and changing
/// `changed` lines of the text before it, resolves the record. It does
/// when the writer is one of its agents, its base includes the merged
/// result (so the writer saw it), and it changes lines of the merged
/// region.
pub fn resolves(
    record: &Value,
    writer: &str,
    doc: &FileDoc,
    base: &Version,
    previous: &Version,
    changed: &[LineRange],
) -> bool {
    let open = matches!(text_field(record, "state"), "open" | "acknowledged");
    if !open || !involves(record, writer) {
        return false;
    }
    let Some(result) = record
        .pointer("/versions/result")
        .and_then(Value::as_array)
        .and_then(|hashes| {
            let hashes: Vec<&str> = hashes.iter().filter_map(Value::as_str).collect();
            Version::parse(&hashes).ok()
        })
    else {
        return false;
    };
    if !doc.includes(base, &result) {
        return false;
    }
    let Some(region) = record.get("merged_lines") else {
        // File-level overlaps (binary, delete-edit) are resolved by any
        // later write of the file that saw the result.
        return !changed.is_empty();
    };

    // The region's lines in the text before this write: where its anchors
    // moved with later edits, or the lines as first reported.
    let anchored = record
        .get("anchors")
        .and_then(Value::as_array)
        .and_then(|anchors| Some((anchors.first()?.as_str()?, anchors.get(1)?.as_str()?)))
        .and_then(|anchors| doc.anchored_lines(anchors, previous));
    let (start, end) = match anchored {
        Some(lines) => (lines.start, lines.end),
        None => (
            region.get("start").and_then(Value::as_u64).unwrap_or(0) as usize,
            region.get("end").and_then(Value::as_u64).unwrap_or(0) as usize,
        ),
    };
    // An empty range (an insertion point) counts as its one line, so a
    // write at the point of a same-point insertion touches it.
    let region_end = end.max(start);
    changed
        .iter()
        .any(|range| range.start <= region_end && start <= range.end.max(range.start))
}

fn text_field<'a>(record: &'a Value, field: &str) -> &'a str {
    record
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
}
