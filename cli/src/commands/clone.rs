//! `weft clone`: creates a working copy of a served workspace in a new or
//! empty folder.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::output;
use crate::working_copy::{Config, State, WorkingCopy};

use super::apply::Syncer;
use super::plan::plan;
use super::sync::{apply_steps, server_files};
use super::{Connection, check_agent, connect};

/// Arguments of `weft clone`.
#[derive(Debug, clap::Args)]
pub struct CloneArgs {
    /// Server URL exactly as `weft serve` prints it, such as
    /// ws://127.0.0.1:7420
    pub url: String,

    /// Folder for the working copy; it must be empty or missing
    pub dir: PathBuf,

    /// Agent name recorded with every change made from this working copy
    #[arg(long, env = "WEFT_AGENT", value_name = "NAME")]
    pub agent: String,

    /// The server's token, stored in DIR/.weft/token (mode 0600)
    #[arg(long, env = "WEFT_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Print one JSON object per file and a final summary object instead of
    /// a summary line
    #[arg(long)]
    pub json: bool,
}

/// Runs `weft clone`.
pub async fn run(args: CloneArgs) -> Result<()> {
    check_agent(&args.agent)?;
    check_target(&args.dir)?;
    let connection = Connection {
        server: args.url.clone(),
        agent: args.agent.clone(),
        token: args.token.clone(),
    };
    // Connects before creating the folder, so a wrong URL or token leaves
    // nothing behind.
    let mut client = connect(&connection).await?;
    let listing = client.listing().await?;
    let listed_seq = listing.seq;
    let server = server_files(listing.files);

    fs::create_dir_all(&args.dir)
        .with_context(|| format!("failed to create {}", args.dir.display()))?;
    let root = std::path::absolute(&args.dir)
        .with_context(|| format!("invalid folder {}", args.dir.display()))?;
    let config = Config {
        server: args.url.clone(),
        agent: args.agent.clone(),
        workspace: client.workspace().map(str::to_owned),
    };
    let working_copy = WorkingCopy::init(&root, config, args.token.as_deref())?;

    let steps = plan(&BTreeMap::new(), &BTreeMap::new(), &server);
    let mut syncer = Syncer {
        working_copy: &working_copy,
        client: &mut client,
        agent: &args.agent,
        state: State::default(),
    };
    let quiet: &[&str] = if args.json { &[] } else { &["added"] };
    let report = apply_steps(&mut syncer, &steps, args.json, quiet).await?;
    if report.failed == 0 {
        syncer.state.seq = listed_seq;
        working_copy.save_state(&syncer.state)?;
    }

    if args.json {
        output::json(&json!({
            "server": args.url,
            "dir": root,
            "agent": args.agent,
            "files": syncer.state.files.len(),
            "failed": report.failed,
        }))?;
    } else {
        output::line(&format!(
            "cloned {} files from {} into {}",
            syncer.state.files.len(),
            args.url,
            args.dir.display()
        ))?;
    }
    if report.failed > 0 {
        bail!(
            "{} files failed to copy into {}; run weft sync in it to retry them",
            report.failed,
            args.dir.display()
        );
    }
    Ok(())
}

/// Rejects a target that exists and is not an empty folder.
fn check_target(dir: &Path) -> Result<()> {
    let mut entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(error).with_context(|| {
                format!(
                    "cannot clone into {}: it is not a readable folder; pick a new folder",
                    dir.display()
                )
            });
        }
    };
    if entries.next().is_some() {
        bail!(
            "cannot clone into {}: the folder is not empty; pick a new or empty folder",
            dir.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_may_be_missing_or_empty() -> Result<()> {
        let dir = tempfile::tempdir()?;
        check_target(&dir.path().join("missing"))?;
        check_target(dir.path())?;
        Ok(())
    }

    #[test]
    fn target_rejected_when_not_empty() -> Result<()> {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join("file"), b"x")?;
        let error = check_target(dir.path()).expect_err("a non-empty folder must be rejected");
        assert!(
            error
                .to_string()
                .contains(&dir.path().display().to_string())
        );
        Ok(())
    }

    #[test]
    fn target_rejected_when_file() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("file");
        fs::write(&file, b"x")?;
        assert!(check_target(&file).is_err());
        Ok(())
    }
}
