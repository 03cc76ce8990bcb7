//! The write-side requests of a document task: write, preview and
//! acknowledging an overlap.
//!
//! A write checks its write id, merges through the engine, builds the
//! records of the overlaps it opened and marks the ones it resolved, and
//! stores the change, the write record and the overlap updates in one
//! transaction before it replies.

use serde_json::{Map, Value, json};
use weft_engine::content::FileContent;
use weft_engine::diff::changed_lines;
use weft_engine::document::FileDoc;
use weft_engine::lease::Lease;
use weft_engine::merge::LineRange;
use weft_engine::path::WorkspacePath;
use weft_engine::store::{LoggedWrite, StoreWrite};
use weft_engine::version::Version;

use crate::cross_file;
use crate::doc_leases;
use crate::documents::{DocTask, Edit, WriteJob, document_error};
use crate::events::Concerns;
use crate::overlap::{self, WriteContext};
use crate::protocol::{ProtocolError, content_fields};

/// Writes after which a document's stored chunks are compacted into one.
const COMPACT_AFTER: usize = 200;

impl DocTask {
    /// Applies a write; returns the reply and whether the store kept up.
    pub(crate) async fn write(
        &mut self,
        doc: &mut FileDoc,
        job: WriteJob,
    ) -> (Result<Map<String, Value>, ProtocolError>, bool) {
        let record_key = job
            .write_id
            .as_deref()
            .map(|write_id| write_record_key(&self.doc_id, &job.meta.agent, write_id));
        if let Some(key) = &record_key {
            match self.store.write_reply(key).await {
                Ok(Some(recorded)) => {
                    let result =
                        serde_json::from_str::<Map<String, Value>>(&recorded).map_err(|err| {
                            ProtocolError::internal(format!("recorded reply is damaged: {err}"))
                        });
                    return (result, true);
                }
                Ok(None) => {}
                Err(err) => return (Err(ProtocolError::internal(err.to_string())), true),
            }
        }

        // The overlaps that this write may resolve, read before it changes
        // anything.
        let earlier = match self.store.overlaps(Some(&self.doc_id)).await {
            Ok(stored) => stored.iter().filter_map(overlap::parse).collect::<Vec<_>>(),
            Err(err) => return (Err(ProtocolError::internal(err.to_string())), true),
        };
        let previous = doc.version();
        let previous_content = doc.content();

        let outcome = match &job.edit {
            Edit::Whole(content) => doc.write(
                job.path.as_str(),
                &job.base,
                content,
                job.actor.clone(),
                &job.meta,
            ),
            Edit::Splice(edit) => doc.splice(
                job.path.as_str(),
                &job.base,
                edit,
                job.actor.clone(),
                &job.meta,
            ),
        };
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(err) => return (Err(document_error(err)), true),
        };

        let context = WriteContext {
            doc_id: &self.doc_id,
            path: &job.path,
            writer: &job.meta.agent,
            base: &job.base,
            previous: &previous,
            result: &outcome.version,
        };
        let mut opened = context.opened(
            &outcome.overlaps,
            &outcome.overlap_agents,
            &outcome.concurrent_agents,
            outcome.replaced_unseen_bytes,
        );
        if let Some((other, message)) = &job.file_overlap {
            opened.push(context.delete_edit(other, message));
        }
        let (changed, new_lines, summary) = match (&previous_content, &outcome.content) {
            (Ok(FileContent::Text { text: before, .. }), FileContent::Text { text: after, .. }) => {
                // The changed lines of the new text go only into the
                // file_changed event.
                let new_lines = if self.events.has_subscribers() {
                    changed_lines(after, before)
                } else {
                    Vec::new()
                };
                (
                    changed_lines(before, after),
                    new_lines,
                    cross_file::summarize(&job.path, before, after),
                )
            }
            _ => (Vec::new(), Vec::new(), json!({})),
        };
        // A file kept as bytes has no lines: a change to it, or one that
        // turns text into bytes or back, changes the whole file.
        let bytes_involved = matches!(previous_content, Ok(FileContent::Bytes(_)))
            || matches!(outcome.content, FileContent::Bytes(_));
        let leased_change = if bytes_involved && outcome.chunk.is_some() {
            vec![doc_leases::WHOLE_FILE]
        } else {
            changed.clone()
        };
        if !leased_change.is_empty() {
            let foreign = self
                .leases
                .live_on_doc(&self.doc_id, Some(&job.meta.agent))
                .await;
            let now = self.leases.clock().now_ms();
            opened.extend(doc_leases::lease_overlaps(
                doc,
                &context,
                &foreign,
                &leased_change,
                now,
            ));
        }
        if let (Some(since), Some(_)) = (job.since, &outcome.chunk) {
            match self.store.writes_since(since).await {
                Ok(unseen) => {
                    opened.extend(cross_file::definition_uses(&context, &summary, &unseen))
                }
                Err(err) => {
                    tracing::warn!(error = %err, "reading the write log failed; skipping cross-file overlaps")
                }
            }
        }
        let resolved: Vec<Value> = earlier
            .into_iter()
            .filter(|record| {
                overlap::resolves(record, &job.meta.agent, doc, &job.base, &previous, &changed)
            })
            .map(|mut record| {
                record["state"] = json!("resolved");
                record["resolved_by"] = json!(job.meta.agent);
                record
            })
            .collect();

