//! `weft read`, `weft write`, `weft ls` and `weft log`: one request each,
//! on workspace paths, without touching a working copy's files.

use std::io::Read as _;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::client::{Change, FileContent, FileEntry, Payload, WriteRequest, decode};
use crate::output;

use super::{Access, ServerArgs, connect, current_working_copy, new_write_id, parse_version};

/// Arguments of `weft read`.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Workspace path, relative to the workspace root, such as src/lib.rs
    pub path: String,

    /// Read at this earlier version: change hashes separated by commas, or
    /// a JSON list
    #[arg(long, value_name = "VERSION")]
    pub at: Option<String>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the read result as JSON instead of the file's bytes
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `weft write`.
#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// Workspace path, relative to the workspace root, such as src/lib.rs
    pub path: String,

    /// The version the new content is based on: change hashes (64 hex
    /// digits each) separated by commas, or a JSON list; [] creates the file
    /// [default: the working copy's base for PATH]
    #[arg(long, value_name = "VERSION")]
    pub base: Option<String>,

    /// Message recorded with the change
    #[arg(long, short, default_value = "weft write")]
    pub message: String,

    /// Set the executable bit (true or false) [default: unchanged]
    #[arg(long, value_name = "BOOL")]
    pub executable: Option<bool>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the write result as JSON
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `weft ls`.
#[derive(Debug, clap::Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the list result as JSON
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `weft log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Workspace path, relative to the workspace root, such as src/lib.rs
    pub path: String,

    /// Maximum number of changes to list [default: the server's, 100]
    #[arg(long, short = 'n', value_name = "COUNT")]
    pub limit: Option<u64>,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Print the log result as JSON
    #[arg(long)]
    pub json: bool,
}

/// Runs `weft read`: prints the file's bytes (the byte-order mark
/// included), or the read result with `--json`.
pub async fn read(args: ReadArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Read)?;
    let mut fields = json!({ "path": args.path });
    if let Some(at) = &args.at {
        fields["version"] = Value::from(parse_version(at)?);
    }
    let mut client = connect(&connection).await?;
    let result = client
        .request("read", fields)
        .await
        .with_context(|| format!("reading \"{}\" failed", args.path))?;
    if args.json {
        return Ok(output::json(&result)?);
    }
    let content: FileContent = decode(result, "read")?;
    output::bytes(&content.disk_bytes()?)?;
    Ok(())
}

/// Runs `weft write`: sends stdin as the new content of PATH and prints the
/// new version and any overlaps.
pub async fn write(args: WriteArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Write)?;
    let base = match (&args.base, &working_copy) {
        (Some(base), _) => parse_version(base)?,
        (None, Some(copy)) => {
            let state = copy.load_state()?;
            match state.files.get(&args.path) {
                Some(file) => file.base.clone(),
                None => bail!(
                    "missing --base: the working copy {} has no base for \"{}\"; pass --base [] to create the file",
                    copy.root.display(),
                    args.path
                ),
            }
        }
        (None, None) => bail!(
            "missing --base: outside a working copy, pass the version the content is based on \
             (from weft ls --json or weft read --json), or --base [] to create the file"
        ),
    };

    let mut content = Vec::new();
    std::io::stdin()
        .read_to_end(&mut content)
        .context("failed to read the new content from stdin")?;
    let payload = Payload::from_bytes(content);

    let mut client = connect(&connection).await?;
    let write_id = new_write_id(&connection.agent);
    let request = WriteRequest {
        path: &args.path,
        base: Some(&base),
        payload: &payload,
        executable: args.executable,
        message: &args.message,
        write_id: &write_id,
    };
    let result = client.write_raw(&request).await?;
    if args.json {
        return Ok(output::json(&result)?);
    }
    let reply: FileContent = decode(result, "write")?;
    let action = if reply.created { "created" } else { "wrote" };
    output::line(&output::result_line(action, &reply.path))?;
    output::line(&format!("version {}", output::version(&reply.version)))?;
    for overlap in &reply.overlaps {
        output::line(&output::overlap(
            &reply.path,
            overlap,
            reply.text.as_deref(),
        ))?;
    }
    Ok(())
}

/// Runs `weft ls`: one line per file, `KIND EXEC PATH`, where EXEC is `x`
/// for an executable file and `-` otherwise.
pub async fn ls(args: LsArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Read)?;
    let mut client = connect(&connection).await?;
    let result = client
        .request("list", json!({}))
        .await
        .context("listing files failed")?;
    if args.json {
        return Ok(output::json(&result)?);
    }
    let files: Vec<FileEntry> =
        decode(result.get("files").cloned().unwrap_or(Value::Null), "list")?;
    for file in files {
        output::line(&format_entry(&file))?;
    }
    Ok(())
}

/// Runs `weft log`: one line per change, newest first.
pub async fn log(args: LogArgs) -> Result<()> {
    let working_copy = current_working_copy()?;
    let connection = args.server.resolve(working_copy.as_ref(), Access::Read)?;
    let mut fields = json!({ "path": args.path });
    if let Some(limit) = args.limit {
        fields["limit"] = Value::from(limit);
    }
    let mut client = connect(&connection).await?;
    let result = client
        .request("log", fields)
        .await
        .with_context(|| format!("reading the log of \"{}\" failed", args.path))?;
    if args.json {
        return Ok(output::json(&result)?);
    }
    let changes: Vec<Change> =
        decode(result.get("changes").cloned().unwrap_or(Value::Null), "log")?;
    for change in changes {
        output::line(&format_change(&change))?;
    }
    Ok(())
}

/// Formats a listed file as `KIND EXEC PATH`, such as `text  x bin/run`.
fn format_entry(file: &FileEntry) -> String {
    let executable = if file.executable { "x" } else { "-" };
    format!("{:<5} {executable} {}", file.kind, file.path)
}

/// Formats a change as `HASH AGENT TIME MESSAGE`, with the hash cut to 12
/// digits, the time in RFC 3339 UTC and only the message's first line.
fn format_change(change: &Change) -> String {
    let short_hash: String = change.hash.chars().take(12).collect();
    let first_line = change.message.lines().next().unwrap_or_default();
    format!(
        "{short_hash} {} {} {first_line}",
        change.agent,
        output::rfc3339_utc(change.time)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_shows_kind_flag_path() {
        let file = FileEntry {
            path: "bin/run".into(),
            kind: "text".into(),
            executable: true,
            version: Vec::new(),
        };
        assert_eq!(format_entry(&file), "text  x bin/run");
        let data = FileEntry {
            path: "logo.png".into(),
            kind: "bytes".into(),
            executable: false,
            version: Vec::new(),
        };
        assert_eq!(format_entry(&data), "bytes - logo.png");
    }

    #[test]
    fn change_shows_short_hash_and_first_line() {
        let change = Change {
            hash: "e4f0".repeat(16),
            agent: "agent-a".into(),
            time: 0,
            message: "add todo\n\nlonger body".into(),
        };
        assert_eq!(
            format_change(&change),
            "e4f0e4f0e4f0 agent-a 1970-01-01T00:00:00Z add todo"
        );
    }
}
