//! Base ranges where `git merge-file` conflicts: where git's line alignment
//! puts hunks of the two sides on common or touching base lines.
//!
//! weft merges with its own line alignment. Where equal lines can be paired
//! in more than one way, git's diff can pair them differently, so hunks of
//! the two sides that touch in git's diff can lie apart in weft's. For
//! example, when both sides delete a block and one also adds lines above it,
//! git may delete the blank line before the block on that side and the one
//! after it on the other. Or both sides make the same edit and git aligns
//! it differently on each side, because the sides differ elsewhere. These
//! ranges let the report cover every region that git conflicts on.

use std::ops::Range;

use crate::diff::Hunk;
use crate::merge::{MergeDetail, Side};

/// Returns the base line ranges (0-based, half-open, ascending and apart)
/// where the sides' hunks in git's line alignment conflict.
pub(super) fn git_conflict_ranges(detail: &MergeDetail<'_>) -> Vec<Range<usize>> {
    let current = detail.git_aligned_hunks(Side::Current);
    let incoming = detail.git_aligned_hunks(Side::Incoming);
    conflict_ranges(&current, &incoming, |current, incoming| {
        detail.same_change(current, incoming)
    })
}

/// Pairs the hunks of the two sides as `xdl_do_merge` in git's
/// `xdiff/xmerge.c` (git 2.47) does, and returns the ranges of the pairs
/// that conflict, joined where they share a line or touch.
///
/// Two hunks conflict when their base ranges share a line or touch (an
/// insertion at either end of the other hunk, or at the same point), unless
/// `same_change` finds that they replace the same lines with the same text.
fn conflict_ranges(
    current: &[Hunk],
    incoming: &[Hunk],
    same_change: impl Fn(&Hunk, &Hunk) -> bool,
) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let (mut current_index, mut incoming_index) = (0, 0);
    while current_index < current.len() && incoming_index < incoming.len() {
        let current_hunk = &current[current_index];
        let incoming_hunk = &incoming[incoming_index];
        let (first, second) = (&current_hunk.old, &incoming_hunk.old);
        if first.end < second.start {
            current_index += 1;
            continue;
        }
        if second.end < first.start {
            incoming_index += 1;
            continue;
        }

        if !same_change(current_hunk, incoming_hunk) {
            let range = first.start.min(second.start)..first.end.max(second.end);
            match ranges.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => ranges.push(range),
            }
        }
        // The hunk that ends first can meet no further hunk of the other
        // side, and both move on when they end together.
        if first.end >= second.end {
            incoming_index += 1;
        }
        if second.end >= first.end {
            current_index += 1;
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunk(old: Range<usize>, new: Range<usize>) -> Hunk {
        Hunk { old, new }
    }

    fn base_lines(start: usize, end: usize) -> Range<usize> {
        start..end
    }

    /// Compares hunks by their base and side ranges only, as if each side's
    /// lines were numbered alike.
    fn same_ranges(current: &Hunk, incoming: &Hunk) -> bool {
        current == incoming
    }

    #[test]
    fn apart_hunks_do_not_conflict() {
        let current = [hunk(1..2, 1..2)];
        let incoming = [hunk(3..4, 3..4)];
        assert!(conflict_ranges(&current, &incoming, same_ranges).is_empty());
    }

    #[test]
    fn touching_hunks_conflict() {
        let current = [hunk(1..3, 1..2)];
        let incoming = [hunk(3..4, 3..5)];
        assert_eq!(
            conflict_ranges(&current, &incoming, same_ranges),
            [base_lines(1, 4)]
        );
    }

    #[test]
    fn insertions_at_one_point_conflict() {
        let current = [hunk(2..2, 2..3)];
        let incoming = [hunk(2..2, 2..4)];
        assert_eq!(
            conflict_ranges(&current, &incoming, same_ranges),
            [base_lines(2, 2)]
        );
    }

    #[test]
    fn same_change_does_not_conflict() {
        let current = [hunk(2..4, 2..3), hunk(6..7, 5..6)];
        let incoming = [hunk(2..4, 2..3), hunk(7..8, 6..7)];
        assert_eq!(
            conflict_ranges(&current, &incoming, same_ranges),
            [base_lines(6, 8)]
        );
    }

    #[test]
    fn chained_conflicts_join() {
        let current = [hunk(1..3, 1..2), hunk(4..6, 3..4)];
        let incoming = [hunk(2..5, 2..3)];
        assert_eq!(
            conflict_ranges(&current, &incoming, same_ranges),
            [base_lines(1, 6)]
        );
    }
}
