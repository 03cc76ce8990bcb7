//! `weft merge-file` on real files: its output, exit code and overlap
//! report, and its use as a git merge driver in a real repository.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use weft_e2e::{run_weft, weft_bin};

const LIB_RS: &str = "\
pub fn parse(input: &str) -> u32 {
    let trimmed = input.trim();
    trimmed.parse().unwrap_or(0)
}

pub fn render(value: u32) -> String {
    format!(\"{value}\")
}

pub fn double(value: u32) -> u32 {
    value * 2
}
";

/// Writes `current`, `base` and `other` into `dir` under those names.
fn write_inputs(dir: &Path, current: &str, base: &str, other: &str) {
    fs::write(dir.join("current"), current).expect("write current");
    fs::write(dir.join("base"), base).expect("write base");
    fs::write(dir.join("other"), other).expect("write other");
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs git in `dir` without the user's or the system's configuration.
fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git runs")
}

/// Runs git and fails the test, with its output, unless it exits 0.
fn git_ok(dir: &Path, args: &[&str]) -> String {
    let output = git(dir, args);
    assert!(
        output.status.success(),
        "git {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout_of(&output),
        stderr_of(&output)
    );
    stdout_of(&output)
}

/// Creates a repository whose files all merge through `weft merge-file`,
/// with `src/lib.rs` as [`LIB_RS`] committed on `main` and a branch `other`
/// at the same commit.
fn repository_with_driver(dir: &Path) {
    git_ok(dir, &["init", "-q", "-b", "main"]);
    git_ok(dir, &["config", "user.name", "weft test"]);
    git_ok(dir, &["config", "user.email", "test@weft.invalid"]);
    let driver = format!("'{}' merge-file --path %P %A %O %B", weft_bin().display());
    git_ok(dir, &["config", "merge.weft.name", "weft three-way merge"]);
    git_ok(dir, &["config", "merge.weft.driver", &driver]);
    fs::write(dir.join(".gitattributes"), "* merge=weft\n").expect("write attributes");
    fs::create_dir_all(dir.join("src")).expect("create src");
    fs::write(dir.join("src/lib.rs"), LIB_RS).expect("write lib.rs");
    git_ok(dir, &["add", "."]);
    git_ok(dir, &["commit", "-q", "-m", "base"]);
    git_ok(dir, &["branch", "other"]);
}

/// Commits `text` as `src/lib.rs` on `branch`.
fn commit_lib(dir: &Path, branch: &str, text: &str) {
    git_ok(dir, &["checkout", "-q", branch]);
    fs::write(dir.join("src/lib.rs"), text).expect("write lib.rs");
    git_ok(dir, &["commit", "-q", "-am", &format!("edit on {branch}")]);
}

#[test]
fn git_merge_adjacent_lines_cleanly() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path();
    repository_with_driver(repo);
    // git's own merge reports a conflict for changes on touching lines,
    // so a clean merge here shows that the driver ran.
    let ours = LIB_RS.replace("input.trim()", "input.trim_start()");
    let theirs = LIB_RS.replace("unwrap_or(0)", "unwrap_or_default()");
    commit_lib(repo, "other", &theirs);
    commit_lib(repo, "main", &ours);

    let merge = git(repo, &["merge", "--no-edit", "other"]);
    assert!(
        merge.status.success(),
        "git merge failed\nstdout:\n{}\nstderr:\n{}",
        stdout_of(&merge),
        stderr_of(&merge)
    );
    let merged = fs::read_to_string(repo.join("src/lib.rs")).expect("read lib.rs");
    assert!(
        merged.contains("    let trimmed = input.trim_start();\n"),
        "{merged}"
    );
    assert!(
        merged.contains("    trimmed.parse().unwrap_or_default()\n"),
        "{merged}"
    );
    assert!(!merged.contains("<<<<<<<"), "{merged}");
    let status = git_ok(repo, &["status", "--porcelain"]);
    assert_eq!(status, "", "the merge is committed");
}

