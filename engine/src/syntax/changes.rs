//! Definitions that one side of a merge changed in ways that break their
//! users: a new signature, a removal, a rename.

use std::collections::BTreeMap;

use super::lines::LineDiff;
use super::walk::{Parsed, normalize};
use super::{Definition, DefinitionKind, Language};
use crate::merge::LineRange;

/// The change from the base to one side that a [`ChangedDefinition`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinitionChange {
    /// The signature text differs (parameters, return type, generics,
    /// visibility).
    SignatureChanged,
    /// The definition is gone and nothing took its place.
    Removed,
    /// A definition of the same kind and scope with another name took its
    /// place: the same body, or the lines the base definition became.
    Renamed {
        /// The new name.
        to: String,
    },
}

/// A base definition that one side changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedDefinition {
    /// The name in the base.
    pub name: String,
    /// What changed.
    pub change: DefinitionChange,
    /// The definition's lines in the base.
    pub base_lines: LineRange,
}

/// Compares the outlines of `base` and `side` and returns the base
/// definitions whose signature changed, that were removed, or that were
/// renamed, in base order. Impl blocks are skipped because code does not
/// refer to them by name. Parses both texts once.
pub fn changed_definitions(language: Language, base: &str, side: &str) -> Vec<ChangedDefinition> {
    let base = Parsed::new(language, base);
    let side = Parsed::new(language, side);
    let diff = LineDiff::new(base.text, side.text);
    changed_between(&base, &side, &diff)
        .into_iter()
        .map(|(changed, _)| changed)
        .collect()
}

type Key<'a> = (DefinitionKind, &'a [String], &'a str);

fn key(definition: &Definition) -> Key<'_> {
    (definition.kind, &definition.scope, &definition.name)
}

/// [`changed_definitions`] over parsed texts, with each change's base
/// definition.
pub(super) fn changed_between<'a>(
    base: &'a Parsed<'_>,
    side: &Parsed<'_>,
    diff: &LineDiff,
) -> Vec<(ChangedDefinition, &'a Definition)> {
    let mut side_by_key: BTreeMap<Key<'_>, Vec<&Definition>> = BTreeMap::new();
    for definition in &side.outline.definitions {
        side_by_key
            .entry(key(definition))
            .or_default()
            .push(definition);
    }
    let mut base_counts: BTreeMap<Key<'_>, usize> = BTreeMap::new();
    for definition in &base.outline.definitions {
        *base_counts.entry(key(definition)).or_default() += 1;
    }
    // Side definitions whose name the base does not have are the rename
    // candidates; each is used once.
    let mut candidates: Vec<&Definition> = side
        .outline
        .definitions
        .iter()
        .filter(|definition| !base_counts.contains_key(&key(definition)))
        .collect();

    let mut changes = Vec::new();
    let mut seen: BTreeMap<Key<'_>, usize> = BTreeMap::new();
    for definition in &base.outline.definitions {
        if definition.kind == DefinitionKind::Impl {
            continue;
        }
        let occurrence = seen.entry(key(definition)).or_default();
        let matched = side_by_key
            .get(&key(definition))
            .and_then(|list| list.get(*occurrence));
        *occurrence += 1;

        let change = match matched {
            Some(side_definition) if side_definition.signature == definition.signature => continue,
            Some(_) => DefinitionChange::SignatureChanged,
            None => match take_rename(definition, base, side, diff, &mut candidates) {
                Some(to) => DefinitionChange::Renamed { to },
                None => DefinitionChange::Removed,
            },
        };
        let changed = ChangedDefinition {
            name: definition.name.clone(),
            change,
            base_lines: definition.lines,
        };
        changes.push((changed, definition));
    }
    changes
}

/// Finds and removes the candidate that renames `definition`: same kind and
/// scope, and either the same body or a first line inside the lines that
/// the base definition's first line became.
fn take_rename(
    definition: &Definition,
    base: &Parsed<'_>,
    side: &Parsed<'_>,
    diff: &LineDiff,
    candidates: &mut Vec<&Definition>,
) -> Option<String> {
    let base_body = body_text(base.text, definition.lines);
    let start = LineRange {
        start: definition.lines.start,
        end: definition.lines.start,
    };
    let mapped_start = diff.map_old_to_new(start);
    let index = candidates.iter().position(|candidate| {
        if candidate.kind != definition.kind || candidate.scope != definition.scope {
            return false;
        }
        let same_body = !base_body.is_empty() && body_text(side.text, candidate.lines) == base_body;
        let same_place = (mapped_start.start..=mapped_start.end).contains(&candidate.lines.start);
        same_body || same_place
    })?;
    Some(candidates.remove(index).name.clone())
}

/// Returns the whitespace-normalized text of a definition's lines after its
/// first line.
fn body_text(text: &str, lines: LineRange) -> String {
    let body: Vec<&str> = text
        .lines()
        .skip(lines.start)
        .take(lines.end.saturating_sub(lines.start))
        .collect();
    normalize(&body.join("\n"))
}
