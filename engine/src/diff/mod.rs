//! Diffs from an old text to a new one, expressed as splices in Unicode code
//! points: a Myers line diff first, then a grapheme-cluster diff inside each
//! changed hunk that is small enough.
//!
//! All offsets and lengths here count Unicode scalar values (Rust `char`s),
//! never bytes or UTF-16 units, because that is the unit of the protocol's
//! `splice` request.

use std::collections::HashMap;
use std::ops::Range;

use similar::algorithms::{Capture, myers};
use similar::{DiffOp, DiffableStr};

mod git_lines;
mod slide;

pub(crate) use git_lines::git_line_hunks;
pub(crate) use slide::slide_hunks;

/// Maximum size, in code points, of either side of a changed line hunk that
/// is refined to grapheme clusters. A larger hunk becomes one whole-line
/// splice.
const MAX_REFINED_HUNK_CHARS: usize = 4_000;

/// Maximum number of code points (old and new sides added up over all hunks)
/// that one diff or merge refines to grapheme clusters. Later hunks become
/// whole-line splices. A size, not a time limit, keeps results deterministic.
pub(crate) const MAX_REFINED_TOTAL_CHARS: usize = 100_000;

/// One edit of a text: delete `delete` code points at code point `pos` of the
/// old text, then insert `insert` there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    /// Offset in Unicode code points (`char`s) of the old text.
    pub pos: usize,
    /// Number of code points of the old text deleted from `pos`.
    pub delete: usize,
    /// Text inserted at `pos`.
    pub insert: String,
}

/// Computes the splices that turn `old` into `new`.
///
/// The splices are ascending, do not overlap or touch each other, and are in
/// the code-point coordinates of `old`, so applying them from last to first
/// (or with [`apply_splices`]) yields exactly `new`.
///
/// Lines are diffed first (Myers, O((N+M)·D) in lines). Each changed hunk is
/// then diffed by grapheme cluster, so a splice never splits a grapheme
/// cluster such as a ZWJ emoji sequence or a letter with a combining accent.
/// A hunk with more than 4,000 code points on either side, or one that would
/// exceed the 100,000 code points refined per call, is instead replaced as
/// whole lines.
pub fn splices(old: &str, new: &str) -> Vec<Splice> {
    let mut budget = RefineBudget::new(MAX_REFINED_TOTAL_CHARS);
    splices_within_budget(old, new, &mut budget)
}

/// Applies splices computed against `old` (ascending, non-overlapping, in
/// code points of `old`) and returns the new text.
///
/// # Panics
///
/// Panics if a splice starts before the end of the previous one or reaches
/// past the end of `old`. Splices from [`splices`] never do.
pub fn apply_splices(old: &str, splices: &[Splice]) -> String {
    let mut output = String::with_capacity(old.len());
    let mut cursor = CharCursor::new(old);
    let mut copied_to_byte = 0;

    for splice in splices {
        assert!(
            splice.pos >= cursor.char_index,
            "splice at code point {} overlaps the previous splice, which ends at {}",
            splice.pos,
            cursor.char_index
        );
        let start = cursor.advance_to(splice.pos);
        let end = cursor.advance_to(splice.pos + splice.delete);
        let (Some(start), Some(end)) = (start, end) else {
            panic!(
                "splice at code point {} deleting {} reaches past the end of the text ({} code points)",
                splice.pos,
                splice.delete,
                old.chars().count()
            );
        };

        output.push_str(&old[copied_to_byte..start]);
        output.push_str(&splice.insert);
        copied_to_byte = end;
    }

    output.push_str(&old[copied_to_byte..]);
    output
}

/// Converts a code-point offset into a byte offset of `text`. Returns `None`
/// when the offset is past the end; the offset of the end itself is valid.
pub fn char_to_byte(text: &str, char_offset: usize) -> Option<usize> {
    CharCursor::new(text).advance_to(char_offset)
}

