//! Each side's line diff against the base, as the merge uses it: the changed
//! hunks, the base lines that the side left unchanged, and the line ending
//! that keeps text from being glued onto a line without a final newline.

use std::ops::Range;

use crate::diff::{
    Hunk, LineInterner, diff_hunks, dominant_line_ending, git_line_hunks, slide_hunks, split_lines,
    unchanged_pairs,
};

/// One side of a three-way merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Side {
    /// The text the document contains now.
    Current,
    /// The text the writer wrote.
    Incoming,
}

/// A run of a side's lines within a base range: either a base line that the
/// side left unchanged or one of the side's hunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    /// Base line `base` is the side's line `side`. The two strings differ
    /// only when the base's last line lacks a final newline and the side
    /// added lines after it.
    Unchanged { base: usize, side: usize },
    /// Base lines `hunk.old` became the side's lines `hunk.new`.
    Changed(Hunk),
}

/// One side's lines and their line diff against the base.
#[derive(Debug)]
pub(super) struct SideDiff<'a> {
    /// The side's lines, each with its line ending.
    pub lines: Vec<&'a str>,
    /// The ids the line diff compares, one for each line.
    ids: Vec<u32>,
    /// Changed hunks, ascending and separated by unchanged lines.
    pub hunks: Vec<Hunk>,
    /// For each base line, the side line it is unchanged as, or `None` when
    /// the line is inside a hunk.
    pub unchanged_as: Vec<Option<usize>>,
    /// Line ending inserted before this side's text when the merged text so
    /// far ends with a line that lacks a final newline.
    pub glue: &'static str,
}

/// The base lines and both sides' diffs against them.
#[derive(Debug)]
pub(super) struct MergeInput<'a> {
    /// The base's lines, each with its line ending.
    pub base: Vec<&'a str>,
    /// The ids the line diff compares, one for each base line.
    base_ids: Vec<u32>,
    /// Line ending inserted after a base line without final newline.
    pub base_glue: &'static str,
    /// The current side's diff.
    pub current: SideDiff<'a>,
    /// The incoming side's diff.
    pub incoming: SideDiff<'a>,
}

impl<'a> MergeInput<'a> {
    /// Splits the three texts into lines and diffs each side against the base.
    pub(super) fn new(base: &'a str, current: &'a str, incoming: &'a str) -> Self {
        let base_lines = split_lines(base);
        let mut interner = LineInterner::default();
        let base_ids = line_ids(&mut interner, &base_lines);
        let current = SideDiff::new(&base_lines, &base_ids, split_lines(current), &mut interner);
        let incoming = SideDiff::new(&base_lines, &base_ids, split_lines(incoming), &mut interner);
        Self {
            base_glue: dominant_line_ending(&base_lines).unwrap_or("\n"),
            base: base_lines,
            base_ids,
            current,
            incoming,
        }
    }

    /// Returns the diff of `side`.
    pub(super) fn side(&self, side: Side) -> &SideDiff<'a> {
        match side {
            Side::Current => &self.current,
            Side::Incoming => &self.incoming,
        }
    }

    /// Returns the base lines of `range` joined.
    pub(super) fn base_text(&self, range: Range<usize>) -> String {
        self.base[range].concat()
    }

    /// Diffs `side` against the base again, with the line alignment of
    /// git's own diff ([`git_line_hunks`]), and returns its hunks. Like the
    /// side's `hunks`, they turn the base into the side's text, but they can
    /// keep other equal lines unchanged.
    pub(super) fn git_aligned_hunks(&self, side: Side) -> Vec<Hunk> {
        let diff = self.side(side);
        let raw = git_line_hunks(&self.base_ids, &diff.ids);
        let slid = slide_hunks(&self.base_ids, &diff.ids, &raw);
        complete_hunks(&self.base, &diff.lines, slid).0
    }
}

