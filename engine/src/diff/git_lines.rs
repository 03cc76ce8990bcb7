//! A line diff that picks the same unchanged lines as the Myers diff of
//! git's xdiff, so that weft can find the places where `git merge-file`
//! conflicts.
//!
//! The steps and their constants follow `xdl_do_diff` in git 2.47
//! (`xdiff/xprepare.c` and `xdiff/xdiffi.c`) with no flags set, which is
//! how `git merge-file` diffs each side against the base:
//!
//! 1. The common first and last lines are set aside.
//! 2. Lines of the rest that occur nowhere in the other text are changed
//!    without being compared. So is a line that occurs often in the other
//!    text when it sits among such lines (see [`discard_frequent`]).
//! 3. The remaining lines are compared with Myers' linear-space algorithm,
//!    which splits the problem at a middle snake and recurses. Ties go the
//!    way xdiff breaks them. Past an edit cost of 256 the search for a split
//!    point may stop early at a good-enough point or the furthest one, as
//!    xdiff's does.
//!
//! The sliding of ambiguous hunks that follows in git is
//! [`super::slide_hunks`].

use super::Hunk;

/// Maximum number of times xdiff counts a line's occurrences in the other
/// text (`XDL_MAX_EQLIMIT`).
const MAX_OCCURRENCE_LIMIT: usize = 1_024;

/// Lines on each side of a line that [`discard_frequent`] looks at
/// (`XDL_SIMSCAN_WINDOW`).
const FREQUENT_SCAN_WINDOW: usize = 100;

/// A frequent line among unmatched lines is discarded when the frequent
/// lines of its run, times this factor, are fewer than all lines of the
/// run (`XDL_KPDIS_RUN`).
const FREQUENT_RUN_FACTOR: usize = 4;

/// Edit cost past which the search may stop at a good-enough split point
/// (`XDL_HEUR_MIN_COST`).
const HEURISTIC_MIN_COST: isize = 256;

/// Minimum edit cost at which the search stops at the furthest point it
/// reached (`XDL_MAX_COST_MIN`).
const MIN_MAX_COST: isize = 256;

/// Length of a run of equal lines that counts as a good split point
/// (`XDL_SNAKE_CNT`).
const SNAKE_LENGTH: isize = 20;

/// A split point must be reached this many times more directly than its
/// edit cost to count as good (`XDL_K_HEUR`).
const HEURISTIC_FACTOR: isize = 4;

/// How often a line occurs in the other text, as xdiff counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occurrence {
    /// Nowhere, so the line is changed.
    Unmatched,
    /// Fewer times than the limit for its text.
    Matched,
    /// At least the limit for its text, roughly the square root of its
    /// number of lines.
    Frequent,
}

/// Diffs `old` to `new` as git's xdiff does and returns the changed hunks,
/// ascending and apart, before any sliding.
///
/// The result depends only on the inputs. Each search for a split point
/// stops at an edit cost of 256, or about the square root of N+M lines if
/// that is more. So very different texts cost far less than the O((N+M)·D)
/// of a plain Myers diff, but the split points may then not be optimal.
pub(crate) fn git_line_hunks<T: Eq + std::hash::Hash>(old: &[T], new: &[T]) -> Vec<Hunk> {
    let mut old_changed = vec![false; old.len()];
    let mut new_changed = vec![false; new.len()];

    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_middle = prefix..old.len() - suffix;
    let new_middle = prefix..new.len() - suffix;

    let (old_ids, new_ids) = class_ids(old, new);
    let old_compared = compared_lines(&old_ids, &new_ids, old_middle.clone(), &mut old_changed);
    let new_compared = compared_lines(&new_ids, &old_ids, new_middle, &mut new_changed);

    let mut comparison = Comparison::new(&old_ids, &new_ids, &old_compared, &new_compared);
    comparison.compare_all(&mut old_changed, &mut new_changed);
    super::slide::hunks_from_changes(&old_changed, &new_changed)
}

/// Returns xdiff's rough square root: the power of two 2^k where k is half
/// the number of bits of `n`, rounded up (`xdl_bogosqrt`).
fn rough_sqrt(mut n: usize) -> usize {
    let mut root = 1;
    while n > 0 {
        root <<= 1;
        n >>= 2;
    }
    root
}

