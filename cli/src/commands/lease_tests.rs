//! Leases, events and `weft status` against the real server
//! (`weft_sync_server::Server`), started in-process on 127.0.0.1 with port
//! 0 and its test clock on. The served folder, the store and a working copy
//! of agent-a live in a temporary folder.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::status::collect;
use super::test_server::TestServer;
use super::{Connection, new_write_id};
use crate::client::messages::LineRange;
use crate::client::{
    Client, EventBody, LeaseFilter, LeaseRequest, Payload, Received, WriteRequest, remote_code,
};
use crate::output;
use crate::working_copy::{Config, FileState, State, WorkingCopy, sha256_hex};

const TOKEN: &str = "lease-test-token";
const AGENT_A: &str = "agent-a";
const AGENT_B: &str = "agent-b";

/// How long a test waits for an expected event before it fails. It bounds
/// a wait that would otherwise hang; no test measures speed.
const EVENT_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Twelve numbered lines.
const NUMBERED: &str = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";

/// A real server with the test clock on, serving `a.txt` and `b.txt`, and
/// a working copy of agent-a that is up to date with it.
struct Fixture {
    url: String,
    root: PathBuf,
    server: TestServer,
}

impl Fixture {
    async fn start() -> Result<Fixture> {
        let files: [(&str, &[u8]); 2] = [
            ("a.txt", NUMBERED.as_bytes()),
            ("b.txt", NUMBERED.as_bytes()),
        ];
        let server = TestServer::start(&files, TOKEN, true).await?;
        let root = server.folder().join("copy");
        fs::create_dir(&root)?;
        let fixture = Fixture {
            url: server.url.clone(),
            root,
            server,
        };
        fixture.init_working_copy().await?;
        Ok(fixture)
    }

    /// Writes the server's files into the working copy and records their
    /// versions, as a first sync would.
    async fn init_working_copy(&self) -> Result<()> {
        let config = Config {
            server: self.url.clone(),
            agent: AGENT_A.into(),
            workspace: None,
        };
        let working_copy = WorkingCopy::init(&self.root, config, Some(TOKEN))?;
        let mut client = self.connect(AGENT_A).await?;
        let listing = client.listing().await?;
        let mut state = State {
            seq: listing.seq,
            ..State::default()
        };
        for entry in listing.files {
            let content = client.read(&entry.path).await?;
            let bytes = content.disk_bytes()?;
            fs::write(self.root.join(&entry.path), &bytes)?;
            let recorded = FileState {
                base: content.version,
                sha256: sha256_hex(&bytes),
                executable: entry.executable,
            };
            state.files.insert(entry.path, recorded);
        }
        working_copy.save_state(&state)
    }

    async fn stop(self) -> Result<()> {
        self.server.stop().await
    }

    async fn connect(&self, agent: &str) -> Result<Client> {
        let mut client = Client::connect(&self.url, Some(TOKEN)).await?;
        client.hello(agent).await?;
        Ok(client)
    }

    /// Replaces the text of `path` on the server as `agent`, based on its
    /// current version.
    async fn write_as(&self, agent: &str, path: &str, text: &str) -> Result<()> {
        let mut client = self.connect(agent).await?;
        let current = client.read(path).await?;
        let request = WriteRequest {
            path,
            base: Some(&current.version),
            payload: &Payload::Text(text.to_owned()),
            executable: None,
            message: "lease test edit",
            write_id: &new_write_id(agent),
        };
        client.write(&request).await.map(drop)
    }
}

fn span(start: u64, end: u64) -> Option<LineRange> {
    Some(LineRange { start, end })
}

fn lease_request<'a>(path: &'a str, range: Option<LineRange>, intent: &'a str) -> LeaseRequest<'a> {
    LeaseRequest {
        path,
        lines: range,
        symbol: None,
        intent,
        ttl_seconds: 1800,
    }
}

