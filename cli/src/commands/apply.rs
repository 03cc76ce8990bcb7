//! Carrying out one sync step against the server and the working copy,
//! and recording the new base after each file so an interrupted sync keeps
//! its progress.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use weft_engine::path::WorkspacePath;

use crate::client::{Client, FileContent, Overlap, Payload, WriteRequest, remote_code};
use crate::output;
use crate::working_copy::{FileState, State, WorkingCopy, sha256_hex};

use super::new_write_id;
use super::plan::{Action, LocalFile, Step};
use super::tree;

/// The change message of every write that sync sends.
pub const SYNC_MESSAGE: &str = "weft sync";

/// The note of a `restored` outcome.
pub const RESTORED_NOTE: &str =
    "deleted locally, but changed on the server since; the server's version is back";

/// A test-only edit of a local file, given its full path.
#[cfg(test)]
pub(super) type FileEdit = Box<dyn FnOnce(&Path)>;

#[cfg(test)]
thread_local! {
    /// A test-only callback that `send` takes and runs once, with the local
    /// file's full path, between the write reply and the check of the local
    /// file. Tests edit the file there, as a user could while sync runs,
    /// because no request to a real server can time such an edit. It is a
    /// thread-local rather than a `Syncer` field so that the constructors in
    /// `sync` and `clone` stay unchanged. It fires only when the test awaits
    /// the sync on its own thread, not in a spawned task.
    pub(super) static AFTER_WRITE_REPLY: std::cell::RefCell<Option<FileEdit>> =
        const { std::cell::RefCell::new(None) };
}

/// The result of one step, as printed.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Workspace path.
    pub path: String,
    /// `added`, `updated`, `restored`, `deleted`, `sent`, `created`,
    /// `merged`, `removed`, `kept` or `skipped`.
    pub action: &'static str,
    /// The reason a file was kept or skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Overlaps that the server reported for a write.
    pub overlaps: Vec<Overlap>,
    /// Whether a `--dry-run` predicted the outcome without carrying it out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// The merged text of the write's reply, which the overlaps'
    /// `merged_lines` point into. Printed, never serialized.
    #[serde(skip)]
    pub merged_text: Option<String>,
}

impl Outcome {
    /// Returns an outcome of `action` without a note or overlaps.
    pub fn new(path: &str, action: &'static str) -> Outcome {
        Outcome {
            path: path.to_owned(),
            action,
            note: None,
            overlaps: Vec::new(),
            dry_run: false,
            merged_text: None,
        }
    }

    fn kept(path: &WorkspacePath, overlaps: Vec<Overlap>, merged_text: Option<String>) -> Outcome {
        Outcome {
            note: Some("changed locally while syncing; the next sync sends it".into()),
            overlaps,
            merged_text,
            ..Outcome::new(path.as_str(), "kept")
        }
    }

    /// Prints the outcome: one JSON object per line with `json`, else the
    /// result line (`would VERB PATH` for a dry run) and each overlap with
    /// its merged region.
    pub fn print(&self, json: bool) -> std::io::Result<()> {
        if json {
            return output::json(self);
        }
        let mut text = if self.dry_run {
            format!("would {} {}", planned_verb(self.action), self.path)
        } else {
            output::result_line(self.action, &self.path)
        };
        if let Some(note) = &self.note {
            text.push_str(": ");
            text.push_str(note);
        }
        output::line(&text)?;
        for overlap in &self.overlaps {
            let printed = output::overlap(&self.path, overlap, self.merged_text.as_deref());
            output::line(&printed)?;
        }
        Ok(())
    }
}

/// Returns the verb of a dry run's line for an outcome's `action`, such as
/// `merge` for `merged`.
pub fn planned_verb(action: &str) -> &str {
    match action {
        "added" => "add",
        "updated" => "update",
        "restored" => "restore",
        "deleted" => "delete",
        "sent" => "send",
        "created" => "create",
        "merged" => "merge",
        "removed" => "remove",
        "kept" => "keep",
        "skipped" => "skip",
        other => other,
    }
}

/// Applies steps to one working copy over one connection.
pub struct Syncer<'a> {
    /// The working copy.
    pub working_copy: &'a WorkingCopy,
    /// The connection, after hello.
    pub client: &'a mut Client,
    /// The agent name, used in write ids.
    pub agent: &'a str,
    /// The state, saved after every file.
    pub state: State,
}

