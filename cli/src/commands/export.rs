//! `weft export`: writes a workspace into a plain folder, either read from
//! a running server or straight from a store on disk.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::json;
use weft_engine::export::{ExportFile, export_folder};

use crate::output;
use crate::working_copy::STATE_DIR;

use super::{Access, READ_ONLY_AGENT, ServerArgs, connect, current_working_copy};

/// Arguments of `weft export`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["server", "store"]))]
pub struct ExportArgs {
    /// Read the workspace from this server (its URL as `weft serve` prints
    /// it)
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// Read the workspace from this store folder, without a server
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,

    /// Agent name sent to the server [default: weft-cli]
    #[arg(long, env = "WEFT_AGENT", value_name = "NAME")]
    pub agent: Option<String>,

    /// The server's token [default: the token of the working copy around
    /// the current folder, when it was cloned from the same URL]
    #[arg(long, env = "WEFT_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Folder to write the files into; created when missing
    pub outdir: PathBuf,

    /// Print the export report as JSON
    #[arg(long)]
    pub json: bool,
}

/// Runs `weft export`.
pub async fn run(args: ExportArgs) -> Result<()> {
    let Some(url) = &args.server else {
        let store = args
            .store
            .as_deref()
            .context("missing --server or --store")?;
        return crate::offline::export_store(store, &args.outdir);
    };
    let working_copy = current_working_copy()?.filter(|copy| copy.config.server == *url);
    let server_args = ServerArgs {
        server: Some(url.clone()),
        agent: args.agent.clone(),
        token: args.token.clone(),
    };
    let mut connection = server_args.resolve(working_copy.as_ref(), Access::Read)?;
    if args.agent.is_none() {
        // A working copy's agent name is for its own writes; an export only reads.
        connection.agent = READ_ONLY_AGENT.to_owned();
    }
    let mut client = connect(&connection).await?;

    let listing = client.listing().await?;
    let mut files = Vec::with_capacity(listing.files.len());
    for entry in &listing.files {
        let path = weft_engine::path::WorkspacePath::new(&entry.path)
            .with_context(|| format!("server listed an invalid path \"{}\"", entry.path))?;
        let content = client.read(&entry.path).await?;
        files.push(ExportFile {
            path,
            bytes: content.disk_bytes()?,
            executable: content.executable,
        });
    }

    // Paths the workspace deleted are removed from OUTDIR; paths the server
    // sends that are not valid workspace paths are skipped with a warning.
    let deleted: Vec<weft_engine::path::WorkspacePath> = listing
        .deleted
        .iter()
        .filter_map(|path| match weft_engine::path::WorkspacePath::new(path) {
            Ok(path) => Some(path),
            Err(err) => {
                tracing::warn!(path = %path, error = %err, "skipping an invalid deleted path");
                None
            }
        })
        .collect();

    // Keeps weft's state intact when OUTDIR is a served folder (whose store
    // defaults to OUTDIR/.weft) or a working copy. Skip paths must be
    // absolute, because relative ones are taken relative to OUTDIR.
    let state_dir = std::path::absolute(args.outdir.join(STATE_DIR))
        .with_context(|| format!("cannot resolve {}", args.outdir.display()))?;
    let report = export_folder(&args.outdir, &files, &deleted, &[state_dir])
        .with_context(|| format!("failed to export into {}", args.outdir.display()))?;

    if args.json {
        let written: Vec<&str> = report.written.iter().map(|path| path.as_str()).collect();
        output::json(&json!({
            "server": url,
            "dir": args.outdir,
            "files": files.len(),
            "written": written,
            "unchanged": report.unchanged,
            "removed": report.removed.iter().map(|path| path.as_str()).collect::<Vec<_>>(),
        }))?;
    } else {
        output::line(&format!(
            "exported {} files from {url} into {}: {} written, {} unchanged, {} removed",
            files.len(),
            args.outdir.display(),
            report.written.len(),
            report.unchanged,
            report.removed.len()
        ))?;
    }
    Ok(())
}
