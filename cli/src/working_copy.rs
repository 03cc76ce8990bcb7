//! A working copy's own state under `DIR/.weft/`: the server and agent it
//! syncs as (`config.json`), the token (`token`, mode 0600), and each file's
//! base version and recorded hash (`state.json`). This module also finds
//! the working copy around a folder.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the state folder inside a working copy.
pub const STATE_DIR: &str = ".weft";
const CONFIG_FILE: &str = "config.json";
const STATE_FILE: &str = "state.json";
const TOKEN_FILE: &str = "token";

/// The server and agent a working copy syncs as (`.weft/config.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The server URL, as `weft serve` prints it.
    pub server: String,
    /// The agent name sent in `hello`.
    pub agent: String,
    /// The id of the workspace this copy was cloned from; sync refuses a
    /// server that serves another one. Absent in copies made before weft
    /// recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

/// The last state of one file that the working copy and the server agreed
/// on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// The server version the local file is based on (change hashes).
    pub base: Vec<String>,
    /// Hex SHA-256 of the bytes last written to or sent from the local file.
    pub sha256: String,
    /// The executable bit at that point.
    pub executable: bool,
}

/// Every tracked file's [`FileState`] (`.weft/state.json`), keyed by
/// workspace path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Tracked files by workspace path.
    pub files: BTreeMap<String, FileState>,
    /// The workspace sequence number of the last sync that brought every
    /// file up to date: writes the server numbered above it are ones this
    /// copy has not seen, in any file. Sent as `since` with each write.
    #[serde(default)]
    pub seq: u64,
}

/// An opened working copy.
#[derive(Debug, Clone)]
pub struct WorkingCopy {
    /// The working copy's root folder.
    pub root: PathBuf,
    /// Its server and agent.
    pub config: Config,
    /// Its token, when it was cloned with one.
    pub token: Option<String>,
}

impl WorkingCopy {
    /// Creates the state folder of a new working copy in `root`: config,
    /// token (when given) and an empty state.
    pub fn init(root: &Path, config: Config, token: Option<&str>) -> Result<WorkingCopy> {
        let state_dir = root.join(STATE_DIR);
        fs::create_dir_all(&state_dir)
            .with_context(|| format!("failed to create {}", state_dir.display()))?;
        // Keeps git from committing the token when the working copy is also a git repository.
        write_atomic(&state_dir.join(".gitignore"), b"*\n")?;
        if let Some(token) = token {
            write_token(&state_dir.join(TOKEN_FILE), token)?;
        }
        let config_json =
            serde_json::to_vec_pretty(&config).context("failed to encode config.json")?;
        write_atomic(&state_dir.join(CONFIG_FILE), &config_json)?;
        let working_copy = WorkingCopy {
            root: root.to_path_buf(),
            config,
            token: token.map(str::to_owned),
        };
        working_copy.save_state(&State::default())?;
        Ok(working_copy)
    }

    /// Opens the working copy rooted at `root`.
    pub fn open(root: &Path) -> Result<WorkingCopy> {
        let config_path = root.join(STATE_DIR).join(CONFIG_FILE);
        let config_bytes = fs::read(&config_path).with_context(|| {
            format!(
                "failed to read {}; is {} a working copy made by weft clone?",
                config_path.display(),
                root.display()
            )
        })?;
        let config: Config = serde_json::from_slice(&config_bytes).with_context(|| {
            format!(
                "{} is not a valid working-copy config; it needs \"server\" and \"agent\" strings",
                config_path.display()
            )
        })?;
        let token_path = root.join(STATE_DIR).join(TOKEN_FILE);
        let token = match fs::read_to_string(&token_path) {
            Ok(token) => Some(token.trim().to_owned()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("failed to read {}", token_path.display()));
            }
        };
        Ok(WorkingCopy {
            root: root.to_path_buf(),
            config,
            token,
        })
    }

    /// Returns the state folder, `ROOT/.weft`.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// Loads `state.json`; a missing file is an empty state.
    pub fn load_state(&self) -> Result<State> {
        let path = self.state_dir().join(STATE_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(State::default());
            }
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read {}", path.display()));
            }
        };
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is corrupt; clone the workspace again into a new folder",
                path.display()
            )
        })
    }

    /// Replaces `state.json` atomically, so a crash leaves the old or the
    /// new state and never a partial one.
    pub fn save_state(&self, state: &State) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(state).context("failed to encode state.json")?;
        write_atomic(&self.state_dir().join(STATE_FILE), &bytes)
    }
}

