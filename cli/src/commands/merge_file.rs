//! `weft merge-file`: `git merge-file`'s three-file merge, run offline
//! through the engine as the server runs a write, and usable as a git merge
//! driver. This file owns the arguments, how the three files become texts,
//! the overlap lines on stderr and the exit code.
//!
//! CURRENT and OTHER are two agents' versions written from BASE. OTHER is
//! the write: it takes BASE's line endings where its lines are otherwise
//! equal (`adopt_line_endings`), and the texts merge with `merge_file`.
//! Each file is read as the engine imports one (`FileContent::from_bytes`):
//! - A leading UTF-8 byte-order mark is an attribute, not text. The result
//!   has one when CURRENT or OTHER has one, because a write that adds the
//!   mark sets it and a write without it leaves the file's mark alone.
//! - An empty BASE means that the file did not exist for either side, which
//!   is what git passes for a file added on both branches.
//! - A file that is not UTF-8, or contains a NUL byte, is not text. Then the
//!   result is OTHER when CURRENT equals BASE, and otherwise CURRENT
//!   unchanged, with one high `binary` overlap unless OTHER equals BASE or
//!   CURRENT.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::ArgAction;
use serde::Serialize;
use weft_engine::content::FileContent;
use weft_engine::line_endings::adopt_line_endings;
use weft_engine::merge::LineRange;
use weft_engine::overlap::{
    FileMerge, OverlapKind, Severity, TextOverlap, merge_file, merge_file_at, merge_file_marked,
};

/// Exit code of a failed merge, as `git merge-file` exits on an error.
const ERROR_EXIT: u8 = 255;

/// Largest exit code that counts overlaps, so that a count never reads as
/// the error code or as death by a signal (128 and above).
const MAX_OVERLAP_EXIT: usize = 127;

/// Arguments of `weft merge-file`, in `git merge-file`'s order.
#[derive(Debug, clap::Args)]
pub struct MergeFileArgs {
    /// Write the result to stdout instead of CURRENT
    #[arg(short = 'p', long = "stdout")]
    pub stdout: bool,

    /// The file's path in the repository, shown in each overlap line (git
    /// passes it as %P)
    #[arg(long, value_name = "NAME")]
    pub path: Option<String>,

    /// Print the overlaps on stderr as one JSON object {"overlaps": [...]}
    #[arg(long)]
    pub json: bool,

    /// Wrap each high-severity region in conflict markers with the three
    /// versions of the region
    #[arg(long)]
    pub markers: bool,

    /// Label for the markers, up to three times: CURRENT's, BASE's and
    /// OTHER's [default: the file names as given]
    #[arg(short = 'L', value_name = "LABEL", action = ArgAction::Append)]
    pub labels: Vec<String>,

    /// The current version, which receives the result unless -p is given
    pub current: PathBuf,

    /// The common ancestor of CURRENT and OTHER
    pub base: PathBuf,

    /// The other version, merged into CURRENT
    pub other: PathBuf,
}

/// Runs `weft merge-file` and returns its exit code: the number of
/// high-severity overlaps (at most 127), or 255 after an error.
pub fn run(args: MergeFileArgs) -> ExitCode {
    match merge_files(&args) {
        Ok(high) => ExitCode::from(u8::try_from(high.min(MAX_OVERLAP_EXIT)).unwrap_or(u8::MAX)),
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::from(ERROR_EXIT)
        }
    }
}

/// Exits after a command-line parsing error: with 255 for `weft
/// merge-file`, whose small exit codes count overlaps, and as clap exits
/// for every other command (2 for a usage error, 0 for `--help`).
pub fn exit_on_parse_error(error: clap::Error) -> ! {
    let is_merge_file = std::env::args_os()
        .nth(1)
        .is_some_and(|command| command == "merge-file");
    if is_merge_file && error.use_stderr() {
        let _ = error.print();
        std::process::exit(i32::from(ERROR_EXIT));
    }
    error.exit()
}

