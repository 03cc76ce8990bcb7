//! What survives a restart: acknowledged writes after SIGKILL, two sessions
//! of one agent, a store that is kept (no second import) and a store that
//! is re-created (a fresh import that working copies do not belong to).

use std::fs;

use serde_json::{Value, json};
use weft_e2e::{Client, Sandbox, ServerProcess, TOKEN, clone_copy, run_weft, run_weft_ok};

/// Lists `(path, version)` of every file, sorted by path.
async fn versions(url: &str) -> Vec<(String, Value)> {
    let mut client = Client::connect(url, "reader").await.expect("connect");
    let list = client.call(json!({"type": "list"})).await.expect("list");
    let mut entries: Vec<(String, Value)> = list["files"]
        .as_array()
        .expect("a list of files")
        .iter()
        .map(|file| {
            (
                file["path"].as_str().expect("a path").to_owned(),
                file["version"].clone(),
            )
        })
        .collect();
    entries.sort_by(|left, right| left.0.cmp(&right.0));
    entries
}

/// Connects as `agent` and returns the client with its hello result.
async fn connect_with_hello(url: &str, agent: &str) -> (Client, Value) {
    let mut client = Client::connect_with_token(url, TOKEN)
        .await
        .expect("connect");
    let hello = client
        .call(json!({"type": "hello", "agent": agent}))
        .await
        .expect("hello");
    (client, hello)
}

#[tokio::test]
async fn acknowledged_write_survives_sigkill() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    let base = client.read("a.txt").await.expect("read")["version"].clone();

    let write = json!({"type": "write", "path": "a.txt", "base": base, "text": "a\nb\n", "write_id": "a-kill-1"});
    let acknowledged = client.call(write.clone()).await.expect("write");
    let create =
        json!({"type": "create", "path": "new.txt", "text": "new\n", "write_id": "a-kill-2"});
    let created = client.call(create.clone()).await.expect("create");
    drop(client);
    server.kill();

    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect after the restart");
    let read = client.read("a.txt").await.expect("read after the restart");
    assert_eq!(
        read["text"],
        json!("a\nb\n"),
        "the acknowledged write is in the store"
    );
    assert_eq!(
        read["version"], acknowledged["version"],
        "the file is at the acknowledged version"
    );
    let read_new = client
        .read("new.txt")
        .await
        .expect("the created file exists after the restart");
    assert_eq!(
        read_new["text"],
        json!("new\n"),
        "the acknowledged create is in the store"
    );
    assert_eq!(
        read_new["version"], created["version"],
        "the created file is at its acknowledged version"
    );

    let retried = client
        .call(write)
        .await
        .expect("the write retried after the restart");
    assert_eq!(
        retried["version"], acknowledged["version"],
        "the retry gets the recorded reply"
    );
    let read = client.read("a.txt").await.expect("read after the retry");
    assert_eq!(
        read["text"],
        json!("a\nb\n"),
        "the retried write is not applied twice"
    );
    let recreated = client
        .call(create)
        .await
        .expect("the create retried after the restart");
    assert_eq!(
        recreated, created,
        "the retried create gets the recorded reply"
    );
}

#[tokio::test]
async fn one_agent_two_sessions_merge() {
    let sandbox = Sandbox::with_files(&[("shared.txt", b"one\ntwo\nthree\n")]);
    let server = sandbox.start();
    let (mut first, first_hello) = connect_with_hello(&server.url, "a").await;
    let (mut second, second_hello) = connect_with_hello(&server.url, "a").await;
    assert_ne!(
        first_hello["actor"], second_hello["actor"],
        "each connection of agent a writes with its own actor id"
    );

    let base = first.read("shared.txt").await.expect("read")["version"].clone();
    first
        .write_text("shared.txt", &base, "ONE\ntwo\nthree\n")
        .await
        .expect("the first session writes");
    let merged = second
        .write_text("shared.txt", &base, "one\ntwo\nTHREE\n")
        .await
        .expect("the second session writes");
    assert_eq!(
        merged["text"],
        json!("ONE\ntwo\nTHREE\n"),
        "both sessions' changes merge"
    );
    drop(first);
    drop(second);
    assert!(server.stop(), "weft serve exits cleanly on SIGTERM");

    let server = sandbox.start();
    let mut reader = Client::connect(&server.url, "reader")
        .await
        .expect("connect after the restart");
    let read = reader
        .read("shared.txt")
        .await
        .expect("the document loads after a restart");
    assert_eq!(
        read["text"],
        json!("ONE\ntwo\nTHREE\n"),
        "the merged text survives the restart"
    );

    let log = reader
        .call(json!({"type": "log", "path": "shared.txt"}))
        .await
        .expect("log");
    let agents: Vec<&Value> = log["changes"]
        .as_array()
        .expect("a list of changes")
        .iter()
        .map(|change| &change["agent"])
        .collect();
    assert_eq!(
        agents.len(),
        3,
        "the history holds the import and both writes, got {log}"
    );
    let by_a = agents.iter().filter(|agent| ***agent == json!("a")).count();
    assert_eq!(
        by_a, 2,
        "both changes are recorded under agent a, got {log}"
    );

    let output = run_weft_ok(
        sandbox.root(),
        &[
            "log",
            "shared.txt",
            "--server",
            &server.url,
            "--token",
            TOKEN,
            "--json",
        ],
    );
    let printed: Value = serde_json::from_str(&output).expect("weft log --json prints JSON");
    let printed_by_a = printed["changes"]
        .as_array()
        .expect("a list of changes")
        .iter()
        .filter(|change| change["agent"] == json!("a"))
        .count();
    assert_eq!(
        printed_by_a, 2,
        "weft log shows both changes under agent a, got {output}"
    );
}

