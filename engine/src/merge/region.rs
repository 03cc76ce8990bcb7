//! Character-level analysis of a group of hunks where both sides changed
//! the same or neighbouring base lines: whether one side's edits already
//! contain the other's, and whether the two sides' edits can be merged
//! character by character.

use crate::diff::{RefineBudget, Splice, apply_splices, char_to_byte, refine_into, splices_within_budget};

use super::sides::{MergeInput, Segment, Side, SideDiff};

/// One side's version of a group's base lines.
#[derive(Debug)]
pub(super) struct Version {
    /// The side's lines over the group's base range.
    pub segments: Vec<Segment>,
    /// The side's text of those lines.
    pub text: String,
    /// The side's edits of the group's base text, in its code points,
    /// grapheme-level where the budget allowed.
    pub edits: Vec<Splice>,
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
        Self {
            segments,
            text,
            edits,
        }
    }
}

/// Returns which side's text already contains both sides' edits, or `None`.
///
/// The incoming text wins nothing when everything it did is already in the
/// current text, so that is checked first. A side's version contains the
/// other's when the other's edits all appear identically among its edits, or
/// when turning the other text into it touches none of the other side's
/// edited characters (adding whole lines next to them is allowed, so an
/// import that both sides added is not duplicated).
pub(super) fn containing_side(
    current: &Version,
    incoming: &Version,
    budget: &mut RefineBudget,
) -> Option<Side> {
    if current.text == incoming.text || is_subset(&incoming.edits, &current.edits) {
        return Some(Side::Current);
    }
    if is_subset(&current.edits, &incoming.edits) {
        return Some(Side::Incoming);
    }
    if extends_without_touching(incoming, &current.text, budget) {
        return Some(Side::Current);
    }
    if extends_without_touching(current, &incoming.text, budget) {
        return Some(Side::Incoming);
    }
    None
}

/// Merges the two versions character by character, or returns `None` when
/// their remaining edits touch the same base characters or insert at the
/// same position. Incoming edits identical to current ones count once.
pub(super) fn merge_characters(base_text: &str, current: &Version, incoming: &Version) -> Option<String> {
    let current_footprints: Vec<Footprint> = current.edits.iter().map(Footprint::in_old_text).collect();
    let mut merged = current.edits.clone();
    for edit in &incoming.edits {
        if current.edits.contains(edit) {
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
            Segment::Unchanged { base, side } => (input.base[*base].to_owned(), diff.lines[*side].to_owned()),
            Segment::Changed(hunk) => (input.base_text(hunk.old.clone()), diff.lines[hunk.new.clone()].concat()),
        };
        refine_into(&base_text, &side_text, offset, budget, &mut edits);
        offset += base_text.chars().count();
    }
    edits
}

/// Whether every edit of `edits` is also in `others`.
fn is_subset(edits: &[Splice], others: &[Splice]) -> bool {
    edits.iter().all(|edit| others.contains(edit))
}

/// Whether `target` is `version.text` plus edits that leave the version's own
/// edits alone: no edited character changed, no insertion inside or beside
/// an edit, except whole lines added at a line start next to inserted text.
fn extends_without_touching(version: &Version, target: &str, budget: &mut RefineBudget) -> bool {
    let protected = footprints_in_new_text(&version.edits);
    let changes = splices_within_budget(&version.text, target, budget);
    changes.iter().all(|change| {
        let footprint = Footprint::in_old_text(change);
        let adds_whole_lines = footprint.start == footprint.end
            && change.insert.ends_with('\n')
            && starts_line(&version.text, footprint.start);
        clashing(footprint, &protected).all(|other| {
            let beside = footprint.start == other.start || footprint.start == other.end;
            adds_whole_lines && other.start < other.end && beside
        })
    })
}

/// Whether code point `offset` of `text` is at the start of a line.
fn starts_line(text: &str, offset: usize) -> bool {
    match char_to_byte(text, offset) {
        Some(0) => true,
        Some(byte) => text.as_bytes()[byte - 1] == b'\n',
        None => false,
    }
}

/// The code points an edit covers in one text, and whether it puts text
/// there. A pure insertion, or a deletion seen in the text after it, covers
/// the empty span at its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Footprint {
    start: usize,
    end: usize,
    inserts: bool,
}

impl Footprint {
    /// The span `edit` deletes, in the text it applies to.
    fn in_old_text(edit: &Splice) -> Self {
        Self {
            start: edit.pos,
            end: edit.pos + edit.delete,
            inserts: !edit.insert.is_empty(),
        }
    }

    /// Whether two edits touch: they share a code point, they insert at the
    /// same position, or one inserts at or inside the other's span.
    fn clashes(self, other: Self) -> bool {
        if self.start < other.end && other.start < self.end {
            return true;
        }
        let self_empty = self.start == self.end;
        let other_empty = other.start == other.end;
        match (self_empty, other_empty) {
            (true, true) => self.start == other.start && (self.inserts || other.inserts),
            (true, false) => self.inserts && other.start <= self.start && self.start <= other.end,
            (false, true) => other.inserts && self.start <= other.start && other.start <= self.end,
            (false, false) => false,
        }
    }
}

/// The footprints of `edits` in the text after them: inserted text covers its
/// span there, and a pure deletion covers the empty span where it was.
fn footprints_in_new_text(edits: &[Splice]) -> Vec<Footprint> {
    let mut footprints = Vec::with_capacity(edits.len());
    let mut inserted = 0;
    let mut deleted = 0;
    for edit in edits {
        let start = edit.pos - deleted + inserted;
        let len = edit.insert.chars().count();
        footprints.push(Footprint {
            start,
            end: start + len,
            inserts: len > 0,
        });
        inserted += len;
        deleted += edit.delete;
    }
    footprints
}

/// The footprints of `sorted` (ascending and apart) that clash with
/// `footprint`.
fn clashing(footprint: Footprint, sorted: &[Footprint]) -> impl Iterator<Item = Footprint> + '_ {
    let first = sorted.partition_point(|other| other.end < footprint.start);
    sorted[first..]
        .iter()
        .take_while(move |other| other.start <= footprint.end)
        .copied()
        .filter(move |other| footprint.clashes(*other))
}
