//! The figures of an evaluation run, for weft and for git beside it, as a
//! text table or one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use weft_engine::merge::LineRange;

use super::evaluate::Outcome;
use super::weft_merge::{OVERLAP_KINDS, SEVERITIES};

/// Scenarios listed per problem in the text report; `--json` lists all.
const LISTED_PER_PROBLEM: usize = 20;

/// A share: `count` of `total` scenarios.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Share {
    /// Scenarios that meet the condition.
    pub count: usize,
    /// Scenarios the share is taken of.
    pub total: usize,
    /// `count / total` in percent, rounded to two decimals; `null` when
    /// `total` is 0.
    pub percent: Option<f64>,
}

impl Share {
    fn add(&mut self, met: bool) {
        self.total += 1;
        self.count += usize::from(met);
        self.percent = Some((self.count as f64 * 10_000.0 / self.total as f64).round() / 100.0);
    }

    fn describe(&self) -> String {
        match self.percent {
            Some(percent) => format!("{percent:.1}% ({}/{})", self.count, self.total),
            None => "- (0/0)".to_owned(),
        }
    }
}

/// The figures of one merge tool.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ToolFigures {
    /// Scenarios where the tool reported something: any overlap for weft,
    /// a conflict for git.
    pub flagged: usize,
    /// Scenarios with a high-severity overlap (weft) or a conflict (git).
    pub flagged_high: usize,
    /// Of the scenarios git merges cleanly, those where the tool's text is
    /// git's text.
    pub clean_agreement: Share,
    /// Of the scenarios where git conflicts, those where an overlap of any
    /// severity covers every conflict region.
    pub conflict_recall: Share,
    /// As `conflict_recall`, counting high-severity overlaps only.
    pub conflict_recall_high: Share,
    /// Of the scenarios git merges cleanly and whose `resolved` is git's
    /// text, those with a high-severity overlap.
    pub false_alarms: Share,
    /// Of the scenarios with a `resolved` text, those where the tool's text
    /// is that text.
    pub accepted_match: Share,
    /// As `accepted_match`, over the scenarios where git conflicts. git's
    /// text has conflict markers there, so only a `resolved` text that kept
    /// them matches it.
    pub accepted_match_on_conflicts: Share,
}

/// The figures of a set of scenarios. The default has every overlap kind
/// and severity at 0, so the report lists them all.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Scenarios evaluated.
    pub scenarios: usize,
    /// Scenarios git merged without conflicts.
    pub git_clean: usize,
    /// Scenarios where git reported conflicts.
    pub git_conflicted: usize,
    /// git's conflict regions.
    pub git_conflict_regions: usize,
    /// Regions placed on base lines by text only.
    pub regions_placed_by_text: usize,
    /// weft's figures.
    pub weft: ToolFigures,
    /// git's figures, taken the same way with each conflict as a
    /// high-severity overlap of its region.
    pub git: ToolFigures,
    /// weft's overlaps by kind.
    pub overlap_kinds: BTreeMap<String, usize>,
    /// weft's overlaps by severity.
    pub overlap_severities: BTreeMap<String, usize>,
}

/// A scenario where weft and git disagree.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// The scenario's folder name.
    pub scenario: String,
    /// The original file path.
    pub path: Option<String>,
    /// The generator kind.
    pub kind: Option<String>,
    /// `clean-text-differs`, `conflict-missed`, `conflict-not-high` or
    /// `false-alarm`.
    pub problem: &'static str,
    /// For `conflict-missed` and `conflict-not-high`, git's conflict regions
    /// that weft's overlaps (or its high-severity ones) do not cover. Each is
    /// `[start, end]` in base lines, 1-based and inclusive, with `end` equal to
    /// `start - 1` for an insertion before line `start`.
    pub base_lines: Vec<[usize; 2]>,
    /// Whether weft's text is the scenario's `resolved` text; `null`
    /// without one.
    pub weft_matches_resolved: Option<bool>,
}

/// The whole report of a run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Figures over all evaluated scenarios.
    #[serde(flatten)]
    pub all: Figures,
    /// Scenarios skipped because a text is not UTF-8.
    pub skipped_non_utf8: usize,
    /// Figures per generator kind, for scenarios with a `kind` file.
    pub by_kind: BTreeMap<String, Figures>,
    /// Every disagreement, in scenario order.
    pub disagreements: Vec<Disagreement>,
}

