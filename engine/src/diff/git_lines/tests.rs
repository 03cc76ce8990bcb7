//! Tests of the git-aligned line diff: against `git merge-file`'s hunks,
//! xdiff's line selection, and its cost limits.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::compared::{Occurrence, discard_frequent, rough_sqrt};
use super::*;
use crate::diff::{diff_hunks, slide_hunks};

fn hunk(old: std::ops::Range<usize>, new: std::ops::Range<usize>) -> Hunk {
    Hunk { old, new }
}

/// Diffs as `git merge-file` does: xdiff's comparison, then sliding.
fn git_diff(old: &[&str], new: &[&str]) -> Vec<Hunk> {
    slide_hunks(old, new, &git_line_hunks(old, new))
}

/// Checks that `hunks` are ascending and apart and that the lines they
/// leave unchanged are equal, so that they turn `old` into `new`.
fn assert_valid<T: PartialEq + std::fmt::Debug>(old: &[T], new: &[T], hunks: &[Hunk]) {
    let (mut old_index, mut new_index) = (0, 0);
    for hunk in hunks {
        assert!(!hunk.old.is_empty() || !hunk.new.is_empty(), "{hunk:?}");
        assert!(hunk.old.start >= old_index, "{hunk:?}");
        assert!(hunk.new.start >= new_index, "{hunk:?}");
        assert_eq!(hunk.old.start - old_index, hunk.new.start - new_index);
        assert_eq!(
            old[old_index..hunk.old.start],
            new[new_index..hunk.new.start]
        );
        if old_index > 0 || new_index > 0 {
            assert!(hunk.old.start > old_index, "hunks touch at {hunk:?}");
        }
        old_index = hunk.old.end;
        new_index = hunk.new.end;
    }
    assert_eq!(old[old_index..], new[new_index..]);
}

#[test]
fn rough_sqrt_doubles_every_two_bits() {
    let roots = [
        (0, 1),
        (1, 2),
        (3, 2),
        (4, 4),
        (15, 4),
        (16, 8),
        (64, 16),
        (1_000, 32),
    ];
    for (n, root) in roots {
        assert_eq!(rough_sqrt(n), root, "rough_sqrt({n})");
    }
}

#[test]
fn equal_and_empty_texts() {
    assert!(git_line_hunks(&["a", "b"], &["a", "b"]).is_empty());
    assert!(git_line_hunks::<&str>(&[], &[]).is_empty());
    assert_eq!(git_line_hunks(&[], &["a"]), [hunk(0..0, 0..1)]);
    assert_eq!(git_line_hunks(&["a", "b"], &[]), [hunk(0..2, 0..0)]);
}

#[test]
fn unmatched_lines_are_not_compared() {
    // Steps are added after "if: linux" and the job of lines 4-7 is
    // deleted. With the lines that only one text has left out, the
    // blank line before the job is compared with the one after the
    // new steps, so git deletes it and keeps the blank line after the
    // job. A Myers diff of all lines keeps the line before the job.
    let old = [
        "name: ci",
        "- run: test",
        "if: linux",
        "",
        "old-job:",
        "- run: build",
        "- run: doc",
        "",
        "build:",
    ];
    let new = [
        "name: checks",
        "on: push",
        "- run: test",
        "if: linux",
        "- run: check",
        "env: strict",
        "if: linux",
        "",
        "build:",
    ];
    assert_eq!(git_diff(&old, &new), [hunk(0..1, 0..2), hunk(3..7, 4..7)]);
    let all_lines = slide_hunks(&old, &new, &diff_hunks(&old, &new));
    assert_eq!(
        all_lines,
        [hunk(0..1, 0..2), hunk(3..3, 4..7), hunk(4..8, 8..8)]
    );
}

#[test]
fn blank_line_kept_as_git_keeps_it() {
    // Either blank line 3 or 5 can stay. git keeps line 5 here because
    // the text also gains two lines at the top.
    let old = [
        "// Time utilities.",
        "mod interval;",
        "pub use interval::Interval;",
        "",
        "pub mod throttle;",
        "",
        "pub mod timeout;",
        "pub use timeout::Timeout;",
    ];
    let new = [
        "//! Timers.",
        "",
        "// Time utilities.",
        "mod interval;",
        "pub use interval::{interval, Interval};",
        "",
        "mod timeout;",
        "pub use timeout::{timeout, Timeout};",
    ];
    assert_eq!(
        git_diff(&old, &new),
        [hunk(0..0, 0..2), hunk(2..5, 4..5), hunk(6..8, 6..8)]
    );
}

#[test]
fn frequent_line_discarded_among_unmatched_lines() {
    use Occurrence::{Frequent, Matched, Unmatched};

    // Four unmatched lines on each side outweigh the frequent line,
    // which counts twice.
    let run = [Unmatched, Unmatched, Unmatched, Unmatched, Frequent];
    let around: Vec<Occurrence> = run.iter().chain(&run[..4]).copied().collect();
    assert!(discard_frequent(&around, 4));

    // Three on each side do not.
    let fewer = [
        Unmatched, Unmatched, Unmatched, Frequent, Unmatched, Unmatched, Unmatched,
    ];
    assert!(!discard_frequent(&fewer, 3));

    // Without an unmatched line on both sides the line stays.
    let one_side = [
        Matched, Frequent, Unmatched, Unmatched, Unmatched, Unmatched,
    ];
    assert!(!discard_frequent(&one_side, 1));
    let at_start = [Frequent, Unmatched, Unmatched, Unmatched, Unmatched];
    assert!(!discard_frequent(&at_start, 0));

    // The run ends at the nearest matched line.
    let cut = [
        Unmatched, Matched, Unmatched, Frequent, Unmatched, Matched, Unmatched,
    ];
    assert!(!discard_frequent(&cut, 3));
}

#[test]
fn large_texts_give_valid_hunks() {
    let mut rng = StdRng::seed_from_u64(7);
    let lines = ["", "}", "{", "a", "b", "    x"];
    let text = |rng: &mut StdRng, len: usize| -> Vec<String> {
        (0..len)
            .map(|_| match rng.random_range(0..8) {
                index @ 0..6 => lines[index].to_owned(),
                _ => format!("line {}", rng.random_range(0..500)),
            })
            .collect()
    };

    // Unlike texts reach the maximum edit cost, 256 for texts of up to
    // 65,536 lines in all, where the search stops at the furthest point.
    let old = text(&mut rng, 3_000);
    let unlike = text(&mut rng, 2_500);
    let hunks = git_line_hunks(&old, &unlike);
    assert_valid(&old, &unlike, &hunks);
    assert_valid(&old, &unlike, &slide_hunks(&old, &unlike, &hunks));

    // Longer texts raise the maximum, so past a cost of 256 the search
    // first tries good-enough split points at runs of more than 20 equal
    // lines, which the half with edits 25 lines apart has.
    let old = text(&mut rng, 36_000);
    let mut edited = Vec::new();
    for (index, line) in old.iter().enumerate() {
        let gap = if index < old.len() / 2 { 25 } else { 3 };
        if index % gap == 0 {
            let added = rng.random_range(1..6);
            edited.extend((0..added).map(|number| format!("added {index} {number}")));
            if rng.random_bool(0.5) {
                continue;
            }
        }
        edited.push(line.clone());
    }
    let hunks = git_line_hunks(&old, &edited);
    assert_valid(&old, &edited, &hunks);
    assert_valid(&old, &edited, &slide_hunks(&old, &edited, &hunks));
}
