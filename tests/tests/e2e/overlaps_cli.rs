//! Overlaps through the `weft` binary: `weft sync` prints an overlap with
//! its merged region, `weft overlaps` lists it for both agents, `weft
//! overlaps ack` takes it off the list, and `weft sync --dry-run` previews
//! a conflicting edit without changing anything.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use weft_e2e::{Sandbox, ServerProcess, TOKEN, run_weft, run_weft_ok};

const BASE: &str = "fn main() {\n    let x = 1;\n    run(x);\n}\n";
const LINE_A: &str = "    let x = 2;";
const LINE_B: &str = "    let x = 3;";

/// A server with `main.rs` and two working copies of it, `a` as agent-a
/// and `b` as agent-b.
struct TwoCopies {
    /// Kept so that the folders stay and the server runs until the test
    /// ends.
    _sandbox: Sandbox,
    _server: ServerProcess,
    a: PathBuf,
    b: PathBuf,
}

impl TwoCopies {
    fn start() -> TwoCopies {
        let sandbox = Sandbox::with_files(&[("main.rs", BASE.as_bytes())]);
        let server = sandbox.start();
        let a = clone(&sandbox, &server, "a", "agent-a");
        let b = clone(&sandbox, &server, "b", "agent-b");
        TwoCopies {
            _sandbox: sandbox,
            _server: server,
            a,
            b,
        }
    }

    /// Makes both agents change `let x = 1;` differently: agent-a syncs
    /// first, then agent-b's edit waits in its copy, not yet synced.
    fn edit_same_line(&self) {
        fs::write(self.a.join("main.rs"), BASE.replace("x = 1", "x = 2")).expect("edit a");
        fs::write(self.b.join("main.rs"), BASE.replace("x = 1", "x = 3")).expect("edit b");
        let synced = run_weft_ok(&self.a, &["sync"]);
        assert_eq!(synced, "sent    main.rs\n");
    }

    /// Runs `weft overlaps ARGS --json` in `copy` and returns the listed
    /// overlaps.
    fn listed(&self, copy: &Path, args: &[&str]) -> Vec<Value> {
        let mut full = vec!["overlaps", "--json"];
        full.extend_from_slice(args);
        let printed = run_weft_ok(copy, &full);
        let result: Value = serde_json::from_str(&printed).expect("overlaps --json prints JSON");
        result["overlaps"]
            .as_array()
            .unwrap_or_else(|| panic!("a list of overlaps, got {result}"))
            .clone()
    }
}

fn clone(sandbox: &Sandbox, server: &ServerProcess, name: &str, agent: &str) -> PathBuf {
    let copy = sandbox.root().join(name);
    let copy_arg = copy.to_str().expect("temp paths are UTF-8");
    run_weft_ok(
        sandbox.root(),
        &[
            "clone",
            &server.url,
            copy_arg,
            "--agent",
            agent,
            "--token",
            TOKEN,
        ],
    );
    copy
}

/// Returns the id from the first line that starts with `overlap ov-`.
fn printed_overlap_id(printed: &str) -> String {
    let header = printed
        .lines()
        .find(|line| line.starts_with("overlap ov-"))
        .unwrap_or_else(|| panic!("an overlap header with an id in:\n{printed}"));
    header
        .split_whitespace()
        .nth(1)
        .expect("the id follows `overlap`")
        .to_owned()
}

/// Reads every file under `root`, the `.weft` folder included.
fn read_all(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("readable folder") {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).expect("readable file");
                files.insert(path, bytes);
            }
        }
    }
    files
}

/// What the server reports about the workspace: its listing, the file with
/// its version, the file's log and every overlap.
fn server_view(copy: &Path) -> Vec<String> {
    [
        vec!["ls", "--json"],
        vec!["read", "main.rs", "--json"],
        vec!["log", "main.rs", "--json"],
        vec!["overlaps", "--all", "--json"],
    ]
    .iter()
    .map(|args| run_weft_ok(copy, args))
    .collect()
}

#[test]
fn sync_prints_overlap_and_merged_region() {
    let copies = TwoCopies::start();
    copies.edit_same_line();

    let printed = run_weft_ok(&copies.b, &["sync"]);
    let id = printed_overlap_id(&printed);
    let expected = format!(
        "merged  main.rs\n\
         overlap {id} same-lines (high) main.rs lines 2-2 with agent-a\n  \
         current:\n    @@ -2 +2 @@\n    -    let x = 1;\n    +{LINE_A}\n  \
         incoming:\n    @@ -2 +2 @@\n    -    let x = 1;\n    +{LINE_B}\n  \
         merged (lines 2-3):\n    {LINE_A}\n    {LINE_B}\n"
    );
    assert_eq!(printed, expected);
    let merged = fs::read_to_string(copies.b.join("main.rs")).expect("merged file");
    assert!(
        merged.contains(&format!("{LINE_A}\n{LINE_B}\n")),
        "{merged}"
    );
}

