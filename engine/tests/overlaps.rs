//! The overlap report of `merge_file` on realistic edits of Rust sources by
//! two agents, and invariants that hold for random edits. The text is
//! `merge_texts`' text, every high-severity overlap is a conflict, and the
//! line ranges point at the right lines with and without conflict markers.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use weft_engine::line_endings::adopt_line_endings;
use weft_engine::merge::{LineRange, merge_texts};
use weft_engine::overlap::{
    FileMerge, OverlapKind, Severity, TextOverlap, merge_file, merge_file_marked,
    merge_file_with_markers,
};

#[path = "overlaps/realigned.rs"]
mod realigned;

const LABELS: (&str, &str, &str) = ("agent-a", "base", "agent-b");

/// Seed of the PRNG that makes the random edits.
const RANDOM_SEED: u64 = 0x0e71_a95e;
/// Random merges checked.
const RANDOM_ROUNDS: u64 = 400;

const CONFIG_RS: &str = "\
use std::path::PathBuf;

/// Server settings.
pub struct Config {
    pub listen: String,
    pub store: PathBuf,
}

impl Config {
    pub fn new(store: PathBuf) -> Self {
        Self {
            listen: \"127.0.0.1:7420\".into(),
            store,
        }
    }

    pub fn timeout_secs(&self) -> u64 {
        30
    }

    #[deprecated]
    pub fn legacy_port(&self) -> u16 {
        let port = self.listen.rsplit(':').next();
        port.and_then(|p| p.parse().ok()).unwrap_or(7420)
    }
}
";

fn single(merge: &FileMerge) -> &TextOverlap {
    assert_eq!(merge.overlaps.len(), 1, "overlaps: {:#?}", merge.overlaps);
    &merge.overlaps[0]
}

/// Returns the 1-based inclusive `range` of lines of `text`, joined.
fn text_lines(text: &str, range: LineRange) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if range.end < range.start {
        return String::new();
    }
    lines[range.start - 1..range.end].concat()
}

#[test]
fn same_return_value_changed_twice() {
    let current = CONFIG_RS.replace("        30\n", "        60\n");
    let incoming = CONFIG_RS.replace("        30\n", "        self.default_timeout()\n");
    let merge = merge_file(Some(CONFIG_RS), &current, &incoming);

    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::SameLines);
    assert_eq!(overlap.severity, Severity::High);
    assert_eq!(overlap.base_lines, LineRange { start: 18, end: 18 });
    assert_eq!(overlap.merged_lines, LineRange { start: 18, end: 19 });
    assert_eq!(
        text_lines(&merge.text, overlap.merged_lines),
        "        60\n        self.default_timeout()\n"
    );
    assert_eq!(
        overlap.current_hunk,
        "@@ -18 +18 @@\n-        30\n+        60\n"
    );

    let marked = merge_file_with_markers(Some(CONFIG_RS), &current, &incoming, LABELS);
    assert!(
        marked.contains(
            "    pub fn timeout_secs(&self) -> u64 {\n\
             <<<<<<< agent-a\n        60\n\
             ||||||| base\n        30\n\
             =======\n        self.default_timeout()\n\
             >>>>>>> agent-b\n    }\n"
        ),
        "{marked}"
    );
}

#[test]
fn deleted_function_fixed_by_other() {
    let deprecated = "\n    #[deprecated]\n    pub fn legacy_port(&self) -> u16 {\n        \
                      let port = self.listen.rsplit(':').next();\n        \
                      port.and_then(|p| p.parse().ok()).unwrap_or(7420)\n    }\n";
    let current = CONFIG_RS.replace(deprecated, "\n");
    assert_ne!(current, CONFIG_RS, "the deletion applies");
    let incoming = CONFIG_RS.replace("unwrap_or(7420)", "unwrap_or(DEFAULT_PORT)");
    let merge = merge_file(Some(CONFIG_RS), &current, &incoming);

    assert_eq!(merge.text, incoming, "the fix survives the deletion");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::DeleteEdit);
    assert_eq!(overlap.severity, Severity::High);
    assert!(
        overlap
            .incoming_hunk
            .contains("+        port.and_then(|p| p.parse().ok()).unwrap_or(DEFAULT_PORT)\n"),
        "{}",
        overlap.incoming_hunk
    );
    assert!(
        overlap.current_hunk.contains("-    #[deprecated]\n"),
        "{}",
        overlap.current_hunk
    );
    assert!(
        text_lines(&merge.text, overlap.merged_lines).contains("unwrap_or(DEFAULT_PORT)"),
        "merged lines {:?}",
        overlap.merged_lines
    );
}