/// Returns the next event, failing when the server closed the connection.
async fn next_event_body(client: &mut Client) -> Result<(EventBody, String)> {
    match client.next_event().await? {
        Received::Event(event) => {
            let body = serde::Deserialize::deserialize(&event.value)
                .with_context(|| format!("event {} does not decode", event.text))?;
            Ok((body, output::event_line(&event.value)))
        }
        Received::Closed(close) => bail!("the server closed the connection: {close}"),
    }
}

#[tokio::test]
async fn lease_reports_other_agents_lease() -> Result<()> {
    let fixture = Fixture::start().await?;
    let mut a = fixture.connect(AGENT_A).await?;
    let mut b = fixture.connect(AGENT_B).await?;

    let first = a
        .lease(&lease_request("a.txt", span(2, 4), "rename x"))
        .await?;
    assert_eq!(first.lease.agent, AGENT_A);
    assert_eq!(first.lease.lines, span(2, 4));
    assert!(first.lease.is_live());
    assert!(first.overlapping.is_empty(), "{:?}", first.overlapping);

    let second = b
        .lease(&lease_request("a.txt", span(4, 6), "reorder"))
        .await?;
    assert_eq!(second.overlapping.len(), 1, "{:?}", second.overlapping);
    assert_eq!(second.overlapping[0].id, first.lease.id);
    assert_eq!(second.overlapping[0].intent, "rename x");
    assert!(
        second.lease.fence > first.lease.fence,
        "a later grant on the same path has a larger fence"
    );

    let apart = b.lease(&lease_request("a.txt", span(8, 9), "docs")).await?;
    assert!(apart.overlapping.is_empty(), "{:?}", apart.overlapping);

    let of_a = b
        .leases(&LeaseFilter {
            agent: Some(AGENT_A),
            ..LeaseFilter::default()
        })
        .await?;
    let ids: Vec<&str> = of_a.iter().map(|lease| lease.id.as_str()).collect();
    assert_eq!(ids, [first.lease.id.as_str()]);
    let on_b_txt = b
        .leases(&LeaseFilter {
            path: Some("b.txt"),
            ..LeaseFilter::default()
        })
        .await?;
    assert!(on_b_txt.is_empty(), "{on_b_txt:?}");
    fixture.stop().await
}

#[tokio::test]
async fn renew_and_release_by_holder_only() -> Result<()> {
    let fixture = Fixture::start().await?;
    let mut a = fixture.connect(AGENT_A).await?;
    let mut b = fixture.connect(AGENT_B).await?;
    let granted = a.lease(&lease_request("a.txt", None, "rewrite")).await?;
    let id = granted.lease.id.clone();
    assert_eq!(granted.lease.lines, None, "no lines lease the whole file");

    let foreign = b.renew(&id, 60).await.expect_err("only the holder renews");
    assert_eq!(remote_code(&foreign), Some("not_holder"), "{foreign:#}");

    let renewed = a.renew(&id, 7200).await?;
    assert_eq!(renewed.lease.id, id);
    assert_eq!(renewed.lease.fence, granted.lease.fence);
    assert!(
        renewed.lease.expires > granted.lease.expires,
        "{:?} after {:?}",
        renewed.lease.expires,
        granted.lease.expires
    );

    let released = a.release(&id).await?;
    assert_eq!(released.state, "released");
    let live = a.leases(&LeaseFilter::default()).await?;
    assert!(live.is_empty(), "{live:?}");
    let all = a
        .leases(&LeaseFilter {
            all: true,
            ..LeaseFilter::default()
        })
        .await?;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].state, "released");

    let lapsed = a
        .renew(&id, 60)
        .await
        .expect_err("a released lease is over");
    assert_eq!(remote_code(&lapsed), Some("lease_lapsed"), "{lapsed:#}");
    let again = a.release(&id).await?;
    assert_eq!(again.state, "released", "releasing again changes nothing");
    fixture.stop().await
}