impl<'a> SideDiff<'a> {
    fn new(
        base_lines: &[&str],
        base_ids: &[u32],
        lines: Vec<&'a str>,
        interner: &mut LineInterner<'a>,
    ) -> Self {
        let ids = line_ids(interner, &lines);
        // Hunks sit where git's diff puts them, so that both sides place an
        // addition they share at the same base line.
        let slid = slide_hunks(base_ids, &ids, &diff_hunks(base_ids, &ids));
        let (hunks, append_ending) = complete_hunks(base_lines, &lines, slid);

        let mut unchanged_as = vec![None; base_lines.len()];
        for (base_index, side_index) in unchanged_pairs(&hunks, base_lines.len()) {
            unchanged_as[base_index] = Some(side_index);
        }
        let glue = append_ending
            .or_else(|| dominant_line_ending(&lines))
            .unwrap_or("\n");
        Self {
            lines,
            ids,
            hunks,
            unchanged_as,
            glue,
        }
    }

    /// Lists the side's lines over base lines `base_range`, taking the hunks
    /// `hunk_indices` (ascending indices into `hunks`) as the side's changes
    /// there.
    pub(super) fn segments(
        &self,
        base_range: Range<usize>,
        hunk_indices: &[usize],
    ) -> Vec<Segment> {
        let mut segments = Vec::new();
        let mut base_cursor = base_range.start;
        for &index in hunk_indices {
            let hunk = &self.hunks[index];
            self.push_unchanged(&mut segments, base_cursor..hunk.old.start);
            segments.push(Segment::Changed(hunk.clone()));
            base_cursor = hunk.old.end;
        }
        self.push_unchanged(&mut segments, base_cursor..base_range.end);
        segments
    }

    fn push_unchanged(&self, segments: &mut Vec<Segment>, base_range: Range<usize>) {
        for base in base_range {
            let side = self.unchanged_as[base].expect(
                "a group holds every hunk of a side that overlaps its base range, so its other base lines are unchanged",
            );
            segments.push(Segment::Unchanged { base, side });
        }
    }

    /// Returns the side's text of `segments`.
    pub(super) fn text(&self, segments: &[Segment]) -> String {
        let mut text = String::new();
        for segment in segments {
            match segment {
                Segment::Unchanged { side, .. } => text.push_str(self.lines[*side]),
                Segment::Changed(hunk) => {
                    for line in &self.lines[hunk.new.clone()] {
                        text.push_str(line);
                    }
                }
            }
        }
        text
    }

    /// Returns the side line at base line `base_line`: the line it is
    /// unchanged as, or else the line after the nearest base line before it
    /// that is unchanged, or else 0.
    pub(super) fn side_position(&self, base_line: usize) -> usize {
        if let Some(Some(side)) = self.unchanged_as.get(base_line) {
            return *side;
        }
        let before = self.unchanged_as[..base_line.min(self.unchanged_as.len())]
            .iter()
            .rev()
            .find_map(|side| *side);
        before.map_or(0, |side| side + 1)
    }

    /// Returns the side's line range (0-based, half-open) that `segments`
    /// cover, which starts at side line `fallback_start` when they cover none.
    pub(super) fn line_range(&self, segments: &[Segment], fallback_start: usize) -> Range<usize> {
        let start = match segments.first() {
            Some(Segment::Unchanged { side, .. }) => *side,
            Some(Segment::Changed(hunk)) => hunk.new.start,
            None => fallback_start,
        };
        let len: usize = segments
            .iter()
            .map(|segment| match segment {
                Segment::Unchanged { .. } => 1,
                Segment::Changed(hunk) => hunk.new.len(),
            })
            .sum();
        start..start + len
    }
}

