//! One connection's requests: hello, list, read, write, splice, create,
//! delete, rename, log, subscribe and unsubscribe here, and the overlap and
//! lease requests in their own modules. The frames, the events of a
//! subscribed connection and closing are in [`crate::connection`].

use automerge::ActorId;
use serde_json::{Map, Value, json};
use weft_engine::change::ChangeMeta;
use weft_engine::document::SpliceEdit;
use weft_engine::index::IndexEntry;
use weft_engine::version::Version;

use crate::config::Limits;
use crate::doc_write::created_result;
use crate::documents::{Documents, Edit, WriteJob};
use crate::events::{Concerns, Events, PathFilter, Subscription};
use crate::index_task::{Created, Index, NewFile};
use crate::leases::Leases;
use crate::protocol::{ProtocolError, Request, content_fields};
use crate::store_thread::StoreHandle;

/// Longest accepted agent name, in bytes.
const MAX_AGENT_LEN: usize = 128;

/// State that every connection shares.
#[derive(Clone)]
pub struct Shared {
    /// The workspace index task.
    pub index: Index,
    /// The document tasks.
    pub documents: Documents,
    /// The store thread, for queries that span documents.
    pub store: StoreHandle,
    /// Size limits.
    pub limits: Limits,
    /// The workspace id, sent in the hello reply.
    pub workspace: std::sync::Arc<str>,
    /// The leases.
    pub leases: Leases,
    /// The event subscribers.
    pub events: Events,
}

/// One connection's state.
pub(crate) struct Session {
    pub(crate) shared: Shared,
    agent: Option<String>,
    pub(crate) actor: ActorId,
    pub(crate) subscription: Option<Subscription>,
}

pub use crate::connection::serve_connection;

impl Session {
    /// A connection's state before its hello.
    pub(crate) fn new(shared: Shared) -> Session {
        Session {
            shared,
            agent: None,
            actor: ActorId::random(),
            subscription: None,
        }
    }

    /// Handles one request and returns its result.
    pub(crate) async fn handle(&mut self, request: &Request) -> Result<Value, ProtocolError> {
        if request.kind == "hello" {
            return self.hello(request);
        }
        let Some(agent) = self.agent.clone() else {
            return Err(ProtocolError::new(
                "hello_required",
                "send {\"type\": \"hello\", \"agent\": NAME} before other requests",
            ));
        };
        match request.kind.as_str() {
            "list" => self.list().await,
            "read" => self.read(request).await,
            "write" => self.write(request, &agent, false).await,
            "create" => self.write(request, &agent, true).await,
            "splice" => self.splice(request, &agent).await,
            "delete" => self.delete(request, &agent).await,
            "rename" => self.rename(request, &agent).await,
            "log" => self.log(request).await,
            "overlaps" => self.overlaps(request, &agent).await,
            "ack" => self.ack(request, &agent).await,
            "preview" => self.preview(request, &agent).await,
            "lease" => self.lease(request, &agent).await,
            "renew" => self.renew(request, &agent).await,
            "release" => self.release(request, &agent).await,
            "leases" => self.leases(request).await,
            "subscribe" => self.subscribe(request, &agent),
            "unsubscribe" => Ok(self.unsubscribe()),
            "clock" => self.clock(request),
            other => Err(ProtocolError::field(
                "invalid_request",
                "type",
                format!(
                    "unknown request type {other:?}; expected hello, list, read, write, splice, \
                     create, delete, rename, log, overlaps, ack, preview, lease, renew, release, \
                     leases, subscribe, unsubscribe or clock"
                ),
            )),
        }
    }

    fn hello(&mut self, request: &Request) -> Result<Value, ProtocolError> {
        let agent = request.string("agent")?.trim();
        if agent.is_empty() || agent.len() > MAX_AGENT_LEN || agent.chars().any(char::is_control) {
            return Err(ProtocolError::field(
                "invalid_request",
                "agent",
                format!(
                    "agent name {agent:?} must be 1 to {MAX_AGENT_LEN} bytes without control characters"
                ),
            ));
        }
        self.agent = Some(agent.to_owned());
        tracing::info!(agent, actor = %self.actor, "hello received");
        Ok(json!({
            "agent": agent,
            "actor": self.actor.to_hex_string(),
            "server": concat!("weft ", env!("CARGO_PKG_VERSION")),
            "workspace": &*self.shared.workspace,
            "seq": self.shared.store.current_seq(),
            "limits": {
                "max_file_bytes": self.shared.limits.max_file_bytes,
                "max_message_bytes": self.shared.limits.max_message_bytes,
            },
        }))
    }

