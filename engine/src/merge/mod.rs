//! Three-way merge of a written text with the text a document contains now,
//! both descended from the same base text.
//!
//! Each side is line-diffed against the base. Hunks of the two sides that
//! touch no common base line are applied as they are, which gives the text
//! of a clean `git merge-file` whenever both tools align the lines the same
//! way (the tests compare the two on real Rust sources). Where both sides
//! changed common base
//! lines, the merge looks at grapheme clusters: edits to different characters
//! are merged within the line, and edits to the same characters keep the
//! current lines whole followed by the incoming lines whole. Either way the
//! region is reported as a [`Conflict`]. The merged text never contains
//! conflict markers.
//!
//! Cost: each side's line diff is Myers, O((N+M)·D) in lines, where D is the
//! number of changed lines, so two unrelated large texts are the slowest
//! case. Grapheme refinement shares one size budget per merge (see
//! [`crate::diff::splices`] for the limits) and falls back to whole lines
//! past it. No limit depends on time, so the same inputs always give the
//! same output.

mod detail;
mod region;
mod sides;
mod unified;

use std::ops::Range;

use crate::diff::{MAX_REFINED_TOTAL_CHARS, RefineBudget};
pub(crate) use detail::{ConflictDetail, MergeDetail};
use region::{Version, containing_side, merge_characters};
use sides::MergeInput;
pub(crate) use sides::Side;

/// A range of base lines, 1-based and inclusive. An insertion between lines
/// `k` and `k + 1` is `start = k + 1, end = k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineRange {
    /// First base line of the range (1-based).
    pub start: usize,
    /// Last base line of the range (1-based, inclusive); `start - 1` for an
    /// insertion point.
    pub end: usize,
}

impl LineRange {
    /// Converts 0-based, half-open line indices.
    pub(crate) fn from_indices(range: &Range<usize>) -> Self {
        Self {
            start: range.start + 1,
            end: range.end,
        }
    }
}

/// The way the merged text resolves a region where both sides changed the
/// same base lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictResolution {
    /// The sides changed the same lines but different characters, so both
    /// edits were merged within the lines.
    CharacterMerge,
    /// The sides changed the same characters differently, so the merged text
    /// contains the current side's lines whole, then the incoming side's lines
    /// whole.
    BothKept,
}

/// A region of base lines that both sides changed differently, where `git
/// merge-file` would report a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The base lines of the region.
    pub base_lines: LineRange,
    /// The current side's change of the region as a unified diff hunk
    /// against the base, such as `"@@ -4 +4 @@\n-x = 1;\n+x = 2;\n"`.
    pub current_hunk: String,
    /// The incoming side's change of the region as a unified diff hunk
    /// against the base.
    pub incoming_hunk: String,
    /// The way the merged text resolves the region.
    pub resolution: ConflictResolution,
}

/// The result of [`merge_texts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// The merged text.
    pub text: String,
    /// Regions both sides changed differently, in base order.
    pub conflicts: Vec<Conflict>,
}

/// Merges `incoming`, written from `base`, into `current`, the text the
/// document contains now after other concurrent writes.
///
/// - Changes to different lines both survive, as in a clean `git
///   merge-file`.
/// - A change that both sides made identically, or that one side's change
///   already contains, appears once and is no conflict.
/// - Where both sides changed common base lines (or one inserted inside
///   lines the other changed), the region is merged by grapheme cluster when
///   the sides' edits touch different characters
///   ([`ConflictResolution::CharacterMerge`]); otherwise it contains the
///   current lines and then the incoming lines
///   ([`ConflictResolution::BothKept`]). Each such region is a [`Conflict`].
/// - Different insertions at the same base position are both kept, current
///   first, without a conflict. Text is never glued onto a last line that
///   lacks a final newline.
/// - With an empty base (two writers created the same file), different
///   texts form one whole-file region.
pub fn merge_texts(base: &str, current: &str, incoming: &str) -> MergeOutcome {
    if current == incoming || incoming == base {
        return MergeOutcome::clean(current);
    }
    if current == base {
        return MergeOutcome::clean(incoming);
    }

    let input = MergeInput::new(base, current, incoming);
    let merged = merge_input(&input);
    MergeOutcome {
        text: merged.text,
        conflicts: merged
            .conflicts
            .into_iter()
            .map(|detail| detail.conflict)
            .collect(),
    }
}

/// The merged text of `input`, with where each hunk landed in it and which
/// hunks formed each conflict.
#[derive(Debug)]
struct Merged {
    text: String,
    conflicts: Vec<ConflictDetail>,
    /// For each side, the byte range of the merged text that each of its
    /// hunks (by index) was merged into, together with the hunks merged with
    /// it.
    current_spans: Vec<Range<usize>>,
    incoming_spans: Vec<Range<usize>>,
    /// For each base line that the merged text contains unchanged, the byte
    /// range it was copied to, starting before any line ending that
    /// completes the line before it. `None` for the other base lines.
    base_copies: Vec<Option<Range<usize>>>,
}

