//! Resolution of a group of hunks where both sides changed the same or
//! neighbouring base lines: whether one side's version already contains the
//! other's, and whether the two sides' character edits can be merged.

use std::collections::HashSet;

use crate::diff::{
    LineInterner, RefineBudget, Splice, apply_splices, diff_hunks, refine_into, split_lines,
};

use super::sides::{MergeInput, Segment, Side, SideDiff};

/// One side's version of a group's base lines.
#[derive(Debug)]
pub(super) struct Version {
    /// The side's lines over the group's base range.
    pub segments: Vec<Segment>,
    /// The side's text of those lines.
    pub text: String,
    /// The side's edits of the group's base text, ascending and apart, in
    /// code points of that base text. They are grapheme-level where the
    /// refinement budget allowed and whole lines elsewhere.
    pub edits: Vec<Splice>,
    /// The lines of `text` that the side changed, and the positions between
    /// lines where it deleted lines, as line indices of `text`.
    changed_lines: Vec<Footprint>,
}

impl Version {
    /// Builds the version of `side` over `base_range` with the side's hunks
    /// `hunk_indices`.
    pub(super) fn new(
        input: &MergeInput<'_>,
        side: Side,
        base_range: std::ops::Range<usize>,
        hunk_indices: &[usize],
        budget: &mut RefineBudget,
    ) -> Self {
        let diff = input.side(side);
        let segments = diff.segments(base_range, hunk_indices);
        let text = diff.text(&segments);
        let edits = segment_edits(input, diff, &segments, budget);
        let changed_lines = changed_lines(input, diff, &segments);
        Self {
            segments,
            text,
            edits,
            changed_lines,
        }
    }
}

/// Returns which side's text already contains both sides' edits, or `None`.
///
/// The incoming text adds nothing when everything it did is already in the
/// current text, so that is checked first. A side's version contains the
/// other's when the other's character edits all appear identically among its
/// own, or when turning the other text into it changes only lines that the
/// other side left unchanged. Adding lines next to lines that the other side
/// inserted (without deleting any there) counts as leaving them unchanged, so
/// an import that both sides added is not duplicated.
pub(super) fn containing_side(current: &Version, incoming: &Version) -> Option<Side> {
    if current.text == incoming.text || is_subset(&incoming.edits, &current.edits) {
        return Some(Side::Current);
    }
    if is_subset(&current.edits, &incoming.edits) {
        return Some(Side::Incoming);
    }
    if extends_without_touching(incoming, &current.text) {
        return Some(Side::Current);
    }
    if extends_without_touching(current, &incoming.text) {
        return Some(Side::Incoming);
    }
    None
}

/// Merges the two versions character by character, or returns `None` when
/// their remaining edits touch the same base characters or insert at the
/// same position. Incoming edits identical to current ones count once.
pub(super) fn merge_characters(
    base_text: &str,
    current: &Version,
    incoming: &Version,
) -> Option<String> {
    let current_footprints: Vec<Footprint> =
        current.edits.iter().map(Footprint::in_old_text).collect();
    let mut merged = current.edits.clone();
    for edit in &incoming.edits {
        if contains_edit(&current.edits, edit) {
            continue;
        }
        let footprint = Footprint::in_old_text(edit);
        if clashing(footprint, &current_footprints).next().is_some() {
            return None;
        }
        merged.push(edit.clone());
    }
    merged.sort_by_key(|edit| (edit.pos, edit.delete));
    Some(apply_splices(base_text, &merged))
}

/// Returns the side's edits of the base text of `segments`, in code points of
/// that text.
fn segment_edits(
    input: &MergeInput<'_>,
    diff: &SideDiff<'_>,
    segments: &[Segment],
    budget: &mut RefineBudget,
) -> Vec<Splice> {
    let mut edits = Vec::new();
    let mut offset = 0;
    for segment in segments {
        let (base_text, side_text) = match segment {
            Segment::Unchanged { base, side } => {
                (input.base[*base].to_owned(), diff.lines[*side].to_owned())
            }
            Segment::Changed(hunk) => (
                input.base_text(hunk.old.clone()),
                diff.lines[hunk.new.clone()].concat(),
            ),
        };
        refine_into(&base_text, &side_text, offset, budget, &mut edits);
        offset += base_text.chars().count();
    }
    edits
}

/// Returns whether every edit of `edits` is also in `others` (ascending and apart).
fn is_subset(edits: &[Splice], others: &[Splice]) -> bool {
    edits.iter().all(|edit| contains_edit(others, edit))
}

/// Returns whether `sorted` (ascending and apart, so no two share a position)
/// contains `edit`.
fn contains_edit(sorted: &[Splice], edit: &Splice) -> bool {
    sorted
        .binary_search_by_key(&edit.pos, |other| other.pos)
        .is_ok_and(|index| sorted[index] == *edit)
}

