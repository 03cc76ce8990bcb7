//! `weft eval-merges`: measures weft's merges against `git merge-file` on
//! folders of three-way merge scenarios, and builds such folders from the
//! merge commits of a git repository (`--extract`) or from source files with
//! edits whose intended result is known (`--generate`).
//!
//! Layout:
//! - [`scenario`]: reading and writing scenario folders.
//! - [`git_merge`], [`regions`]: running git and placing its conflicts on
//!   base lines.
//! - [`weft_merge`]: the engine's merge and overlaps.
//! - [`evaluate`], [`report`]: the comparison of one scenario, and the
//!   figures of a run.
//! - [`extract`], [`generate`]: writing scenario sets.

mod evaluate;
mod extract;
mod generate;
mod git_merge;
mod regions;
mod report;
mod scenario;
mod weft_merge;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::output;
use evaluate::Outcome;
use report::Report;
use scenario::Loaded;

/// Arguments of `weft eval-merges`.
#[derive(Debug, clap::Args)]
pub struct EvalMergesArgs {
    /// Folder of scenario folders to evaluate, each with the files base,
    /// ours and theirs, and optionally resolved, path and kind
    #[arg(
        value_name = "DIR",
        required_unless_present_any = ["extract", "generate"],
        conflicts_with_all = ["extract", "generate"]
    )]
    pub dir: Option<PathBuf>,

    /// Print the figures as one JSON object
    #[arg(long)]
    pub json: bool,

    /// Write a scenario folder into OUTDIR for every text file changed on
    /// both sides of every two-parent merge commit of the git repository
    /// REPO
    #[arg(
        long,
        num_args = 2,
        value_names = ["REPO", "OUTDIR"],
        conflicts_with = "generate"
    )]
    pub extract: Option<Vec<PathBuf>>,

    /// Maximum number of scenarios that --extract writes [default: no
    /// limit]
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,

    /// Write scenarios with known intended results into OUTDIR, made by
    /// editing source files found under SRC
    #[arg(long, num_args = 2, value_names = ["SRC", "OUTDIR"])]
    pub generate: Option<Vec<PathBuf>>,

    /// Number of scenarios that --generate writes [default: 100]
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,

    /// Seed of the random choices of --generate [default: 1]
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
}

/// Scenarios that `--generate` writes without `--count`.
const DEFAULT_GENERATED: usize = 100;

/// Seed of `--generate` without `--seed`.
const DEFAULT_SEED: u64 = 1;

/// Runs `weft eval-merges`.
pub fn run(args: EvalMergesArgs) -> Result<()> {
    check_options(&args)?;
    if let Some(paths) = &args.extract {
        let summary = extract::extract(&paths[0], &paths[1], args.max)?;
        output::line(&summary.to_string())?;
        return Ok(());
    }
    if let Some(paths) = &args.generate {
        let count = args.count.unwrap_or(DEFAULT_GENERATED);
        let seed = args.seed.unwrap_or(DEFAULT_SEED);
        let summary = generate::generate(&paths[0], &paths[1], count, seed)?;
        output::line(&summary.to_string())?;
        return Ok(());
    }
    let Some(dir) = &args.dir else {
        bail!("missing scenario folder: pass DIR, --extract REPO OUTDIR or --generate SRC OUTDIR");
    };

    let report = evaluate_dir(dir)?;
    if args.json {
        let text =
            serde_json::to_string_pretty(&report).context("failed to format the report as JSON")?;
        output::line(&text)?;
    } else {
        output::bytes(report.to_text().as_bytes())?;
    }
    Ok(())
}

/// Rejects options that the chosen mode does not use, which clap's
/// `requires` does not catch next to the optional DIR.
fn check_options(args: &EvalMergesArgs) -> Result<()> {
    if args.max.is_some() && args.extract.is_none() {
        bail!("--max applies only to --extract REPO OUTDIR");
    }
    if (args.count.is_some() || args.seed.is_some()) && args.generate.is_none() {
        bail!("--count and --seed apply only to --generate SRC OUTDIR");
    }
    if args.json && args.dir.is_none() {
        bail!("--json applies only to evaluating a scenario folder DIR");
    }
    Ok(())
}

/// Evaluates every scenario folder under `dir`, on as many threads as the
/// machine has cores.
fn evaluate_dir(dir: &Path) -> Result<Report> {
    let folders = scenario::discover(dir)?;
    if folders.is_empty() {
        bail!(
            "no scenario folders found under {}: a scenario folder contains the files base, ours and theirs",
            dir.display()
        );
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(folders.len());

    let mut results: Vec<(usize, Result<Option<Outcome>>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let folders = &folders;
                scope.spawn(move || {
                    (worker..folders.len())
                        .step_by(workers)
                        .map(|index| (index, evaluate_folder(dir, &folders[index])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect()
    });
    if results.len() != folders.len() {
        bail!("an evaluation thread panicked, so some scenarios have no result");
    }
    results.sort_by_key(|(index, _)| *index);

    let mut outcomes = Vec::with_capacity(results.len());
    let mut skipped = 0;
    for (_, result) in results {
        match result? {
            Some(outcome) => outcomes.push(outcome),
            None => skipped += 1,
        }
    }
    Ok(Report::new(&outcomes, skipped))
}

/// Evaluates one scenario folder, or returns `None` when a text is not
/// UTF-8.
fn evaluate_folder(root: &Path, folder: &Path) -> Result<Option<Outcome>> {
    let name = folder
        .strip_prefix(root)
        .ok()
        .filter(|relative| !relative.as_os_str().is_empty())
        .map_or_else(
            || ".".to_owned(),
            |relative| relative.to_string_lossy().into_owned(),
        );
    match scenario::load(folder, name)? {
        Loaded::Text(scenario) => evaluate::evaluate(&scenario).map(Some),
        Loaded::NotUtf8 => Ok(None),
    }
}
