//! The JSON protocol over a real WebSocket: the token check at the
//! handshake, error replies that leave the connection open, unknown
//! versions and the report of a same-lines overlap.

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};
use weft_e2e::{Client, Sandbox, TOKEN, error_code, error_message, overlaps_of};

/// A version made of one well-formed change hash that no document has.
const UNKNOWN_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000001";

/// Opens a WebSocket to `url` with an optional `Authorization` header and
/// returns the HTTP status and body of a rejected handshake, or `None` when
/// the handshake succeeded.
async fn rejected_handshake(url: &str, authorization: Option<&str>) -> Option<(u16, String)> {
    let mut request = url.into_client_request().expect("valid URL");
    if let Some(value) = authorization {
        request
            .headers_mut()
            .insert("authorization", value.parse().expect("valid header"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => None,
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            Some((
                response.status().as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            ))
        }
        Err(other) => panic!("the handshake failed without an HTTP status: {other}"),
    }
}

/// Checks that the connection still serves requests after an error.
async fn assert_still_usable(client: &mut Client, after: &str) {
    let reply = client
        .request(json!({"type": "list"}))
        .await
        .expect("a reply");
    assert!(
        reply.get("result").is_some(),
        "the connection still answers a list request after {after}, got {reply}"
    );
}

#[tokio::test]
async fn handshake_without_valid_token_is_401() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();

    let missing = rejected_handshake(&server.url, None).await;
    let (status, body) = missing.expect("a handshake without a token is rejected");
    assert_eq!(status, 401, "a handshake without a token gets HTTP 401");
    assert!(
        body.contains("token"),
        "the 401 body says the token is missing, got {body:?}"
    );

    let wrong = rejected_handshake(&server.url, Some("Bearer not-the-token")).await;
    let (status, _) = wrong.expect("a handshake with a wrong token is rejected");
    assert_eq!(
        status, 401,
        "a handshake with a wrong bearer token gets HTTP 401"
    );

    let wrong_query = format!("{}/?token=not-the-token", server.url);
    let (status, _) = rejected_handshake(&wrong_query, None)
        .await
        .expect("a wrong query token is rejected");
    assert_eq!(
        status, 401,
        "a handshake with a wrong query token gets HTTP 401"
    );

    let right_query = format!("{}/?token={TOKEN}", server.url);
    assert_eq!(
        rejected_handshake(&right_query, None).await,
        None,
        "a handshake with the right query token is accepted"
    );
    let right_header = format!("Bearer {TOKEN}");
    assert_eq!(
        rejected_handshake(&server.url, Some(&right_header)).await,
        None,
        "a handshake with the right bearer token is accepted"
    );
}

#[tokio::test]
async fn malformed_requests_get_error_replies() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut client = Client::connect_with_token(&server.url, TOKEN)
        .await
        .expect("connect");

    let before_hello = client
        .request(json!({"type": "list"}))
        .await
        .expect("a reply");
    assert_eq!(
        error_code(&before_hello),
        Some("hello_required"),
        "a list before hello is rejected, got {before_hello}"
    );
    client
        .call(json!({"type": "hello", "agent": "a"}))
        .await
        .expect("hello after a rejected request succeeds");
    assert_still_usable(&mut client, "a request before hello").await;

    let invalid = client.send_unnumbered("{not json").await.expect("a reply");
    assert_eq!(
        error_code(&invalid),
        Some("invalid_json"),
        "broken JSON is invalid_json, got {invalid}"
    );
    assert_still_usable(&mut client, "invalid JSON").await;

    // A lone UTF-16 surrogate escape is no Unicode text, so no file may
    // store it.
    let surrogate = r#"{"id": 90, "type": "create", "path": "s.txt", "text": "\ud83d"}"#;
    client.send_text(surrogate).await.expect("send");
    let reply = client.reply(&Value::Null).await.expect("a reply");
    assert_eq!(
        error_code(&reply),
        Some("invalid_json"),
        "a lone surrogate escape is invalid JSON, got {reply}"
    );
    assert_still_usable(&mut client, "a lone surrogate").await;

    let no_id = client
        .send_unnumbered(r#"{"type": "list"}"#)
        .await
        .expect("a reply");
    assert_eq!(
        error_code(&no_id),
        Some("invalid_request"),
        "a request without id is invalid, got {no_id}"
    );
    assert_eq!(
        no_id.pointer("/error/field"),
        Some(&json!("id")),
        "the error names the id field"
    );
    assert_still_usable(&mut client, "a request without id").await;

    let unknown = client
        .request(json!({"type": "teleport"}))
        .await
        .expect("a reply");
    assert_eq!(
        error_code(&unknown),
        Some("invalid_request"),
        "an unknown request type is invalid, got {unknown}"
    );
    assert_eq!(
        unknown.pointer("/error/field"),
        Some(&json!("type")),
        "the error names the type field"
    );
    assert!(
        error_message(&unknown).contains("teleport"),
        "the error names the unknown type, got {unknown}"
    );
    assert_still_usable(&mut client, "an unknown request type").await;

    let no_path = client
        .request(json!({"type": "read"}))
        .await
        .expect("a reply");
    assert_eq!(
        error_code(&no_path),
        Some("invalid_request"),
        "a read without path is invalid"
    );
    assert_eq!(
        no_path.pointer("/error/field"),
        Some(&json!("path")),
        "the error names the path field"
    );
    assert_still_usable(&mut client, "a read without path").await;
}

