//! Overlaps as records over the protocol: listed for the agents involved,
//! acknowledged with a note, resolved by a later write over their region,
//! kept across a restart, and previewed without a write.

use serde_json::{Value, json};
use weft_e2e::{Client, Sandbox, overlaps_of};

const BASE: &str = "fn main() {\n    let x = 1;\n    run(x);\n}\n";

/// Makes agent-a and agent-b change `let x = 1;` differently; returns
/// both clients and the overlap that b's write opened.
async fn same_line_conflict(url: &str) -> (Client, Client, Value) {
    let mut a = Client::connect(url, "agent-a").await.expect("connect a");
    let mut b = Client::connect(url, "agent-b").await.expect("connect b");
    let base = a.version("main.rs").await.expect("read");
    a.write_text("main.rs", &base, &BASE.replace("x = 1", "x = 2"))
        .await
        .expect("a writes");
    let reply = b
        .write_text("main.rs", &base, &BASE.replace("x = 1", "x = 3"))
        .await
        .expect("b writes");
    let overlaps = overlaps_of(&reply);
    assert_eq!(overlaps.len(), 1, "one overlap: {reply}");
    (a, b, overlaps[0].clone())
}

async fn list(client: &mut Client, all: bool) -> Vec<Value> {
    let result = client
        .call(json!({"type": "overlaps", "all": all}))
        .await
        .expect("list overlaps");
    result["overlaps"].as_array().expect("a list").clone()
}

#[tokio::test]
async fn overlap_acknowledged_survives_restart() {
    let sandbox = Sandbox::with_files(&[("main.rs", BASE.as_bytes())]);
    let server = sandbox.start();
    let (mut a, _b, opened) = same_line_conflict(&server.url).await;
    let id = opened["id"].as_str().expect("an id").to_owned();
    assert_eq!(opened["state"], json!("open"));
    assert_eq!(
        opened["merged_lines"],
        json!({"start": 2, "end": 3}),
        "{opened}"
    );

    let listed = list(&mut a, false).await;
    assert_eq!(listed.len(), 1, "a is involved, so a sees it");
    assert_eq!(listed[0]["id"], json!(id));
    let mut c = Client::connect(&server.url, "agent-c")
        .await
        .expect("connect c");
    assert!(list(&mut c, false).await.is_empty(), "c is not involved");
    assert_eq!(list(&mut c, true).await.len(), 1, "all lists every overlap");

    let acked = a
        .call(json!({"type": "ack", "overlap": id, "note": "b's value wins"}))
        .await
        .expect("ack");
    assert_eq!(acked["overlap"]["state"], json!("acknowledged"));
    assert!(
        list(&mut a, false).await.is_empty(),
        "an acknowledged overlap leaves the default list"
    );

    assert!(server.stop(), "the server stops cleanly");
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("reconnect");
    let kept = list(&mut a, true).await;
    assert_eq!(kept.len(), 1, "the overlap survives the restart");
    assert_eq!(kept[0]["state"], json!("acknowledged"));
    assert_eq!(kept[0]["note"], json!("b's value wins"));
}

#[tokio::test]
async fn write_over_region_resolves_overlap() {
    let sandbox = Sandbox::with_files(&[("main.rs", BASE.as_bytes())]);
    let server = sandbox.start();
    let (_a, mut b, opened) = same_line_conflict(&server.url).await;

    // b reads the merged text (both lines) and keeps one of them.
    let merged = b.read("main.rs").await.expect("read the merge");
    assert_eq!(
        merged["text"],
        json!("fn main() {\n    let x = 2;\n    let x = 3;\n    run(x);\n}\n")
    );
    b.write_text(
        "main.rs",
        &merged["version"],
        &BASE.replace("x = 1", "x = 3"),
    )
    .await
    .expect("b fixes the region");

    let all = list(&mut b, true).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["id"], opened["id"]);
    assert_eq!(all[0]["state"], json!("resolved"), "{}", all[0]);
}

