//! Line hunks of a diff with both sides' ranges, and the mapping of lines
//! from one text to another.

use similar::{Algorithm, DiffOp, TextDiff};

use crate::merge::LineRange;

/// One changed run of lines: `old` lines became `new` lines. Either range
/// may be empty (an insertion point), never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LineHunk {
    /// Lines of the old text, as [`crate::diff::changed_lines`] returns
    /// them.
    pub old: LineRange,
    /// Lines of the new text that replace them.
    pub new: LineRange,
}

/// The line diff from `old` to `new`: every operation, equal ones included,
/// from the same Myers line diff as [`crate::diff::changed_lines`].
pub(super) struct LineDiff {
    ops: Vec<DiffOp>,
}

impl LineDiff {
    /// Diffs `old` and `new` by line.
    pub(super) fn new(old: &str, new: &str) -> Self {
        let diff = TextDiff::configure()
            .algorithm(Algorithm::Myers)
            .diff_lines(old, new);
        Self {
            ops: diff.ops().to_vec(),
        }
    }

    /// Returns the changed hunks, ascending.
    pub(super) fn hunks(&self) -> Vec<LineHunk> {
        self.ops
            .iter()
            .filter(|op| !matches!(op, DiffOp::Equal { .. }))
            .map(|op| LineHunk {
                old: to_line_range(op.old_range()),
                new: to_line_range(op.new_range()),
            })
            .collect()
    }

    /// Maps old lines to the new lines they became: an unchanged line to its
    /// new line, a changed line to the whole new range of its hunk. A range
    /// whose lines were all deleted becomes an insertion point.
    pub(super) fn map_old_to_new(&self, range: LineRange) -> LineRange {
        let first = self.map_line(range.start);
        if range.end < range.start {
            return LineRange {
                start: first.start,
                end: first.start - 1,
            };
        }
        let last = self.map_line(range.end);
        LineRange {
            start: first.start,
            end: last.end.max(first.start - 1),
        }
    }

    /// Maps new lines back to old lines, the inverse of
    /// [`LineDiff::map_old_to_new`].
    pub(super) fn map_new_to_old(&self, range: LineRange) -> LineRange {
        let inverse = LineDiff {
            ops: self.ops.iter().map(swap_sides).collect(),
        };
        inverse.map_old_to_new(range)
    }

    /// Returns the new lines that old line `line` (1-based) became, or the
    /// insertion point at the end for a line past the end.
    fn map_line(&self, line: usize) -> LineRange {
        let index = line.saturating_sub(1);
        for op in &self.ops {
            let old = op.old_range();
            let new = op.new_range();
            if !old.contains(&index) {
                continue;
            }
            if let DiffOp::Equal { .. } = op {
                let mapped = new.start + (index - old.start) + 1;
                return LineRange {
                    start: mapped,
                    end: mapped,
                };
            }
            return to_line_range(new);
        }
        let end = self.ops.last().map_or(0, |op| op.new_range().end);
        LineRange {
            start: end + 1,
            end,
        }
    }
}

fn to_line_range(range: std::ops::Range<usize>) -> LineRange {
    LineRange {
        start: range.start + 1,
        end: range.end,
    }
}

fn swap_sides(op: &DiffOp) -> DiffOp {
    match *op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: new_index,
            new_index: old_index,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Insert {
            old_index: new_index,
            new_index: old_index,
            new_len: old_len,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Delete {
            old_index: new_index,
            old_len: new_len,
            new_index: old_index,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: new_index,
            old_len: new_len,
            new_index: old_index,
            new_len: old_len,
        },
    }
}
