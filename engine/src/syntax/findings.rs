//! The syntax-level findings of one three-way merge: edits that merged
//! cleanly by lines but meet at one definition.

use std::collections::BTreeMap;

use super::changes::{ChangedDefinition, DefinitionChange, changed_between};
use super::lines::{LineDiff, LineHunk};
use super::walk::Parsed;
use super::{Definition, DefinitionKind, Outline, innermost_enclosing, language_for_path};
use crate::merge::LineRange;

/// Hunks of the two sides at most this many unchanged base lines apart are
/// not `same-symbol` findings, because the text-level report already lists
/// them as `same-lines` or `adjacent`.
const MAX_TEXT_LEVEL_GAP: usize = 3;

/// The syntax-level findings of one merge of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `same-symbol`, `definition-use` or `duplicate-definition`.
    pub kind: &'static str,
    /// `medium` for `same-symbol` and `definition-use`, `high` for
    /// `duplicate-definition`.
    pub severity: &'static str,
    /// Base lines of the definition concerned, 1-based and inclusive, or the
    /// base insertion point of a duplicate that the base did not contain.
    pub base_lines: LineRange,
    /// Lines of the merged text: the definition, the use, or the second
    /// copy of a duplicate.
    pub merged_lines: LineRange,
    /// A sentence that names the definition, each side's change and both
    /// places.
    pub message: String,
}

/// One side of the merge, parsed, with its line diff from the base.
struct Side<'a> {
    label: &'static str,
    parsed: Parsed<'a>,
    diff: LineDiff,
}

/// Returns the syntax-level findings of merging `current` and `incoming`
/// (both edited from `base`) into `merged`, for a file whose `path` names
/// a supported language. Other files have none.
///
/// Cost: four tree-sitter parses (one per text, linear in its size) and
/// three line diffs from the base. References are looked up only in the
/// changed lines of each side, so that part grows with the change, not with
/// the file.
pub fn syntax_findings(
    path: &str,
    base: &str,
    current: &str,
    incoming: &str,
    merged: &str,
) -> Vec<Finding> {
    let Some(language) = language_for_path(path) else {
        return Vec::new();
    };
    let base = Parsed::new(language, base);
    let current = Side {
        label: "current",
        parsed: Parsed::new(language, current),
        diff: LineDiff::new(base.text, current),
    };
    let incoming = Side {
        label: "incoming",
        parsed: Parsed::new(language, incoming),
        diff: LineDiff::new(base.text, incoming),
    };
    let merged = Merged {
        parsed: Parsed::new(language, merged),
        diff: LineDiff::new(base.text, merged),
    };

    let mut findings = same_symbol(&base.outline, &current, &incoming, &merged);
    let current_changes = changed_between(&base, &current.parsed, &current.diff);
    let incoming_changes = changed_between(&base, &incoming.parsed, &incoming.diff);
    findings.extend(definition_use(
        &current_changes,
        &current,
        &incoming_changes,
        &incoming,
        &merged,
    ));
    findings.extend(definition_use(
        &incoming_changes,
        &incoming,
        &current_changes,
        &current,
        &merged,
    ));
    findings.extend(duplicates(&base, &current, &incoming, &merged));
    findings
}

/// The merged text, parsed, with its line diff from the base.
struct Merged<'a> {
    parsed: Parsed<'a>,
    diff: LineDiff,
}

/// Finds definitions of the base that both sides changed in places too far
/// apart for the text-level report. One finding per definition.
fn same_symbol(
    base: &Outline,
    current: &Side<'_>,
    incoming: &Side<'_>,
    merged: &Merged<'_>,
) -> Vec<Finding> {
    let current_hunks = current.diff.hunks();
    let incoming_hunks = incoming.diff.hunks();
    let mut by_definition: BTreeMap<usize, (Vec<LineRange>, Vec<LineRange>)> = BTreeMap::new();
    for current_hunk in &current_hunks {
        let Some(definition) = innermost_enclosing(base, current_hunk.old) else {
            continue;
        };
        for incoming_hunk in &incoming_hunks {
            if near(current_hunk.old, incoming_hunk.old) {
                continue;
            }
            let Some(other) = innermost_enclosing(base, incoming_hunk.old) else {
                continue;
            };
            if !std::ptr::eq(definition, other) {
                continue;
            }
            let index = definition_index(base, definition);
            let entry = by_definition.entry(index).or_default();
            push_unique(&mut entry.0, current_hunk.old);
            push_unique(&mut entry.1, incoming_hunk.old);
        }
    }

    by_definition
        .into_iter()
        .map(|(index, (current_lines, incoming_lines))| {
            let definition = &base.definitions[index];
            Finding {
                kind: "same-symbol",
                severity: "medium",
                base_lines: definition.lines,
                merged_lines: merged.diff.map_old_to_new(definition.lines),
                message: format!(
                    "both sides changed {} (base {}): {} at base {}, {} at base {}",
                    definition.describe(),
                    show(definition.lines),
                    current.label,
                    show_all(&current_lines),
                    incoming.label,
                    show_all(&incoming_lines),
                ),
            }
        })
        .collect()
}

