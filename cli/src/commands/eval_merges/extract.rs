//! `--extract`: scenario folders from the merge commits of a git
//! repository, one per file that both parents changed since their merge
//! base, with the merge commit's version as the accepted result.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{BufRead as _, BufReader, BufWriter, Read as _, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, Result, bail};

use super::scenario::{self, ScenarioFiles};

/// Largest file extracted, in bytes; larger files are skipped as unlikely
/// to be hand-edited source.
const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Hex digits of the merge commit hash in a scenario folder's name.
const SHORT_HASH_LEN: usize = 12;

/// The counts of an extraction run.
#[derive(Debug, Default)]
pub struct ExtractSummary {
    /// Merge commits with exactly two parents that were examined.
    pub merges: usize,
    /// Merge commits skipped for having more than two parents.
    pub octopus_merges: usize,
    /// Merge commits skipped because the parents have no merge base or
    /// several (a criss-cross merge, which git merges against a virtual
    /// base that is not in the history).
    pub merges_without_single_base: usize,
    /// Scenario folders written.
    pub scenarios: usize,
    /// Files skipped because a version is binary, not UTF-8 or too large.
    pub files_not_text: usize,
    /// Files skipped because the base, a parent or the merge commit lacks
    /// them (added on both sides, deleted on a side or by the merge).
    pub files_missing: usize,
    /// Whether extraction stopped at the `--max` limit.
    pub limit_reached: bool,
}

impl fmt::Display for ExtractSummary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "wrote {} scenarios from {} two-parent merge commits{}; skipped {} octopus merges, {} merges without a single merge base, {} files that are not text, {} files missing from a version",
            self.scenarios,
            self.merges,
            if self.limit_reached {
                " (stopped at --max)"
            } else {
                ""
            },
            self.octopus_merges,
            self.merges_without_single_base,
            self.files_not_text,
            self.files_missing,
        )
    }
}

/// Writes scenario folders named `HASH-INDEX` into `out` for the merge
/// commits of the repository `repo` (bare or not), reachable from any ref,
/// in `git rev-list` order, stopping after `max` scenarios.
pub fn extract(repo: &Path, out: &Path, max: Option<usize>) -> Result<ExtractSummary> {
    git_text(repo, &["rev-parse", "--git-dir"])
        .with_context(|| format!("{} is not a git repository", repo.display()))?;
    let merges = git_text(repo, &["rev-list", "--merges", "--parents", "--all"])?;
    std::fs::create_dir_all(out).with_context(|| format!("failed to create {}", out.display()))?;

    let mut blobs = BlobReader::start(repo)?;
    let mut summary = ExtractSummary::default();
    for line in merges.lines() {
        let hashes: Vec<&str> = line.split(' ').collect();
        let [merge, first, second] = hashes[..] else {
            summary.octopus_merges += 1;
            continue;
        };
        summary.merges += 1;
        // `git merge-base` exits 1 when the parents share no commit, which
        // counts as no merge base like any other failure of it here.
        let bases = git_text(repo, &["merge-base", "--all", first, second]).unwrap_or_default();
        let [base] = bases.lines().collect::<Vec<_>>()[..] else {
            summary.merges_without_single_base += 1;
            continue;
        };

        let ours_changed = changed_paths(repo, base, first)?;
        let theirs_changed = changed_paths(repo, base, second)?;
        let both: Vec<&String> = ours_changed.intersection(&theirs_changed).collect();
        for (index, path) in both.into_iter().enumerate() {
            if max.is_some_and(|max| summary.scenarios >= max) {
                summary.limit_reached = true;
                return Ok(summary);
            }
            let name = format!("{}-{index}", &merge[..SHORT_HASH_LEN.min(merge.len())]);
            let commits = [base, first, second, merge];
            match extract_file(&mut blobs, commits, path, &out.join(name))? {
                FileOutcome::Written => summary.scenarios += 1,
                FileOutcome::Missing => summary.files_missing += 1,
                FileOutcome::NotText => summary.files_not_text += 1,
            }
        }
    }
    Ok(summary)
}

/// The result of extracting one file of a merge.
enum FileOutcome {
    Written,
    Missing,
    NotText,
}

