//! `weft sync`: brings a working copy and the server into agreement, one
//! file at a time: plan from hashes, bases and the server's listing, then
//! carry out each step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::client::{Client, FileEntry};
use crate::output;
use crate::working_copy::{self, State, WorkingCopy};

use super::apply::Syncer;
use super::plan::{LocalFile, ServerFile, Step, plan};
use super::{Access, ServerArgs, connect, dry_run, tree};

/// Arguments of `weft sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Working copy to sync [default: the working copy around the current
    /// folder]
    pub dir: Option<PathBuf>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print one JSON object per file instead of text lines
    #[arg(long)]
    pub json: bool,

    /// Print what the sync would do, with the merges and overlaps that the
    /// server previews, and change nothing: no file, no state and nothing on
    /// the server
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `weft sync`.
pub async fn run(args: SyncArgs) -> Result<()> {
    let root = working_copy_root(args.dir)?;
    let working_copy = WorkingCopy::open(&root)?;
    let connection = args.server.resolve(Some(&working_copy), Access::Write)?;
    let state = working_copy.load_state()?;

    let mut client = connect(&connection).await?;
    check_workspace(&working_copy, &client, &connection.server)?;
    let listing = client.listing().await?;
    let deleted_on_server: BTreeSet<String> = listing.deleted.iter().cloned().collect();
    let listed_seq = listing.seq;
    client.set_since(state.seq);
    let server = server_files(listing.files);
    let Survey { steps, failures } = survey(&root, &state, &server, &deleted_on_server)?;
    for failure in &failures {
        failure.print(args.json)?;
    }

    let report = if args.dry_run {
        dry_run::preview_steps(&mut client, &root, &state, &steps, args.json).await?
    } else {
        let mut syncer = Syncer {
            working_copy: &working_copy,
            client: &mut client,
            agent: &connection.agent,
            state,
        };
        let report = apply_steps(&mut syncer, &steps, args.json, &[]).await?;

        // Every file is now up to date with the server as listed, so the
        // copy has seen every write numbered up to the listing's number.
        if report.failed == 0 && failures.is_empty() {
            syncer.state.seq = listed_seq;
            working_copy.save_state(&syncer.state)?;
        }
        report
    };
    let failed = failures.len() + report.failed;
    if failed > 0 && args.dry_run {
        bail!(
            "{failed} files failed in the dry run; fix the errors listed above and run weft sync --dry-run again"
        );
    }
    if failed > 0 {
        bail!("{failed} files failed to sync; fix the errors listed above and run weft sync again");
    }
    Ok(())
}

/// Returns the absolute root of the working copy `dir`, or of the one
/// around the current folder when `dir` is `None`.
pub fn working_copy_root(dir: Option<PathBuf>) -> Result<PathBuf> {
    let root = match dir {
        Some(dir) => dir,
        None => {
            let current = std::env::current_dir().context("failed to read the current folder")?;
            working_copy::discover(&current).with_context(|| {
                format!(
                    "{} is not inside a working copy; pass the working copy folder or run weft clone first",
                    current.display()
                )
            })?
        }
    };
    std::path::absolute(&root).with_context(|| format!("invalid folder {}", root.display()))
}

/// The steps of a sync, planned and not yet carried out, and the tracked
/// files that could not be read (which get no step).
pub struct Survey {
    /// One step per path that a sync would change, in path order.
    pub steps: Vec<Step>,
    /// Tracked files that failed to read.
    pub failures: Vec<Failure>,
}

/// Scans the working copy at `root` and plans a sync with the server's
/// files, the way `weft sync` does before it changes anything. `deleted`
/// lists the paths the server deleted or renamed away.
pub fn survey(
    root: &Path,
    state: &State,
    server: &BTreeMap<String, ServerFile>,
    deleted: &BTreeSet<String>,
) -> Result<Survey> {
    let mut local = tree::scan(root)?;

    // A tracked file that the scan left out (because an ignore rule now
    // matches it) is still synced, the way git keeps tracking such files.
    let mut failures = Vec::new();
    for path in state.files.keys() {
        if local.contains_key(path) {
            continue;
        }
        match read_tracked(root, path) {
            Ok(Some(file)) => {
                local.insert(path.clone(), file);
            }
            Ok(None) => {}
            Err(error) => failures.push(Failure::new(path, &error)),
        }
    }
    let blocked: BTreeSet<String> = failures
        .iter()
        .map(|failure| failure.path.clone())
        .collect();
    let steps = plan(&local, &state.files, server)
        .into_iter()
        .filter(|step| !blocked.contains(&step.path))
        .map(|step| keep_unless_deleted(step, deleted))
        .collect();
    Ok(Survey { steps, failures })
}

