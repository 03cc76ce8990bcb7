//! One connection's requests: hello, list, read, write, splice, create,
//! delete, rename and log here, and the overlap and lease requests in
//! their own modules; and the events of a subscribed connection.
//!
//! The handler is generic over a `Sink` and a `Stream` of WebSocket
//! messages, so unit tests can drive it through channels while the server
//! hands it a real socket. Requests on one connection are handled in order.
//! Events are sent between replies. When the connection's event queue
//! overflows, the handler stops sending events, sends `lagged`, and
//! closes the connection, even if the client stopped reading.

use std::time::Duration;

use automerge::ActorId;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::{
    self, Message,
    protocol::{CloseFrame, frame::coding::CloseCode},
};
use weft_engine::change::ChangeMeta;
use weft_engine::document::SpliceEdit;
use weft_engine::index::IndexEntry;
use weft_engine::version::Version;

use crate::config::Limits;
use crate::doc_write::created_result;
use crate::documents::{Documents, Edit, WriteJob};
use crate::events::{Concerns, Events, Feed, PathFilter, Subscription};
use crate::index_task::{Created, Index, NewFile};
use crate::leases::Leases;
use crate::protocol::{ProtocolError, Request, content_fields, error_reply, reply};
use crate::store_thread::StoreHandle;

/// Longest accepted agent name, in bytes.
const MAX_AGENT_LEN: usize = 128;

/// How long a connection that fell behind has to take the `lagged` event
/// and the Close frame before it is dropped without them.
const LAGGED_GRACE: Duration = Duration::from_secs(30);

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
    subscription: Option<Subscription>,
}

/// What the connection loop woke up for.
enum Wake {
    Message(Option<Result<Message, tungstenite::Error>>),
    Feed(Feed),
    Shutdown,
}

/// Serves one connection until the client closes it, the transport fails,
/// or `shutdown` turns true; then sends a Close frame with the reason.
pub async fn serve_connection<S, R>(
    shared: Shared,
    mut sink: S,
    mut stream: R,
    mut shutdown: watch::Receiver<bool>,
) where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
    R: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let mut session = Session {
        shared,
        agent: None,
        actor: ActorId::random(),
        subscription: None,
    };
    loop {
        let wake = tokio::select! {
            message = stream.next() => Wake::Message(message),
            feed = next_feed(&mut session.subscription) => Wake::Feed(feed),
            _ = shutdown.wait_for(|stop| *stop) => Wake::Shutdown,
        };
        let message = match wake {
            Wake::Message(message) => message,
            Wake::Feed(Feed::Event(event)) => {
                let frame = Message::text(event.to_string());
                if !send(&mut sink, &session, frame).await {
                    return;
                }
                continue;
            }
            Wake::Feed(Feed::Lagged) => {
                close_lagged(&mut sink, &session.shared).await;
                return;
            }
            Wake::Shutdown => {
                let frame = CloseFrame {
                    code: CloseCode::Away,
                    reason: "server shutting down".into(),
                };
                let _ = sink.send(Message::Close(Some(frame))).await;
                return;
            }
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                let error = ProtocolError::new(
                    "invalid_request",
                    "binary frames are not part of the JSON protocol; send JSON in text frames",
                );
                let frame = Message::text(error_reply(&Value::Null, &error));
                if !send(&mut sink, &session, frame).await {
                    return;
                }
                continue;
            }
            Some(Ok(Message::Close(_))) | None => return,
            Some(Ok(_)) => continue,
            Some(Err(err)) => {
                close_after_error(&mut sink, &err).await;
                return;
            }
        };

        let answer = match Request::parse(&text) {
            Ok(request) => match session.handle(&request).await {
                Ok(result) => reply(&request.id, result),
                Err(error) => {
                    tracing::debug!(request = %request.kind, code = error.code, message = %error.message, "request failed");
                    if error.code == "internal" {
                        tracing::error!(request = %request.kind, message = %error.message, "request failed inside the server");
                    }
                    error_reply(&request.id, &error)
                }
            },
            Err((id, error)) => error_reply(&id, &error),
        };
        if !send(&mut sink, &session, Message::text(answer)).await {
            return;
        }
    }
}

/// The next event or lag signal of a subscribed connection; never
/// completes for a connection without a subscription.
async fn next_feed(subscription: &mut Option<Subscription>) -> Feed {
    match subscription {
        Some(subscription) => subscription.feed().await,
        None => std::future::pending().await,
    }
}

/// Sends one frame and returns whether the connection goes on. A
/// subscribed connection stops waiting for a client that does not read as
/// soon as its event queue overflows, and closes with `lagged`.
async fn send<S>(sink: &mut S, session: &Session, message: Message) -> bool
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    let sent = match &session.subscription {
        None => sink.send(message).await,
        Some(subscription) => tokio::select! {
            sent = sink.send(message) => sent,
            () = subscription.lagged() => {
                close_lagged(sink, &session.shared).await;
                return false;
            }
        },
    };
    sent.is_ok()
}

/// Tells a connection that fell behind why it is closed, and closes it
/// with code 1013 (try again later). A client that does not read at all is
/// dropped after [`LAGGED_GRACE`].
async fn close_lagged<S>(sink: &mut S, shared: &Shared)
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    tracing::warn!("closing a connection whose event queue overflowed");
    let notice = Message::text(shared.events.lagged_event());
    let frame = CloseFrame {
        code: CloseCode::Again,
        reason: "event queue full; reconnect and read the state again".into(),
    };
    let closing = async {
        sink.send(notice).await?;
        sink.send(Message::Close(Some(frame))).await
    };
    if tokio::time::timeout(LAGGED_GRACE, closing).await.is_err() {
        tracing::warn!(
            "dropping a lagging connection that did not take its lagged notice within 30 s"
        );
    }
}

/// Ends a connection whose transport failed, telling the client why when
/// the failure was a size limit.
async fn close_after_error<S>(sink: &mut S, err: &tungstenite::Error)
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    match err {
        tungstenite::Error::Capacity(cause) => {
            tracing::warn!(error = %cause, "closing a connection that sent an oversized message");
            let frame = CloseFrame {
                code: CloseCode::Size,
                reason: format!("{cause}")
                    .chars()
                    .take(100)
                    .collect::<String>()
                    .into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        tungstenite::Error::Utf8(cause) => {
            tracing::warn!(error = %cause, "closing a connection that sent a text frame that is not UTF-8");
            let frame = CloseFrame {
                code: CloseCode::Invalid,
                reason: "a text frame was not valid UTF-8".into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        ) => {
            tracing::debug!("client went away without a close frame");
        }
        tungstenite::Error::Protocol(cause) => {
            tracing::warn!(error = %cause, "closing a connection that broke the WebSocket protocol");
            let frame = CloseFrame {
                code: CloseCode::Protocol,
                reason: format!("{cause}")
                    .chars()
                    .take(100)
                    .collect::<String>()
                    .into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {}
        other => tracing::debug!(error = %other, "connection ended"),
    }
}

impl Session {
    async fn handle(&mut self, request: &Request) -> Result<Value, ProtocolError> {
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
                            &Concerns {
                                paths: vec![path.as_str()],
                                agents: Vec::new(),
                            },
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
            &Concerns {
                paths: vec![path.as_str()],
                agents: Vec::new(),
            },
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
            &Concerns {
                paths: vec![from.as_str(), to.as_str()],
                agents: Vec::new(),
            },
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
