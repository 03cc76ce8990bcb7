//! The connection handler driven through channels instead of a socket:
//! the same code path as a real connection, with a real store on disk.

use std::time::Duration;

use futures_util::{sink, stream};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::{self, Message};
use weft_engine::change::ChangeMeta;
use weft_engine::index::WorkspaceIndex;
use weft_engine::store::Store;
use weft_engine::workspace::{INDEX_DOC_ID, import_folder};
use weft_sync_server::Limits;
use weft_sync_server::clock::Clock;
use weft_sync_server::documents::Documents;
use weft_sync_server::events::Events;
use weft_sync_server::handler::{Shared, serve_connection};
use weft_sync_server::index_task::Index;
use weft_sync_server::leases::Leases;
use weft_sync_server::store_thread::StoreHandle;

/// A handler task fed by a channel, with its replies on another.
struct Connection {
    requests: mpsc::Sender<Message>,
    replies: mpsc::Receiver<Message>,
    next_id: u64,
}

impl Connection {
    fn open(shared: &Shared, shutdown: watch::Receiver<bool>) -> Connection {
        let (requests, request_rx) = mpsc::channel::<Message>(16);
        let (reply_tx, replies) = mpsc::channel::<Message>(16);
        let incoming = stream::unfold(request_rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|message| (Ok::<_, tungstenite::Error>(message), rx))
        });
        let outgoing = sink::unfold(reply_tx, |tx, message: Message| async move {
            tx.send(message)
                .await
                .map_err(|_| tungstenite::Error::ConnectionClosed)?;
            Ok::<_, tungstenite::Error>(tx)
        });
        let shared = shared.clone();
        tokio::spawn(async move {
            let incoming = Box::pin(incoming);
            let outgoing = Box::pin(outgoing);
            serve_connection(shared, outgoing, incoming, shutdown).await;
        });
        Connection {
            requests,
            replies,
            next_id: 1,
        }
    }

    async fn request(&mut self, mut request: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        request["id"] = json!(id);
        self.requests
            .send(Message::text(request.to_string()))
            .await
            .expect("handler is running");
        self.next_reply().await
    }

    async fn next_reply(&mut self) -> Value {
        let message = tokio::time::timeout(Duration::from_secs(10), self.replies.recv())
            .await
            .expect("a reply within 10 s")
            .expect("handler still running");
        match message {
            Message::Text(text) => serde_json::from_str(&text).expect("replies are JSON"),
            other => panic!("expected a text reply, got {other:?}"),
        }
    }
}

/// A store with `files` imported, and the tasks a server runs over it.
async fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, Shared) {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path().join("root");
    std::fs::create_dir(&root).expect("root dir");
    for (path, text) in files {
        std::fs::write(root.join(path), text).expect("write file");
    }
    let mut store = Store::open(&temp.path().join("store")).expect("open store");
    import_folder(&mut store, &root, &[], &ChangeMeta::now("test", "import")).expect("import");
    let index_bytes = store
        .load_document(INDEX_DOC_ID)
        .expect("read")
        .expect("index");
    let index = WorkspaceIndex::load(&index_bytes).expect("load index");

    let (store, _thread) = StoreHandle::spawn(store).expect("store thread");
    let clock = Clock::new(true);
    let events = Events::new(16, clock.clone());
    let leases = Leases::new(Vec::new(), clock, store.clone(), events.clone());
    let shared = Shared {
        index: Index::spawn(index, store.clone()),
        documents: Documents::new(
            store.clone(),
            Duration::from_secs(60),
            leases.clone(),
            events.clone(),
        ),
        store,
        limits: Limits::default(),
        workspace: "test-workspace".into(),
        leases,
        events,
    };
    (temp, shared)
}

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
