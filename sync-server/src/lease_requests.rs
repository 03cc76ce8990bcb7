//! The lease requests of a connection (lease, renew, release, leases), the
//! lease status in a write reply, and the test-only clock request.

use serde_json::{Map, Value, json};
use weft_engine::lease::{Lease, LeaseState, regions_meet};
use weft_engine::merge::LineRange;
use weft_engine::path::WorkspacePath;

use crate::doc_leases::LeaseTarget;
use crate::handler::Session;
use crate::leases::{DEFAULT_TTL_SECS, GrantRequest, MAX_TTL_SECS, lease_json, located};
use crate::protocol::{ProtocolError, Request};

/// Maximum length of an intent, in bytes.
const MAX_INTENT_LEN: usize = 2000;

impl Session {
    /// Grants a lease and lists the live leases of other agents that share
    /// a line with it.
    pub(crate) async fn lease(
        &self,
        request: &Request,
        agent: &str,
    ) -> Result<Value, ProtocolError> {
        let path = request.path("path")?;
        let target = lease_target(request)?;
        let intent = request.string("intent")?.trim();
        if intent.is_empty() || intent.len() > MAX_INTENT_LEN {
            return Err(ProtocolError::field(
                "invalid_request",
                "intent",
                format!(
                    "the intent must be 1 to {MAX_INTENT_LEN} bytes saying what you will change"
                ),
            ));
        }
        let ttl_secs = ttl(request)?;
        let entry = self.shared.index.live(&path, "path").await?;
        let symbol = match &target {
            LeaseTarget::Symbol(name) => Some(name.clone()),
            _ => None,
        };
        let region = self
            .shared
            .documents
            .lease_region(&entry.doc_id, &path, target)
            .await?;
        let lease = self
            .shared
            .leases
            .grant(GrantRequest {
                agent: agent.to_owned(),
                path: path.to_string(),
                doc_id: entry.doc_id.clone(),
                lines: region.lines,
                anchors: region.anchors,
                symbol,
                intent: intent.to_owned(),
                ttl_secs,
            })
            .await?;
        self.shared
            .leases
            .publish("lease_granted", &lease, lease.lines);
        self.lease_reply(lease, agent).await
    }

    /// Extends a live lease of this agent.
    pub(crate) async fn renew(
        &self,
        request: &Request,
        agent: &str,
    ) -> Result<Value, ProtocolError> {
        let id = request.string("lease")?;
        let ttl_secs = ttl(request)?;
        let lease = self.shared.leases.renew(id, agent, ttl_secs).await?;
        let lines = self.lines_of(std::slice::from_ref(&lease)).await;
        self.shared
            .leases
            .publish("lease_renewed", &lease, lines.first().copied().flatten());
        self.lease_reply(lease, agent).await
    }

    /// Releases a lease of this agent.
    pub(crate) async fn release(
        &self,
        request: &Request,
        agent: &str,
    ) -> Result<Value, ProtocolError> {
        let id = request.string("lease")?;
        let (lease, was_live) = self.shared.leases.release(id, agent).await?;
        let lines = self
            .lines_of(std::slice::from_ref(&lease))
            .await
            .first()
            .copied()
            .flatten();
        if was_live {
            self.shared.leases.publish("lease_released", &lease, lines);
        }
        Ok(json!({ "lease": lease_json(&lease, lines, self.now()) }))
    }

    /// Lists leases: live ones, or all with `all`; of one `path` or one
    /// `agent` when given.
    pub(crate) async fn leases(&self, request: &Request) -> Result<Value, ProtocolError> {
        let path = match request.opt_string("path")? {
            Some(_) => Some(request.path("path")?),
            None => None,
        };
        let agent = request.opt_string("agent")?;
        let all = request.opt_bool("all")?.unwrap_or(false);
        let now = self.now();

        // A lease follows its file's document, so after a rename it is
        // listed, and shown, under the file's new path.
        let entries = self.shared.index.list().await?;
        let live_path = |doc_id: &str| {
            entries
                .iter()
                .find(|entry| !entry.deleted && entry.doc_id == doc_id)
                .map(|entry| entry.path.to_string())
        };
        let leases: Vec<(Lease, String)> = self
            .shared
            .leases
            .all()
            .await
            .into_iter()
            .filter(|lease| all || lease.is_live(now))
            .filter(|lease| agent.is_none_or(|agent| lease.agent == agent))
            .map(|lease| {
                let shown = live_path(&lease.doc_id).unwrap_or_else(|| lease.path.clone());
                (lease, shown)
            })
            .filter(|(_, shown)| path.as_ref().is_none_or(|path| shown == path.as_str()))
            .collect();
        let plain: Vec<Lease> = leases.iter().map(|(lease, _)| lease.clone()).collect();
        let lines = self.lines_of(&plain).await;
        let shown: Vec<Value> = leases
            .iter()
            .zip(lines)
            .map(|((lease, path), lines)| {
                let mut shown = lease_json(lease, lines, now);
                shown["path"] = json!(path);
                shown
            })
            .collect();
        Ok(json!({ "leases": shown, "now": now }))
    }

    /// Moves the test clock forward.
    pub(crate) fn clock(&self, request: &Request) -> Result<Value, ProtocolError> {
        let seconds = request.count("advance")?;
        let now = self.shared.leases.clock().advance(seconds as u64)?;
        tracing::info!(seconds, "test clock moved forward");
        Ok(json!({ "now": now }))
    }

