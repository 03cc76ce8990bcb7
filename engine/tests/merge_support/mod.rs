//! Helpers for comparing `merge_texts` with `git merge-file` on real Rust
//! sources: finding sample files in the local Cargo registry, making random
//! edits on disjoint line ranges, and running git.

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

/// Smallest sample file, in bytes.
const MIN_SAMPLE_BYTES: u64 = 2 * 1024;
/// Largest sample file, in bytes.
const MAX_SAMPLE_BYTES: u64 = 40 * 1024;
/// Unchanged lines kept between two edits, so that `git merge-file` treats
/// them as separate changes.
pub const MIN_GAP_LINES: usize = 3;

/// Returns the registry source folder: `$CARGO_HOME/registry/src`, or
/// `~/.cargo/registry/src`.
pub fn registry_source_dir() -> Option<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    Some(cargo_home.join("registry").join("src"))
}

/// Picks up to `count` `.rs` files of 2 KiB to 40 KiB under `root`, chosen
/// with a PRNG seeded by `seed` from the sorted list of candidates and
/// returned sorted by path.
pub fn sample_rust_files(root: &Path, count: usize, seed: u64) -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    collect_rust_files(root, &mut candidates);
    candidates.sort();

    let mut rng = StdRng::seed_from_u64(seed);
    let mut chosen: Vec<PathBuf> = candidates
        .choose_multiple(&mut rng, count)
        .cloned()
        .collect();
    chosen.sort();
    chosen
}

fn collect_rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if file_type.is_dir() {
            collect_rust_files(&path, found);
        } else if file_type.is_file() && path.extension().is_some_and(|ext| ext == "rs") {
            let size = entry.metadata().map(|metadata| metadata.len()).unwrap_or(0);
            if (MIN_SAMPLE_BYTES..=MAX_SAMPLE_BYTES).contains(&size) {
                found.push(path);
            }
        }
    }
}

/// Which side of a merge an edit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditSide {
    /// The current text ("ours" for git).
    Ours,
    /// The incoming text ("theirs" for git).
    Theirs,
}

/// Replaces base lines `start..end` (0-based, half-open; empty for an
/// insertion) with `lines`.
#[derive(Debug, Clone)]
pub struct LineEdit {
    /// The side that makes the edit.
    pub side: EditSide,
    /// First replaced base line.
    pub start: usize,
    /// End of the replaced base lines (exclusive).
    pub end: usize,
    /// Replacement lines, each ending with `"\n"`.
    pub lines: Vec<String>,
}

/// Makes random line edits (replace, insert, delete) of `base`, each assigned
/// to a random side, with at least [`MIN_GAP_LINES`] unchanged lines between
/// any two edits. New lines are unique, and a deleted or replaced range is
/// never bordered by a copy of its own first or last line, so no diff can
/// slide an edit towards its neighbour.
pub fn random_line_edits(base: &[&str], seed: u64) -> Vec<LineEdit> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut edits = Vec::new();
    let mut start = rng.random_range(0..MIN_GAP_LINES + 1);
    while start <= base.len() {
        let kind = rng.random_range(0..3);
        let len = rng.random_range(1..4).min(base.len() - start);
        let (end, new_len) = match kind {
            0 if len > 0 => (start + len, rng.random_range(1..3)),
            1 if len > 0 => (start + len, 0),
            _ => (start, rng.random_range(1..4)),
        };
        if end > start && can_slide(base, start, end) {
            start += 1;
            continue;
        }
        let side = if rng.random_bool(0.5) {
            EditSide::Ours
        } else {
            EditSide::Theirs
        };
        let lines = (0..new_len)
            .map(|line| {
                format!(
                    "// merge test seed {seed} edit {} line {line}\n",
                    edits.len()
                )
            })
            .collect();
        edits.push(LineEdit {
            side,
            start,
            end,
            lines,
        });
        start = end + MIN_GAP_LINES + rng.random_range(0..40);
    }
    edits
}

/// Returns whether a diff could also express deleting `start..end` as deleting a
/// range shifted by one line.
fn can_slide(base: &[&str], start: usize, end: usize) -> bool {
    let up = start > 0 && base[start - 1] == base[end - 1];
    let down = end < base.len() && base[start] == base[end];
    up || down
}

/// Applies the edits of `side` to `base`.
pub fn apply_line_edits(base: &[&str], edits: &[LineEdit], side: EditSide) -> String {
    let mut text = String::new();
    let mut cursor = 0;
    for edit in edits.iter().filter(|edit| edit.side == side) {
        text.extend(base[cursor..edit.start].iter().copied());
        text.extend(edit.lines.iter().map(String::as_str));
        cursor = edit.end;
    }
    text.extend(base[cursor..].iter().copied());
    text
}

/// Output of `git merge-file -p`.
#[derive(Debug)]
pub struct GitMerge {
    /// The merged text git printed.
    pub text: String,
    /// Git's exit status: 0 for a clean merge, the number of conflicts
    /// otherwise.
    pub status: i32,
}

/// Runs `git merge-file -p ours base theirs` on copies of the texts in a
/// temporary folder, without reading the system or global git configuration.
pub fn git_merge_file(base: &str, ours: &str, theirs: &str) -> GitMerge {
    let dir = tempfile::tempdir().expect("a temporary folder can be created for git merge-file");
    for (name, text) in [("base", base), ("ours", ours), ("theirs", theirs)] {
        std::fs::write(dir.path().join(name), text).expect("the temporary folder is writable");
    }

    let output = Command::new("git")
        .current_dir(dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["merge-file", "-p", "ours", "base", "theirs"])
        .output()
        .expect("git must be on PATH to compare merges with git merge-file");
    GitMerge {
        text: String::from_utf8(output.stdout)
            .expect("git merge-file prints the UTF-8 inputs back as UTF-8"),
        status: output.status.code().unwrap_or(-1),
    }
}

/// Describes the first line where `actual` differs from git's output
/// `expected`, for assertion messages that would otherwise print two whole
/// files.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.split_inclusive('\n');
    let mut actual_lines = actual.split_inclusive('\n');
    let mut line = 1;
    loop {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(left), Some(right)) if left == right => line += 1,
            (None, None) => return "no difference".to_owned(),
            (left, right) => {
                return format!("line {line} is {right:?} but git has {left:?}");
            }
        }
    }
}
