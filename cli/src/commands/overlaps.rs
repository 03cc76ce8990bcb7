//! `weft overlaps`: lists the overlaps that involve this agent (or every
//! overlap with `--all`), and `weft overlaps ack` acknowledges one with a
//! note, which takes it off the default list.

use anyhow::{Result, bail};
use clap::Subcommand;

use crate::output;

use super::{Access, ServerArgs, connect, current_working_copy};

/// Arguments of `weft overlaps`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct OverlapsArgs {
    #[command(subcommand)]
    pub command: Option<OverlapsCommand>,

    /// List every overlap of every agent, open, acknowledged or resolved
    #[arg(long)]
    pub all: bool,

    /// List only the overlaps of this workspace path, such as src/lib.rs
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the overlaps result as JSON, {"overlaps": [...]}
    #[arg(long)]
    pub json: bool,
}

/// The subcommands of `weft overlaps`.
#[derive(Debug, Subcommand)]
pub enum OverlapsCommand {
    /// Acknowledge an overlap with a note, so it leaves the default list
    Ack(AckArgs),
}

/// Arguments of `weft overlaps ack`.
#[derive(Debug, clap::Args)]
pub struct AckArgs {
    /// The overlap's id, such as ov-3a9f01c2b7d4, as weft sync or weft
    /// overlaps prints it
    pub id: String,

    /// The reason the overlap needs no further change, stored with it
    #[arg(long, value_name = "TEXT")]
    pub note: String,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the ack result as JSON, {"overlap": {...}}
    #[arg(long)]
    pub json: bool,
}

/// Runs `weft overlaps` or `weft overlaps ack`.
pub async fn run(args: OverlapsArgs) -> Result<()> {
    match args.command {
        Some(OverlapsCommand::Ack(ack)) => acknowledge(ack).await,
        None => list(args).await,
    }
}

/// Lists overlaps: one block each, as [`output::listed_overlap`] formats
/// it, or the result as returned with `--json`.
async fn list(args: OverlapsArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    // The default list contains the overlaps of one agent, so it needs a
    // real agent name, as a write does.
    let access = if args.all {
        Access::Read
    } else {
        Access::Write
    };
    let connection = args.server.resolve(working_copy.as_ref(), access)?;
    let mut client = connect(&connection).await?;
    let path = args.path.as_deref();
    if args.json {
        let result = client.overlaps_raw(args.all, path).await?;
        return Ok(output::json(&result)?);
    }
    let overlaps = client.overlaps(args.all, path).await?;
    if overlaps.is_empty() {
        output::line(&empty_list_line(args.all, &connection.agent, path))?;
    }
    for overlap in &overlaps {
        output::line(&output::listed_overlap(overlap))?;
    }
    Ok(())
}

/// Formats the line printed in place of an empty list.
fn empty_list_line(all: bool, agent: &str, path: Option<&str>) -> String {
    let mut text = if all {
        "no overlaps".to_owned()
    } else {
        format!("no open overlaps involve agent \"{agent}\"")
    };
    if let Some(path) = path {
        text.push_str(&format!(" in \"{path}\""));
    }
    text
}

/// Acknowledges one overlap and prints `acknowledged ID`, or the result as
/// returned with `--json`.
async fn acknowledge(args: AckArgs) -> Result<()> {
    if args.note.trim().is_empty() {
        bail!(
            "invalid note: it is empty; pass --note TEXT saying why overlap {} needs no further change",
            args.id
        );
    }
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Write)?;
    let mut client = connect(&connection).await?;
    if args.json {
        let result = client.ack_raw(&args.id, &args.note).await?;
        return Ok(output::json(&result)?);
    }
    let overlap = client.ack(&args.id, &args.note).await?;
    let id = overlap.id.as_deref().unwrap_or(&args.id);
    output::line(&format!("acknowledged {id}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// A command line with `weft overlaps` as its only command.
    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(subcommand)]
        command: TestCommand,
    }

    #[derive(Debug, clap::Subcommand)]
    enum TestCommand {
        Overlaps(OverlapsArgs),
    }

    fn parse(args: &[&str]) -> Result<OverlapsArgs, clap::Error> {
        let line = ["weft", "overlaps"].iter().chain(args);
        let TestCommand::Overlaps(parsed) = TestCli::try_parse_from(line)?.command;
        Ok(parsed)
    }

    #[test]
    fn bare_overlaps_lists() -> Result<()> {
        let parsed = parse(&[])?;
        assert!(parsed.command.is_none());
        assert!(!parsed.all);
        assert!(!parsed.json);
        assert_eq!(parsed.path, None);
        Ok(())
    }

    #[test]
    fn list_flags_parse() -> Result<()> {
        let parsed = parse(&[
            "--all",
            "--json",
            "--path",
            "src/lib.rs",
            "--agent",
            "agent-b",
        ])?;
        assert!(parsed.command.is_none());
        assert!(parsed.all);
        assert!(parsed.json);
        assert_eq!(parsed.path.as_deref(), Some("src/lib.rs"));
        assert_eq!(parsed.server.agent.as_deref(), Some("agent-b"));
        Ok(())
    }

    #[test]
    fn ack_parses_id_note_and_flags() -> Result<()> {
        let parsed = parse(&[
            "ack",
            "ov-3a9f01c2b7d4",
            "--note",
            "kept both",
            "--json",
            "--server",
            "ws://127.0.0.1:9000",
        ])?;
        let Some(OverlapsCommand::Ack(ack)) = parsed.command else {
            panic!("expected the ack subcommand, got {parsed:?}");
        };
        assert_eq!(ack.id, "ov-3a9f01c2b7d4");
        assert_eq!(ack.note, "kept both");
        assert!(ack.json);
        assert_eq!(ack.server.server.as_deref(), Some("ws://127.0.0.1:9000"));
        Ok(())
    }

    #[test]
    fn ack_requires_id_and_note() {
        assert!(
            parse(&["ack", "ov-1"]).is_err(),
            "a missing --note must be rejected"
        );
        assert!(
            parse(&["ack", "--note", "x"]).is_err(),
            "a missing id must be rejected"
        );
    }

    #[test]
    fn list_flags_conflict_with_ack() {
        let parsed = parse(&["--all", "ack", "ov-1", "--note", "x"]);
        assert!(parsed.is_err(), "--all before ack must be rejected");
    }

    #[test]
    fn empty_list_names_agent_and_path() {
        assert_eq!(
            empty_list_line(false, "agent-a", None),
            "no open overlaps involve agent \"agent-a\""
        );
        assert_eq!(
            empty_list_line(true, "agent-a", Some("src/lib.rs")),
            "no overlaps in \"src/lib.rs\""
        );
    }
}
