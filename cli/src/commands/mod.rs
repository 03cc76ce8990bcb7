//! The client commands, one module per command or small group, and what
//! they share: server options, the working copy around the current folder,
//! write ids and version arguments.

pub mod apply;
pub mod clone;
mod dry_run;
pub mod eval_merges;
pub mod export;
pub mod files;
#[cfg(test)]
mod lease_tests;
pub mod leases;
pub mod merge_file;
pub mod overlaps;
pub mod plan;
pub mod status;
pub mod sync;
#[cfg(test)]
mod sync_tests;
#[cfg(test)]
mod test_server;
pub mod tree;
pub mod watch;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::client::Client;
use crate::working_copy::{self, WorkingCopy};

/// The server URL used when neither a flag, the environment nor a working
/// copy names one: `weft serve`'s default address on the loopback interface.
pub const DEFAULT_SERVER: &str = "ws://127.0.0.1:7420";

/// The agent name that read-only commands send in `hello` when none is
/// configured.
pub const READ_ONLY_AGENT: &str = "weft-cli";

/// Options of every command that talks to a server. Each overrides the
/// working copy's setting for one run and is never saved.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServerArgs {
    /// Server URL as `weft serve` prints it [default: the working copy's
    /// server, else ws://127.0.0.1:7420]
    #[arg(long, env = "WEFT_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// Agent name recorded with every change [default: the working copy's
    /// agent]
    #[arg(long, env = "WEFT_AGENT", value_name = "NAME")]
    pub agent: Option<String>,

    /// The server's token, sent as `Authorization: Bearer` [default: the
    /// working copy's token]
    #[arg(long, env = "WEFT_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Whether a command sends changes, and so needs a real agent name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only; the agent name defaults to [`READ_ONLY_AGENT`].
    Read,
    /// Writes; an agent name is required.
    Write,
}

/// The server, agent and token a command connects with.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Server URL.
    pub server: String,
    /// Agent name for `hello`.
    pub agent: String,
    /// Bearer token, if any.
    pub token: Option<String>,
}

impl ServerArgs {
    /// Combines the options with the working copy's settings: a flag or
    /// environment variable wins over the working copy.
    pub fn resolve(
        &self,
        working_copy: Option<&WorkingCopy>,
        access: Access,
    ) -> Result<Connection> {
        let server = self
            .server
            .clone()
            .or_else(|| working_copy.map(|copy| copy.config.server.clone()))
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned());
        let agent = match (&self.agent, working_copy, access) {
            (Some(agent), _, _) => agent.clone(),
            (None, Some(copy), _) => copy.config.agent.clone(),
            (None, None, Access::Read) => READ_ONLY_AGENT.to_owned(),
            (None, None, Access::Write) => {
                bail!(
                    "missing agent name: pass --agent NAME or set WEFT_AGENT, or run inside a working copy"
                )
            }
        };
        check_agent(&agent)?;
        let token = self
            .token
            .clone()
            .or_else(|| working_copy.and_then(|copy| copy.token.clone()));
        Ok(Connection {
            server,
            agent,
            token,
        })
    }
}

/// Rejects an empty agent name, which the server could not attribute
/// changes to.
pub fn check_agent(agent: &str) -> Result<()> {
    if agent.trim().is_empty() {
        bail!(
            "invalid agent name \"{agent}\": it must not be empty; pass --agent NAME or set WEFT_AGENT"
        );
    }
    Ok(())
}

/// Connects to the server and sends `hello`.
pub async fn connect(connection: &Connection) -> Result<Client> {
    let mut client = Client::connect(&connection.server, connection.token.as_deref()).await?;
    client.hello(&connection.agent).await?;
    Ok(client)
}

/// Opens the working copy around the current folder, if there is one.
pub fn current_working_copy() -> Result<Option<WorkingCopy>> {
    let current = std::env::current_dir().context("failed to read the current folder")?;
    match working_copy::discover(&current) {
        Some(root) => Ok(Some(WorkingCopy::open(&root)?)),
        None => Ok(None),
    }
}

