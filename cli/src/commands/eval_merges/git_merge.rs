//! `git merge-file` as the reference merge: runs it on temporary copies of a
//! scenario, reads its diff3 conflict sections, and finds the line alignment
//! that the merge used, so that [`super::regions`] can place each conflict on
//! base lines.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};

use super::regions::{self, ConflictSections, Hunk, Located};

/// Length of the conflict markers requested from git. Markers longer than
/// git's default of 7 keep lines such as `=======` in the files from being
/// read as markers.
const MARKER_SIZE: usize = 32;

/// The labels given to the three files, which git prints after the markers.
const LABELS: [&str; 3] = ["ours", "base", "theirs"];

/// The start of the sentinel lines of [`merge_aligned_hunks`], followed by a
/// space and a base line number.
const SENTINEL: &str = "weft-eval-merges-sentinel-5d0c8e1b";

/// The result of `git merge-file -p --diff3 ours base theirs`.
#[derive(Debug)]
pub struct GitMerge {
    /// The text git printed: the merged text when clean, otherwise with
    /// conflict markers.
    pub text: String,
    /// The conflict regions, in base order, on base lines. Empty when the
    /// merge is clean.
    pub regions: Vec<Located>,
}

impl GitMerge {
    /// Returns whether git merged without conflicts.
    pub fn is_clean(&self) -> bool {
        self.regions.is_empty()
    }
}

/// Output of one `git merge-file` run.
struct MergeFileOutput {
    text: String,
    conflict_count: usize,
}

/// Runs `git merge-file` on temporary copies of the three texts, without
/// the system or global git configuration (so `merge.conflictStyle` or
/// `diff.algorithm` cannot change the result), and locates each conflict.
pub fn merge(base: &str, ours: &str, theirs: &str) -> Result<GitMerge> {
    let dir = tempfile::tempdir().context("failed to create a temporary folder for git")?;
    for (name, text) in [("ours", ours), ("base", base), ("theirs", theirs)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }

    let output = merge_file(dir.path(), ["ours", "base", "theirs"])?;
    if output.conflict_count == 0 {
        return Ok(GitMerge {
            text: output.text,
            regions: Vec::new(),
        });
    }
    let conflicts = parse_conflicts(&output.text)?;
    // git caps its exit status at 127 conflicts.
    let count_matches = conflicts.len() == output.conflict_count
        || (output.conflict_count == 127 && conflicts.len() > 127);
    if !count_matches {
        bail!(
            "git merge-file reported {} conflicts but printed {} conflict sections",
            output.conflict_count,
            conflicts.len()
        );
    }
    let ours_hunks = merge_aligned_hunks(dir.path(), base, "ours")?;
    let theirs_hunks = merge_aligned_hunks(dir.path(), base, "theirs")?;
    let regions = regions::locate(base, ours, theirs, &ours_hunks, &theirs_hunks, &conflicts);
    Ok(GitMerge {
        text: output.text,
        regions,
    })
}

/// Runs `git merge-file -p --diff3` on the files `[ours, base, theirs]` in
/// `dir`, labelled with [`LABELS`] and with [`MARKER_SIZE`] markers.
fn merge_file(dir: &Path, files: [&str; 3]) -> Result<MergeFileOutput> {
    let marker_size = MARKER_SIZE.to_string();
    let mut args = vec!["merge-file", "-p", "--diff3", "--marker-size", &marker_size];
    for label in LABELS {
        args.extend(["-L", label]);
    }
    args.extend(files);
    let output = git(dir, &args)?;
    let conflict_count = match output.status.code() {
        Some(code @ 0..=127) => code as usize,
        _ => bail!(
            "git merge-file failed with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    };
    let text = String::from_utf8(output.stdout)
        .context("git merge-file printed text that is not UTF-8 for UTF-8 inputs")?;
    Ok(MergeFileOutput {
        text,
        conflict_count,
    })
}

/// Reads the conflict sections of diff3 output with [`MARKER_SIZE`]
/// markers and [`LABELS`].
fn parse_conflicts(text: &str) -> Result<Vec<ConflictSections<'_>>> {
    let start = format!("{} {}", "<".repeat(MARKER_SIZE), LABELS[0]);
    let base = format!("{} {}", "|".repeat(MARKER_SIZE), LABELS[1]);
    let separator = "=".repeat(MARKER_SIZE);
    let end = format!("{} {}", ">".repeat(MARKER_SIZE), LABELS[2]);

    #[derive(PartialEq)]
    enum Part {
        Outside,
        Ours,
        Base,
        Theirs,
    }
    let mut part = Part::Outside;
    let mut conflicts = Vec::new();
    let mut current = ConflictSections::default();
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        part = match part {
            Part::Outside if bare == start => Part::Ours,
            Part::Outside => Part::Outside,
            Part::Ours if bare == base => Part::Base,
            Part::Base if bare == separator => Part::Theirs,
            Part::Theirs if bare == end => {
                conflicts.push(std::mem::take(&mut current));
                Part::Outside
            }
            Part::Ours => {
                current.ours.push(line);
                Part::Ours
            }
            Part::Base => {
                current.base.push(line);
                Part::Base
            }
            Part::Theirs => {
                current.theirs.push(line);
                Part::Theirs
            }
        };
    }
    if part != Part::Outside {
        bail!("the git merge-file output ends inside a conflict");
    }
    Ok(conflicts)
}

