//! The merge with the details that the overlap report needs: both sides'
//! hunks, where each one landed in the merged text, and which hunks formed
//! each conflict, so that the report classifies regions without diffing the
//! texts again.

use std::ops::Range;

use crate::diff::Hunk;

use super::sides::MergeInput;
use super::{Conflict, Merged, Side, merge_input, unified};

/// A conflict of [`super::merge_texts`] with the hunks that formed it.
#[derive(Debug, Clone)]
pub(crate) struct ConflictDetail {
    /// The conflict as `merge_texts` reports it.
    pub(crate) conflict: Conflict,
    /// The region's base lines, 0-based and half-open.
    pub(crate) base: Range<usize>,
    /// The hunks of the region as (side, index into the side's hunks).
    pub(crate) members: Vec<(Side, usize)>,
    /// Bytes of the merged text that the region became. The range starts
    /// before the line ending that the merge adds to a preceding last line
    /// without one.
    pub(crate) merged: Range<usize>,
}

/// A merge of two sides that both changed the base, with the hunks of each
/// side and where they landed in the merged text.
#[derive(Debug)]
pub(crate) struct MergeDetail<'a> {
    input: MergeInput<'a>,
    merged: Merged,
}

impl<'a> MergeDetail<'a> {
    /// Merges `incoming` into `current` from `base` exactly as
    /// [`super::merge_texts`] does when neither side equals the base and the
    /// sides differ, which the caller checks first.
    pub(crate) fn new(base: &'a str, current: &'a str, incoming: &'a str) -> Self {
        let input = MergeInput::new(base, current, incoming);
        let merged = merge_input(&input);
        Self { input, merged }
    }

    /// Returns the merged text.
    pub(crate) fn text(&self) -> &str {
        &self.merged.text
    }

    /// Returns the conflicts, in base order.
    pub(crate) fn conflicts(&self) -> &[ConflictDetail] {
        &self.merged.conflicts
    }

    /// Returns the hunks of `side` against the base, ascending and apart.
    pub(crate) fn hunks(&self, side: Side) -> &[Hunk] {
        &self.input.side(side).hunks
    }

    /// Returns whether hunk `current_index` of the current side and hunk
    /// `incoming_index` of the incoming side replace the same base lines
    /// with the same lines.
    pub(crate) fn hunks_identical(&self, current_index: usize, incoming_index: usize) -> bool {
        self.same_change(
            &self.input.current.hunks[current_index],
            &self.input.incoming.hunks[incoming_index],
        )
    }

    /// Returns the hunks of `side` against the base as git's own line diff
    /// aligns them, which can differ from [`Self::hunks`] where equal lines
    /// could be paired in more than one way.
    pub(crate) fn git_aligned_hunks(&self, side: Side) -> Vec<Hunk> {
        self.input.git_aligned_hunks(side)
    }

    /// Returns whether `current` (a hunk of the current side) and `incoming`
    /// (one of the incoming side) replace the same base lines with the same
    /// lines.
    pub(crate) fn same_change(&self, current: &Hunk, incoming: &Hunk) -> bool {
        current.old == incoming.old
            && self.input.current.lines[current.new.clone()]
                == self.input.incoming.lines[incoming.new.clone()]
    }

    /// Returns the bytes of the merged text that base line `line` was copied
    /// to unchanged, or `None` when a hunk replaced it or the base has no
    /// such line.
    pub(crate) fn copied_span(&self, line: usize) -> Option<Range<usize>> {
        self.merged.base_copies.get(line).cloned().flatten()
    }

    /// Returns the bytes of the merged text that hunk `index` of `side`
    /// became, together with the hunks merged with it.
    pub(crate) fn merged_span(&self, side: Side, index: usize) -> Range<usize> {
        match side {
            Side::Current => self.merged.current_spans[index].clone(),
            Side::Incoming => self.merged.incoming_spans[index].clone(),
        }
    }

    /// Lists the hunks of `side` that change base lines of `base_range`, or
    /// insert at a point within it or at its ends.
    pub(crate) fn hunks_within(&self, side: Side, base_range: &Range<usize>) -> Vec<usize> {
        let hunks = self.hunks(side);
        let first = hunks.partition_point(|hunk| hunk.old.end < base_range.start);
        (first..hunks.len())
            .take_while(|&index| hunks[index].old.start <= base_range.end)
            .filter(|&index| {
                let old = &hunks[index].old;
                let shares_line = old.start < base_range.end && base_range.start < old.end;
                shares_line || old.is_empty()
            })
            .collect()
    }

    /// Formats the change of `side` over `base_range` as one unified diff
    /// hunk. `hunk_indices` must list every hunk of the side that changes a
    /// line of the range, ascending, as [`Self::hunks_within`] returns them.
    pub(crate) fn unified_hunk(
        &self,
        side: Side,
        base_range: &Range<usize>,
        hunk_indices: &[usize],
    ) -> String {
        let diff = self.input.side(side);
        let segments = diff.segments(base_range.clone(), hunk_indices);
        let side_range = diff.line_range(&segments, diff.side_position(base_range.start));
        unified::unified_hunk(
            &self.input.base,
            base_range.clone(),
            diff,
            &segments,
            side_range,
        )
    }

    /// Returns the text of `side` over `base_range`, with the hunks
    /// `hunk_indices` as in [`Self::unified_hunk`].
    pub(crate) fn side_text(
        &self,
        side: Side,
        base_range: &Range<usize>,
        hunk_indices: &[usize],
    ) -> String {
        let diff = self.input.side(side);
        diff.text(&diff.segments(base_range.clone(), hunk_indices))
    }

    /// Returns the base lines of `range` joined.
    pub(crate) fn base_text(&self, range: &Range<usize>) -> String {
        self.input.base_text(range.clone())
    }
}
