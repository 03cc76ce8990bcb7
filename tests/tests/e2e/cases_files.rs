//! Files that are not UTF-8 text, and paths that try to leave the workspace
//! through the protocol or through symlinks on disk.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use weft_e2e::{Client, Sandbox, TOKEN, error_code, error_message, run_weft};

/// A valid 1x1 PNG image with one red pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0xC9, 0xFE, 0x92, 0xEF, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// "const x = 1;\n// café\n" in Latin-1, where "é" is the single byte 0xE9.
const LATIN1: &[u8] = b"const x = 1;\n// caf\xE9\n";

/// The files of the workspace listed by path, as `(kind, version)`.
async fn listing(client: &mut Client) -> Vec<(String, Value, Value)> {
    let list = client.call(json!({"type": "list"})).await.expect("list");
    let files = list["files"].as_array().expect("a list of files");
    let mut entries: Vec<(String, Value, Value)> = files
        .iter()
        .map(|file| {
            let path = file["path"].as_str().expect("a path").to_owned();
            (path, file["kind"].clone(), file["version"].clone())
        })
        .collect();
    entries.sort_by(|left, right| left.0.cmp(&right.0));
    entries
}

/// Lists the names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable folder")
        .map(|entry| {
            entry
                .expect("folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn non_utf8_files_export_unchanged() {
    let files: [(&str, &[u8]); 3] = [("latin1.js", LATIN1), ("logo.png", PNG), ("empty.txt", b"")];
    let sandbox = Sandbox::with_files(&files);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");

    let kinds: Vec<(String, Value)> = listing(&mut client)
        .await
        .into_iter()
        .map(|(path, kind, _)| (path, kind))
        .collect();
    let expected = [
        ("empty.txt".to_owned(), json!("text")),
        ("latin1.js".to_owned(), json!("bytes")),
        ("logo.png".to_owned(), json!("bytes")),
    ];
    assert_eq!(
        kinds, expected,
        "Latin-1 and PNG are bytes, the empty file is text"
    );

    let read = client
        .read("latin1.js")
        .await
        .expect("read the Latin-1 file");
    assert_eq!(
        read.get("text"),
        None,
        "a bytes file is never decoded into text"
    );
    let data = STANDARD
        .decode(read["data"].as_str().expect("base64 data"))
        .expect("valid base64");
    assert_eq!(data, LATIN1, "the Latin-1 bytes travel unchanged");

    let from_server = sandbox.export_from_server(&server.url, "from-server");
    drop(client);
    drop(server);
    let from_store = sandbox.export_from_store("from-store");
    for (path, bytes) in files {
        let served = fs::read(from_server.join(path)).expect("file exported from the server");
        assert_eq!(
            served, bytes,
            "{path}: the export from the server is byte-identical"
        );
        let stored = fs::read(from_store.join(path)).expect("file exported from the store");
        assert_eq!(
            stored, bytes,
            "{path}: the export from the store is byte-identical"
        );
    }
}

#[tokio::test]
async fn splice_on_bytes_file_rejected() {
    let sandbox = Sandbox::with_files(&[("latin1.js", LATIN1), ("logo.png", PNG)]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");

    for path in ["latin1.js", "logo.png"] {
        let base = client.read(path).await.expect("read")["version"].clone();
        let splice = json!({
            "type": "splice", "path": path, "base": base,
            "offset": 0, "delete": 0, "insert": "// ",
        });
        let reply = client.request(splice).await.expect("a reply");
        assert_eq!(
            error_code(&reply),
            Some("not_text"),
            "{path}: a text splice is rejected, got {reply}"
        );
        assert!(
            error_message(&reply).contains("not UTF-8 text"),
            "{path}: the error says the file is not UTF-8 text, got {reply}"
        );
    }
    let read = client
        .read("logo.png")
        .await
        .expect("read after the rejected splices");
    let data = STANDARD
        .decode(read["data"].as_str().expect("base64 data"))
        .expect("valid base64");
    assert_eq!(data, PNG, "the rejected splice left the image unchanged");
}

#[tokio::test]
async fn concurrent_bytes_writes_report_binary() {
    let sandbox = Sandbox::with_files(&[("logo.png", PNG)]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.read("logo.png").await.expect("read")["version"].clone();

    let mut green = PNG.to_vec();
    green.extend_from_slice(b"green");
    let mut blue = PNG.to_vec();
    blue.extend_from_slice(b"blue");
    let write = |data: &[u8]| json!({"type": "write", "path": "logo.png", "base": base, "data": STANDARD.encode(data)});

    let a_reply = a.call(write(&green)).await.expect("a writes");
    assert_eq!(
        a_reply["overlaps"],
        json!([]),
        "the first write based on the current version reports nothing"
    );
    let b_reply = b.call(write(&blue)).await.expect("b writes");

    let overlaps = b_reply["overlaps"].as_array().expect("a list of overlaps");
    assert_eq!(
        overlaps.len(),
        1,
        "the second write reports one overlap, got {b_reply}"
    );
    assert_eq!(
        overlaps[0]["kind"],
        json!("binary"),
        "the overlap kind is binary"
    );
    assert_eq!(
        overlaps[0]["severity"],
        json!("high"),
        "a replaced bytes file is a high-severity overlap"
    );
    assert_eq!(
        overlaps[0]["agents"],
        json!(["agent-a", "agent-b"]),
        "the overlap names both agents"
    );
    assert_eq!(
        overlaps[0]["path"],
        json!("logo.png"),
        "the overlap names the file"
    );

    let read = a.read("logo.png").await.expect("read");
    let data = STANDARD
        .decode(read["data"].as_str().expect("base64 data"))
        .expect("valid base64");
    assert_eq!(data, blue, "the last write wins");
}

#[tokio::test]
async fn escaping_paths_rejected() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    let paths = [
        "../../home/u/.bashrc",
        "/etc/x",
        "a/../../b",
        "..\\..\\x",
        "C:\\x",
        "dir/\u{0}x",
        "",
        ".",
        "C:x",
        "a//b",
        "a/./b",
        "dir/",
        ".git/config",
        "sub/.GIT/hooks/pre-commit",
        ".weft/token",
    ];

    for path in paths {
        let requests = [
            json!({"type": "create", "path": path, "text": "owned\n"}),
            json!({"type": "write", "path": path, "base": [], "text": "owned\n"}),
            json!({"type": "read", "path": path}),
        ];
        for request in requests {
            let kind = request["type"].clone();
            let reply = client.request(request).await.expect("a reply");
            assert_eq!(
                error_code(&reply),
                Some("invalid_path"),
                "{kind} {path:?} is rejected, got {reply}"
            );
            assert_eq!(
                reply.pointer("/error/field"),
                Some(&json!("path")),
                "{kind} {path:?}: the error names the field"
            );
            assert!(
                error_message(&reply).contains(&format!("{path:?}")),
                "{kind} {path:?}: the error names the path, got {reply}"
            );
            let list = client
                .request(json!({"type": "list"}))
                .await
                .expect("a reply");
            assert!(
                list.get("result").is_some(),
                "the connection still works after {kind} {path:?}"
            );
        }
    }

    let rename = json!({"type": "rename", "from": "a.txt", "to": "../a.txt"});
    let reply = client.request(rename).await.expect("a reply");
    assert_eq!(
        error_code(&reply),
        Some("invalid_path"),
        "a rename out of the workspace is rejected, got {reply}"
    );
    assert_eq!(
        reply.pointer("/error/field"),
        Some(&json!("to")),
        "the error names the target field"
    );

    let paths: Vec<String> = listing(&mut client)
        .await
        .into_iter()
        .map(|(path, _, _)| path)
        .collect();
    assert_eq!(paths, ["a.txt"], "no rejected path reached the workspace");
}

#[tokio::test]
async fn export_refuses_symlinked_folder() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    client
        .call(json!({"type": "create", "path": "sub/f", "text": "inside\n"}))
        .await
        .expect("create sub/f");

    let outside = sandbox.root().join("outside");
    fs::create_dir(&outside).expect("create the outside folder");
    let out = sandbox.root().join("out");
    fs::create_dir(&out).expect("create the export folder");
    symlink(&outside, out.join("sub")).expect("link out/sub to the outside folder");
    let out_arg = out.to_str().expect("UTF-8 temp path");

    let served = run_weft(
        sandbox.root(),
        &["export", "--server", &server.url, "--token", TOKEN, out_arg],
    );
    assert!(
        !served.status.success(),
        "an export through a symlinked folder fails"
    );
    let stderr = String::from_utf8_lossy(&served.stderr);
    assert!(
        stderr.contains("symlink"),
        "the error names the symlink, got {stderr}"
    );
    assert!(
        names_in(&outside).is_empty(),
        "the export wrote nothing outside its folder"
    );

    // A file that is a symlink to a file outside is not written through.
    let victim = outside.join("victim.txt");
    fs::write(&victim, b"unchanged\n").expect("write the outside file");
    let linked_out = sandbox.root().join("linked-out");
    fs::create_dir(&linked_out).expect("create the second export folder");
    symlink(&victim, linked_out.join("a.txt")).expect("link a.txt to the outside file");
    let linked_arg = linked_out.to_str().expect("UTF-8 temp path");
    let through = run_weft(
        sandbox.root(),
        &[
            "export",
            "--server",
            &server.url,
            "--token",
            TOKEN,
            linked_arg,
        ],
    );
    assert!(
        !through.status.success(),
        "an export onto a symlinked file fails"
    );
    let victim_bytes = fs::read(&victim).expect("the outside file");
    assert_eq!(
        victim_bytes, b"unchanged\n",
        "the export did not write through the symlinked file"
    );
    fs::remove_file(&victim).expect("remove the outside file");

    drop(client);
    drop(server);
    let store_arg = sandbox.store.to_str().expect("UTF-8 temp path");
    let offline = run_weft(sandbox.root(), &["export", "--store", store_arg, out_arg]);
    assert!(
        !offline.status.success(),
        "an export from the store through a symlinked folder fails"
    );
    assert!(
        names_in(&outside).is_empty(),
        "the export from the store wrote nothing outside its folder"
    );
    assert!(
        fs::symlink_metadata(out.join("sub"))
            .expect("sub still exists")
            .file_type()
            .is_symlink(),
        "the export left the symlink in place"
    );
}

#[tokio::test]
async fn import_skips_outside_symlinks() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let outside = sandbox.root().join("outside");
    fs::create_dir(&outside).expect("create the outside folder");
    fs::write(outside.join("secret.txt"), b"secret\n").expect("write the outside file");
    symlink(outside.join("secret.txt"), sandbox.repo.join("secret.txt")).expect("link a file");
    symlink(&outside, sandbox.repo.join("linked")).expect("link a folder");

    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    let paths: Vec<String> = listing(&mut client)
        .await
        .into_iter()
        .map(|(path, _, _)| path)
        .collect();
    assert_eq!(
        paths,
        ["a.txt"],
        "neither symlink was followed into the workspace"
    );

    for path in ["secret.txt", "linked/secret.txt"] {
        let reply = client
            .request(json!({"type": "read", "path": path}))
            .await
            .expect("a reply");
        assert_eq!(
            error_code(&reply),
            Some("not_found"),
            "{path} is not in the workspace, got {reply}"
        );
    }
    let exported = sandbox.export_from_server(&server.url, "out");
    assert_eq!(
        names_in(&exported),
        ["a.txt"],
        "the export holds only the real file"
    );
}
