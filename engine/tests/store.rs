//! Tests of the SQLite store on real database files in temporary
//! directories. A second `rusqlite` connection injects faults and imitates
//! databases written by other weft versions.

use std::error::Error;
use std::fs;

use rusqlite::Connection;
use weft_engine::store::{
    LoggedWrite, STORE_DB_FILE, Store, StoreError, StoreWrite, StoredOverlap,
};

type TestResult = Result<(), Box<dyn Error>>;

fn write(doc_id: &str, chunk: &[u8]) -> StoreWrite {
    StoreWrite {
        doc_id: doc_id.to_owned(),
        chunk: chunk.to_vec(),
        write_record: None,
        overlaps: Vec::new(),
        logged: None,
        leases: Vec::new(),
    }
}

#[test]
fn commit_survives_reopen() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store_dir = dir.path().join("nested/.weft");

    let mut store = Store::open(&store_dir)?;
    store.commit(&[write("doc-a", b"save"), write("doc-b", b"other")])?;
    store.commit(&[write("doc-a", b"+change1"), write("doc-a", b"+change2")])?;
    drop(store);

    assert!(store_dir.join(STORE_DB_FILE).is_file());
    let store = Store::open(&store_dir)?;
    assert_eq!(
        store.load_document("doc-a")?,
        Some(b"save+change1+change2".to_vec())
    );
    assert_eq!(store.load_document("doc-b")?, Some(b"other".to_vec()));
    assert_eq!(store.load_document("doc-missing")?, None);
    assert_eq!(store.document_ids()?, ["doc-a", "doc-b"]);
    assert_eq!(store.chunk_count("doc-a")?, 3);
    assert_eq!(store.chunk_count("doc-missing")?, 0);
    Ok(())
}

#[test]
fn commit_skips_empty_chunks_keeps_binary() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;

    // An empty chunk (a retried write's record, an overlap update) adds no
    // row; binary bytes are kept exactly.
    let binary: Vec<u8> = (0..=255).collect();
    store.commit(&[write("doc", b""), write("doc", &binary)])?;

    assert_eq!(store.load_document("doc")?, Some(binary));
    assert_eq!(store.chunk_count("doc")?, 1);
    Ok(())
}

#[test]
fn overlaps_upsert_and_filter() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let overlap = |id: &str, doc_id: &str, state: &str| StoredOverlap {
        id: id.into(),
        doc_id: doc_id.into(),
        state: state.into(),
        created_ms: 5,
        record: format!("{{\"id\":\"{id}\"}}"),
    };
    let mut batch = write("doc-a", b"change");
    batch.overlaps = vec![
        overlap("ov-1", "doc-a", "open"),
        overlap("ov-2", "doc-b", "open"),
    ];
    store.commit(&[batch])?;

    let mut update = write("doc-a", b"");
    update.overlaps = vec![overlap("ov-1", "doc-a", "acknowledged")];
    store.commit(&[update])?;

    drop(store);
    let store = Store::open(dir.path())?;
    let open = store.overlaps(None, Some("open"))?;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, "ov-2");
    let of_a = store.overlaps(Some("doc-a"), None)?;
    assert_eq!(of_a.len(), 1);
    assert_eq!(of_a[0].state, "acknowledged");
    assert_eq!(
        store.overlap("ov-2")?.map(|o| o.doc_id),
        Some("doc-b".to_owned())
    );
    assert_eq!(store.overlap("ov-9")?, None);
    Ok(())
}

#[test]
fn failed_batch_stores_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    store.commit(&[write("doc-a", b"before")])?;

    // A trigger makes the third insert of the batch fail.
    let fault = Connection::open(dir.path().join(STORE_DB_FILE))?;
    fault.execute_batch(
        "CREATE TRIGGER fail_poison BEFORE INSERT ON chunks WHEN NEW.doc_id = 'poison'
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )?;
    drop(fault);

    let mut recorded = write("doc-b", b"new");
    recorded.write_record = Some(("w-1".to_owned(), "{\"ok\":true}".to_owned()));
    let batch = [write("doc-a", b"+after"), recorded, write("poison", b"x")];
    let error = store
        .commit(&batch)
        .expect_err("the trigger rejects the batch");

    assert!(
        matches!(error, StoreError::Commit { writes: 3, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("none of them were stored"),
        "{error}"
    );
    assert_eq!(store.load_document("doc-a")?, Some(b"before".to_vec()));
    assert_eq!(store.load_document("doc-b")?, None);
    assert_eq!(store.write_reply("w-1")?, None);

    store.commit(&[write("doc-a", b"+after")])?;
    assert_eq!(
        store.load_document("doc-a")?,
        Some(b"before+after".to_vec())
    );
    Ok(())
}

#[test]
fn write_replies_round_trip() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;

    let mut first = write("doc", b"one");
    first.write_record = Some(("a-17".to_owned(), "{\"version\":[\"9f\"]}".to_owned()));
    store.commit(&[first])?;
    assert_eq!(
        store.write_reply("a-17")?.as_deref(),
        Some("{\"version\":[\"9f\"]}")
    );
    assert_eq!(store.write_reply("a-18")?, None);

    let mut retry = write("doc", b"one");
    retry.write_record = Some(("a-17".to_owned(), "{\"version\":[\"other\"]}".to_owned()));
    store.commit(&[retry])?;
    drop(store);

    let store = Store::open(dir.path())?;
    assert_eq!(
        store.write_reply("a-17")?.as_deref(),
        Some("{\"version\":[\"9f\"]}")
    );
    Ok(())
}

