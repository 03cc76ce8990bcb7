//! Key-level checks of structured files (JSON, TOML, YAML) and lock files,
//! on top of the text-level overlaps of [`crate::overlap`].
//!
//! A line merge cannot see keys. It reports two edits of different keys on a
//! one-line JSON object as the same lines. It merges two values of one key
//! without a word when they sit on different lines, and it keeps a key that
//! both sides added twice. This module parses the texts with tree-sitter and
//! compares their keys:
//! - `same-key` (high): both sides changed the value of one key, differently.
//! - `duplicate-definition` (high): the merged text defines a key twice in one
//!   mapping where the base defined it at most once.
//! - `regenerate` (high): both sides changed a lock file, which its package
//!   manager should regenerate instead.
//!
//! [`different_keys_only`] tells a caller that a text-level overlap only
//! touches different keys, so it is at most a low `adjacent` overlap.

mod findings;
mod json;
mod lock;
mod toml;
mod tree;
mod yaml;

use crate::merge::LineRange;

pub use lock::is_lock_file;

/// A structured text format whose keys this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JSON, with `//` and `/* */` comments allowed as in JSONC.
    Json,
    /// TOML.
    Toml,
    /// YAML, one or several documents.
    Yaml,
}

/// Returns the format of the file at `path` by its extension: `.json` and
/// `.jsonc` are JSON, `.toml` is TOML, `.yaml` and `.yml` are YAML, in any
/// letter case.
pub fn format_for_path(path: &str) -> Option<Format> {
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let (_, extension) = file_name.rsplit_once('.')?;
    match extension.to_ascii_lowercase().as_str() {
        "json" | "jsonc" => Some(Format::Json),
        "toml" => Some(Format::Toml),
        "yaml" | "yml" => Some(Format::Yaml),
        _ => None,
    }
}

/// A key of a mapping, as the path of keys from the root (array elements by
/// index), with the lines its entry spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// Keys from the root to this one, unquoted. An array element is its
    /// 0-based index in decimal.
    pub path: Vec<String>,
    /// Lines of the whole entry (key and value), 1-based and inclusive.
    pub lines: LineRange,
    /// The value's source text with every run of whitespace collapsed to one
    /// space. Comments inside the value are part of it.
    pub value: String,
}

/// Lists every mapping entry of `text`, nested ones too, in source order. A
/// key defined twice is listed twice. A text that does not parse gives no
/// entries, so the caller falls back to the text-level overlaps.
pub fn keys(format: Format, text: &str) -> Vec<KeyEntry> {
    parse_entries(format, text).unwrap_or_default()
}

/// A key-level finding of one merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `same-key`, `duplicate-definition` or `regenerate`.
    pub kind: &'static str,
    /// `high` for every kind.
    pub severity: &'static str,
    /// Base lines of the finding, 1-based and inclusive. `end` is
    /// `start - 1` for a point between lines.
    pub base_lines: LineRange,
    /// Lines of the merged text, 1-based and inclusive. `end` is
    /// `start - 1` for a point between lines.
    pub merged_lines: LineRange,
    /// A sentence naming the key path and the values, or the lock file and
    /// the command that regenerates it.
    pub message: String,
}

/// Compares the keys of a three-way merge and returns the key-level
/// findings: `regenerate` for a lock file that both sides changed, otherwise
/// `same-key` and `duplicate-definition` for a JSON, TOML or YAML file.
/// A key that is a `same-key` finding is not also a `duplicate-definition`
/// finding when the merge kept both sides' definitions of it.
///
/// A lock file gets no key findings, because regenerating it replaces every
/// key. A `same-key` finding needs the base and both sides to parse, and a
/// `duplicate-definition` finding needs the base and the merged text to
/// parse. Any other path gives no findings.
pub fn structured_findings(
    path: &str,
    base: &str,
    current: &str,
    incoming: &str,
    merged: &str,
) -> Vec<Finding> {
    if is_lock_file(path) {
        return lock::regenerate(path, base, current, incoming, merged)
            .into_iter()
            .collect();
    }
    let Some(format) = format_for_path(path) else {
        return Vec::new();
    };
    let Some(base_entries) = parse_entries(format, base) else {
        return Vec::new();
    };
    let merged_entries = parse_entries(format, merged);

    let mut same_key = Vec::new();
    if let (Some(current_entries), Some(incoming_entries)) = (
        parse_entries(format, current),
        parse_entries(format, incoming),
    ) {
        let sides = findings::Sides {
            base: &base_entries,
            current: &current_entries,
            incoming: &incoming_entries,
        };
        same_key = findings::same_key(&sides, merged_entries.as_deref(), base, merged);
    }
    let same_key_paths: Vec<Vec<String>> = same_key.iter().map(|(path, _)| path.clone()).collect();
    let mut found: Vec<Finding> = same_key.into_iter().map(|(_, finding)| finding).collect();
    if let Some(merged_entries) = &merged_entries {
        found.extend(findings::duplicate_definitions(
            &base_entries,
            merged_entries,
            &same_key_paths,
            base,
            merged,
        ));
    }
    found
}

/// Returns whether two sides' text-level overlap on these base lines only
/// touches different keys, so it is at most a low `adjacent` overlap.
///
/// True when the base and both sides parse and each side changed, added or
/// removed at least one key in `base_lines`. No key that one side changed may
/// be the same as, contain, or lie inside a key that the other side changed.
/// A key added at the top level counts as in every region. A lock file or a
/// path of another format is never downgraded.
///
/// NOTE: edits outside key values, such as a changed comment, are not seen,
/// so both sides rewriting the same comment next to different keys still
/// counts as different keys.
pub fn different_keys_only(
    path: &str,
    base: &str,
    current: &str,
    incoming: &str,
    base_lines: LineRange,
) -> bool {
    if is_lock_file(path) {
        return false;
    }
    let Some(format) = format_for_path(path) else {
        return false;
    };
    let (Some(base_entries), Some(current_entries), Some(incoming_entries)) = (
        parse_entries(format, base),
        parse_entries(format, current),
        parse_entries(format, incoming),
    ) else {
        return false;
    };
    let current_keys = findings::changed_keys(&base_entries, &current_entries, base_lines);
    let incoming_keys = findings::changed_keys(&base_entries, &incoming_entries, base_lines);
    if current_keys.is_empty() || incoming_keys.is_empty() {
        return false;
    }
    current_keys.iter().all(|ours| {
        incoming_keys
            .iter()
            .all(|theirs| !ours.starts_with(theirs) && !theirs.starts_with(ours))
    })
}

/// Returns the entries of `text`, or `None` when it does not parse. A text
/// of only whitespace has no entries in every format.
fn parse_entries(format: Format, text: &str) -> Option<Vec<KeyEntry>> {
    if text.trim().is_empty() {
        return Some(Vec::new());
    }
    match format {
        Format::Json => json::entries(text),
        Format::Toml => toml::entries(text),
        Format::Yaml => yaml::entries(text),
    }
}

/// Returns the lines of the whole text: `1..=n`, or the point before line 1
/// for an empty text.
fn whole_text(text: &str) -> LineRange {
    LineRange {
        start: 1,
        end: text.lines().count(),
    }
}

#[cfg(test)]
mod tests;