/// The lines of `old` that a line diff to `new` changes, as 1-based
/// inclusive ranges; a pure insertion before line `k` is `k..=k-1`.
pub fn changed_lines(old: &str, new: &str) -> Vec<crate::merge::LineRange> {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .diff_lines(old, new);
    diff.ops()
        .iter()
        .filter(|op| !matches!(op, DiffOp::Equal { .. }))
        .map(|op| {
            let old_range = op.old_range();
            crate::merge::LineRange {
                start: old_range.start + 1,
                end: old_range.end,
            }
        })
        .collect()
}

/// A forward-only position in a text, kept both in code points and in bytes.
struct CharCursor<'a> {
    chars: std::str::Chars<'a>,
    char_index: usize,
    byte_index: usize,
}

impl<'a> CharCursor<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars(),
            char_index: 0,
            byte_index: 0,
        }
    }

    /// Moves forward to code point `char_index` (never backward) and returns
    /// its byte offset, or `None` when the text is shorter.
    fn advance_to(&mut self, char_index: usize) -> Option<usize> {
        while self.char_index < char_index {
            let next = self.chars.next()?;
            self.char_index += 1;
            self.byte_index += next.len_utf8();
        }
        Some(self.byte_index)
    }
}

/// Code points that grapheme refinement may still spend.
#[derive(Debug)]
pub(crate) struct RefineBudget {
    remaining: usize,
}

impl RefineBudget {
    /// Creates a budget of `chars` code points.
    pub(crate) fn new(chars: usize) -> Self {
        Self { remaining: chars }
    }

    /// Takes the code points of a hunk (`old_chars + new_chars`) from the
    /// budget, or returns false and takes nothing when either side of the
    /// hunk is too large to refine or the budget cannot cover it.
    fn take(&mut self, old_chars: usize, new_chars: usize) -> bool {
        let total = old_chars + new_chars;
        if old_chars > MAX_REFINED_HUNK_CHARS
            || new_chars > MAX_REFINED_HUNK_CHARS
            || total > self.remaining
        {
            return false;
        }
        self.remaining -= total;
        true
    }
}

/// [`splices`] with a caller-owned refinement budget, so that several diffs
/// share one limit.
pub(crate) fn splices_within_budget(
    old: &str,
    new: &str,
    budget: &mut RefineBudget,
) -> Vec<Splice> {
    let old_lines = split_lines(old);
    let new_lines = split_lines(new);
    let mut interner = LineInterner::default();
    let old_ids = interner.intern_all(&old_lines);
    let new_ids = interner.intern_all(&new_lines);
    let hunks = diff_hunks(&old_ids, &new_ids);

    let mut output = Vec::new();
    let mut line_cursor = 0;
    let mut char_cursor = 0;
    for hunk in hunks {
        char_cursor += count_chars(&old_lines[line_cursor..hunk.old.start]);
        let old_text = old_lines[hunk.old.clone()].concat();
        let new_text = new_lines[hunk.new.clone()].concat();
        refine_into(&old_text, &new_text, char_cursor, budget, &mut output);
        char_cursor += old_text.chars().count();
        line_cursor = hunk.old.end;
    }
    output
}

/// Appends to `output` the splices that turn `old` into `new`, shifted by
/// `offset` code points: grapheme-level when the budget allows, otherwise one
/// splice replacing all of `old`. A splice that touches the last one already
/// in `output` is joined with it.
pub(crate) fn refine_into(
    old: &str,
    new: &str,
    offset: usize,
    budget: &mut RefineBudget,
    output: &mut Vec<Splice>,
) {
    if old == new {
        return;
    }

    let old_chars = old.chars().count();
    let new_chars = new.chars().count();
    if !budget.take(old_chars, new_chars) {
        push_joined(
            output,
            Splice {
                pos: offset,
                delete: old_chars,
                insert: new.to_owned(),
            },
        );
        return;
    }

    let old_graphemes = old.tokenize_graphemes();
    let new_graphemes = new.tokenize_graphemes();
    let mut old_starts = Vec::with_capacity(old_graphemes.len() + 1);
    let mut position = offset;
    for grapheme in &old_graphemes {
        old_starts.push(position);
        position += grapheme.chars().count();
    }
    old_starts.push(position);

    for hunk in diff_hunks(&old_graphemes, &new_graphemes) {
        push_joined(
            output,
            Splice {
                pos: old_starts[hunk.old.start],
                delete: old_starts[hunk.old.end] - old_starts[hunk.old.start],
                insert: new_graphemes[hunk.new].concat(),
            },
        );
    }
}