#[tokio::test]
async fn restart_keeps_store_without_reimport() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n"), ("src/b.rs", b"fn b() {}\n")]);
    let server = sandbox.start();
    let before = versions(&server.url).await;
    assert!(server.stop(), "weft serve exits cleanly on SIGTERM");

    let server = sandbox.start();
    let after = versions(&server.url).await;
    assert_eq!(
        after, before,
        "a restart on the same store leaves every version as it was"
    );
    let mut client = Client::connect(&server.url, "reader")
        .await
        .expect("connect");
    let log = client
        .call(json!({"type": "log", "path": "a.txt"}))
        .await
        .expect("log");
    assert_eq!(
        log["changes"].as_array().map(Vec::len),
        Some(1),
        "the restart added no import change, got {log}"
    );
}

#[tokio::test]
async fn reimport_keeps_text_once() {
    let sandbox = Sandbox::with_files(&[("main.rs", b"fn main() {}\n")]);
    let server = sandbox.start();
    let top = sandbox.root();
    let synced = top.join("synced");
    let edited = top.join("edited");
    for (copy, agent) in [(&synced, "agent-s"), (&edited, "agent-e")] {
        clone_copy(copy, &server.url, agent);
    }
    assert!(server.stop(), "weft serve exits cleanly on SIGTERM");

    // A fresh import of the same folder: same text, unrelated history.
    fs::remove_dir_all(&sandbox.store).expect("delete the store");
    let server: ServerProcess = sandbox.start();
    let url = server.url.as_str();

    // Both copies come from the old workspace: a sync is refused before it
    // changes anything, with or without local edits, and says to clone
    // again.
    let local_edit = "fn main() { println!(\"edited\"); }\n";
    fs::write(edited.join("main.rs"), local_edit).expect("edit");
    for copy in [&synced, &edited] {
        let output = run_weft(copy, &["sync", "--server", url]);
        assert!(
            !output.status.success(),
            "{}: a sync against another workspace fails",
            copy.display()
        );
        let printed = String::from_utf8_lossy(&output.stderr);
        assert!(
            printed.contains("Clone again"),
            "the error tells the user to clone again, got {printed}"
        );
    }
    let kept = fs::read_to_string(edited.join("main.rs")).expect("main.rs");
    assert_eq!(kept, local_edit, "the local edit stays in the file");
    let untouched = fs::read_to_string(synced.join("main.rs")).expect("main.rs");
    assert_eq!(
        untouched, "fn main() {}\n",
        "the unedited copy keeps its file"
    );
    let mut client = Client::connect(url, "reader").await.expect("connect");
    let read = client.read("main.rs").await.expect("read");
    assert_eq!(
        read["text"],
        json!("fn main() {}\n"),
        "the refused syncs changed nothing on the server"
    );
}

#[test]
fn copy_keeps_files_server_never_deleted() {
    let sandbox = Sandbox::with_files(&[("main.rs", b"fn main() {}\n"), ("extra.txt", b"x\n")]);
    let server = sandbox.start();
    let top = sandbox.root();
    let copy = top.join("copy");
    let copy_arg = copy.to_str().expect("UTF-8 temp path");
    run_weft_ok(
        top,
        &[
            "clone",
            &server.url,
            copy_arg,
            "--agent",
            "agent-c",
            "--token",
            TOKEN,
        ],
    );
    assert!(server.stop(), "weft serve exits cleanly on SIGTERM");

    // The store is re-created from a folder without extra.txt, and the copy
    // predates workspace ids, so only the per-file rule protects it.
    fs::remove_dir_all(&sandbox.store).expect("delete the store");
    fs::remove_file(sandbox.repo.join("extra.txt")).expect("remove from the folder");
    let config_path = copy.join(".weft/config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&config_path).expect("config")).expect("JSON");
    config.as_object_mut().expect("object").remove("workspace");
    fs::write(&config_path, config.to_string()).expect("write config");
    let server = sandbox.start();

    let output = run_weft_ok(&copy, &["sync", "--server", &server.url]);
    assert!(
        copy.join("extra.txt").exists(),
        "a file the server never deleted stays, got {output}"
    );
    assert!(
        output.contains("skipped extra.txt"),
        "the sync says why: {output}"
    );
}

#[test]
fn second_server_on_one_store_refused() {
    let sandbox = weft_e2e::Sandbox::with_files(&[("a.txt", b"a\n")]);
    let _first = sandbox.start();

    let output = weft_e2e::weft()
        .arg("serve")
        .arg(&sandbox.repo)
        .arg("--store")
        .arg(&sandbox.store)
        .args(["--listen", "127.0.0.1:0", "--token", weft_e2e::TOKEN])
        .output()
        .expect("weft serve runs");
    assert!(
        !output.status.success(),
        "a second server on the store must not start"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in use by another weft serve"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "no listening line: {:?}",
        String::from_utf8_lossy(&output.stdout)
    );
}
