//! Text inputs that break merging tools: identical concurrent edits, and
//! characters outside the Basic Multilingual Plane and joiner sequences.

use std::fs;

use serde_json::{Value, json};
use weft_e2e::{Client, Sandbox, error_code, error_message, overlaps_of};

#[tokio::test]
async fn identical_inserts_merge_once() {
    let sandbox = Sandbox::with_files(&[("src/f.rs", b"fn f() {}\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.version("src/f.rs").await.expect("read the version");

    let edited = "use std::fs;\nfn f() {}\n";
    let a_reply = a
        .write_text("src/f.rs", &base, edited)
        .await
        .expect("a writes");
    let b_reply = b
        .write_text("src/f.rs", &base, edited)
        .await
        .expect("b writes");

    assert_eq!(
        a_reply["text"],
        json!(edited),
        "a's write applies the new line"
    );
    assert_eq!(
        b_reply["text"],
        json!(edited),
        "b's identical write keeps the line once"
    );
    assert_eq!(
        overlaps_of(&b_reply).len(),
        0,
        "identical edits report no overlap, got {b_reply}"
    );
    let exported = sandbox.export_from_server(&server.url, "out");
    let bytes = fs::read(exported.join("src/f.rs")).expect("exported file");
    assert_eq!(
        bytes,
        edited.as_bytes(),
        "the export holds the inserted line once"
    );
}

#[tokio::test]
async fn identical_reformat_merges_once() {
    let sandbox = Sandbox::with_files(&[("x.py", b"x=1\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.version("x.py").await.expect("read the version");

    a.write_text("x.py", &base, "x = 1\n")
        .await
        .expect("a writes");
    let b_reply = b
        .write_text("x.py", &base, "x = 1\n")
        .await
        .expect("b writes");

    assert_eq!(
        b_reply["text"],
        json!("x = 1\n"),
        "the same reformat twice gives it once, never \"x  =  1\""
    );
    assert_eq!(
        overlaps_of(&b_reply).len(),
        0,
        "identical edits report no overlap, got {b_reply}"
    );
    let read = a.read("x.py").await.expect("read");
    assert_eq!(
        read["text"],
        json!("x = 1\n"),
        "every agent reads the reformatted line once"
    );
}

#[tokio::test]
async fn emoji_rewrite_keeps_whole_characters() {
    let original = "café ok 👍 done\n";
    let sandbox = Sandbox::with_files(&[("status.txt", original.as_bytes())]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    let base = client
        .version("status.txt")
        .await
        .expect("read the version");

    let rewritten = "café ok 👎 done\n";
    let reply = client
        .write_text("status.txt", &base, rewritten)
        .await
        .expect("write");
    assert_eq!(
        reply["text"],
        json!(rewritten),
        "the reply holds the written text"
    );
    let exported = sandbox.export_from_server(&server.url, "out");
    let bytes = fs::read(exported.join("status.txt")).expect("exported file");
    assert_eq!(
        bytes,
        rewritten.as_bytes(),
        "the export is the written text in UTF-8"
    );

    // "👎" is code point 8: a splice counts code points, so it replaces the
    // emoji whole.
    let splice = json!({
        "type": "splice", "path": "status.txt", "base": reply["version"],
        "offset": 8, "delete": 1, "expected": "👎", "insert": "👍",
    });
    let spliced = client.call(splice).await.expect("a splice in code points");
    assert_eq!(
        spliced["text"],
        json!(original),
        "the splice swaps exactly one emoji"
    );
}

#[tokio::test]
async fn splice_past_end_names_code_points() {
    // 15 code points, 16 UTF-16 units and 19 UTF-8 bytes.
    let text = "café ok 👍 done\n";
    let sandbox = Sandbox::with_files(&[("status.txt", text.as_bytes())]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    let base = client
        .version("status.txt")
        .await
        .expect("read the version");

    for (offset, delete) in [(16, 0), (19, 0), (14, 2), (100, 1)] {
        let splice = json!({
            "type": "splice", "path": "status.txt", "base": base,
            "offset": offset, "delete": delete, "insert": "x",
        });
        let reply = client.request(splice).await.expect("a reply");
        assert_eq!(
            error_code(&reply),
            Some("invalid_offset"),
            "offset {offset} delete {delete} is past the 15 code points, got {reply}"
        );
        assert!(
            error_message(&reply).contains("code points"),
            "the error names the offset unit, got {reply}"
        );
    }
    let read = client.read("status.txt").await.expect("read");
    assert_eq!(read["text"], json!(text), "rejected splices change nothing");

    let append = json!({
        "type": "splice", "path": "status.txt", "base": base,
        "offset": 15, "delete": 0, "insert": "more\n",
    });
    let reply = client
        .call(append)
        .await
        .expect("a splice at the end is accepted");
    assert_eq!(
        reply["text"],
        json!(format!("{text}more\n")),
        "offset 15 is the end of the text"
    );
}

#[tokio::test]
async fn utf16_offset_splice_rejected() {
    let text = "café ok 👍 done\n";
    let sandbox = Sandbox::with_files(&[("status.txt", text.as_bytes())]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    let base = client
        .version("status.txt")
        .await
        .expect("read the version");

    // "done" starts at UTF-16 unit 11 but at code point 10.
    let utf16 = json!({
        "type": "splice", "path": "status.txt", "base": base,
        "offset": 11, "delete": 4, "expected": "done", "insert": "ok!",
    });
    let reply = client.request(utf16).await.expect("a reply");
    assert_eq!(
        error_code(&reply),
        Some("splice_mismatch"),
        "a UTF-16 offset misses the expected text, got {reply}"
    );
    assert!(
        error_message(&reply).contains("code points"),
        "the error names the offset unit, got {reply}"
    );

    let code_points = json!({
        "type": "splice", "path": "status.txt", "base": base,
        "offset": 10, "delete": 4, "expected": "done", "insert": "ok!",
    });
    let reply = client
        .call(code_points)
        .await
        .expect("the same splice in code points");
    assert_eq!(
        reply["text"],
        json!("café ok 👍 ok!\n"),
        "the code point offset finds the word"
    );
}

#[tokio::test]
async fn joiner_sequence_conflict_stays_whole() {
    let family = "👨\u{200D}👩\u{200D}👧\n";
    let changed = "👨\u{200D}👩\u{200D}👦\n";
    let sandbox = Sandbox::with_files(&[
        ("rewrite-first.txt", family.as_bytes()),
        ("delete-first.txt", family.as_bytes()),
    ]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");

    for (path, a_first) in [("rewrite-first.txt", true), ("delete-first.txt", false)] {
        let base = a.version(path).await.expect("read the version");
        let second_reply = if a_first {
            a.write_text(path, &base, changed)
                .await
                .expect("a rewrites");
            b.write_text(path, &base, "")
                .await
                .expect("b deletes the line")
        } else {
            b.write_text(path, &base, "")
                .await
                .expect("b deletes the line");
            a.write_text(path, &base, changed)
                .await
                .expect("a rewrites")
        };

        let text = second_reply["text"].as_str().expect("the reply has text");
        assert_eq!(
            text, changed,
            "{path}: the rewritten sequence survives whole"
        );
        assert!(
            !text.contains('\u{FFFD}'),
            "{path}: no replacement character in {text:?}"
        );
        for line in text.lines() {
            assert!(
                !line.starts_with('\u{200D}'),
                "{path}: no line starts with a lone joiner: {line:?}"
            );
            assert!(
                !line.ends_with('\u{200D}'),
                "{path}: no line ends with a lone joiner: {line:?}"
            );
        }
        let kinds: Vec<&Value> = overlaps_of(&second_reply)
            .iter()
            .map(|overlap| &overlap["kind"])
            .collect();
        assert_eq!(
            kinds,
            [&json!("delete-edit")],
            "{path}: the rewrite against the delete is reported"
        );
    }

    let exported = sandbox.export_from_server(&server.url, "out");
    for path in ["rewrite-first.txt", "delete-first.txt"] {
        let bytes = fs::read(exported.join(path)).expect("exported file");
        assert_eq!(
            bytes,
            changed.as_bytes(),
            "{path}: the export is valid UTF-8 with the whole sequence"
        );
    }
}
