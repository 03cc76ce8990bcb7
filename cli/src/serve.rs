//! `weft serve`: import a folder on first start and serve it over
//! WebSocket until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use tokio::signal::unix::{Signal, SignalKind, signal};
use weft_sync_server::{Limits, Server, ServerConfig};

/// Options of `weft serve`.
pub struct ServeOptions {
    /// The folder to serve.
    pub dir: PathBuf,
    /// The address to listen on, such as `127.0.0.1:7420`.
    pub listen: String,
    /// The store directory; `DIR/.weft` when not given.
    pub store: Option<PathBuf>,
    /// The token clients must present; generated when not given.
    pub token: Option<String>,
    /// Events a subscribed connection may have waiting before it is
    /// closed.
    pub event_queue: usize,
    /// Accept the test-only `clock` request.
    pub test_clock: bool,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(options: ServeOptions) -> anyhow::Result<()> {
    let metadata = std::fs::metadata(&options.dir)
        .with_context(|| format!("cannot read the folder to serve, {}", options.dir.display()))?;
    if !metadata.is_dir() {
        bail!(
            "{} is not a folder; pass the folder to serve",
            options.dir.display()
        );
    }
    let listen: SocketAddr = options.listen.parse().with_context(|| {
        format!(
            "invalid --listen address {:?}: expected IP:PORT such as 127.0.0.1:7420",
            options.listen
        )
    })?;
    let store_dir = options.store.unwrap_or_else(|| options.dir.join(".weft"));
    let token = options.token.filter(|token| !token.is_empty());
    if options.event_queue == 0 {
        bail!(
            "invalid --event-queue 0: a connection needs room for at least one event; pass 1 or more"
        );
    }
    let config = ServerConfig {
        root: options.dir,
        store_dir,
        listen,
        token,
        limits: Limits {
            event_queue: options.event_queue,
            ..Limits::default()
        },
        test_clock: options.test_clock,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // Install the signal handlers before announcing the address, so a
        // SIGTERM sent right after the line is read shuts down cleanly
        // instead of killing the process.
        let signals = ShutdownSignals::install()?;
        let server = Server::start(config).await?;

        // The one line on stdout: scripts and tests read the address here.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on ws://{}", server.local_addr())
            .and_then(|()| stdout.flush())
            .context("cannot write the listening address to stdout")?;
        drop(stdout);

        server.run_until(signals.wait()).await;
        Ok(())
    })
}

/// SIGINT and SIGTERM handlers.
struct ShutdownSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl ShutdownSignals {
    fn install() -> anyhow::Result<ShutdownSignals> {
        Ok(ShutdownSignals {
            interrupt: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
        })
    }

    /// Completes on the first SIGINT or SIGTERM.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => tracing::info!("received SIGINT"),
            _ = self.terminate.recv() => tracing::info!("received SIGTERM"),
        }
    }
}