#[test]
fn git_merge_same_line_stops() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path();
    repository_with_driver(repo);
    let ours = LIB_RS.replace("value * 2", "value << 1");
    let theirs = LIB_RS.replace("value * 2", "value.saturating_mul(2)");
    commit_lib(repo, "other", &theirs);
    commit_lib(repo, "main", &ours);

    let merge = git(repo, &["merge", "--no-edit", "other"]);
    assert!(
        !merge.status.success(),
        "git merge succeeded\nstdout:\n{}",
        stdout_of(&merge)
    );
    let output = format!("{}{}", stdout_of(&merge), stderr_of(&merge));
    assert!(
        output.contains("same-lines (high) src/lib.rs lines 11-12"),
        "the driver's report reaches git's output:\n{output}"
    );

    let merged = fs::read_to_string(repo.join("src/lib.rs")).expect("read lib.rs");
    let expected = LIB_RS.replace("value * 2\n", "value << 1\n    value.saturating_mul(2)\n");
    assert_eq!(merged, expected, "both lines, main's first");
    let status = git_ok(repo, &["status", "--porcelain"]);
    assert!(
        status.contains("UU src/lib.rs"),
        "the file is left unmerged: {status}"
    );
}

#[test]
fn merge_file_prints_with_p() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let ours = LIB_RS.replace("value * 2", "value << 1");
    let theirs = LIB_RS.replace("input.trim()", "input.trim_start()");
    write_inputs(dir, &ours, LIB_RS, &theirs);

    let output = run_weft(dir, &["merge-file", "-p", "current", "base", "other"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let expected = ours.replace("input.trim()", "input.trim_start()");
    assert_eq!(stdout_of(&output), expected);
    assert_eq!(stderr_of(&output), "", "no overlaps");
    assert_eq!(
        fs::read_to_string(dir.join("current")).expect("read current"),
        ours,
        "-p leaves CURRENT alone"
    );
}

#[test]
fn merge_file_writes_current() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let ours = LIB_RS.replace("value * 2", "value << 1");
    let theirs = LIB_RS.replace("value * 2", "value + value");
    write_inputs(dir, &ours, LIB_RS, &theirs);

    let output = run_weft(dir, &["merge-file", "current", "base", "other"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output), "");
    assert_eq!(stderr_of(&output), "same-lines (high) lines 11-12\n");
    let merged = fs::read_to_string(dir.join("current")).expect("read current");
    assert_eq!(
        merged,
        LIB_RS.replace("value * 2\n", "value << 1\n    value + value\n")
    );
}

#[test]
fn merge_file_exit_counts_high_overlaps() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let ours = LIB_RS
        .replace("unwrap_or(0)", "unwrap_or(1)")
        .replace("value * 2", "value << 1");
    let theirs = LIB_RS
        .replace("unwrap_or(0)", "unwrap_or(2)")
        .replace("value * 2", "value + value");
    write_inputs(dir, &ours, LIB_RS, &theirs);

    let output = run_weft(dir, &["merge-file", "-p", "current", "base", "other"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let lines: Vec<String> = stderr_of(&output).lines().map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            "same-lines (high) lines 3-4",
            "same-lines (high) lines 12-13"
        ]
    );
}

#[test]
fn merge_file_exit_capped_at_127() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let base: String = (0..130)
        .map(|block| format!("x{block}\n-\n-\n-\n-\n"))
        .collect();
    let ours = base.replace("x", "ours ");
    let theirs = base.replace("x", "theirs ");
    write_inputs(dir, &ours, &base, &theirs);

    let output = run_weft(dir, &["merge-file", "-p", "current", "base", "other"]);
    assert_eq!(output.status.code(), Some(127));
    assert_eq!(stderr_of(&output).lines().count(), 130);
}