/// Numbers each distinct item of both sequences, so that later steps can
/// count occurrences in a table.
fn class_ids<T: Eq + std::hash::Hash>(old: &[T], new: &[T]) -> (Vec<usize>, Vec<usize>) {
    let mut classes = std::collections::HashMap::new();
    let mut number = |item| {
        let next = classes.len();
        *classes.entry(item).or_insert(next)
    };
    let old_ids: Vec<usize> = old.iter().map(&mut number).collect();
    let new_ids: Vec<usize> = new.iter().map(&mut number).collect();
    (old_ids, new_ids)
}

/// Marks the lines of `middle` that xdiff leaves out of the comparison as
/// changed, and returns the indices of the others, ascending.
fn compared_lines(
    ids: &[usize],
    other_ids: &[usize],
    middle: std::ops::Range<usize>,
    changed: &mut [bool],
) -> Vec<usize> {
    let limit = rough_sqrt(ids.len()).min(MAX_OCCURRENCE_LIMIT);
    let class_count = ids.iter().chain(other_ids).max().map_or(0, |max| max + 1);
    let mut counts = vec![0_usize; class_count];
    for &id in other_ids {
        counts[id] += 1;
    }
    let occurrences: Vec<Occurrence> = middle
        .clone()
        .map(|index| match counts[ids[index]] {
            0 => Occurrence::Unmatched,
            count if count >= limit => Occurrence::Frequent,
            _ => Occurrence::Matched,
        })
        .collect();

    let mut compared = Vec::with_capacity(middle.len());
    for (offset, &occurrence) in occurrences.iter().enumerate() {
        let keep = match occurrence {
            Occurrence::Unmatched => false,
            Occurrence::Matched => true,
            Occurrence::Frequent => !discard_frequent(&occurrences, offset),
        };
        if keep {
            compared.push(middle.start + offset);
        } else {
            changed[middle.start + offset] = true;
        }
    }
    compared
}

/// Returns whether the frequent line at `index` of `occurrences` is left
/// out (`xdl_clean_mmatch`). The runs of lines before and after it, up to
/// the nearest [`Occurrence::Matched`] line or [`FREQUENT_SCAN_WINDOW`]
/// lines, must both contain unmatched lines. Frequent lines must also make
/// up less than a quarter of the two runs, where the line itself counts
/// once for each run, as in xdiff.
fn discard_frequent(occurrences: &[Occurrence], index: usize) -> bool {
    let first = index.saturating_sub(FREQUENT_SCAN_WINDOW);
    let last = (index + FREQUENT_SCAN_WINDOW).min(occurrences.len() - 1);

    let (unmatched_before, frequent_before) = count_run(occurrences[first..index].iter().rev());
    if unmatched_before == 0 {
        return false;
    }
    let (unmatched_after, frequent_after) = count_run(occurrences[index + 1..=last].iter());
    if unmatched_after == 0 {
        return false;
    }
    let frequent = frequent_before + frequent_after + 2;
    let unmatched = unmatched_before + unmatched_after;
    frequent * FREQUENT_RUN_FACTOR < frequent + unmatched
}

/// Counts the unmatched and the frequent lines of `run` up to its first
/// line of [`Occurrence::Matched`].
fn count_run<'a>(run: impl Iterator<Item = &'a Occurrence>) -> (usize, usize) {
    let mut unmatched = 0;
    let mut frequent = 0;
    for occurrence in run {
        match occurrence {
            Occurrence::Unmatched => unmatched += 1,
            Occurrence::Frequent => frequent += 1,
            Occurrence::Matched => break,
        }
    }
    (unmatched, frequent)
}

/// A split point of a comparison box, and whether each half must be
/// compared to the minimal edit cost.
#[derive(Debug, Clone, Copy)]
struct Split {
    old: isize,
    new: isize,
    minimal_before: bool,
    minimal_after: bool,
}

/// The Myers search over the lines that take part in the comparison, with
/// the furthest-reaching positions of the forward and backward searches on
/// each diagonal. Positions count those lines only.
struct Comparison<'a> {
    /// The ids of the compared old lines.
    old: Vec<usize>,
    /// The ids of the compared new lines.
    new: Vec<usize>,
    /// The index in the old text of each compared old line.
    old_compared: &'a [usize],
    /// The index in the new text of each compared new line.
    new_compared: &'a [usize],
    /// Furthest old index reached forward on each diagonal `old - new`,
    /// stored at `diagonal + diagonal_offset`.
    forward: Vec<isize>,
    /// Minimum old index reached backward on each diagonal.
    backward: Vec<isize>,
    /// Added to a diagonal to index `forward` and `backward`, so that the
    /// lowest diagonal of any box, less one, maps to 0.
    diagonal_offset: isize,
    /// Edit cost at which the search stops at the furthest point.
    max_cost: isize,
}

