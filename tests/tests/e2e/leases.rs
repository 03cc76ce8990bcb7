//! Leases and events through the `weft` binary. The tests cover `weft
//! lease` and `weft leases` as two agents see them, a lease range that
//! moves with an edit above it, and expiry under the server's test clock.
//! They show `weft watch` telling a lease holder about a write inside its
//! lease, `weft status`, and leases after a restart. The slow subscriber
//! is in `slow_subscriber.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use weft_e2e::{Client, Sandbox, ServerProcess, clone_copy, overlaps_of, run_weft_ok};

use crate::watch::Watch;

/// How long a test waits for one expected line or exit before it fails. It
/// bounds a wait that would otherwise hang; no test measures speed.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// Twenty numbered lines, `line 1` to `line 20`.
pub(crate) fn numbered() -> String {
    (1..=20).map(|line| format!("line {line}\n")).collect()
}

/// A server and the working copies `a` (agent-a) and `b` (agent-b) of a
/// workspace with `f.txt`, twenty numbered lines.
struct Agents {
    sandbox: Sandbox,
    server: ServerProcess,
    a: PathBuf,
    b: PathBuf,
}

impl Agents {
    /// Starts the server with `extra` arguments and clones both copies.
    fn start(extra: &[&str]) -> Agents {
        let sandbox = Sandbox::with_files(&[("f.txt", numbered().as_bytes())]);
        let server = sandbox.start_with(extra);
        let a = sandbox.root().join("a");
        let b = sandbox.root().join("b");
        clone_copy(&a, &server.url, "agent-a");
        clone_copy(&b, &server.url, "agent-b");
        Agents {
            sandbox,
            server,
            a,
            b,
        }
    }

    /// Replaces `from` with `to` in the local `f.txt` of `copy`.
    fn edit(copy: &Path, from: &str, to: &str) {
        let path = copy.join("f.txt");
        let text = std::fs::read_to_string(&path).expect("read f.txt");
        assert!(text.contains(from), "{from:?} in {text}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write f.txt");
    }
}

/// Runs a weft command that prints one JSON object and returns it.
fn run_json(dir: &Path, args: &[&str]) -> Value {
    let printed = run_weft_ok(dir, args);
    serde_json::from_str(printed.trim()).unwrap_or_else(|error| {
        panic!("weft {args:?} printed no JSON object ({error}):\n{printed}")
    })
}