    /// Starts sending events of `paths` (every path when empty), or
    /// replaces the patterns of this connection's subscription.
    fn subscribe(&mut self, request: &Request, agent: &str) -> Result<Value, ProtocolError> {
        let patterns = request.strings("paths")?;
        let filter = PathFilter::new(&patterns)?;
        if let Some(subscription) =
            self.shared
                .events
                .subscribe(agent, filter, self.subscription.as_ref())
        {
            self.subscription = Some(subscription);
        }
        tracing::info!(agent, patterns = ?patterns, "subscribed to events");
        Ok(json!({ "paths": patterns, "queue": self.shared.events.queue() }))
    }

    /// Stops sending events.
    fn unsubscribe(&mut self) -> Value {
        if let Some(subscription) = self.subscription.take() {
            self.shared.events.unsubscribe(&subscription);
        }
        json!({ "subscribed": false })
    }

    async fn list(&self) -> Result<Value, ProtocolError> {
        let seq = self.shared.store.current_seq();
        let entries = self.shared.index.list().await?;
        let mut files = Vec::with_capacity(entries.len());
        let mut deleted = Vec::new();
        for entry in entries {
            if entry.deleted {
                deleted.push(entry.path.to_string());
                continue;
            }
            let read = self.shared.documents.read(&entry.doc_id, None).await?;
            files.push(json!({
                "path": entry.path.as_str(),
                "kind": read.content.kind().as_str(),
                "executable": entry.executable,
                "version": read.version.to_hex(),
            }));
        }
        // The number is read before the files, so a write that lands while
        // they are read counts as unseen.
        Ok(json!({ "files": files, "deleted": deleted, "seq": seq }))
    }

    async fn read(&self, request: &Request) -> Result<Value, ProtocolError> {
        let path = request.path("path")?;
        let version = request.opt_version("version")?;
        let entry = self.shared.index.live(&path, "path").await?;
        let read = self
            .shared
            .documents
            .read(&entry.doc_id, version)
            .await
            .map_err(|error| match error.code {
                "unknown_version" => ProtocolError {
                    field: Some("version"),
                    ..error
                },
                _ => error,
            })?;

        let mut result = Map::new();
        result.insert("path".into(), json!(path.as_str()));
        result.extend(content_fields(&read.content));
        result.insert("executable".into(), json!(entry.executable));
        result.insert("version".into(), json!(read.version.to_hex()));
        Ok(Value::Object(result))
    }