#[tokio::test]
async fn test_clock_expires_lease() -> Result<()> {
    let fixture = Fixture::start().await?;
    let mut a = fixture.connect(AGENT_A).await?;
    let mut request = lease_request("a.txt", span(1, 2), "short");
    request.ttl_seconds = 30;
    let granted = a.lease(&request).await?;

    a.request("clock", json!({ "advance": 31 })).await?;
    let live = a.leases(&LeaseFilter::default()).await?;
    assert!(live.is_empty(), "{live:?}");
    let all = a
        .leases(&LeaseFilter {
            all: true,
            ..LeaseFilter::default()
        })
        .await?;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].id, granted.lease.id);
    assert_eq!(all[0].state, "expired");

    let lapsed = a.renew(&granted.lease.id, 60).await.expect_err("expired");
    assert_eq!(remote_code(&lapsed), Some("lease_lapsed"), "{lapsed:#}");
    fixture.stop().await
}

#[tokio::test]
async fn expiry_sends_lease_expired() -> Result<()> {
    let fixture = Fixture::start().await?;
    let mut holder = fixture.connect(AGENT_A).await?;
    holder.subscribe(&[]).await?;
    let mut request = lease_request("a.txt", span(1, 2), "short");
    request.ttl_seconds = 30;
    let granted = holder.lease(&request).await?;
    holder.request("clock", json!({ "advance": 31 })).await?;

    let mut kinds = Vec::new();
    loop {
        let waited = tokio::time::timeout(EVENT_WAIT, next_event_body(&mut holder)).await;
        let Ok(received) = waited else {
            bail!("no lease_expired event within {EVENT_WAIT:?}; events so far: {kinds:?}");
        };
        let (body, line) = received?;
        if let EventBody::LeaseExpired { lease } = body {
            assert_eq!(lease.id, granted.lease.id);
            assert_eq!(lease.state, "expired");
            assert!(line.starts_with("lease_expired "), "{line}");
            break;
        }
        kinds.push(line);
    }
    fixture.stop().await
}

#[tokio::test]
async fn subscriber_receives_events_between_replies() -> Result<()> {
    let fixture = Fixture::start().await?;
    let mut watcher = fixture.connect(AGENT_A).await?;
    let subscription = watcher.subscribe(&["a.txt".to_owned()]).await?;
    assert_eq!(subscription.paths, ["a.txt"]);
    assert!(subscription.queue.is_some_and(|queue| queue > 0));

    fixture
        .write_as(AGENT_B, "a.txt", &NUMBERED.replace("3\n", "three\n"))
        .await?;
    fixture
        .write_as(AGENT_B, "b.txt", &NUMBERED.replace("5\n", "five\n"))
        .await?;
    // The event may arrive before this reply, and must then be kept.
    let listed = watcher.listing().await?;
    assert_eq!(listed.files.len(), 2);

    let (body, line) = next_event_body(&mut watcher).await?;
    let EventBody::FileChanged { agent, path, lines } = body else {
        bail!("expected file_changed of a.txt, got {line}");
    };
    assert_eq!(agent, AGENT_B);
    assert_eq!(path, "a.txt");
    assert_eq!(lines, [[3, 3]]);
    assert_eq!(line, "file_changed a.txt by agent-b lines 3");

    // The b.txt change does not match the pattern; agent-b's lease does
    // not concern agent-a either; agent-a's own lease always arrives.
    let mut b = fixture.connect(AGENT_B).await?;
    b.lease(&lease_request("b.txt", span(1, 1), "elsewhere"))
        .await?;
    let mut a = fixture.connect(AGENT_A).await?;
    let own = a.lease(&lease_request("b.txt", span(9, 9), "mine")).await?;
    let (body, line) = next_event_body(&mut watcher).await?;
    let EventBody::LeaseGranted { lease } = body else {
        bail!("expected agent-a's lease_granted, got {line}");
    };
    assert_eq!(lease.id, own.lease.id);
    assert!(
        line.starts_with(&format!(
            "lease_granted {} agent-a b.txt lines 9-9 \"mine\" until ",
            own.lease.id
        )),
        "{line}"
    );
    fixture.stop().await
}