/// Returns a new write id, `AGENT-` and 16 random hex digits, so a write
/// repeated after a lost reply could be recognized by the server.
pub fn new_write_id(agent: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded from the operating system's random source; the
    // time, process id and counter keep ids distinct within one process.
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{agent}-{:016x}", hasher.finish())
}

/// Parses a version argument: change hashes (64 hex digits each) separated
/// by commas, or a JSON list of them. `[]` is the empty version, the one
/// before the file existed.
pub fn parse_version(text: &str) -> Result<Vec<String>> {
    let trimmed = text.trim();
    let hashes: Vec<String> = if trimmed.starts_with('[') {
        serde_json::from_str(trimmed).with_context(|| {
            format!("invalid version {text:?}: a JSON version must be a list of hash strings, such as [\"9f2c...\"]")
        })?
    } else if trimmed.is_empty() {
        bail!(
            "invalid version {text:?}: it is empty; pass [] for the version before the file existed"
        );
    } else {
        trimmed
            .split(',')
            .map(|hash| hash.trim().to_owned())
            .collect()
    };
    hashes
        .into_iter()
        .map(|hash| {
            if hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                Ok(hash.to_ascii_lowercase())
            } else {
                bail!("invalid version {text:?}: {hash:?} is not a change hash of 64 hex digits")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn version_parses_comma_list() -> Result<()> {
        assert_eq!(parse_version(A)?, [A]);
        assert_eq!(parse_version(&format!("{A}, {B}"))?, [A, B]);
        assert_eq!(parse_version(&B.to_ascii_uppercase())?, [B]);
        Ok(())
    }

    #[test]
    fn version_parses_json_list() -> Result<()> {
        assert_eq!(parse_version("[]")?, Vec::<String>::new());
        assert_eq!(parse_version(&format!("[\"{A}\",\"{B}\"]"))?, [A, B]);
        Ok(())
    }

    #[test]
    fn version_rejects_bad_input() {
        for bad in [
            "",
            "  ",
            "abc",
            &format!("{A},"),
            &format!("{A}x"),
            "[1]",
            "[\"zz\"]",
            "[oops",
        ] {
            assert!(parse_version(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn write_ids_are_distinct() {
        let first = new_write_id("agent-a");
        let second = new_write_id("agent-a");
        assert!(first.starts_with("agent-a-"));
        assert_ne!(first, second);
    }

    #[test]
    fn flags_override_working_copy() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let config = working_copy::Config {
            server: "ws://127.0.0.1:9000".into(),
            agent: "agent-a".into(),
            workspace: None,
        };
        let copy = WorkingCopy::init(dir.path(), config, Some("copy-token"))?;

        let inherited = ServerArgs::default().resolve(Some(&copy), Access::Write)?;
        assert_eq!(inherited.server, "ws://127.0.0.1:9000");
        assert_eq!(inherited.agent, "agent-a");
        assert_eq!(inherited.token.as_deref(), Some("copy-token"));

        let flags = ServerArgs {
            server: Some("ws://127.0.0.1:9001".into()),
            agent: Some("agent-b".into()),
            token: Some("flag-token".into()),
        };
        let overridden = flags.resolve(Some(&copy), Access::Write)?;
        assert_eq!(overridden.server, "ws://127.0.0.1:9001");
        assert_eq!(overridden.agent, "agent-b");
        assert_eq!(overridden.token.as_deref(), Some("flag-token"));
        Ok(())
    }

    #[test]
    fn defaults_outside_working_copy() -> Result<()> {
        let read = ServerArgs::default().resolve(None, Access::Read)?;
        assert_eq!(read.server, DEFAULT_SERVER);
        assert_eq!(read.agent, READ_ONLY_AGENT);
        assert_eq!(read.token, None);

        let write = ServerArgs::default().resolve(None, Access::Write);
        assert!(write.is_err());
        Ok(())
    }
}