/// Merges the files, writes the result and prints the overlaps. Returns the
/// number of high-severity overlaps.
fn merge_files(args: &MergeFileArgs) -> Result<usize> {
    if args.labels.len() > 3 {
        bail!(
            "too many -L labels ({}): give at most three, for CURRENT, BASE and OTHER",
            args.labels.len()
        );
    }
    let current = read_input("CURRENT", &args.current)?;
    let base = read_input("BASE", &args.base)?;
    let other = read_input("OTHER", &args.other)?;

    let labels = if args.markers {
        let given = [&args.current, &args.base, &args.other];
        let labels: Vec<String> = (0..3)
            .map(|index| match args.labels.get(index) {
                Some(label) => label.clone(),
                None => given[index].display().to_string(),
            })
            .collect();
        Some(labels)
    } else {
        None
    };
    let label_refs = labels
        .as_ref()
        .map(|labels| (labels[0].as_str(), labels[1].as_str(), labels[2].as_str()));
    let mut merged = merge_contents(current, base, other, label_refs, args.path.as_deref());
    for overlap in &mut merged.overlaps {
        overlap.path.clone_from(&args.path);
    }

    if args.stdout {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&merged.bytes)
            .and_then(|()| stdout.flush())
            .context("failed to write the merged file to stdout")?;
    } else if merged.changed {
        replace_file(&args.current, &merged.bytes)?;
    }

    report_overlaps(&merged.overlaps, args.json)?;
    Ok(merged
        .overlaps
        .iter()
        .filter(|overlap| overlap.severity == Severity::High)
        .count())
}

/// Reads one of the three files, naming it in the error.
fn read_input(role: &str, path: &Path) -> Result<FileContent> {
    let bytes =
        fs::read(path).with_context(|| format!("failed to read {role} file {}", path.display()))?;
    Ok(FileContent::from_bytes(bytes))
}

/// The result of a merge of three files.
#[derive(Debug)]
struct MergedFile {
    /// The bytes of the result.
    bytes: Vec<u8>,
    /// Whether the result differs from CURRENT.
    changed: bool,
    /// The overlaps, in the order of their place in the result.
    overlaps: Vec<Overlap>,
}

/// One overlap as `weft merge-file` reports it. A `binary` overlap has no
/// lines and no hunks.
#[derive(Debug, Serialize)]
struct Overlap {
    kind: OverlapKind,
    severity: Severity,
    /// The `--path` value.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    base_lines: Option<LineRange>,
    merged_lines: Option<LineRange>,
    current: Option<String>,
    incoming: Option<String>,
    /// What a code or key overlap is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl From<TextOverlap> for Overlap {
    fn from(overlap: TextOverlap) -> Self {
        Self {
            kind: overlap.kind,
            severity: overlap.severity,
            path: None,
            base_lines: Some(overlap.base_lines),
            merged_lines: Some(overlap.merged_lines),
            current: Some(overlap.current_hunk),
            incoming: Some(overlap.incoming_hunk),
            message: overlap.message,
        }
    }
}

/// Merges OTHER into CURRENT from BASE as described in the module
/// documentation, with conflict markers labelled `labels` when given.
///
/// `path` names the file's type for the overlaps that depend on it (code
/// definitions, structured keys, lock files); with markers they are not
/// added, because the marked text is not code any more.
fn merge_contents(
    current: FileContent,
    base: FileContent,
    other: FileContent,
    labels: Option<(&str, &str, &str)>,
    path: Option<&str>,
) -> MergedFile {
    let current_bytes = current.to_bytes();
    let (
        FileContent::Text {
            text: current_text,
            bom: current_bom,
        },
        FileContent::Text {
            text: base_text, ..
        },
        FileContent::Text {
            text: other_text,
            bom: other_bom,
        },
    ) = (current, &base, &other)
    else {
        return merge_bytes(current_bytes, base.to_bytes(), other.to_bytes());
    };

    let base_text = (!base_text.is_empty()).then_some(base_text.as_str());
    let written = adopt_line_endings(base_text.unwrap_or(""), other_text);
    let FileMerge { text, overlaps } = match (labels, path) {
        (Some(labels), _) => merge_file_marked(base_text, &current_text, &written, labels),
        (None, Some(path)) => merge_file_at(path, base_text, &current_text, &written),
        (None, None) => merge_file(base_text, &current_text, &written),
    };
    let bytes = FileContent::Text {
        text,
        bom: current_bom || *other_bom,
    }
    .to_bytes();
    MergedFile {
        changed: bytes != current_bytes,
        bytes,
        overlaps: overlaps.into_iter().map(Overlap::from).collect(),
    }
}