    async fn write(
        &self,
        request: &Request,
        agent: &str,
        create: bool,
    ) -> Result<Value, ProtocolError> {
        let path = request.path("path")?;
        let base = if create {
            Version::default()
        } else {
            request.version("base")?
        };
        let fenced = self.fenced_lease(request, &path, agent).await?;
        let content = request.content(self.shared.limits.max_file_bytes)?;
        let executable = request.opt_bool("executable")?;
        let meta = ChangeMeta::now(agent, request.opt_string("message")?.unwrap_or_default());
        let write_id = request.opt_string("write_id")?.map(str::to_owned);

        // Find the document: a live path, a deleted one that this write
        // brings back, or a new path (created unless another agent created
        // it first, in which case this write merges into theirs).
        let entry = self.shared.index.get(&path).await?;
        let (entry, created) = match entry {
            Some(entry) if !entry.deleted || !base.is_empty() => (entry, false),
            None if !base.is_empty() => {
                return Err(ProtocolError::field(
                    "not_found",
                    "path",
                    format!(
                        "file \"{path}\" not found in the workspace; to create it, write with \"base\": []"
                    ),
                ));
            }
            _ => {
                let new_file = NewFile {
                    path: path.clone(),
                    content: content.clone(),
                    executable: executable.unwrap_or(false),
                    actor: self.actor.clone(),
                    meta: meta.clone(),
                    write_id: write_id.clone(),
                };
                match self.shared.index.create(new_file).await? {
                    Created::New {
                        entry,
                        version,
                        content,
                        seq,
                    } => {
                        self.shared.events.publish(
                            "file_added",
                            json!({
                                "agent": agent,
                                "path": path.as_str(),
                                "version": version.to_hex(),
                                "seq": seq,
                            }),
                            &Concerns::files(&[path.as_str()]),
                        );
                        let result =
                            created_result(&path, &version, &content, entry.executable, seq);
                        return Ok(Value::Object(result));
                    }
                    Created::Exists(entry) => (entry, false),
                }
            }
        };

        // A deleted path whose document lives on under another path was
        // renamed away: the write goes to the file at its new path, and the
        // old path stays deleted rather than sharing the document.
        let renamed_to = if entry.deleted {
            self.shared.index.live_entry_of(&entry.doc_id).await?
        } else {
            None
        };
        let file_overlap = file_overlap(&entry, renamed_to.as_ref(), agent);
        let entry = renamed_to.clone().unwrap_or(entry);

        let executable = executable.unwrap_or(entry.executable);
        let job = WriteJob {
            path: path.clone(),
            base,
            edit: Edit::Whole(content),
            actor: self.actor.clone(),
            meta: meta.clone(),
            write_id,
            executable,
            created,
            file_overlap,
            since: request.opt_count("since")?.map(|seq| seq as u64),
        };
        let mut result = self.shared.documents.write(&entry.doc_id, job).await?;
        self.update_entry(&entry, executable, result.get("kind"), meta)
            .await?;
        if let Some(renamed) = renamed_to {
            result.insert("renamed_to".into(), json!(renamed.path.as_str()));
        }
        if let Some(lease) = &fenced {
            self.add_lease_status(&mut result, lease).await;
        }
        Ok(Value::Object(result))
    }

    async fn splice(&self, request: &Request, agent: &str) -> Result<Value, ProtocolError> {
        let path = request.path("path")?;
        let base = request.version("base")?;
        let edit = SpliceEdit {
            offset: request.count("offset")?,
            delete: request.count("delete")?,
            expected: request
                .opt_string("expected")?
                .unwrap_or_default()
                .to_owned(),
            insert: request.opt_string("insert")?.unwrap_or_default().to_owned(),
        };
        if edit.insert.len() > self.shared.limits.max_file_bytes {
            return Err(ProtocolError::field(
                "too_large",
                "insert",
                format!(
                    "the insert is over the server's file limit of {} bytes",
                    self.shared.limits.max_file_bytes
                ),
            ));
        }
        let meta = ChangeMeta::now(agent, request.opt_string("message")?.unwrap_or_default());
        let entry = self.shared.index.live(&path, "path").await?;
        let fenced = self.fenced_lease(request, &path, agent).await?;
        let job = WriteJob {
            path,
            base,
            edit: Edit::Splice(edit),
            actor: self.actor.clone(),
            meta,
            write_id: request.opt_string("write_id")?.map(str::to_owned),
            executable: entry.executable,
            created: false,
            file_overlap: None,
            since: request.opt_count("since")?.map(|seq| seq as u64),
        };
        let mut result = self.shared.documents.write(&entry.doc_id, job).await?;
        if let Some(lease) = &fenced {
            self.add_lease_status(&mut result, lease).await;
        }
        Ok(Value::Object(result))
    }

    async fn delete(&self, request: &Request, agent: &str) -> Result<Value, ProtocolError> {
        let path = request.path("path")?;
        let meta = ChangeMeta::now(agent, request.opt_string("message")?.unwrap_or("delete"));
        let entry = self.shared.index.live(&path, "path").await?;

        // A delete based on a version that other agents changed since is
        // not applied: the file is kept with their edits.
        if let Some(base) = request.opt_version("base")? {
            let raced_edit = self
                .shared
                .documents
                .check_delete(&entry.doc_id, &path, &base, agent)
                .await?;
            if let Some(overlap) = raced_edit {
                return Ok(json!({ "path": path.as_str(), "kept": true, "overlaps": [overlap] }));
            }
        }

        let doc_id = entry.doc_id.clone();
        let deleted = IndexEntry {
            deleted: true,
            deleted_by: Some(agent.to_owned()),
            ..entry
        };
        self.shared
            .index
            .put(vec![deleted], self.actor.clone(), meta)
            .await?;
        self.shared.events.publish(
            "file_deleted",
            json!({ "agent": agent, "path": path.as_str() }),
            &Concerns::files(&[path.as_str()]),
        );
        tracing::info!(agent, path = %path, "deleted file");
        let overlaps = self
            .shared
            .documents
            .delete_lease_overlaps(&doc_id, &path, agent)
            .await?;
        // The leased lines are gone with the file; the overlaps above tell
        // the holders.
        self.shared.leases.release_all_on_doc(&doc_id).await?;
        Ok(json!({ "path": path.as_str(), "kept": false, "overlaps": overlaps }))
    }

