//! Sync steps against an in-process stand-in for `weft serve` on the
//! loopback interface. The stand-in speaks the protocol's requests but
//! merges naively: a write on an outdated base appends the written text to
//! the current text and reports a `same-lines` overlap.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::apply::{Outcome, Syncer};
use super::plan::{Step, plan};
use super::sync::server_files;
use super::tree;
use crate::client::Client;
use crate::working_copy::{Config, State, WorkingCopy, sha256_hex};

#[derive(Clone)]
struct StoredFile {
    text: String,
    executable: bool,
    version: Vec<String>,
}

#[derive(Default)]
struct Store {
    files: BTreeMap<String, StoredFile>,
    /// Versions of deleted files, which a write may be based on.
    deleted: BTreeMap<String, Vec<String>>,
    counter: u64,
    /// A local file that the stand-in overwrites while handling a write,
    /// as if the user edited it during the sync.
    edit_during_write: Option<(PathBuf, String)>,
}

impl Store {
    fn next_version(&mut self, text: &str) -> Vec<String> {
        self.counter += 1;
        vec![sha256_hex(format!("{}:{text}", self.counter).as_bytes())]
    }

    fn put(&mut self, path: &str, text: &str) {
        let version = self.next_version(text);
        let file = StoredFile {
            text: text.to_owned(),
            executable: false,
            version,
        };
        self.files.insert(path.to_owned(), file);
    }
}

type Shared = Arc<Mutex<Store>>;

fn content(path: &str, file: &StoredFile) -> Value {
    json!({"path": path, "kind": "text", "text": file.text, "bom": false,
           "executable": file.executable, "version": file.version})
}

fn not_found(path: &str) -> Value {
    json!({"code": "not_found", "message": format!("file {path:?} not found"), "field": "path"})
}

fn handle(store: &Shared, request: &Value) -> Result<Value, Value> {
    let mut store = store.lock().expect("store lock");
    let path = request["path"].as_str().unwrap_or_default().to_owned();
    match request["type"].as_str().unwrap_or_default() {
        "hello" => Ok(json!({"agent": request["agent"], "actor": "00", "server": "stand-in"})),
        "list" => {
            let files: Vec<Value> = store
                .files
                .iter()
                .map(|(path, file)| json!({"path": path, "kind": "text", "executable": file.executable, "version": file.version}))
                .collect();
            Ok(json!({ "files": files }))
        }
        "read" => store
            .files
            .get(&path)
            .map(|file| content(&path, file))
            .ok_or_else(|| not_found(&path)),
        "delete" => match store.files.remove(&path) {
            Some(file) => {
                store.deleted.insert(path.clone(), file.version);
                Ok(json!({ "path": path }))
            }
            None => Err(not_found(&path)),
        },
        kind @ ("write" | "create") => {
            let base: Vec<String> =
                serde_json::from_value(request["base"].clone()).unwrap_or_default();
            let written = request["text"].as_str().unwrap_or_default().to_owned();
            if let Some((local, text)) = store.edit_during_write.take() {
                fs::write(local, text).expect("edit during write");
            }
            let (text, overlaps, created) = match store.files.get(&path) {
                Some(current) if kind == "write" && current.version == base => {
                    (written, json!([]), false)
                }
                Some(current) => {
                    let overlap = json!({"id": "ov-1", "kind": "same-lines", "severity": "high", "path": path,
                        "agents": ["agent-b", "agent-a"], "base_lines": {"start": 1, "end": 1},
                        "current": "@@ -1 +1 @@\n-a\n+b\n", "incoming": "@@ -1 +1 @@\n-a\n+c\n"});
                    (
                        format!("{}{written}", current.text),
                        json!([overlap]),
                        false,
                    )
                }
                None if base.is_empty() => (written, json!([]), true),
                None if store.deleted.get(&path) == Some(&base) => (written, json!([]), false),
                None => return Err(not_found(&path)),
            };
            let version = store.next_version(&text);
            let executable = request["executable"].as_bool().unwrap_or(false);
            let file = StoredFile {
                text,
                executable,
                version,
            };
            let mut reply = content(&path, &file);
            reply["overlaps"] = overlaps;
            reply["created"] = Value::from(created);
            store.files.insert(path, file);
            Ok(reply)
        }
        other => {
            Err(json!({"code": "invalid_request", "message": format!("unknown type {other}")}))
        }
    }
}

/// Starts the stand-in on 127.0.0.1 and returns its URL.
async fn start(store: Shared) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(Message::Text(text))) = socket.next().await {
                    let Ok(request) = serde_json::from_str::<Value>(text.as_str()) else {
                        return;
                    };
                    // An event before every reply, which the client must skip.
                    let event = json!({"event": "changed", "path": "x"}).to_string();
                    let reply = match handle(&store, &request) {
                        Ok(result) => json!({"id": request["id"], "result": result}),
                        Err(error) => json!({"id": request["id"], "error": error}),
                    };
                    let sent = socket.send(Message::text(event)).await;
                    if sent.is_err() || socket.send(Message::text(reply.to_string())).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok(url)
}

