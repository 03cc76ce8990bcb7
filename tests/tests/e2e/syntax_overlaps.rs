//! Overlaps that need the syntax of the code: a definition changed by one
//! agent and used by another in a different file, through the real server
//! and two working copies.

use std::fs;

use serde_json::Value;
use weft_e2e::{ServerProcess, TOKEN, run_weft_ok};

const LIB: &str = "pub fn area(w: u32, h: u32) -> u32 {\n    w * h\n}\n";
const MAIN: &str = "mod lib;\n\nfn main() {\n    println!(\"{}\", lib::area(2, 3));\n}\n";

#[test]
fn signature_change_meets_new_call() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path().join("repo");
    fs::create_dir_all(repo.join("src")).expect("repo");
    fs::write(repo.join("src/lib.rs"), LIB).expect("lib.rs");
    fs::write(repo.join("src/main.rs"), MAIN).expect("main.rs");
    let server = ServerProcess::start(&repo, &temp.path().join("store"));
    let top = temp.path();
    let a = top.join("a");
    let b = top.join("b");
    for (copy, agent) in [(&a, "agent-a"), (&b, "agent-b")] {
        let copy_arg = copy.to_str().expect("utf-8");
        run_weft_ok(top, &["clone", &server.url, copy_arg, "--agent", agent, "--token", TOKEN]);
    }

    // a adds a parameter; b, not having seen that, adds a call with two.
    let changed = LIB.replace("h: u32) -> u32 {\n    w * h", "h: u32, scale: u32) -> u32 {\n    w * h * scale");
    fs::write(a.join("src/lib.rs"), changed).expect("edit lib.rs");
    run_weft_ok(&a, &["sync"]);
    let called = MAIN.replace("fn main() {\n", "fn main() {\n    let _unit = lib::area(1, 1);\n");
    fs::write(b.join("src/main.rs"), called).expect("edit main.rs");
    let output = run_weft_ok(&b, &["sync", "--json"]);

    let overlaps: Vec<Value> = output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|line| line.get("overlaps").and_then(Value::as_array).cloned())
        .flatten()
        .collect();
    let uses: Vec<&Value> = overlaps
        .iter()
        .filter(|overlap| overlap["kind"] == "definition-use")
        .collect();
    assert_eq!(uses.len(), 1, "one definition-use overlap, got {overlaps:?}");
    assert_eq!(uses[0]["severity"], "medium");
    assert_eq!(uses[0]["path"], "src/main.rs");
    assert_eq!(uses[0]["other_path"], "src/lib.rs");
    assert_eq!(uses[0]["agents"], serde_json::json!(["agent-a", "agent-b"]));
    let message = uses[0]["message"].as_str().expect("a message");
    assert!(message.contains("area"), "{message}");

    // The holder of the changed definition hears of it too.
    let listed = run_weft_ok(&a, &["overlaps", "--json"]);
    let listed: Value = serde_json::from_str(&listed).expect("JSON");
    let kinds: Vec<&Value> = listed["overlaps"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|overlap| &overlap["kind"])
        .collect();
    assert_eq!(kinds, [&serde_json::json!("definition-use")]);
}

#[test]
fn unrelated_files_raise_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path().join("repo");
    fs::create_dir_all(repo.join("src")).expect("repo");
    fs::write(repo.join("src/lib.rs"), LIB).expect("lib.rs");
    fs::write(repo.join("src/main.rs"), MAIN).expect("main.rs");
    let server = ServerProcess::start(&repo, &temp.path().join("store"));
    let top = temp.path();
    let a = top.join("a");
    let b = top.join("b");
    for (copy, agent) in [(&a, "agent-a"), (&b, "agent-b")] {
        let copy_arg = copy.to_str().expect("utf-8");
        run_weft_ok(top, &["clone", &server.url, copy_arg, "--agent", agent, "--token", TOKEN]);
    }

    // a changes the body only; b adds a call: nothing to report.
    fs::write(a.join("src/lib.rs"), LIB.replace("w * h", "h * w")).expect("edit lib.rs");
    run_weft_ok(&a, &["sync"]);
    let called = MAIN.replace("fn main() {\n", "fn main() {\n    let _unit = lib::area(1, 1);\n");
    fs::write(b.join("src/main.rs"), called).expect("edit main.rs");
    let output = run_weft_ok(&b, &["sync"]);
    assert!(!output.contains("overlap"), "no overlap for a body change: {output}");
}
