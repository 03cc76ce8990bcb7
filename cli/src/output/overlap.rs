//! The text form of overlaps: as `weft sync` and `weft write` report them,
//! with the merged region of the reply, and as `weft overlaps` lists them.

use crate::client::Overlap;
use crate::client::messages::LineRange;

/// Maximum number of merged lines printed under one overlap. A longer
/// region ends with a line that counts the lines left out.
pub const MAX_MERGED_LINES: usize = 40;

/// Formats an overlap that a write or a preview reported: a header line,
/// both diffs and the merged region of `merged_text` (the text of the
/// reply), indented, then the overlap's message:
///
/// ```text
/// overlap ov-3a9f01c2b7d4 same-lines (high) src/lib.rs lines 4-4 with agent-b
///   current:
///     @@ -4 +4 @@
///     ...
///   incoming:
///     ...
///   merged (lines 4-5):
///     let x = 2;
///     let x = 3;
/// ```
///
/// The header names the other agents only, because the writer is the one
/// reading it. A preview's overlaps have no id.
pub fn overlap(path: &str, overlap: &Overlap, merged_text: Option<&str>) -> String {
    // The writer comes last in `agents`, so the others are the concurrent side.
    let others = match overlap.agents.split_last() {
        Some((_writer, others)) => others,
        None => &[],
    };
    let mut text = "overlap ".to_owned();
    if let Some(id) = &overlap.id {
        text.push_str(id);
        text.push(' ');
    }
    text.push_str(&summary(path, overlap, others));
    push_hunks(&mut text, overlap);
    if let (Some(merged_text), Some(lines)) = (merged_text, overlap.merged_lines) {
        push_merged_region(&mut text, merged_text, lines);
    }
    push_message(&mut text, overlap);
    text
}

/// Formats an overlap as `weft overlaps` lists it: a header line with every
/// agent and the state, then both diffs, the message and the note:
///
/// ```text
/// ov-3a9f01c2b7d4 same-lines (high) src/lib.rs lines 4-4 with agent-b,agent-a [open]
///   current:
///     ...
/// ```
pub fn listed_overlap(overlap: &Overlap) -> String {
    let mut text = listed_overlap_header(overlap);
    push_hunks(&mut text, overlap);
    push_message(&mut text, overlap);
    if let Some(note) = &overlap.note {
        push_labelled_line(&mut text, "note", note);
    }
    text
}

/// Formats the header line of [`listed_overlap`]: `ID KIND (SEVERITY) PATH
/// lines A-B with AGENTS [STATE]`.
pub fn listed_overlap_header(overlap: &Overlap) -> String {
    let path = overlap.path.as_deref().unwrap_or("(unknown path)");
    let id = overlap.id.as_deref().unwrap_or("(no id)");
    let state = overlap.state.as_deref().unwrap_or("unknown");
    format!("{id} {} [{state}]", summary(path, overlap, &overlap.agents))
}

/// Formats `KIND (SEVERITY) PATH lines A-B with AGENTS`, leaving out the
/// lines and the agents when there are none.
fn summary(path: &str, overlap: &Overlap, agents: &[String]) -> String {
    let mut text = format!("{} ({}) {path}", overlap.kind, overlap.severity);
    if let Some(lines) = overlap.base_lines {
        text.push(' ');
        text.push_str(&line_span(lines));
    }
    if !agents.is_empty() {
        text.push_str(" with ");
        text.push_str(&agents.join(","));
    }
    text
}

/// Formats a line range as `lines A-B`, or an empty range (an insertion
/// point) as `before line A`.
fn line_span(lines: LineRange) -> String {
    if lines.end < lines.start {
        format!("before line {}", lines.start)
    } else {
        format!("lines {}-{}", lines.start, lines.end)
    }
}

fn push_hunks(text: &mut String, overlap: &Overlap) {
    for (label, diff) in [
        ("current", &overlap.current),
        ("incoming", &overlap.incoming),
    ] {
        let Some(diff) = diff else { continue };
        text.push_str(&format!("\n  {label}:"));
        for diff_line in diff.lines() {
            text.push_str("\n    ");
            text.push_str(diff_line);
        }
    }
}

