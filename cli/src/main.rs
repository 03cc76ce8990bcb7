//! The `weft` command: serves a folder to several agents at once, and
//! clones, syncs and exports working copies of it. This file owns argument
//! parsing, logging setup, and how errors and exit codes reach the user.

mod client;
mod commands;
mod duration;
mod line_range;
mod offline;
mod output;
mod serve;
mod working_copy;

use std::io::{ErrorKind, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use commands::clone::CloneArgs;
use commands::eval_merges::EvalMergesArgs;
use commands::export::ExportArgs;
use commands::files::{LogArgs, LsArgs, ReadArgs, WriteArgs};
use commands::leases::{LeaseArgs, LeasesArgs, ReleaseArgs, RenewArgs};
use commands::merge_file::MergeFileArgs;
use commands::overlaps::OverlapsArgs;
use commands::status::StatusArgs;
use commands::sync::SyncArgs;
use commands::watch::WatchArgs;

/// Several AI coding agents editing one code base at once: every file is an
/// Automerge document, `weft serve` merges concurrent writes, and working
/// copies mirror the merged tree on disk.
#[derive(Debug, Parser)]
#[command(name = "weft", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve a folder to agents over WebSocket
    Serve(ServeArgs),
    /// Create a working copy of a served workspace
    Clone(CloneArgs),
    /// Send local changes to the server and bring the server's changes in
    Sync(SyncArgs),
    /// Show local changes, other agents' leases on them, open overlaps and
    /// files changed on the server since the last sync
    Status(StatusArgs),
    /// Write a workspace into a plain folder, from a server or a store
    Export(ExportArgs),
    /// Print a file of the workspace
    Read(ReadArgs),
    /// Write stdin as the new content of a workspace file
    Write(WriteArgs),
    /// List the files of the workspace
    Ls(LsArgs),
    /// List the changes of a workspace file, newest first
    Log(LogArgs),
    /// List the open overlaps that involve this agent, or acknowledge one
    Overlaps(OverlapsArgs),
    /// Tell other agents which lines of a file this agent is about to change
    Lease(LeaseArgs),
    /// Extend a live lease of this agent
    Renew(RenewArgs),
    /// End a lease of this agent before it expires
    Release(ReleaseArgs),
    /// List live leases, of every file or of one
    Leases(LeasesArgs),
    /// Print the workspace's events (changes, leases, overlaps) as they
    /// happen, until interrupted
    Watch(WatchArgs),
    /// Merge three files as git merge-file does, exiting with the number of
    /// high-severity overlaps
    MergeFile(MergeFileArgs),
    /// Measure weft's merges against git merge-file on scenario folders
    EvalMerges(EvalMergesArgs),
}

/// Arguments of `weft serve`.
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Folder to serve
    dir: PathBuf,

    /// Address to listen on, IP:PORT
    #[arg(long, default_value = "127.0.0.1:7420", value_name = "ADDR")]
    listen: String,

    /// Store folder [default: DIR/.weft]
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,

    /// Token that clients must present [default: generated and written to
    /// STORE/token]
    #[arg(long, env = "WEFT_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    token: Option<String>,

    /// Events a subscribed connection may have waiting to be sent; a
    /// connection that falls further behind gets a lagged event and is
    /// closed
    #[arg(long, default_value_t = 1024, value_name = "N")]
    event_queue: usize,

    /// For tests only: accept the protocol's `clock` request, which moves
    /// the server's clock forward (for example to let a lease expire)
    #[arg(long)]
    test_clock: bool,
}

fn main() -> ExitCode {
    // Usage errors exit with code 2 here, from clap (255 for merge-file).
    let cli =
        Cli::try_parse().unwrap_or_else(|error| commands::merge_file::exit_on_parse_error(error));
    let is_server = matches!(cli.command, Command::Serve(_));
    init_logging(if is_server { "info" } else { "warn" });

    let command = match cli.command {
        // merge-file's exit code counts overlaps.
        Command::MergeFile(args) => return commands::merge_file::run(args),
        command => command,
    };
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    if let Command::Serve(args) = command {
        // serve::run builds its own runtime.
        return serve::run(serve::ServeOptions {
            dir: args.dir,
            listen: args.listen,
            store: args.store,
            token: args.token,
            event_queue: args.event_queue,
            test_clock: args.test_clock,
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let result = runtime.block_on(async {
        match command {
            Command::Serve(_) => unreachable!("handled above"),
            Command::MergeFile(_) => unreachable!("handled in main"),
            Command::Clone(args) => commands::clone::run(args).await,
            Command::Sync(args) => commands::sync::run(args).await,
            Command::Export(args) => commands::export::run(args).await,
            Command::Read(args) => commands::files::read(args).await,
            Command::Write(args) => commands::files::write(args).await,
            Command::Ls(args) => commands::files::ls(args).await,
            Command::Log(args) => commands::files::log(args).await,
            Command::Overlaps(args) => commands::overlaps::run(args).await,
            Command::Status(args) => commands::status::run(args).await,
            Command::Lease(args) => commands::leases::lease(args).await,
            Command::Renew(args) => commands::leases::renew(args).await,
            Command::Release(args) => commands::leases::release(args).await,
            Command::Leases(args) => commands::leases::list(args).await,
            Command::Watch(args) => commands::watch::run(args).await,
            Command::EvalMerges(args) => commands::eval_merges::run(args),
        }
    });
    // A write to a stdout that no process reads (weft watch into a full
    // pipe) blocks one of the runtime's threads for good. Dropping the
    // runtime would wait for it, so the wait is bounded.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// Sends `tracing` output to stderr, filtered by `WEFT_LOG` (such as
/// `debug` or `weft_sync_server=trace`), else at `default` level.
fn init_logging(default: &str) {
    let filter = match std::env::var("WEFT_LOG") {
        Ok(directives) => EnvFilter::try_new(&directives).unwrap_or_else(|error| {
            eprintln!("warning: ignoring invalid WEFT_LOG {directives:?}: {error}");
            EnvFilter::new(default)
        }),
        Err(_) => EnvFilter::new(default),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Returns whether printing failed because stdout was closed, as when the
/// output is piped into `head`.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io_error| io_error.kind() == ErrorKind::BrokenPipe)
    })
}
