//! weft's WebSocket sync server.
//!
//! Layout:
//! - [`server`]: startup (store, first import, token), the accept loop and
//!   shutdown.
//! - [`auth`]: the token check at the handshake.
//! - [`handler`]: one connection's JSON requests.
//! - [`protocol`]: request parsing and reply shapes (see `docs/protocol.md`).
//! - [`index_task`]: the task that owns the workspace index.
//! - [`documents`]: one task per open file document.
//! - [`doc_write`]: a document task's writes, previews and overlap
//!   acknowledgements.
//! - [`cross_file`]: definition-use overlaps between writes to different
//!   files.
//! - [`overlap`]: overlap records: opened by writes, stored, resolved.
//! - [`overlap_requests`]: listing and acknowledging overlaps, previewing a
//!   write.
//! - [`store_thread`]: the thread that owns the store and group-commits.
//!
//! The server calls the engine for every merge and owns no merge logic.
//! Ownership: the index task owns the index document, each document task its
//! file document, the store thread the SQLite connection; they talk through
//! channels, and no lock is held across an await.

pub mod auth;
pub mod config;
pub mod cross_file;
pub mod doc_write;
pub mod documents;
pub mod handler;
pub mod index_task;
pub mod overlap;
pub mod overlap_requests;
pub mod protocol;
pub mod server;
pub mod store_thread;

pub use config::{Limits, ServerConfig};
pub use server::{Server, ServerError};
