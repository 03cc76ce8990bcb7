//! `weft lease`, `weft renew`, `weft release` and `weft leases`: soft
//! claims on lines of a file that tell other agents what this agent is
//! about to change. A lease blocks no other agent, but a write inside
//! another agent's live lease opens a `lease` overlap.

use std::time::Duration;

use anyhow::{Result, bail};

use crate::client::messages::LineRange;
use crate::client::{Lease, LeaseFilter, LeaseGrant, LeaseRequest};
use crate::duration::parse_duration;
use crate::line_range::parse_line_range;
use crate::output;

use super::{Access, ServerArgs, connect, current_working_copy};

/// Arguments of `weft lease`.
#[derive(Debug, clap::Args)]
pub struct LeaseArgs {
    /// Workspace path of the file, relative to the workspace root, such as
    /// src/db.rs
    pub path: String,

    /// Lease only these lines, 1-based and inclusive, such as 40-120,
    /// counted in the server's text: sync first when local edits moved
    /// them [default: the whole file]
    #[arg(long, value_name = "A-B", value_parser = parse_line_range, conflicts_with = "symbol")]
    pub lines: Option<LineRange>,

    /// Lease the lines of this definition (a function, method, type or
    /// class), such as build_query, Config::parse (in a scope), ::parse
    /// (top level) or "impl Config" (by kind)
    #[arg(long, value_name = "NAME")]
    pub symbol: Option<String>,

    /// Description of the change this agent is about to make there, shown
    /// to other agents
    #[arg(long, value_name = "TEXT")]
    pub intent: String,

    /// How long the lease lasts unless renewed: a number and a unit, s, m,
    /// h or d, such as 90s or 2h
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub ttl: Duration,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the lease result as JSON, {"lease": {...}, "overlapping": [...]}
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `weft renew`.
#[derive(Debug, clap::Args)]
pub struct RenewArgs {
    /// The lease's id, such as ls-8c1e2f90a4b7, as weft lease prints it
    pub id: String,

    /// The new time to live, counted from now: a number and a unit, s, m,
    /// h or d, such as 90s or 2h
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub ttl: Duration,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the renew result as JSON, {"lease": {...}, "overlapping": [...]}
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `weft release`.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The lease's id, such as ls-8c1e2f90a4b7, as weft lease prints it
    pub id: String,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the release result as JSON, {"lease": {...}}
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `weft leases`.
#[derive(Debug, clap::Args)]
pub struct LeasesArgs {
    /// List only the leases of this workspace path, such as src/db.rs
    pub path: Option<String>,

    /// List only the leases this agent holds
    #[arg(long, value_name = "NAME")]
    pub holder: Option<String>,

    /// Also list leases that expired or were released
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the leases result as JSON, {"leases": [...], "now": ...}
    #[arg(long)]
    pub json: bool,
}

/// Runs `weft lease`: prints `leased` and the lease, then `overlapping`
/// and each live lease of another agent that shares a line with it.
pub async fn lease(args: LeaseArgs) -> Result<()> {
    if args.intent.trim().is_empty() {
        bail!(
            "invalid intent: it is empty; pass --intent TEXT saying what you will change in {}",
            args.path
        );
    }
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Write)?;
    let mut client = connect(&connection).await?;
    let request = LeaseRequest {
        path: &args.path,
        lines: args.lines,
        symbol: args.symbol.as_deref(),
        intent: &args.intent,
        ttl_seconds: args.ttl.as_secs(),
    };
    if args.json {
        let result = client.lease_raw(&request).await?;
        return Ok(output::json(&result)?);
    }
    let grant = client.lease(&request).await?;
    print_grant("leased", &grant)
}

/// Runs `weft renew`: prints `renewed` and the lease, then the overlapping
/// leases as `weft lease` does.
pub async fn renew(args: RenewArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Write)?;
    let mut client = connect(&connection).await?;
    let ttl_seconds = args.ttl.as_secs();
    if args.json {
        let result = client.renew_raw(&args.id, ttl_seconds).await?;
        return Ok(output::json(&result)?);
    }
    let grant = client.renew(&args.id, ttl_seconds).await?;
    print_grant("renewed", &grant)
}

