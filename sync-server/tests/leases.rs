//! Leases and events through the connection handler, with a real store on
//! disk and the server's test clock.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use common::{Connection, workspace};

const TEXT: &str = "one\ntwo\nthree\nfour\nfive\nsix\n";

async fn hello(
    shared: &weft_sync_server::handler::Shared,
    stopped: &watch::Receiver<bool>,
    agent: &str,
) -> Connection {
    let mut connection = Connection::open(shared, stopped.clone());
    let reply = connection
        .request(json!({"type": "hello", "agent": agent}))
        .await;
    assert!(reply.get("result").is_some(), "{reply}");
    connection
}

async fn version(connection: &mut Connection, path: &str) -> Value {
    let read = connection
        .request(json!({"type": "read", "path": path}))
        .await;
    read["result"]["version"].clone()
}

fn lines(start: usize, end: usize) -> Value {
    json!({"start": start, "end": end})
}

#[tokio::test]
async fn lease_lists_overlapping_foreign_leases() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    let first = a
        .request(json!({"type": "lease", "path": "a.txt", "lines": lines(2, 3), "intent": "rename", "ttl": 60}))
        .await;
    let lease = &first["result"]["lease"];
    assert_eq!(lease["lines"], lines(2, 3), "{first}");
    assert_eq!(lease["fence"], 1);
    assert_eq!(lease["state"], "live");

    let second = b
        .request(
            json!({"type": "lease", "path": "a.txt", "lines": lines(3, 4), "intent": "reorder"}),
        )
        .await;
    assert_eq!(second["result"]["lease"]["fence"], 2);
    let overlapping = &second["result"]["overlapping"];
    assert_eq!(overlapping.as_array().map(Vec::len), Some(1), "{second}");
    assert_eq!(overlapping[0]["agent"], "agent-a");
    assert_eq!(overlapping[0]["intent"], "rename");

    let apart = b
        .request(json!({"type": "lease", "path": "a.txt", "lines": lines(5, 6), "intent": "x"}))
        .await;
    assert_eq!(apart["result"]["overlapping"], json!([]), "{apart}");

    let listed = b
        .request(json!({"type": "leases", "agent": "agent-a"}))
        .await;
    assert_eq!(listed["result"]["leases"].as_array().map(Vec::len), Some(1));

    let bad = a
        .request(json!({"type": "lease", "path": "a.txt", "lines": lines(4, 2), "intent": "x"}))
        .await;
    assert_eq!(bad["error"]["field"], "lines", "{bad}");
    let past = a
        .request(json!({"type": "lease", "path": "a.txt", "lines": lines(9, 12), "intent": "x"}))
        .await;
    assert_eq!(past["error"]["field"], "lines", "{past}");
}

#[tokio::test]
async fn lease_lines_move_with_insertions() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    a.request(json!({"type": "lease", "path": "a.txt", "lines": lines(3, 4), "intent": "rework"}))
        .await;
    let base = version(&mut b, "a.txt").await;
    let text = format!("new 1\nnew 2\n{TEXT}");
    let write = b
        .request(json!({"type": "write", "path": "a.txt", "base": base, "text": text}))
        .await;
    assert_eq!(
        write["result"]["overlaps"],
        json!([]),
        "an insertion above is not inside: {write}"
    );

    let listed = a.request(json!({"type": "leases", "path": "a.txt"})).await;
    assert_eq!(
        listed["result"]["leases"][0]["lines"],
        lines(5, 6),
        "{listed}"
    );
}

