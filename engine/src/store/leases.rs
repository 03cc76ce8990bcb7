//! The leases table: every lease granted, with its latest renewal or
//! release, as JSON.
//!
//! The store keeps leases whole and does not decide whether one is live;
//! that is read from the lease's expiry and the caller's clock.

use rusqlite::{Transaction, params};

use super::{Store, StoreError};
use crate::lease::Lease;

/// Creates the leases table (schema version 4).
pub(super) const SCHEMA: &str = "
    CREATE TABLE leases (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        record TEXT NOT NULL
    );
";

/// Adds or replaces leases by id, inside a batch's transaction.
pub(super) fn upsert(tx: &Transaction<'_>, leases: &[Lease]) -> rusqlite::Result<()> {
    if leases.is_empty() {
        return Ok(());
    }
    let mut statement = tx.prepare_cached(
        "INSERT INTO leases (id, path, record) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET record = excluded.record",
    )?;
    for lease in leases {
        let record = serde_json::to_string(lease)
            .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
        statement.execute(params![lease.id, lease.path, record])?;
    }
    Ok(())
}

impl Store {
    /// Reads every stored lease. A record that does not parse is logged
    /// and skipped.
    pub fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        let read = || -> rusqlite::Result<Vec<(String, String)>> {
            let mut statement = self
                .conn
                .prepare_cached("SELECT id, record FROM leases ORDER BY id")?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        };
        let rows = read().map_err(|source| StoreError::ReadLeases {
            path: self.db_path.clone(),
            source,
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, record)| match serde_json::from_str(&record) {
                Ok(lease) => Some(lease),
                Err(err) => {
                    tracing::warn!(id, error = %err, "skipping a damaged lease record");
                    None
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::lease::Lease;
    use crate::merge::LineRange;
    use crate::store::{Store, StoreWrite};

    #[test]
    fn leases_survive_reopening_and_updates_replace() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut lease = Lease {
            id: "ls-1".into(),
            agent: "agent-a".into(),
            path: "src/lib.rs".into(),
            doc_id: "d1".into(),
            lines: Some(LineRange { start: 2, end: 4 }),
            anchors: Some(("2@abc".into(), "9@abc".into())),
            symbol: None,
            intent: "rename parser".into(),
            granted_ms: 10,
            expires_ms: 20,
            fence: 1,
            released: false,
        };
        {
            let mut store = Store::open(dir.path()).expect("open");
            let write = StoreWrite {
                leases: vec![lease.clone()],
                ..StoreWrite::default()
            };
            store.commit(&[write]).expect("commit");
            lease.released = true;
            let write = StoreWrite {
                leases: vec![lease.clone()],
                ..StoreWrite::default()
            };
            store.commit(&[write]).expect("commit");
        }
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(store.leases().expect("leases"), vec![lease]);
    }
}