/// Runs `weft release`: prints `released` and the lease, or `already
/// STATE` when it had ended before.
pub async fn release(args: ReleaseArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Write)?;
    let mut client = connect(&connection).await?;
    if args.json {
        let result = client.release_raw(&args.id).await?;
        return Ok(output::json(&result)?);
    }
    let lease = client.release(&args.id).await?;
    Ok(output::line(&released_line(&lease))?)
}

/// Runs `weft leases`: one line per lease, oldest first.
pub async fn list(args: LeasesArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Read)?;
    let mut client = connect(&connection).await?;
    let filter = LeaseFilter {
        path: args.path.as_deref(),
        agent: args.holder.as_deref(),
        all: args.all,
    };
    if args.json {
        let result = client.leases_raw(&filter).await?;
        return Ok(output::json(&result)?);
    }
    let leases = client.leases(&filter).await?;
    if leases.is_empty() {
        output::line(&empty_list_line(&filter))?;
    }
    for lease in &leases {
        output::line(&output::lease_line(lease))?;
    }
    Ok(())
}

/// Prints `VERB` and the lease, then one `overlapping` line per
/// overlapping lease of another agent.
fn print_grant(verb: &str, grant: &LeaseGrant) -> Result<()> {
    for line in grant_lines(verb, grant) {
        output::line(&line)?;
    }
    Ok(())
}

fn grant_lines(verb: &str, grant: &LeaseGrant) -> Vec<String> {
    let mut lines = vec![format!("{verb} {}", output::lease_line(&grant.lease))];
    for other in &grant.overlapping {
        lines.push(format!("overlapping {}", output::lease_line(other)));
    }
    lines
}

fn released_line(lease: &Lease) -> String {
    let verb = if lease.state == "released" {
        "released".to_owned()
    } else {
        format!("already {}", lease.state)
    };
    format!("{verb} {}", output::lease_summary(lease))
}