#[tokio::test]
async fn binary_frame_gets_error_reply() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "a").await.expect("connect");

    client
        .send_message(Message::binary(b"{\"id\": 1, \"type\": \"list\"}".to_vec()))
        .await
        .expect("send a binary frame");
    let reply = client
        .reply(&Value::Null)
        .await
        .expect("a reply to the binary frame");
    assert_eq!(
        error_code(&reply),
        Some("invalid_request"),
        "a binary frame is rejected as an invalid request, got {reply}"
    );
    assert!(
        error_message(&reply).contains("text frames"),
        "the error says to send text frames, got {reply}"
    );
    assert_still_usable(&mut client, "a binary frame").await;
}

#[tokio::test]
async fn write_on_unknown_version_rejected() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "a").await.expect("connect");

    let write = json!({"type": "write", "path": "a.txt", "base": [UNKNOWN_HASH], "text": "b\n"});
    let reply = client.request(write).await.expect("a reply");
    assert_eq!(
        error_code(&reply),
        Some("unknown_version"),
        "a write based on a version the file never had is rejected, got {reply}"
    );
    assert_eq!(
        reply.pointer("/error/field"),
        Some(&json!("base")),
        "the error names the base field"
    );
    let read = client.read("a.txt").await.expect("read");
    assert_eq!(
        read["text"],
        json!("a\n"),
        "the rejected write changed nothing"
    );
}

#[tokio::test]
async fn concurrent_creates_keep_both_texts() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");

    let a_reply = a
        .call(json!({"type": "create", "path": "new.txt", "text": "from a\n"}))
        .await
        .expect("a creates");
    let b_reply = b
        .call(json!({"type": "create", "path": "new.txt", "text": "from b\n"}))
        .await
        .expect("b creates the same path");
    assert_eq!(
        a_reply["created"],
        json!(true),
        "the first create creates the file"
    );
    assert_eq!(
        b_reply["created"],
        json!(false),
        "the second create merges into it"
    );
    assert_eq!(
        b_reply["text"],
        json!("from a\nfrom b\n"),
        "both texts survive, the existing one first"
    );
    let kinds: Vec<&Value> = overlaps_of(&b_reply)
        .iter()
        .map(|overlap| &overlap["kind"])
        .collect();
    assert_eq!(
        kinds,
        [&json!("add-add")],
        "two agents adding one path are reported"
    );
}