        // A write that changed the file gets the next workspace sequence
        // number; the reply carries the number either way, so a client
        // knows which writes it has seen.
        let seq = match outcome.chunk {
            Some(_) => self.store.next_seq(),
            None => self.store.current_seq(),
        };
        let logged = outcome.chunk.as_ref().map(|_| LoggedWrite {
            seq,
            doc_id: self.doc_id.clone(),
            path: job.path.to_string(),
            agent: job.meta.agent.clone(),
            summary: summary.to_string(),
        });
        // Anchor each region in the merged text, so that a later write can
        // find it after others insert or delete lines above it.
        for record in &mut opened {
            let lines = record.get("merged_lines").and_then(|lines| {
                Some(LineRange {
                    start: usize::try_from(lines.get("start")?.as_u64()?).ok()?,
                    end: usize::try_from(lines.get("end")?.as_u64()?).ok()?,
                })
            });
            if let Some((start, end)) = lines.and_then(|lines| doc.anchor_lines(lines)) {
                record["anchors"] = json!([start, end]);
            }
        }
        let mut result = write_result(&job, &outcome.version, &outcome.content, &opened);
        result.insert("seq".into(), json!(seq));
        let write_record = record_key.map(|key| (key, Value::Object(result.clone()).to_string()));
        let overlap_rows: Vec<_> = opened
            .iter()
            .chain(&resolved)
            .map(|record| overlap::stored(&self.doc_id, record))
            .collect();
        if outcome.chunk.is_some() || write_record.is_some() || !overlap_rows.is_empty() {
            let writes = vec![StoreWrite {
                doc_id: self.doc_id.clone(),
                chunk: outcome.chunk.clone().unwrap_or_default(),
                write_record,
                overlaps: overlap_rows,
                logged,
                leases: Vec::new(),
            }];
            if let Err(err) = self.store.commit(writes).await {
                return (Err(ProtocolError::internal(err.to_string())), false);
            }
        }

        if outcome.chunk.is_some() {
            let lines: Vec<[usize; 2]> = new_lines
                .iter()
                .map(|range| [range.start, range.end])
                .collect();
            self.events.publish(
                "file_changed",
                json!({
                    "agent": job.meta.agent,
                    "path": job.path.as_str(),
                    "lines": lines,
                    "version": outcome.version.to_hex(),
                    "seq": seq,
                }),
                &Concerns::files(&[job.path.as_str()]),
            );
        }
        for record in &opened {
            overlap::publish(&self.events, "overlap_opened", record);
        }
        for record in &resolved {
            overlap::publish(&self.events, "overlap_resolved", record);
        }
        tracing::info!(
            agent = %job.meta.agent,
            path = %job.path,
            bytes = outcome.content.len(),
            overlaps = opened.len(),
            resolved = resolved.len(),
            changed = outcome.chunk.is_some(),
            "write"
        );
        if outcome.chunk.is_some() {
            self.writes_since_compaction += 1;
            if self.writes_since_compaction >= COMPACT_AFTER {
                self.store.compact(&self.doc_id, doc.save());
                self.writes_since_compaction = 0;
            }
        }
        (Ok(result), true)
    }

    /// Checks a delete based on `base`; see [`Documents::check_delete`].
    /// Returns the overlap (if any) and whether the store kept up.
    ///
    /// [`Documents::check_delete`]: crate::documents::Documents::check_delete
    pub(crate) async fn check_delete(
        &mut self,
        doc: &FileDoc,
        path: &WorkspacePath,
        base: &Version,
        agent: &str,
    ) -> (Result<Option<Value>, ProtocolError>, bool) {
        if !doc.has_version(base) {
            let err = weft_engine::document::DocumentError::UnknownVersion {
                version: base.clone(),
            };
            return (Err(document_error(err)), true);
        }
        let others = doc.concurrent_agents(base, agent);
        if others.is_empty() {
            return (Ok(None), true);
        }

        let version = doc.version();
        let context = WriteContext {
            doc_id: &self.doc_id,
            path,
            writer: agent,
            base,
            previous: &version,
            result: &version,
        };
        let message = format!(
            "{} changed {path} after {agent} read it; the delete was not applied and the file is kept",
            others.join(", ")
        );
        let record = context.file_level(&others, &message);
        let writes = vec![StoreWrite {
            doc_id: self.doc_id.clone(),
            chunk: Vec::new(),
            write_record: None,
            overlaps: vec![overlap::stored(&self.doc_id, &record)],
            logged: None,
            leases: Vec::new(),
        }];
        if let Err(err) = self.store.commit(writes).await {
            return (Err(ProtocolError::internal(err.to_string())), false);
        }
        overlap::publish(&self.events, "overlap_opened", &record);
        tracing::info!(agent, path = %path, "kept a file whose delete raced an edit");
        (Ok(Some(record)), true)
    }

    /// Marks an overlap of this document acknowledged with a note; returns
    /// the record and whether the store kept up.
    pub(crate) async fn ack(
        &mut self,
        overlap_id: &str,
        note: &str,
        agent: &str,
    ) -> (Result<Value, ProtocolError>, bool) {
        let stored = match self.store.overlap(overlap_id).await {
            Ok(Some(stored)) if stored.doc_id == self.doc_id => stored,
            Ok(_) => return (Err(unknown_overlap(overlap_id)), true),
            Err(err) => return (Err(ProtocolError::internal(err.to_string())), true),
        };
        let Some(mut record) = overlap::parse(&stored) else {
            return (
                Err(ProtocolError::internal("the overlap's record is damaged")),
                true,
            );
        };
        if stored.state == "resolved" {
            let message =
                format!("overlap {overlap_id} is already resolved; nothing to acknowledge");
            return (
                Err(ProtocolError::field("invalid_request", "overlap", message)),
                true,
            );
        }

        record["state"] = json!("acknowledged");
        record["note"] = json!(note);
        record["acknowledged_by"] = json!(agent);
        let writes = vec![StoreWrite {
            doc_id: self.doc_id.clone(),
            chunk: Vec::new(),
            write_record: None,
            overlaps: vec![overlap::stored(&self.doc_id, &record)],
            logged: None,
            leases: Vec::new(),
        }];
        if let Err(err) = self.store.commit(writes).await {
            return (Err(ProtocolError::internal(err.to_string())), false);
        }
        overlap::publish(&self.events, "overlap_acknowledged", &record);
        tracing::info!(agent, overlap = overlap_id, "acknowledged overlap");
        (Ok(record), true)
    }
}