    /// Checks a write's `fence` before the write: the lease it names must
    /// be one of the writer's leases on the file at `path`.
    pub(crate) async fn fenced_lease(
        &self,
        request: &Request,
        path: &WorkspacePath,
        agent: &str,
    ) -> Result<Option<Lease>, ProtocolError> {
        let Some(fence) = request.opt_count("fence")? else {
            return Ok(None);
        };
        let not_found = || {
            ProtocolError::field(
                "not_found",
                "fence",
                format!(
                    "no lease on {path} has fence {fence}; send the fence from your lease reply, or leave it out"
                ),
            )
        };
        let entry = self.shared.index.get(path).await?.ok_or_else(not_found)?;
        let lease = self
            .shared
            .leases
            .by_fence(fence as u64)
            .await
            .filter(|lease| lease.doc_id == entry.doc_id || lease.path == path.as_str())
            .ok_or_else(not_found)?;
        if lease.agent != agent {
            return Err(ProtocolError::field(
                "not_holder",
                "fence",
                format!(
                    "fence {fence} on {path} belongs to {}'s lease {}, not to {agent}; send the fence of your own lease",
                    lease.agent, lease.id
                ),
            ));
        }
        Ok(Some(lease))
    }

    /// Adds the `lease` status of a fenced write to its reply: whether the
    /// lease is still live, lapsed, or superseded by a later overlapping
    /// lease of another agent. A later lease supersedes it even after that
    /// lease ended, since its holder may have written meanwhile.
    pub(crate) async fn add_lease_status(&self, result: &mut Map<String, Value>, lease: &Lease) {
        let now = self.now();
        let newer: Vec<Lease> = self
            .shared
            .leases
            .all()
            .await
            .into_iter()
            .filter(|other| {
                other.doc_id == lease.doc_id
                    && other.fence > lease.fence
                    && other.agent != lease.agent
            })
            .collect();
        let mut all = vec![lease.clone()];
        all.extend(newer.iter().cloned());
        let lines = self.lines_of(&all).await;
        let mine = lines.first().copied().flatten();
        let superseding = newer
            .iter()
            .zip(lines.iter().skip(1))
            .find(|(_, theirs)| regions_meet(mine, **theirs));
        // A release is the holder's own act, so it is reported before a
        // later lease of another agent.
        let state = match (lease.state(now), superseding) {
            (LeaseState::Released, _) => "released",
            (_, Some(_)) => "superseded",
            (state, None) => state.as_str(),
        };
        result.insert(
            "lease".into(),
            json!({
                "id": lease.id,
                "fence": lease.fence,
                "state": state,
                "superseded_by": superseding.map(|(other, lines)| lease_json(other, *lines, now)),
            }),
        );
    }

    /// Builds the reply of a grant or renewal: the lease and the
    /// overlapping live leases of other agents.
    async fn lease_reply(&self, lease: Lease, agent: &str) -> Result<Value, ProtocolError> {
        let now = self.now();
        let mut all = vec![lease.clone()];
        all.extend(
            self.shared
                .leases
                .live_on_doc(&lease.doc_id, Some(agent))
                .await,
        );
        let lines = self.lines_of(&all).await;
        let mine = lines.first().copied().flatten();
        let overlapping: Vec<Value> = all
            .iter()
            .zip(&lines)
            .skip(1)
            .filter(|(_, theirs)| regions_meet(mine, **theirs))
            .map(|(other, theirs)| lease_json(other, *theirs, now))
            .collect();
        Ok(json!({
            "lease": lease_json(&lease, mine, now),
            "overlapping": overlapping,
        }))
    }

    async fn lines_of(&self, leases: &[Lease]) -> Vec<Option<LineRange>> {
        located(&self.shared.documents, leases).await
    }

    fn now(&self) -> i64 {
        self.shared.leases.clock().now_ms()
    }
}

/// Reads the region a lease request names: `lines`, `symbol` or the
/// whole file.
fn lease_target(request: &Request) -> Result<LeaseTarget, ProtocolError> {
    let symbol = request.opt_string("symbol")?;
    let lines = request.opt_object("lines")?;
    match (lines, symbol) {
        (Some(_), Some(_)) => Err(ProtocolError::field(
            "invalid_request",
            "symbol",
            "send either \"lines\" or \"symbol\", not both",
        )),
        (None, Some(name)) if name.trim().is_empty() => Err(ProtocolError::field(
            "invalid_request",
            "symbol",
            "\"symbol\" is empty; name a definition such as \"parse\" or \"Config::parse\"",
        )),
        (None, Some(name)) => Ok(LeaseTarget::Symbol(name.trim().to_owned())),
        (None, None) => Ok(LeaseTarget::File),
        (Some(lines), None) => {
            let bound = |name: &str| {
                lines
                    .get(name)
                    .and_then(Value::as_u64)
                    .and_then(|n| usize::try_from(n).ok())
            };
            match (bound("start"), bound("end")) {
                (Some(start), Some(end)) if start >= 1 && start <= end => {
                    Ok(LeaseTarget::Lines(LineRange { start, end }))
                }
                _ => Err(ProtocolError::field(
                    "invalid_request",
                    "lines",
                    format!(
                        "\"lines\" is {}; send {{\"start\": A, \"end\": B}} with 1 <= A <= B",
                        Value::Object(lines.clone())
                    ),
                )),
            }
        }
    }
}

/// Reads the request's `ttl` in seconds, or the default.
fn ttl(request: &Request) -> Result<u64, ProtocolError> {
    match request.opt_count("ttl")? {
        None => Ok(DEFAULT_TTL_SECS),
        Some(secs) if (1..=MAX_TTL_SECS).contains(&(secs as u64)) => Ok(secs as u64),
        Some(secs) => Err(ProtocolError::field(
            "invalid_request",
            "ttl",
            format!("\"ttl\" is {secs} seconds; send 1 to {MAX_TTL_SECS}"),
        )),
    }
}
