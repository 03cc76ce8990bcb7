//! Evaluation of one scenario: weft's merge beside `git merge-file`, and
//! whether weft's overlaps cover git's conflict regions.

use anyhow::{Context, Result};
use weft_engine::merge::LineRange;

use super::git_merge;
use super::scenario::Scenario;
use super::weft_merge::{self, Overlap};

/// The comparison of weft and git on one scenario.
#[derive(Debug)]
pub struct Outcome {
    /// The scenario's folder name.
    pub name: String,
    /// The original file path, if the scenario has one.
    pub path: Option<String>,
    /// The generator kind, if the scenario has one.
    pub kind: Option<String>,
    /// Whether git merged without conflicts.
    pub git_clean: bool,
    /// git's conflict regions.
    pub git_regions: usize,
    /// git's conflict regions placed by text only (see [`super::regions`]).
    pub regions_by_text: usize,
    /// Whether weft's text is byte-identical to git's.
    pub weft_equals_git: bool,
    /// git's conflict regions that no weft overlap covers.
    pub uncovered: Vec<LineRange>,
    /// git's conflict regions that no high-severity weft overlap covers.
    pub uncovered_by_high: Vec<LineRange>,
    /// Whether the scenario has a `resolved` text.
    pub has_resolved: bool,
    /// Whether git merged cleanly and `resolved` is git's text, so that no
    /// overlap needed reporting.
    pub resolved_is_clean_git: bool,
    /// Whether weft's text equals `resolved`.
    pub weft_equals_resolved: bool,
    /// Whether git's text equals `resolved`.
    pub git_equals_resolved: bool,
    /// weft's overlaps as (kind, severity).
    pub overlaps: Vec<(&'static str, &'static str)>,
}

impl Outcome {
    /// Returns whether every git conflict region is covered by some weft
    /// overlap.
    pub fn covered(&self) -> bool {
        self.uncovered.is_empty()
    }

    /// Returns whether every git conflict region is covered by a
    /// high-severity weft overlap.
    pub fn covered_by_high(&self) -> bool {
        self.uncovered_by_high.is_empty()
    }

    /// Returns whether weft reported any overlap.
    pub fn weft_flagged(&self) -> bool {
        !self.overlaps.is_empty()
    }

    /// Returns whether weft reported a high-severity overlap.
    pub fn weft_flagged_high(&self) -> bool {
        self.overlaps
            .iter()
            .any(|(_, severity)| *severity == weft_merge::HIGH_SEVERITY)
    }
}

/// Merges the scenario with weft and with git and compares the results.
pub fn evaluate(scenario: &Scenario) -> Result<Outcome> {
    let git = git_merge::merge(&scenario.base, &scenario.ours, &scenario.theirs)
        .with_context(|| format!("failed to merge scenario {} with git", scenario.name))?;
    let weft = weft_merge::merge(
        &scenario.base,
        &scenario.ours,
        &scenario.theirs,
        scenario.path.as_deref(),
    );

    let regions: Vec<LineRange> = git.regions.iter().map(|region| region.base_lines).collect();
    let high: Vec<Overlap> = weft
        .overlaps
        .iter()
        .filter(|overlap| overlap.is_high())
        .cloned()
        .collect();
    let resolved = scenario.resolved.as_deref();
    Ok(Outcome {
        name: scenario.name.clone(),
        path: scenario.path.clone(),
        kind: scenario.kind.clone(),
        git_clean: git.is_clean(),
        git_regions: git.regions.len(),
        regions_by_text: git
            .regions
            .iter()
            .filter(|region| !region.by_alignment)
            .count(),
        weft_equals_git: weft.text == git.text,
        uncovered: uncovered(&weft.overlaps, &regions),
        uncovered_by_high: uncovered(&high, &regions),
        has_resolved: resolved.is_some(),
        resolved_is_clean_git: git.is_clean() && resolved == Some(git.text.as_str()),
        weft_equals_resolved: resolved == Some(weft.text.as_str()),
        git_equals_resolved: resolved == Some(git.text.as_str()),
        overlaps: weft
            .overlaps
            .iter()
            .map(|overlap| (overlap.kind, overlap.severity))
            .collect(),
    })
}

/// Returns the regions that intersect no overlap.
fn uncovered(overlaps: &[Overlap], regions: &[LineRange]) -> Vec<LineRange> {
    regions
        .iter()
        .filter(|region| {
            !overlaps
                .iter()
                .any(|overlap| intersects(overlap.base_lines, **region))
        })
        .copied()
        .collect()
}

/// Returns whether two base line ranges share a line. An insertion point
/// before line `p` counts as touching lines `p - 1` and `p`, so an insertion
/// meets a change of either neighbouring line.
pub fn intersects(first: LineRange, second: LineRange) -> bool {
    let (first_start, first_end) = touched_lines(first);
    let (second_start, second_end) = touched_lines(second);
    first_start <= second_end && second_start <= first_end
}

/// Returns the first and last line (inclusive) that a range touches.
fn touched_lines(range: LineRange) -> (usize, usize) {
    if range.end < range.start {
        (range.start - 1, range.start)
    } else {
        (range.start, range.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(start: usize, end: usize) -> LineRange {
        LineRange { start, end }
    }

    #[test]
    fn ranges_intersect_on_shared_lines() {
        assert!(intersects(lines(3, 5), lines(5, 7)));
        assert!(!intersects(lines(3, 5), lines(6, 7)));
    }

    #[test]
    fn insertion_point_touches_both_neighbours() {
        let before_line_4 = lines(4, 3);
        assert!(intersects(before_line_4, lines(3, 3)));
        assert!(intersects(before_line_4, lines(4, 4)));
        assert!(!intersects(before_line_4, lines(5, 6)));
        assert!(!intersects(before_line_4, lines(1, 2)));
        assert!(intersects(before_line_4, lines(4, 3)));
    }

    #[test]
    fn insertion_at_file_start_touches_first_line() {
        assert!(intersects(lines(1, 0), lines(1, 1)));
        assert!(!intersects(lines(1, 0), lines(2, 2)));
    }
}
