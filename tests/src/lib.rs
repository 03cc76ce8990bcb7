//! Support for the end-to-end tests: the real `weft` binary, started on
//! loopback with port 0, and a plain WebSocket client for the JSON protocol.
//!
//! The binary is built once per test run with `cargo build -p weft-cli`
//! (a no-op when it is up to date), so `cargo test --workspace` never runs
//! the tests against a stale binary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The token every test server uses.
pub const TOKEN: &str = "test-token-0123456789";

/// The path of the `weft` binary, built on first use.
pub fn weft_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the tests crate sits inside the workspace")
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "weft-cli", "--bin", "weft"])
            .current_dir(&workspace)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the weft binary failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"));
        target.join("debug").join("weft")
    })
}

/// A `weft` command with a clean environment for the weft variables.
pub fn weft() -> Command {
    let mut command = Command::new(weft_bin());
    command
        .env_remove("WEFT_SERVER")
        .env_remove("WEFT_AGENT")
        .env_remove("WEFT_TOKEN")
        .env("WEFT_LOG", "warn");
    command
}

/// Runs `weft` with `args` in `dir` and returns its output.
pub fn run_weft(dir: &Path, args: &[&str]) -> Output {
    weft()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the weft binary runs")
}

/// Runs `weft` and fails the test, with its output, unless it exits 0.
pub fn run_weft_ok(dir: &Path, args: &[&str]) -> String {
    let output = run_weft(dir, args);
    assert!(
        output.status.success(),
        "weft {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A running `weft serve`, stopped with SIGTERM when dropped.
pub struct ServerProcess {
    child: Child,
    /// The URL it printed, such as `ws://127.0.0.1:40123`.
    pub url: String,
}

impl ServerProcess {
    /// Starts `weft serve dir --store store` on 127.0.0.1 port 0 with
    /// [`TOKEN`] and waits for its `listening on` line.
    pub fn start(dir: &Path, store: &Path) -> ServerProcess {
        Self::start_with(dir, store, &[])
    }

    /// Starts the server with extra arguments.
    pub fn start_with(dir: &Path, store: &Path, extra: &[&str]) -> ServerProcess {
        let mut child = weft()
            .arg("serve")
            .arg(dir)
            .arg("--store")
            .arg(store)
            .args(["--listen", "127.0.0.1:0", "--token", TOKEN])
            .args(extra)
            .env(
                "WEFT_LOG",
                std::env::var("WEFT_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("weft serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("weft serve prints a line");
        let url = match line.trim().strip_prefix("listening on ") {
            Some(url) => url.to_owned(),
            None => {
                let _ = child.kill();
                panic!("weft serve printed {line:?} instead of its listening line");
            }
        };
        ServerProcess { child, url }
    }

    /// Stops the server with SIGTERM and waits for it to exit; returns
    /// whether it exited successfully.
    pub fn stop(mut self) -> bool {
        self.terminate()
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// A JSON-protocol client over a real WebSocket.
pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Client {
    /// Connects with [`TOKEN`] and says hello as `agent`.
    pub async fn connect(url: &str, agent: &str) -> anyhow::Result<Client> {
        let mut client = Client::connect_with_token(url, TOKEN).await?;
        client
            .call(json!({"type": "hello", "agent": agent}))
            .await?;
        Ok(client)
    }

    /// Connects with `token` and sends nothing.
    pub async fn connect_with_token(url: &str, token: &str) -> anyhow::Result<Client> {
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        Ok(Client { socket, next_id: 1 })
    }

    /// Sends a request (an `id` is added) and returns the whole reply,
    /// `result` or `error`.
    pub async fn request(&mut self, mut request: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        request["id"] = json!(id);
        self.send_text(&request.to_string()).await?;
        self.reply(&json!(id)).await
    }

    /// Sends a request and returns its `result`, failing on an `error`.
    pub async fn call(&mut self, request: Value) -> anyhow::Result<Value> {
        let reply = self.request(request.clone()).await?;
        match reply.get("result") {
            Some(result) => Ok(result.clone()),
            None => bail!("request {request} failed: {reply}"),
        }
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.socket.send(Message::text(text)).await?;
        Ok(())
    }

    /// Sends a raw frame.
    pub async fn send_message(&mut self, message: Message) -> Result<(), tungstenite::Error> {
        self.socket.send(message).await
    }

    /// Waits for the reply with `id`, skipping events.
    pub async fn reply(&mut self, id: &Value) -> anyhow::Result<Value> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
                .await
                .context("no reply within 30 s")?;
            match message {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text)?;
                    if value.get("id") == Some(id) {
                        return Ok(value);
                    }
                }
                Some(Ok(Message::Close(frame))) => bail!("server closed the connection: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err.into()),
                None => bail!("connection ended"),
            }
        }
    }

    /// Reads the next message of any kind.
    pub async fn next_message(&mut self) -> Option<Result<Message, tungstenite::Error>> {
        tokio::time::timeout(Duration::from_secs(30), self.socket.next())
            .await
            .ok()
            .flatten()
    }
}

impl Client {
    /// Reads `path` at its current version and returns the `result`.
    pub async fn read(&mut self, path: &str) -> anyhow::Result<Value> {
        self.call(json!({"type": "read", "path": path})).await
    }

    /// Reads the current `version` of `path`, as a request value.
    pub async fn version(&mut self, path: &str) -> anyhow::Result<Value> {
        Ok(self.read(path).await?["version"].clone())
    }

    /// Writes `text` as the whole content of `path`, based on `base` (a
    /// `version` value from an earlier reply), and returns the `result`.
    pub async fn write_text(
        &mut self,
        path: &str,
        base: &Value,
        text: &str,
    ) -> anyhow::Result<Value> {
        self.call(json!({"type": "write", "path": path, "base": base, "text": text}))
            .await
    }

    /// Sends a raw text frame that carries no usable `id` and returns the
    /// reply the server sends with `"id": null`.
    pub async fn send_unnumbered(&mut self, text: &str) -> anyhow::Result<Value> {
        self.send_text(text).await?;
        self.reply(&Value::Null).await
    }
}

/// Returns the `error.code` of a reply, or `None` when the reply is a result.
pub fn error_code(reply: &Value) -> Option<&str> {
    reply.pointer("/error/code").and_then(Value::as_str)
}

/// Returns the `overlaps` of a write result, and panics when the field is
/// missing.
pub fn overlaps_of(result: &Value) -> &Vec<Value> {
    result["overlaps"]
        .as_array()
        .unwrap_or_else(|| panic!("a write result lists its overlaps, got {result}"))
}

/// Returns the `error.message` of a reply, or `""` when there is none.
pub fn error_message(reply: &Value) -> &str {
    reply
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A temporary folder with a workspace folder `repo` to serve and a store
/// folder `store` beside it, both removed when the sandbox is dropped.
pub struct Sandbox {
    temp: tempfile::TempDir,
    /// The folder that `weft serve` imports.
    pub repo: PathBuf,
    /// The server's store folder, outside `repo`.
    pub store: PathBuf,
}

impl Sandbox {
    /// Creates the sandbox with `files` (workspace path and bytes) in
    /// `repo`.
    pub fn with_files(files: &[(&str, &[u8])]) -> Sandbox {
        let temp = tempfile::tempdir().expect("temp dir");
        let repo = temp.path().join("repo");
        let store = temp.path().join("store");
        std::fs::create_dir_all(&repo).expect("create the workspace folder");
        for (path, bytes) in files {
            let full = repo.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).expect("create the file's folder");
            }
            std::fs::write(&full, bytes).expect("write a workspace file");
        }
        Sandbox { temp, repo, store }
    }

    /// Returns the temporary folder that contains `repo` and `store`.
    pub fn root(&self) -> &Path {
        self.temp.path()
    }

    /// Starts `weft serve` on `repo` with `store`.
    pub fn start(&self) -> ServerProcess {
        ServerProcess::start(&self.repo, &self.store)
    }

    /// Starts `weft serve` on `repo` with `store` and extra arguments, such
    /// as `--test-clock` or `--event-queue 4`.
    pub fn start_with(&self, extra: &[&str]) -> ServerProcess {
        ServerProcess::start_with(&self.repo, &self.store, extra)
    }

    /// Runs `weft export --server URL` into the new folder `root/name` and
    /// returns that folder.
    pub fn export_from_server(&self, url: &str, name: &str) -> PathBuf {
        let out = self.root().join(name);
        let out_arg = out.to_str().expect("temp paths are UTF-8");
        run_weft_ok(
            self.root(),
            &["export", "--server", url, "--token", TOKEN, out_arg],
        );
        out
    }

    /// Runs `weft export --store STORE` (no server) into the new folder
    /// `root/name` and returns that folder.
    pub fn export_from_store(&self, name: &str) -> PathBuf {
        let out = self.root().join(name);
        let out_arg = out.to_str().expect("temp paths are UTF-8");
        let store_arg = self.store.to_str().expect("temp paths are UTF-8");
        run_weft_ok(self.root(), &["export", "--store", store_arg, out_arg]);
        out
    }
}

/// Copies the files of `from` (not recursive into `target` or `.git`) into
/// `to`, for building test workspaces from real source files.
pub fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// The workspace's root folder.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits inside the workspace")
}

/// Runs `weft clone URL COPY --agent AGENT` with [`TOKEN`], failing the
/// test if it fails.
pub fn clone_copy(copy: &Path, url: &str, agent: &str) {
    let parent = copy.parent().expect("a working copy has a parent folder");
    let copy_arg = copy.to_str().expect("temp paths are UTF-8");
    run_weft_ok(
        parent,
        &["clone", url, copy_arg, "--agent", agent, "--token", TOKEN],
    );
}