/// Counts of an [`apply_steps`] run.
pub struct Report {
    /// Steps that succeeded.
    pub succeeded: usize,
    /// Steps that failed.
    pub failed: usize,
}

/// Applies `steps` in order, printing each outcome (except the actions in
/// `quiet`) and each failure, and goes on after a failed file. Stops early
/// only when the connection is lost.
pub async fn apply_steps(
    syncer: &mut Syncer<'_>,
    steps: &[Step],
    json: bool,
    quiet: &[&str],
) -> Result<Report> {
    let mut report = Report {
        succeeded: 0,
        failed: 0,
    };
    for (index, step) in steps.iter().enumerate() {
        match syncer.apply(step).await {
            Ok(Some(outcome)) => {
                report.succeeded += 1;
                if !quiet.contains(&outcome.action) {
                    outcome.print(json)?;
                }
            }
            Ok(None) => report.succeeded += 1,
            Err(error) => {
                tracing::debug!(path = %step.path, error = format!("{error:#}"), "step failed");
                report.failed += 1;
                Failure::new(&step.path, &error).print(json)?;
                if syncer.client.is_closed() {
                    let remaining = steps.len() - index - 1;
                    return Err(connection_lost(syncer.client, remaining, error));
                }
            }
        }
    }
    Ok(report)
}

pub(super) fn connection_lost(
    client: &Client,
    remaining: usize,
    error: anyhow::Error,
) -> anyhow::Error {
    error.context(format!(
        "lost the connection to {}, so {remaining} more files were not synced; run weft sync again",
        client.url()
    ))
}

/// Converts a listing into the plan's input.
pub fn server_files(listing: Vec<FileEntry>) -> BTreeMap<String, ServerFile> {
    listing
        .into_iter()
        .map(|entry| {
            let file = ServerFile {
                version: entry.version,
                executable: entry.executable,
            };
            (entry.path, file)
        })
        .collect()
}

fn read_tracked(root: &Path, path: &str) -> Result<Option<LocalFile>> {
    let checked = tree::checked_path(path)?;
    Ok(tree::read(root, &checked)?.map(|local| local.summary()))
}

/// A file that failed to sync, as printed.
#[derive(Debug, Serialize)]
pub struct Failure {
    /// Workspace path.
    pub path: String,
    action: &'static str,
    /// The error, on one line.
    pub error: String,
}

impl Failure {
    pub(super) fn new(path: &str, error: &anyhow::Error) -> Failure {
        Failure {
            path: path.to_owned(),
            action: "failed",
            error: format!("{error:#}").replace('\n', " "),
        }
    }

    /// Prints `failed  PATH: ERROR`, or the JSON object with `json`.
    pub(super) fn print(&self, json: bool) -> std::io::Result<()> {
        if json {
            return output::json(self);
        }
        let text = format!(
            "{}: {}",
            output::result_line(self.action, &self.path),
            self.error
        );
        output::line(&text)
    }
}

/// Refuses a server that serves another workspace than the one this copy
/// was cloned from: its files would look deleted there, and syncing would
/// delete them here.
pub(super) fn check_workspace(
    working_copy: &WorkingCopy,
    client: &Client,
    url: &str,
) -> Result<()> {
    let Some(cloned) = working_copy.config.workspace.as_deref() else {
        return Ok(());
    };
    match client.workspace() {
        Some(served) if served != cloned => anyhow::bail!(
            "{url} now serves workspace {served}, but this working copy was cloned from workspace \
             {cloned} (the server's store was re-created, or it serves another folder); nothing was \
             synced. Clone again into a new folder and copy your changes over"
        ),
        _ => Ok(()),
    }
}

/// Keeps a local file that the server no longer lists but never deleted:
/// the server has lost it (or serves other files), so deleting the local
/// copy would lose it everywhere.
fn keep_unless_deleted(step: Step, deleted_on_server: &BTreeSet<String>) -> Step {
    if step.action == super::plan::Action::DeleteLocal && !deleted_on_server.contains(&step.path) {
        Step {
            action: super::plan::Action::Skip(
                "the server has no record of this file and never deleted it; the local file is kept",
            ),
            ..step
        }
    } else {
        step
    }
}
