//! The key comparisons behind [`super::structured_findings`] and
//! [`super::different_keys_only`].

use std::collections::{HashMap, HashSet};

use similar::{Algorithm, DiffOp, TextDiff};

use super::{Finding, KeyEntry};
use crate::merge::LineRange;

/// Maximum number of characters of a value quoted in a message. A longer
/// value is cut and ends with `…`.
const MAX_QUOTED_VALUE_CHARS: usize = 120;

/// The entries of the base and of both sides of a merge.
pub(super) struct Sides<'a> {
    pub(super) base: &'a [KeyEntry],
    pub(super) current: &'a [KeyEntry],
    pub(super) incoming: &'a [KeyEntry],
}

/// Returns a `same-key` finding for each base key whose value both sides
/// changed to different values. Only keys without keys below them on at
/// least one side count, so two edits of different keys in one table do not
/// make the table a `same-key` finding. Each finding comes with its key
/// path.
pub(super) fn same_key(
    sides: &Sides,
    merged_entries: Option<&[KeyEntry]>,
    base_text: &str,
    merged_text: &str,
) -> Vec<(Vec<String>, Finding)> {
    let current = first_by_path(sides.current);
    let incoming = first_by_path(sides.incoming);
    let current_leaves = leaf_paths(sides.current);
    let incoming_leaves = leaf_paths(sides.incoming);
    let mut seen = HashSet::new();
    let mut found = Vec::new();

    for base_entry in sides.base {
        let path = base_entry.path.as_slice();
        if !seen.insert(path) {
            continue;
        }
        let (Some(ours), Some(theirs)) = (current.get(path), incoming.get(path)) else {
            continue;
        };
        let both_changed = ours.value != base_entry.value && theirs.value != base_entry.value;
        if !both_changed || ours.value == theirs.value {
            continue;
        }
        if !current_leaves.contains(path) && !incoming_leaves.contains(path) {
            continue;
        }
        // The merge may have kept both sides' definitions, so the merged
        // lines run from the first definition to the last.
        let mut definitions = merged_entries
            .into_iter()
            .flatten()
            .filter(|entry| entry.path == path);
        let merged_lines = match (definitions.next(), definitions.next_back()) {
            (Some(first), last) => LineRange {
                start: first.lines.start,
                end: last.unwrap_or(first).lines.end,
            },
            (None, _) => map_lines(base_text, merged_text, base_entry.lines, false),
        };
        let finding = Finding {
            kind: "same-key",
            severity: "high",
            base_lines: base_entry.lines,
            merged_lines,
            message: format!(
                "both sides changed `{}` from `{}`: current `{}`, incoming `{}`",
                display_path(path),
                quote(&base_entry.value),
                quote(&ours.value),
                quote(&theirs.value),
            ),
        };
        found.push((path.to_vec(), finding));
    }
    found
}

/// Returns a `duplicate-definition` finding for each key that the merged
/// text defines more than once in one mapping where the base defined it at
/// most once, pointing at its second definition. A key inside a duplicated
/// mapping is not reported again, and neither is a key that contains, lies
/// inside or is one of the `same_key_paths`, because that finding already
/// covers both definitions.
pub(super) fn duplicate_definitions(
    base_entries: &[KeyEntry],
    merged_entries: &[KeyEntry],
    same_key_paths: &[Vec<String>],
    base_text: &str,
    merged_text: &str,
) -> Vec<Finding> {
    let base_counts = count_by_path(base_entries);
    let mut occurrences: HashMap<&[String], Vec<&KeyEntry>> = HashMap::new();
    for entry in merged_entries {
        occurrences
            .entry(entry.path.as_slice())
            .or_default()
            .push(entry);
    }
    let duplicated: HashSet<&[String]> = occurrences
        .iter()
        .filter(|(path, entries)| {
            entries.len() >= 2 && base_counts.get(*path).copied().unwrap_or(0) <= 1
        })
        .map(|(path, _)| *path)
        .collect();

    let mut found = Vec::new();
    let mut reported = HashSet::new();
    for entry in merged_entries {
        let path = entry.path.as_slice();
        if !duplicated.contains(path) || !reported.insert(path) {
            continue;
        }
        if (1..path.len()).any(|length| duplicated.contains(&path[..length])) {
            continue;
        }
        let same_key = same_key_paths
            .iter()
            .any(|other| other.starts_with(path) || path.starts_with(other));
        if same_key {
            continue;
        }
        let second = occurrences[path][1];
        found.push(Finding {
            kind: "duplicate-definition",
            severity: "high",
            base_lines: map_lines(merged_text, base_text, second.lines, true),
            merged_lines: second.lines,
            message: format!(
                "the merged text defines `{}` twice, at lines {} and {}: `{}` and `{}`; \
                 keep one definition",
                display_path(path),
                entry.lines.start,
                second.lines.start,
                quote(&entry.value),
                quote(&second.value),
            ),
        });
    }
    found
}

