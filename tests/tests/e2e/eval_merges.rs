//! `weft eval-merges` through the real binary: exact figures on the
//! committed fixtures, recall on scenarios generated from registry sources,
//! and scenarios extracted from a merge commit of a repository the test
//! builds.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use weft_e2e::run_weft_ok;

/// Scenarios generated from registry sources, ten per generator kind.
const GENERATED_SCENARIOS: &str = "50";

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/merges")
}

/// Runs `weft eval-merges DIR --json` and parses the report.
fn evaluate(dir: &Path) -> Value {
    let cwd = std::env::temp_dir();
    let text = run_weft_ok(&cwd, &["eval-merges", &dir.to_string_lossy(), "--json"]);
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("invalid JSON ({error}): {text}"))
}

/// Returns `[count, total]` of a share in the report.
fn share(report: &Value, tool: &str, figure: &str) -> Value {
    let value = &report[tool][figure];
    json!([value["count"], value["total"]])
}

#[test]
fn fixture_figures_exact() {
    let report = evaluate(&fixtures_dir());

    assert_eq!(report["scenarios"], 15);
    assert_eq!(report["skipped_non_utf8"], 1);
    assert_eq!(report["git_clean"], 4);
    assert_eq!(report["git_conflicted"], 11);
    assert_eq!(report["git_conflict_regions"], 13);
    assert_eq!(report["regions_placed_by_text"], 0);

    assert_eq!(share(&report, "weft", "clean_agreement"), json!([4, 4]));
    // The realigned-* fixtures are conflicts that git's line alignment
    // makes and weft's does not, which weft reports as adjacent overlaps.
    assert_eq!(share(&report, "weft", "conflict_recall"), json!([11, 11]));
    assert_eq!(
        share(&report, "weft", "conflict_recall_high"),
        json!([3, 11])
    );
    assert_eq!(share(&report, "weft", "false_alarms"), json!([0, 3]));
    assert_eq!(share(&report, "weft", "accepted_match"), json!([10, 15]));
    assert_eq!(
        share(&report, "weft", "accepted_match_on_conflicts"),
        json!([7, 11])
    );

    assert_eq!(share(&report, "git", "clean_agreement"), json!([4, 4]));
    assert_eq!(share(&report, "git", "conflict_recall"), json!([11, 11]));
    assert_eq!(share(&report, "git", "false_alarms"), json!([0, 3]));
    assert_eq!(share(&report, "git", "accepted_match"), json!([3, 15]));
    assert_eq!(
        share(&report, "git", "accepted_match_on_conflicts"),
        json!([0, 11])
    );

    // crlf-disjoint changes lines 1 and 5, which git merges cleanly and
    // weft reports as a low-severity adjacent overlap.
    assert_eq!(report["overlap_kinds"]["same-lines"], 4);
    assert_eq!(report["overlap_kinds"]["adjacent"], 11);
    assert_eq!(report["overlap_kinds"]["delete-edit"], 1);
    assert_eq!(report["overlap_kinds"]["add-add"], 0);
    assert_eq!(report["overlap_severities"]["high"], 5);
    assert_eq!(report["overlap_severities"]["low"], 11);
}