impl<'a> Comparison<'a> {
    fn new(
        old_ids: &[usize],
        new_ids: &[usize],
        old_compared: &'a [usize],
        new_compared: &'a [usize],
    ) -> Self {
        let diagonals = old_compared.len() + new_compared.len() + 3;
        Self {
            old: old_compared.iter().map(|&index| old_ids[index]).collect(),
            new: new_compared.iter().map(|&index| new_ids[index]).collect(),
            old_compared,
            new_compared,
            forward: vec![-1; diagonals],
            backward: vec![isize::MAX; diagonals],
            diagonal_offset: as_signed(new_compared.len() + 1),
            max_cost: as_signed(rough_sqrt(diagonals)).max(MIN_MAX_COST),
        }
    }

    fn same(&self, old: isize, new: isize) -> bool {
        self.old[as_index(old)] == self.new[as_index(new)]
    }

    fn forward_at(&self, diagonal: isize) -> isize {
        self.forward[as_index(diagonal + self.diagonal_offset)]
    }

    fn set_forward(&mut self, diagonal: isize, value: isize) {
        let index = as_index(diagonal + self.diagonal_offset);
        self.forward[index] = value;
    }

    fn backward_at(&self, diagonal: isize) -> isize {
        self.backward[as_index(diagonal + self.diagonal_offset)]
    }

    fn set_backward(&mut self, diagonal: isize, value: isize) {
        let index = as_index(diagonal + self.diagonal_offset);
        self.backward[index] = value;
    }

    /// Compares the lines and marks those that differ (`xdl_recs_cmp`).
    /// Each box is first narrowed past its equal first and last lines, then
    /// split in two, and the first half is compared before the second, as
    /// in xdiff's recursion.
    fn compare_all(&mut self, old_changed: &mut [bool], new_changed: &mut [bool]) {
        let mut boxes = vec![(
            Bounds {
                old_start: 0,
                old_end: as_signed(self.old.len()),
                new_start: 0,
                new_end: as_signed(self.new.len()),
            },
            false,
        )];
        while let Some((mut bounds, minimal)) = boxes.pop() {
            while bounds.old_start < bounds.old_end
                && bounds.new_start < bounds.new_end
                && self.same(bounds.old_start, bounds.new_start)
            {
                bounds.old_start += 1;
                bounds.new_start += 1;
            }
            while bounds.old_start < bounds.old_end
                && bounds.new_start < bounds.new_end
                && self.same(bounds.old_end - 1, bounds.new_end - 1)
            {
                bounds.old_end -= 1;
                bounds.new_end -= 1;
            }

            let old_lines = as_index(bounds.old_start)..as_index(bounds.old_end);
            let new_lines = as_index(bounds.new_start)..as_index(bounds.new_end);
            if old_lines.is_empty() {
                for &index in &self.new_compared[new_lines] {
                    new_changed[index] = true;
                }
                continue;
            }
            if new_lines.is_empty() {
                for &index in &self.old_compared[old_lines] {
                    old_changed[index] = true;
                }
                continue;
            }

            let split = self.split(&bounds, minimal);
            let after = Bounds {
                old_start: split.old,
                old_end: bounds.old_end,
                new_start: split.new,
                new_end: bounds.new_end,
            };
            let before = Bounds {
                old_start: bounds.old_start,
                old_end: split.old,
                new_start: bounds.new_start,
                new_end: split.new,
            };
            boxes.push((after, split.minimal_after));
            boxes.push((before, split.minimal_before));
        }
    }