/// A working copy at `root` synced once against the stand-in.
struct Fixture {
    store: Shared,
    url: String,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(files: &[(&str, &str)]) -> Result<Fixture> {
        let store: Shared = Arc::default();
        for (path, text) in files {
            store.lock().expect("store lock").put(path, text);
        }
        let url = start(store.clone()).await?;
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("copy");
        fs::create_dir(&root)?;
        let config = Config {
            server: url.clone(),
            agent: "agent-a".into(),
        };
        WorkingCopy::init(&root, config, Some("token"))?;
        let fixture = Fixture {
            store,
            url,
            root,
            _dir: dir,
        };
        fixture.sync().await?;
        Ok(fixture)
    }

    /// Runs the steps of one sync and returns each outcome as
    /// `(action, path)`, or `("failed", path)`.
    async fn sync(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .sync_outcomes()
            .await?
            .into_iter()
            .map(|(path, outcome)| match outcome {
                Ok(outcome) => (outcome.action.to_owned(), path),
                Err(_) => ("failed".to_owned(), path),
            })
            .collect())
    }

    async fn sync_outcomes(&self) -> Result<Vec<(String, Result<Outcome>)>> {
        let working_copy = WorkingCopy::open(&self.root)?;
        let state = working_copy.load_state()?;
        let mut client = Client::connect(&self.url, Some("token")).await?;
        client.hello("agent-a").await?;
        let server = server_files(client.list().await?);
        let local = tree::scan(&self.root)?;
        let steps: Vec<Step> = plan(&local, &state.files, &server);
        let mut syncer = Syncer {
            working_copy: &working_copy,
            client: &mut client,
            agent: "agent-a",
            state,
        };
        let mut outcomes = Vec::new();
        for step in &steps {
            if let Some(outcome) = syncer.apply(step).await.transpose() {
                outcomes.push((step.path.clone(), outcome));
            }
        }
        Ok(outcomes)
    }

    fn state(&self) -> Result<State> {
        WorkingCopy::open(&self.root)?.load_state()
    }

    fn local(&self, path: &str) -> Result<String> {
        fs::read_to_string(self.root.join(path)).with_context(|| format!("reading local {path}"))
    }

    fn server_text(&self, path: &str) -> Option<String> {
        let store = self.store.lock().expect("store lock");
        store.files.get(path).map(|file| file.text.clone())
    }
}

fn pair(action: &str, path: &str) -> (String, String) {
    (action.to_owned(), path.to_owned())
}

#[tokio::test]
async fn first_sync_adds_server_files() -> Result<()> {
    let fixture = Fixture::new(&[("src/lib.rs", "fn a() {}\n"), ("README.md", "hi\n")]).await?;
    assert_eq!(fixture.local("src/lib.rs")?, "fn a() {}\n");
    assert_eq!(fixture.local("README.md")?, "hi\n");
    let state = fixture.state()?;
    assert_eq!(state.files["src/lib.rs"].sha256, sha256_hex(b"fn a() {}\n"));
    assert!(
        fixture.sync().await?.is_empty(),
        "a second sync has nothing to do"
    );
    Ok(())
}