/// Adds to `hunks` (a line diff of `base_lines` to `lines`) the edits that
/// comparing an unterminated last line as terminated hid, and returns them
/// sorted and joined. Also returns the line ending that glues text after
/// the base's unterminated last line, if the side appended lines there.
///
/// Lines compare with a line ending added to an unterminated last line, so
/// that appending lines after it is an insertion. Every other pair that
/// matched that way but differs is a real edit (a final newline added or
/// removed) and becomes a one-line hunk.
fn complete_hunks(
    base_lines: &[&str],
    lines: &[&str],
    mut hunks: Vec<Hunk>,
) -> (Vec<Hunk>, Option<&'static str>) {
    let base_unterminated = base_lines.last().is_some_and(|line| !line.ends_with('\n'));
    let mut append_ending = None;
    for (base_index, side_index) in unchanged_pairs(&hunks, base_lines.len()) {
        if base_lines[base_index] == lines[side_index] {
            continue;
        }
        let appended_after =
            base_unterminated && base_index + 1 == base_lines.len() && side_index + 1 < lines.len();
        if appended_after {
            append_ending = Some(line_ending(lines[side_index]));
        } else {
            hunks.push(Hunk {
                old: base_index..base_index + 1,
                new: side_index..side_index + 1,
            });
        }
    }
    (coalesce(hunks), append_ending)
}

/// Interns `lines` for the line diff. An unterminated last line is compared
/// as if it ended with the text's usual line ending.
fn line_ids<'a>(interner: &mut LineInterner<'a>, lines: &[&'a str]) -> Vec<u32> {
    let mut ids = Vec::with_capacity(lines.len());
    for line in lines {
        if line.ends_with('\n') {
            ids.push(interner.intern(line));
        } else {
            let ending = dominant_line_ending(lines).unwrap_or("\n");
            ids.push(interner.intern_owned(format!("{line}{ending}")));
        }
    }
    ids
}

/// Returns the line ending of a terminated line.
fn line_ending(line: &str) -> &'static str {
    if line.ends_with("\r\n") { "\r\n" } else { "\n" }
}

/// Sorts hunks and joins the ones that touch.
fn coalesce(mut hunks: Vec<Hunk>) -> Vec<Hunk> {
    hunks.sort_by_key(|hunk| (hunk.old.start, hunk.old.end));
    let mut joined: Vec<Hunk> = Vec::with_capacity(hunks.len());
    for hunk in hunks {
        match joined.last_mut() {
            Some(last) if last.old.end == hunk.old.start => {
                last.old.end = hunk.old.end;
                last.new.end = hunk.new.end;
            }
            _ => joined.push(hunk),
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunk(old: Range<usize>, new: Range<usize>) -> Hunk {
        Hunk { old, new }
    }

    #[test]
    fn append_after_unterminated_line_is_an_insertion() {
        let input = MergeInput::new("a\nb", "a\nb\nc", "a\nb");
        assert_eq!(input.current.hunks, vec![hunk(2..2, 2..3)]);
        assert_eq!(input.current.unchanged_as, vec![Some(0), Some(1)]);
        assert_eq!(input.current.glue, "\n");
    }

    #[test]
    fn append_to_crlf_file_glues_with_crlf() {
        let input = MergeInput::new("a\r\nb", "a\r\nb\r\nc", "a\r\nb");
        assert_eq!(input.current.hunks, vec![hunk(2..2, 2..3)]);
        assert_eq!(input.current.glue, "\r\n");
    }

    #[test]
    fn added_final_newline_is_a_one_line_hunk() {
        let input = MergeInput::new("a\nb", "a\nb\n", "a\nb");
        assert_eq!(input.current.hunks, vec![hunk(1..2, 1..2)]);
    }

    #[test]
    fn removed_final_newline_joins_the_deletion_after_it() {
        let input = MergeInput::new("a\nb\nc\n", "a\nb", "a\nb\nc\n");
        assert_eq!(input.current.hunks, vec![hunk(1..3, 1..2)]);
    }

    #[test]
    fn segments_list_unchanged_lines_and_hunks() {
        let input = MergeInput::new("a\nb\nc\n", "a\nB\nc\n", "a\nb\nc\n");
        let segments = input.current.segments(0..3, &[0]);
        assert_eq!(
            segments,
            vec![
                Segment::Unchanged { base: 0, side: 0 },
                Segment::Changed(hunk(1..2, 1..2)),
                Segment::Unchanged { base: 2, side: 2 },
            ]
        );
        assert_eq!(input.current.text(&segments), "a\nB\nc\n");
        assert_eq!(input.current.line_range(&segments, 0), 0..3);
    }
}