    /// Finds where to split the box of old lines `old_start..old_end` and
    /// new lines `new_start..new_end` (`xdl_split`): where the forward and
    /// backward searches meet, or, unless `minimal`, a good-enough point
    /// once the edit cost grows large.
    fn split(&mut self, bounds: &Bounds, minimal: bool) -> Split {
        let Bounds {
            old_start,
            old_end,
            new_start,
            new_end,
        } = *bounds;
        let min_diagonal = old_start - new_end;
        let max_diagonal = old_end - new_start;
        let forward_mid = old_start - new_start;
        let backward_mid = old_end - new_end;
        let odd = (forward_mid - backward_mid) & 1 == 1;
        let (mut forward_min, mut forward_max) = (forward_mid, forward_mid);
        let (mut backward_min, mut backward_max) = (backward_mid, backward_mid);
        self.set_forward(forward_mid, old_start);
        self.set_backward(backward_mid, old_end);

        let mut cost: isize = 1;
        loop {
            let mut long_snake = false;

            if forward_min > min_diagonal {
                forward_min -= 1;
                self.set_forward(forward_min - 1, -1);
            } else {
                forward_min += 1;
            }
            if forward_max < max_diagonal {
                forward_max += 1;
                self.set_forward(forward_max + 1, -1);
            } else {
                forward_max -= 1;
            }
            let mut diagonal = forward_max;
            while diagonal >= forward_min {
                let mut old = if self.forward_at(diagonal - 1) >= self.forward_at(diagonal + 1) {
                    self.forward_at(diagonal - 1) + 1
                } else {
                    self.forward_at(diagonal + 1)
                };
                let snake_start = old;
                let mut new = old - diagonal;
                while old < old_end && new < new_end && self.same(old, new) {
                    old += 1;
                    new += 1;
                }
                long_snake |= old - snake_start > SNAKE_LENGTH;
                self.set_forward(diagonal, old);
                let meets = odd
                    && backward_min <= diagonal
                    && diagonal <= backward_max
                    && self.backward_at(diagonal) <= old;
                if meets {
                    return Split {
                        old,
                        new,
                        minimal_before: true,
                        minimal_after: true,
                    };
                }
                diagonal -= 2;
            }

            if backward_min > min_diagonal {
                backward_min -= 1;
                self.set_backward(backward_min - 1, isize::MAX);
            } else {
                backward_min += 1;
            }
            if backward_max < max_diagonal {
                backward_max += 1;
                self.set_backward(backward_max + 1, isize::MAX);
            } else {
                backward_max -= 1;
            }
            let mut diagonal = backward_max;
            while diagonal >= backward_min {
                let mut old = if self.backward_at(diagonal - 1) < self.backward_at(diagonal + 1) {
                    self.backward_at(diagonal - 1)
                } else {
                    self.backward_at(diagonal + 1) - 1
                };
                let snake_start = old;
                let mut new = old - diagonal;
                while old > old_start && new > new_start && self.same(old - 1, new - 1) {
                    old -= 1;
                    new -= 1;
                }
                long_snake |= snake_start - old > SNAKE_LENGTH;
                self.set_backward(diagonal, old);
                let meets = !odd
                    && forward_min <= diagonal
                    && diagonal <= forward_max
                    && old <= self.forward_at(diagonal);
                if meets {
                    return Split {
                        old,
                        new,
                        minimal_before: true,
                        minimal_after: true,
                    };
                }
                diagonal -= 2;
            }

            if !minimal {
                if long_snake && cost > HEURISTIC_MIN_COST {
                    if let Some(split) =
                        self.good_forward_point(bounds, forward_min, forward_max, cost)
                    {
                        return split;
                    }
                    if let Some(split) =
                        self.good_backward_point(bounds, backward_min, backward_max, cost)
                    {
                        return split;
                    }
                }
                if cost >= self.max_cost {
                    return self.furthest_point(
                        bounds,
                        (forward_min, forward_max),
                        (backward_min, backward_max),
                    );
                }
            }
            cost += 1;
        }
    }