#[tokio::test]
async fn write_inside_lease_opens_lease_overlap_event() -> Result<()> {
    let fixture = Fixture::start().await?;
    let mut holder = fixture.connect(AGENT_A).await?;
    let granted = holder
        .lease(&lease_request("a.txt", span(5, 7), "refactor"))
        .await?;
    holder.subscribe(&[]).await?;

    fixture
        .write_as(AGENT_B, "a.txt", &NUMBERED.replace("6\n", "six\n"))
        .await?;
    let mut kinds = Vec::new();
    let mut overlap_line = None;
    while kinds.len() < 2 {
        let (body, line) = next_event_body(&mut holder).await?;
        match body {
            EventBody::FileChanged { .. } => kinds.push("file_changed"),
            EventBody::OverlapOpened { overlap } => {
                assert_eq!(overlap.kind, "lease");
                assert_eq!(overlap.agents.first().map(String::as_str), Some(AGENT_A));
                kinds.push("overlap_opened");
                overlap_line = Some(line);
            }
            _ => {}
        }
    }
    kinds.sort_unstable();
    assert_eq!(kinds, ["file_changed", "overlap_opened"]);
    let overlap_line = overlap_line.unwrap_or_default();
    assert!(
        overlap_line.contains(" lease (medium) a.txt agent-a,agent-b"),
        "{overlap_line}"
    );
    assert!(granted.lease.is_live());
    fixture.stop().await
}

#[tokio::test]
async fn status_reports_four_lists() -> Result<()> {
    let fixture = Fixture::start().await?;
    // agent-a's local edits, agent-b's lease on a.txt, and agent-b's
    // changes on the server.
    fs::write(fixture.root.join("a.txt"), NUMBERED.replace("2\n", "two\n"))?;
    fs::write(fixture.root.join("new.txt"), "new\n")?;
    let mut b = fixture.connect(AGENT_B).await?;
    let foreign = b
        .lease(&lease_request("a.txt", span(1, 3), "b's plan"))
        .await?;
    b.lease(&lease_request("b.txt", span(1, 3), "not changed by a"))
        .await?;
    let mut a = fixture.connect(AGENT_A).await?;
    a.lease(&lease_request("a.txt", span(10, 10), "a's own"))
        .await?;
    fixture
        .write_as(AGENT_B, "b.txt", &NUMBERED.replace("7\n", "seven\n"))
        .await?;
    // A write inside agent-a's lease opens an overlap that involves it.
    fixture
        .write_as(AGENT_B, "a.txt", &NUMBERED.replace("10\n", "ten\n"))
        .await?;

    let working_copy = WorkingCopy::open(&fixture.root)?;
    let connection = Connection {
        server: fixture.url.clone(),
        agent: AGENT_A.into(),
        token: Some(TOKEN.into()),
    };
    let status = collect(&working_copy, &connection).await?;
    let value = serde_json::to_value(&status)?;
    assert_eq!(
        value["local_changes"],
        json!([
            {"path": "a.txt", "change": "modified"},
            {"path": "new.txt", "change": "added"}
        ])
    );
    let leases = value["leases"].as_array().context("leases is a list")?;
    assert_eq!(leases.len(), 1, "{leases:?}");
    assert_eq!(leases[0]["id"], foreign.lease.id.as_str());
    let overlaps = value["overlaps"].as_array().context("overlaps is a list")?;
    assert_eq!(overlaps.len(), 1, "{overlaps:?}");
    assert_eq!(overlaps[0]["kind"], "lease");
    assert_eq!(overlaps[0]["agents"], json!([AGENT_A, AGENT_B]));
    assert_eq!(
        value["server_changes"],
        json!([
            {"path": "a.txt", "change": "modified"},
            {"path": "b.txt", "change": "modified"}
        ])
    );
    fixture.stop().await
}
