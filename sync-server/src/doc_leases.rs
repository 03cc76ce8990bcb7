//! The lease work of a document task: anchoring the lines of a new
//! lease, finding leased lines after edits, and the `lease` overlaps of a
//! write that changes lines inside another agent's live lease.

use serde_json::Value;
use weft_engine::content::FileContent;
use weft_engine::document::FileDoc;
use weft_engine::lease::{Lease, change_inside};
use weft_engine::merge::LineRange;
use weft_engine::path::WorkspacePath;
use weft_engine::store::StoreWrite;
use weft_engine::syntax::{language_for_path, outline};

use crate::documents::DocTask;
use crate::leases::lease_json;
use crate::overlap::{self, WriteContext};
use crate::protocol::ProtocolError;

/// The changed lines of a change to the whole file, as
/// [`lease_overlaps`] takes them.
pub const WHOLE_FILE: LineRange = LineRange {
    start: 1,
    end: usize::MAX,
};

/// The region a lease requests.
#[derive(Debug, Clone)]
pub enum LeaseTarget {
    /// The whole file.
    File,
    /// Lines, 1-based and inclusive, with `start <= end`.
    Lines(LineRange),
    /// The lines of the definition with this name.
    Symbol(String),
}

/// A lease's region, checked against the file and anchored in its text.
#[derive(Debug, Clone, Default)]
pub struct Region {
    /// The lines, or `None` for the whole file.
    pub lines: Option<LineRange>,
    /// Cursors on the first and last character of the lines.
    pub anchors: Option<(String, String)>,
}

/// Checks `target` against the current text of `doc` and anchors it. A
/// range that runs past the last line is cut there.
pub fn region(
    doc: &FileDoc,
    path: &WorkspacePath,
    target: &LeaseTarget,
) -> Result<Region, ProtocolError> {
    let lines = match target {
        LeaseTarget::File => return Ok(Region::default()),
        LeaseTarget::Lines(lines) => {
            let count = line_count(&text(doc, path, "lines")?);
            if count == 0 {
                return Err(ProtocolError::field(
                    "invalid_request",
                    "lines",
                    format!(
                        "{path} is empty, so it has no lines {}-{}; lease the whole file",
                        lines.start, lines.end
                    ),
                ));
            }
            if lines.start > count {
                return Err(ProtocolError::field(
                    "invalid_request",
                    "lines",
                    format!(
                        "lines {}-{} start past the end of {path}, which has {count} lines; lease lines 1-{count} or the whole file",
                        lines.start, lines.end
                    ),
                ));
            }
            LineRange {
                start: lines.start,
                end: lines.end.min(count),
            }
        }
        LeaseTarget::Symbol(name) => symbol_lines(&text(doc, path, "symbol")?, path, name)?,
    };
    Ok(Region {
        lines: Some(lines),
        anchors: doc.anchor_lines(lines),
    })
}

/// Finds the lines `anchors` mark in the current text, or `None` where
/// they cannot be found.
pub fn locate(doc: &FileDoc, anchors: &[(String, String)]) -> Vec<Option<LineRange>> {
    let anchors: Vec<(&str, &str)> = anchors
        .iter()
        .map(|(start, end)| (start.as_str(), end.as_str()))
        .collect();
    doc.anchored_lines_all(&anchors, &doc.version())
}

