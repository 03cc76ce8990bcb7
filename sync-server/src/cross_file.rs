//! Overlaps across files: a write that changes the signature of, renames or
//! removes a definition that another agent's unseen write uses, or that
//! uses a definition another agent's unseen write changed.
//!
//! Each write that changes a file is logged with a summary: the lines it
//! changed, the definitions it changed and the names its changed lines use.
//! A later write carries `since`, the workspace sequence number at which
//! its writer last synced, so every logged write above that number, by
//! another agent in another file, is concurrent with it. Only the two
//! writes' own changes are compared, so the cost follows the size of the
//! change, not of the workspace. Within one file the merge itself reports
//! the same kind.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use weft_engine::diff::changed_lines;
use weft_engine::path::WorkspacePath;
use weft_engine::store::LoggedWrite;
use weft_engine::syntax::{
    DefinitionChange, changed_definitions, language_for_path, referenced_names,
};

use crate::overlap::WriteContext;

/// The log summary of a write that turned `before` into `after`.
pub fn summarize(path: &WorkspacePath, before: &str, after: &str) -> Value {
    let changed = changed_lines(before, after);
    let mut summary = json!({
        "changed_lines": changed.iter().map(|range| [range.start, range.end]).collect::<Vec<_>>(),
    });
    let Some(language) = language_for_path(path.as_str()) else {
        return summary;
    };

    let definitions: Vec<Value> = changed_definitions(language, before, after)
        .into_iter()
        .map(|changed| {
            let change = match changed.change {
                DefinitionChange::SignatureChanged => "signature changed".to_owned(),
                DefinitionChange::Removed => "removed".to_owned(),
                DefinitionChange::Renamed { to } => format!("renamed to {to}"),
            };
            json!({"name": changed.name, "change": change, "line": changed.base_lines.start})
        })
        .collect();
    // The names the write's own lines use, in the new text.
    let new_lines = changed_lines(after, before);
    let references = referenced_names(language, after, &new_lines);
    summary["definitions"] = json!(definitions);
    summary["references"] = json!(references);
    summary
}

/// The `definition-use` records between this write (its summary) and the
/// logged writes it had not seen.
pub fn definition_uses(
    context: &WriteContext<'_>,
    summary: &Value,
    unseen: &[LoggedWrite],
) -> Vec<Value> {
    let mut records = Vec::new();
    let mine = Names::of(summary);
    for other in unseen {
        if other.agent == context.writer || other.doc_id == context.doc_id {
            continue;
        }
        let Ok(theirs) = serde_json::from_str::<Value>(&other.summary) else {
            continue;
        };
        let theirs = Names::of(&theirs);

        for (name, change) in &mine.definitions {
            if theirs.references.contains(name) {
                let message = format!(
                    "{} {name} ({change}); {}'s concurrent change to {} uses {name}",
                    context.path, other.agent, other.path
                );
                records.push(context.cross_file(&other.agent, &other.path, &message));
            }
        }
        for (name, change) in &theirs.definitions {
            if mine.references.contains(name) {
                let message = format!(
                    "{} uses {name}, which {}'s concurrent change to {} affects ({change})",
                    context.path, other.agent, other.path
                );
                records.push(context.cross_file(&other.agent, &other.path, &message));
            }
        }
    }
    records
}

/// The definitions and references of a summary.
struct Names {
    definitions: Vec<(String, String)>,
    references: BTreeSet<String>,
}

impl Names {
    fn of(summary: &Value) -> Names {
        let definitions = summary
            .get("definitions")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let name = item.get("name")?.as_str()?;
                        let change = item.get("change")?.as_str()?;
                        Some((name.to_owned(), change.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let references = summary
            .get("references")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Names {
            definitions,
            references,
        }
    }
}