impl Default for Figures {
    fn default() -> Self {
        let zero_counts = |names: &[&str]| names.iter().map(|name| (name.to_string(), 0)).collect();
        Self {
            scenarios: 0,
            git_clean: 0,
            git_conflicted: 0,
            git_conflict_regions: 0,
            regions_placed_by_text: 0,
            weft: ToolFigures::default(),
            git: ToolFigures::default(),
            overlap_kinds: zero_counts(&OVERLAP_KINDS),
            overlap_severities: zero_counts(&SEVERITIES),
        }
    }
}

impl Figures {
    fn add(&mut self, outcome: &Outcome) {
        self.scenarios += 1;
        self.git_conflict_regions += outcome.git_regions;
        self.regions_placed_by_text += outcome.regions_by_text;
        let weft_flagged = outcome.weft_flagged();
        let weft_flagged_high = outcome.weft_flagged_high();
        self.weft.flagged += usize::from(weft_flagged);
        self.weft.flagged_high += usize::from(weft_flagged_high);
        self.git.flagged += usize::from(!outcome.git_clean);
        self.git.flagged_high += usize::from(!outcome.git_clean);

        if outcome.git_clean {
            self.git_clean += 1;
            self.weft.clean_agreement.add(outcome.weft_equals_git);
            self.git.clean_agreement.add(true);
        } else {
            self.git_conflicted += 1;
            self.weft.conflict_recall.add(outcome.covered());
            self.weft
                .conflict_recall_high
                .add(outcome.covered_by_high());
            self.git.conflict_recall.add(true);
            self.git.conflict_recall_high.add(true);
        }
        if outcome.resolved_is_clean_git {
            self.weft.false_alarms.add(weft_flagged_high);
            self.git.false_alarms.add(false);
        }
        if outcome.has_resolved {
            self.weft.accepted_match.add(outcome.weft_equals_resolved);
            self.git.accepted_match.add(outcome.git_equals_resolved);
        }
        if outcome.has_resolved && !outcome.git_clean {
            let weft = &mut self.weft.accepted_match_on_conflicts;
            weft.add(outcome.weft_equals_resolved);
            let git = &mut self.git.accepted_match_on_conflicts;
            git.add(outcome.git_equals_resolved);
        }
        for (kind, severity) in &outcome.overlaps {
            *self.overlap_kinds.entry(kind.to_string()).or_default() += 1;
            *self
                .overlap_severities
                .entry(severity.to_string())
                .or_default() += 1;
        }
    }
}

impl Report {
    /// Builds the report of `outcomes` (in scenario order) with
    /// `skipped_non_utf8` scenarios skipped.
    pub fn new(outcomes: &[Outcome], skipped_non_utf8: usize) -> Self {
        let mut report = Report {
            skipped_non_utf8,
            ..Report::default()
        };
        for outcome in outcomes {
            report.all.add(outcome);
            if let Some(kind) = &outcome.kind {
                report.by_kind.entry(kind.clone()).or_default().add(outcome);
            }
            for (problem, regions) in problems(outcome) {
                report.disagreements.push(Disagreement {
                    scenario: outcome.name.clone(),
                    path: outcome.path.clone(),
                    kind: outcome.kind.clone(),
                    problem,
                    base_lines: regions
                        .iter()
                        .map(|region| [region.start, region.end])
                        .collect(),
                    weft_matches_resolved: outcome
                        .has_resolved
                        .then_some(outcome.weft_equals_resolved),
                });
            }
        }
        report
    }

    /// Formats the report as tables for a terminal.
    pub fn to_text(&self) -> String {
        // Writing to a String cannot fail, so the results are ignored.
        let all = &self.all;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "scenarios: {} evaluated, {} skipped (not UTF-8)",
            all.scenarios, self.skipped_non_utf8
        );
        let _ = writeln!(
            text,
            "git: {} clean, {} with conflicts ({} regions, {} placed by text only)\n",
            all.git_clean, all.git_conflicted, all.git_conflict_regions, all.regions_placed_by_text
        );
        let _ = writeln!(text, "{:<26} {:<22} git", "figure", "weft");
        for (label, weft, git) in figure_rows(all) {
            let _ = writeln!(
                text,
                "{label:<26} {:<22} {}",
                weft.describe(),
                git.describe()
            );
        }
        let _ = writeln!(
            text,
            "\nweft overlaps by kind: {}",
            describe_counts(&all.overlap_kinds, &OVERLAP_KINDS)
        );
        let _ = writeln!(
            text,
            "weft overlaps by severity: {}",
            describe_counts(&all.overlap_severities, &SEVERITIES)
        );