/// Builds the `lease` overlaps of a write: one for each live lease of
/// another agent (`leases`) inside which the write changed lines. `changed` holds
/// the changed lines of the text before the write, whose version is
/// `context.previous`; the records give the leased lines in the result.
pub fn lease_overlaps(
    doc: &FileDoc,
    context: &WriteContext<'_>,
    leases: &[Lease],
    changed: &[LineRange],
    now_ms: i64,
) -> Vec<Value> {
    let mut records = Vec::new();
    let mut holders_seen: Vec<&str> = Vec::new();
    for lease in leases {
        // One overlap per holder: its oldest lease that the change touches.
        if holders_seen.contains(&lease.agent.as_str()) {
            continue;
        }
        let at = |version| {
            lease.anchors.as_ref().and_then(|(start, end)| {
                doc.anchored_lines((start.as_str(), end.as_str()), version)
            })
        };
        let before = at(context.previous).or(lease.lines);
        let Some(inside) = changed.iter().find(|range| change_inside(before, **range)) else {
            continue;
        };
        let after = at(context.result).or(lease.lines);
        let where_ = match before {
            Some(lines) => format!("lines {}-{}", lines.start, lines.end),
            None => "the whole file".to_owned(),
        };
        holders_seen.push(&lease.agent);
        let changed_where = if *inside == WHOLE_FILE {
            "the whole file".to_owned()
        } else {
            format!("line {} before the write", inside.start)
        };
        let message = format!(
            "{} changed {} ({changed_where}) inside {}'s lease {} on {where_}: {}",
            context.writer, context.path, lease.agent, lease.id, lease.intent
        );
        records.push(context.lease(
            &lease.agent,
            lease_json(lease, after, now_ms),
            after,
            &message,
        ));
    }
    records
}

impl DocTask {
    /// Opens a `lease` overlap with each other agent whose live lease
    /// covers the file that `agent` deletes. Returns the records and
    /// whether the store kept up.
    pub(crate) async fn delete_lease_overlaps(
        &mut self,
        doc: &FileDoc,
        path: &WorkspacePath,
        agent: &str,
    ) -> (Result<Vec<Value>, ProtocolError>, bool) {
        let leases = self.leases.live_on_doc(&self.doc_id, Some(agent)).await;
        if leases.is_empty() {
            return (Ok(Vec::new()), true);
        }

        let version = doc.version();
        let context = WriteContext {
            doc_id: &self.doc_id,
            path,
            writer: agent,
            base: &version,
            previous: &version,
            result: &version,
        };

        let now = self.leases.clock().now_ms();
        let anchors: Vec<(String, String)> = leases
            .iter()
            .filter_map(|lease| lease.anchors.clone())
            .collect();
        let mut located = locate(doc, &anchors).into_iter();
        let records: Vec<Value> = leases
            .iter()
            .map(|lease| {
                let lines = match lease.anchors {
                    Some(_) => located.next().flatten().or(lease.lines),
                    None => None,
                };
                let message = format!(
                    "{agent} deleted {path}, inside {}'s lease {}: {}",
                    lease.agent, lease.id, lease.intent
                );
                context.lease(&lease.agent, lease_json(lease, lines, now), None, &message)
            })
            .collect();

        let writes = vec![StoreWrite {
            doc_id: self.doc_id.clone(),
            overlaps: records
                .iter()
                .map(|record| overlap::stored(&self.doc_id, record))
                .collect(),
            ..StoreWrite::default()
        }];
        if let Err(err) = self.store.commit(writes).await {
            return (Err(ProtocolError::internal(err.to_string())), false);
        }
        for record in &records {
            overlap::publish(&self.events, "overlap_opened", record);
        }
        tracing::info!(agent, path = %path, overlaps = records.len(), "deleted a file inside leases of others");
        (Ok(records), true)
    }
}

fn text(doc: &FileDoc, path: &WorkspacePath, field: &'static str) -> Result<String, ProtocolError> {
    match doc.content() {
        Ok(FileContent::Text { text, .. }) => Ok(text),
        Ok(FileContent::Bytes(_)) => Err(ProtocolError::field(
            "not_text",
            field,
            format!("{path} is kept as bytes, which have no lines; lease the whole file"),
        )),
        Err(err) => Err(ProtocolError::internal(err.to_string())),
    }
}

fn line_count(text: &str) -> usize {
    text.split_inclusive('\n').count()
}

