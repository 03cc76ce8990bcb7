//! weft's side of the comparison: the engine's merge of a scenario and the
//! overlaps it reports, reduced to what the figures need.

use weft_engine::merge::LineRange;
use weft_engine::overlap::{merge_file, merge_file_at};

/// Overlap kinds in report order, as [`weft_engine::overlap::OverlapKind::as_str`]
/// names them.
pub const OVERLAP_KINDS: [&str; 5] = ["same-lines", "adjacent", "delete-edit", "add-add", "binary"];

/// The name of the high severity, as [`weft_engine::overlap::Severity::as_str`]
/// names it.
pub const HIGH_SEVERITY: &str = "high";

/// Severities in report order, as [`weft_engine::overlap::Severity::as_str`]
/// names them.
pub const SEVERITIES: [&str; 3] = [HIGH_SEVERITY, "medium", "low"];

/// One overlap that weft reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// The kind's name, one of [`OVERLAP_KINDS`].
    pub kind: &'static str,
    /// The severity's name, one of [`SEVERITIES`].
    pub severity: &'static str,
    /// The base lines of the overlap.
    pub base_lines: LineRange,
}

impl Overlap {
    /// Returns whether the overlap has high severity.
    pub fn is_high(&self) -> bool {
        self.severity == HIGH_SEVERITY
    }
}

/// weft's merge of a scenario.
#[derive(Debug)]
pub struct WeftMerge {
    /// The merged text.
    pub text: String,
    /// The overlaps, in base order.
    pub overlaps: Vec<Overlap>,
}

/// Merges `theirs` (incoming) into `ours` (current) from `base` with
/// [`merge_file`].
///
/// With the scenario's original `path`, the overlaps that depend on the
/// file's type (definitions in code, keys in structured files) are added.
pub fn merge(base: &str, ours: &str, theirs: &str, path: Option<&str>) -> WeftMerge {
    let merged = match path {
        Some(path) => merge_file_at(path, Some(base), ours, theirs),
        None => merge_file(Some(base), ours, theirs),
    };
    let overlaps = merged
        .overlaps
        .iter()
        .map(|overlap| Overlap {
            kind: overlap.kind.as_str(),
            severity: overlap.severity.as_str(),
            base_lines: overlap.base_lines,
        })
        .collect();
    WeftMerge {
        text: merged.text,
        overlaps,
    }
}