#[test]
fn merge_file_json_on_stderr() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let ours = LIB_RS.replace("value * 2", "value << 1");
    let theirs = LIB_RS.replace("value * 2", "value + value").replace(
        "    let trimmed",
        "    // Spaces around the number are allowed.\n    let trimmed",
    );
    write_inputs(dir, &ours, LIB_RS, &theirs);

    let output = run_weft(
        dir,
        &[
            "merge-file",
            "-p",
            "--json",
            "--path",
            "src/lib.rs",
            "current",
            "base",
            "other",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let report: Value = serde_json::from_str(&stderr_of(&output)).expect("stderr is JSON");
    let overlaps = report["overlaps"].as_array().expect("an overlaps list");
    assert_eq!(overlaps.len(), 1, "{report:#}");
    let overlap = &overlaps[0];
    assert_eq!(overlap["kind"], "same-lines");
    assert_eq!(overlap["severity"], "high");
    assert_eq!(overlap["path"], "src/lib.rs");
    assert_eq!(overlap["base_lines"]["start"], 11);
    assert_eq!(overlap["base_lines"]["end"], 11);
    assert_eq!(overlap["merged_lines"]["start"], 12);
    assert_eq!(overlap["merged_lines"]["end"], 13);
    assert_eq!(
        overlap["current"],
        "@@ -11 +11 @@\n-    value * 2\n+    value << 1\n"
    );
    assert_eq!(
        overlap["incoming"],
        "@@ -11 +12 @@\n-    value * 2\n+    value + value\n"
    );
}

#[test]
fn merge_file_markers_only_high() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    // A high overlap in double() and a low one in parse().
    let ours = LIB_RS
        .replace("value * 2", "value << 1")
        .replace("input.trim()", "input.trim_start()");
    let theirs = LIB_RS
        .replace("value * 2", "value + value")
        .replace("unwrap_or(0)", "unwrap_or_default()");
    write_inputs(dir, &ours, LIB_RS, &theirs);

    let output = run_weft(
        dir,
        &[
            "merge-file",
            "-p",
            "--markers",
            "-L",
            "ours",
            "-L",
            "base",
            "-L",
            "theirs",
            "current",
            "base",
            "other",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let marked = stdout_of(&output);
    let expected = ours
        .replace("unwrap_or(0)", "unwrap_or_default()")
        .replace(
            "    value << 1\n",
            "<<<<<<< ours\n    value << 1\n||||||| base\n    value * 2\n=======\n    value + value\n>>>>>>> theirs\n",
        );
    assert_eq!(marked, expected);
    assert_eq!(marked.matches("<<<<<<<").count(), 1);
    assert_eq!(
        stderr_of(&output),
        "adjacent (low) lines 2-3\nsame-lines (high) lines 11-17\n"
    );
}

#[test]
fn merge_file_binary_keeps_current() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    fs::write(dir.join("current"), b"\x89PNG\0ours").expect("write current");
    fs::write(dir.join("base"), b"\x89PNG\0base").expect("write base");
    fs::write(dir.join("other"), b"\x89PNG\0theirs").expect("write other");

    let output = run_weft(
        dir,
        &[
            "merge-file",
            "--path",
            "logo.png",
            "current",
            "base",
            "other",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).starts_with("binary (high) logo.png "),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(
        fs::read(dir.join("current")).expect("read current"),
        b"\x89PNG\0ours"
    );
}

#[test]
fn merge_file_missing_input_exits_255() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write_inputs(dir, LIB_RS, LIB_RS, LIB_RS);

    let output = run_weft(dir, &["merge-file", "current", "missing-base", "other"]);
    assert_eq!(output.status.code(), Some(255));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("failed to read BASE file missing-base"),
        "{stderr}"
    );

    let usage = run_weft(dir, &["merge-file", "current", "base"]);
    assert_eq!(usage.status.code(), Some(255), "{}", stderr_of(&usage));
}