/// Appends `  merged (lines A-B):` and those lines of `merged_text`, at most
/// [`MAX_MERGED_LINES`] of them.
fn push_merged_region(text: &mut String, merged_text: &str, lines: LineRange) {
    if lines.end < lines.start {
        text.push_str(&format!(
            "\n  merged: the region became no lines, before line {}",
            lines.start
        ));
        return;
    }
    let total = merged_text.lines().count();
    // Line numbers are 1-based, so line 0 does not exist either.
    let Some(first) = usize::try_from(lines.start)
        .ok()
        .filter(|&start| start >= 1 && start <= total)
    else {
        text.push_str(&format!(
            "\n  merged ({}): not in the merged text, which has {total} lines",
            line_span(lines)
        ));
        return;
    };
    let last = usize::try_from(lines.end).map_or(total, |end| end.min(total));
    let count = last - first + 1;
    let printed = count.min(MAX_MERGED_LINES);
    text.push_str(&format!("\n  merged ({}):", line_span(lines)));
    for merged_line in merged_text.lines().skip(first - 1).take(printed) {
        text.push_str("\n    ");
        text.push_str(merged_line);
    }
    if count > printed {
        text.push_str(&format!(
            "\n    … {} more lines, to line {last}",
            count - printed
        ));
    }
}

fn push_message(text: &mut String, overlap: &Overlap) {
    if let Some(message) = &overlap.message {
        push_labelled_line(text, "message", message);
    }
}

