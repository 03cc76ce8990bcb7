//! The listener: startup (store, first import, token), the accept loop, and
//! shutdown.
//!
//! Each accepted socket gets a task and a permit of a semaphore that caps
//! connections. Accept errors (such as running out of file descriptors)
//! back off and retry, so the loop never stops for good and never spins.
//! Shutdown stops accepting, signals every connection through a watch
//! channel (each sends a Close frame after its current request), waits for
//! them up to a grace period, then lets the document and index tasks drain
//! and the store thread commit what they sent before it stops.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tracing::Instrument;
use weft_engine::change::ChangeMeta;
use weft_engine::index::WorkspaceIndex;
use weft_engine::store::Store;
use weft_engine::workspace::{INDEX_DOC_ID, import_folder, workspace_id};

use crate::auth::{check_request, load_or_create_token};
use crate::clock::Clock;
use crate::config::{Limits, ServerConfig};
use crate::documents::Documents;
use crate::events::Events;
use crate::handler::{Shared, serve_connection};
use crate::index_task::Index;
use crate::leases::Leases;
use crate::store_thread::StoreHandle;

/// How long a client may take to finish the WebSocket handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server that failed to start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store could not be opened or read.
    #[error("store at {}: {message}", store.display())]
    Store {
        /// The store directory.
        store: PathBuf,
        /// The cause.
        message: String,
    },
    /// The first import failed.
    #[error("importing {} failed: {message}", root.display())]
    Import {
        /// The folder.
        root: PathBuf,
        /// The cause.
        message: String,
    },
    /// The token file could not be read or written.
    #[error("token file in {}: {source}; check the store directory's permissions", store.display())]
    Token {
        /// The store directory.
        store: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Another server holds the store.
    #[error(
        "the store at {} is in use by another weft serve; stop that server or pass another --store",
        store.display()
    )]
    StoreInUse {
        /// The store directory.
        store: PathBuf,
    },
    /// The listen address could not be bound.
    #[error(
        "cannot listen on {addr}: {source}; pick another address or port (port 0 picks a free one)"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A thread could not be started.
    #[error("starting the store thread failed: {0}")]
    Thread(#[source] std::io::Error),
}

/// A started server, listening but not yet accepting.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Shared,
    token: Arc<str>,
    store_thread: std::thread::JoinHandle<()>,
    store_lock: std::fs::File,
}

