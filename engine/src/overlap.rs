//! The overlap report of one text write: the regions of a three-way merge
//! where the two sides' edits may not fit together. Each region has a kind,
//! a severity, its place in the base and in the merged text, and both sides'
//! hunks.
//!
//! The report is computed from the merge itself ([`crate::merge`]), so the
//! regions are the ones the merged text was built from:
//! - `same-lines` (high): both sides changed common base lines differently;
//!   every conflict of [`crate::merge::merge_texts`] that is not one of the
//!   two kinds below.
//! - `delete-edit` (high): a conflict where one side only deleted lines and
//!   every change of the other side lies inside the deleted lines. The merged
//!   text keeps the edited lines (and the other deleted lines of the region),
//!   because an edit made without knowing of the deletion is work that a
//!   deletion must not silently drop.
//! - `add-add` (high): the file did not exist for either side and both added
//!   different, non-empty texts. The whole file is the region.
//! - `adjacent` (low): hunks of the two sides that merged cleanly but change
//!   touching lines, lines at most [`MAX_ADJACENT_GAP`] unchanged base lines
//!   apart, or insert at the same point. Also each place where `git
//!   merge-file` conflicts because git's line diff pairs equal lines
//!   differently (for example, which of two blank lines a deletion keeps),
//!   so that the sides' hunks touch in git's alignment but not in weft's.
//! - `binary` (high): never produced here; the caller reports it for a file
//!   that is not text.
//!
//! A hunk that both sides made identically is part of an overlap only where
//! git's alignment conflicts, and a hunk that belongs to a `same-lines` or
//! `delete-edit` region is not also part of an `adjacent` one.

mod adjacent;
mod git_conflicts;
mod lines;
mod markers;
#[cfg(test)]
mod tests;
mod typed;

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::merge::{ConflictDetail, LineRange, MergeDetail, Side, merge_texts};
use lines::LineIndex;

pub use adjacent::MAX_ADJACENT_GAP;
pub use typed::merge_file_at;

/// The kind of an overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverlapKind {
    /// Both sides changed common base lines differently.
    SameLines,
    /// The sides changed nearby lines, or inserted at the same point, and the
    /// merge kept both.
    Adjacent,
    /// One side deleted lines that the other side edited.
    DeleteEdit,
    /// Both sides created the file with different texts.
    AddAdd,
    /// Both sides changed a file that is not text.
    Binary,
    /// Both sides changed the same function, method, class or other
    /// definition, at lines apart.
    SameSymbol,
    /// One side changed the signature of, renamed or removed a definition
    /// that the other side's change uses.
    DefinitionUse,
    /// The merged text defines the same name, import or key twice where
    /// the base had it at most once.
    DuplicateDefinition,
    /// Both sides changed the value of the same key of a JSON, TOML or YAML
    /// file differently.
    SameKey,
    /// Both sides changed a lock file, which its tool must write again.
    Regenerate,
}

impl OverlapKind {
    /// Returns the kind's name in reports: `same-lines`, `adjacent`,
    /// `delete-edit`, `add-add` or `binary`.
    pub fn as_str(self) -> &'static str {
        match self {
            OverlapKind::SameLines => "same-lines",
            OverlapKind::Adjacent => "adjacent",
            OverlapKind::DeleteEdit => "delete-edit",
            OverlapKind::AddAdd => "add-add",
            OverlapKind::Binary => "binary",
            OverlapKind::SameSymbol => "same-symbol",
            OverlapKind::DefinitionUse => "definition-use",
            OverlapKind::DuplicateDefinition => "duplicate-definition",
            OverlapKind::SameKey => "same-key",
            OverlapKind::Regenerate => "regenerate",
        }
    }

    /// Parses a kind's name in reports.
    pub fn from_name(name: &str) -> Option<OverlapKind> {
        let kinds = [
            OverlapKind::SameLines,
            OverlapKind::Adjacent,
            OverlapKind::DeleteEdit,
            OverlapKind::AddAdd,
            OverlapKind::Binary,
            OverlapKind::SameSymbol,
            OverlapKind::DefinitionUse,
            OverlapKind::DuplicateDefinition,
            OverlapKind::SameKey,
            OverlapKind::Regenerate,
        ];
        kinds.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Returns the severity of every overlap of this kind: low for
    /// `adjacent`, high for the others.
    pub fn severity(self) -> Severity {
        match self {
            OverlapKind::Adjacent => Severity::Low,
            OverlapKind::SameSymbol | OverlapKind::DefinitionUse => Severity::Medium,
            OverlapKind::SameLines
            | OverlapKind::DeleteEdit
            | OverlapKind::AddAdd
            | OverlapKind::Binary
            | OverlapKind::DuplicateDefinition
            | OverlapKind::SameKey
            | OverlapKind::Regenerate => Severity::High,
        }
    }
}