/// Formats the line printed in place of an empty list.
fn empty_list_line(filter: &LeaseFilter<'_>) -> String {
    let mut text = if filter.all {
        "no leases".to_owned()
    } else {
        "no live leases".to_owned()
    };
    if let Some(agent) = filter.agent {
        text.push_str(&format!(" of agent \"{agent}\""));
    }
    if let Some(path) = filter.path {
        text.push_str(&format!(" on \"{path}\""));
    }
    text
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// A command line with the lease commands only.
    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(subcommand)]
        command: TestCommand,
    }

    #[derive(Debug, clap::Subcommand)]
    enum TestCommand {
        Lease(LeaseArgs),
        Renew(RenewArgs),
        Leases(LeasesArgs),
    }

    fn parse(args: &[&str]) -> Result<TestCommand, clap::Error> {
        let line = std::iter::once("weft").chain(args.iter().copied());
        Ok(TestCli::try_parse_from(line)?.command)
    }

    fn parse_lease(args: &[&str]) -> Result<LeaseArgs, clap::Error> {
        let line: Vec<&str> = std::iter::once("lease")
            .chain(args.iter().copied())
            .collect();
        match parse(&line)? {
            TestCommand::Lease(parsed) => Ok(parsed),
            other => panic!("expected lease, got {other:?}"),
        }
    }

    #[test]
    fn lease_defaults() -> Result<()> {
        let parsed = parse_lease(&["src/db.rs", "--intent", "split"])?;
        assert_eq!(parsed.path, "src/db.rs");
        assert_eq!(parsed.lines, None);
        assert_eq!(parsed.symbol, None);
        assert_eq!(parsed.ttl, Duration::from_secs(1800));
        assert!(!parsed.json);
        Ok(())
    }

    #[test]
    fn lease_flags_parse() -> Result<()> {
        let parsed = parse_lease(&[
            "src/db.rs",
            "--lines",
            "40-120",
            "--intent",
            "split",
            "--ttl",
            "90s",
            "--json",
        ])?;
        assert_eq!(
            parsed.lines,
            Some(LineRange {
                start: 40,
                end: 120
            })
        );
        assert_eq!(parsed.ttl, Duration::from_secs(90));
        assert!(parsed.json);
        Ok(())
    }

    #[test]
    fn lease_rejects_bad_values() {
        for (flag, value, expected) in [
            (
                "--lines",
                "5-3",
                "the first line 5 is after the last line 3",
            ),
            ("--lines", "0-2", "line numbers start at 1"),
            ("--lines", "x", "\"x\" is not a line number"),
            ("--ttl", "30", "the unit is missing"),
            ("--ttl", "1w", "unknown unit"),
        ] {
            let error = parse_lease(&["a.rs", "--intent", "i", flag, value])
                .expect_err("a bad value is rejected");
            let text = error.to_string();
            assert!(text.contains(&format!("'{value}'")), "{text}");
            assert!(text.contains(expected), "{text}");
        }
    }

    #[test]
    fn lease_requires_intent_and_one_span() {
        assert!(parse_lease(&["a.rs"]).is_err(), "--intent is required");
        let both = parse_lease(&["a.rs", "--intent", "i", "--lines", "1-2", "--symbol", "f"]);
        assert!(both.is_err(), "--lines and --symbol conflict");
    }

    #[test]
    fn renew_defaults_to_thirty_minutes() -> Result<()> {
        let TestCommand::Renew(parsed) = parse(&["renew", "ls-1"])? else {
            panic!("expected renew");
        };
        assert_eq!(parsed.id, "ls-1");
        assert_eq!(parsed.ttl, Duration::from_secs(1800));
        Ok(())
    }

    #[test]
    fn leases_holder_is_a_filter() -> Result<()> {
        let TestCommand::Leases(parsed) =
            parse(&["leases", "src/db.rs", "--holder", "agent-b", "--all"])?
        else {
            panic!("expected leases");
        };
        assert_eq!(parsed.path.as_deref(), Some("src/db.rs"));
        assert_eq!(parsed.holder.as_deref(), Some("agent-b"));
        assert!(parsed.all);
        Ok(())
    }

    fn lease(id: &str, agent: &str, state: &str) -> Lease {
        Lease {
            id: id.into(),
            agent: agent.into(),
            path: "src/db.rs".into(),
            lines: Some(LineRange { start: 3, end: 4 }),
            intent: "rename".into(),
            state: state.into(),
            ..Lease::default()
        }
    }

    #[test]
    fn grant_lists_overlapping_leases() {
        let grant = LeaseGrant {
            lease: lease("ls-2", "agent-b", "live"),
            overlapping: vec![lease("ls-1", "agent-a", "live")],
        };
        assert_eq!(
            grant_lines("leased", &grant),
            [
                "leased ls-2 agent-b src/db.rs lines 3-4 \"rename\"",
                "overlapping ls-1 agent-a src/db.rs lines 3-4 \"rename\"",
            ]
        );
    }

    #[test]
    fn release_of_ended_lease_says_so() {
        assert_eq!(
            released_line(&lease("ls-1", "agent-a", "released")),
            "released ls-1 agent-a src/db.rs lines 3-4 \"rename\""
        );
        assert_eq!(
            released_line(&lease("ls-1", "agent-a", "expired")),
            "already expired ls-1 agent-a src/db.rs lines 3-4 \"rename\""
        );
    }

    #[test]
    fn empty_list_names_filters() {
        assert_eq!(empty_list_line(&LeaseFilter::default()), "no live leases");
        let filter = LeaseFilter {
            path: Some("src/db.rs"),
            agent: Some("agent-b"),
            all: true,
        };
        assert_eq!(
            empty_list_line(&filter),
            "no leases of agent \"agent-b\" on \"src/db.rs\""
        );
    }
}