/// Appends `  LABEL: VALUE`, with the value's line breaks replaced by
/// spaces so that it stays one line.
fn push_labelled_line(text: &mut String, label: &str, value: &str) {
    let one_line = value.lines().collect::<Vec<_>>().join(" ");
    text.push_str(&format!("\n  {label}: {one_line}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_lines() -> Overlap {
        Overlap {
            id: Some("ov-3a9f01c2b7d4".into()),
            kind: "same-lines".into(),
            severity: "high".into(),
            path: Some("src/lib.rs".into()),
            agents: vec!["agent-b".into(), "agent-a".into()],
            base_lines: Some(LineRange { start: 4, end: 4 }),
            merged_lines: Some(LineRange { start: 4, end: 5 }),
            current: Some("@@ -4 +4 @@\n-let x = 1;\n+let x = 2;\n".into()),
            incoming: Some("@@ -4 +4 @@\n-let x = 1;\n+let x = 3;\n".into()),
            state: Some("open".into()),
            ..Overlap::default()
        }
    }

    fn binary() -> Overlap {
        Overlap {
            id: Some("ov-000000000001".into()),
            kind: "binary".into(),
            severity: "high".into(),
            path: Some("logo.png".into()),
            agents: vec!["agent-b".into(), "agent-a".into()],
            message: Some(
                "both agents wrote this bytes file; the last write replaced the other".into(),
            ),
            state: Some("open".into()),
            ..Overlap::default()
        }
    }

    const MERGED: &str = "a\nb\nc\nlet x = 2;\nlet x = 3;\nd\n";

    #[test]
    fn overlap_lists_header_diffs_and_merged() {
        let expected = "overlap ov-3a9f01c2b7d4 same-lines (high) src/lib.rs lines 4-4 with agent-b\n  \
                        current:\n    @@ -4 +4 @@\n    -let x = 1;\n    +let x = 2;\n  \
                        incoming:\n    @@ -4 +4 @@\n    -let x = 1;\n    +let x = 3;\n  \
                        merged (lines 4-5):\n    let x = 2;\n    let x = 3;";
        assert_eq!(overlap("src/lib.rs", &same_lines(), Some(MERGED)), expected);
    }

    #[test]
    fn overlap_without_merged_text() {
        let printed = overlap("src/lib.rs", &same_lines(), None);
        assert!(printed.ends_with("+let x = 3;"), "{printed}");
        assert!(!printed.contains("merged"), "{printed}");
    }

    #[test]
    fn overlap_without_id_or_merged_lines() {
        let reported = Overlap {
            id: None,
            merged_lines: None,
            ..same_lines()
        };
        let printed = overlap("src/lib.rs", &reported, Some(MERGED));
        assert!(
            printed.starts_with("overlap same-lines (high) src/lib.rs lines 4-4 with agent-b\n"),
            "{printed}"
        );
        assert!(!printed.contains("merged"), "{printed}");
    }

    #[test]
    fn binary_overlap_prints_message() {
        assert_eq!(
            overlap("logo.png", &binary(), None),
            "overlap ov-000000000001 binary (high) logo.png with agent-b\n  \
             message: both agents wrote this bytes file; the last write replaced the other"
        );
    }

    #[test]
    fn merged_region_capped() {
        let merged: String = (1..=100).map(|line| format!("line {line}\n")).collect();
        let reported = Overlap {
            merged_lines: Some(LineRange { start: 11, end: 60 }),
            ..same_lines()
        };
        let printed = overlap("src/lib.rs", &reported, Some(&merged));
        let region: Vec<&str> = printed
            .lines()
            .skip_while(|line| !line.starts_with("  merged"))
            .collect();
        assert_eq!(region[0], "  merged (lines 11-60):");
        assert_eq!(region[1], "    line 11");
        assert_eq!(region[MAX_MERGED_LINES], "    line 50");
        assert_eq!(
            region[MAX_MERGED_LINES + 1],
            "    … 10 more lines, to line 60"
        );
        assert_eq!(region.len(), MAX_MERGED_LINES + 2);
    }

    #[test]
    fn merged_region_empty_or_outside() {
        let removed = Overlap {
            merged_lines: Some(LineRange { start: 4, end: 3 }),
            ..same_lines()
        };
        let printed = overlap("src/lib.rs", &removed, Some(MERGED));
        assert!(
            printed.ends_with("\n  merged: the region became no lines, before line 4"),
            "{printed}"
        );

        let outside = Overlap {
            merged_lines: Some(LineRange { start: 9, end: 10 }),
            ..same_lines()
        };
        let printed = overlap("src/lib.rs", &outside, Some(MERGED));
        assert!(
            printed.ends_with("\n  merged (lines 9-10): not in the merged text, which has 6 lines"),
            "{printed}"
        );
    }

    #[test]
    fn merged_region_keeps_crlf_lines_clean() {
        let printed = overlap(
            "src/lib.rs",
            &same_lines(),
            Some("a\r\nb\r\nc\r\nx\r\ny\r\n"),
        );
        assert!(
            printed.ends_with("merged (lines 4-5):\n    x\n    y"),
            "{printed}"
        );
    }

    #[test]
    fn insertion_point_prints_before_line() {
        let inserted = Overlap {
            base_lines: Some(LineRange { start: 7, end: 6 }),
            current: None,
            incoming: None,
            merged_lines: None,
            ..same_lines()
        };
        assert_eq!(
            overlap("src/lib.rs", &inserted, None),
            "overlap ov-3a9f01c2b7d4 same-lines (high) src/lib.rs before line 7 with agent-b"
        );
    }

    #[test]
    fn listed_overlap_shows_all_agents_and_state() {
        let expected = "ov-3a9f01c2b7d4 same-lines (high) src/lib.rs lines 4-4 with agent-b,agent-a [open]\n  \
                        current:\n    @@ -4 +4 @@\n    -let x = 1;\n    +let x = 2;\n  \
                        incoming:\n    @@ -4 +4 @@\n    -let x = 1;\n    +let x = 3;";
        assert_eq!(listed_overlap(&same_lines()), expected);
    }

    #[test]
    fn listed_overlap_shows_message_and_note() {
        let acknowledged = Overlap {
            state: Some("acknowledged".into()),
            note: Some("kept mine,\nthe logo is final".into()),
            ..binary()
        };
        assert_eq!(
            listed_overlap(&acknowledged),
            "ov-000000000001 binary (high) logo.png with agent-b,agent-a [acknowledged]\n  \
             message: both agents wrote this bytes file; the last write replaced the other\n  \
             note: kept mine, the logo is final"
        );
    }
}