        for (kind, figures) in &self.by_kind {
            let _ = writeln!(
                text,
                "\nkind {kind}: {} scenarios, git {} clean, {} with conflicts",
                figures.scenarios, figures.git_clean, figures.git_conflicted
            );
            for (label, weft, git) in figure_rows(figures) {
                if weft.total > 0 {
                    let _ = writeln!(
                        text,
                        "  {label:<24} {:<22} {}",
                        weft.describe(),
                        git.describe()
                    );
                }
            }
        }
        self.write_disagreements(&mut text);
        text
    }

    fn write_disagreements(&self, text: &mut String) {
        for problem in PROBLEMS {
            let matching: Vec<&Disagreement> = self
                .disagreements
                .iter()
                .filter(|disagreement| disagreement.problem == problem)
                .collect();
            if matching.is_empty() {
                continue;
            }
            let _ = writeln!(text, "\n{problem}: {} scenarios", matching.len());
            for disagreement in matching.iter().take(LISTED_PER_PROBLEM) {
                let path = disagreement.path.as_deref().unwrap_or("");
                let lines: Vec<String> = disagreement
                    .base_lines
                    .iter()
                    .map(|[start, end]| format!("{start}-{end}"))
                    .collect();
                let lines = if lines.is_empty() {
                    String::new()
                } else {
                    format!(" (base lines {})", lines.join(", "))
                };
                let _ = writeln!(text, "  {} {path}{lines}", disagreement.scenario);
            }
            if matching.len() > LISTED_PER_PROBLEM {
                let _ = writeln!(
                    text,
                    "  ... and {} more (--json lists all)",
                    matching.len() - LISTED_PER_PROBLEM
                );
            }
        }
    }
}

/// The problems a disagreement can have, in report order.
const PROBLEMS: [&str; 4] = [
    "clean-text-differs",
    "conflict-missed",
    "conflict-not-high",
    "false-alarm",
];

/// Returns the problems of one scenario, each with the git regions it
/// concerns.
fn problems(outcome: &Outcome) -> Vec<(&'static str, &[LineRange])> {
    let mut found = Vec::new();
    if outcome.git_clean && !outcome.weft_equals_git {
        found.push((PROBLEMS[0], &[][..]));
    }
    if !outcome.covered() {
        found.push((PROBLEMS[1], &outcome.uncovered[..]));
    } else if !outcome.covered_by_high() {
        found.push((PROBLEMS[2], &outcome.uncovered_by_high[..]));
    }
    if outcome.resolved_is_clean_git && outcome.weft_flagged_high() {
        found.push((PROBLEMS[3], &[][..]));
    }
    found
}

fn figure_rows(figures: &Figures) -> [(&'static str, Share, Share); 6] {
    let (weft, git) = (&figures.weft, &figures.git);
    [
        ("clean agreement", weft.clean_agreement, git.clean_agreement),
        (
            "conflict recall (any)",
            weft.conflict_recall,
            git.conflict_recall,
        ),
        (
            "conflict recall (high)",
            weft.conflict_recall_high,
            git.conflict_recall_high,
        ),
        ("false alarms", weft.false_alarms, git.false_alarms),
        (
            "accepted-result match",
            weft.accepted_match,
            git.accepted_match,
        ),
        (
            "  where git conflicts",
            weft.accepted_match_on_conflicts,
            git.accepted_match_on_conflicts,
        ),
    ]
}

/// Formats counts in the order of `names`, then any other names.
fn describe_counts(counts: &BTreeMap<String, usize>, names: &[&str]) -> String {
    let mut parts: Vec<String> = names
        .iter()
        .map(|name| format!("{name} {}", counts.get(*name).copied().unwrap_or(0)))
        .collect();
    for (name, count) in counts {
        if !names.contains(&name.as_str()) {
            parts.push(format!("{name} {count}"));
        }
    }
    parts.join(", ")
}