/// Finds the working copy that contains `start`: the nearest folder at or
/// above it that contains `.weft/config.json`.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|folder| folder.join(STATE_DIR).join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
}

/// Returns the hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename, so readers see the old or the new content and never a partial
/// one. The temporary file is created with mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = path
        .parent()
        .with_context(|| format!("{} has no parent folder", path.display()))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".weft-tmp-")
        .tempfile_in(folder)
        .with_context(|| format!("failed to create a temporary file in {}", folder.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("failed to write a temporary file for {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("failed to replace {}", path.display()))?;
    Ok(())
}

/// Writes the token file, created with mode 0600 so the token is never
/// readable by other users, not even briefly.
fn write_token(path: &Path, token: &str) -> Result<()> {
    if token.contains(['\n', '\r']) {
        bail!("invalid token: it contains a line break; pass the token on one line");
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    file.write_all(token.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("failed to write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            server: "ws://127.0.0.1:7420".into(),
            agent: "agent-a".into(),
            workspace: None,
        }
    }

    #[test]
    fn state_round_trips() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let working_copy = WorkingCopy::init(dir.path(), config(), Some("secret"))?;
        let mut state = State::default();
        state.files.insert(
            "src/lib.rs".into(),
            FileState {
                base: vec!["ab".repeat(32), "cd".repeat(32)],
                sha256: sha256_hex(b"fn main() {}\n"),
                executable: true,
            },
        );
        working_copy.save_state(&state)?;

        let reopened = WorkingCopy::open(dir.path())?;
        assert_eq!(reopened.config, config());
        assert_eq!(reopened.token.as_deref(), Some("secret"));
        assert_eq!(reopened.load_state()?, state);
        Ok(())
    }

    #[test]
    fn init_without_token_has_none() -> Result<()> {
        let dir = tempfile::tempdir()?;
        WorkingCopy::init(dir.path(), config(), None)?;
        let reopened = WorkingCopy::open(dir.path())?;
        assert_eq!(reopened.token, None);
        assert_eq!(reopened.load_state()?, State::default());
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn token_file_mode_is_0600() -> Result<()> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        WorkingCopy::init(dir.path(), config(), Some("secret"))?;
        let mode = fs::metadata(dir.path().join(".weft/token"))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        Ok(())
    }

    #[test]
    fn token_with_line_break_rejected() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let result = WorkingCopy::init(dir.path(), config(), Some("a\nb"));
        assert!(result.is_err());
    }

    #[test]
    fn corrupt_state_names_file() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let working_copy = WorkingCopy::init(dir.path(), config(), None)?;
        fs::write(dir.path().join(".weft/state.json"), b"{not json")?;
        let error = working_copy
            .load_state()
            .expect_err("corrupt state must fail");
        assert!(format!("{error:#}").contains("state.json"));
        Ok(())
    }

    #[test]
    fn discover_searches_upward() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("copy");
        let nested = root.join("src/deep");
        fs::create_dir_all(&nested)?;
        WorkingCopy::init(&root, config(), None)?;

        assert_eq!(discover(&nested), Some(root.clone()));
        assert_eq!(discover(&root), Some(root.clone()));
        assert_eq!(discover(dir.path()), None);
        Ok(())
    }

    #[test]
    fn discover_ignores_state_dir_without_config() -> Result<()> {
        let dir = tempfile::tempdir()?;
        fs::create_dir_all(dir.path().join(".weft"))?;
        fs::create_dir_all(dir.path().join("sub"))?;
        assert_eq!(discover(&dir.path().join("sub")), None);
        Ok(())
    }

    #[test]
    fn write_atomic_replaces_content() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("file.txt");
        write_atomic(&path, b"one")?;
        write_atomic(&path, b"two")?;
        assert_eq!(fs::read(&path)?, b"two");
        let leftovers = fs::read_dir(dir.path())?.count();
        assert_eq!(leftovers, 1);
        Ok(())
    }
}
