//! Overlaps that need the syntax of the code: a definition changed by one
//! agent and used by another in a different file, through the real server
//! and two working copies.

use std::fs;

use serde_json::Value;
use weft_e2e::{ServerProcess, clone_copy, run_weft_ok};

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
        clone_copy(copy, &server.url, agent);
    }

    // a adds a parameter; b, not having seen that, adds a call with two.
    let changed = LIB.replace(
        "h: u32) -> u32 {\n    w * h",
        "h: u32, scale: u32) -> u32 {\n    w * h * scale",
    );
    fs::write(a.join("src/lib.rs"), changed).expect("edit lib.rs");
    run_weft_ok(&a, &["sync"]);
    let called = MAIN.replace(
        "fn main() {\n",
        "fn main() {\n    let _unit = lib::area(1, 1);\n",
    );
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
    assert_eq!(
        uses.len(),
        1,
        "one definition-use overlap, got {overlaps:?}"
    );
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
        clone_copy(copy, &server.url, agent);
    }

    // a changes the body only; b adds a call: nothing to report.
    fs::write(a.join("src/lib.rs"), LIB.replace("w * h", "h * w")).expect("edit lib.rs");
    run_weft_ok(&a, &["sync"]);
    let called = MAIN.replace(
        "fn main() {\n",
        "fn main() {\n    let _unit = lib::area(1, 1);\n",
    );
    fs::write(b.join("src/main.rs"), called).expect("edit main.rs");
    let output = run_weft_ok(&b, &["sync"]);
    assert!(
        !output.contains("overlap"),
        "no overlap for a body change: {output}"
    );
}

/// Writes `current` as agent-a and then `incoming` as agent-b, both based
/// on the imported version of `path`, and returns the kinds b's write
/// reported.
async fn kinds_of_race(path: &str, base: &str, current: &str, incoming: &str) -> Vec<String> {
    let sandbox = weft_e2e::Sandbox::with_files(&[(path, base.as_bytes())]);
    let server = sandbox.start();
    let mut a = weft_e2e::Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = weft_e2e::Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let version = a.version(path).await.expect("read");
    a.write_text(path, &version, current)
        .await
        .expect("a writes");
    let reply = b
        .write_text(path, &version, incoming)
        .await
        .expect("b writes");
    weft_e2e::overlaps_of(&reply)
        .iter()
        .filter_map(|overlap| overlap["kind"].as_str().map(str::to_owned))
        .collect()
}

const PY: &str = "class Store:\n    def load(self, key):\n        value = self.data.get(key)\n        if value is None:\n            return None\n        self.hits += 1\n        self.log(key)\n        return value\n\n    def save(self, key, value):\n        self.data[key] = value\n";

#[tokio::test]
async fn python_same_method_is_same_symbol() {
    let current = PY.replace(
        "        value = self.data.get(key)\n",
        "        value = self.data.get(key, None)\n",
    );
    let incoming = PY.replace("        return value\n", "        return value or None\n");
    let kinds = kinds_of_race("store.py", PY, &current, &incoming).await;
    assert_eq!(kinds, ["same-symbol"]);
}

#[tokio::test]
async fn python_two_methods_raise_nothing() {
    let current = PY.replace(
        "        value = self.data.get(key)\n",
        "        value = self.data.get(key, None)\n",
    );
    let incoming = PY.replace(
        "        self.data[key] = value\n",
        "        self.data[key] = value.copy()\n",
    );
    let kinds = kinds_of_race("store.py", PY, &current, &incoming).await;
    assert!(kinds.is_empty(), "{kinds:?}");
}

#[tokio::test]
async fn duplicate_use_line_is_reported() {
    let base = "use std::fmt;\n\nfn main() {}\n";
    let current = "use std::fmt;\nuse std::io;\n\nfn main() {}\n";
    let incoming = "use std::io;\nuse std::fmt;\n\nfn main() {}\n";
    let kinds = kinds_of_race("src/main.rs", base, current, incoming).await;
    assert!(
        kinds.contains(&"duplicate-definition".to_owned()),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn json_same_key_versus_different_keys() {
    let base = "{\"name\": \"weft\", \"port\": 7420, \"debug\": false}\n";
    let same = kinds_of_race(
        "config.json",
        base,
        &base.replace("7420", "7421"),
        &base.replace("7420", "8080"),
    )
    .await;
    assert!(same.contains(&"same-key".to_owned()), "{same:?}");

    let different = kinds_of_race(
        "config.json",
        base,
        &base.replace("7420", "7421"),
        &base.replace("false", "true"),
    )
    .await;
    assert!(!different.contains(&"same-key".to_owned()), "{different:?}");
    assert!(
        !different.contains(&"same-lines".to_owned()),
        "different keys are not same-lines: {different:?}"
    );
}

#[tokio::test]
async fn lock_file_changed_twice_says_regenerate() {
    let base = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
    let kinds = kinds_of_race(
        "Cargo.lock",
        base,
        &base.replace("1.0.0", "1.0.1"),
        &format!("{base}\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n"),
    )
    .await;
    assert!(kinds.contains(&"regenerate".to_owned()), "{kinds:?}");
}