/// Merges files of which at least one is not text, as whole byte strings.
fn merge_bytes(current: Vec<u8>, base: Vec<u8>, other: Vec<u8>) -> MergedFile {
    if current == base && other != base {
        return MergedFile {
            bytes: other,
            changed: true,
            overlaps: Vec::new(),
        };
    }
    let overlaps = if other == base || other == current {
        Vec::new()
    } else {
        vec![Overlap {
            kind: OverlapKind::Binary,
            severity: OverlapKind::Binary.severity(),
            path: None,
            base_lines: None,
            merged_lines: None,
            current: None,
            incoming: None,
            message: None,
        }]
    };
    MergedFile {
        bytes: current,
        changed: false,
        overlaps,
    }
}

/// Prints the overlaps on stderr: one line each, or one JSON object.
fn report_overlaps(overlaps: &[Overlap], json: bool) -> Result<()> {
    let mut stderr = std::io::stderr().lock();
    if json {
        let text = serde_json::to_string(&serde_json::json!({ "overlaps": overlaps }))
            .context("failed to format the overlaps as JSON")?;
        writeln!(stderr, "{text}").context("failed to write the overlaps to stderr")?;
        return Ok(());
    }
    for overlap in overlaps {
        writeln!(stderr, "{}", overlap_line(overlap))
            .context("failed to write the overlaps to stderr")?;
    }
    Ok(())
}

/// Formats an overlap as `KIND (SEVERITY) [PATH ]lines A-B`, where the lines
/// are those of the result.
fn overlap_line(overlap: &Overlap) -> String {
    let mut line = format!("{} ({})", overlap.kind, overlap.severity);
    if let Some(path) = &overlap.path {
        line.push(' ');
        line.push_str(path);
    }
    match overlap.merged_lines {
        Some(lines) => line.push_str(&format!(" lines {}-{}", lines.start, lines.end)),
        None => line.push_str(" both sides changed a file that is not UTF-8 text; kept CURRENT"),
    }
    if let Some(message) = &overlap.message {
        line.push_str(": ");
        line.push_str(message);
    }
    line
}