impl fmt::Display for OverlapKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The likelihood that an overlap needs a person's or an agent's
/// attention. [`merge_file`] reports only low and high overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The merge most likely kept both intents.
    Low,
    /// Worth a look.
    Medium,
    /// The merged text may be wrong until someone checks the region.
    High,
}

impl Severity {
    /// Returns the severity's name in reports: `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One overlap of a text merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextOverlap {
    /// The overlap's kind.
    pub kind: OverlapKind,
    /// The overlap's severity, which follows from its kind.
    pub severity: Severity,
    /// Base lines of the region, 1-based and inclusive. `end` is
    /// `start - 1` for a point between lines.
    pub base_lines: LineRange,
    /// Lines of the returned text that the region became, 1-based and
    /// inclusive. `end` is `start - 1` when the region became no lines.
    pub merged_lines: LineRange,
    /// The current side's change of the region as a unified diff hunk
    /// against the base, such as `"@@ -4 +4 @@\n-x = 1;\n+x = 2;\n"`.
    #[serde(rename = "current")]
    pub current_hunk: String,
    /// The incoming side's change of the region as a unified diff hunk
    /// against the base.
    #[serde(rename = "incoming")]
    pub incoming_hunk: String,
    /// What the overlap is about, for the kinds that need words (a
    /// definition's name, a key, the tool that writes a lock file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A merged text and its overlaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMerge {
    /// The merged text.
    pub text: String,
    /// The overlaps, in the order of their place in `text`.
    pub overlaps: Vec<TextOverlap>,
}

/// Merges `incoming` into `current`, both written from `base`, with
/// [`merge_texts`], and reports the overlaps of the merge.
///
/// `base` is `None` when the file did not exist for either side. Then two
/// different non-empty texts are one `add-add` overlap over the whole file;
/// an empty text adds nothing, so the other text is the result.
///
/// The text is always the text of `merge_texts` (with an empty base for
/// `None`), so the report never changes what a write stores.
pub fn merge_file(base: Option<&str>, current: &str, incoming: &str) -> FileMerge {
    let analysis = analyze(base, current, incoming);
    FileMerge {
        overlaps: analysis
            .regions
            .into_iter()
            .map(|region| region.overlap)
            .collect(),
        text: analysis.text,
    }
}

/// Merges like [`merge_file`], for people resolving by hand: each
/// high-severity region is wrapped in git-style conflict markers with the
/// current side's, the base's and the incoming side's version of the region,
/// and every other line is as in `merge_file`'s text.
///
/// `labels` are the current, base and incoming names written after the
/// markers, as in
/// `"<<<<<<< current\n...\n||||||| base\n...\n=======\n...\n>>>>>>> incoming\n"`.
/// The marker lines end with `"\r\n"` when most lines of the merged text do.
pub fn merge_file_with_markers(
    base: Option<&str>,
    current: &str,
    incoming: &str,
    labels: (&str, &str, &str),
) -> String {
    merge_file_marked(base, current, incoming, labels).text
}

/// Merges like [`merge_file_with_markers`] and also returns the overlaps.
/// Their `merged_lines` count lines of the marked text: a high-severity
/// region's range runs from its `<<<<<<<` line to its `>>>>>>>` line.
pub fn merge_file_marked(
    base: Option<&str>,
    current: &str,
    incoming: &str,
    labels: (&str, &str, &str),
) -> FileMerge {
    markers::mark(analyze(base, current, incoming), labels)
}

/// The merged text and its regions.
struct Analysis {
    text: String,
    /// The regions in the order of their place in `text`.
    regions: Vec<Region>,
}

/// An overlap with what the conflict markers need.
struct Region {
    overlap: TextOverlap,
    /// Bytes of the merged text that the region became. The range starts at
    /// a line start, or is empty.
    merged: Range<usize>,
    /// The region's text on each side, for a high-severity region.
    versions: Option<Versions>,
}

/// The current, base and incoming texts of a region.
struct Versions {
    current: String,
    base: String,
    incoming: String,
}

fn analyze(base: Option<&str>, current: &str, incoming: &str) -> Analysis {
    let Some(base) = base else {
        return analyze_added(current, incoming);
    };
    if current == incoming || current == base || incoming == base {
        return Analysis {
            text: merge_texts(base, current, incoming).text,
            regions: Vec::new(),
        };
    }

    let detail = MergeDetail::new(base, current, incoming);
    let text = detail.text().to_owned();
    let index = LineIndex::new(&text);
    let mut regions: Vec<Region> = detail
        .conflicts()
        .iter()
        .map(|conflict| conflict_region(&detail, conflict, &text, &index))
        .collect();
    for adjacent in adjacent::adjacent_regions(&detail) {
        let merged = index.line_span(&text, adjacent.merged.clone());
        regions.push(Region {
            overlap: TextOverlap {
                message: None,
                kind: OverlapKind::Adjacent,
                severity: OverlapKind::Adjacent.severity(),
                base_lines: LineRange::from_indices(&adjacent.base),
                merged_lines: index.line_range(&text, &merged),
                current_hunk: detail.unified_hunk(Side::Current, &adjacent.base, &adjacent.current),
                incoming_hunk: detail.unified_hunk(
                    Side::Incoming,
                    &adjacent.base,
                    &adjacent.incoming,
                ),
            },
            merged,
            versions: None,
        });
    }
    regions.sort_by_key(|region| {
        (
            region.merged.start,
            region.overlap.base_lines.start,
            region.overlap.base_lines.end,
        )
    });
    Analysis { text, regions }
}

