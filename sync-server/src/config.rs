//! Server settings and limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Size and time limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest WebSocket message or frame accepted, in bytes. A larger one
    /// closes the connection, because the rest of it cannot be skipped.
    pub max_message_bytes: usize,
    /// Largest file content accepted in a write, in bytes on disk.
    pub max_file_bytes: usize,
    /// Most connections served at once; further clients wait to be
    /// accepted.
    pub max_connections: usize,
    /// Unsent outgoing bytes after which writing to a client fails and the
    /// connection ends.
    pub max_write_buffer_bytes: usize,
    /// How long an unused document stays in memory.
    pub document_idle: Duration,
    /// How long shutdown waits for connections to close.
    pub shutdown_grace: Duration,
    /// Events a subscribed connection may have waiting to be sent. A
    /// connection whose queue is full gets a `lagged` event and is closed.
    pub event_queue: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_bytes: 16 << 20,
            max_file_bytes: 8 << 20,
            max_connections: 1024,
            max_write_buffer_bytes: 64 << 20,
            document_idle: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(5),
            event_queue: 1024,
        }
    }
}

/// Everything needed to start a server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The folder imported on first start.
    pub root: PathBuf,
    /// The store directory.
    pub store_dir: PathBuf,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The token clients present; when `None` the server reads or creates
    /// `STORE/token`.
    pub token: Option<String>,
    /// Limits.
    pub limits: Limits,
    /// Accept the test-only `clock` request, which moves the server's
    /// clock forward so that tests can let leases expire without waiting.
    pub test_clock: bool,
}
