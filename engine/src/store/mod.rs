//! The durable store: one SQLite database, [`STORE_DB_FILE`], in a store
//! directory.
//!
//! It stores each document as an ordered list of byte chunks (an Automerge
//! save followed by change chunks), the replies to writes so that a retried
//! write gets its first reply, and a key/value meta table. It does not parse
//! the chunks, decide when to compact, or own the other files of the store
//! directory (such as the server's `token`). Every call is synchronous, and
//! the sync server calls the store from one dedicated thread.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use thiserror::Error;
use tracing::{debug, warn};

/// The name of the SQLite database file inside a store directory.
pub const STORE_DB_FILE: &str = "weft.db";

mod leases;
mod overlaps;
mod write_log;

pub use overlaps::StoredOverlap;
pub use write_log::LoggedWrite;

/// The schema version this build creates and reads, kept in
/// `PRAGMA user_version`. Version 2 added the overlaps table, version 3 the
/// write log, version 4 the leases.
const SCHEMA_VERSION: i64 = 4;

/// How long a statement waits for a lock held by another connection (for
/// example a second `weft` process on the same store) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
    CREATE TABLE chunks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        bytes BLOB NOT NULL
    );
    CREATE INDEX chunks_by_doc ON chunks (doc_id, seq);
    CREATE TABLE write_records (
        write_id TEXT PRIMARY KEY,
        reply TEXT NOT NULL
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
";

/// A failure of the store. Each variant names the database file or directory.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The store path exists but is not a directory.
    #[error("store path {} is not a directory; pass a directory, which weft creates if missing", path.display())]
    NotADirectory {
        /// The store directory path.
        path: PathBuf,
    },

    /// The store directory could not be created or inspected.
    #[error("failed to create store directory {}: {source}; check the permissions of its parent", path.display())]
    CreateDir {
        /// The store directory path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// SQLite could not open or configure the database file.
    #[error("failed to open store database {}: {source}; check that the file is a weft store and is writable", path.display())]
    Open {
        /// The database file path.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// The database was created by a newer weft with a schema this build
    /// cannot read.
    #[error(
        "store database {} has schema version {found}, newer than version {supported} that this weft reads; upgrade weft",
        path.display()
    )]
    NewerSchema {
        /// The database file path.
        path: PathBuf,
        /// The version found in the file.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },

    /// Creating the tables failed.
    #[error("failed to create the schema in store database {}: {source}", path.display())]
    CreateSchema {
        /// The database file path.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// A batch of writes was not committed, so none of it is stored.
    #[error("failed to commit {writes} writes to store database {}: {source}; none of them were stored", path.display())]
    Commit {
        /// The database file path.
        path: PathBuf,
        /// The number of writes in the batch.
        writes: usize,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Reading the chunks of a document failed.
    #[error("failed to read document {doc_id:?} from store database {}: {source}", path.display())]
    ReadDocument {
        /// The database file path.
        path: PathBuf,
        /// The document id.
        doc_id: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Listing the document ids failed.
    #[error("failed to list documents in store database {}: {source}", path.display())]
    ListDocuments {
        /// The database file path.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Replacing the chunks of a document failed, and its old chunks are kept.
    #[error("failed to replace document {doc_id:?} in store database {}: {source}; its previous chunks are kept", path.display())]
    ReplaceDocument {
        /// The database file path.
        path: PathBuf,
        /// The document id.
        doc_id: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Reading a write record failed.
    #[error("failed to read the reply of write {write_id:?} from store database {}: {source}", path.display())]
    ReadWriteRecord {
        /// The database file path.
        path: PathBuf,
        /// The write id.
        write_id: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Reading the write log failed.
    #[error("failed to read the write log from store database {}: {source}", path.display())]
    ReadWriteLog {
        /// The database file path.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Reading leases failed.
    #[error("failed to read leases from store database {}: {source}", path.display())]
    ReadLeases {
        /// The database file path.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Reading overlaps failed.
    #[error("failed to read overlaps from store database {}: {source}", path.display())]
    ReadOverlaps {
        /// The database file path.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Reading a meta value failed.
    #[error("failed to read meta key {key:?} from store database {}: {source}", path.display())]
    ReadMeta {
        /// The database file path.
        path: PathBuf,
        /// The meta key.
        key: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// Writing a meta value failed.
    #[error("failed to write meta key {key:?} to store database {}: {source}", path.display())]
    WriteMeta {
        /// The database file path.
        path: PathBuf,
        /// The meta key.
        key: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
}

/// One write of a batch passed to [`Store::commit`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreWrite {
    /// The document the chunk belongs to.
    pub doc_id: String,
    /// Bytes appended to the document: an Automerge save or change chunk.
    pub chunk: Vec<u8>,
    /// The write id and the reply JSON to record, for a write that a client
    /// may retry.
    pub write_record: Option<(String, String)>,
    /// Overlaps to add or replace (by id) in the same transaction.
    pub overlaps: Vec<StoredOverlap>,
    /// The write's entry in the workspace's write log, when it changed a
    /// file.
    pub logged: Option<LoggedWrite>,
    /// Leases to add or replace (by id).
    pub leases: Vec<crate::lease::Lease>,
}

/// An open store database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    db_path: PathBuf,
}

impl Store {
    /// Opens the store in `dir`, creating the directory (with parents) and
    /// the database if missing.
    ///
    /// The database runs in WAL mode with `synchronous=FULL`, so a commit is
    /// on disk when it returns. A database with a newer schema version is
    /// rejected.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        create_store_dir(dir)?;

        let db_path = dir.join(STORE_DB_FILE);
        let open_error = |source| StoreError::Open {
            path: db_path.clone(),
            source,
        };
        let conn = Connection::open(&db_path).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;

        let journal_mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_error)?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            // SQLite keeps the previous journal mode when it cannot use WAL,
            // for example on a VFS without shared memory. Commits stay
            // durable, but readers and the writer then block each other.
            warn!(path = %db_path.display(), journal_mode, "store database is not in WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_error)?;

        let mut store = Store { conn, db_path };
        store.ensure_schema()?;
        debug!(path = %store.db_path.display(), "opened store database");
        Ok(store)
    }

    /// Returns the path of the database file.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Creates the schema in an empty database, or checks the version of an
    /// existing one. The check runs inside an immediate transaction so two
    /// processes opening a new store do not both create it.
    fn ensure_schema(&mut self) -> Result<(), StoreError> {
        let path = self.db_path.clone();
        let schema_error = |source| StoreError::CreateSchema {
            path: path.clone(),
            source,
        };

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(schema_error)?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(schema_error)?;

        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }

        if version < SCHEMA_VERSION {
            if version < 1 {
                tx.execute_batch(SCHEMA).map_err(schema_error)?;
            }
            if version < 2 {
                tx.execute_batch(overlaps::SCHEMA).map_err(schema_error)?;
            }
            if version < 3 {
                tx.execute_batch(write_log::SCHEMA).map_err(schema_error)?;
            }
            tx.execute_batch(leases::SCHEMA).map_err(schema_error)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(schema_error)?;
        }

        tx.commit().map_err(schema_error)
    }

    /// Stores a batch of writes in one SQLite transaction.
    ///
    /// Either the whole batch is stored or, on error, none of it. The batch
    /// is durable when this returns.
    ///
    /// A write id that is already recorded keeps its first reply and logs a
    /// warning, but the write's chunk is still appended. Callers check
    /// [`Store::write_reply`] before applying a write, because applying it
    /// again makes new Automerge changes; loading skips only changes whose
    /// hash it already has.
    pub fn commit(&mut self, writes: &[StoreWrite]) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }

        let result = commit_batch(&mut self.conn, writes);
        result.map_err(|source| StoreError::Commit {
            path: self.db_path.clone(),
            writes: writes.len(),
            source,
        })
    }

    /// Loads all chunks of a document, concatenated in commit order, or
    /// `None` when the store has no chunk for `doc_id`.
    pub fn load_document(&self, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let result = query_document(&self.conn, doc_id);

        result.map_err(|source| StoreError::ReadDocument {
            path: self.db_path.clone(),
            doc_id: doc_id.to_owned(),
            source,
        })
    }

    /// Lists the ids of all stored documents, sorted.
    pub fn document_ids(&self) -> Result<Vec<String>, StoreError> {
        let result = query_document_ids(&self.conn);

        result.map_err(|source| StoreError::ListDocuments {
            path: self.db_path.clone(),
            source,
        })
    }

    /// Counts the chunks stored for a document, which is 0 when it has none.
    pub fn chunk_count(&self, doc_id: &str) -> Result<usize, StoreError> {
        let count: Result<i64, _> = self.conn.query_row(
            "SELECT COUNT(*) FROM chunks WHERE doc_id = ?1",
            params![doc_id],
            |row| row.get(0),
        );

        let count = count.map_err(|source| StoreError::ReadDocument {
            path: self.db_path.clone(),
            doc_id: doc_id.to_owned(),
            source,
        })?;
        // COUNT(*) is never negative. A count beyond usize, possible only on
        // 32-bit targets, saturates.
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    /// Replaces all chunks of a document with one full save (compaction), in
    /// one transaction.
    pub fn replace_document(&mut self, doc_id: &str, full_save: &[u8]) -> Result<(), StoreError> {
        let result = replace_chunks(&mut self.conn, doc_id, full_save);

        result.map_err(|source| StoreError::ReplaceDocument {
            path: self.db_path.clone(),
            doc_id: doc_id.to_owned(),
            source,
        })
    }

    /// Returns the reply recorded for a write id, if that write was
    /// committed.
    pub fn write_reply(&self, write_id: &str) -> Result<Option<String>, StoreError> {
        let reply = self
            .conn
            .query_row(
                "SELECT reply FROM write_records WHERE write_id = ?1",
                params![write_id],
                |row| row.get(0),
            )
            .optional();

        reply.map_err(|source| StoreError::ReadWriteRecord {
            path: self.db_path.clone(),
            write_id: write_id.to_owned(),
            source,
        })
    }

    /// Returns the value stored under a meta key.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                params![key],
                |row| row.get(0),
            )
            .optional();

        value.map_err(|source| StoreError::ReadMeta {
            path: self.db_path.clone(),
            key: key.to_owned(),
            source,
        })
    }

    /// Stores `value` under a meta key, replacing any previous value.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let result = self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        );

        result.map(|_| ()).map_err(|source| StoreError::WriteMeta {
            path: self.db_path.clone(),
            key: key.to_owned(),
            source,
        })
    }
}

/// Creates the store directory, rejecting a path that exists as something
/// other than a directory.
fn create_store_dir(dir: &Path) -> Result<(), StoreError> {
    match fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(StoreError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            });
        }
    }

    fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

fn commit_batch(conn: &mut Connection, writes: &[StoreWrite]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;

    {
        let mut insert_chunk =
            tx.prepare_cached("INSERT INTO chunks (doc_id, bytes) VALUES (?1, ?2)")?;
        let mut insert_record = tx.prepare_cached(
            "INSERT INTO write_records (write_id, reply) VALUES (?1, ?2)
             ON CONFLICT (write_id) DO NOTHING",
        )?;

        for write in writes {
            // A retried write or an overlap update may carry no change.
            if !write.chunk.is_empty() {
                insert_chunk.execute(params![write.doc_id, write.chunk])?;
            }
            overlaps::upsert(&tx, &write.overlaps)?;
            if let Some(logged) = &write.logged {
                write_log::insert(&tx, logged)?;
            }
            leases::upsert(&tx, &write.leases)?;

            if let Some((write_id, reply)) = &write.write_record {
                let inserted = insert_record.execute(params![write_id, reply])?;
                if inserted == 0 {
                    warn!(
                        write_id,
                        doc_id = write.doc_id,
                        "write id already recorded; keeping its first reply"
                    );
                }
            }
        }
    }

    tx.commit()
}

fn query_document(conn: &Connection, doc_id: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    let mut statement =
        conn.prepare_cached("SELECT bytes FROM chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let mut rows = statement.query(params![doc_id])?;

    let mut bytes = Vec::new();
    let mut found = false;
    while let Some(row) = rows.next()? {
        let chunk: Vec<u8> = row.get(0)?;
        bytes.extend_from_slice(&chunk);
        found = true;
    }
    Ok(found.then_some(bytes))
}

fn query_document_ids(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement =
        conn.prepare_cached("SELECT DISTINCT doc_id FROM chunks ORDER BY doc_id")?;
    let ids = statement.query_map([], |row| row.get(0))?;
    ids.collect()
}

fn replace_chunks(conn: &mut Connection, doc_id: &str, full_save: &[u8]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute("DELETE FROM chunks WHERE doc_id = ?1", params![doc_id])?;
    tx.execute(
        "INSERT INTO chunks (doc_id, bytes) VALUES (?1, ?2)",
        params![doc_id, full_save],
    )?;
    tx.commit()
}
