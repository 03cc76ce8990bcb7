//! Byte ranges of a merged text as 1-based line ranges.

use std::ops::Range;

use crate::merge::LineRange;

/// The positions of the line endings of a text, for counting lines before
/// a byte offset in O(log n).
pub(super) struct LineIndex {
    /// Byte offset of every `'\n'`, ascending.
    newlines: Vec<usize>,
}

impl LineIndex {
    pub(super) fn new(text: &str) -> Self {
        Self {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|&(_, byte)| byte == b'\n')
                .map(|(offset, _)| offset)
                .collect(),
        }
    }

    /// Moves the start of `span` past a line ending that completes the line
    /// before it. The merge adds such a line ending when the text so far
    /// ends with a line that lacks one, and it belongs to that line.
    pub(super) fn line_span(&self, text: &str, span: Range<usize>) -> Range<usize> {
        let mid_line = span.start > 0 && !text[..span.start].ends_with('\n');
        if span.is_empty() || !mid_line {
            return span;
        }
        let rest = &text[span.clone()];
        let ending = if rest.starts_with("\r\n") {
            2
        } else if rest.starts_with('\n') {
            1
        } else {
            0
        };
        span.start + ending..span.end
    }

    /// Returns the lines of `text` that `span` (from [`Self::line_span`])
    /// covers. An empty span is the point after the line it sits in or
    /// after.
    pub(super) fn line_range(&self, text: &str, span: &Range<usize>) -> LineRange {
        let completed_before = self.newlines.partition_point(|&offset| offset < span.start);
        let mid_line = span.start > 0 && !text[..span.start].ends_with('\n');
        let before = completed_before + usize::from(mid_line);
        if span.is_empty() {
            return LineRange {
                start: before + 1,
                end: before,
            };
        }
        let completed_inside =
            self.newlines.partition_point(|&offset| offset < span.end) - completed_before;
        let unterminated = usize::from(!text[..span.end].ends_with('\n'));
        LineRange {
            start: before + 1,
            end: before + completed_inside + unterminated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(start: usize, end: usize) -> LineRange {
        LineRange { start, end }
    }

    #[test]
    fn spans_count_whole_lines() {
        let text = "a\nb\nc\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_range(text, &(0..6)), lines(1, 3));
        assert_eq!(index.line_range(text, &(2..4)), lines(2, 2));
        assert_eq!(index.line_range(text, &(2..2)), lines(2, 1));
        assert_eq!(index.line_range(text, &(6..6)), lines(4, 3));
    }

    #[test]
    fn unterminated_last_line_counts() {
        let text = "a\nb";
        let index = LineIndex::new(text);
        assert_eq!(index.line_range(text, &(2..3)), lines(2, 2));
        assert_eq!(index.line_range(text, &(3..3)), lines(3, 2));
    }

    #[test]
    fn line_span_skips_completing_ending() {
        let text = "a\nb\nc\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_span(text, 3..6), 4..6);
        assert_eq!(index.line_span(text, 2..6), 2..6);

        let crlf = "a\r\nb\r\n";
        let index = LineIndex::new(crlf);
        assert_eq!(index.line_span(crlf, 1..6), 3..6);
    }
}
