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
//!    text when it sits among such lines (see `compared.rs`).
//! 3. The remaining lines are compared with Myers' linear-space algorithm,
//!    which splits the problem at a middle snake and recurses. Ties go the
//!    way xdiff breaks them. Past an edit cost of 256 the search for a split
//!    point may stop early at a good-enough point or the furthest one, as
//!    xdiff's does.
//!
//! The sliding of ambiguous hunks that follows in git is
//! [`super::slide_hunks`].

use super::Hunk;

mod compared;
#[cfg(test)]
mod tests;

use compared::{class_ids, compared_lines, rough_sqrt};

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