/// Pushes `splice`, joining it with the last splice when they touch.
fn push_joined(output: &mut Vec<Splice>, splice: Splice) {
    match output.last_mut() {
        Some(last) if last.pos + last.delete == splice.pos => {
            last.delete += splice.delete;
            last.insert.push_str(&splice.insert);
        }
        _ => output.push(splice),
    }
}

/// Splits `text` into lines, each keeping its `"\n"` (and so its `"\r\n"`).
/// The last line has no line ending when the text does not end with `"\n"`.
/// An empty text has no lines.
pub(crate) fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Counts the code points of `lines`.
pub(crate) fn count_chars(lines: &[&str]) -> usize {
    lines.iter().map(|line| line.chars().count()).sum()
}

/// Returns the line ending (`"\r\n"` or `"\n"`) that most lines of `lines` use, or
/// `None` on a tie or when no line has an ending.
pub(crate) fn dominant_line_ending(lines: &[&str]) -> Option<&'static str> {
    let crlf = lines.iter().filter(|line| line.ends_with("\r\n")).count();
    let lf = lines.iter().filter(|line| line.ends_with('\n')).count() - crlf;
    match crlf.cmp(&lf) {
        std::cmp::Ordering::Greater => Some("\r\n"),
        std::cmp::Ordering::Less => Some("\n"),
        std::cmp::Ordering::Equal => None,
    }
}

/// Maps line strings to small integers so that line diffs compare integers.
#[derive(Debug, Default)]
pub(crate) struct LineInterner<'a> {
    ids: HashMap<&'a str, u32>,
    owned_ids: HashMap<String, u32>,
}

impl<'a> LineInterner<'a> {
    /// Returns the id of `line`, assigning the next free id to a new line.
    pub(crate) fn intern(&mut self, line: &'a str) -> u32 {
        if let Some(&id) = self.owned_ids.get(line) {
            return id;
        }
        let next = self.next_id();
        *self.ids.entry(line).or_insert(next)
    }

    /// Returns the id of a line built at run time, such as a last line with
    /// a line ending added for comparison.
    pub(crate) fn intern_owned(&mut self, line: String) -> u32 {
        if let Some(&id) = self.ids.get(line.as_str()) {
            return id;
        }
        let next = self.next_id();
        *self.owned_ids.entry(line).or_insert(next)
    }

    /// Returns the ids of `lines`, in order.
    pub(crate) fn intern_all(&mut self, lines: &[&'a str]) -> Vec<u32> {
        lines.iter().map(|line| self.intern(line)).collect()
    }

    fn next_id(&self) -> u32 {
        u32::try_from(self.ids.len() + self.owned_ids.len()).expect(
            "a text has fewer than 2^32 distinct lines because files are limited to a few MiB",
        )
    }
}

/// A changed run of items (lines or grapheme clusters): `old` items are
/// replaced by `new` items. Either range may be empty (an insertion or a
/// deletion), never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hunk {
    /// Item indices (0-based, half-open) in the old sequence.
    pub old: Range<usize>,
    /// Item indices (0-based, half-open) in the new sequence.
    pub new: Range<usize>,
}

