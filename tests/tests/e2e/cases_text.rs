//! Text inputs that break merging tools: identical concurrent edits,
//! characters outside the Basic Multilingual Plane and joiner sequences,
//! CRLF and mixed line endings, and a leading byte-order mark.

use std::fs;

use serde_json::{Value, json};
use weft_e2e::{Client, Sandbox, error_code, error_message};

/// Reads the `version` of `path` as a request value.
async fn version_of(client: &mut Client, path: &str) -> Value {
    client.read(path).await.expect("read")["version"].clone()
}

/// Returns the overlaps of a write reply, failing when the field is missing.
fn overlaps(reply: &Value) -> &Vec<Value> {
    reply["overlaps"].as_array().expect("a write reply lists its overlaps")
}

#[tokio::test]
async fn identical_inserts_merge_once() {
    let sandbox = Sandbox::with_files(&[("src/f.rs", b"fn f() {}\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a").await.expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b").await.expect("connect b");
    let base = version_of(&mut a, "src/f.rs").await;

    let edited = "use std::fs;\nfn f() {}\n";
    let a_reply = a.write_text("src/f.rs", &base, edited).await.expect("a writes");
    let b_reply = b.write_text("src/f.rs", &base, edited).await.expect("b writes");

    assert_eq!(a_reply["text"], json!(edited), "a's write applies the new line");
    assert_eq!(b_reply["text"], json!(edited), "b's identical write keeps the line once");
    assert_eq!(overlaps(&b_reply).len(), 0, "identical edits report no overlap, got {b_reply}");
    let exported = sandbox.export_from_server(&server.url, "out");
    let bytes = fs::read(exported.join("src/f.rs")).expect("exported file");
    assert_eq!(bytes, edited.as_bytes(), "the export holds the inserted line once");
}

#[tokio::test]
async fn identical_reformat_merges_once() {
    let sandbox = Sandbox::with_files(&[("x.py", b"x=1\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a").await.expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b").await.expect("connect b");
    let base = version_of(&mut a, "x.py").await;

    a.write_text("x.py", &base, "x = 1\n").await.expect("a writes");
    let b_reply = b.write_text("x.py", &base, "x = 1\n").await.expect("b writes");

    assert_eq!(b_reply["text"], json!("x = 1\n"), "the same reformat twice gives it once, never \"x  =  1\"");
    assert_eq!(overlaps(&b_reply).len(), 0, "identical edits report no overlap, got {b_reply}");
    let read = a.read("x.py").await.expect("read");
    assert_eq!(read["text"], json!("x = 1\n"), "every agent reads the reformatted line once");
}

#[tokio::test]
async fn emoji_rewrite_keeps_whole_characters() {
    let original = "café ok 👍 done\n";
    let sandbox = Sandbox::with_files(&[("status.txt", original.as_bytes())]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a").await.expect("connect");
    let base = version_of(&mut client, "status.txt").await;

    let rewritten = "café ok 👎 done\n";
    let reply = client.write_text("status.txt", &base, rewritten).await.expect("write");
    assert_eq!(reply["text"], json!(rewritten), "the reply holds the written text");
    let exported = sandbox.export_from_server(&server.url, "out");
    let bytes = fs::read(exported.join("status.txt")).expect("exported file");
    assert_eq!(bytes, rewritten.as_bytes(), "the export is the written text in UTF-8");

    // "👎" is code point 8: a splice counts code points, so it replaces the
    // emoji whole.
    let splice = json!({
        "type": "splice", "path": "status.txt", "base": reply["version"],
        "offset": 8, "delete": 1, "expected": "👎", "insert": "👍",
    });
    let spliced = client.call(splice).await.expect("a splice in code points");
    assert_eq!(spliced["text"], json!(original), "the splice swaps exactly one emoji");
}

#[tokio::test]
async fn splice_past_end_names_code_points() {
    // 16 code points, 17 UTF-16 units and 19 UTF-8 bytes.
    let text = "café ok 👍 done\n";
    let sandbox = Sandbox::with_files(&[("status.txt", text.as_bytes())]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a").await.expect("connect");
    let base = version_of(&mut client, "status.txt").await;

    for (offset, delete) in [(17, 0), (19, 0), (15, 2), (100, 1)] {
        let splice = json!({
            "type": "splice", "path": "status.txt", "base": base,
            "offset": offset, "delete": delete, "insert": "x",
        });
        let reply = client.request(splice).await.expect("a reply");
        assert_eq!(
            error_code(&reply),
            Some("invalid_offset"),
            "offset {offset} delete {delete} is past the 16 code points, got {reply}"
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
        "offset": 16, "delete": 0, "insert": "more\n",
    });
    let reply = client.call(append).await.expect("a splice at the end is accepted");
    assert_eq!(reply["text"], json!(format!("{text}more\n")), "offset 16 is the end of the text");
}

#[tokio::test]
async fn joiner_sequence_conflict_stays_whole() {
    let family = "👨\u{200D}👩\u{200D}👧\n";
    let changed = "👨\u{200D}👩\u{200D}👦\n";
    let sandbox = Sandbox::with_files(&[("rewrite-first.txt", family.as_bytes()), ("delete-first.txt", family.as_bytes())]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a").await.expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b").await.expect("connect b");

    for (path, a_first) in [("rewrite-first.txt", true), ("delete-first.txt", false)] {
        let base = version_of(&mut a, path).await;
        let second_reply = if a_first {
            a.write_text(path, &base, changed).await.expect("a rewrites");
            b.write_text(path, &base, "").await.expect("b deletes the line")
        } else {
            b.write_text(path, &base, "").await.expect("b deletes the line");
            a.write_text(path, &base, changed).await.expect("a rewrites")
        };

        let text = second_reply["text"].as_str().expect("the reply has text");
        assert_eq!(text, changed, "{path}: the rewritten sequence survives whole");
        assert!(!text.contains('\u{FFFD}'), "{path}: no replacement character in {text:?}");
        for line in text.lines() {
            assert!(!line.starts_with('\u{200D}'), "{path}: no line starts with a lone joiner: {line:?}");
            assert!(!line.ends_with('\u{200D}'), "{path}: no line ends with a lone joiner: {line:?}");
        }
        let kinds: Vec<&Value> = overlaps(&second_reply).iter().map(|overlap| &overlap["kind"]).collect();
        assert_eq!(kinds, [&json!("same-lines")], "{path}: the rewrite against the delete is reported");
    }

    let exported = sandbox.export_from_server(&server.url, "out");
    for path in ["rewrite-first.txt", "delete-first.txt"] {
        let bytes = fs::read(exported.join(path)).expect("exported file");
        assert_eq!(bytes, changed.as_bytes(), "{path}: the export is valid UTF-8 with the whole sequence");
    }
}

#[tokio::test]
async fn crlf_file_ignores_ending_flip() {
    let crlf = b"a\r\nb\r\nc\r\n";
    let sandbox = Sandbox::with_files(&[("lf-first.txt", crlf), ("crlf-first.txt", crlf)]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a").await.expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b").await.expect("connect b");

    // Agent a's editor saves with LF endings and changes b to B; agent b
    // keeps CRLF and changes c to C. Both orders must give the same file.
    for (path, a_first) in [("lf-first.txt", true), ("crlf-first.txt", false)] {
        let base = version_of(&mut a, path).await;
        let replies = if a_first {
            let first = a.write_text(path, &base, "a\nB\nc\n").await.expect("a writes");
            let second = b.write_text(path, &base, "a\r\nb\r\nC\r\n").await.expect("b writes");
            [first, second]
        } else {
            let first = b.write_text(path, &base, "a\r\nb\r\nC\r\n").await.expect("b writes");
            let second = a.write_text(path, &base, "a\nB\nc\n").await.expect("a writes");
            [first, second]
        };
        for reply in &replies {
            assert_eq!(overlaps(reply).len(), 0, "{path}: a line-ending flip is no overlap, got {reply}");
        }
        assert_eq!(
            replies[1]["text"],
            json!("a\r\nB\r\nC\r\n"),
            "{path}: both changes merge and the file stays CRLF"
        );
    }

    let exported = sandbox.export_from_server(&server.url, "out");
    for path in ["lf-first.txt", "crlf-first.txt"] {
        let bytes = fs::read(exported.join(path)).expect("exported file");
        assert_eq!(bytes, b"a\r\nB\r\nC\r\n", "{path}: the export has CRLF on every line");
    }
}

#[tokio::test]
async fn mixed_endings_round_trip() {
    let files: [(&str, &[u8]); 3] = [
        ("mixed.txt", b"a\r\nb\nc\r\nd\n"),
        ("mixed-no-final.txt", b"one\ntwo\r\nthree"),
        ("crlf-then-lf.txt", b"x\r\n\r\ny\n\n"),
    ];
    let sandbox = Sandbox::with_files(&files);
    let server = sandbox.start();

    let mut client = Client::connect(&server.url, "agent-a").await.expect("connect");
    for (path, bytes) in files {
        let read = client.read(path).await.expect("read");
        let expected = std::str::from_utf8(bytes).expect("UTF-8 fixture");
        assert_eq!(read["text"], json!(expected), "{path}: the server keeps every line ending as text");
    }

    let from_server = sandbox.export_from_server(&server.url, "from-server");
    drop(client);
    drop(server);
    let from_store = sandbox.export_from_store("from-store");
    for (path, bytes) in files {
        let served = fs::read(from_server.join(path)).expect("file exported from the server");
        assert_eq!(served, bytes, "{path}: the export from the server is byte for byte the import");
        let stored = fs::read(from_store.join(path)).expect("file exported from the store");
        assert_eq!(stored, bytes, "{path}: the export from the store is byte for byte the import");
    }
}

#[tokio::test]
async fn bom_is_attribute_not_text() {
    let sandbox = Sandbox::with_files(&[("conf.py", b"\xEF\xBB\xBFx = 1\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a").await.expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b").await.expect("connect b");

    let read = a.read("conf.py").await.expect("read");
    assert_eq!(read["text"], json!("x = 1\n"), "the byte-order mark is not part of the text");
    assert_eq!(read["bom"], json!(true), "the byte-order mark is an attribute");
    let base = read["version"].clone();

    // Agent a's tool dropped the mark; agent b's offsets do not count it.
    let a_reply = a.write_text("conf.py", &base, "x = 2\n").await.expect("a writes");
    assert_eq!(a_reply["bom"], json!(true), "a write without the mark keeps the attribute");
    let splice = json!({
        "type": "splice", "path": "conf.py", "base": base,
        "offset": 4, "delete": 1, "expected": "1", "insert": "2",
    });
    let b_reply = b.call(splice).await.expect("b's splice at offset 4 finds \"1\"");
    assert_eq!(b_reply["text"], json!("x = 2\n"), "the identical change is kept once");
    assert_eq!(overlaps(&b_reply).len(), 0, "identical changes report no overlap, got {b_reply}");

    let exported = sandbox.export_from_server(&server.url, "out");
    let bytes = fs::read(exported.join("conf.py")).expect("exported file");
    assert_eq!(bytes, b"\xEF\xBB\xBFx = 2\n", "the export has one mark and the new text");

    // A writer that keeps the mark as U+FEFF, and a splice at offset 0,
    // both leave exactly one mark in front of the text.
    let with_mark = a
        .write_text("conf.py", &b_reply["version"], "\u{FEFF}x = 2\ny = 3\n")
        .await
        .expect("a writes with the mark");
    assert_eq!(with_mark["text"], json!("x = 2\ny = 3\n"), "a written U+FEFF is not stored as text");
    let at_start = json!({
        "type": "splice", "path": "conf.py", "base": with_mark["version"],
        "offset": 0, "delete": 0, "insert": "# settings\n",
    });
    let spliced = b.call(at_start).await.expect("b splices at offset 0");
    assert_eq!(spliced["text"], json!("# settings\nx = 2\ny = 3\n"), "offset 0 is after the mark");
    let mark_splice = json!({
        "type": "splice", "path": "conf.py", "base": spliced["version"],
        "offset": 0, "delete": 0, "insert": "\u{FEFF}",
    });
    // The server may take this splice as the attribute or reject it; either
    // way the file must not get a second mark.
    b.request(mark_splice).await.expect("a reply to a U+FEFF splice");

    let exported = sandbox.export_from_server(&server.url, "out-again");
    let bytes = fs::read(exported.join("conf.py")).expect("exported file");
    assert_eq!(
        bytes,
        b"\xEF\xBB\xBF# settings\nx = 2\ny = 3\n",
        "the export starts with exactly one mark"
    );
}
