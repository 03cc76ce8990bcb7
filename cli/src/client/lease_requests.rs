//! The lease requests of the client: take, renew and release a lease, and
//! list leases (`docs/protocol.md`, sections `lease` to `leases`).

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::messages::LineRange;
use super::{Client, decode};

/// A lease record, as the lease requests and the lease events carry it.
/// Fields this client does not decode are kept in `other`, so serializing
/// it gives back every field the server sent, except optional fields that
/// were `null` (`lines` is always written, because `null` there means the
/// whole file).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Lease {
    /// The lease's id, such as `ls-8c1e2f90a4b7`.
    pub id: String,
    /// The agent the lease was granted to.
    #[serde(default)]
    pub agent: String,
    /// The leased file's workspace path.
    #[serde(default)]
    pub path: String,
    /// The current position of the leased lines, or `None` for a
    /// whole-file lease.
    #[serde(default)]
    pub lines: Option<LineRange>,
    /// The definition the lease was granted for, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The holder's description of the change it will make.
    #[serde(default)]
    pub intent: String,
    /// When the lease was granted, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<i64>,
    /// When the lease ends unless renewed, in milliseconds since the Unix
    /// epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// The fencing number, larger for every later grant on the same path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fence: Option<u64>,
    /// `live`, `expired` or `released`.
    #[serde(default)]
    pub state: String,
    /// Fields this client does not decode, kept for `--json` output.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Lease {
    /// Returns whether the lease is live.
    pub fn is_live(&self) -> bool {
        self.state == "live"
    }
}

/// The `result` of `lease` and `renew`: the lease and the live leases of
/// other agents that share a line with it.
#[derive(Debug, Clone, Deserialize)]
pub struct LeaseGrant {
    /// The granted or renewed lease.
    pub lease: Lease,
    /// Overlapping live leases of other agents.
    #[serde(default)]
    pub overlapping: Vec<Lease>,
}

/// A `lease` request.
#[derive(Debug, Clone)]
pub struct LeaseRequest<'a> {
    /// Workspace path of the file to lease.
    pub path: &'a str,
    /// The lines to lease; `None` with no `symbol` leases the whole file.
    pub lines: Option<LineRange>,
    /// A definition whose lines to lease, in place of `lines`.
    pub symbol: Option<&'a str>,
    /// The agent's description of the change it will make.
    pub intent: &'a str,
    /// Time to live in seconds.
    pub ttl_seconds: u64,
}

/// The filters of a `leases` request.
#[derive(Debug, Clone, Default)]
pub struct LeaseFilter<'a> {
    /// Only the leases of this workspace path.
    pub path: Option<&'a str>,
    /// Only the leases of this agent.
    pub agent: Option<&'a str>,
    /// Also leases that expired or were released.
    pub all: bool,
}

/// The `result` of a `leases` request.
#[derive(Debug, Clone, Deserialize)]
pub struct LeaseListing {
    /// The leases, oldest first.
    pub leases: Vec<Lease>,
}

impl Client {
    /// Takes a lease and returns the raw `result`, `{"lease": {...},
    /// "overlapping": [...]}`.
    pub async fn lease_raw(&mut self, request: &LeaseRequest<'_>) -> Result<Value> {
        let mut fields = Map::new();
        fields.insert("path".into(), Value::from(request.path));
        if let Some(lines) = request.lines {
            fields.insert(
                "lines".into(),
                json!({ "start": lines.start, "end": lines.end }),
            );
        }
        if let Some(symbol) = request.symbol {
            fields.insert("symbol".into(), Value::from(symbol));
        }
        fields.insert("intent".into(), Value::from(request.intent));
        fields.insert("ttl".into(), Value::from(request.ttl_seconds));
        self.request("lease", Value::Object(fields))
            .await
            .with_context(|| format!("leasing \"{}\" failed", request.path))
    }

