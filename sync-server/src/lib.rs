//! weft's WebSocket sync server.
//!
//! Layout:
//! - [`server`]: startup (store, first import, token), the accept loop and
//!   shutdown.
//! - [`auth`]: the token check at the handshake.
//! - [`connection`]: one connection's frames, events and closing;
//!   [`handler`]: its JSON requests.
//! - [`protocol`]: request parsing and reply shapes (see `docs/protocol.md`).
//! - [`index_task`]: the task that owns the workspace index.
//! - [`documents`]: one task per open file document: the registry and its
//!   requests; [`doc_task`]: a task's loop.
//! - [`doc_write`]: a document task's writes, previews and overlap
//!   acknowledgements.
//! - [`cross_file`]: definition-use overlaps between writes to different
//!   files.
//! - [`leases`]: granting, renewing, releasing and listing leases, and
//!   announcing expiries; [`doc_leases`]: a document task's part (anchored
//!   lines, `lease` overlaps of a write).
//! - [`events`]: fan-out of events to subscribed connections, with bounded
//!   queues.
//! - [`clock`]: the server's clock, which tests may move forward.
//! - [`overlap`]: overlap records: opened by writes, stored, resolved.
//! - [`lease_requests`]: the lease requests of a connection, the lease
//!   status of a fenced write, and the test-only clock request.
//! - [`overlap_requests`]: listing and acknowledging overlaps, previewing a
//!   write.
//! - [`store_thread`]: the thread that owns the store and group-commits.
//!
//! The server calls the engine for every merge and owns no merge logic.
//! Ownership: the index task owns the index document, each document task its
//! file document, the store thread the SQLite connection; they talk through
//! channels, and no lock is held across an await.

pub mod auth;
pub mod clock;
pub mod config;
pub mod connection;
pub mod cross_file;
pub mod doc_leases;
pub mod doc_task;
pub mod doc_write;
pub mod documents;
pub mod events;
pub mod handler;
pub mod index_task;
pub mod lease_requests;
pub mod leases;
pub mod overlap;
pub mod overlap_requests;
pub mod protocol;
pub mod server;
pub mod store_thread;

pub use config::{Limits, ServerConfig};
pub use server::{Server, ServerError};
