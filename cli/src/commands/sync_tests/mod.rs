//! Sync steps against the real server (`weft_sync_server::Server`), started
//! in-process on 127.0.0.1 with port 0. The served folder, the store and the
//! working copy live in a temporary folder. A second connection as
//! `agent-b` makes the concurrent changes that the working copy syncs with.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::apply::{AFTER_WRITE_REPLY, FileEdit, Outcome, Syncer};
use super::plan::{Step, plan};
use super::sync::server_files;
use super::test_server::TestServer;
use super::tree;
use crate::client::{Client, FileContent, FileEntry, Overlap, Payload, WriteRequest, remote_code};
use crate::output;
use crate::working_copy::{Config, State, WorkingCopy, sha256_hex};

mod file_kinds;
mod fixture;

use fixture::*;

const TOKEN: &str = "sync-test-token";
const AGENT: &str = "agent-a";
const OTHER_AGENT: &str = "agent-b";

/// Content with NUL bytes, which the server stores as a bytes file.
const BYTES_V1: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR";
const BYTES_V2: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01";
const BYTES_V3: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x02";

#[tokio::test]
async fn first_sync_adds_server_files() -> Result<()> {
    let files: [(&str, &[u8]); 2] = [("src/lib.rs", b"fn a() {}\n"), ("README.md", b"hi\n")];
    let fixture = Fixture::serve(&files).await?;

    assert_eq!(
        fixture.sync().await?,
        [pair("added", "README.md"), pair("added", "src/lib.rs")]
    );
    assert_eq!(fixture.local("src/lib.rs")?, "fn a() {}\n");
    assert_eq!(fixture.local("README.md")?, "hi\n");

    let state = fixture.state()?;
    let listing = fixture.server_listing().await?;
    let server_lib = listing
        .iter()
        .find(|entry| entry.path == "src/lib.rs")
        .context("src/lib.rs in the listing")?;
    assert_eq!(state.files["src/lib.rs"].sha256, sha256_hex(b"fn a() {}\n"));
    assert_eq!(state.files["src/lib.rs"].base, server_lib.version);
    assert!(
        fixture.sync().await?.is_empty(),
        "a second sync has nothing to do"
    );
    fixture.stop().await
}

#[tokio::test]
async fn local_edit_is_sent() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    fixture.write_local("a.txt", "two\n")?;

    assert_eq!(fixture.sync().await?, [pair("sent", "a.txt")]);
    assert_eq!(
        fixture.server_text("a.txt").await?.as_deref(),
        Some("two\n")
    );
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn same_line_edits_merge_with_overlap() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    fixture.other_write_text("a.txt", "server\n").await?;
    fixture.write_local("a.txt", "local\n")?;

    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert_eq!(outcome.path, "a.txt");
    assert_eq!(outcome.action, "merged");
    // The merged text keeps the current line whole, then the written line.
    assert_eq!(fixture.local("a.txt")?, "server\nlocal\n");
    assert_eq!(
        fixture.server_text("a.txt").await?.as_deref(),
        Some("server\nlocal\n")
    );

    let overlap = single_overlap(&outcome)?;
    let lines = overlap.base_lines.context("base_lines of the overlap")?;
    assert_eq!(overlap.kind, "same-lines");
    assert_eq!(overlap.severity, "high");
    assert_eq!(overlap.agents, [OTHER_AGENT, AGENT]);
    assert_eq!((lines.start, lines.end), (1, 1));
    assert_eq!(
        overlap.current.as_deref(),
        Some("@@ -1 +1 @@\n-one\n+server\n")
    );
    assert_eq!(
        overlap.incoming.as_deref(),
        Some("@@ -1 +1 @@\n-one\n+local\n")
    );
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn merge_overlap_is_printed() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    fixture.other_write_text("a.txt", "server\n").await?;
    fixture.write_local("a.txt", "local\n")?;

    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    let overlap = single_overlap(&outcome)?;
    let printed = output::overlap(&outcome.path, overlap, outcome.merged_text.as_deref());
    let id = overlap.id.as_deref().context("the overlap's id")?;
    let expected = format!(
        "overlap {id} same-lines (high) a.txt lines 1-1 with agent-b\n  \
         current:\n    @@ -1 +1 @@\n    -one\n    +server\n  \
         incoming:\n    @@ -1 +1 @@\n    -one\n    +local\n  \
         merged (lines 1-2):\n    server\n    local"
    );
    assert_eq!(printed, expected);

    let json = serde_json::to_value(&outcome)?;
    assert_eq!(json["action"], "merged");
    assert_eq!(json["overlaps"][0]["kind"], "same-lines");
    assert_eq!(json["overlaps"][0]["severity"], "high");
    assert_eq!(json["overlaps"][0]["base_lines"]["start"], 1);
    fixture.stop().await
}