/// Computes a write's merge and overlaps without writing anything;
/// `leases` are the live leases of other agents on the file.
pub(crate) fn preview(
    doc: &FileDoc,
    doc_id: &str,
    job: &WriteJob,
    leases: &[Lease],
    now_ms: i64,
) -> Result<Map<String, Value>, ProtocolError> {
    let Edit::Whole(content) = &job.edit else {
        return Err(ProtocolError::new(
            "invalid_request",
            "only whole-file writes can be previewed",
        ));
    };
    let planned = doc
        .preview(job.path.as_str(), &job.base, content, &job.meta.agent)
        .map_err(document_error)?;
    let previous = doc.version();
    let context = WriteContext {
        doc_id,
        path: &job.path,
        writer: &job.meta.agent,
        base: &job.base,
        previous: &previous,
        result: &previous,
    };
    let mut overlaps = context.opened(
        &planned.overlaps,
        &planned.overlap_agents,
        &planned.concurrent_agents,
        planned.replaced_unseen_bytes,
    );
    if let (Ok(FileContent::Text { text: before, .. }), FileContent::Text { text: after, .. }) =
        (doc.content(), &planned.content)
    {
        let changed = changed_lines(&before, after);
        if !changed.is_empty() {
            overlaps.extend(doc_leases::lease_overlaps(
                doc, &context, leases, &changed, now_ms,
            ));
        }
    }
    for record in &mut overlaps {
        if let Some(record) = record.as_object_mut() {
            record.remove("id");
            record.remove("versions");
            record.insert("state".into(), json!("preview"));
        }
    }
    Ok(write_result(job, &previous, &planned.content, &overlaps))
}

fn unknown_overlap(id: &str) -> ProtocolError {
    ProtocolError::field(
        "not_found",
        "overlap",
        format!("overlap {id:?} not found; list overlaps with the overlaps request"),
    )
}

/// Builds the store key of a write id. Clients pick write ids, so two
/// agents, or one agent on two files, may send the same id for different
/// writes. The key therefore contains the document and the agent too, and
/// only a retry of the same write matches it.
pub fn write_record_key(doc_id: &str, agent: &str, write_id: &str) -> String {
    json!([doc_id, agent, write_id]).to_string()
}

/// The result object of a write reply.
fn write_result(
    job: &WriteJob,
    version: &Version,
    content: &FileContent,
    overlaps: &[Value],
) -> Map<String, Value> {
    result_object(
        &job.path,
        version,
        content,
        job.executable,
        job.created,
        overlaps,
    )
}

/// Builds the result object of a write that created its path.
pub fn created_result(
    path: &WorkspacePath,
    version: &Version,
    content: &FileContent,
    executable: bool,
    seq: u64,
) -> Map<String, Value> {
    let mut result = result_object(path, version, content, executable, true, &[]);
    result.insert("seq".into(), json!(seq));
    result
}

/// Builds the result object that write, create and preview replies share.
pub(crate) fn result_object(
    path: &WorkspacePath,
    version: &Version,
    content: &FileContent,
    executable: bool,
    created: bool,
    overlaps: &[Value],
) -> Map<String, Value> {
    let mut result = Map::new();
    result.insert("path".into(), json!(path.as_str()));
    result.insert("version".into(), json!(version.to_hex()));
    result.extend(content_fields(content));
    result.insert("executable".into(), json!(executable));
    result.insert("created".into(), json!(created));
    result.insert("overlaps".into(), Value::Array(overlaps.to_vec()));
    result
}