#[tokio::test]
async fn local_edit_is_sent() -> Result<()> {
    let fixture = Fixture::new(&[("a.txt", "one\n")]).await?;
    fs::write(fixture.root.join("a.txt"), "two\n")?;
    assert_eq!(fixture.sync().await?, [pair("sent", "a.txt")]);
    assert_eq!(fixture.server_text("a.txt").as_deref(), Some("two\n"));
    assert!(fixture.sync().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn concurrent_edits_are_merged_locally() -> Result<()> {
    let fixture = Fixture::new(&[("a.txt", "one\n")]).await?;
    fixture
        .store
        .lock()
        .expect("store lock")
        .put("a.txt", "server\n");
    fs::write(fixture.root.join("a.txt"), "local\n")?;

    let outcomes = fixture.sync_outcomes().await?;
    let (path, outcome) = outcomes.first().context("one outcome")?;
    let outcome = outcome
        .as_ref()
        .map_err(|error| anyhow::anyhow!("{error:#}"))?;
    assert_eq!(path, "a.txt");
    assert_eq!(outcome.action, "merged");
    assert_eq!(outcome.overlaps.len(), 1);
    assert_eq!(fixture.local("a.txt")?, "server\nlocal\n");
    assert!(fixture.sync().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn server_edit_updates_local() -> Result<()> {
    let fixture = Fixture::new(&[("a.txt", "one\n")]).await?;
    fixture
        .store
        .lock()
        .expect("store lock")
        .put("a.txt", "two\n");
    assert_eq!(fixture.sync().await?, [pair("updated", "a.txt")]);
    assert_eq!(fixture.local("a.txt")?, "two\n");
    Ok(())
}

#[tokio::test]
async fn deletions_travel_both_ways() -> Result<()> {
    let fixture = Fixture::new(&[("gone-local.txt", "x\n"), ("gone-server.txt", "y\n")]).await?;
    fs::remove_file(fixture.root.join("gone-local.txt"))?;
    fixture
        .store
        .lock()
        .expect("store lock")
        .files
        .remove("gone-server.txt");

    let actions = fixture.sync().await?;
    assert_eq!(
        actions,
        [
            pair("removed", "gone-local.txt"),
            pair("deleted", "gone-server.txt")
        ]
    );
    assert_eq!(fixture.server_text("gone-local.txt"), None);
    assert!(!fixture.root.join("gone-server.txt").exists());
    assert!(fixture.state()?.files.is_empty());
    Ok(())
}

#[tokio::test]
async fn new_local_file_is_created() -> Result<()> {
    let fixture = Fixture::new(&[]).await?;
    fs::create_dir_all(fixture.root.join("notes"))?;
    fs::write(fixture.root.join("notes/todo.md"), "- ship\n")?;
    assert_eq!(fixture.sync().await?, [pair("created", "notes/todo.md")]);
    assert_eq!(
        fixture.server_text("notes/todo.md").as_deref(),
        Some("- ship\n")
    );
    Ok(())
}

#[tokio::test]
async fn local_deletion_of_server_change_restores() -> Result<()> {
    let fixture = Fixture::new(&[("a.txt", "one\n")]).await?;
    fs::remove_file(fixture.root.join("a.txt"))?;
    fixture
        .store
        .lock()
        .expect("store lock")
        .put("a.txt", "two\n");
    assert_eq!(fixture.sync().await?, [pair("restored", "a.txt")]);
    assert_eq!(fixture.local("a.txt")?, "two\n");
    Ok(())
}

#[tokio::test]
async fn edit_of_server_deleted_file_restores_it() -> Result<()> {
    let fixture = Fixture::new(&[("a.txt", "one\n")]).await?;
    {
        let mut store = fixture.store.lock().expect("store lock");
        let removed = store
            .files
            .remove("a.txt")
            .context("file on the stand-in")?;
        store.deleted.insert("a.txt".into(), removed.version);
    }
    fs::write(fixture.root.join("a.txt"), "kept alive\n")?;
    assert_eq!(fixture.sync().await?, [pair("sent", "a.txt")]);
    assert_eq!(
        fixture.server_text("a.txt").as_deref(),
        Some("kept alive\n")
    );
    Ok(())
}

#[tokio::test]
async fn file_changed_during_sync_is_kept() -> Result<()> {
    let fixture = Fixture::new(&[("a.txt", "one\n")]).await?;
    let base_before = fixture.state()?.files["a.txt"].base.clone();
    {
        let mut store = fixture.store.lock().expect("store lock");
        store.put("a.txt", "server\n");
        store.edit_during_write = Some((fixture.root.join("a.txt"), "edited again\n".into()));
    }
    fs::write(fixture.root.join("a.txt"), "local\n")?;

    assert_eq!(fixture.sync().await?, [pair("kept", "a.txt")]);
    assert_eq!(fixture.local("a.txt")?, "edited again\n");
    assert_eq!(fixture.state()?.files["a.txt"].base, base_before);
    Ok(())
}

#[tokio::test]
async fn reserved_server_path_is_skipped() -> Result<()> {
    let fixture = Fixture::new(&[]).await?;
    fixture
        .store
        .lock()
        .expect("store lock")
        .put(".weft/config.json", "{}");
    assert_eq!(
        fixture.sync().await?,
        [pair("skipped", ".weft/config.json")]
    );
    let config = fs::read_to_string(fixture.root.join(".weft/config.json"))?;
    assert!(config.contains("agent-a"));
    Ok(())
}

#[cfg(unix)]
#[tokio::test]
async fn executable_bit_is_sent() -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let fixture = Fixture::new(&[("run.sh", "#!/bin/sh\n")]).await?;
    fs::set_permissions(
        fixture.root.join("run.sh"),
        fs::Permissions::from_mode(0o755),
    )?;
    assert_eq!(fixture.sync().await?, [pair("sent", "run.sh")]);
    let store = fixture.store.lock().expect("store lock");
    assert!(store.files["run.sh"].executable);
    Ok(())
}

#[tokio::test]
async fn remote_error_keeps_code() -> Result<()> {
    let fixture = Fixture::new(&[]).await?;
    let mut client = Client::connect(&fixture.url, None).await?;
    client.hello("agent-a").await?;
    let error = client.read("missing.txt").await.expect_err("missing file");
    assert_eq!(crate::client::remote_code(&error), Some("not_found"));
    assert!(
        !client.is_closed(),
        "an error reply leaves the connection open"
    );
    client.list().await?;
    Ok(())
}
