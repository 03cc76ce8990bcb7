//! weft's engine: the document model behind a workspace that several agents
//! edit at once.
//!
//! Layout:
//! - [`path`]: workspace-relative paths that cannot leave the root.
//! - [`change`]: who made a change and why, as recorded in each change.
//! - [`content`]: file bytes as text (with a byte-order-mark attribute) or
//!   as exact bytes.
//! - [`line_endings`], [`diff`], [`merge`]: the text side of a write: keep
//!   the stored line endings, diff by line then by character, and merge three
//!   ways.
//! - [`overlap`]: the overlap report of a merge (same lines, adjacent lines,
//!   delete against edit, both added), and conflict markers for people.
//! - [`document`]: one Automerge document per file, written at a base
//!   version.
//! - [`index`]: the workspace index document mapping paths to documents.
//! - [`lease`]: soft claims on files and line ranges, with expiry and
//!   fencing numbers.
//! - [`store`]: the SQLite store that makes every change durable.
//! - [`workspace`]: the index, the documents and the store together, for
//!   offline use (import, export).
//! - [`import`], [`export`]: folders on disk in and out.
//! - [`syntax`]: definitions in source code (tree-sitter outlines) and the
//!   merge findings that need them, such as a changed signature and a new
//!   call.
//! - [`structured`]: key-level findings for JSON, TOML, YAML and lock files.
//!
//! The engine has no networking and no command-line parsing; the sync server
//! and the `weft` binary build on it.

#![deny(missing_docs)]

pub mod change;
pub mod content;
pub mod diff;
pub mod document;
pub mod export;
pub mod import;
pub mod index;
pub mod lease;
pub mod line_endings;
pub mod merge;
pub mod overlap;
pub mod path;
pub mod store;
pub mod structured;
pub mod syntax;
pub mod version;
pub mod workspace;