/// Diffs two sequences with Myers' algorithm and returns the changed hunks,
/// ascending and separated by at least one unchanged item.
///
/// NOTE: similar's `capture_diff*` functions and `TextDiff` also run its
/// `Compact` step, which in similar 2.7.0 can return overlapping ops out of
/// order (seen on a grapheme diff of Rust source lines), so the ops are
/// captured here straight from Myers.
pub(crate) fn diff_hunks<T: PartialEq>(old: &[T], new: &[T]) -> Vec<Hunk> {
    let mut capture = Capture::new();
    let Ok(()) = myers::diff(&mut capture, old, 0..old.len(), new, 0..new.len());

    let mut hunks: Vec<Hunk> = Vec::new();
    for op in capture.into_ops() {
        if matches!(op, DiffOp::Equal { .. }) {
            continue;
        }
        let old_range = op.old_range();
        let new_range = op.new_range();
        match hunks.last_mut() {
            Some(last) if last.old.end == old_range.start && last.new.end == new_range.start => {
                last.old.end = old_range.end;
                last.new.end = new_range.end;
            }
            _ => hunks.push(Hunk {
                old: old_range,
                new: new_range,
            }),
        }
    }
    hunks
}

/// Returns the `(old, new)` line index pairs that `hunks` leave unchanged,
/// ascending. `old_len` is the number of old lines.
pub(crate) fn unchanged_pairs(hunks: &[Hunk], old_len: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::with_capacity(old_len);
    let mut old_index = 0;
    let mut new_index = 0;
    for hunk in hunks {
        while old_index < hunk.old.start {
            pairs.push((old_index, new_index));
            old_index += 1;
            new_index += 1;
        }
        old_index = hunk.old.end;
        new_index = hunk.new.end;
    }
    while old_index < old_len {
        pairs.push((old_index, new_index));
        old_index += 1;
        new_index += 1;
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splice(pos: usize, delete: usize, insert: &str) -> Splice {
        Splice {
            pos,
            delete,
            insert: insert.to_owned(),
        }
    }

    fn assert_round_trip(old: &str, new: &str) {
        let computed = splices(old, new);
        assert_eq!(apply_splices(old, &computed), new, "splices {computed:?}");
    }

    #[test]
    fn changed_lines_are_one_based() {
        let ranges = changed_lines("a\nb\nc\n", "a\nB\nc\nd\n");
        let pairs: Vec<(usize, usize)> = ranges.iter().map(|r| (r.start, r.end)).collect();
        assert_eq!(pairs, [(2, 2), (4, 3)]);
    }

    #[test]
    fn splices_change_only_the_changed_character() {
        assert_eq!(
            splices("a\nlet x=1;\nb\n", "a\nlet x=2;\nb\n"),
            vec![splice(8, 1, "2")]
        );
    }

    #[test]
    fn splices_count_code_points() {
        assert_eq!(splices("é👍x\n", "é👍y\n"), vec![splice(2, 1, "y")]);
    }

    #[test]
    fn splices_keep_zwj_sequences_whole() {
        let computed = splices("👨‍👩‍👧\n", "👨‍👩‍👦\n");
        assert_eq!(computed, vec![splice(0, 5, "👨‍👩‍👦")]);
    }

    #[test]
    fn splices_keep_combining_accents_whole() {
        let computed = splices("cafe\u{301}\n", "cafe\u{300}\n");
        assert_eq!(computed, vec![splice(3, 2, "e\u{300}")]);
    }

    #[test]
    fn splices_round_trip() {
        let cases = [
            ("", ""),
            ("", "a\nb"),
            ("a\nb", ""),
            ("a\nb", "a\nb\n"),
            ("a\r\nb\r\n", "a\nb\n"),
            ("one\ntwo\nthree\n", "zero\none\nthree\nfour"),
            ("x👍y\n", "x👎y\n👍"),
        ];
        for (old, new) in cases {
            assert_round_trip(old, new);
        }
    }

    #[test]
    fn splices_are_ascending_and_apart() {
        let old = "a\nb\nc\nd\ne\n";
        let new = "A\nb\nC\nd\n";
        let computed = splices(old, new);
        for pair in computed.windows(2) {
            assert!(pair[0].pos + pair[0].delete < pair[1].pos, "{computed:?}");
        }
        assert_eq!(apply_splices(old, &computed), new);
    }

    #[test]
    fn large_hunk_is_replaced_as_whole_lines() {
        let old = format!("keep\n{}\nkeep\n", "a".repeat(5_000));
        let new = format!("keep\n{}b\nkeep\n", "a".repeat(5_000));
        let computed = splices(&old, &new);
        assert_eq!(computed.len(), 1);
        assert_eq!(computed[0].pos, 5);
        assert_eq!(computed[0].delete, 5_001);
        assert_eq!(apply_splices(&old, &computed), new);
    }

    #[test]
    fn apply_splices_at_end_of_text() {
        assert_eq!(apply_splices("ab", &[splice(2, 0, "c")]), "abc");
        assert_eq!(
            apply_splices("ab", &[splice(0, 1, "x"), splice(1, 1, "y")]),
            "xy"
        );
    }

    #[test]
    #[should_panic(expected = "past the end")]
    fn apply_splices_rejects_offset_past_end() {
        apply_splices("ab", &[splice(3, 0, "c")]);
    }

    #[test]
    fn char_to_byte_counts_code_points() {
        assert_eq!(char_to_byte("é👍x", 0), Some(0));
        assert_eq!(char_to_byte("é👍x", 1), Some(2));
        assert_eq!(char_to_byte("é👍x", 2), Some(6));
        assert_eq!(char_to_byte("é👍x", 3), Some(7));
        assert_eq!(char_to_byte("é👍x", 4), None);
        assert_eq!(char_to_byte("", 0), Some(0));
    }

    #[test]
    fn dominant_line_ending_counts_lines() {
        assert_eq!(
            dominant_line_ending(&["a\r\n", "b\r\n", "c\n"]),
            Some("\r\n")
        );
        assert_eq!(dominant_line_ending(&["a\r\n", "b\n"]), None);
        assert_eq!(dominant_line_ending(&["a"]), None);
    }

    fn hunk(old: Range<usize>, new: Range<usize>) -> Hunk {
        Hunk { old, new }
    }

    #[test]
    fn slide_moves_deletion_down() {
        let old = ["a", "b", "a", "b", "c"];
        let new = ["a", "b", "c"];
        let slid = slide_hunks(&old, &new, &[hunk(0..2, 0..0)]);
        assert_eq!(slid, [hunk(2..4, 2..2)]);
    }

    #[test]
    fn slide_moves_insertion_down() {
        let old = ["}", "", "}"];
        let new = ["}", "", "}", "", "}"];
        let slid = slide_hunks(&old, &new, &[hunk(1..1, 1..3)]);
        assert_eq!(slid, [hunk(3..3, 3..5)]);
    }

    #[test]
    fn slide_keeps_replacement_aligned() {
        // Deleting "a b" alone would slide down to "b a", but here the
        // deletion lines up with the inserted "c", so it stays.
        let old = ["a", "b", "a"];
        let new = ["c", "a"];
        let slid = slide_hunks(&old, &new, &[hunk(0..2, 0..1)]);
        assert_eq!(slid, [hunk(0..2, 0..1)]);
        let deleted = slide_hunks(&old, &["a"], &[hunk(0..2, 0..0)]);
        assert_eq!(deleted, [hunk(1..3, 1..1)]);
    }

    #[test]
    fn slide_joins_runs_it_meets() {
        let old = ["a", "a", "b"];
        let new = ["a"];
        let slid = slide_hunks(&old, &new, &[hunk(0..1, 0..0), hunk(2..3, 1..1)]);
        assert_eq!(slid, [hunk(1..3, 1..1)]);
    }
}
