//! How a file's bytes around its lines survive merging: CRLF and mixed
//! line endings, and a leading byte-order mark.

use std::fs;

use serde_json::json;
use weft_e2e::{Client, Sandbox, overlaps_of};

#[tokio::test]
async fn crlf_file_ignores_ending_flip() {
    let crlf = b"a\r\nb\r\nc\r\n";
    let sandbox = Sandbox::with_files(&[("lf-first.txt", crlf), ("crlf-first.txt", crlf)]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");

    // Agent a's editor saves with LF endings and changes b to B; agent b
    // keeps CRLF and changes c to C. Both orders must give the same file.
    for (path, a_first) in [("lf-first.txt", true), ("crlf-first.txt", false)] {
        let base = a.version(path).await.expect("read the version");
        let replies = if a_first {
            let first = a
                .write_text(path, &base, "a\nB\nc\n")
                .await
                .expect("a writes");
            let second = b
                .write_text(path, &base, "a\r\nb\r\nC\r\n")
                .await
                .expect("b writes");
            [first, second]
        } else {
            let first = b
                .write_text(path, &base, "a\r\nb\r\nC\r\n")
                .await
                .expect("b writes");
            let second = a
                .write_text(path, &base, "a\nB\nc\n")
                .await
                .expect("a writes");
            [first, second]
        };
        // The flip is no change at all; the real edits sit on touching
        // lines 2 and 3, which is at most a low `adjacent` overlap.
        for reply in &replies {
            for overlap in overlaps_of(reply) {
                assert_eq!(
                    overlap["kind"],
                    json!("adjacent"),
                    "{path}: a line-ending flip opens no other overlap, got {reply}"
                );
                assert_eq!(
                    overlap["base_lines"]["start"],
                    json!(2),
                    "{path}: {overlap}"
                );
            }
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
        assert_eq!(
            bytes, b"a\r\nB\r\nC\r\n",
            "{path}: the export has CRLF on every line"
        );
    }
}

#[tokio::test]
async fn crlf_file_stays_crlf_for_lf_writer() {
    let sandbox = Sandbox::with_files(&[("crlf.txt", b"a\r\nb\r\nc\r\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    let base = client.version("crlf.txt").await.expect("read the version");

    let flipped = client
        .write_text("crlf.txt", &base, "a\nb\nc\n")
        .await
        .expect("an LF write");
    assert_eq!(
        flipped["text"],
        json!("a\r\nb\r\nc\r\n"),
        "a line-ending flip alone changes no line"
    );
    assert_eq!(
        flipped["version"], base,
        "a line-ending flip alone makes no change"
    );

    let added = client
        .write_text("crlf.txt", &flipped["version"], "a\nb\nc\nd\n")
        .await
        .expect("an LF write that adds a line");
    assert_eq!(
        added["text"],
        json!("a\r\nb\r\nc\r\nd\r\n"),
        "a line added by an LF writer gets the file's CRLF ending"
    );
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

    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    for (path, bytes) in files {
        let read = client.read(path).await.expect("read");
        let expected = std::str::from_utf8(bytes).expect("UTF-8 fixture");
        assert_eq!(
            read["text"],
            json!(expected),
            "{path}: the server keeps every line ending as text"
        );
    }

    let from_server = sandbox.export_from_server(&server.url, "from-server");
    drop(client);
    drop(server);
    let from_store = sandbox.export_from_store("from-store");
    for (path, bytes) in files {
        let served = fs::read(from_server.join(path)).expect("file exported from the server");
        assert_eq!(
            served, bytes,
            "{path}: the export from the server is byte for byte the import"
        );
        let stored = fs::read(from_store.join(path)).expect("file exported from the store");
        assert_eq!(
            stored, bytes,
            "{path}: the export from the store is byte for byte the import"
        );
    }
}

#[tokio::test]
async fn bom_is_attribute_not_text() {
    let sandbox = Sandbox::with_files(&[("conf.py", b"\xEF\xBB\xBFx = 1\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");

    let read = a.read("conf.py").await.expect("read");
    assert_eq!(
        read["text"],
        json!("x = 1\n"),
        "the byte-order mark is not part of the text"
    );
    assert_eq!(
        read["bom"],
        json!(true),
        "the byte-order mark is an attribute"
    );
    let base = read["version"].clone();

    // Agent a's tool dropped the mark; agent b's offsets do not count it.
    let a_reply = a
        .write_text("conf.py", &base, "x = 2\n")
        .await
        .expect("a writes");
    assert_eq!(
        a_reply["bom"],
        json!(true),
        "a write without the mark keeps the attribute"
    );
    let splice = json!({
        "type": "splice", "path": "conf.py", "base": base,
        "offset": 4, "delete": 1, "expected": "1", "insert": "2",
    });
    let b_reply = b
        .call(splice)
        .await
        .expect("b's splice at offset 4 finds \"1\"");
    assert_eq!(
        b_reply["text"],
        json!("x = 2\n"),
        "the identical change is kept once"
    );
    assert_eq!(
        overlaps_of(&b_reply).len(),
        0,
        "identical changes report no overlap, got {b_reply}"
    );

    let exported = sandbox.export_from_server(&server.url, "out");
    let bytes = fs::read(exported.join("conf.py")).expect("exported file");
    assert_eq!(
        bytes, b"\xEF\xBB\xBFx = 2\n",
        "the export has one mark and the new text"
    );

    // A writer that keeps the mark as U+FEFF, and a splice at offset 0,
    // both leave exactly one mark in front of the text.
    let with_mark = a
        .write_text("conf.py", &b_reply["version"], "\u{FEFF}x = 2\ny = 3\n")
        .await
        .expect("a writes with the mark");
    assert_eq!(
        with_mark["text"],
        json!("x = 2\ny = 3\n"),
        "a written U+FEFF is not stored as text"
    );
    let at_start = json!({
        "type": "splice", "path": "conf.py", "base": with_mark["version"],
        "offset": 0, "delete": 0, "insert": "# settings\n",
    });
    let spliced = b.call(at_start).await.expect("b splices at offset 0");
    assert_eq!(
        spliced["text"],
        json!("# settings\nx = 2\ny = 3\n"),
        "offset 0 is after the mark"
    );
    let mark_splice = json!({
        "type": "splice", "path": "conf.py", "base": spliced["version"],
        "offset": 0, "delete": 0, "insert": "\u{FEFF}",
    });
    // The server may take this splice as the attribute or reject it; either
    // way the file must not get a second mark.
    b.request(mark_splice)
        .await
        .expect("a reply to a U+FEFF splice");

    let exported = sandbox.export_from_server(&server.url, "out-again");
    let bytes = fs::read(exported.join("conf.py")).expect("exported file");
    assert_eq!(
        bytes, b"\xEF\xBB\xBF# settings\nx = 2\ny = 3\n",
        "the export starts with exactly one mark"
    );
}
