//! The sync tests' fixture: a real server, a working copy of it, and
//! helpers that read the outcome of a sync.

use super::*;

/// A real server serving a temporary folder, and a working copy of it.
pub(super) struct Fixture {
    pub(super) url: String,
    pub(super) root: PathBuf,
    pub(super) server: TestServer,
}

impl Fixture {
    /// Starts a server that imports `files` and creates an empty working
    /// copy for it, not yet synced.
    pub(super) async fn serve(files: &[(&str, &[u8])]) -> Result<Fixture> {
        let server = TestServer::start(files, TOKEN, false).await?;
        let root = server.folder().join("copy");
        fs::create_dir(&root)?;
        let config = Config {
            server: server.url.clone(),
            agent: AGENT.into(),
            workspace: None,
        };
        WorkingCopy::init(&root, config, Some(TOKEN))?;
        Ok(Fixture {
            url: server.url.clone(),
            root,
            server,
        })
    }

    /// Starts a server that imports the text `files` and syncs a working
    /// copy with it once, which adds every file.
    pub(super) async fn synced(files: &[(&str, &str)]) -> Result<Fixture> {
        let files: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(path, text)| (*path, text.as_bytes()))
            .collect();
        let fixture = Fixture::serve(&files).await?;
        let actions = fixture.sync().await?;
        if actions.len() != files.len() || actions.iter().any(|(action, _)| action != "added") {
            bail!("the first sync should add every file, but returned {actions:?}");
        }
        Ok(fixture)
    }

    /// Stops the server and waits until it has shut down.
    pub(super) async fn stop(self) -> Result<()> {
        self.server.stop().await
    }

    /// Runs one sync and returns each outcome as `(action, path)`, with
    /// `failed` as the action of a step that returned an error.
    pub(super) async fn sync(&self) -> Result<Vec<(String, String)>> {
        let outcomes = self.sync_outcomes().await?;
        Ok(actions(&outcomes))
    }

    pub(super) async fn sync_outcomes(&self) -> Result<Vec<(String, Result<Outcome>)>> {
        let steps = self.plan().await?;
        self.apply(&steps).await
    }

    /// Computes the steps of a sync from the working copy and the server's
    /// listing, the way `weft sync` does.
    pub(super) async fn plan(&self) -> Result<Vec<Step>> {
        let state = self.state()?;
        let mut client = self.connect(AGENT).await?;
        let server = server_files(client.listing().await?.files);
        let local = tree::scan(&self.root)?;
        Ok(plan(&local, &state.files, &server))
    }

    /// Carries out `steps` over a new connection and returns each outcome
    /// with its path. Steps without a visible outcome are left out.
    pub(super) async fn apply(&self, steps: &[Step]) -> Result<Vec<(String, Result<Outcome>)>> {
        let working_copy = WorkingCopy::open(&self.root)?;
        let state = working_copy.load_state()?;
        let mut client = self.connect(AGENT).await?;
        let mut syncer = Syncer {
            working_copy: &working_copy,
            client: &mut client,
            agent: AGENT,
            state,
        };
        let mut outcomes = Vec::new();
        for step in steps {
            if let Some(outcome) = syncer.apply(step).await.transpose() {
                outcomes.push((step.path.clone(), outcome));
            }
        }
        Ok(outcomes)
    }

    pub(super) async fn connect(&self, agent: &str) -> Result<Client> {
        let mut client = Client::connect(&self.url, Some(TOKEN)).await?;
        client.hello(agent).await?;
        Ok(client)
    }

    /// Writes `payload` to `path` as `agent-b`, based on the server's
    /// current version, and returns the reply.
    pub(super) async fn other_write(
        &self,
        path: &str,
        payload: &Payload,
        executable: bool,
    ) -> Result<FileContent> {
        let mut client = self.connect(OTHER_AGENT).await?;
        let current = client.read(path).await?;
        let request = WriteRequest {
            path,
            base: Some(&current.version),
            payload,
            executable: Some(executable),
            message: "concurrent edit",
            write_id: &crate::commands::new_write_id(OTHER_AGENT),
        };
        client.write(&request).await
    }

    /// Writes `text` to the existing `path` as `agent-b`.
    pub(super) async fn other_write_text(&self, path: &str, text: &str) -> Result<FileContent> {
        self.other_write(path, &Payload::Text(text.to_owned()), false)
            .await
    }

    /// Creates `path` with `text` as `agent-b`.
    pub(super) async fn other_create(&self, path: &str, text: &str) -> Result<FileContent> {
        let mut client = self.connect(OTHER_AGENT).await?;
        let request = WriteRequest {
            path,
            base: None,
            payload: &Payload::Text(text.to_owned()),
            executable: Some(false),
            message: "concurrent create",
            write_id: &crate::commands::new_write_id(OTHER_AGENT),
        };
        client.write(&request).await
    }

    /// Deletes `path` on the server as `agent-b`.
    pub(super) async fn other_delete(&self, path: &str) -> Result<()> {
        self.connect(OTHER_AGENT)
            .await?
            .delete(path, None)
            .await
            .map(drop)
    }

    /// Reads `path` from the server, or returns `None` when the server has
    /// no such file.
    pub(super) async fn server_read(&self, path: &str) -> Result<Option<FileContent>> {
        let mut client = self.connect(OTHER_AGENT).await?;
        match client.read(path).await {
            Ok(content) => Ok(Some(content)),
            Err(error) if remote_code(&error) == Some("not_found") => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub(super) async fn server_text(&self, path: &str) -> Result<Option<String>> {
        let content = self.server_read(path).await?;
        Ok(content.and_then(|content| content.text))
    }

    pub(super) async fn server_listing(&self) -> Result<Vec<FileEntry>> {
        Ok(self.connect(OTHER_AGENT).await?.listing().await?.files)
    }

    pub(super) fn state(&self) -> Result<State> {
        WorkingCopy::open(&self.root)?.load_state()
    }

    pub(super) fn save_state(&self, state: &State) -> Result<()> {
        WorkingCopy::open(&self.root)?.save_state(state)
    }

    pub(super) fn path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    pub(super) fn local(&self, path: &str) -> Result<String> {
        fs::read_to_string(self.path(path)).with_context(|| format!("reading local {path}"))
    }

    pub(super) fn write_local(&self, path: &str, content: impl AsRef<[u8]>) -> Result<()> {
        let full = self.path(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&full, content).with_context(|| format!("writing local {path}"))
    }
}

pub(super) fn actions(outcomes: &[(String, Result<Outcome>)]) -> Vec<(String, String)> {
    outcomes
        .iter()
        .map(|(path, outcome)| match outcome {
            Ok(outcome) => (outcome.action.to_owned(), path.clone()),
            Err(_) => ("failed".to_owned(), path.clone()),
        })
        .collect()
}

/// Returns the only outcome of a sync, which must have succeeded.
pub(super) fn single_outcome(outcomes: Vec<(String, Result<Outcome>)>) -> Result<Outcome> {
    let count = outcomes.len();
    let mut outcomes = outcomes.into_iter();
    let (Some((_, outcome)), None) = (outcomes.next(), outcomes.next()) else {
        bail!("expected one outcome, got {count}");
    };
    outcome.map_err(|error| anyhow!("the step failed: {error:#}"))
}

pub(super) fn single_overlap(outcome: &Outcome) -> Result<&Overlap> {
    match outcome.overlaps.as_slice() {
        [overlap] => Ok(overlap),
        overlaps => bail!("expected one overlap, got {overlaps:?}"),
    }
}

pub(super) fn pair(action: &str, path: &str) -> (String, String) {
    (action.to_owned(), path.to_owned())
}

#[cfg(unix)]
pub(super) fn is_executable(path: &Path) -> Result<bool> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = fs::metadata(path)?.permissions().mode();
    Ok(mode & 0o111 != 0)
}
