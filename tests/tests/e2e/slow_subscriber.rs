//! A subscriber that stops reading is closed with `lagged` while another
//! keeps receiving every event.

use std::net::SocketAddr;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use weft_e2e::{Client, Sandbox, TOKEN};

use crate::leases::{WAIT, numbered};
use crate::watch::Watch;

/// Leases granted and released at once while the slow subscriber reads
/// nothing: two events each, each carrying a 2,000-byte intent, about
/// 2.4 kB in all.
/// The setup of the measurement was a 2-core Linux machine, loopback,
/// default TCP settings (`tcp_wmem` up to 4 MiB) and a 4096-byte receive
/// buffer on the slow socket. There the server's queue of 4 overflowed
/// after 1,200 to 1,300 events, once its send buffer had grown to about
/// 3 MB. 1,500 rounds (3,000 events) leave a margin and still end well
/// within the 30 s the server waits for a lagging client to take its
/// `lagged` event before it drops the connection.
const BURST_EVENTS: usize = 1500;

/// Maximum intent length the server accepts, in bytes.
const MAX_INTENT_BYTES: usize = 2000;

/// Opens a WebSocket through a TCP socket with a 4096-byte receive buffer,
/// sends hello and subscribes to every path.
async fn slow_subscriber(url: &str) -> WebSocketStream<TcpStream> {
    let address: SocketAddr = url
        .trim_start_matches("ws://")
        .parse()
        .expect("the server URL is ws://IP:PORT");
    let socket = TcpSocket::new_v4().expect("a TCP socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("a small receive buffer");
    let stream = socket.connect(address).await.expect("connect");
    let mut request = url.into_client_request().expect("a request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("a header"),
    );
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .expect("the WebSocket handshake");
    for request in [
        json!({"id": 1, "type": "hello", "agent": "slow"}),
        json!({"id": 2, "type": "subscribe"}),
    ] {
        socket
            .send(Message::text(request.to_string()))
            .await
            .expect("send");
        let reply = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a reply in time")
            .expect("a reply")
            .expect("a frame");
        let reply: Value = serde_json::from_str(reply.to_text().expect("text")).expect("JSON");
        assert!(reply.get("result").is_some(), "{reply}");
    }
    socket
}

/// Reads what the slow subscriber has, up to the Close frame, and returns
/// the kinds of the events and the close code.
async fn drain(mut socket: WebSocketStream<TcpStream>) -> (Vec<String>, Option<u16>) {
    let mut kinds = Vec::new();
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a message or a close in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let event: Value = serde_json::from_str(&text).expect("JSON");
                kinds.push(event["event"].as_str().unwrap_or("(no event)").to_owned());
            }
            Some(Ok(Message::Close(frame))) => {
                return (kinds, frame.map(|frame| u16::from(frame.code)));
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                panic!("reading the slow subscriber failed: {error}; got {kinds:?}")
            }
            None => panic!("the connection ended without a Close frame; got {kinds:?}"),
        }
    }
}

#[tokio::test]
async fn slow_subscriber_disconnected() {
    let sandbox = Sandbox::with_files(&[("f.txt", numbered().as_bytes())]);
    let server = sandbox.start_with(&["--event-queue", "4"]);
    let fast = Watch::start(
        sandbox.root(),
        &["--json", "--server", &server.url, "--token", TOKEN],
    );
    let slow = slow_subscriber(&server.url).await;

    // Large events, made quickly: a write whose file_changed event lists
    // 1,500 ranges takes seconds in a debug build, a lease a millisecond.
    // Each lease is released at once (another event), because one agent
    // may hold only so many live leases.
    let mut writer = Client::connect(&server.url, "agent-w")
        .await
        .expect("connect");
    let mut ids = Vec::with_capacity(BURST_EVENTS);
    for round in 1..=BURST_EVENTS {
        let mut intent = format!("burst {round} ");
        intent.push_str(&"x".repeat(MAX_INTENT_BYTES - intent.len()));
        let granted = writer
            .call(json!({"type": "lease", "path": "f.txt", "intent": intent}))
            .await
            .expect("lease");
        let id = granted["lease"]["id"].clone();
        writer
            .call(json!({"type": "release", "lease": id}))
            .await
            .expect("release");
        ids.push(id);
    }
    let slow_reader = tokio::spawn(drain(slow));

    for (index, id) in ids.iter().enumerate() {
        let event = fast.first_events(&["lease_granted"]).remove(0);
        assert_eq!(
            &event["lease"]["id"], id,
            "event {index} of the fast watcher"
        );
    }

    let (kinds, code) = slow_reader.await.expect("the reader task");
    let delivered = kinds.iter().filter(|kind| *kind == "lease_granted").count();
    assert!(
        delivered < BURST_EVENTS,
        "the slow subscriber got all {delivered} events, so it never fell behind"
    );
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("lagged"),
        "the slow subscriber's last event, after {delivered} lease_granted events"
    );
    assert_eq!(code, Some(1013), "the close code after lagged");
}
