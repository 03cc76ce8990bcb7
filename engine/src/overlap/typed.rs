//! Overlaps that depend on the file's type, added to the text-level report:
//! definitions in code (same-symbol, definition-use, duplicate-definition)
//! and keys in JSON, TOML and YAML files (same-key, duplicate-definition),
//! and lock files changed on both sides (regenerate).

use crate::merge::LineRange;
use crate::structured::{different_keys_only, structured_findings};
use crate::syntax::syntax_findings;

use super::{FileMerge, OverlapKind, TextOverlap, merge_file};

/// Merges like [`merge_file`] and adds the overlaps that the file's type,
/// named by `path`, makes visible. A text-level `same-lines` overlap that
/// only touches different keys of a structured file becomes a low
/// `adjacent` one. Files of other types get the text-level report alone.
///
/// Cost: the language-aware checks read the three texts and the merged
/// text through tree-sitter. Parses are cached by content, so a write
/// usually parses only its incoming and merged texts, in time proportional
/// to the file's size (about 8 µs per line on 2 cores, `docs/benchmarks.md`).
/// NOTE: parsing is not incremental, so a new text is parsed whole.
pub fn merge_file_at(path: &str, base: Option<&str>, current: &str, incoming: &str) -> FileMerge {
    let mut merge = merge_file(base, current, incoming);
    let Some(base) = base else {
        return merge;
    };

    for overlap in &mut merge.overlaps {
        if overlap.kind == OverlapKind::SameLines
            && different_keys_only(path, base, current, incoming, overlap.base_lines)
        {
            overlap.kind = OverlapKind::Adjacent;
            overlap.severity = OverlapKind::Adjacent.severity();
        }
    }

    let syntax = syntax_findings(path, base, current, incoming, &merge.text)
        .into_iter()
        .map(|finding| {
            (
                finding.kind,
                finding.base_lines,
                finding.merged_lines,
                finding.message,
            )
        });
    let structured = structured_findings(path, base, current, incoming, &merge.text)
        .into_iter()
        .map(|finding| {
            (
                finding.kind,
                finding.base_lines,
                finding.merged_lines,
                finding.message,
            )
        });
    for (kind, base_lines, merged_lines, message) in syntax.chain(structured) {
        let Some(kind) = OverlapKind::from_name(kind) else {
            continue;
        };
        merge
            .overlaps
            .push(finding_overlap(kind, base_lines, merged_lines, message));
    }
    merge
}

fn finding_overlap(
    kind: OverlapKind,
    base_lines: LineRange,
    merged_lines: LineRange,
    message: String,
) -> TextOverlap {
    TextOverlap {
        kind,
        severity: kind.severity(),
        base_lines,
        merged_lines,
        current_hunk: String::new(),
        incoming_hunk: String::new(),
        message: Some(message),
    }
}