/// Finds the lines of the one definition named `name` (or `Scope::name`,
/// `::name`, `KIND name`).
fn symbol_lines(text: &str, path: &WorkspacePath, name: &str) -> Result<LineRange, ProtocolError> {
    let Some(language) = language_for_path(path.as_str()) else {
        return Err(ProtocolError::field(
            "invalid_request",
            "symbol",
            format!("weft reads no definitions in {path}; lease lines instead"),
        ));
    };
    // `KIND NAME` picks a kind (such as `struct Foo` or `impl Foo`),
    // `Scope::name` a scope, and `::name` a definition at the top level.
    let (kind, wanted) = match name.split_once(' ') {
        Some((kind, rest)) => (Some(kind), rest.trim()),
        None => (None, name),
    };
    let outline = outline(language, text);
    let found: Vec<_> = outline
        .definitions
        .iter()
        .filter(|def| kind.is_none_or(|kind| def.kind.as_str() == kind))
        .filter(|def| {
            let qualified = format!("{}::{}", def.scope.join("::"), def.name);
            def.name == wanted
                || qualified == wanted
                || qualified.strip_prefix("::") == Some(wanted)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.lines),
        [] => Err(ProtocolError::field(
            "not_found",
            "symbol",
            format!(
                "no definition named {name:?} in {path}; check the name or lease lines instead"
            ),
        )),
        many => {
            let bare = wanted.rsplit("::").next().unwrap_or(wanted);
            let places: Vec<String> = many
                .iter()
                .map(|def| {
                    format!(
                        "{} at lines {}-{}",
                        def.describe(),
                        def.lines.start,
                        def.lines.end
                    )
                })
                .collect();
            Err(ProtocolError::field(
                "invalid_request",
                "symbol",
                format!(
                    "{name:?} names {} definitions in {path} ({}); name one as Scope::{bare}, ::{bare} (top level) or KIND {bare} (such as \"{} {bare}\"), or lease lines instead",
                    many.len(),
                    places.join(", "),
                    many[0].kind.as_str()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ActorId;
    use weft_engine::change::ChangeMeta;

    fn doc(text: &str) -> FileDoc {
        FileDoc::create(
            &FileContent::from_written_text(text),
            ActorId::random(),
            &ChangeMeta::now("agent-a", "create"),
        )
        .expect("document")
        .0
    }

    fn path(raw: &str) -> WorkspacePath {
        WorkspacePath::new(raw).expect("path")
    }

    #[test]
    fn region_of_symbol_is_its_definition() {
        let file = doc("fn a() {}\n\nfn b() {\n    1;\n}\n");
        let found =
            region(&file, &path("src/lib.rs"), &LeaseTarget::Symbol("b".into())).expect("region");
        assert_eq!(found.lines, Some(LineRange { start: 3, end: 5 }));
        assert!(found.anchors.is_some());
        let err = region(&file, &path("src/lib.rs"), &LeaseTarget::Symbol("c".into()))
            .expect_err("no such definition");
        assert_eq!(err.code, "not_found");
    }

    #[test]
    fn region_of_symbol_by_kind_or_top_level() {
        let file = doc("struct Foo;\n\nimpl Foo {\n    fn f() {}\n}\n\nfn f() {}\n");
        let symbol = |name: &str| region(&file, &path("a.rs"), &LeaseTarget::Symbol(name.into()));
        let by_kind = symbol("impl Foo").expect("the impl block");
        assert_eq!(by_kind.lines, Some(LineRange { start: 3, end: 5 }));
        let ambiguous = symbol("Foo").expect_err("two definitions");
        assert!(
            ambiguous.message.contains("struct Foo"),
            "{}",
            ambiguous.message
        );
        let top = symbol("::f").expect("the top-level function");
        assert_eq!(top.lines, Some(LineRange { start: 7, end: 7 }));
        let method = symbol("Foo::f").expect("the method");
        assert_eq!(method.lines, Some(LineRange { start: 4, end: 4 }));
    }

    #[test]
    fn region_past_end_cut_or_rejected() {
        let doc = doc("a\nb\nc\n");
        let cut = region(
            &doc,
            &path("a.txt"),
            &LeaseTarget::Lines(LineRange { start: 2, end: 9 }),
        )
        .expect("region");
        assert_eq!(cut.lines, Some(LineRange { start: 2, end: 3 }));
        let err = region(
            &doc,
            &path("a.txt"),
            &LeaseTarget::Lines(LineRange { start: 4, end: 9 }),
        )
        .expect_err("past the end");
        assert_eq!(err.field, Some("lines"));
    }
}