/// Writes the scenario of `path` into `folder` from its versions in the
/// `[base, ours, theirs, merge]` commits.
fn extract_file(
    blobs: &mut BlobReader,
    commits: [&str; 4],
    path: &str,
    folder: &Path,
) -> Result<FileOutcome> {
    let mut versions = Vec::with_capacity(commits.len());
    for commit in commits {
        match blobs.read(commit, path)? {
            Some(blob) => versions.push(blob),
            None => return Ok(FileOutcome::Missing),
        }
    }
    let texts: Option<Vec<&str>> = versions.iter().map(Blob::as_text).collect();
    let Some([base, ours, theirs, resolved]) = texts.as_deref() else {
        return Ok(FileOutcome::NotText);
    };
    scenario::write(
        folder,
        &ScenarioFiles {
            base,
            ours,
            theirs,
            resolved: Some(resolved),
            path: Some(path),
            kind: None,
        },
    )?;
    Ok(FileOutcome::Written)
}

/// Returns the paths of files that differ between two commits, with renames
/// seen as a deletion and an addition.
fn changed_paths(repo: &Path, from: &str, to: &str) -> Result<BTreeSet<String>> {
    let output = git_output(
        repo,
        &[
            "diff-tree",
            "-r",
            "-z",
            "--name-only",
            "--no-renames",
            from,
            to,
        ],
    )?;
    Ok(output
        .split(|byte| *byte == 0)
        .filter(|path| !path.is_empty())
        .filter_map(|path| String::from_utf8(path.to_vec()).ok())
        .collect())
}

/// Runs git in `repo` and returns its stdout as text.
fn git_text(repo: &Path, args: &[&str]) -> Result<String> {
    let output = git_output(repo, args)?;
    String::from_utf8(output)
        .with_context(|| format!("git {} printed text that is not UTF-8", args[0]))
}

/// Runs git in `repo` and returns its stdout, failing unless it exits 0.
fn git_output(repo: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .with_context(|| format!("failed to run git {}: is git on PATH?", args[0]))?;
    if !output.status.success() {
        bail!(
            "git {} failed with {}: {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

/// A file's content in one commit.
struct Blob(Vec<u8>);

impl Blob {
    /// Returns the content as text when it is UTF-8 without NUL bytes and
    /// smaller than [`MAX_FILE_BYTES`].
    fn as_text(&self) -> Option<&str> {
        if self.0.len() >= MAX_FILE_BYTES || self.0.contains(&0) {
            return None;
        }
        std::str::from_utf8(&self.0).ok()
    }
}

/// One `git cat-file --batch` process that reads file contents by
/// `COMMIT:PATH`.
struct BlobReader {
    child: Child,
    input: BufWriter<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl BlobReader {
    fn start(repo: &Path) -> Result<Self> {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("failed to start git cat-file --batch: is git on PATH?")?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            bail!("git cat-file --batch started without pipes");
        };
        Ok(Self {
            child,
            input: BufWriter::new(input),
            output: BufReader::new(output),
        })
    }

    /// Returns the content of `path` in `commit`, or `None` when the commit
    /// has no file there (a missing path, a folder or a submodule).
    fn read(&mut self, commit: &str, path: &str) -> Result<Option<Blob>> {
        // The batch protocol is line-based, so such a path cannot be asked for.
        if path.contains('\n') {
            return Ok(None);
        }
        writeln!(self.input, "{commit}:{path}")
            .and_then(|()| self.input.flush())
            .context("failed to write to git cat-file")?;
        let mut header = String::new();
        self.output
            .read_line(&mut header)
            .context("failed to read from git cat-file")?;
        let header = header.trim_end();
        // A path that the commit lacks prints `COMMIT:PATH missing`.
        if header.ends_with(" missing") || header.ends_with(" ambiguous") {
            return Ok(None);
        }
        let fields: Vec<&str> = header.split(' ').collect();
        let [_, kind, size] = fields[..] else {
            bail!("unexpected git cat-file header {header:?} for {commit}:{path}");
        };
        let size: usize = size
            .parse()
            .with_context(|| format!("invalid git cat-file header {header:?}"))?;
        let mut content = vec![0; size + 1];
        self.output
            .read_exact(&mut content)
            .context("failed to read from git cat-file")?;
        content.pop();
        Ok((kind == "blob").then_some(Blob(content)))
    }
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        // The process would wait for more requests, so stop it and reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