/// Returns whether two base ranges intersect or are at most
/// [`MAX_TEXT_LEVEL_GAP`] lines apart. An insertion point counts as the
/// gap before its line.
fn near(first: LineRange, second: LineRange) -> bool {
    let (low, high) = if first.start <= second.start {
        (first, second)
    } else {
        (second, first)
    };
    let low_end = low.end.max(low.start.saturating_sub(1));
    high.start <= low_end + 1 + MAX_TEXT_LEVEL_GAP
}

fn definition_index(outline: &Outline, definition: &Definition) -> usize {
    outline
        .definitions
        .iter()
        .position(|candidate| std::ptr::eq(candidate, definition))
        .unwrap_or_default()
}

fn push_unique(ranges: &mut Vec<LineRange>, range: LineRange) {
    if !ranges.contains(&range) {
        ranges.push(range);
    }
}

/// Finds the changed lines of `user` that refer by name to a definition
/// that `changer` changed the signature of, renamed or removed. Skips a
/// change that both sides made alike.
///
/// NOTE: names are matched as text, so a call of another type's method
/// with the same name (`other.load()`) is reported too.
fn definition_use(
    changes: &[(ChangedDefinition, &Definition)],
    changer: &Side<'_>,
    user_changes: &[(ChangedDefinition, &Definition)],
    user: &Side<'_>,
    merged: &Merged<'_>,
) -> Vec<Finding> {
    if changes.is_empty() {
        return Vec::new();
    }
    let hunks: Vec<(LineHunk, _)> = user
        .diff
        .hunks()
        .into_iter()
        .filter(|hunk| hunk.new.end >= hunk.new.start)
        .map(|hunk| (hunk, user.parsed.referenced_names(&[hunk.new])))
        .collect();
    let mut user_to_merged: Option<LineDiff> = None;

    let mut findings = Vec::new();
    for (changed, definition) in changes {
        if same_change(changed, definition, changer, user_changes, user) {
            continue;
        }
        for (hunk, names) in &hunks {
            if !names.contains(&changed.name) {
                continue;
            }
            let to_merged = user_to_merged
                .get_or_insert_with(|| LineDiff::new(user.parsed.text, merged.parsed.text));
            findings.push(Finding {
                kind: "definition-use",
                severity: "medium",
                base_lines: definition.lines,
                merged_lines: to_merged.map_old_to_new(hunk.new),
                message: format!(
                    "{} {} {} (base line {}), and {} uses {} at its {}",
                    changer.label,
                    describe_change(&changed.change),
                    definition.describe(),
                    definition.lines.start,
                    user.label,
                    changed.name,
                    show(hunk.new),
                ),
            });
        }
    }
    findings
}

/// Returns whether the user side made the same change to the same definition, so
/// that its new uses already follow it.
fn same_change(
    changed: &ChangedDefinition,
    definition: &Definition,
    changer: &Side<'_>,
    user_changes: &[(ChangedDefinition, &Definition)],
    user: &Side<'_>,
) -> bool {
    let alike = user_changes.iter().any(|(other, _)| other == changed);
    if !alike {
        return false;
    }
    match changed.change {
        DefinitionChange::SignatureChanged => {
            signature_of(&changer.parsed.outline, definition)
                == signature_of(&user.parsed.outline, definition)
        }
        DefinitionChange::Removed | DefinitionChange::Renamed { .. } => true,
    }
}

