//! The overlap requests of a connection: list overlaps, acknowledge one,
//! and preview a write.

use serde_json::{Value, json};
use weft_engine::change::ChangeMeta;
use weft_engine::version::Version;

use crate::doc_write::result_object;
use crate::documents::{Edit, WriteJob};
use crate::handler::Session;
use crate::overlap;
use crate::protocol::{ProtocolError, Request};

impl Session {
    /// Lists overlaps: by default the open ones involving this agent; with
    /// `all`, every overlap in every state; with `path`, those of one file.
    pub(crate) async fn overlaps(
        &self,
        request: &Request,
        agent: &str,
    ) -> Result<Value, ProtocolError> {
        let all = request.opt_bool("all")?.unwrap_or(false);
        // A deleted file's overlaps stay listed under its path.
        let doc_id = match request.opt_string("path")? {
            Some(_) => {
                let path = request.path("path")?;
                match self.shared.index.get(&path).await? {
                    Some(entry) => Some(entry.doc_id),
                    None => {
                        return Err(ProtocolError::field(
                            "not_found",
                            "path",
                            format!(
                                "file \"{path}\" was never in the workspace; list files with the list request"
                            ),
                        ));
                    }
                }
            }
            None => None,
        };
        let stored = self
            .shared
            .store
            .overlaps(doc_id.as_deref())
            .await
            .map_err(|err| ProtocolError::internal(err.to_string()))?;
        let overlaps: Vec<Value> = stored
            .iter()
            .filter_map(overlap::parse)
            .filter(|record| all || (record["state"] == "open" && overlap::involves(record, agent)))
            .collect();
        Ok(json!({ "overlaps": overlaps }))
    }

    /// Acknowledges an overlap with a note.
    pub(crate) async fn ack(&self, request: &Request, agent: &str) -> Result<Value, ProtocolError> {
        let id = request.string("overlap")?;
        let note = request.opt_string("note")?.unwrap_or_default();
        let stored = self
            .shared
            .store
            .overlap(id)
            .await
            .map_err(|err| ProtocolError::internal(err.to_string()))?
            .ok_or_else(|| {
                ProtocolError::field(
                    "not_found",
                    "overlap",
                    format!("overlap {id:?} not found; list overlaps with the overlaps request"),
                )
            })?;
        let record = self
            .shared
            .documents
            .ack(&stored.doc_id, id, note, agent)
            .await?;
        Ok(json!({ "overlap": record }))
    }

    /// Computes the merged content and the overlaps a write would open,
    /// without writing.
    pub(crate) async fn preview(
        &self,
        request: &Request,
        agent: &str,
    ) -> Result<Value, ProtocolError> {
        let path = request.path("path")?;
        let base = request.opt_version("base")?.unwrap_or_default();
        let content = request.content(self.shared.limits.max_file_bytes)?;
        let executable = request.opt_bool("executable")?;
        let entry = match self.shared.index.get(&path).await? {
            Some(entry) if !entry.deleted => entry,
            _ => {
                // A new path: the write would create it as written.
                let result = result_object(
                    &path,
                    &Version::default(),
                    &content,
                    executable.unwrap_or(false),
                    true,
                    &[],
                );
                return Ok(Value::Object(result));
            }
        };
        let job = WriteJob {
            path,
            base,
            edit: Edit::Whole(content),
            actor: self.actor.clone(),
            meta: ChangeMeta::now(agent, ""),
            write_id: None,
            executable: executable.unwrap_or(entry.executable),
            created: false,
            file_overlap: None,
            since: request.opt_count("since")?.map(|seq| seq as u64),
        };
        let result = self.shared.documents.preview(&entry.doc_id, job).await?;
        Ok(Value::Object(result))
    }
}
