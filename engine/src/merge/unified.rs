//! Unified-diff text of one side's version of a conflict region against the
//! base, as reported in a conflict.

use std::ops::Range;

use super::sides::{Segment, SideDiff};

/// Formats `segments` of `side` over base lines `base_range` as one unified
/// diff hunk: a header such as `@@ -4,2 +4,3 @@`, then the lines prefixed
/// with `" "`, `"-"` or `"+"`, with `\ No newline at end of file` after a
/// line that lacks a final newline.
pub(super) fn unified_hunk(
    base: &[&str],
    base_range: Range<usize>,
    side: &SideDiff<'_>,
    segments: &[Segment],
    side_range: Range<usize>,
) -> String {
    let mut output = format!(
        "@@ -{} +{} @@\n",
        header_range(&base_range),
        header_range(&side_range)
    );
    for segment in segments {
        match segment {
            Segment::Unchanged {
                base: base_index,
                side: side_index,
            } => {
                let base_line = base[*base_index];
                let side_line = side.lines[*side_index];
                if base_line == side_line {
                    push_line(&mut output, ' ', base_line);
                } else {
                    push_line(&mut output, '-', base_line);
                    push_line(&mut output, '+', side_line);
                }
            }
            Segment::Changed(hunk) => {
                for line in &base[hunk.old.clone()] {
                    push_line(&mut output, '-', line);
                }
                for line in &side.lines[hunk.new.clone()] {
                    push_line(&mut output, '+', line);
                }
            }
        }
    }
    output
}

/// Formats a 0-based half-open line range as a unified-diff header range:
/// `4` for one line, `4,2` for two, and `3,0` for the empty range after
/// line 3.
fn header_range(range: &Range<usize>) -> String {
    match range.len() {
        0 => format!("{},0", range.start),
        1 => format!("{}", range.start + 1),
        len => format!("{},{}", range.start + 1, len),
    }
}

fn push_line(output: &mut String, prefix: char, line: &str) {
    output.push(prefix);
    output.push_str(line);
    if !line.ends_with('\n') {
        output.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_range_follows_unified_format() {
        assert_eq!(header_range(&(3..4)), "4");
        assert_eq!(header_range(&(3..5)), "4,2");
        assert_eq!(header_range(&(3..3)), "3,0");
        assert_eq!(header_range(&(0..0)), "0,0");
    }
}
