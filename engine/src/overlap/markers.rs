//! Git-style conflict markers around the high-severity regions of a merge,
//! for people who resolve the regions by hand.

use crate::diff::{dominant_line_ending, split_lines};

use super::lines::LineIndex;
use super::{Analysis, FileMerge, Severity, TextOverlap, Versions};

/// Length of each marker, as git writes them.
const MARKER_LEN: usize = 7;

/// Replaces each high-severity region of the merged text with its three
/// versions between markers, and counts the overlaps' `merged_lines` in the
/// result.
pub(super) fn mark(analysis: Analysis, labels: (&str, &str, &str)) -> FileMerge {
    let text = &analysis.text;
    let ending = if dominant_line_ending(&split_lines(text)) == Some("\r\n") {
        "\r\n"
    } else {
        "\n"
    };

    let mut output = String::with_capacity(text.len());
    let mut spans = Vec::with_capacity(analysis.regions.len());
    let mut cursor = 0;
    for region in &analysis.regions {
        let start = region.merged.start.max(cursor);
        let end = region.merged.end.max(start);
        output.push_str(&text[cursor..start]);
        cursor = end;

        let versions = match &region.versions {
            Some(versions) if region.overlap.severity == Severity::High => versions,
            _ => {
                let output_start = output.len();
                output.push_str(&text[start..end]);
                spans.push(output_start..output.len());
                continue;
            }
        };
        if !output.is_empty() && !output.ends_with('\n') {
            output.push_str(ending);
        }
        let output_start = output.len();
        push_block(&mut output, versions, labels, ending);
        spans.push(output_start..output.len());

        // When the region's last line lacks a line ending, the merge ended it
        // with the line ending that follows. The marker lines end it now.
        if start < end && !text[..end].ends_with('\n') {
            let rest = &text[cursor..];
            if rest.starts_with("\r\n") {
                cursor += 2;
            } else if rest.starts_with('\n') {
                cursor += 1;
            }
        }
    }
    output.push_str(&text[cursor..]);

    let index = LineIndex::new(&output);
    let overlaps = analysis
        .regions
        .into_iter()
        .zip(spans)
        .map(|(region, span)| TextOverlap {
            merged_lines: index.line_range(&output, &span),
            ..region.overlap
        })
        .collect();
    FileMerge {
        text: output,
        overlaps,
    }
}

/// Appends the three versions of a region between markers.
fn push_block(output: &mut String, versions: &Versions, labels: (&str, &str, &str), ending: &str) {
    let (current_label, base_label, incoming_label) = labels;
    push_marker(output, '<', current_label, ending);
    push_version(output, &versions.current, ending);
    push_marker(output, '|', base_label, ending);
    push_version(output, &versions.base, ending);
    push_marker(output, '=', "", ending);
    push_version(output, &versions.incoming, ending);
    push_marker(output, '>', incoming_label, ending);
}

fn push_marker(output: &mut String, marker: char, label: &str, ending: &str) {
    output.extend(std::iter::repeat_n(marker, MARKER_LEN));
    if !label.is_empty() {
        output.push(' ');
        output.push_str(label);
    }
    output.push_str(ending);
}

/// Appends a version, ending its last line if it lacks a line ending so
/// that the next marker starts a line.
fn push_version(output: &mut String, version: &str, ending: &str) {
    output.push_str(version);
    if !version.is_empty() && !version.ends_with('\n') {
        output.push_str(ending);
    }
}