/// Reports a file that both sides created.
fn analyze_added(current: &str, incoming: &str) -> Analysis {
    if current == incoming || current.is_empty() || incoming.is_empty() {
        return Analysis {
            text: merge_texts("", current, incoming).text,
            regions: Vec::new(),
        };
    }

    let detail = MergeDetail::new("", current, incoming);
    let text = detail.text().to_owned();
    let index = LineIndex::new(&text);
    let whole = 0..text.len();
    let nothing = 0..0;
    // With an empty base each side is one insertion at the start.
    let overlap = TextOverlap {
        message: None,
        kind: OverlapKind::AddAdd,
        severity: OverlapKind::AddAdd.severity(),
        base_lines: LineRange::from_indices(&nothing),
        merged_lines: index.line_range(&text, &whole),
        current_hunk: detail.unified_hunk(Side::Current, &nothing, &[0]),
        incoming_hunk: detail.unified_hunk(Side::Incoming, &nothing, &[0]),
    };
    let versions = Versions {
        current: current.to_owned(),
        base: String::new(),
        incoming: incoming.to_owned(),
    };
    Analysis {
        regions: vec![Region {
            overlap,
            merged: whole,
            versions: Some(versions),
        }],
        text,
    }
}

/// Reports a conflict of the merge as `delete-edit` or `same-lines`.
fn conflict_region(
    detail: &MergeDetail<'_>,
    conflict: &ConflictDetail,
    text: &str,
    index: &LineIndex,
) -> Region {
    let kind = if deletes_around(detail, conflict, Side::Current)
        || deletes_around(detail, conflict, Side::Incoming)
    {
        OverlapKind::DeleteEdit
    } else {
        OverlapKind::SameLines
    };
    let merged = index.line_span(text, conflict.merged.clone());
    let current = member_indices(conflict, Side::Current);
    let incoming = member_indices(conflict, Side::Incoming);
    let versions = Versions {
        current: detail.side_text(Side::Current, &conflict.base, &current),
        base: detail.base_text(&conflict.base),
        incoming: detail.side_text(Side::Incoming, &conflict.base, &incoming),
    };
    Region {
        overlap: TextOverlap {
            message: None,
            kind,
            severity: kind.severity(),
            base_lines: conflict.conflict.base_lines,
            merged_lines: index.line_range(text, &merged),
            current_hunk: conflict.conflict.current_hunk.clone(),
            incoming_hunk: conflict.conflict.incoming_hunk.clone(),
        },
        merged,
        versions: Some(versions),
    }
}

/// Returns whether `deleting` only deleted lines in the conflict and every
/// hunk of the other side lies inside one of those deletions (an insertion
/// strictly inside it).
fn deletes_around(detail: &MergeDetail<'_>, conflict: &ConflictDetail, deleting: Side) -> bool {
    let editing = match deleting {
        Side::Current => Side::Incoming,
        Side::Incoming => Side::Current,
    };
    let deletions: Vec<Range<usize>> = member_indices(conflict, deleting)
        .into_iter()
        .map(|index| &detail.hunks(deleting)[index])
        .map(|hunk| {
            if hunk.new.is_empty() {
                Some(hunk.old.clone())
            } else {
                None
            }
        })
        .collect::<Option<_>>()
        .unwrap_or_default();
    if deletions.is_empty() {
        return false;
    }
    member_indices(conflict, editing).into_iter().all(|index| {
        let edited = &detail.hunks(editing)[index].old;
        deletions.iter().any(|deleted| {
            if edited.is_empty() {
                deleted.start < edited.start && edited.start < deleted.end
            } else {
                deleted.start <= edited.start && edited.end <= deleted.end
            }
        })
    })
}

/// Lists the conflict's hunks of `side`, ascending.
fn member_indices(conflict: &ConflictDetail, side: Side) -> Vec<usize> {
    let mut indices: Vec<usize> = conflict
        .members
        .iter()
        .filter(|(member_side, _)| *member_side == side)
        .map(|(_, index)| *index)
        .collect();
    indices.sort_unstable();
    indices
}
