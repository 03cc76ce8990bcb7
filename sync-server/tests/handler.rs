//! The connection handler driven through channels instead of a socket:
//! the same code path as a real connection, with a real store on disk.

mod common;

use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use common::{Connection, workspace};

#[tokio::test]
async fn request_before_hello_rejected() {
    let (_temp, shared) = workspace(&[("a.txt", "a\n")]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut connection = Connection::open(&shared, stopped);

    let reply = connection.request(json!({"type": "list"})).await;
    assert_eq!(reply["error"]["code"], "hello_required");

    let reply = connection
        .request(json!({"type": "hello", "agent": "a"}))
        .await;
    assert_eq!(reply["result"]["agent"], "a");
}

#[tokio::test]
async fn same_line_writes_report_overlap() {
    let (_temp, shared) = workspace(&[("x.rs", "let x = 1;\nlet y = 2;\n")]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = Connection::open(&shared, stopped.clone());
    let mut b = Connection::open(&shared, stopped);
    a.request(json!({"type": "hello", "agent": "a"})).await;
    b.request(json!({"type": "hello", "agent": "b"})).await;

    let read = a.request(json!({"type": "read", "path": "x.rs"})).await;
    let base = read["result"]["version"].clone();
    let first = a
        .request(json!({"type": "write", "path": "x.rs", "base": base, "text": "let x = 10;\nlet y = 2;\n"}))
        .await;
    assert_eq!(first["result"]["overlaps"], json!([]), "{first}");
    let second = b
        .request(json!({"type": "write", "path": "x.rs", "base": base, "text": "let x = 20;\nlet y = 2;\n"}))
        .await;

    let result = &second["result"];
    assert_eq!(result["text"], "let x = 10;\nlet x = 20;\nlet y = 2;\n");
    let overlaps = result["overlaps"].as_array().expect("overlaps list");
    assert_eq!(overlaps.len(), 1, "{second}");
    assert_eq!(overlaps[0]["kind"], "same-lines");
    assert_eq!(overlaps[0]["severity"], "high");
    assert_eq!(overlaps[0]["agents"], json!(["a", "b"]));
    assert_eq!(overlaps[0]["base_lines"], json!({"start": 1, "end": 1}));
}

#[tokio::test]
async fn shutdown_sends_close_frame() {
    let (_temp, shared) = workspace(&[("a.txt", "a\n")]).await;
    let (stop, stopped) = watch::channel(false);
    let mut connection = Connection::open(&shared, stopped);
    connection
        .request(json!({"type": "hello", "agent": "a"}))
        .await;

    stop.send(true).expect("handler listens");
    let message = tokio::time::timeout(Duration::from_secs(10), connection.replies.recv())
        .await
        .expect("a message within 10 s")
        .expect("a close frame before the end");
    let Message::Close(Some(frame)) = message else {
        panic!("expected a close frame, got {message:?}");
    };
    assert_eq!(frame.reason.as_str(), "server shutting down");
}

#[tokio::test]
async fn invalid_json_keeps_connection() {
    let (_temp, shared) = workspace(&[("a.txt", "a\n")]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut connection = Connection::open(&shared, stopped);

    connection
        .requests
        .send(Message::text("{not json"))
        .await
        .expect("handler is running");
    let reply = connection.next_reply().await;
    assert_eq!(reply["error"]["code"], "invalid_json");

    let reply = connection
        .request(json!({"type": "hello", "agent": "a"}))
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
}

#[tokio::test]
async fn dropped_sink_ends_handler() {
    let (_temp, shared) = workspace(&[]).await;
    let (_stop, stopped) = watch::channel(false);
    let connection = Connection::open(&shared, stopped);
    let Connection {
        requests, replies, ..
    } = connection;
    drop(replies);
    // The handler ends when its reply sink fails; the request channel then
    // closes.
    let _ = requests
        .send(Message::text(r#"{"id":1,"type":"list"}"#))
        .await;
    tokio::time::timeout(Duration::from_secs(10), requests.closed())
        .await
        .expect("the handler ended");
}
