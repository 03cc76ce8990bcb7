//! The overlaps table: each overlap a write opened, with its state.
//!
//! The store keeps an overlap's JSON as the server produced it and indexes
//! the fields that queries filter on (document, state). It does not decide
//! what an overlap is or when it is resolved.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Store, StoreError};

/// Creates the overlaps table (schema version 2).
pub(super) const SCHEMA: &str = "
    CREATE TABLE overlaps (
        id TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL,
        state TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX overlaps_by_doc ON overlaps (doc_id, state);
";

/// One stored overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredOverlap {
    /// The overlap's id.
    pub id: String,
    /// The document of the file it concerns.
    pub doc_id: String,
    /// `open`, `acknowledged` or `resolved`.
    pub state: String,
    /// Milliseconds since the Unix epoch when it was opened.
    pub created_ms: i64,
    /// The overlap as a JSON object.
    pub record: String,
}

/// Adds or replaces overlaps by id, inside a batch's transaction.
pub(super) fn upsert(tx: &Transaction<'_>, overlaps: &[StoredOverlap]) -> rusqlite::Result<()> {
    if overlaps.is_empty() {
        return Ok(());
    }
    let mut statement = tx.prepare_cached(
        "INSERT INTO overlaps (id, doc_id, state, created_ms, record) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, record = excluded.record",
    )?;
    for overlap in overlaps {
        statement.execute(params![
            overlap.id,
            overlap.doc_id,
            overlap.state,
            overlap.created_ms,
            overlap.record
        ])?;
    }
    Ok(())
}

impl Store {
    /// Lists overlaps, oldest first: those of one document when `doc_id`
    /// is given, and only those in `state` when it is given.
    pub fn overlaps(
        &self,
        doc_id: Option<&str>,
        state: Option<&str>,
    ) -> Result<Vec<StoredOverlap>, StoreError> {
        query_overlaps(&self.conn, doc_id, state).map_err(|source| StoreError::ReadOverlaps {
            path: self.db_path.clone(),
            source,
        })
    }

    /// Reads one overlap by id.
    pub fn overlap(&self, id: &str) -> Result<Option<StoredOverlap>, StoreError> {
        let result = self
            .conn
            .query_row(
                "SELECT id, doc_id, state, created_ms, record FROM overlaps WHERE id = ?1",
                params![id],
                row_to_overlap,
            )
            .optional();
        result.map_err(|source| StoreError::ReadOverlaps {
            path: self.db_path.clone(),
            source,
        })
    }
}

fn query_overlaps(
    conn: &Connection,
    doc_id: Option<&str>,
    state: Option<&str>,
) -> rusqlite::Result<Vec<StoredOverlap>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, doc_id, state, created_ms, record FROM overlaps
         WHERE (?1 IS NULL OR doc_id = ?1) AND (?2 IS NULL OR state = ?2)
         ORDER BY created_ms, id",
    )?;
    let rows = statement.query_map(params![doc_id, state], row_to_overlap)?;
    rows.collect()
}

fn row_to_overlap(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredOverlap> {
    Ok(StoredOverlap {
        id: row.get(0)?,
        doc_id: row.get(1)?,
        state: row.get(2)?,
        created_ms: row.get(3)?,
        record: row.get(4)?,
    })
}