    /// Returns the forward position that has come furthest from the start
    /// corner, less its distance from the middle diagonal, when that is more
    /// than [`HEURISTIC_FACTOR`] times the cost and the position ends a run
    /// of [`SNAKE_LENGTH`] equal lines.
    fn good_forward_point(
        &self,
        bounds: &Bounds,
        forward_min: isize,
        forward_max: isize,
        cost: isize,
    ) -> Option<Split> {
        let forward_mid = bounds.old_start - bounds.new_start;
        let mut best = 0;
        let mut found = None;
        let mut diagonal = forward_max;
        while diagonal >= forward_min {
            let old = self.forward_at(diagonal);
            let new = old - diagonal;
            let value = (old - bounds.old_start) + (new - bounds.new_start)
                - (diagonal - forward_mid).abs();
            let inside = bounds.old_start + SNAKE_LENGTH <= old
                && old < bounds.old_end
                && bounds.new_start + SNAKE_LENGTH <= new
                && new < bounds.new_end;
            if value > HEURISTIC_FACTOR * cost
                && value > best
                && inside
                && (1..=SNAKE_LENGTH).all(|back| self.same(old - back, new - back))
            {
                best = value;
                found = Some(Split {
                    old,
                    new,
                    minimal_before: true,
                    minimal_after: false,
                });
            }
            diagonal -= 2;
        }
        found
    }

    /// Returns the backward counterpart of [`Self::good_forward_point`],
    /// measured from the end corner.
    fn good_backward_point(
        &self,
        bounds: &Bounds,
        backward_min: isize,
        backward_max: isize,
        cost: isize,
    ) -> Option<Split> {
        let backward_mid = bounds.old_end - bounds.new_end;
        let mut best = 0;
        let mut found = None;
        let mut diagonal = backward_max;
        while diagonal >= backward_min {
            let old = self.backward_at(diagonal);
            let new = old - diagonal;
            let value =
                (bounds.old_end - old) + (bounds.new_end - new) - (diagonal - backward_mid).abs();
            let inside = bounds.old_start < old
                && old <= bounds.old_end - SNAKE_LENGTH
                && bounds.new_start < new
                && new <= bounds.new_end - SNAKE_LENGTH;
            if value > HEURISTIC_FACTOR * cost
                && value > best
                && inside
                && (0..SNAKE_LENGTH).all(|ahead| self.same(old + ahead, new + ahead))
            {
                best = value;
                found = Some(Split {
                    old,
                    new,
                    minimal_before: false,
                    minimal_after: true,
                });
            }
            diagonal -= 2;
        }
        found
    }

    /// Returns the position of either search that has come furthest, by
    /// old plus new lines passed, once the cost reaches its maximum.
    fn furthest_point(
        &self,
        bounds: &Bounds,
        (forward_min, forward_max): (isize, isize),
        (backward_min, backward_max): (isize, isize),
    ) -> Split {
        let mut forward_best = -1;
        let mut forward_old = -1;
        let mut diagonal = forward_max;
        while diagonal >= forward_min {
            let mut old = self.forward_at(diagonal).min(bounds.old_end);
            let mut new = old - diagonal;
            if bounds.new_end < new {
                old = bounds.new_end + diagonal;
                new = bounds.new_end;
            }
            if forward_best < old + new {
                forward_best = old + new;
                forward_old = old;
            }
            diagonal -= 2;
        }

        let mut backward_best = isize::MAX;
        let mut backward_old = isize::MAX;
        let mut diagonal = backward_max;
        while diagonal >= backward_min {
            let mut old = self.backward_at(diagonal).max(bounds.old_start);
            let mut new = old - diagonal;
            if new < bounds.new_start {
                old = bounds.new_start + diagonal;
                new = bounds.new_start;
            }
            if old + new < backward_best {
                backward_best = old + new;
                backward_old = old;
            }
            diagonal -= 2;
        }

        let backward_reach = (bounds.old_end + bounds.new_end) - backward_best;
        let forward_reach = forward_best - (bounds.old_start + bounds.new_start);
        if backward_reach < forward_reach {
            Split {
                old: forward_old,
                new: forward_best - forward_old,
                minimal_before: true,
                minimal_after: false,
            }
        } else {
            Split {
                old: backward_old,
                new: backward_best - backward_old,
                minimal_before: false,
                minimal_after: true,
            }
        }
    }
}

/// The old and new positions, among the compared lines, of one comparison
/// box.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    old_start: isize,
    old_end: isize,
    new_start: isize,
    new_end: isize,
}

/// Converts a line count to a signed position. Line counts are far below
/// `isize::MAX` because texts are held in memory.
fn as_signed(value: usize) -> isize {
    isize::try_from(value).expect("a line count fits in isize")
}

/// Converts a position the search has checked to be in bounds to an index.
fn as_index(value: isize) -> usize {
    usize::try_from(value).expect("a position inside the comparison box is not negative")
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

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
}
