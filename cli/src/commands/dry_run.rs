//! `weft sync --dry-run`: the steps of a sync, reported without carrying
//! them out. Each local change goes to the server as a `preview`, which
//! merges it and reports the overlaps without writing; downloads and
//! deletions are only reported. Nothing is written to the working copy, to
//! its `state.json` or to the server.

use std::path::Path;

use anyhow::Result;

use crate::client::{Client, Payload, PreviewRequest};
use crate::working_copy::{State, sha256_hex};

use super::apply::{Outcome, RESTORED_NOTE};
use super::plan::{Action, Step};
use super::sync::{Failure, Report, connection_lost};
use super::tree;

/// Previews `steps` in order and prints what each would do, as `weft sync`
/// prints its outcomes, and each failure. Goes on after a failed file and
/// stops early only when the connection is lost.
pub async fn preview_steps(
    client: &mut Client,
    root: &Path,
    state: &State,
    steps: &[Step],
    json: bool,
) -> Result<Report> {
    let mut report = Report {
        succeeded: 0,
        failed: 0,
    };
    for (index, step) in steps.iter().enumerate() {
        match preview_step(client, root, state, step).await {
            Ok(Some(outcome)) => {
                report.succeeded += 1;
                outcome.print(json)?;
            }
            Ok(None) => report.succeeded += 1,
            Err(error) => {
                tracing::debug!(path = %step.path, error = format!("{error:#}"), "preview failed");
                report.failed += 1;
                Failure::new(&step.path, &error).print(json)?;
                if client.is_closed() {
                    let remaining = steps.len() - index - 1;
                    return Err(connection_lost(client, remaining, error));
                }
            }
        }
    }
    Ok(report)
}

/// Returns what `step` would do. Only a step that sends a local file makes
/// a request: a `preview` with the write's fields.
async fn preview_step(
    client: &mut Client,
    root: &Path,
    state: &State,
    step: &Step,
) -> Result<Option<Outcome>> {
    let (action, note) = match step.action {
        Action::Add => ("added", None),
        Action::Update => ("updated", None),
        Action::Restore => ("restored", Some(RESTORED_NOTE.to_owned())),
        Action::DeleteLocal => ("deleted", None),
        Action::DeleteRemote => ("removed", None),
        Action::Skip(reason) => ("skipped", Some(reason.to_owned())),
        // Dropping the base of a file deleted on both sides prints nothing
        // in a real sync either.
        Action::Forget => return Ok(None),
        Action::Send => {
            let base = state.files.get(&step.path).map(|file| file.base.clone());
            return preview_send(client, root, &step.path, base.unwrap_or_default()).await;
        }
        Action::Create => return preview_send(client, root, &step.path, Vec::new()).await,
    };
    Ok(Some(Outcome {
        note,
        dry_run: true,
        ..Outcome::new(&step.path, action)
    }))
}

/// Previews the write of the local file at `path` based on `base` (empty
/// for a create) and returns `sent`, `created` or `merged`, as the write
/// would, with the overlaps and the merged text.
async fn preview_send(
    client: &mut Client,
    root: &Path,
    path: &str,
    base: Vec<String>,
) -> Result<Option<Outcome>> {
    let checked = tree::checked_path(path)?;
    let Some(local) = tree::read(root, &checked)? else {
        // Removed since the scan, so a sync would handle the deletion next
        // time.
        return Ok(None);
    };
    let sent = local.summary();
    let payload = Payload::from_bytes(local.bytes);
    let request = PreviewRequest {
        path,
        base: &base,
        payload: &payload,
        executable: Some(sent.executable),
    };
    let preview = client.preview(&request).await?;
    let merged_sha = sha256_hex(&preview.disk_bytes()?);
    let action = match (merged_sha == sent.sha256, preview.created) {
        (true, true) => "created",
        (true, false) => "sent",
        (false, _) => "merged",
    };
    Ok(Some(Outcome {
        overlaps: preview.overlaps,
        merged_text: preview.text,
        dry_run: true,
        ..Outcome::new(path, action)
    }))
}