/// Returns the paths of the keys that `side` changed, added or removed
/// compared with the base, and that lie in `region` of the base. Only keys
/// without keys below them count. An added key lies in the region of its
/// closest enclosing base key, and an added top-level key in every region.
pub(super) fn changed_keys(
    base: &[KeyEntry],
    side: &[KeyEntry],
    region: LineRange,
) -> Vec<Vec<String>> {
    let base_first = first_by_path(base);
    let side_first = first_by_path(side);
    let base_counts = count_by_path(base);
    let side_counts = count_by_path(side);
    let mut candidates: Vec<&[String]> = Vec::new();
    let mut seen = HashSet::new();
    for leaves in [leaf_paths(base), leaf_paths(side)] {
        for entry in base.iter().chain(side) {
            let path = entry.path.as_slice();
            if leaves.contains(path) && seen.insert(path) {
                candidates.push(path);
            }
        }
    }

    let mut changed = Vec::new();
    for path in candidates {
        let base_value = base_first.get(path).map(|entry| &entry.value);
        let side_value = side_first.get(path).map(|entry| &entry.value);
        if base_value == side_value && base_counts.get(path) == side_counts.get(path) {
            continue;
        }
        let enclosing = (1..=path.len())
            .rev()
            .find_map(|length| base_first.get(&path[..length]));
        let in_region = enclosing.is_none_or(|entry| intersects(entry.lines, region));
        if in_region {
            changed.push(path.to_vec());
        }
    }
    changed
}

fn first_by_path(entries: &[KeyEntry]) -> HashMap<&[String], &KeyEntry> {
    let mut first = HashMap::new();
    for entry in entries {
        first.entry(entry.path.as_slice()).or_insert(entry);
    }
    first
}

fn count_by_path(entries: &[KeyEntry]) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    for entry in entries {
        *counts.entry(entry.path.as_slice()).or_insert(0) += 1;
    }
    counts
}

/// Returns the paths that no other entry has as a strict prefix.
fn leaf_paths(entries: &[KeyEntry]) -> HashSet<&[String]> {
    let parents: HashSet<&[String]> = entries
        .iter()
        .flat_map(|entry| (0..entry.path.len()).map(|length| &entry.path[..length]))
        .collect();
    entries
        .iter()
        .map(|entry| entry.path.as_slice())
        .filter(|path| !parents.contains(path))
        .collect()
}

/// Returns whether `lines` shares a line with `region`, or touches it when
/// `region` is a point between lines.
fn intersects(lines: LineRange, region: LineRange) -> bool {
    let (low, high) = if region.end < region.start {
        (region.start.saturating_sub(1), region.start)
    } else {
        (region.start, region.end)
    };
    lines.start <= high && lines.end >= low
}

/// Maps `range` of the `from` text to the lines of the `to` text that a line
/// diff pairs with it. Lines that the diff replaced map to the whole
/// replacement, and lines with no counterpart map to a point between lines.
/// `from_new` is true when `from` is the new side of the diff.
fn map_lines(from: &str, to: &str, range: LineRange, from_new: bool) -> LineRange {
    let (old, new) = if from_new { (to, from) } else { (from, to) };
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_lines(old, new);
    let pairs: Vec<_> = diff
        .ops()
        .iter()
        .map(|op| {
            let equal = matches!(op, DiffOp::Equal { .. });
            if from_new {
                (op.new_range(), op.old_range(), equal)
            } else {
                (op.old_range(), op.new_range(), equal)
            }
        })
        .collect();
    let to_length = to.lines().count();

    let first = range.start - 1;
    let start = pairs
        .iter()
        .find(|(source, _, _)| source.contains(&first))
        .map_or(to_length, |(source, target, equal)| {
            if *equal {
                target.start + first - source.start
            } else {
                target.start
            }
        });
    let end = if range.end < range.start {
        start
    } else {
        pairs
            .iter()
            .find(|(source, _, _)| source.start < range.end && range.end <= source.end)
            .map_or(to_length, |(source, target, equal)| {
                if *equal {
                    target.start + range.end - source.start
                } else {
                    target.end
                }
            })
    };
    LineRange {
        start: start + 1,
        end: end.max(start),
    }
}

fn display_path(path: &[String]) -> String {
    path.join(".")
}

fn quote(value: &str) -> String {
    if value.chars().count() <= MAX_QUOTED_VALUE_CHARS {
        return value.to_string();
    }
    let cut: String = value.chars().take(MAX_QUOTED_VALUE_CHARS).collect();
    format!("{cut}…")
}