/// Returns whether `target` is `version.text` with line changes that leave the
/// version's changed lines alone. The comparison is by whole lines because a
/// character diff can slide an insertion across a line ending onto the other
/// side of a deletion point.
fn extends_without_touching(version: &Version, target: &str) -> bool {
    let own_lines = split_lines(&version.text);
    let target_lines = split_lines(target);
    let mut interner = LineInterner::default();
    let own_ids = interner.intern_all(&own_lines);
    let target_ids = interner.intern_all(&target_lines);

    // Every changed line must survive into the target, which a set lookup
    // checks in linear time before the quadratic worst case of the diff.
    let target_id_set: HashSet<u32> = target_ids.iter().copied().collect();
    let keeps_changed_lines = version.changed_lines.iter().all(|changed| {
        own_ids[changed.start..changed.end]
            .iter()
            .all(|id| target_id_set.contains(id))
    });
    if !keeps_changed_lines {
        return false;
    }

    diff_hunks(&own_ids, &target_ids).iter().all(|hunk| {
        let footprint = Footprint {
            start: hunk.old.start,
            end: hunk.old.end,
            inserts: !hunk.new.is_empty(),
            deletes: !hunk.old.is_empty(),
        };
        clashing(footprint, &version.changed_lines).all(|changed| {
            let beside = footprint.start == changed.start || footprint.start == changed.end;
            let adds_lines = footprint.start == footprint.end;
            let changed_by_pure_insertion = changed.start < changed.end && !changed.deletes;
            adds_lines && changed_by_pure_insertion && beside
        })
    })
}

/// Returns the lines of the side's text of `segments` that the side changed,
/// and the empty spans between lines where it deleted lines.
fn changed_lines(
    input: &MergeInput<'_>,
    diff: &SideDiff<'_>,
    segments: &[Segment],
) -> Vec<Footprint> {
    let mut changed = Vec::new();
    let mut line = 0;
    for segment in segments {
        let (len, footprint_deletes) = match segment {
            Segment::Unchanged { base, side } if input.base[*base] == diff.lines[*side] => {
                line += 1;
                continue;
            }
            Segment::Unchanged { .. } => (1, true),
            Segment::Changed(hunk) => (hunk.new.len(), !hunk.old.is_empty()),
        };
        changed.push(Footprint {
            start: line,
            end: line + len,
            inserts: len > 0,
            deletes: footprint_deletes,
        });
        line += len;
    }
    changed
}

/// The span an edit covers in one text (in code points or in lines), and
/// whether it puts text there or removes some. A pure insertion, or a
/// deletion seen in the text after it, covers the empty span at its
/// position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Footprint {
    start: usize,
    end: usize,
    inserts: bool,
    /// Whether the edit deleted text, so that it is not a pure insertion.
    deletes: bool,
}

impl Footprint {
    /// Returns the footprint of `edit` in the text it applies to.
    fn in_old_text(edit: &Splice) -> Self {
        Self {
            start: edit.pos,
            end: edit.pos + edit.delete,
            inserts: !edit.insert.is_empty(),
            deletes: edit.delete > 0,
        }
    }

    /// Returns whether two edits touch: they share a code point, or one of them is
    /// an empty span at or inside the other's span and either puts text
    /// there. Two non-empty spans that only meet at a boundary do not touch.
    fn clashes(self, other: Self) -> bool {
        let self_empty = self.start == self.end;
        let other_empty = other.start == other.end;
        if !self_empty && !other_empty {
            return self.start < other.end && other.start < self.end;
        }
        let meets = self.start <= other.end && other.start <= self.end;
        meets && (self.inserts || other.inserts)
    }
}

/// Returns the footprints of `sorted` (ascending and apart) that clash with
/// `footprint`.
fn clashing(footprint: Footprint, sorted: &[Footprint]) -> impl Iterator<Item = Footprint> + '_ {
    let first = sorted.partition_point(|other| other.end < footprint.start);
    sorted[first..]
        .iter()
        .take_while(move |other| other.start <= footprint.end)
        .copied()
        .filter(move |other| footprint.clashes(*other))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize, inserts: bool) -> Footprint {
        Footprint {
            start,
            end,
            inserts,
            deletes: start < end,
        }
    }

    #[test]
    fn shared_code_points_clash() {
        assert!(span(0, 3, true).clashes(span(2, 4, false)));
    }

    #[test]
    fn spans_meeting_at_a_boundary_do_not_clash() {
        assert!(!span(0, 2, true).clashes(span(2, 4, true)));
    }

    #[test]
    fn insertion_at_span_boundary_clashes() {
        assert!(span(2, 2, true).clashes(span(0, 2, false)));
        assert!(span(0, 0, true).clashes(span(0, 2, false)));
    }

    #[test]
    fn insertions_at_same_position_clash() {
        assert!(span(1, 1, true).clashes(span(1, 1, true)));
        assert!(!span(1, 1, true).clashes(span(2, 2, true)));
    }

    #[test]
    fn deletion_over_deletion_point_does_not_clash() {
        let deletion_point = Footprint {
            start: 1,
            end: 1,
            inserts: false,
            deletes: true,
        };
        assert!(!span(0, 2, false).clashes(deletion_point));
        assert!(span(0, 2, true).clashes(deletion_point));
    }
}
