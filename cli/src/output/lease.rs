//! The text form of leases, as `weft lease`, `weft leases` and `weft
//! status` print them.

use crate::client::Lease;

use super::rfc3339_utc;

/// Formats a lease on one line, as [`lease_summary`] does, then `[STATE]`
/// unless the lease is live.
pub fn lease_line(lease: &Lease) -> String {
    let mut text = lease_summary(lease);
    if !lease.is_live() {
        text.push_str(&format!(" [{}]", lease.state));
    }
    text
}

/// Formats a lease on one line without its state: `ID AGENT PATH SPAN
/// "INTENT" fence F until TIME`, as in
///
/// ```text
/// ls-8c1e2f90a4b7 agent-a src/db.rs lines 40-120 "split query builder" fence 3 until 2026-11-12T08:30:00Z
/// ```
pub fn lease_summary(lease: &Lease) -> String {
    let mut text = format!(
        "{} {} {} {} {:?}",
        lease.id,
        lease.agent,
        lease.path,
        lease_span(lease),
        lease.intent
    );
    if let Some(fence) = lease.fence {
        text.push_str(&format!(" fence {fence}"));
    }
    if let Some(expires) = lease.expires {
        text.push_str(&format!(" until {}", rfc3339_utc(expires)));
    }
    text
}

/// Formats what a lease covers: `lines A-B`, `whole file`, and the
/// definition name before the lines of a lease granted for one, as in
/// `symbol build_query lines 40-120`.
pub fn lease_span(lease: &Lease) -> String {
    let lines = match lease.lines {
        Some(lines) => format!("lines {}-{}", lines.start, lines.end),
        None => "whole file".to_owned(),
    };
    match &lease.symbol {
        Some(symbol) => format!("symbol {symbol} {lines}"),
        None => lines,
    }
}

#[cfg(test)]
mod tests {
    use crate::client::messages::LineRange;

    use super::*;

    fn db_lease() -> Lease {
        Lease {
            id: "ls-8c1e2f90a4b7".into(),
            agent: "agent-a".into(),
            path: "src/db.rs".into(),
            lines: Some(LineRange {
                start: 40,
                end: 120,
            }),
            intent: "split query builder".into(),
            granted: Some(1_700_000_000_000),
            expires: Some(1_700_001_800_000),
            fence: Some(3),
            state: "live".into(),
            ..Lease::default()
        }
    }

    #[test]
    fn live_lease_line() {
        assert_eq!(
            lease_line(&db_lease()),
            "ls-8c1e2f90a4b7 agent-a src/db.rs lines 40-120 \"split query builder\" fence 3 until 2023-11-14T22:43:20Z"
        );
    }

    #[test]
    fn ended_whole_file_lease_line() {
        let lease = Lease {
            lines: None,
            state: "expired".into(),
            intent: "say \"hi\"\nthen go".into(),
            fence: None,
            expires: None,
            ..db_lease()
        };
        assert_eq!(
            lease_line(&lease),
            "ls-8c1e2f90a4b7 agent-a src/db.rs whole file \"say \\\"hi\\\"\\nthen go\" [expired]"
        );
    }

    #[test]
    fn symbol_lease_span() {
        let lease = Lease {
            symbol: Some("build_query".into()),
            ..db_lease()
        };
        assert_eq!(lease_span(&lease), "symbol build_query lines 40-120");
    }
}
