//! Keeping the stored file's line endings when a writer sends its text with
//! other line endings, so that an editor that rewrote a CRLF file with LF
//! endings changes only the lines it really changed.

use crate::diff::{LineInterner, diff_hunks, dominant_line_ending, split_lines, unchanged_pairs};

/// Returns `written` with the line endings of `base` where the lines match.
///
/// Both texts are split into lines and line-diffed (Myers) on their content
/// without line endings. Then:
/// - a written line matched to a base line takes that base line's ending;
/// - an inserted or changed written line that ends with `"\n"` or `"\r\n"`
///   takes the ending that most base lines use, or keeps its own ending when
///   the base has no line endings or as many `"\r\n"` as `"\n"` lines;
/// - a last line without a final newline stays without one, and a written
///   final newline stays, because adding or removing a final newline is a
///   real edit.
///
/// So a file mixing CRLF and LF comes back unchanged when it is written back
/// unchanged or with all-LF endings.
pub fn adopt_line_endings(base: &str, written: &str) -> String {
    if base == written {
        return written.to_owned();
    }

    let base_lines: Vec<(&str, &str)> = split_lines(base).into_iter().map(split_ending).collect();
    let written_lines: Vec<(&str, &str)> =
        split_lines(written).into_iter().map(split_ending).collect();
    let mut interner = LineInterner::default();
    let base_ids: Vec<u32> = base_lines
        .iter()
        .map(|(content, _)| interner.intern(content))
        .collect();
    let written_ids: Vec<u32> = written_lines
        .iter()
        .map(|(content, _)| interner.intern(content))
        .collect();
    let dominant = dominant_line_ending(&split_lines(base));

    let hunks = diff_hunks(&base_ids, &written_ids);
    let mut matched_base_line = vec![None; written_lines.len()];
    for (base_index, written_index) in unchanged_pairs(&hunks, base_lines.len()) {
        matched_base_line[written_index] = Some(base_index);
    }

    let mut output = String::with_capacity(written.len());
    for (&(content, written_ending), matched) in written_lines.iter().zip(matched_base_line) {
        let base_ending = matched.map_or("", |base_index| base_lines[base_index].1);
        let ending = if written_ending.is_empty() {
            ""
        } else if !base_ending.is_empty() {
            base_ending
        } else {
            dominant.unwrap_or(written_ending)
        };
        output.push_str(content);
        output.push_str(ending);
    }
    output
}

/// Splits a line into its content and its ending (`"\r\n"`, `"\n"` or `""`).
fn split_ending(line: &str) -> (&str, &str) {
    if let Some(content) = line.strip_suffix("\r\n") {
        (content, "\r\n")
    } else if let Some(content) = line.strip_suffix('\n') {
        (content, "\n")
    } else {
        (line, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_file_rewritten_with_lf_changes_one_line() {
        assert_eq!(
            adopt_line_endings("a\r\nb\r\nc\r\n", "a\nB\nc\n"),
            "a\r\nB\r\nc\r\n"
        );
    }

    #[test]
    fn mixed_endings_round_trip_unchanged() {
        let base = "a\r\nb\nc\r\nd";
        assert_eq!(adopt_line_endings(base, base), base);
    }

    #[test]
    fn mixed_endings_round_trip_from_all_lf() {
        let base = "a\r\nb\nc\r\nd\n";
        assert_eq!(adopt_line_endings(base, "a\nb\nc\nd\n"), base);
    }

    #[test]
    fn inserted_line_takes_dominant_ending() {
        assert_eq!(
            adopt_line_endings("a\r\nb\r\nc\n", "a\nx\nb\nc\n"),
            "a\r\nx\r\nb\r\nc\n"
        );
    }

    #[test]
    fn tie_keeps_written_ending() {
        assert_eq!(
            adopt_line_endings("a\r\nb\n", "a\nx\r\nb\n"),
            "a\r\nx\r\nb\n"
        );
        assert_eq!(adopt_line_endings("a\r\nb\n", "a\nx\nb\n"), "a\r\nx\nb\n");
    }

    #[test]
    fn base_without_endings_keeps_written_endings() {
        assert_eq!(adopt_line_endings("a", "a\r\nb\r\n"), "a\r\nb\r\n");
    }

    #[test]
    fn added_final_newline_stays() {
        assert_eq!(adopt_line_endings("a\r\nb", "a\nb\n"), "a\r\nb\r\n");
    }

    #[test]
    fn removed_final_newline_stays_removed() {
        assert_eq!(adopt_line_endings("a\r\nb\r\n", "a\nb"), "a\r\nb");
    }

    #[test]
    fn last_line_without_newline_stays_without() {
        assert_eq!(adopt_line_endings("a\r\nb\r\n", "a\nb\nc"), "a\r\nb\r\nc");
    }

    #[test]
    fn empty_base_or_written_text() {
        assert_eq!(adopt_line_endings("", "a\nb\n"), "a\nb\n");
        assert_eq!(adopt_line_endings("a\r\n", ""), "");
    }

    #[test]
    fn lone_carriage_return_is_content() {
        assert_eq!(adopt_line_endings("a\r\nb\r\n", "a\rb\n"), "a\rb\r\n");
    }
}