#[tokio::test]
async fn unrelated_write_leaves_overlap_open() {
    let text = format!("{BASE}\nfn other() {{}}\n");
    let sandbox = Sandbox::with_files(&[("main.rs", text.as_bytes())]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.version("main.rs").await.expect("read");
    a.write_text("main.rs", &base, &text.replace("x = 1", "x = 2"))
        .await
        .expect("a writes");
    b.write_text("main.rs", &base, &text.replace("x = 1", "x = 3"))
        .await
        .expect("b writes");

    let merged = b.read("main.rs").await.expect("read");
    let edited = merged["text"]
        .as_str()
        .expect("text")
        .replace("fn other() {}", "fn other() { run(0); }");
    b.write_text("main.rs", &merged["version"], &edited)
        .await
        .expect("b edits elsewhere");

    let all = list(&mut b, true).await;
    assert_eq!(
        all[0]["state"],
        json!("open"),
        "a write outside the region resolves nothing"
    );
}

#[tokio::test]
async fn preview_reports_without_writing() {
    let sandbox = Sandbox::with_files(&[("main.rs", BASE.as_bytes())]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.version("main.rs").await.expect("read");
    a.write_text("main.rs", &base, &BASE.replace("x = 1", "x = 2"))
        .await
        .expect("a writes");
    let before = b.read("main.rs").await.expect("read");

    let preview = b
        .call(json!({"type": "preview", "path": "main.rs", "base": base, "text": BASE.replace("x = 1", "x = 3")}))
        .await
        .expect("preview");
    assert_eq!(
        preview["text"],
        json!("fn main() {\n    let x = 2;\n    let x = 3;\n    run(x);\n}\n")
    );
    let overlaps = overlaps_of(&preview);
    assert_eq!(overlaps.len(), 1);
    assert_eq!(overlaps[0]["kind"], json!("same-lines"));
    assert_eq!(overlaps[0]["state"], json!("preview"));

    let after = b.read("main.rs").await.expect("read again");
    assert_eq!(
        after["version"], before["version"],
        "a preview writes nothing"
    );
    assert!(
        list(&mut b, true).await.is_empty(),
        "a preview stores no overlap"
    );
}

#[tokio::test]
async fn edit_of_deleted_file_reports_delete_edit() {
    let sandbox = Sandbox::with_files(&[("notes.md", b"one\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.version("notes.md").await.expect("read");

    b.call(json!({"type": "delete", "path": "notes.md"}))
        .await
        .expect("b deletes");
    let reply = a
        .write_text("notes.md", &base, "one\ntwo\n")
        .await
        .expect("a edits the deleted file");

    let overlaps = overlaps_of(&reply);
    assert_eq!(overlaps.len(), 1, "{reply}");
    assert_eq!(overlaps[0]["kind"], json!("delete-edit"));
    assert_eq!(overlaps[0]["severity"], json!("high"));
    assert_eq!(overlaps[0]["agents"], json!(["agent-b", "agent-a"]));
    let message = overlaps[0]["message"].as_str().expect("a message");
    assert!(message.contains("agent-b deleted notes.md"), "{message}");
    assert_eq!(
        a.read("notes.md").await.expect("kept")["text"],
        json!("one\ntwo\n")
    );
}

#[tokio::test]
async fn touching_lines_report_adjacent() {
    let sandbox = Sandbox::with_files(&[("list.txt", b"a\nb\nc\nd\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.version("list.txt").await.expect("read");
    a.write_text("list.txt", &base, "a\nB\nc\nd\n")
        .await
        .expect("a writes");
    let reply = b
        .write_text("list.txt", &base, "a\nb\nC\nd\n")
        .await
        .expect("b writes");

    assert_eq!(reply["text"], json!("a\nB\nC\nd\n"), "both edits merge");
    let overlaps = overlaps_of(&reply);
    assert_eq!(overlaps.len(), 1, "{reply}");
    assert_eq!(overlaps[0]["kind"], json!("adjacent"));
    assert_eq!(overlaps[0]["severity"], json!("low"));
}

#[tokio::test]
async fn delete_after_foreign_edit_keeps_file() {
    let sandbox = Sandbox::with_files(&[("notes.md", b"one\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = b.version("notes.md").await.expect("b reads");

    a.write_text("notes.md", &base, "one\ntwo\n")
        .await
        .expect("a edits");
    let reply = b
        .call(json!({"type": "delete", "path": "notes.md", "base": base}))
        .await
        .expect("b deletes from its old version");

    assert_eq!(reply["kept"], json!(true), "{reply}");
    let overlaps = overlaps_of(&reply);
    assert_eq!(overlaps.len(), 1);
    assert_eq!(overlaps[0]["kind"], json!("delete-edit"));
    assert_eq!(overlaps[0]["agents"], json!(["agent-a", "agent-b"]));
    assert_eq!(
        b.read("notes.md").await.expect("kept")["text"],
        json!("one\ntwo\n")
    );

    // From the current version the delete goes through.
    let current = b.version("notes.md").await.expect("read again");
    let reply = b
        .call(json!({"type": "delete", "path": "notes.md", "base": current}))
        .await
        .expect("b deletes");
    assert_eq!(reply["kept"], json!(false));
}

#[tokio::test]
async fn overlap_names_agent_of_its_hunk() {
    let text: String = (1..=12).map(|n| format!("line {n}\n")).collect();
    let sandbox = Sandbox::with_files(&[("list.txt", text.as_bytes())]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let mut c = Client::connect(&server.url, "agent-c")
        .await
        .expect("connect c");
    let base = a.version("list.txt").await.expect("read");

    let after_a = a
        .write_text("list.txt", &base, &text.replace("line 2\n", "line two\n"))
        .await
        .expect("a writes line 2");
    c.write_text(
        "list.txt",
        &after_a["version"],
        &after_a["text"]
            .as_str()
            .expect("text")
            .replace("line 11\n", "line eleven\n"),
    )
    .await
    .expect("c writes line 11");
    let reply = b
        .write_text("list.txt", &base, &text.replace("line 2\n", "line 2 (b)\n"))
        .await
        .expect("b writes line 2");

    let overlaps = overlaps_of(&reply);
    assert_eq!(overlaps.len(), 1, "{reply}");
    assert_eq!(
        overlaps[0]["agents"],
        json!(["agent-a", "agent-b"]),
        "only the agent whose hunk it is, then the writer"
    );
}

/// Opens a same-lines overlap on line 5 of a 20-line file between agent-a
/// and agent-b; returns the three clients and the overlap's id.
async fn overlap_on_line_five(url: &str) -> (Client, Client, Client, String) {
    let mut a = Client::connect(url, "agent-a").await.expect("connect a");
    let mut b = Client::connect(url, "agent-b").await.expect("connect b");
    let c = Client::connect(url, "agent-c").await.expect("connect c");
    let text: String = (1..=20).map(|n| format!("{n}\n")).collect();
    let base = a.version("n.txt").await.expect("read");
    a.write_text("n.txt", &base, &text.replace("\n5\n", "\n5a\n"))
        .await
        .expect("a writes");
    let reply = b
        .write_text("n.txt", &base, &text.replace("\n5\n", "\n5b\n"))
        .await
        .expect("b writes");
    let id = overlaps_of(&reply)[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    (a, b, c, id)
}

async fn state_of(client: &mut Client, id: &str) -> Value {
    list(client, true)
        .await
        .into_iter()
        .find(|record| record["id"] == id)
        .expect("the overlap is listed")["state"]
        .clone()
}

#[tokio::test]
async fn region_follows_lines_inserted_above() {
    let text: String = (1..=20).map(|n| format!("{n}\n")).collect();
    let sandbox = Sandbox::with_files(&[("n.txt", text.as_bytes())]);
    let server = sandbox.start();
    let (mut a, _b, mut c, id) = overlap_on_line_five(&server.url).await;

    // c inserts a line at the top; the region is now lines 6-7.
    let merged = c.read("n.txt").await.expect("read");
    let shifted = format!("x\n{}", merged["text"].as_str().expect("text"));
    c.write_text("n.txt", &merged["version"], &shifted)
        .await
        .expect("c writes");

    // a keeps its own version of the line, from the newest text.
    let newest = a.read("n.txt").await.expect("read");
    let fixed = newest["text"].as_str().expect("text").replace("5b\n", "");
    a.write_text("n.txt", &newest["version"], &fixed)
        .await
        .expect("a fixes");
    assert_eq!(state_of(&mut a, &id).await, json!("resolved"));
}

#[tokio::test]
async fn region_follows_lines_deleted_above() {
    let text: String = (1..=20).map(|n| format!("{n}\n")).collect();
    let sandbox = Sandbox::with_files(&[("n.txt", text.as_bytes())]);
    let server = sandbox.start();
    let (mut a, _b, mut c, id) = overlap_on_line_five(&server.url).await;

    // c deletes lines 1-3; the region is now lines 2-3.
    let merged = c.read("n.txt").await.expect("read");
    let shorter = merged["text"]
        .as_str()
        .expect("text")
        .replacen("1\n2\n3\n", "", 1);
    c.write_text("n.txt", &merged["version"], &shorter)
        .await
        .expect("c writes");

    // a edits what is now line 5 (it was line 8), outside the region.
    let newest = a.read("n.txt").await.expect("read");
    let elsewhere = newest["text"]
        .as_str()
        .expect("text")
        .replace("\n8\n", "\n8 edited\n");
    a.write_text("n.txt", &newest["version"], &elsewhere)
        .await
        .expect("a edits");
    assert_eq!(state_of(&mut a, &id).await, json!("open"));
}