#[test]
fn fixture_disagreements_listed() {
    let report = evaluate(&fixtures_dir());
    let problems: Vec<(String, String)> = report["disagreements"]
        .as_array()
        .expect("disagreements is a list")
        .iter()
        .map(|entry| {
            (
                entry["scenario"].as_str().unwrap_or_default().to_owned(),
                entry["problem"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let not_high = [
        "adjacent-lines",
        "realigned-deleted-block",
        "realigned-doc-comment",
        "realigned-module-list",
        "realigned-nested-blocks",
        "realigned-repeated-impls",
        "realigned-same-edit",
        "same-point-inserts",
    ];
    let expected: Vec<(String, String)> = not_high
        .iter()
        .map(|name| ((*name).to_owned(), "conflict-not-high".to_owned()))
        .collect();
    assert_eq!(problems, expected);
}

#[test]
fn fixture_text_report_has_table() {
    let text = run_weft_ok(
        &std::env::temp_dir(),
        &["eval-merges", &fixtures_dir().to_string_lossy()],
    );
    assert!(
        text.contains("scenarios: 15 evaluated, 1 skipped (not UTF-8)"),
        "{text}"
    );
    assert!(text.contains("clean agreement"), "{text}");
    assert!(text.contains("100.0% (4/4)"), "{text}");
}

/// Returns the local Cargo registry's source folder, if it exists.
fn registry_source_dir() -> Option<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    Some(cargo_home.join("registry").join("src")).filter(|dir| dir.is_dir())
}

#[test]
fn generated_scenarios_recalled() {
    let Some(registry) = registry_source_dir() else {
        eprintln!("skipped: no Cargo registry sources found to generate scenarios from");
        return;
    };
    let out = tempfile::tempdir().expect("create a temporary folder");
    let set = out.path().join("generated");
    let summary = run_weft_ok(
        out.path(),
        &[
            "eval-merges",
            "--generate",
            &registry.to_string_lossy(),
            &set.to_string_lossy(),
            "--count",
            GENERATED_SCENARIOS,
            "--seed",
            "7",
        ],
    );
    assert!(summary.starts_with("wrote 50 scenarios"), "{summary}");

    let report = evaluate(&set);
    assert_eq!(report["scenarios"], 50);
    let recall = &report["weft"]["conflict_recall"];
    assert_eq!(
        recall["count"], recall["total"],
        "every git conflict is covered by an overlap: {:#}",
        report["disagreements"]
    );
    let agreement = report["weft"]["clean_agreement"]["percent"]
        .as_f64()
        .expect("git merged some scenarios cleanly");
    assert!(
        agreement >= 99.0,
        "clean agreement is {agreement}%: {:#}",
        report["disagreements"]
    );

    for kind in ["disjoint", "identical"] {
        let figures = &report["by_kind"][kind];
        assert_eq!(figures["scenarios"], 10, "{kind} scenarios");
        assert_eq!(figures["git_clean"], 10, "git merges {kind} cleanly");
    }
    for kind in ["same-line", "append", "delete-edit"] {
        let figures = &report["by_kind"][kind];
        assert_eq!(figures["scenarios"], 10, "{kind} scenarios");
        assert_eq!(figures["git_conflicted"], 10, "git conflicts on {kind}");
    }
}

/// Returns a git command in `dir` without the user's configuration, with a
/// fixed identity for commits.
fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"]);
    command
}

/// Runs git in `dir` and fails the test unless it exits 0.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir).args(args).output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn extract_reads_merge_commit() {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("create the repository folder");
    let write = |path: &str, content: &[u8]| {
        std::fs::write(repo.join(path), content).expect("write a file");
    };

    git(&repo, &["init", "-q", "-b", "main"]);
    write("lib.rs", b"fn a() {}\n\nfn b() {}\n\nfn c() {}\n");
    write("one_side.rs", b"x\n");
    write("data.bin", b"\0\x01\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "base"]);

    git(&repo, &["checkout", "-q", "-b", "feature"]);
    write(
        "lib.rs",
        b"fn a() {}\n\nfn b() {}\n\nfn c() { feature(); }\n",
    );
    write("data.bin", b"\0\x02\n");
    git(&repo, &["commit", "-q", "-am", "feature"]);

    git(&repo, &["checkout", "-q", "main"]);
    write("lib.rs", b"fn a() { main(); }\n\nfn b() {}\n\nfn c() {}\n");
    write("one_side.rs", b"y\n");
    write("data.bin", b"\0\x03\n");
    git(&repo, &["commit", "-q", "-am", "main"]);
    let first_parent = git(&repo, &["rev-parse", "HEAD"]);

    // The merge stops on the conflict in data.bin, so it is resolved by hand.
    let merge_output = git_command(&repo)
        .args(["merge", "-q", "--no-commit", "feature"])
        .output()
        .expect("git merge runs");
    assert!(
        repo.join(".git/MERGE_HEAD").exists(),
        "git merge stopped with a merge in progress: {}",
        String::from_utf8_lossy(&merge_output.stderr)
    );
    let resolved = b"fn a() { main(); }\n\nfn b() { merged(); }\n\nfn c() { feature(); }\n";
    write("lib.rs", resolved);
    write("data.bin", b"\0\x04\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "merge feature"]);
    let merge = git(&repo, &["rev-parse", "HEAD"]);

    let out = dir.path().join("scenarios");
    let summary = run_weft_ok(
        dir.path(),
        &[
            "eval-merges",
            "--extract",
            &repo.to_string_lossy(),
            &out.to_string_lossy(),
        ],
    );
    assert!(
        summary.starts_with("wrote 1 scenarios from 1 two-parent merge commits"),
        "{summary}"
    );
    assert!(summary.contains("1 files that are not text"), "{summary}");

    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("the output folder exists")
        .map(|entry| {
            entry
                .expect("list the output")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    // data.bin sorts before lib.rs, so lib.rs is the second changed path.
    let folder = out.join(format!("{}-1", &merge[..12]));
    assert_eq!(names, [format!("{}-1", &merge[..12])]);
    let read = |name: &str| std::fs::read(folder.join(name)).expect("read a scenario file");
    assert_eq!(read("base"), b"fn a() {}\n\nfn b() {}\n\nfn c() {}\n");
    assert_eq!(
        read("ours"),
        b"fn a() { main(); }\n\nfn b() {}\n\nfn c() {}\n"
    );
    assert_eq!(
        read("theirs"),
        b"fn a() {}\n\nfn b() {}\n\nfn c() { feature(); }\n"
    );
    assert_eq!(read("resolved"), resolved);
    assert_eq!(read("path"), b"lib.rs\n");
    assert_eq!(git(&repo, &["rev-parse", "HEAD^1"]), first_parent);

    let report = evaluate(&out);
    assert_eq!(report["scenarios"], 1);
    assert_eq!(share(&report, "weft", "clean_agreement"), json!([1, 1]));
    assert_eq!(share(&report, "weft", "accepted_match"), json!([0, 1]));
    assert_eq!(share(&report, "git", "accepted_match"), json!([0, 1]));
}