/// Merges both sides' hunks of `input`, which [`merge_texts`] has found not
/// to be trivial.
fn merge_input(input: &MergeInput<'_>) -> Merged {
    let mut merger = Merger::new(input);
    for cluster in group_hunks(input, all_hunks(input), Joining::Touching) {
        if input.base.is_empty() && cluster.has_both_sides() {
            // Two writers created the same file, so the whole file is one
            // region rather than two insertions at the same point.
            merger.resolve_region(&cluster);
        } else {
            merger.merge_cluster(&cluster);
        }
    }
    merger.finish()
}

impl MergeOutcome {
    fn clean(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            conflicts: Vec::new(),
        }
    }
}

/// Hunks of both sides that belong together, over base lines `base`.
#[derive(Debug, Clone)]
struct Group {
    base: Range<usize>,
    /// The hunks, as (side, index into the side's hunks), in base order.
    members: Vec<(Side, usize)>,
}

impl Group {
    fn hunk_indices(&self, side: Side) -> Vec<usize> {
        self.members
            .iter()
            .filter(|(member_side, _)| *member_side == side)
            .map(|(_, index)| *index)
            .collect()
    }

    fn has_both_sides(&self) -> bool {
        let first_side = self.members[0].0;
        self.members.iter().any(|(side, _)| *side != first_side)
    }
}

/// When a hunk joins the group before it.
#[derive(Debug, Clone, Copy)]
enum Joining {
    /// When it shares a base line with the group or touches its ends.
    Touching,
    /// When it shares a base line with the group or inserts strictly inside
    /// it.
    Overlapping,
}

/// Lists both sides' hunks in base order: by start, an insertion before a
/// change starting at the same line, and current before incoming.
fn all_hunks(input: &MergeInput<'_>) -> Vec<(Side, usize)> {
    let mut members: Vec<(Side, usize)> = (0..input.current.hunks.len())
        .map(|index| (Side::Current, index))
        .chain((0..input.incoming.hunks.len()).map(|index| (Side::Incoming, index)))
        .collect();
    members.sort_by_key(|&(side, index)| {
        let hunk = &input.side(side).hunks[index];
        (hunk.old.start, hunk.old.end, side)
    });
    members
}

/// Splits `members` (in base order) into groups, joining a hunk to the group
/// before it as `joining` specifies.
fn group_hunks(
    input: &MergeInput<'_>,
    members: Vec<(Side, usize)>,
    joining: Joining,
) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (side, index) in members {
        let hunk = &input.side(side).hunks[index];
        let joins = groups.last().is_some_and(|group| match joining {
            Joining::Touching => hunk.old.start <= group.base.end,
            Joining::Overlapping => hunk.old.start < group.base.end,
        });
        match groups.last_mut() {
            Some(group) if joins => {
                group.base.end = group.base.end.max(hunk.old.end);
                group.members.push((side, index));
            }
            _ => groups.push(Group {
                base: hunk.old.clone(),
                members: vec![(side, index)],
            }),
        }
    }
    groups
}

/// The merged text being built, base line by base line.
struct Merger<'i, 'a> {
    input: &'i MergeInput<'a>,
    text: String,
    /// First base line not yet copied or replaced.
    base_cursor: usize,
    conflicts: Vec<ConflictDetail>,
    current_spans: Vec<Range<usize>>,
    incoming_spans: Vec<Range<usize>>,
    base_copies: Vec<Option<Range<usize>>>,
    budget: RefineBudget,
}

impl<'i, 'a> Merger<'i, 'a> {
    fn new(input: &'i MergeInput<'a>) -> Self {
        Self {
            input,
            text: String::new(),
            base_cursor: 0,
            conflicts: Vec::new(),
            current_spans: vec![0..0; input.current.hunks.len()],
            incoming_spans: vec![0..0; input.incoming.hunks.len()],
            base_copies: vec![None; input.base.len()],
            budget: RefineBudget::new(MAX_REFINED_TOTAL_CHARS),
        }
    }

    fn finish(mut self) -> Merged {
        self.copy_base_to(self.input.base.len());
        Merged {
            text: self.text,
            conflicts: self.conflicts,
            current_spans: self.current_spans,
            incoming_spans: self.incoming_spans,
            base_copies: self.base_copies,
        }
    }

