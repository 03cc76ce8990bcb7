//! What the server's integration tests share: a workspace served from a
//! real store in a temp folder, and connections driven through channels
//! instead of sockets (the same handler code path as a real connection).

#![allow(dead_code)]

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
pub struct Connection {
    pub requests: mpsc::Sender<Message>,
    pub replies: mpsc::Receiver<Message>,
    next_id: u64,
    /// Events that arrived while a reply was awaited.
    pub events: std::collections::VecDeque<Value>,
}

impl Connection {
    pub fn open(shared: &Shared, shutdown: watch::Receiver<bool>) -> Connection {
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
            events: Default::default(),
        }
    }

    pub async fn request(&mut self, mut request: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        request["id"] = json!(id);
        self.requests
            .send(Message::text(request.to_string()))
            .await
            .expect("handler is running");
        loop {
            let reply = self.next_reply().await;
            if reply.get("event").is_some() {
                self.events.push_back(reply);
            } else {
                return reply;
            }
        }
    }

    /// Returns the next event, from those that arrived during requests or
    /// from the connection.
    pub async fn next_event(&mut self) -> Value {
        if let Some(event) = self.events.pop_front() {
            return event;
        }
        let event = self.next_reply().await;
        assert!(
            event.get("event").is_some(),
            "expected an event, got {event}"
        );
        event
    }

    pub async fn next_reply(&mut self) -> Value {
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

/// Imports `files` into a store in a temporary folder and starts the tasks
/// a server runs over it.
pub async fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, Shared) {
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