#[tokio::test]
async fn different_lines_merge_cleanly() -> Result<()> {
    // More than 3 unchanged lines apart, so not even an adjacent overlap.
    let fixture = Fixture::synced(&[("a.txt", "a\nb\nc\nd\ne\nf\n")]).await?;
    fixture
        .other_write_text("a.txt", "A\nb\nc\nd\ne\nf\n")
        .await?;
    fixture.write_local("a.txt", "a\nb\nc\nd\ne\nF\n")?;

    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert_eq!(outcome.action, "merged");
    assert!(outcome.overlaps.is_empty(), "{:?}", outcome.overlaps);
    assert_eq!(fixture.local("a.txt")?, "A\nb\nc\nd\ne\nF\n");
    assert_eq!(
        fixture.server_text("a.txt").await?.as_deref(),
        Some("A\nb\nc\nd\ne\nF\n")
    );
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn server_edit_updates_local() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    let reply = fixture.other_write_text("a.txt", "two\n").await?;

    assert_eq!(fixture.sync().await?, [pair("updated", "a.txt")]);
    assert_eq!(fixture.local("a.txt")?, "two\n");
    assert_eq!(fixture.state()?.files["a.txt"].base, reply.version);
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn deletions_travel_both_ways() -> Result<()> {
    let fixture = Fixture::synced(&[("gone-local.txt", "x\n"), ("gone-server.txt", "y\n")]).await?;
    fs::remove_file(fixture.path("gone-local.txt"))?;
    fixture.other_delete("gone-server.txt").await?;

    assert_eq!(
        fixture.sync().await?,
        [
            pair("removed", "gone-local.txt"),
            pair("deleted", "gone-server.txt")
        ]
    );
    assert!(fixture.server_read("gone-local.txt").await?.is_none());
    assert!(fixture.server_listing().await?.is_empty());
    assert!(!fixture.path("gone-server.txt").exists());
    assert!(fixture.state()?.files.is_empty());
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn deletion_on_both_sides_forgets_base() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    fs::remove_file(fixture.path("a.txt"))?;
    fixture.other_delete("a.txt").await?;

    assert!(
        fixture.sync().await?.is_empty(),
        "forgetting a base prints nothing"
    );
    assert!(fixture.state()?.files.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn new_local_file_is_created() -> Result<()> {
    let fixture = Fixture::synced(&[]).await?;
    fixture.write_local("notes/todo.md", "- ship\n")?;

    assert_eq!(fixture.sync().await?, [pair("created", "notes/todo.md")]);
    assert_eq!(
        fixture.server_text("notes/todo.md").await?.as_deref(),
        Some("- ship\n")
    );
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn create_of_existing_path_merges() -> Result<()> {
    let fixture = Fixture::synced(&[]).await?;
    fixture.other_create("notes.md", "server\n").await?;
    fixture.write_local("notes.md", "local\n")?;

    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert_eq!(outcome.action, "merged");
    // Both agents added the file, so the write merges with an empty base
    // and keeps both texts.
    assert_eq!(fixture.local("notes.md")?, "server\nlocal\n");
    assert_eq!(
        fixture.server_text("notes.md").await?.as_deref(),
        Some("server\nlocal\n")
    );
    let overlap = single_overlap(&outcome)?;
    let lines = overlap.base_lines.context("base_lines of the overlap")?;
    assert_eq!(overlap.kind, "add-add");
    assert_eq!(overlap.agents, [OTHER_AGENT, AGENT]);
    assert_eq!((lines.start, lines.end), (1, 0));
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn local_deletion_of_server_change_restores() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    fs::remove_file(fixture.path("a.txt"))?;
    fixture.other_write_text("a.txt", "two\n").await?;

    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert_eq!(outcome.action, "restored");
    assert!(outcome.note.is_some(), "a restore explains itself");
    assert_eq!(fixture.local("a.txt")?, "two\n");
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn edit_of_server_deleted_file_restores_it() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    fixture.other_delete("a.txt").await?;
    fixture.write_local("a.txt", "kept alive\n")?;

    assert_eq!(fixture.sync().await?, [pair("sent", "a.txt")]);
    assert_eq!(
        fixture.server_text("a.txt").await?.as_deref(),
        Some("kept alive\n")
    );
    let listing = fixture.server_listing().await?;
    let paths: Vec<&str> = listing.iter().map(|entry| entry.path.as_str()).collect();
    assert_eq!(paths, ["a.txt"]);
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn file_changed_during_sync_is_kept() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    let base_before = fixture.state()?.files["a.txt"].base.clone();
    fixture.other_write_text("a.txt", "server\n").await?;
    fixture.write_local("a.txt", "local\n")?;
    let edit: FileEdit = Box::new(|full_path| {
        fs::write(full_path, "edited again\n").expect("edit the file while sync runs");
    });
    AFTER_WRITE_REPLY.set(Some(edit));

    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert!(
        AFTER_WRITE_REPLY.with_borrow(Option::is_none),
        "the write reply ran the edit"
    );
    assert_eq!(outcome.action, "kept");
    assert!(outcome.note.is_some(), "a kept file explains itself");
    assert_eq!(
        single_overlap(&outcome)?.kind,
        "same-lines",
        "the overlaps of the write are still reported"
    );
    assert_eq!(fixture.local("a.txt")?, "edited again\n");
    assert_eq!(fixture.state()?.files["a.txt"].base, base_before);
    assert_eq!(
        fixture.server_text("a.txt").await?.as_deref(),
        Some("server\nlocal\n")
    );

    // The next sync sends the edit based on the kept base.
    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert_eq!(outcome.action, "merged");
    assert!(fixture.sync().await?.is_empty());
    fixture.stop().await
}

#[tokio::test]
async fn local_change_after_plan_is_kept() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n")]).await?;
    let base_before = fixture.state()?.files["a.txt"].base.clone();
    fixture.other_write_text("a.txt", "two\n").await?;

    let steps = fixture.plan().await?;
    fixture.write_local("a.txt", "local\n")?;
    let outcome = single_outcome(fixture.apply(&steps).await?)?;
    assert_eq!(outcome.action, "kept");
    assert_eq!(fixture.local("a.txt")?, "local\n");
    assert_eq!(fixture.state()?.files["a.txt"].base, base_before);

    let outcome = single_outcome(fixture.sync_outcomes().await?)?;
    assert_eq!(outcome.action, "merged");
    assert_eq!(fixture.local("a.txt")?, "two\nlocal\n");
    fixture.stop().await
}

#[tokio::test]
async fn reserved_path_never_reaches_copy() -> Result<()> {
    // A top-level .weft folder is reserved: the server never imports it, so
    // a working copy's own .weft is never overwritten from the server.
    let files: [(&str, &[u8]); 1] = [(".weft/config.json", b"{}")];
    let fixture = Fixture::serve(&files).await?;

    assert!(fixture.sync().await?.is_empty());
    let config = fixture.local(".weft/config.json")?;
    assert!(config.contains(AGENT), "the working copy's config stays");
    fixture.stop().await
}

#[tokio::test]
async fn unknown_base_fails_only_its_file() -> Result<()> {
    let fixture = Fixture::synced(&[("a.txt", "one\n"), ("b.txt", "one\n")]).await?;
    let mut state = fixture.state()?;
    let tracked = state.files.get_mut("a.txt").context("a.txt in the state")?;
    tracked.base = vec!["ab".repeat(32)];
    fixture.save_state(&state)?;
    fixture.write_local("a.txt", "two\n")?;
    fixture.write_local("b.txt", "two\n")?;

    let outcomes = fixture.sync_outcomes().await?;
    assert_eq!(
        actions(&outcomes),
        [pair("failed", "a.txt"), pair("sent", "b.txt")]
    );
    let Some((_, Err(error))) = outcomes.first() else {
        bail!("a.txt should fail");
    };
    assert_eq!(remote_code(error), Some("unknown_version"));
    assert!(
        format!("{error:#}").contains("clone the workspace into a new folder"),
        "the error names the fix: {error:#}"
    );
    assert_eq!(
        fixture.server_text("a.txt").await?.as_deref(),
        Some("one\n")
    );
    fixture.stop().await
}

#[tokio::test]
async fn folder_in_the_way_fails_add() -> Result<()> {
    let fixture = Fixture::synced(&[]).await?;
    fixture.other_create("docs", "a file\n").await?;
    fs::create_dir(fixture.path("docs"))?;

    let outcomes = fixture.sync_outcomes().await?;
    assert_eq!(actions(&outcomes), [pair("failed", "docs")]);
    assert!(fixture.path("docs").is_dir(), "the folder stays");
    assert!(!fixture.state()?.files.contains_key("docs"));
    fixture.stop().await
}

#[tokio::test]
async fn remote_error_keeps_code() -> Result<()> {
    let fixture = Fixture::synced(&[]).await?;
    let mut client = fixture.connect(AGENT).await?;

    let error = client.read("missing.txt").await.expect_err("missing file");
    assert_eq!(remote_code(&error), Some("not_found"));
    assert!(
        !client.is_closed(),
        "an error reply leaves the connection open"
    );
    client.listing().await?;
    drop(client);
    fixture.stop().await
}