    /// Records that `members` were merged into the merged text from byte
    /// `start` to the end of the text so far.
    fn place(&mut self, members: &[(Side, usize)], start: usize) -> Range<usize> {
        let span = start..self.text.len();
        for &(side, index) in members {
            let spans = match side {
                Side::Current => &mut self.current_spans,
                Side::Incoming => &mut self.incoming_spans,
            };
            spans[index] = span.clone();
        }
        span
    }

    /// Appends `piece`, first adding `glue` when the text so far ends with a
    /// line that lacks a final newline.
    fn push(&mut self, piece: &str, glue: &str) {
        if piece.is_empty() {
            return;
        }
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push_str(glue);
        }
        self.text.push_str(piece);
    }

    /// Copies the base lines up to `line` (exclusive) that are not yet
    /// copied or replaced.
    fn copy_base_to(&mut self, line: usize) {
        let input = self.input;
        while self.base_cursor < line {
            let start = self.text.len();
            self.push(input.base[self.base_cursor], input.base_glue);
            self.base_copies[self.base_cursor] = Some(start..self.text.len());
            self.base_cursor += 1;
        }
    }

    /// Replaces the base lines of `range` with `text` from `side`, and
    /// returns the byte offset in the merged text where the replacement
    /// starts (before any line ending that completes the line before it).
    fn replace_base(&mut self, range: &Range<usize>, text: &str, side: Side) -> usize {
        self.copy_base_to(range.start);
        let start = self.text.len();
        self.push(text, self.input.side(side).glue);
        self.base_cursor = self.base_cursor.max(range.end);
        start
    }

    /// Merges hunks whose base ranges overlap or touch.
    fn merge_cluster(&mut self, cluster: &Group) {
        if !cluster.has_both_sides() {
            for &(side, index) in &cluster.members {
                self.apply_hunk(side, index);
            }
            return;
        }

        let groups = group_hunks(self.input, cluster.members.clone(), Joining::Overlapping);
        if groups.len() > 1 {
            let current = self.version(Side::Current, cluster);
            let incoming = self.version(Side::Incoming, cluster);
            if let Some(side) = containing_side(&current, &incoming) {
                let text = if side == Side::Current {
                    current.text
                } else {
                    incoming.text
                };
                let start = self.replace_base(&cluster.base, &text, side);
                self.place(&cluster.members, start);
                return;
            }
        }

        for group in &groups {
            if group.has_both_sides() {
                self.resolve_region(group);
            } else {
                for &(side, index) in &group.members {
                    self.apply_hunk(side, index);
                }
            }
        }
    }

    /// Applies one side's hunk as it is.
    fn apply_hunk(&mut self, side: Side, index: usize) {
        let input = self.input;
        let diff = input.side(side);
        let hunk = &diff.hunks[index];
        let text = diff.lines[hunk.new.clone()].concat();
        let start = self.replace_base(&hunk.old, &text, side);
        self.place(&[(side, index)], start);
    }

    /// Merges a region where both sides changed common base lines, and
    /// reports it as a conflict unless one side already contains the other.
    fn resolve_region(&mut self, group: &Group) {
        let current = self.version(Side::Current, group);
        let incoming = self.version(Side::Incoming, group);
        if let Some(side) = containing_side(&current, &incoming) {
            let text = if side == Side::Current {
                &current.text
            } else {
                &incoming.text
            };
            let start = self.replace_base(&group.base, text, side);
            self.place(&group.members, start);
            return;
        }

        let base_text = self.input.base_text(group.base.clone());
        let (start, resolution) = match merge_characters(&base_text, &current, &incoming) {
            Some(merged) => {
                let start = self.replace_base(&group.base, &merged, Side::Current);
                (start, ConflictResolution::CharacterMerge)
            }
            None => {
                let start = self.replace_base(&group.base, &current.text, Side::Current);
                self.push(&incoming.text, self.input.incoming.glue);
                (start, ConflictResolution::BothKept)
            }
        };
        let merged = self.place(&group.members, start);
        let conflict = Conflict {
            base_lines: LineRange::from_indices(&group.base),
            current_hunk: self.unified_hunk(Side::Current, group, &current),
            incoming_hunk: self.unified_hunk(Side::Incoming, group, &incoming),
            resolution,
        };
        self.conflicts.push(ConflictDetail {
            conflict,
            base: group.base.clone(),
            members: group.members.clone(),
            merged,
        });
    }

    fn version(&mut self, side: Side, group: &Group) -> Version {
        Version::new(
            self.input,
            side,
            group.base.clone(),
            &group.hunk_indices(side),
            &mut self.budget,
        )
    }

    fn unified_hunk(&self, side: Side, group: &Group, version: &Version) -> String {
        let diff = self.input.side(side);
        let side_range = diff.line_range(&version.segments, 0);
        unified::unified_hunk(
            &self.input.base,
            group.base.clone(),
            diff,
            &version.segments,
            side_range,
        )
    }
}