fn signature_of<'a>(outline: &'a Outline, definition: &Definition) -> Option<&'a str> {
    outline
        .definitions
        .iter()
        .find(|candidate| {
            candidate.kind == definition.kind
                && candidate.scope == definition.scope
                && candidate.name == definition.name
        })
        .map(|candidate| candidate.signature.as_str())
}

fn describe_change(change: &DefinitionChange) -> String {
    match change {
        DefinitionChange::SignatureChanged => "changed the signature of".to_owned(),
        DefinitionChange::Removed => "removed".to_owned(),
        DefinitionChange::Renamed { to } => format!("renamed to {to}"),
    }
}

/// Finds imports, and definitions of one name in one scope, that the merged
/// text contains more often than the base and each side: the result of
/// both sides adding the same thing at different places.
fn duplicates(
    base: &Parsed<'_>,
    current: &Side<'_>,
    incoming: &Side<'_>,
    merged: &Merged<'_>,
) -> Vec<Finding> {
    let texts = [
        &base.outline,
        &current.parsed.outline,
        &incoming.parsed.outline,
    ];
    let counts = texts.map(duplicate_keys);
    let merged_keys = duplicate_keys(&merged.parsed.outline);

    let mut findings = Vec::new();
    for (key, lines) in &merged_keys {
        let count_in = |keys: &BTreeMap<String, Vec<LineRange>>| keys.get(key).map_or(0, Vec::len);
        let [in_base, in_current, in_incoming] = counts.each_ref().map(count_in);
        let in_merged = lines.len();
        if in_merged < 2 || in_base > 1 || in_merged <= in_current.max(in_incoming) {
            continue;
        }
        let second = lines[1];
        findings.push(Finding {
            kind: "duplicate-definition",
            severity: "high",
            base_lines: merged.diff.map_new_to_old(second),
            merged_lines: second,
            message: format!(
                "the merged text contains {key} twice ({} and {}), but the base {}",
                show(lines[0]),
                show(second),
                if in_base == 0 {
                    "does not contain it"
                } else {
                    "contains it once"
                },
            ),
        });
    }
    findings
}

/// Groups the imports and duplicate-prone definitions of an outline by
/// what makes two of them the same: the import text in its enclosing
/// definition, or kind, scope and name. Impl blocks, modules and interfaces
/// are left out because a file may repeat them legally (TypeScript merges
/// interface declarations), and so are body-less signatures (overloads)
/// and decorated Python definitions (property setters).
///
/// NOTE: Rust `#[cfg]` variants and Python definitions under `if` share a
/// name legally and are still reported when the merge adds the second one.
fn duplicate_keys(outline: &Outline) -> BTreeMap<String, Vec<LineRange>> {
    let mut keys: BTreeMap<String, Vec<LineRange>> = BTreeMap::new();
    for (line, text) in &outline.imports {
        let scope = enclosing_path(outline, *line);
        let lines = LineRange {
            start: *line,
            end: *line,
        };
        keys.entry(format!("import `{text}`{scope}"))
            .or_default()
            .push(lines);
    }
    for definition in &outline.definitions {
        let repeatable = matches!(
            definition.kind,
            DefinitionKind::Impl | DefinitionKind::Module | DefinitionKind::Interface
        );
        if repeatable || !definition.has_body || definition.wrapped {
            continue;
        }
        keys.entry(definition.describe())
            .or_default()
            .push(definition.lines);
    }
    keys
}

/// Names the innermost definition of any kind around `line`, as ` in
/// mod tests`, or returns an empty string at the top level.
fn enclosing_path(outline: &Outline, line: usize) -> String {
    outline
        .definitions
        .iter()
        .rev()
        .filter(|definition| definition.lines.start < line && line <= definition.lines.end)
        .min_by_key(|definition| definition.lines.end - definition.lines.start)
        .map(|definition| format!(" in {}", definition.describe()))
        .unwrap_or_default()
}

/// Shows a range as `line 4`, `lines 4-6` or `before line 4`.
fn show(range: LineRange) -> String {
    match range.end {
        end if end < range.start => format!("before line {}", range.start),
        end if end == range.start => format!("line {end}"),
        end => format!("lines {}-{end}", range.start),
    }
}

fn show_all(ranges: &[LineRange]) -> String {
    let shown: Vec<String> = ranges.iter().copied().map(show).collect();
    shown.join(", ")
}
