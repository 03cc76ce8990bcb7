//! A real `weft serve` for the commands' tests: the server library on
//! 127.0.0.1 port 0, serving files from a temporary folder.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use weft_sync_server::{Limits, Server, ServerConfig};

/// A running server and the temporary folder with its files and store.
pub struct TestServer {
    /// The URL clients connect to.
    pub url: String,
    dir: tempfile::TempDir,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Starts a server that imports `files` and accepts `token`; with
    /// `test_clock`, clients may move its clock forward.
    pub async fn start(files: &[(&str, &[u8])], token: &str, test_clock: bool) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let served = dir.path().join("served");
        fs::create_dir(&served)?;
        for (path, bytes) in files {
            let full = served.join(path);
            if let Some(parent) = full.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&full, bytes)?;
        }

        let config = ServerConfig {
            root: served,
            store_dir: dir.path().join("store"),
            listen: "127.0.0.1:0".parse()?,
            token: Some(token.to_owned()),
            limits: Limits::default(),
            test_clock,
        };
        let server = Server::start(config).await?;
        let url = format!("ws://{}", server.local_addr());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            // A dropped sender stops the server as well.
            let _ = stopped.await;
        }));
        Ok(TestServer {
            url,
            dir,
            shutdown,
            task,
        })
    }

    /// Returns the temporary folder, for working copies beside the
    /// server's files.
    pub fn folder(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server and waits until it has shut down.
    pub async fn stop(self) -> Result<()> {
        // An error means the server already stopped, which the join reports.
        let _ = self.shutdown.send(());
        self.task.await.context("the server task failed")
    }
}