impl Syncer<'_> {
    fn root(&self) -> &Path {
        &self.working_copy.root
    }

    /// Carries out `step`. Returns `None` when nothing visible happened.
    pub async fn apply(&mut self, step: &Step) -> Result<Option<Outcome>> {
        if let Action::Skip(reason) = step.action {
            return Ok(Some(Outcome {
                note: Some(reason.to_owned()),
                ..Outcome::new(&step.path, "skipped")
            }));
        }
        let path = tree::checked_path(&step.path)?;
        let recorded = self.state.files.get(path.as_str()).cloned();
        let recorded_local = recorded.as_ref().map(|file| LocalFile {
            sha256: file.sha256.clone(),
            executable: file.executable,
        });
        match step.action {
            Action::Add => self.download(&path, None, "added").await,
            Action::Update => self.download(&path, recorded_local, "updated").await,
            // The server keeps a file changed since the base and records
            // the delete-edit overlap, so the other agent learns of it too.
            Action::Restore => {
                let base = recorded.map(|file| file.base);
                self.delete_remote(&path, base.as_deref()).await
            }
            Action::DeleteLocal => self.delete_local(&path, recorded_local),
            Action::Send => self.send(&path, recorded.map(|file| file.base)).await,
            Action::Create => self.send(&path, None).await,
            Action::DeleteRemote => {
                let base = recorded.map(|file| file.base);
                self.delete_remote(&path, base.as_deref()).await
            }
            Action::Forget => {
                self.forget(&path)?;
                Ok(None)
            }
            Action::Skip(_) => Ok(None),
        }
    }

    /// Reads the server's file and writes it locally, unless the local file
    /// no longer matches `expected` (its state when the plan was made).
    async fn download(
        &mut self,
        path: &WorkspacePath,
        expected: Option<LocalFile>,
        action: &'static str,
    ) -> Result<Option<Outcome>> {
        let content = self.client.read(path.as_str()).await?;
        let bytes = content.disk_bytes()?;
        if self.local_summary(path)? != expected {
            return Ok(Some(Outcome::kept(path, Vec::new(), None)));
        }
        tree::write(self.root(), path, &bytes, content.executable)?;
        self.record(path, &content, sha256_hex(&bytes))?;
        let note = (action == "restored").then(|| RESTORED_NOTE.to_owned());
        Ok(Some(Outcome {
            note,
            ..Outcome::new(path.as_str(), action)
        }))
    }

    /// Sends the local file as a write based on `base`, or as a create
    /// without one, and writes the merged content back.
    async fn send(
        &mut self,
        path: &WorkspacePath,
        base: Option<Vec<String>>,
    ) -> Result<Option<Outcome>> {
        let Some(local) = tree::read(self.root(), path)? else {
            // Removed since the scan, so the next sync handles the deletion.
            return Ok(None);
        };
        if let Some(limit) = self.client.max_file_bytes()
            && local.bytes.len() > limit
        {
            anyhow::bail!(
                "\"{path}\" is {} bytes, over the server's limit of {limit} bytes for one file; \
                     it was not sent. Keep files this large out of the workspace (add them to .gitignore)",
                local.bytes.len()
            );
        }
        let sent = local.summary();
        let payload = Payload::from_bytes(local.bytes);

        // JSON escaping can make a text several times its size on disk (a
        // control character takes six bytes), and a message over the
        // server's limit closes the connection for every later file.
        if let Some(limit) = self.client.max_message_bytes() {
            let encoded = payload.encoded_len();
            if encoded + MESSAGE_OVERHEAD > limit {
                anyhow::bail!(
                    "\"{path}\" takes {encoded} bytes as a JSON message, over the server's message \
                     limit of {limit} bytes (escaping control characters, quotes and backslashes makes \
                     it larger than on disk); it was not sent. Keep it out of the workspace (add it to \
                     .gitignore)"
                );
            }
        }
        let reply = self
            .write(path, base.as_deref(), &payload, sent.executable)
            .await?;
        #[cfg(test)]
        if let Some(hook) = AFTER_WRITE_REPLY.with_borrow_mut(Option::take) {
            hook(&self.root().join(path.as_str()));
        }

        let merged = reply.disk_bytes()?;
        let merged_sha = sha256_hex(&merged);
        let action = if merged_sha == sent.sha256 && reply.executable == sent.executable {
            if reply.created { "created" } else { "sent" }
        } else {
            if self.local_summary(path)?.as_ref() != Some(&sent) {
                // The recorded base stays, because the local file descends
                // from it and not from the merged version.
                // NOTE: a created file has no base to keep, so the next sync
                // creates it again and the server merges it with an empty base.
                return Ok(Some(Outcome::kept(path, reply.overlaps, reply.text)));
            }
            tree::write(self.root(), path, &merged, reply.executable)?;
            "merged"
        };
        self.record(path, &reply, merged_sha)?;
        Ok(Some(Outcome {
            overlaps: reply.overlaps,
            merged_text: reply.text,
            ..Outcome::new(path.as_str(), action)
        }))
    }

    /// Sends one write. A write based on a version of a file the server no
    /// longer has, which the server rejects with `not_found`, is sent again
    /// as a create so the local content is not lost.
    async fn write(
        &mut self,
        path: &WorkspacePath,
        base: Option<&[String]>,
        payload: &Payload,
        executable: bool,
    ) -> Result<FileContent> {
        let write_id = new_write_id(self.agent);
        let request = WriteRequest {
            path: path.as_str(),
            base,
            payload,
            executable: Some(executable),
            message: SYNC_MESSAGE,
            write_id: &write_id,
        };
        match self.client.write(&request).await {
            Err(error) if base.is_some() && remote_code(&error) == Some("not_found") => {
                tracing::warn!(path = path.as_str(), "the server has no history for the base; sending a create");
                let write_id = new_write_id(self.agent);
                let create = WriteRequest {
                    base: None,
                    write_id: &write_id,
                    ..request
                };
                self.client.write(&create).await
            }
            Err(error) if remote_code(&error) == Some("unknown_version") => Err(error.context(format!(
                "the server does not know the base version of \"{}\": the file was deleted and created again \
                 there, or the server's store was replaced. The local file is kept as it is; clone the workspace \
                 into a new folder and copy your change over",
                path.as_str()
            ))),
            other => other,
        }
    }

    /// Deletes the local file, unless it changed since the plan was made.
    fn delete_local(
        &mut self,
        path: &WorkspacePath,
        expected: Option<LocalFile>,
    ) -> Result<Option<Outcome>> {
        if self.local_summary(path)? != expected {
            return Ok(Some(Outcome::kept(path, Vec::new(), None)));
        }
        tree::remove(self.root(), path)?;
        self.forget(path)?;
        Ok(Some(Outcome::new(path.as_str(), "deleted")))
    }

    /// Deletes the file on the server, unless it came back locally. The
    /// delete carries the file's base: when another agent changed the file
    /// since, the server keeps it with a `delete-edit` overlap, and the
    /// server's version is brought back here.
    async fn delete_remote(
        &mut self,
        path: &WorkspacePath,
        base: Option<&[String]>,
    ) -> Result<Option<Outcome>> {
        if self.local_summary(path)?.is_some() {
            // Recreated since the scan: the next sync sends it.
            return Ok(None);
        }
        let reply = match self.client.delete(path.as_str(), base).await {
            Err(error) if remote_code(&error) == Some("not_found") => None,
            other => Some(other?),
        };
        let kept = reply.as_ref().is_some_and(|reply| {
            reply.get("kept").and_then(serde_json::Value::as_bool) == Some(true)
        });
        if kept {
            let overlaps = reply
                .and_then(|reply| reply.get("overlaps").cloned())
                .and_then(|overlaps| serde_json::from_value::<Vec<Overlap>>(overlaps).ok())
                .unwrap_or_default();
            let restored = self.download(path, None, "restored").await?;
            return Ok(restored.map(|outcome| Outcome {
                overlaps,
                ..outcome
            }));
        }
        self.forget(path)?;
        Ok(Some(Outcome::new(path.as_str(), "removed")))
    }

    fn local_summary(&self, path: &WorkspacePath) -> Result<Option<LocalFile>> {
        Ok(tree::read(self.root(), path)?.map(|local| local.summary()))
    }

    fn record(
        &mut self,
        path: &WorkspacePath,
        content: &FileContent,
        sha256: String,
    ) -> Result<()> {
        let file = FileState {
            base: content.version.clone(),
            sha256,
            executable: content.executable,
        };
        self.state.files.insert(path.as_str().to_owned(), file);
        self.save()
    }

    fn forget(&mut self, path: &WorkspacePath) -> Result<()> {
        self.state.files.remove(path.as_str());
        self.save()
    }

    fn save(&self) -> Result<()> {
        self.working_copy
            .save_state(&self.state)
            .context("failed to record sync progress")
    }
}

/// Room left in a message for the fields around a write's content.
const MESSAGE_OVERHEAD: usize = 64 * 1024;
