//! Write ids: a write or create repeated after a lost reply is applied
//! once, and the same id from another agent or for another file is a new
//! write.

use serde_json::json;
use weft_e2e::{Client, Sandbox};

#[tokio::test]
async fn repeated_write_id_applies_once() {
    let sandbox = Sandbox::with_files(&[("notes.md", b"first\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "a").await.expect("connect");
    let base = client.read("notes.md").await.expect("read")["version"].clone();

    let write = json!({
        "type": "write",
        "path": "notes.md",
        "base": base,
        "text": "first\nsecond\n",
        "write_id": "a-retry-1",
    });
    let first = client.call(write.clone()).await.expect("first write");
    let second = client.call(write).await.expect("repeated write");

    assert_eq!(
        first["text"],
        json!("first\nsecond\n"),
        "the first write applies the new line"
    );
    assert_eq!(
        second["text"],
        json!("first\nsecond\n"),
        "the repeated write does not add the line again"
    );
    assert_eq!(
        second["version"], first["version"],
        "the repeated write gets the first reply's version"
    );
    let read = client.read("notes.md").await.expect("read after the retry");
    assert_eq!(
        read["text"],
        json!("first\nsecond\n"),
        "the file holds the new line once"
    );
    assert_eq!(
        read["version"], first["version"],
        "the retry made no new change"
    );
    let log = client
        .call(json!({"type": "log", "path": "notes.md"}))
        .await
        .expect("log");
    let changes = log["changes"].as_array().expect("a list of changes");
    assert_eq!(
        changes.len(),
        2,
        "the history holds the import and one write, got {log}"
    );
}

#[tokio::test]
async fn repeated_create_applies_once() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");

    let create =
        json!({"type": "create", "path": "new.txt", "text": "new\n", "write_id": "a-create-1"});
    let first = a.call(create.clone()).await.expect("create");
    assert_eq!(
        first["created"],
        json!(true),
        "the first create creates the file"
    );
    let repeated = a.call(create.clone()).await.expect("the repeated create");
    assert_eq!(
        repeated["version"], first["version"],
        "the repeated create gets the first reply's version"
    );
    assert_eq!(
        repeated["created"],
        json!(true),
        "the repeated create gets the first reply"
    );

    // Another agent edits the file before the lost reply is retried.
    b.write_text("new.txt", &first["version"], "new\nmore\n")
        .await
        .expect("b edits the new file");
    let late = a
        .call(create)
        .await
        .expect("the create retried after b's edit");
    assert_eq!(
        late["version"], first["version"],
        "the late retry gets the first reply's version"
    );
    let read = b.read("new.txt").await.expect("read");
    assert_eq!(
        read["text"],
        json!("new\nmore\n"),
        "the late retry does not add the text again"
    );
}

#[tokio::test]
async fn reused_write_id_elsewhere_applies() {
    let sandbox = Sandbox::with_files(&[("notes.md", b"first\n"), ("todo.md", b"- ship\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let notes_base = a.read("notes.md").await.expect("read")["version"].clone();
    let todo_base = a.read("todo.md").await.expect("read")["version"].clone();

    // Clients choose write ids, so two clients counting from 1 send the
    // same id for different writes.
    let a_notes = json!({
        "type": "write", "path": "notes.md", "base": notes_base,
        "text": "first\nfrom a\n", "write_id": "1",
    });
    a.call(a_notes).await.expect("a writes notes.md");
    let b_notes = json!({
        "type": "write", "path": "notes.md", "base": notes_base,
        "text": "from b\nfirst\n", "write_id": "1",
    });
    let b_reply = b.call(b_notes).await.expect("b writes notes.md");
    assert_eq!(
        b_reply["text"],
        json!("from b\nfirst\nfrom a\n"),
        "another agent's write with the same id is applied, not answered with a's reply"
    );
    let a_todo = json!({
        "type": "write", "path": "todo.md", "base": todo_base,
        "text": "- ship\n- test\n", "write_id": "1",
    });
    let todo_reply = a.call(a_todo).await.expect("a writes todo.md");
    assert_eq!(
        todo_reply["path"],
        json!("todo.md"),
        "the reply is about the file written"
    );
    assert_eq!(
        todo_reply["text"],
        json!("- ship\n- test\n"),
        "the same agent's id on another file is a new write"
    );
}