/// Replaces the file at `path` (or the file a symbolic link there points
/// to) with `bytes` through a temporary file in the same folder and a
/// rename, keeping the file's permissions.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = fs::canonicalize(path)
        .with_context(|| format!("failed to resolve CURRENT file {}", path.display()))?;
    let folder = target
        .parent()
        .with_context(|| format!("CURRENT file {} has no parent folder", target.display()))?;
    let permissions = fs::metadata(&target)
        .with_context(|| format!("failed to read the permissions of {}", target.display()))?
        .permissions();
    let mut temp = tempfile::Builder::new()
        .prefix(".weft-merge-")
        .tempfile_in(folder)
        .with_context(|| format!("failed to create a temporary file in {}", folder.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().set_permissions(permissions))
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("failed to write a temporary file for {}", target.display()))?;
    temp.persist(&target)
        .with_context(|| format!("failed to replace CURRENT file {}", target.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(bytes: &[u8]) -> FileContent {
        FileContent::from_bytes(bytes.to_vec())
    }

    fn merge(current: &[u8], base: &[u8], other: &[u8]) -> MergedFile {
        merge_contents(content(current), content(base), content(other), None, None)
    }

    fn kinds(merged: &MergedFile) -> Vec<OverlapKind> {
        merged.overlaps.iter().map(|overlap| overlap.kind).collect()
    }

    #[test]
    fn disjoint_changes_merge_cleanly() {
        let merged = merge(
            b"A\nb\nc\nd\ne\nf\n",
            b"a\nb\nc\nd\ne\nf\n",
            b"a\nb\nc\nd\ne\nF\n",
        );
        assert_eq!(merged.bytes, b"A\nb\nc\nd\ne\nF\n");
        assert!(merged.changed);
        assert!(merged.overlaps.is_empty());
    }

    #[test]
    fn same_line_keeps_current_first() {
        let mut merged = merge(b"a\nB\nc\n", b"a\nb\nc\n", b"a\nX\nc\n");
        assert_eq!(merged.bytes, b"a\nB\nX\nc\n");
        assert_eq!(kinds(&merged), [OverlapKind::SameLines]);
        assert_eq!(
            overlap_line(&merged.overlaps[0]),
            "same-lines (high) lines 2-3"
        );

        merged.overlaps[0].path = Some("src/lib.rs".into());
        assert_eq!(
            overlap_line(&merged.overlaps[0]),
            "same-lines (high) src/lib.rs lines 2-3"
        );
    }

    #[test]
    fn other_lf_adopts_crlf_of_base() {
        let merged = merge(b"A\r\nb\r\nc\r\n", b"a\r\nb\r\nc\r\n", b"a\nb\nC\n");
        assert_eq!(merged.bytes, b"A\r\nb\r\nC\r\n");
        assert_eq!(kinds(&merged), [OverlapKind::Adjacent]);
    }

    #[test]
    fn bom_from_either_side_kept() {
        let merged = merge(b"\xEF\xBB\xBFa\nb\n", b"a\nb\n", b"a\nB\n");
        assert_eq!(merged.bytes, b"\xEF\xBB\xBFa\nB\n");

        let merged = merge(b"a\nb\n", b"\xEF\xBB\xBFa\nb\n", b"\xEF\xBB\xBFA\nb\n");
        assert_eq!(merged.bytes, b"\xEF\xBB\xBFA\nb\n");

        let merged = merge(b"a\nb\n", b"\xEF\xBB\xBFa\nb\n", b"A\nb\n");
        assert_eq!(merged.bytes, b"A\nb\n");
    }

    #[test]
    fn empty_base_is_add_add() {
        let merged = merge(b"x\n", b"", b"y\n");
        assert_eq!(merged.bytes, b"x\ny\n");
        assert_eq!(kinds(&merged), [OverlapKind::AddAdd]);
    }

    #[test]
    fn binary_change_on_both_keeps_current() {
        let mut merged = merge(b"caf\xE9 1\n", b"caf\xE9 0\n", b"caf\xE9 2\n");
        assert_eq!(merged.bytes, b"caf\xE9 1\n");
        assert!(!merged.changed);
        assert_eq!(kinds(&merged), [OverlapKind::Binary]);
        assert_eq!(merged.overlaps[0].severity, Severity::High);
        merged.overlaps[0].path = Some("logo.png".into());
        assert_eq!(
            overlap_line(&merged.overlaps[0]),
            "binary (high) logo.png both sides changed a file that is not UTF-8 text; kept CURRENT"
        );
    }

    #[test]
    fn binary_one_side_changed_takes_it() {
        let merged = merge(b"\0old", b"\0old", b"\0new");
        assert_eq!(merged.bytes, b"\0new");
        assert!(merged.changed);
        assert!(merged.overlaps.is_empty());

        let merged = merge(b"\0new", b"\0old", b"\0old");
        assert_eq!(merged.bytes, b"\0new");
        assert!(merged.overlaps.is_empty());

        let merged = merge(b"\0new", b"\0old", b"\0new");
        assert!(merged.overlaps.is_empty());
    }

    #[test]
    fn text_against_binary_is_binary() {
        let merged = merge(b"a\n", b"a\0", b"b\n");
        assert_eq!(merged.bytes, b"a\n");
        assert_eq!(kinds(&merged), [OverlapKind::Binary]);
    }

    #[test]
    fn markers_use_labels() {
        let merged = merge_contents(
            content(b"B\n"),
            content(b"b\n"),
            content(b"X\n"),
            Some(("ours", "base", "theirs")),
            None,
        );
        assert_eq!(
            merged.bytes,
            b"<<<<<<< ours\nB\n||||||| base\nb\n=======\nX\n>>>>>>> theirs\n"
        );
        let lines = merged.overlaps[0]
            .merged_lines
            .expect("a text overlap has lines");
        assert_eq!((lines.start, lines.end), (1, 7));
    }

    #[test]
    fn json_fields_of_binary_overlap() {
        let merged = merge(b"\0a", b"\0b", b"\0c");
        let json = serde_json::to_value(&merged.overlaps[0]).expect("an overlap serializes");
        assert_eq!(json["kind"], "binary");
        assert_eq!(json["severity"], "high");
        assert!(json["base_lines"].is_null());
        assert!(json.get("path").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn replace_file_keeps_permissions() -> Result<()> {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tempfile::tempdir()?;
        let path = dir.path().join("run.sh");
        fs::write(&path, "old\n")?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
        replace_file(&path, b"new\n")?;
        assert_eq!(fs::read(&path)?, b"new\n");
        assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o755);
        Ok(())
    }
}
