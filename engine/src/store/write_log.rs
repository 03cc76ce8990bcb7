//! The write log: one row per accepted write that changed a file, numbered
//! by the workspace sequence number.
//!
//! File versions are per file, so they cannot say that a change to one
//! file came after a writer last looked at another. The sequence number
//! can: a writer that last synced at number N has not seen any logged
//! write numbered above N, in any file. Each row keeps a JSON summary that
//! the server writes (the agent's changed definitions and the names its
//! changed lines use) so that later writes can be checked against it.

use rusqlite::{Transaction, params};

use super::{Store, StoreError};

/// Creates the write log (schema version 3).
pub(super) const SCHEMA: &str = "
    CREATE TABLE write_log (
        seq INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL,
        path TEXT NOT NULL,
        agent TEXT NOT NULL,
        summary TEXT NOT NULL
    );
";

/// One logged write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedWrite {
    /// The workspace sequence number of the write.
    pub seq: u64,
    /// The document written.
    pub doc_id: String,
    /// The file's path at the time.
    pub path: String,
    /// The writing agent.
    pub agent: String,
    /// A JSON summary of the write, for overlap checks across files.
    pub summary: String,
}

pub(super) fn insert(tx: &Transaction<'_>, logged: &LoggedWrite) -> rusqlite::Result<()> {
    let seq = i64::try_from(logged.seq).unwrap_or(i64::MAX);
    tx.prepare_cached(
        "INSERT INTO write_log (seq, doc_id, path, agent, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        seq,
        logged.doc_id,
        logged.path,
        logged.agent,
        logged.summary
    ])?;
    Ok(())
}

impl Store {
    /// The highest sequence number logged, or 0 for an empty log.
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        let result: rusqlite::Result<i64> =
            self.conn
                .query_row("SELECT COALESCE(MAX(seq), 0) FROM write_log", [], |row| {
                    row.get(0)
                });
        result
            .map(|seq| u64::try_from(seq).unwrap_or(0))
            .map_err(|source| StoreError::ReadWriteLog {
                path: self.db_path.clone(),
                source,
            })
    }

    /// The logged writes numbered above `seq`, in order.
    pub fn writes_since(&self, seq: u64) -> Result<Vec<LoggedWrite>, StoreError> {
        let read = || -> rusqlite::Result<Vec<LoggedWrite>> {
            let mut statement = self.conn.prepare_cached(
                "SELECT seq, doc_id, path, agent, summary FROM write_log WHERE seq > ?1 ORDER BY seq",
            )?;
            let rows =
                statement.query_map(params![i64::try_from(seq).unwrap_or(i64::MAX)], |row| {
                    let seq: i64 = row.get(0)?;
                    Ok(LoggedWrite {
                        seq: u64::try_from(seq).unwrap_or(0),
                        doc_id: row.get(1)?,
                        path: row.get(2)?,
                        agent: row.get(3)?,
                        summary: row.get(4)?,
                    })
                })?;
            rows.collect()
        };
        read().map_err(|source| StoreError::ReadWriteLog {
            path: self.db_path.clone(),
            source,
        })
    }
}
