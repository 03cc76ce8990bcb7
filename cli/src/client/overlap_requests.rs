//! The overlap requests of the client: preview a write, list overlaps and
//! acknowledge one (`docs/protocol.md`).

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::messages::{Overlap, Preview, PreviewRequest};
use super::{Client, decode};

impl Client {
    /// Previews a whole-file write: returns the merged content and the
    /// overlaps the write would open, and changes nothing on the server.
    pub async fn preview(&mut self, preview: &PreviewRequest<'_>) -> Result<Preview> {
        let mut fields = Map::new();
        fields.insert("path".into(), Value::from(preview.path));
        fields.insert("base".into(), Value::from(preview.base.to_vec()));
        preview.payload.insert_into(&mut fields);
        if let Some(executable) = preview.executable {
            fields.insert("executable".into(), Value::from(executable));
        }
        let result = self
            .request("preview", Value::Object(fields))
            .await
            .with_context(|| format!("preview of a write to \"{}\" failed", preview.path))?;
        decode(result, "preview")
    }

    /// Lists overlaps and returns the raw `result`, `{"overlaps": [...]}`.
    /// By default the server lists the open overlaps of this connection's
    /// agent. With `all` it lists every overlap in every state, and with
    /// `path` only those of one file.
    pub async fn overlaps_raw(&mut self, all: bool, path: Option<&str>) -> Result<Value> {
        let mut fields = Map::new();
        if all {
            fields.insert("all".into(), Value::from(true));
        }
        if let Some(path) = path {
            fields.insert("path".into(), Value::from(path));
        }
        self.request("overlaps", Value::Object(fields))
            .await
            .context("listing overlaps failed")
    }

    /// Lists overlaps, as [`Client::overlaps_raw`] does, decoded.
    pub async fn overlaps(&mut self, all: bool, path: Option<&str>) -> Result<Vec<Overlap>> {
        let result = self.overlaps_raw(all, path).await?;
        let listing: OverlapListing = decode(result, "overlaps")?;
        Ok(listing.overlaps)
    }

    /// Acknowledges the overlap `id` with `note` and returns the raw
    /// `result`, `{"overlap": {...}}`.
    pub async fn ack_raw(&mut self, id: &str, note: &str) -> Result<Value> {
        self.request("ack", json!({ "overlap": id, "note": note }))
            .await
            .with_context(|| format!("acknowledging overlap \"{id}\" failed"))
    }

    /// Acknowledges the overlap `id` with `note` and returns its updated
    /// record.
    pub async fn ack(&mut self, id: &str, note: &str) -> Result<Overlap> {
        let result = self.ack_raw(id, note).await?;
        let reply: AckReply = decode(result, "ack")?;
        Ok(reply.overlap)
    }
}

/// The `result` of an `overlaps` request.
#[derive(Deserialize)]
struct OverlapListing {
    overlaps: Vec<Overlap>,
}

/// The `result` of an `ack` request.
#[derive(Deserialize)]
struct AckReply {
    overlap: Overlap,
}