/// Returns the hunks of file `side` against file `base` in `dir` exactly as
/// `git merge-file` aligns them.
///
/// `git diff -U0` is no substitute: without context lines, git trims the
/// common tail of the two files before diffing (`trim_common_tail` in git's
/// `xdiff-interface.c`), which can align lines differently. So this merges `side`
/// with a copy of the base that has a unique sentinel line before every base
/// line and after the last one (if that ends with a newline). Every hunk of
/// `side` then conflicts with the sentinels it overlaps or touches, and no
/// two hunks share a conflict because an unchanged line separates them. The
/// copy's conflict section contains the sentinels `start..=end` and the
/// base lines between them, which gives the hunk's base lines.
fn merge_aligned_hunks(dir: &Path, base: &str, side: &str) -> Result<Vec<Hunk>> {
    let base_lines: Vec<&str> = base.split_inclusive('\n').collect();
    let mut sentinels = String::with_capacity(base.len() * 2);
    for (index, line) in base_lines.iter().enumerate() {
        sentinels.push_str(&format!("{SENTINEL} {index}\n"));
        sentinels.push_str(line);
    }
    if base.is_empty() || base.ends_with('\n') {
        sentinels.push_str(&format!("{SENTINEL} {}\n", base_lines.len()));
    }
    let path = dir.join("sentinels");
    std::fs::write(&path, sentinels)
        .with_context(|| format!("failed to write {}", path.display()))?;

    let output = merge_file(dir, [side, "base", "sentinels"])?;
    let conflicts = parse_conflicts(&output.text)?;
    let mut hunks = Vec::with_capacity(conflicts.len());
    let mut offset: isize = 0;
    for conflict in &conflicts {
        let first_sentinel = conflict
            .theirs
            .iter()
            .find_map(|line| sentinel_index(line))
            .context("a conflict of the sentinel merge has no sentinel line")?;
        let base_len = conflict
            .theirs
            .iter()
            .filter(|line| sentinel_index(line).is_none())
            .count();
        let side_start = first_sentinel
            .checked_add_signed(offset)
            .context("the sentinel merge gave hunks out of order")?;
        hunks.push(Hunk {
            old: first_sentinel..first_sentinel + base_len,
            new: side_start..side_start + conflict.ours.len(),
        });
        offset += conflict.ours.len() as isize - base_len as isize;
    }
    Ok(hunks)
}

/// Returns the base line number of a sentinel line, or `None` for any
/// other line.
fn sentinel_index(line: &str) -> Option<usize> {
    line.trim_end_matches(['\n', '\r'])
        .strip_prefix(SENTINEL)?
        .strip_prefix(' ')?
        .parse()
        .ok()
}

/// Runs git in `dir` without the system or global configuration, and
/// without looking for a repository above `dir`.
fn git(dir: &Path, args: &[&str]) -> Result<Output> {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(args);
    if let Some(parent) = dir.parent() {
        command.env("GIT_CEILING_DIRECTORIES", parent);
    }
    command
        .output()
        .with_context(|| format!("failed to run git {}: is git on PATH?", args[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_engine::merge::LineRange;

    #[test]
    fn clean_merge_has_no_regions() -> Result<()> {
        let merged = merge("a\nb\nc\nd\ne\n", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n")?;
        assert!(merged.is_clean());
        assert_eq!(merged.text, "A\nb\nc\nd\nE\n");
        Ok(())
    }

    #[test]
    fn conflict_on_repeated_line_is_placed() -> Result<()> {
        let base = "}\n\nfn a() {}\n}\n\nfn b() {}\n}\n";
        let ours = "}\n\nfn a() {}\n}\n// ours\nfn b() {}\n}\n";
        let theirs = "}\n\nfn a() {}\n}\n// theirs\nfn b() {}\n}\n";
        let merged = merge(base, ours, theirs)?;
        assert_eq!(merged.regions.len(), 1);
        assert_eq!(merged.regions[0].base_lines, LineRange { start: 5, end: 5 });
        assert!(merged.regions[0].by_alignment);
        Ok(())
    }

    #[test]
    fn same_point_inserts_are_an_insertion_point() -> Result<()> {
        let merged = merge("a\nb\n", "a\nc\nb\n", "a\nd\nb\n")?;
        assert_eq!(merged.regions.len(), 1);
        assert_eq!(merged.regions[0].base_lines, LineRange { start: 2, end: 1 });
        assert!(merged.regions[0].by_alignment);
        Ok(())
    }

    #[test]
    fn hunks_follow_the_merge_alignment() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let base = "a\nb\nc\nd\ne";
        std::fs::write(dir.path().join("base"), base)?;
        std::fs::write(dir.path().join("side"), "x\na\nB\nc\ne\nf")?;
        let hunks = merge_aligned_hunks(dir.path(), base, "side")?;
        assert_eq!(
            hunks,
            [
                Hunk {
                    old: 0..0,
                    new: 0..1
                },
                Hunk {
                    old: 1..2,
                    new: 2..3
                },
                Hunk {
                    old: 3..5,
                    new: 4..6
                },
            ]
        );
        Ok(())
    }

    #[test]
    fn marker_like_lines_in_files_are_content() -> Result<()> {
        let base = "=======\nx\n=======\n";
        let merged = merge(base, "=======\ny\n=======\n", "=======\nz\n=======\n")?;
        assert_eq!(merged.regions.len(), 1);
        assert_eq!(merged.regions[0].base_lines, LineRange { start: 2, end: 2 });
        Ok(())
    }
}