#[test]
fn imports_added_at_same_place() {
    let current = CONFIG_RS.replace(
        "use std::path::PathBuf;\n",
        "use std::path::PathBuf;\nuse std::time::Duration;\n",
    );
    let incoming = CONFIG_RS.replace(
        "use std::path::PathBuf;\n",
        "use std::path::PathBuf;\nuse std::net::SocketAddr;\n",
    );
    let merge = merge_file(Some(CONFIG_RS), &current, &incoming);
    assert!(
        merge.text.starts_with(
            "use std::path::PathBuf;\nuse std::time::Duration;\nuse std::net::SocketAddr;\n"
        ),
        "current's import comes first"
    );
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::Adjacent);
    assert_eq!(overlap.severity, Severity::Low);
    assert_eq!(overlap.base_lines, LineRange { start: 2, end: 1 });
    assert_eq!(overlap.merged_lines, LineRange { start: 2, end: 3 });

    let marked = merge_file_with_markers(Some(CONFIG_RS), &current, &incoming, LABELS);
    assert_eq!(marked, merge.text, "a low overlap gets no markers");
}

#[test]
fn contained_edits_reported_as_adjacent() {
    // git merge-file conflicts on each of these. weft takes the side whose
    // change contains the other's and must still point at the region.
    let cases = [
        ("a\njob1\njob2\nz\n", "a\nz\n", "a\njob2\nz\n", 2, 3),
        ("a\njob1\njob2\nz\n", "a\njob2\nz\n", "a\nz\n", 2, 3),
        (
            "let v = f(a);\n",
            "let v = g(a, b);\n",
            "let v = g(a);\n",
            1,
            1,
        ),
    ];
    for (base, current, incoming, start, end) in cases {
        let merge = merge_file(Some(base), current, incoming);
        let overlap = single(&merge);
        assert_eq!(
            overlap.kind,
            OverlapKind::Adjacent,
            "{current:?} {incoming:?}"
        );
        assert_eq!(overlap.base_lines, LineRange { start, end }, "{current:?}");
    }
}

#[test]
fn field_and_constructor_edited_nearby() {
    let current = CONFIG_RS.replace(
        "    pub store: PathBuf,\n",
        "    pub store: PathBuf,\n    pub token: Option<String>,\n",
    );
    let incoming = CONFIG_RS.replace(
        "    pub fn new(store: PathBuf)",
        "    pub fn with_store(store: PathBuf)",
    );
    let merge = merge_file(Some(CONFIG_RS), &current, &incoming);
    assert!(merge.text.contains("    pub token: Option<String>,\n"));
    assert!(merge.text.contains("    pub fn with_store(store: PathBuf)"));
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::Adjacent);
    assert_eq!(overlap.base_lines, LineRange { start: 7, end: 10 });
}

#[test]
fn distant_functions_no_overlap() {
    let current = CONFIG_RS.replace("\"127.0.0.1:7420\"", "\"0.0.0.0:7420\"");
    let incoming = CONFIG_RS.replace("unwrap_or(7420)", "unwrap_or(7421)");
    let merge = merge_file(Some(CONFIG_RS), &current, &incoming);
    assert!(merge.overlaps.is_empty(), "{:#?}", merge.overlaps);
    assert!(merge.text.contains("\"0.0.0.0:7420\""));
    assert!(merge.text.contains("unwrap_or(7421)"));
}

#[test]
fn same_fix_made_twice_no_overlap() {
    let fixed = CONFIG_RS.replace("        30\n", "        60\n");
    let both = fixed.replace("\"127.0.0.1:7420\"", "\"0.0.0.0:7420\"");
    let merge = merge_file(Some(CONFIG_RS), &fixed, &both);
    assert_eq!(merge.text, both);
    assert!(merge.overlaps.is_empty(), "{:#?}", merge.overlaps);
}

#[test]
fn module_created_by_both() {
    let current = "pub fn parse(input: &str) -> u32 {\n    input.len() as u32\n}\n";
    let incoming = "pub fn render(value: u32) -> String {\n    value.to_string()\n}\n";
    let merge = merge_file(None, current, incoming);
    assert_eq!(merge.text, format!("{current}{incoming}"));
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::AddAdd);
    assert_eq!(overlap.severity, Severity::High);
    assert_eq!(overlap.merged_lines, LineRange { start: 1, end: 6 });

    let marked = merge_file_with_markers(None, current, incoming, LABELS);
    assert_eq!(
        marked,
        format!("<<<<<<< agent-a\n{current}||||||| base\n=======\n{incoming}>>>>>>> agent-b\n")
    );

    let same = merge_file(None, current, current);
    assert_eq!(same.text, current);
    assert!(same.overlaps.is_empty());
}