impl Server {
    /// Opens the store, imports the folder on first start, and binds the
    /// listen address.
    pub async fn start(config: ServerConfig) -> Result<Server, ServerError> {
        let store_error = |message: String| ServerError::Store {
            store: config.store_dir.clone(),
            message,
        };

        // One server per store: two would each acknowledge writes that the
        // other never sees. The lock is held until the server stops.
        let store_lock = lock_store(&config.store_dir)?;

        // The store is the truth after the first import: a restart does not
        // import the folder again.
        let root = config.root.clone();
        let store_dir = config.store_dir.clone();
        let (store, index_bytes, workspace, leases) = tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&store_dir).map_err(|err| err.to_string())?;
            let meta = ChangeMeta::now("weft", &format!("import {}", root.display()));
            // The store may sit inside the served folder; it is never
            // imported. Skip paths are taken relative to the folder unless
            // absolute, so pass the store's absolute path.
            let skip = std::path::absolute(&store_dir).map_err(|err| err.to_string())?;
            import_folder(&mut store, &root, &[skip], &meta)
                .map_err(|err| format!("import: {err}"))?;
            let index = store
                .load_document(INDEX_DOC_ID)
                .map_err(|err| err.to_string())?
                .ok_or_else(|| "the store has no workspace index after the import".to_owned())?;
            let workspace = workspace_id(&mut store).map_err(|err| err.to_string())?;
            let leases = store.leases().map_err(|err| err.to_string())?;
            Ok::<_, String>((store, index, workspace, leases))
        })
        .await
        .map_err(|err| store_error(format!("the startup task failed: {err}")))?
        .map_err(|message| {
            if let Some(message) = message.strip_prefix("import: ") {
                ServerError::Import {
                    root: config.root.clone(),
                    message: message.to_owned(),
                }
            } else {
                store_error(message)
            }
        })?;
        let index =
            WorkspaceIndex::load(&index_bytes).map_err(|err| store_error(err.to_string()))?;

        let token: Arc<str> = match &config.token {
            Some(token) => Arc::from(token.as_str()),
            None => {
                let (token, path) = load_or_create_token(&config.store_dir).map_err(|source| {
                    ServerError::Token {
                        store: config.store_dir.clone(),
                        source,
                    }
                })?;
                tracing::info!(path = %path.display(), "clients authenticate with the token in this file");
                Arc::from(token)
            }
        };

        let (store, store_thread) = StoreHandle::spawn(store).map_err(ServerError::Thread)?;
        let clock = Clock::new(config.test_clock);
        if config.test_clock {
            tracing::warn!("the test clock is on: any client may move the server's clock forward");
        }
        let events = Events::new(config.limits.event_queue, clock.clone());
        let leases = Leases::new(leases, clock, store.clone(), events.clone());
        let shared = Shared {
            index: Index::spawn(index, store.clone()),
            documents: Documents::new(
                store.clone(),
                config.limits.document_idle,
                leases.clone(),
                events.clone(),
            ),
            store,
            limits: config.limits.clone(),
            workspace: Arc::from(workspace),
            leases,
            events,
        };

        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
        Ok(Server {
            listener,
            local_addr,
            shared,
            token,
            store_thread,
            store_lock,
        })
    }

    /// The address the server listens on (with the real port when port 0
    /// was requested).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Accepts connections until `shutdown` completes, then shuts down.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        let Server {
            listener,
            local_addr,
            shared,
            token,
            store_thread,
            store_lock,
        } = self;
        let limits = shared.limits.clone();
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        let (stop, stopped) = watch::channel(false);
        let mut connections = JoinSet::new();
        let mut backoff = Duration::from_millis(10);
        let announcer = shared
            .leases
            .spawn_announcer(shared.documents.clone(), stopped.clone());
        tracing::info!(addr = %local_addr, "server started");

        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => permit,
                () = &mut shutdown => break,
            };
            let Ok(permit) = permit else { break };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            match accepted {
                Ok((socket, peer)) => {
                    backoff = Duration::from_millis(10);
                    let shared = shared.clone();
                    let token = Arc::clone(&token);
                    let stopped = stopped.clone();
                    let limits = limits.clone();
                    let span = tracing::info_span!("connection", peer = %peer);
                    connections.spawn(
                        async move {
                            handle_socket(socket, shared, &token, &limits, stopped).await;
                            drop(permit);
                        }
                        .instrument(span),
                    );
                }
                Err(err) => {
                    tracing::warn!(error = %err, retry_in_ms = backoff.as_millis() as u64, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
            while connections.try_join_next().is_some() {}
        }

        // Stop accepting, then ask every connection to close.
        drop(listener);
        tracing::info!("shutting down: closing connections");
        let _ = stop.send(true);
        let drained = tokio::time::timeout(limits.shutdown_grace, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("connections did not close within the grace period; dropping them");
            connections.abort_all();
        }

        // Let queued document work finish and the store thread commit it.
        let _ = announcer.await;
        shared.documents.close();
        drop(shared);
        let joined = tokio::task::spawn_blocking(move || store_thread.join()).await;
        if !matches!(joined, Ok(Ok(()))) {
            tracing::error!("the store thread ended abnormally");
        }
        drop(store_lock);
        tracing::info!("server stopped");
    }
}

/// The lock file inside a store directory that a running server holds.
const LOCK_FILE: &str = "lock";

/// Takes the store's lock file, creating the store directory if needed.
fn lock_store(store_dir: &std::path::Path) -> Result<std::fs::File, ServerError> {
    let store_error = |err: std::io::Error| ServerError::Store {
        store: store_dir.to_owned(),
        message: err.to_string(),
    };
    std::fs::create_dir_all(store_dir).map_err(store_error)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(store_dir.join(LOCK_FILE))
        .map_err(store_error)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(ServerError::StoreInUse {
            store: store_dir.to_owned(),
        }),
        Err(std::fs::TryLockError::Error(err)) => Err(store_error(err)),
    }
}

async fn handle_socket(
    socket: TcpStream,
    shared: Shared,
    token: &str,
    limits: &Limits,
    stopped: watch::Receiver<bool>,
) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(limits.max_message_bytes))
        .max_frame_size(Some(limits.max_message_bytes))
        .max_write_buffer_size(limits.max_write_buffer_bytes);
    // The error type is tungstenite's HTTP response, which the callback
    // signature fixes.
    #[allow(clippy::result_large_err)]
    let callback =
        |request: &Request, response: Response| check_request(request, token).map(|()| response);
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(socket, callback, Some(config));
    let websocket = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok(websocket)) => websocket,
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!("handshake timed out");
            return;
        }
    };
    tracing::info!("client connected");
    let (sink, stream) = websocket.split();
    serve_connection(shared, sink, stream, stopped).await;
    tracing::info!("client disconnected");
}
