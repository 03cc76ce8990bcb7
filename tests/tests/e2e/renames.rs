//! Renames and deletes racing edits: the edit survives and the paths stay
//! distinct.

use serde_json::json;
use weft_e2e::{Client, Sandbox, error_code};

#[tokio::test]
async fn edit_follows_concurrent_rename() {
    let sandbox = Sandbox::with_files(&[("b.txt", b"bee\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.version("b.txt").await.expect("a reads b.txt");

    b.call(json!({"type": "rename", "from": "b.txt", "to": "moved.txt"}))
        .await
        .expect("b renames");
    let result = a
        .write_text("b.txt", &base, "bee local\n")
        .await
        .expect("a writes the old path");

    assert_eq!(result["renamed_to"], json!("moved.txt"), "{result}");
    let moved = a.read("moved.txt").await.expect("read the new path");
    assert_eq!(
        moved["text"],
        json!("bee local\n"),
        "the edit lands at the new path"
    );
    let old = a
        .request(json!({"type": "read", "path": "b.txt"}))
        .await
        .expect("a reply");
    assert_eq!(
        error_code(&old),
        Some("not_found"),
        "the old path stays deleted: {old}"
    );

    let listing = a.call(json!({"type": "list"})).await.expect("list");
    let paths: Vec<&str> = listing["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|file| file["path"].as_str())
        .collect();
    assert_eq!(paths, ["moved.txt"], "one path names the document");
    assert_eq!(listing["deleted"], json!(["b.txt"]));
}

#[tokio::test]
async fn edit_restores_concurrent_delete() {
    let sandbox = Sandbox::with_files(&[("gone.txt", b"one\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.version("gone.txt").await.expect("a reads");

    b.call(json!({"type": "delete", "path": "gone.txt"}))
        .await
        .expect("b deletes");
    let result = a
        .write_text("gone.txt", &base, "one\ntwo\n")
        .await
        .expect("a writes the deleted path");

    assert_eq!(result["text"], json!("one\ntwo\n"));
    let read = b.read("gone.txt").await.expect("the file is back");
    assert_eq!(
        read["text"],
        json!("one\ntwo\n"),
        "the edit survives the delete"
    );
}

#[tokio::test]
async fn file_and_folder_cannot_clash() {
    let sandbox = Sandbox::with_files(&[("lf.txt", b"x\n"), ("src/lib.rs", b"y\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");

    for (request, field) in [
        (
            json!({"type": "create", "path": "lf.txt/inner", "text": "z\n"}),
            "path",
        ),
        (
            json!({"type": "create", "path": "src", "text": "z\n"}),
            "path",
        ),
        (
            json!({"type": "rename", "from": "lf.txt", "to": "src/lib.rs/sub"}),
            "to",
        ),
    ] {
        let reply = a.request(request.clone()).await.expect("a reply");
        assert_eq!(
            error_code(&reply),
            Some("invalid_path"),
            "{request}: {reply}"
        );
        assert_eq!(reply["error"]["field"], json!(field), "{request}");
    }

    // Renaming into a folder of the file's own old path is fine.
    a.call(json!({"type": "rename", "from": "lf.txt", "to": "lf.txt.d/lf.txt"}))
        .await
        .expect("rename into a new folder");
}