#[test]
fn crlf_file_written_with_lf() {
    let base = CONFIG_RS.replace('\n', "\r\n");
    let current = base.replace("        30\r\n", "        60\r\n");
    // The incoming editor wrote LF endings, which take the base's endings
    // first, as in a write.
    let written = CONFIG_RS.replace("        30\n", "        90\n");
    let incoming = adopt_line_endings(&base, &written);
    let merge = merge_file(Some(&base), &current, &incoming);

    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::SameLines);
    assert_eq!(overlap.base_lines, LineRange { start: 18, end: 18 });
    assert!(
        !merge.text.replace("\r\n", "").contains('\n'),
        "only CRLF endings"
    );

    let marked = merge_file_with_markers(Some(&base), &current, &incoming, LABELS);
    assert!(
        marked.contains("<<<<<<< agent-a\r\n        60\r\n||||||| base\r\n        30\r\n=======\r\n        90\r\n>>>>>>> agent-b\r\n"),
        "{marked:?}"
    );
}

/// Makes one to four random line changes, insertions and deletions in
/// `base`. The files are short, so the edits often collide with the other
/// side's.
fn random_side(rng: &mut StdRng, base: &[String]) -> String {
    let mut lines: Vec<String> = base.to_vec();
    let edits = rng.random_range(1..=4);
    for _ in 0..edits {
        let at = rng.random_range(0..=lines.len());
        match rng.random_range(0..4) {
            0 if at < lines.len() => lines[at] = format!("changed {}\n", rng.random_range(0..5)),
            1 if at < lines.len() => {
                let end = (at + rng.random_range(1..=3)).min(lines.len());
                lines.drain(at..end);
            }
            _ => lines.insert(at, format!("added {}\n", rng.random_range(0..5))),
        }
    }
    let mut text = lines.concat();
    if rng.random_bool(0.1) {
        text.pop();
    }
    text
}

fn check_invariants(base: &str, current: &str, incoming: &str, context: &str) {
    let merge = merge_file(Some(base), current, incoming);
    let outcome = merge_texts(base, current, incoming);
    assert_eq!(merge.text, outcome.text, "{context}");
    let high = merge
        .overlaps
        .iter()
        .filter(|overlap| overlap.severity == Severity::High)
        .count();
    assert_eq!(high, outcome.conflicts.len(), "{context}");

    let base_len = base.split_inclusive('\n').count();
    let merged_len = merge.text.split_inclusive('\n').count();
    let mut previous_end = 0;
    for overlap in &merge.overlaps {
        assert!(
            overlap.base_lines.end <= base_len,
            "{context}: {overlap:#?}"
        );
        assert!(
            overlap.base_lines.start <= overlap.base_lines.end + 1,
            "{context}"
        );
        assert!(
            overlap.merged_lines.end <= merged_len,
            "{context}: {overlap:#?}"
        );
        assert!(
            overlap.merged_lines.start <= overlap.merged_lines.end + 1,
            "{context}"
        );
        assert!(
            overlap.merged_lines.start > previous_end,
            "{context}: overlaps share merged lines: {:#?}",
            merge.overlaps
        );
        previous_end = overlap.merged_lines.end;
    }

    let marked = merge_file_marked(Some(base), current, incoming, LABELS);
    assert_eq!(
        marked.text,
        merge_file_with_markers(Some(base), current, incoming, LABELS),
        "{context}"
    );
    assert_eq!(marked.overlaps.len(), merge.overlaps.len(), "{context}");
    let starts = marked
        .text
        .lines()
        .filter(|line| *line == "<<<<<<< agent-a")
        .count();
    assert_eq!(starts, high, "{context}:\n{}", marked.text);
    for (plain, marked_overlap) in merge.overlaps.iter().zip(&marked.overlaps) {
        let block = text_lines(&marked.text, marked_overlap.merged_lines);
        if plain.severity == Severity::High {
            assert!(
                block.starts_with("<<<<<<< agent-a\n"),
                "{context}: {block:?}"
            );
            assert!(block.ends_with(">>>>>>> agent-b\n"), "{context}: {block:?}");
        } else {
            assert_eq!(
                block,
                text_lines(&merge.text, plain.merged_lines),
                "{context}"
            );
        }
    }
}

#[test]
fn random_edits_keep_invariants() {
    let mut rng = StdRng::seed_from_u64(RANDOM_SEED);
    for round in 0..RANDOM_ROUNDS {
        let base_lines: Vec<String> = (0..rng.random_range(0..16))
            .map(|line| format!("line {line}\n"))
            .collect();
        let current = random_side(&mut rng, &base_lines);
        let incoming = random_side(&mut rng, &base_lines);
        let base = base_lines.concat();
        let context = format!("round {round}: {base:?} {current:?} {incoming:?}");
        check_invariants(&base, &current, &incoming, &context);
    }
}
