//! `weft status`: what a working copy has not shared and what it has not
//! seen. It lists the locally changed files (as `weft sync` would plan
//! them), other agents' live leases on those files, the open overlaps that
//! involve this agent, and the files changed on the server since the last
//! sync. It changes nothing.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::client::{Lease, LeaseFilter, Overlap};
use crate::output;
use crate::working_copy::WorkingCopy;

use super::plan::{local_change, server_changes};
use super::sync::{Survey, check_workspace, server_files, survey, working_copy_root};
use super::{Access, Connection, ServerArgs, connect};

/// Arguments of `weft status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Working copy to report on [default: the working copy around the
    /// current folder]
    pub dir: Option<PathBuf>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print one JSON object with the lists local_changes, leases,
    /// overlaps and server_changes
    #[arg(long)]
    pub json: bool,
}

/// The report of `weft status`, and its JSON form.
#[derive(Debug, Serialize)]
pub(super) struct Status {
    /// Files changed in the working copy since the last sync.
    local_changes: Vec<FileChange>,
    /// Live leases of other agents on the locally changed files.
    leases: Vec<Lease>,
    /// Open overlaps that involve this agent.
    overlaps: Vec<Overlap>,
    /// Files changed on the server since the last sync.
    server_changes: Vec<FileChange>,
}

/// One changed file.
#[derive(Debug, Serialize)]
struct FileChange {
    path: String,
    /// `added`, `modified` or `deleted`, or `unreadable` for a local file
    /// that could not be read.
    change: &'static str,
    /// The read error of an unreadable file.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs `weft status`.
pub async fn run(args: StatusArgs) -> Result<()> {
    let root = working_copy_root(args.dir)?;
    let working_copy = WorkingCopy::open(&root)?;
    let connection = args.server.resolve(Some(&working_copy), Access::Write)?;
    let status = collect(&working_copy, &connection).await?;
    if args.json {
        return Ok(output::json(&status)?);
    }
    for line in status_lines(&status, &connection.agent) {
        output::line(&line)?;
    }
    Ok(())
}

/// Reads the working copy, and requests from the server the listing, the
/// leases and the overlaps that the report needs.
pub(super) async fn collect(working_copy: &WorkingCopy, connection: &Connection) -> Result<Status> {
    let state = working_copy.load_state()?;
    let mut client = connect(connection).await?;
    check_workspace(working_copy, &client, &connection.server)?;
    let listing = client.listing().await?;
    let deleted: BTreeSet<String> = listing.deleted.iter().cloned().collect();
    let server = server_files(listing.files);
    let Survey { steps, failures } = survey(&working_copy.root, &state, &server, &deleted)?;

    let mut local_changes: Vec<FileChange> = steps
        .iter()
        .filter_map(|step| {
            let change = local_change(step.action)?;
            Some(FileChange {
                path: step.path.clone(),
                change: change.as_str(),
                error: None,
            })
        })
        .collect();
    local_changes.extend(failures.into_iter().map(|failure| FileChange {
        path: failure.path,
        change: "unreadable",
        error: Some(failure.error),
    }));
    local_changes.sort_by(|left, right| left.path.cmp(&right.path));

    let changed: BTreeSet<&str> = local_changes
        .iter()
        .map(|change| change.path.as_str())
        .collect();
    let leases = client
        .leases(&LeaseFilter::default())
        .await?
        .into_iter()
        .filter(|lease| lease.agent != connection.agent && changed.contains(lease.path.as_str()))
        .collect();
    let overlaps = client.overlaps(false, None).await?;
    let server_changes = server_changes(&state.files, &server)
        .into_iter()
        .map(|(path, change)| FileChange {
            path,
            change: change.as_str(),
            error: None,
        })
        .collect();
    Ok(Status {
        local_changes,
        leases,
        overlaps,
        server_changes,
    })
}

/// Formats the report as four sections, each a heading with a count and
/// one indented line per entry (`none` when empty).
fn status_lines(status: &Status, agent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut section = |heading: String, entries: Vec<String>| {
        lines.push(format!("{heading} ({}):", entries.len()));
        if entries.is_empty() {
            lines.push("  none".to_owned());
        }
        lines.extend(entries.into_iter().map(|entry| format!("  {entry}")));
    };
    section(
        "local changes".to_owned(),
        status.local_changes.iter().map(change_line).collect(),
    );
    section(
        "leases of other agents on these files".to_owned(),
        status.leases.iter().map(output::lease_line).collect(),
    );
    section(
        format!("open overlaps involving {agent}"),
        status
            .overlaps
            .iter()
            .map(output::listed_overlap_header)
            .collect(),
    );
    section(
        "changed on the server since the last sync".to_owned(),
        status.server_changes.iter().map(change_line).collect(),
    );
    lines
}

/// Formats `CHANGE PATH`, the change padded to 8 columns, and the error of
/// an unreadable file.
fn change_line(change: &FileChange) -> String {
    let mut text = format!("{:<8} {}", change.change, change.path);
    if let Some(error) = &change.error {
        text.push_str(": ");
        text.push_str(error);
    }
    text
}

#[cfg(test)]
mod tests {
    use crate::client::messages::LineRange;

    use super::*;

    fn change(path: &str, change: &'static str) -> FileChange {
        FileChange {
            path: path.into(),
            change,
            error: None,
        }
    }

    #[test]
    fn sections_list_entries_or_none() {
        let status = Status {
            local_changes: vec![
                change("src/a.rs", "modified"),
                FileChange {
                    error: Some("permission denied".into()),
                    ..change("secret.txt", "unreadable")
                },
            ],
            leases: vec![Lease {
                id: "ls-1".into(),
                agent: "agent-b".into(),
                path: "src/a.rs".into(),
                lines: Some(LineRange { start: 3, end: 5 }),
                intent: "rename".into(),
                fence: Some(2),
                state: "live".into(),
                ..Lease::default()
            }],
            overlaps: Vec::new(),
            server_changes: vec![change("README.md", "added")],
        };
        assert_eq!(
            status_lines(&status, "agent-a"),
            [
                "local changes (2):",
                "  modified src/a.rs",
                "  unreadable secret.txt: permission denied",
                "leases of other agents on these files (1):",
                "  ls-1 agent-b src/a.rs lines 3-5 \"rename\" fence 2",
                "open overlaps involving agent-a (0):",
                "  none",
                "changed on the server since the last sync (1):",
                "  added    README.md",
            ]
        );
    }

    #[test]
    fn json_has_four_lists() -> Result<()> {
        let status = Status {
            local_changes: vec![change("a.txt", "deleted")],
            leases: Vec::new(),
            overlaps: Vec::new(),
            server_changes: Vec::new(),
        };
        let value = serde_json::to_value(&status)?;
        assert_eq!(
            value,
            serde_json::json!({
                "local_changes": [{"path": "a.txt", "change": "deleted"}],
                "leases": [],
                "overlaps": [],
                "server_changes": []
            })
        );
        Ok(())
    }
}