#[tokio::test]
async fn lease_expiry_under_test_clock() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    let granted = a
        .request(json!({"type": "lease", "path": "a.txt", "lines": lines(2, 4), "intent": "rename", "ttl": 30}))
        .await;
    let fence = granted["result"]["lease"]["fence"].clone();
    let base = version(&mut a, "a.txt").await;

    let moved = b.request(json!({"type": "clock", "advance": 31})).await;
    assert!(moved["result"]["now"].is_i64(), "{moved}");
    let regranted = b
        .request(
            json!({"type": "lease", "path": "a.txt", "lines": lines(2, 4), "intent": "reorder"}),
        )
        .await;
    assert_eq!(
        regranted["result"]["overlapping"],
        json!([]),
        "a's lease expired: {regranted}"
    );
    let live = b.request(json!({"type": "leases"})).await;
    assert_eq!(
        live["result"]["leases"].as_array().map(Vec::len),
        Some(1),
        "{live}"
    );
    let all = b.request(json!({"type": "leases", "all": true})).await;
    let states: Vec<&str> = all["result"]["leases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|lease| lease["state"].as_str())
        .collect();
    assert_eq!(states, ["expired", "live"]);

    // a's late write is applied and meets b's lease.
    let late = a
        .request(
            json!({"type": "write", "path": "a.txt", "base": base, "fence": fence,
            "text": "one\nTWO\nthree\nfour\nfive\nsix\n"}),
        )
        .await;
    let result = &late["result"];
    assert_eq!(
        result["text"], "one\nTWO\nthree\nfour\nfive\nsix\n",
        "{late}"
    );
    assert_eq!(result["lease"]["state"], "superseded", "{late}");
    assert_eq!(result["lease"]["superseded_by"]["agent"], "agent-b");
    let overlaps = result["overlaps"].as_array().expect("overlaps");
    assert_eq!(overlaps.len(), 1, "{late}");
    assert_eq!(overlaps[0]["kind"], "lease");
    assert_eq!(overlaps[0]["severity"], "medium");
    assert_eq!(overlaps[0]["agents"], json!(["agent-b", "agent-a"]));
    assert_eq!(overlaps[0]["lease"]["intent"], "reorder");

    let unknown = a
        .request(json!({"type": "write", "path": "a.txt", "base": base, "fence": 99, "text": TEXT}))
        .await;
    assert_eq!(unknown["error"]["field"], "fence", "{unknown}");
}

#[tokio::test]
async fn lease_renew_release_by_holder_only() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    let granted = a
        .request(json!({"type": "lease", "path": "a.txt", "intent": "whole file", "ttl": 10}))
        .await;
    let lease = &granted["result"]["lease"];
    assert_eq!(lease["lines"], Value::Null, "{granted}");
    let id = lease["id"].clone();
    let expires = lease["expires"].as_i64().expect("expiry");

    let renewed = a
        .request(json!({"type": "renew", "lease": id, "ttl": 3600}))
        .await;
    assert!(
        renewed["result"]["lease"]["expires"].as_i64() > Some(expires),
        "{renewed}"
    );
    let foreign = b.request(json!({"type": "release", "lease": id})).await;
    assert_eq!(foreign["error"]["code"], "not_holder", "{foreign}");
    let released = a.request(json!({"type": "release", "lease": id})).await;
    assert_eq!(
        released["result"]["lease"]["state"], "released",
        "{released}"
    );
    let again = a.request(json!({"type": "renew", "lease": id})).await;
    assert_eq!(again["error"]["code"], "lease_lapsed", "{again}");
}

#[tokio::test]
async fn lease_holder_hears_of_write_inside() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    a.request(json!({"type": "lease", "path": "a.txt", "lines": lines(2, 3), "intent": "rename"}))
        .await;
    // Patterns that do not match the file: the holder still hears of its
    // own overlap, but not of the change itself.
    let subscribed = a
        .request(json!({"type": "subscribe", "paths": ["docs/**"]}))
        .await;
    assert_eq!(subscribed["result"]["paths"], json!(["docs/**"]));

    let base = version(&mut b, "a.txt").await;
    b.request(json!({"type": "write", "path": "a.txt", "base": base,
        "text": "one\ntwo\nTHREE\nfour\nfive\nsix\n"}))
        .await;
    let event = a.next_event().await;
    assert_eq!(event["event"], "overlap_opened", "{event}");
    assert_eq!(event["overlap"]["kind"], "lease");
    assert_eq!(event["overlap"]["agents"], json!(["agent-a", "agent-b"]));
    assert!(event["time"].is_i64());

    // With every path subscribed, b's next change arrives as well.
    a.request(json!({"type": "subscribe"})).await;
    let base = version(&mut b, "a.txt").await;
    b.request(json!({"type": "write", "path": "a.txt", "base": base,
        "text": "one\ntwo\nTHREE\nfour\nfive\nSIX\n"}))
        .await;
    let event = a.next_event().await;
    assert_eq!(event["event"], "file_changed", "{event}");
    assert_eq!(event["agent"], "agent-b");
    assert_eq!(event["lines"], json!([[6, 6]]));
}