    async fn rename(&self, request: &Request, agent: &str) -> Result<Value, ProtocolError> {
        let from = request.path("from")?;
        let to = request.path("to")?;
        let meta = ChangeMeta::now(agent, request.opt_string("message")?.unwrap_or("rename"));
        let entry = self.shared.index.live(&from, "from").await?;
        if from == to {
            return Ok(json!({ "from": from.as_str(), "to": to.as_str() }));
        }

        // The target must be free, and must not need a file to be a folder.
        if let Some(target) = self.shared.index.get(&to).await?
            && !target.deleted
        {
            return Err(ProtocolError::field(
                "invalid_path",
                "to",
                format!("\"{to}\" already exists; delete it first or pick another name"),
            ));
        }
        if let Some(clash) = self.shared.index.clashing_entry(&to).await?
            && clash.path != from
        {
            return Err(crate::index_task::clash_error(&to, &clash.path, "to"));
        }

        // The document moves to the new path; the old one stays as deleted.
        let moved = IndexEntry {
            path: to.clone(),
            ..entry.clone()
        };
        let left = IndexEntry {
            deleted: true,
            deleted_by: Some(agent.to_owned()),
            ..entry
        };
        self.shared
            .index
            .put(vec![moved, left], self.actor.clone(), meta)
            .await?;

        self.shared.events.publish(
            "file_renamed",
            json!({ "agent": agent, "from": from.as_str(), "to": to.as_str() }),
            &Concerns::files(&[from.as_str(), to.as_str()]),
        );
        tracing::info!(agent, from = %from, to = %to, "renamed file");
        Ok(json!({ "from": from.as_str(), "to": to.as_str() }))
    }

    async fn log(&self, request: &Request) -> Result<Value, ProtocolError> {
        let path = request.path("path")?;
        let limit = request.opt_count("limit")?.unwrap_or(100);
        let entry = self.shared.index.live(&path, "path").await?;
        let changes = self.shared.documents.log(&entry.doc_id, limit).await?;
        Ok(json!({ "path": path.as_str(), "changes": changes }))
    }

    /// Brings the index entry in line with a write: undeleted, with the
    /// executable bit and kind the write left.
    async fn update_entry(
        &self,
        entry: &IndexEntry,
        executable: bool,
        kind: Option<&Value>,
        meta: ChangeMeta,
    ) -> Result<(), ProtocolError> {
        let kind = match kind.and_then(Value::as_str) {
            Some("bytes") => weft_engine::content::FileKind::Bytes,
            _ => weft_engine::content::FileKind::Text,
        };
        let updated = IndexEntry {
            deleted: false,
            deleted_by: None,
            executable,
            kind,
            ..entry.clone()
        };
        if &updated != entry {
            self.shared
                .index
                .put(vec![updated], self.actor.clone(), meta)
                .await?;
        }
        Ok(())
    }
}

/// The `delete-edit` overlap of a write to a path that another agent
/// deleted or renamed away: that agent and what happened to the file.
fn file_overlap(
    entry: &IndexEntry,
    renamed_to: Option<&IndexEntry>,
    writer: &str,
) -> Option<(String, String)> {
    let other = entry
        .deleted_by
        .as_deref()
        .filter(|other| *other != writer)?;
    let message = match renamed_to {
        Some(renamed) => format!(
            "{other} renamed {} to {}; the edit was applied to {}",
            entry.path, renamed.path, renamed.path
        ),
        None => format!(
            "{other} deleted {}; the file is kept with this edit",
            entry.path
        ),
    };
    Some((other.to_owned(), message))
}