#[tokio::test]
async fn same_characters_conflict_reports_overlap() {
    let base_text =
        "fn main() {\n    let w = 0;\n    let y = 0;\n    let x = 1;\n    println!(\"{x}\");\n}\n";
    let sandbox = Sandbox::with_files(&[("src/main.rs", base_text.as_bytes())]);
    let server = sandbox.start();
    let mut a = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect a");
    let mut b = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect b");
    let base = a.read("src/main.rs").await.expect("read")["version"].clone();

    let b_text = base_text.replace("let x = 1;", "let x = 2;");
    let b_reply = b
        .write_text("src/main.rs", &base, &b_text)
        .await
        .expect("b writes");
    assert_eq!(
        b_reply["overlaps"],
        json!([]),
        "the first write of the line reports no overlap"
    );

    let a_text = base_text.replace("let x = 1;", "let x = 3;");
    let a_reply = a
        .write_text("src/main.rs", &base, &a_text)
        .await
        .expect("a writes");
    let merged = "fn main() {\n    let w = 0;\n    let y = 0;\n    let x = 2;\n    let x = 3;\n    println!(\"{x}\");\n}\n";
    assert_eq!(
        a_reply["text"],
        json!(merged),
        "the merged text holds the current line, then the written one"
    );

    let overlaps = a_reply["overlaps"].as_array().expect("a list of overlaps");
    assert_eq!(
        overlaps.len(),
        1,
        "one overlap for one line changed twice, got {a_reply}"
    );
    let overlap = &overlaps[0];
    assert_eq!(overlap["kind"], json!("same-lines"), "the overlap kind");
    assert_eq!(overlap["severity"], json!("high"), "the overlap severity");
    assert_eq!(overlap["path"], json!("src/main.rs"), "the overlap path");
    assert_eq!(
        overlap["agents"],
        json!(["agent-b", "agent-a"]),
        "the concurrent agent comes first and the writer last"
    );
    assert_eq!(
        overlap["base_lines"],
        json!({"start": 4, "end": 4}),
        "the overlap covers base line 4, 1-based and inclusive"
    );
    assert_eq!(
        overlap["current"],
        json!("@@ -4 +4 @@\n-    let x = 1;\n+    let x = 2;\n"),
        "the current hunk is the concurrent side's diff against the base"
    );
    assert_eq!(
        overlap["incoming"],
        json!("@@ -4 +4 @@\n-    let x = 1;\n+    let x = 3;\n"),
        "the incoming hunk is the written side's diff against the base"
    );
    assert!(
        overlap["id"].as_str().is_some_and(|id| !id.is_empty()),
        "the overlap has an id, got {overlap}"
    );

    let read = b.read("src/main.rs").await.expect("read the merged file");
    assert_eq!(
        read["text"],
        json!(merged),
        "other agents read the merged text"
    );
}

#[tokio::test]
async fn invalid_utf8_text_closes_with_reason() {
    use tokio_tungstenite::tungstenite::protocol::frame::{
        Frame,
        coding::{CloseCode, Data, OpCode},
    };

    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");

    let frame = Frame::message(vec![0xFFu8, 0xFE], OpCode::Data(Data::Text), true);
    client
        .send_message(Message::Frame(frame))
        .await
        .expect("send the raw frame");
    let closed = loop {
        match client.next_message().await {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let frame = closed.expect("the close frame has a code");
    assert_eq!(frame.code, CloseCode::Invalid, "{frame:?}");

    // The server goes on serving others.
    let mut other = Client::connect(&server.url, "agent-b")
        .await
        .expect("connect again");
    other.read("a.txt").await.expect("read after the bad frame");
}

#[tokio::test]
async fn sequence_counts_writes_across_files() {
    let sandbox = Sandbox::with_files(&[("a.txt", b"a\n"), ("b.txt", b"b\n")]);
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("connect");
    let start = client.call(json!({"type": "list"})).await.expect("list")["seq"].clone();
    assert_eq!(start, json!(0), "an import logs no write");

    let a = client.version("a.txt").await.expect("a");
    let first = client
        .write_text("a.txt", &a, "a\n1\n")
        .await
        .expect("write a");
    assert_eq!(first["seq"], json!(1));
    let b = client.version("b.txt").await.expect("b");
    let second = client
        .write_text("b.txt", &b, "b\n2\n")
        .await
        .expect("write b");
    assert_eq!(second["seq"], json!(2), "the number is shared by all files");
    let same = client
        .write_text("b.txt", &second["version"], "b\n2\n")
        .await
        .expect("write nothing new");
    assert_eq!(
        same["seq"],
        json!(2),
        "a write that changes nothing takes no number"
    );
    let created = client
        .call(json!({"type": "create", "path": "c.txt", "text": "c\n"}))
        .await
        .expect("create");
    assert_eq!(created["seq"], json!(3));

    assert!(server.stop(), "the server stops cleanly");
    let server = sandbox.start();
    let mut client = Client::connect(&server.url, "agent-a")
        .await
        .expect("reconnect");
    let listed = client.call(json!({"type": "list"})).await.expect("list");
    assert_eq!(listed["seq"], json!(3), "the number survives a restart");
}
