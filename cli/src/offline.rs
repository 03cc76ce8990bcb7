//! Commands that work on a store without a server.

use std::path::{Path, PathBuf};

use anyhow::Context;
use weft_engine::workspace::Workspace;

/// Exports the workspace held in the store at `store` into `out`, and
/// prints what changed.
pub fn export_store(store: &Path, out: &Path) -> anyhow::Result<()> {
    let workspace = Workspace::open(store)
        .with_context(|| format!("cannot open the store at {}", store.display()))?;

    // Exporting into the served folder itself must leave the store alone.
    let skip: Vec<PathBuf> = vec![
        std::path::absolute(store)
            .with_context(|| format!("cannot resolve the store path {}", store.display()))?,
    ];
    let report = workspace
        .export(out, &skip)
        .with_context(|| format!("cannot export into {}", out.display()))?;
    println!(
        "exported to {}: {} written, {} unchanged, {} removed",
        out.display(),
        report.written.len(),
        report.unchanged,
        report.removed.len()
    );
    Ok(())
}