/// Returns the `leases` list of `weft leases --json ARGS`.
fn listed_leases(dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["leases", "--json"];
    full.extend_from_slice(args);
    let result = run_json(dir, &full);
    result["leases"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of leases, got {result}"))
        .clone()
}

#[test]
fn lease_seen_by_other_agent() {
    let agents = Agents::start(&[]);

    let printed = run_weft_ok(
        &agents.a,
        &["lease", "f.txt", "--lines", "2-3", "--intent", "rename x"],
    );
    let id = printed
        .strip_prefix("leased ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("weft lease prints `leased ID ...`, got {printed:?}"))
        .to_owned();
    assert!(id.starts_with("ls-"), "{id}");
    let described = format!("{id} agent-a f.txt lines 2-3 \"rename x\" fence ");
    assert!(
        printed.starts_with(&format!("leased {described}")),
        "{printed}"
    );
    assert_eq!(
        printed.lines().count(),
        1,
        "no overlapping lease: {printed}"
    );

    let listed = run_weft_ok(&agents.b, &["leases"]);
    assert!(listed.starts_with(&described), "{listed}");
    let leases = listed_leases(&agents.b, &[]);
    assert_eq!(leases.len(), 1, "{leases:?}");
    assert_eq!(leases[0]["id"], id.as_str());
    assert_eq!(leases[0]["agent"], "agent-a");
    assert_eq!(leases[0]["state"], "live");

    let overlapping = run_weft_ok(
        &agents.b,
        &["lease", "f.txt", "--lines", "3-4", "--intent", "reorder"],
    );
    let lines: Vec<&str> = overlapping.lines().collect();
    assert_eq!(lines.len(), 2, "{overlapping}");
    assert!(
        lines[0].contains(" agent-b f.txt lines 3-4 \"reorder\" "),
        "{overlapping}"
    );
    assert!(
        lines[1].starts_with(&format!("overlapping {described}")),
        "{overlapping}"
    );

    let granted = run_json(
        &agents.b,
        &[
            "lease", "f.txt", "--lines", "2-2", "--intent", "again", "--json",
        ],
    );
    let others: Vec<&Value> = granted["overlapping"]
        .as_array()
        .expect("a list of overlapping leases")
        .iter()
        .collect();
    assert_eq!(others.len(), 1, "only agent-a's lease counts: {granted}");
    assert_eq!(others[0]["id"], id.as_str());

    let of_b = listed_leases(&agents.a, &["--holder", "agent-b"]);
    assert_eq!(of_b.len(), 2, "{of_b:?}");
    assert!(of_b.iter().all(|lease| lease["agent"] == "agent-b"));
    let none = run_weft_ok(&agents.a, &["leases", "other.txt"]);
    assert_eq!(none, "no live leases on \"other.txt\"\n");
}

#[test]
fn lease_moves_with_insertion_above() {
    let agents = Agents::start(&[]);
    run_weft_ok(
        &agents.a,
        &["lease", "f.txt", "--lines", "10-12", "--intent", "tidy"],
    );

    Agents::edit(&agents.b, "line 1\n", "new a\nnew b\nnew c\nline 1\n");
    run_weft_ok(&agents.b, &["sync"]);

    let leases = listed_leases(&agents.a, &[]);
    assert_eq!(leases.len(), 1, "{leases:?}");
    assert_eq!(leases[0]["lines"], json!({"start": 13, "end": 15}));
}

#[tokio::test]
async fn lease_expires_under_test_clock() {
    let agents = Agents::start(&["--test-clock"]);
    let granted = run_json(
        &agents.a,
        &[
            "lease", "f.txt", "--lines", "10-12", "--intent", "short", "--ttl", "30s", "--json",
        ],
    );
    let a_lease = granted["lease"].clone();
    let a_fence = a_lease["fence"].as_u64().expect("a fence number");

    let mut clock = Client::connect(&agents.server.url, "clock")
        .await
        .expect("connect");
    clock
        .call(json!({"type": "clock", "advance": 31}))
        .await
        .expect("the test clock moves");
    let live = run_weft_ok(&agents.b, &["leases"]);
    assert_eq!(live, "no live leases\n");
    let all = listed_leases(&agents.b, &["--all"]);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["state"], "expired");

    let b_granted = run_json(
        &agents.b,
        &[
            "lease", "f.txt", "--lines", "10-12", "--intent", "mine now", "--json",
        ],
    );
    assert_eq!(
        b_granted["overlapping"],
        json!([]),
        "an expired lease no longer overlaps"
    );
    let b_id = b_granted["lease"]["id"].clone();

    // agent-a's sync writes inside agent-b's live lease: accepted, with a
    // lease overlap that names agent-b first.
    Agents::edit(&agents.a, "line 11\n", "line eleven\n");
    let printed = run_weft_ok(&agents.a, &["sync", "--json"]);
    let outcome: Value = serde_json::from_str(printed.trim()).expect("one JSON outcome");
    assert_eq!(outcome["action"], "sent");
    let lease_overlaps: Vec<&Value> = outcome["overlaps"]
        .as_array()
        .expect("a list of overlaps")
        .iter()
        .filter(|overlap| overlap["kind"] == "lease")
        .collect();
    assert_eq!(lease_overlaps.len(), 1, "{outcome}");
    assert_eq!(lease_overlaps[0]["agents"], json!(["agent-b", "agent-a"]));
    assert_eq!(lease_overlaps[0]["lease"]["id"], b_id);

    // A write that carries agent-a's fence learns that its lease ended.
    let mut writer = Client::connect(&agents.server.url, "agent-a")
        .await
        .expect("connect");
    let base = writer.version("f.txt").await.expect("version");
    let text = std::fs::read_to_string(agents.a.join("f.txt"))
        .expect("read f.txt")
        .replace("line 12\n", "line twelve\n");
    let result = writer
        .call(json!({
            "type": "write", "path": "f.txt", "base": base, "text": text,
            "fence": a_fence, "write_id": "a-fenced-1"
        }))
        .await
        .expect("a fenced write is applied");
    let state = result["lease"]["state"].as_str().unwrap_or_default();
    assert!(
        state == "expired" || state == "superseded",
        "agent-a's lease is expired or superseded: {result}"
    );
    assert_eq!(result["lease"]["id"], a_lease["id"]);
    assert_eq!(result["text"], json!(text));
    assert!(
        overlaps_of(&result)
            .iter()
            .any(|overlap| overlap["kind"] == "lease"),
        "{result}"
    );
}

#[test]
fn watch_tells_holder_of_write_inside_lease() {
    let agents = Agents::start(&[]);
    let granted = run_json(
        &agents.a,
        &[
            "lease", "f.txt", "--lines", "5-7", "--intent", "refactor", "--json",
        ],
    );
    let lease_id = granted["lease"]["id"].clone();
    let json_watch = Watch::start(&agents.a, &["--json"]);
    let text_watch = Watch::start(&agents.a, &[]);

    Agents::edit(&agents.b, "line 6\n", "line six\n");
    run_weft_ok(&agents.b, &["sync"]);

    let events = json_watch.first_events(&["overlap_opened", "file_changed"]);
    let (opened, changed) = (&events[0], &events[1]);
    assert_eq!(opened["overlap"]["kind"], "lease", "{opened}");
    assert_eq!(opened["overlap"]["agents"], json!(["agent-a", "agent-b"]));
    assert_eq!(opened["overlap"]["lease"]["id"], lease_id);
    assert_eq!(changed["path"], "f.txt");
    assert_eq!(changed["agent"], "agent-b");
    assert_eq!(changed["lines"], json!([[6, 6]]));

    let lines = text_watch.first_lines(&["file_changed ", "overlap_opened "]);
    assert_eq!(lines[0], "file_changed f.txt by agent-b lines 6");
    assert!(
        lines[1].ends_with(" lease (medium) f.txt agent-a,agent-b"),
        "{}",
        lines[1]
    );

    assert!(json_watch.interrupt().success(), "SIGINT ends watch with 0");
    assert!(text_watch.interrupt().success(), "SIGINT ends watch with 0");
}

#[test]
fn status_shows_leases_on_local_changes() {
    let agents = Agents::start(&[]);
    let granted = run_json(
        &agents.a,
        &[
            "lease", "f.txt", "--lines", "2-3", "--intent", "rename", "--json",
        ],
    );
    let id = granted["lease"]["id"]
        .as_str()
        .expect("a lease id")
        .to_owned();
    Agents::edit(&agents.a, "line 18\n", "line eighteen\n");
    run_weft_ok(&agents.a, &["sync"]);
    Agents::edit(&agents.b, "line 2\n", "line two\n");
    std::fs::write(agents.b.join("new.txt"), "new\n").expect("write new.txt");

    let status = run_json(&agents.b, &["status", "--json"]);
    assert_eq!(
        status["local_changes"],
        json!([
            {"path": "f.txt", "change": "modified"},
            {"path": "new.txt", "change": "added"}
        ])
    );
    assert_eq!(
        status["leases"].as_array().map(Vec::len),
        Some(1),
        "{status}"
    );
    assert_eq!(status["leases"][0]["id"], id.as_str());
    assert_eq!(status["overlaps"], json!([]));
    assert_eq!(
        status["server_changes"],
        json!([{"path": "f.txt", "change": "modified"}])
    );
    let printed = run_weft_ok(&agents.b, &["status"]);
    assert!(
        printed.starts_with("local changes (2):\n  modified f.txt\n  added    new.txt\n"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "leases of other agents on these files (1):\n  {id} agent-a f.txt lines 2-3 \"rename\" fence "
        )),
        "{printed}"
    );
    assert!(
        printed.contains("open overlaps involving agent-b (0):\n  none\n"),
        "{printed}"
    );
    assert!(
        printed.ends_with("changed on the server since the last sync (1):\n  modified f.txt\n"),
        "{printed}"
    );

    let foreign = weft_e2e::run_weft(&agents.b, &["release", &id]);
    let stderr = String::from_utf8_lossy(&foreign.stderr);
    assert_eq!(foreign.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not_holder"), "{stderr}");

    let renewed = run_weft_ok(&agents.a, &["renew", &id, "--ttl", "2h"]);
    assert!(renewed.starts_with(&format!("renewed {id} ")), "{renewed}");
    let released = run_weft_ok(&agents.a, &["release", &id]);
    assert!(
        released.starts_with(&format!("released {id} ")),
        "{released}"
    );
    let status = run_json(&agents.b, &["status", "--json"]);
    assert_eq!(
        status["leases"],
        json!([]),
        "a released lease is not listed"
    );
}

#[test]
fn leases_survive_restart() {
    let agents = Agents::start(&[]);
    run_weft_ok(
        &agents.a,
        &["lease", "f.txt", "--lines", "4-6", "--intent", "keep me"],
    );
    let before = listed_leases(&agents.a, &[]);
    assert_eq!(before.len(), 1, "{before:?}");
    let mut watch = Watch::start(&agents.a, &["--json"]);

    assert!(agents.server.stop(), "the server stops cleanly");
    let status = watch.wait_exit();
    assert_eq!(status.code(), Some(1), "{}", watch.stderr());
    let stderr = watch.stderr();
    assert!(stderr.contains("closed the connection"), "{stderr}");
    assert!(stderr.contains("close code 1001"), "{stderr}");

    let server = agents.sandbox.start();
    let after = listed_leases(&agents.a, &["--server", &server.url]);
    assert_eq!(after, before, "the lease is stored");
}