#[tokio::test]
async fn subscriber_not_reading_is_closed() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut slow = hello(&shared, &stopped, "slow").await;
    let mut fast = hello(&shared, &stopped, "fast").await;
    let mut writer = hello(&shared, &stopped, "writer").await;
    slow.request(json!({"type": "subscribe"})).await;
    fast.request(json!({"type": "subscribe"})).await;

    // The test connection buffers 16 frames and the server queues 16
    // events, so 40 changes overflow a connection that does not read.
    let writes = 40;
    for n in 0..writes {
        let base = version(&mut writer, "a.txt").await;
        writer
            .request(json!({"type": "write", "path": "a.txt", "base": base, "text": format!("{TEXT}{n}\n")}))
            .await;
        let event = fast.next_event().await;
        assert_eq!(event["event"], "file_changed", "{event}");
    }

    let mut changes = 0;
    let mut lagged = false;
    let close = loop {
        let message = tokio::time::timeout(Duration::from_secs(10), slow.replies.recv())
            .await
            .expect("a message within 10 s")
            .expect("a close frame before the end");
        match message {
            Message::Text(text) => {
                let event: Value = serde_json::from_str(&text).expect("JSON");
                match event["event"].as_str() {
                    Some("file_changed") => changes += 1,
                    Some("lagged") => {
                        assert_eq!(event["queue"], 16, "{event}");
                        lagged = true;
                    }
                    _ => panic!("unexpected message {event}"),
                }
            }
            Message::Close(frame) => break frame,
            other => panic!("unexpected message {other:?}"),
        }
    };
    let frame = close.expect("a close frame with a reason");
    assert_eq!(frame.code, CloseCode::Again);
    assert!(lagged, "the slow connection was told why it is closed");
    assert!(
        changes < writes,
        "the slow connection got {changes} of {writes}"
    );
}

#[tokio::test]
async fn preview_reports_lease_overlap() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    a.request(json!({"type": "lease", "path": "a.txt", "lines": lines(5, 6), "intent": "trim"}))
        .await;
    let base = version(&mut b, "a.txt").await;
    let preview = b
        .request(json!({"type": "preview", "path": "a.txt", "base": base,
            "text": "one\ntwo\nthree\nfour\nFIVE\nsix\n"}))
        .await;
    let overlaps = &preview["result"]["overlaps"];
    assert_eq!(overlaps.as_array().map(Vec::len), Some(1), "{preview}");
    assert_eq!(overlaps[0]["kind"], "lease");
    assert_eq!(overlaps[0]["state"], "preview");

    let listed = b.request(json!({"type": "overlaps", "all": true})).await;
    assert_eq!(
        listed["result"]["overlaps"],
        json!([]),
        "a preview stores nothing"
    );
}

#[tokio::test]
async fn lease_follows_renamed_file() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    a.request(json!({"type": "lease", "path": "a.txt", "lines": lines(1, 2), "intent": "edit"}))
        .await;
    let renamed = b
        .request(json!({"type": "rename", "from": "a.txt", "to": "b.txt"}))
        .await;
    assert!(renamed.get("result").is_some(), "{renamed}");

    let listed = b.request(json!({"type": "leases", "path": "b.txt"})).await;
    let leases = &listed["result"]["leases"];
    assert_eq!(leases.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(leases[0]["path"], "b.txt");
    let old = b.request(json!({"type": "leases", "path": "a.txt"})).await;
    assert_eq!(old["result"]["leases"], json!([]), "{old}");

    // Fences keep counting after the rename, and each names its own lease.
    let second = b
        .request(json!({"type": "lease", "path": "b.txt", "lines": lines(5, 6), "intent": "x"}))
        .await;
    assert_eq!(second["result"]["lease"]["fence"], 2, "{second}");
    let base = version(&mut a, "b.txt").await;
    let text = format!("ONE\n{}", &TEXT[4..]);
    let fenced = a
        .request(json!({"type": "write", "path": "b.txt", "base": base, "fence": 1, "text": text}))
        .await;
    assert_eq!(fenced["result"]["lease"]["id"], leases[0]["id"], "{fenced}");
    assert_eq!(fenced["result"]["lease"]["state"], "live");
    let foreign = a
        .request(json!({"type": "write", "path": "b.txt", "base": base, "fence": 2, "text": text}))
        .await;
    assert_eq!(foreign["error"]["code"], "not_holder", "{foreign}");
}

#[tokio::test]
async fn lease_overlap_on_delete_and_bytes() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT), ("b.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;
    for path in ["a.txt", "b.txt"] {
        a.request(json!({"type": "lease", "path": path, "lines": lines(2, 3), "intent": "keep"}))
            .await;
    }

    let deleted = b.request(json!({"type": "delete", "path": "a.txt"})).await;
    let overlaps = &deleted["result"]["overlaps"];
    assert_eq!(overlaps.as_array().map(Vec::len), Some(1), "{deleted}");
    assert_eq!(overlaps[0]["kind"], "lease");
    assert_eq!(overlaps[0]["agents"], json!(["agent-a", "agent-b"]));

    // A NUL turns the text into bytes, which changes every line.
    let base = version(&mut b, "b.txt").await;
    let written = b
        .request(json!({"type": "write", "path": "b.txt", "base": base, "text": "one\n\u{0}\n"}))
        .await;
    assert_eq!(written["result"]["kind"], "bytes", "{written}");
    let overlaps = &written["result"]["overlaps"];
    assert_eq!(overlaps.as_array().map(Vec::len), Some(1), "{written}");
    assert_eq!(overlaps[0]["kind"], "lease");
}