#[test]
fn sync_json_carries_overlap_record() {
    let copies = TwoCopies::start();
    copies.edit_same_line();

    let printed = run_weft_ok(&copies.b, &["sync", "--json"]);
    let outcome: Value = serde_json::from_str(printed.trim()).expect("one JSON line");
    let overlap = &outcome["overlaps"][0];
    assert_eq!(outcome["action"], "merged");
    assert!(
        overlap["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("ov-")),
        "{overlap}"
    );
    assert_eq!(overlap["state"], "open");
    assert_eq!(overlap["path"], "main.rs");
    assert_eq!(overlap["merged_lines"]["start"], 2);
    assert_eq!(overlap["merged_lines"]["end"], 3);
    assert!(overlap["versions"]["result"].is_array(), "{overlap}");
}

#[test]
fn overlaps_listed_for_both_agents() {
    let copies = TwoCopies::start();
    copies.edit_same_line();
    let id = printed_overlap_id(&run_weft_ok(&copies.b, &["sync"]));

    for copy in [&copies.a, &copies.b] {
        let printed = run_weft_ok(copy, &["overlaps"]);
        let header =
            format!("{id} same-lines (high) main.rs lines 2-2 with agent-a,agent-b [open]\n");
        assert!(
            printed.starts_with(&header),
            "{}:\n{printed}",
            copy.display()
        );
        assert!(printed.contains(&format!("    +{LINE_A}\n")), "{printed}");
        assert!(printed.contains(&format!("    +{LINE_B}\n")), "{printed}");

        let listed = copies.listed(copy, &[]);
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0]["id"], id.as_str());
        assert_eq!(listed[0]["state"], "open");
        assert_eq!(
            listed[0]["agents"],
            serde_json::json!(["agent-a", "agent-b"])
        );
    }

    // An agent with no part in it does not see it without --all.
    let outsider = run_weft_ok(&copies.a, &["overlaps", "--agent", "agent-c"]);
    assert_eq!(outsider, "no open overlaps involve agent \"agent-c\"\n");
    let everyone = copies.listed(&copies.a, &["--all", "--agent", "agent-c"]);
    assert_eq!(everyone.len(), 1, "{everyone:?}");
}

#[test]
fn ack_takes_overlap_off_list() {
    let copies = TwoCopies::start();
    copies.edit_same_line();
    let id = printed_overlap_id(&run_weft_ok(&copies.b, &["sync"]));

    let note = "kept both, agent-b's value wins";
    let printed = run_weft_ok(&copies.a, &["overlaps", "ack", &id, "--note", note]);
    assert_eq!(printed, format!("acknowledged {id}\n"));

    for (copy, agent) in [(&copies.a, "agent-a"), (&copies.b, "agent-b")] {
        let printed = run_weft_ok(copy, &["overlaps"]);
        assert_eq!(
            printed,
            format!("no open overlaps involve agent \"{agent}\"\n")
        );
    }
    let all = copies.listed(&copies.b, &["--all"]);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["id"], id.as_str());
    assert_eq!(all[0]["state"], "acknowledged");
    assert_eq!(all[0]["note"], note);

    let listed = run_weft_ok(&copies.b, &["overlaps", "--all"]);
    assert!(listed.contains("[acknowledged]"), "{listed}");
    assert!(listed.contains(&format!("\n  note: {note}\n")), "{listed}");
}

#[test]
fn ack_of_unknown_overlap_fails() {
    let copies = TwoCopies::start();
    let output = run_weft(
        &copies.a,
        &["overlaps", "ack", "ov-000000000000", "--note", "x"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not_found"), "{stderr}");
    assert!(stderr.contains("ov-000000000000"), "{stderr}");
}

#[test]
fn dry_run_previews_and_changes_nothing() {
    let copies = TwoCopies::start();
    copies.edit_same_line();
    fs::write(copies.b.join("new.txt"), "new\n").expect("add a file in b");
    let files_before = read_all(&copies.b);
    let server_before = server_view(&copies.a);

    let printed = run_weft_ok(&copies.b, &["sync", "--dry-run"]);
    let expected = format!(
        "would merge main.rs\n\
         overlap same-lines (high) main.rs lines 2-2 with agent-a\n  \
         current:\n    @@ -2 +2 @@\n    -    let x = 1;\n    +{LINE_A}\n  \
         incoming:\n    @@ -2 +2 @@\n    -    let x = 1;\n    +{LINE_B}\n  \
         merged (lines 2-3):\n    {LINE_A}\n    {LINE_B}\n\
         would create new.txt\n"
    );
    assert_eq!(printed, expected);

    assert_eq!(
        read_all(&copies.b),
        files_before,
        "files and state.json stay"
    );
    assert_eq!(server_view(&copies.a), server_before, "the server stays");

    // The edit is still there to sync for real.
    let synced = run_weft_ok(&copies.b, &["sync"]);
    assert!(
        synced.starts_with("merged  main.rs\noverlap ov-"),
        "{synced}"
    );
    assert!(synced.ends_with("created new.txt\n"), "{synced}");
}

#[test]
fn dry_run_reports_downloads_and_deletes() {
    let copies = TwoCopies::start();
    fs::write(copies.a.join("main.rs"), BASE.replace("run(x)", "go(x)")).expect("edit a");
    fs::write(copies.a.join("added.txt"), "added\n").expect("add in a");
    run_weft_ok(&copies.a, &["sync"]);
    let files_before = read_all(&copies.b);

    let printed = run_weft_ok(&copies.b, &["sync", "--dry-run", "--json"]);
    let lines: Vec<Value> = printed
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let actions: Vec<(&str, &str)> = lines
        .iter()
        .map(|line| {
            assert_eq!(line["dry_run"], true, "{line}");
            (
                line["action"].as_str().expect("an action"),
                line["path"].as_str().expect("a path"),
            )
        })
        .collect();
    assert_eq!(actions, [("added", "added.txt"), ("updated", "main.rs")]);
    assert_eq!(read_all(&copies.b), files_before, "nothing is downloaded");

    fs::remove_file(copies.b.join("main.rs")).expect("delete in b");
    let printed = run_weft_ok(&copies.b, &["sync", "--dry-run"]);
    assert_eq!(
        printed,
        "would add added.txt\nwould restore main.rs: deleted locally, but changed on the server since; the server's version is back\n"
    );
    assert!(!copies.b.join("main.rs").exists(), "nothing is restored");
}