    /// Takes a lease, as [`Client::lease_raw`] does, decoded.
    pub async fn lease(&mut self, request: &LeaseRequest<'_>) -> Result<LeaseGrant> {
        let result = self.lease_raw(request).await?;
        decode(result, "lease")
    }

    /// Extends the live lease `id` of this agent to `ttl_seconds` from now
    /// and returns the raw `result`, as `lease` does.
    pub async fn renew_raw(&mut self, id: &str, ttl_seconds: u64) -> Result<Value> {
        self.request("renew", json!({ "lease": id, "ttl": ttl_seconds }))
            .await
            .with_context(|| format!("renewing lease \"{id}\" failed"))
    }

    /// Renews a lease, as [`Client::renew_raw`] does, decoded.
    pub async fn renew(&mut self, id: &str, ttl_seconds: u64) -> Result<LeaseGrant> {
        let result = self.renew_raw(id, ttl_seconds).await?;
        decode(result, "renew")
    }

    /// Ends the lease `id` of this agent and returns the raw `result`,
    /// `{"lease": {...}}`.
    pub async fn release_raw(&mut self, id: &str) -> Result<Value> {
        self.request("release", json!({ "lease": id }))
            .await
            .with_context(|| format!("releasing lease \"{id}\" failed"))
    }

    /// Releases a lease, as [`Client::release_raw`] does, and returns the
    /// lease's current record.
    pub async fn release(&mut self, id: &str) -> Result<Lease> {
        let result = self.release_raw(id).await?;
        let reply: ReleaseReply = decode(result, "release")?;
        Ok(reply.lease)
    }

    /// Lists leases and returns the raw `result`, `{"leases": [...],
    /// "now": ...}`.
    pub async fn leases_raw(&mut self, filter: &LeaseFilter<'_>) -> Result<Value> {
        let mut fields = Map::new();
        if let Some(path) = filter.path {
            fields.insert("path".into(), Value::from(path));
        }
        if let Some(agent) = filter.agent {
            fields.insert("agent".into(), Value::from(agent));
        }
        if filter.all {
            fields.insert("all".into(), Value::from(true));
        }
        self.request("leases", Value::Object(fields))
            .await
            .context("listing leases failed")
    }

    /// Lists leases, as [`Client::leases_raw`] does, decoded.
    pub async fn leases(&mut self, filter: &LeaseFilter<'_>) -> Result<Vec<Lease>> {
        let result = self.leases_raw(filter).await?;
        let listing: LeaseListing = decode(result, "leases")?;
        Ok(listing.leases)
    }
}

/// The `result` of a `release` request.
#[derive(Deserialize)]
struct ReleaseReply {
    lease: Lease,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_round_trips_every_field() {
        let record = json!({
            "id": "ls-8c1e2f90a4b7", "agent": "agent-a", "path": "src/db.rs",
            "lines": {"start": 40, "end": 120}, "intent": "split query builder",
            "granted": 1_796_400_000_000_i64, "expires": 1_796_401_800_000_i64,
            "fence": 3, "state": "live", "superseded_by": null
        });
        let lease: Lease = serde_json::from_value(record.clone()).expect("a lease decodes");
        assert_eq!(
            lease.lines,
            Some(LineRange {
                start: 40,
                end: 120
            })
        );
        assert_eq!(lease.fence, Some(3));
        assert!(lease.is_live());
        assert_eq!(serde_json::to_value(&lease).expect("serializes"), record);
    }

    #[test]
    fn whole_file_lease_keeps_null_lines() {
        let record = json!({
            "id": "ls-1", "agent": "agent-a", "path": "a.txt", "lines": null,
            "intent": "rewrite", "state": "expired"
        });
        let lease: Lease = serde_json::from_value(record.clone()).expect("a lease decodes");
        assert_eq!(lease.lines, None);
        assert!(!lease.is_live());
        assert_eq!(serde_json::to_value(&lease).expect("serializes"), record);
    }
}