#[tokio::test]
async fn lease_count_per_agent_is_capped() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    let cap = weft_sync_server::leases::MAX_LIVE_LEASES_PER_AGENT;
    for _ in 0..cap {
        let granted = a
            .request(json!({"type": "lease", "path": "a.txt", "lines": lines(2, 2), "intent": "x"}))
            .await;
        assert!(granted.get("result").is_some(), "{granted}");
    }
    let rejected = a
        .request(json!({"type": "lease", "path": "a.txt", "intent": "one more"}))
        .await;
    assert_eq!(rejected["error"]["code"], "invalid_request", "{rejected}");

    // A write inside all of them opens one overlap with their holder.
    let base = version(&mut b, "a.txt").await;
    let written = b
        .request(json!({"type": "write", "path": "a.txt", "base": base,
            "text": "one\nTWO\nthree\nfour\nfive\nsix\n"}))
        .await;
    let overlaps = &written["result"]["overlaps"];
    assert_eq!(overlaps.as_array().map(Vec::len), Some(1), "one per holder");
}

#[tokio::test]
async fn overlaps_of_deleted_file_stay_listed() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    a.request(json!({"type": "lease", "path": "a.txt", "intent": "keep"}))
        .await;
    b.request(json!({"type": "delete", "path": "a.txt"})).await;
    let listed = a
        .request(json!({"type": "overlaps", "path": "a.txt"}))
        .await;
    let overlaps = &listed["result"]["overlaps"];
    assert_eq!(overlaps.as_array().map(Vec::len), Some(1), "{listed}");
    let never = a
        .request(json!({"type": "overlaps", "path": "never.txt"}))
        .await;
    assert_eq!(never["error"]["code"], "not_found", "{never}");
}

#[tokio::test]
async fn fences_stay_unique_after_delete_and_create() {
    let (_temp, shared) = workspace(&[("p.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    let first = a
        .request(json!({"type": "lease", "path": "p.txt", "intent": "edit"}))
        .await;
    assert_eq!(first["result"]["lease"]["fence"], 1, "{first}");
    b.request(json!({"type": "delete", "path": "p.txt"})).await;
    let ended = a.request(json!({"type": "leases", "path": "p.txt"})).await;
    assert_eq!(
        ended["result"]["leases"],
        json!([]),
        "a delete ends the leases"
    );
    b.request(json!({"type": "create", "path": "p.txt", "text": TEXT}))
        .await;
    let second = b
        .request(json!({"type": "lease", "path": "p.txt", "intent": "new"}))
        .await;
    assert_eq!(second["result"]["lease"]["fence"], 2, "{second}");

    let base = version(&mut a, "p.txt").await;
    let fenced = a
        .request(json!({"type": "write", "path": "p.txt", "base": base, "fence": 1, "text": TEXT}))
        .await;
    assert_eq!(fenced["result"]["lease"]["state"], "released", "{fenced}");
}

#[tokio::test]
async fn superseded_outlives_the_later_lease() {
    let (_temp, shared) = workspace(&[("a.txt", TEXT)]).await;
    let (_stop, stopped) = watch::channel(false);
    let mut a = hello(&shared, &stopped, "agent-a").await;
    let mut b = hello(&shared, &stopped, "agent-b").await;

    a.request(json!({"type": "lease", "path": "a.txt", "lines": lines(1, 2), "intent": "a"}))
        .await;
    let later = b
        .request(json!({"type": "lease", "path": "a.txt", "lines": lines(2, 3), "intent": "b"}))
        .await;
    b.request(json!({"type": "release", "lease": later["result"]["lease"]["id"]}))
        .await;

    let base = version(&mut a, "a.txt").await;
    let fenced = a
        .request(json!({"type": "write", "path": "a.txt", "base": base, "fence": 1, "text": TEXT}))
        .await;
    assert_eq!(fenced["result"]["lease"]["state"], "superseded", "{fenced}");
    assert_eq!(
        fenced["result"]["lease"]["superseded_by"]["agent"],
        "agent-b"
    );
}