#[test]
fn replace_document_compacts_chunks() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    store.commit(&[write("doc", b"a"), write("doc", b"b"), write("keep", b"k")])?;

    store.replace_document("doc", b"ab-saved")?;

    assert_eq!(store.chunk_count("doc")?, 1);
    assert_eq!(store.load_document("doc")?, Some(b"ab-saved".to_vec()));
    assert_eq!(store.load_document("keep")?, Some(b"k".to_vec()));

    store.commit(&[write("doc", b"+c")])?;
    assert_eq!(store.load_document("doc")?, Some(b"ab-saved+c".to_vec()));
    Ok(())
}

#[test]
fn meta_round_trips_and_overwrites() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;

    assert_eq!(store.meta("index_doc")?, None);
    store.set_meta("index_doc", "first")?;
    store.set_meta("index_doc", "second")?;
    drop(store);

    let store = Store::open(dir.path())?;
    assert_eq!(store.meta("index_doc")?.as_deref(), Some("second"));
    Ok(())
}

#[test]
fn open_rejects_file_path() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("not-a-dir");
    fs::write(&file, b"x")?;

    let error = Store::open(&file).expect_err("a file is not a store directory");

    assert!(
        matches!(error, StoreError::NotADirectory { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&file.display().to_string()),
        "{error}"
    );
    Ok(())
}

#[test]
fn open_rejects_newer_schema() -> TestResult {
    let dir = tempfile::tempdir()?;
    drop(Store::open(dir.path())?);

    let newer = Connection::open(dir.path().join(STORE_DB_FILE))?;
    newer.pragma_update(None, "user_version", 99)?;
    drop(newer);

    let error = Store::open(dir.path()).expect_err("schema 99 is newer than this build");

    assert!(
        matches!(error, StoreError::NewerSchema { found: 99, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("upgrade weft"), "{error}");
    Ok(())
}

#[test]
fn open_uses_wal_journal() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path())?;
    assert_eq!(store.db_path(), dir.path().join(STORE_DB_FILE));

    // journal_mode=WAL is stored in the database file itself.
    let check = Connection::open(store.db_path())?;
    let mode: String = check.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
    assert_eq!(mode, "wal");
    Ok(())
}

#[test]
fn version_one_store_gains_new_tables() -> TestResult {
    let dir = tempfile::tempdir()?;
    Store::open(dir.path())?.commit(&[write("doc", b"kept")])?;

    // Put the database back to the first schema, which had no overlaps, no
    // write log and no leases.
    let old = Connection::open(dir.path().join(STORE_DB_FILE))?;
    old.execute_batch(
        "DROP TABLE overlaps; DROP TABLE write_log; DROP TABLE leases; PRAGMA user_version = 1;",
    )?;
    drop(old);

    let store = Store::open(dir.path())?;
    assert_eq!(store.load_document("doc")?, Some(b"kept".to_vec()));
    assert_eq!(store.overlaps(None, None)?, Vec::new());
    assert_eq!(store.last_seq()?, 0);
    assert_eq!(store.leases()?, Vec::new());
    Ok(())
}

#[test]
fn write_log_lists_writes_after_number() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    for (seq, path) in [(1, "a.rs"), (2, "b.rs"), (3, "a.rs")] {
        let mut batch = write("doc", b"change");
        batch.logged = Some(LoggedWrite {
            seq,
            doc_id: "doc".into(),
            path: path.into(),
            agent: "agent-a".into(),
            summary: "{}".into(),
        });
        store.commit(&[batch])?;
    }

    assert_eq!(store.last_seq()?, 3);
    let after_one: Vec<u64> = store.writes_since(1)?.iter().map(|w| w.seq).collect();
    assert_eq!(after_one, [2, 3]);
    assert_eq!(store.writes_since(3)?, Vec::new());
    Ok(())
}
