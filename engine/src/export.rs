//! Writing workspace files into a folder on disk.
//!
//! This module owns the on-disk side of an export. It checks every target
//! before writing anything and never writes through a symlink it finds. It
//! replaces each changed file atomically and leaves identical files alone.
//! It removes the files the workspace deleted unless `.gitignore` rules,
//! `.git` or the caller's skip list protect them. Which files are live or
//! deleted is left to the caller, which reads them from the workspace.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use thiserror::Error;
use tracing::debug;

use crate::import::{self, ImportError, canonical_root, relative_skips};
use crate::path::WorkspacePath;
use checks::{CaseProbe, check_case, check_layout, check_reserved};
use disk::{check_parents, file_mode, is_identical, sync_dir, write_atomically};

pub use checks::case_collisions;

mod checks;
mod disk;

/// A file to write into the export folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// The file's path relative to the export folder.
    pub path: WorkspacePath,
    /// The exact bytes to write.
    pub bytes: Vec<u8>,
    /// Whether the file gets executable bits.
    pub executable: bool,
}

/// The outcome of an export: the files it wrote, left alone and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Files created or replaced, sorted by path.
    pub written: Vec<WorkspacePath>,
    /// The number of files left alone because their bytes and executable bit
    /// already matched.
    pub unchanged: usize,
    /// Deleted files removed from the folder, sorted by path.
    pub removed: Vec<WorkspacePath>,
}

/// A failure of an export. Errors found by the checks before writing leave
/// the folder untouched.
#[derive(Debug, Error)]
pub enum ExportError {
    /// The export folder could not be created.
    #[error("failed to create export folder {}: {source}; check the permissions of its parent", path.display())]
    CreateRoot {
        /// The export folder.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// Resolving the export folder, or listing it to find deletable files,
    /// failed.
    #[error("failed to scan the export folder: {source}")]
    ScanTarget {
        /// The scan error, which names the path.
        #[from]
        source: ImportError,
    },

    /// The same path appears twice in the files to write.
    #[error("path {:?} appears twice in the files to export; pass each file once", path.as_str())]
    DuplicatePath {
        /// The repeated path.
        path: WorkspacePath,
    },

    /// One file's path is a directory in another file's path.
    #[error(
        "path {:?} is a file, but {:?} needs it to be a directory; rename one of them in the workspace",
        file.as_str(),
        nested.as_str()
    )]
    FileDirConflict {
        /// The file whose path is also used as a directory.
        file: WorkspacePath,
        /// The file below it.
        nested: WorkspacePath,
    },

    /// Paths differ only in case and the folder's file system ignores case.
    #[error(
        "export folder {} is on a case-insensitive file system, where these paths would be one: {}; rename one path of each pair in the workspace",
        root.display(),
        format_pairs(pairs)
    )]
    CaseCollision {
        /// The export folder.
        root: PathBuf,
        /// The colliding pairs.
        pairs: Vec<(WorkspacePath, WorkspacePath)>,
    },

    /// A file to write lies inside `.git` or inside a skipped path.
    #[error(
        "path {:?} lies inside {reserved:?}, which export never writes; rename or delete the file in the workspace",
        path.as_str()
    )]
    ReservedPath {
        /// The file to write.
        path: WorkspacePath,
        /// The `.git` component or skipped path that contains it.
        reserved: String,
    },

    /// A directory on the way to a file is a symlink.
    #[error(
        "refusing to write {:?}: {} is a symlink, and export never writes through one; replace it with a directory",
        path.as_str(),
        component.display()
    )]
    SymlinkInPath {
        /// The file to write.
        path: WorkspacePath,
        /// The symlink found.
        component: PathBuf,
    },

    /// A directory on the way to a file exists as something else.
    #[error(
        "cannot write {:?}: {} exists and is not a directory; move it away and export again",
        path.as_str(),
        component.display()
    )]
    NotADirectory {
        /// The file to write.
        path: WorkspacePath,
        /// The non-directory found.
        component: PathBuf,
    },

    /// The file to write exists as a symlink.
    #[error(
        "refusing to write {:?}: {} is a symlink, and export never replaces one; remove it and export again",
        path.as_str(),
        target.display()
    )]
    TargetIsSymlink {
        /// The file to write.
        path: WorkspacePath,
        /// The symlink found.
        target: PathBuf,
    },

    /// The file to write exists as a directory or special file.
    #[error(
        "cannot write {:?}: {} exists and is not a regular file; move it away and export again",
        path.as_str(),
        target.display()
    )]
    TargetNotFile {
        /// The file to write.
        path: WorkspacePath,
        /// The entry found.
        target: PathBuf,
    },

    /// Reading the metadata of an entry failed.
    #[error("failed to inspect {}: {source}", path.display())]
    Inspect {
        /// The entry on disk.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// Reading an existing file to compare it failed.
    #[error("failed to read {}: {source}", path.display())]
    Read {
        /// The file on disk.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// Creating a directory failed.
    #[error("failed to create directory {}: {source}; check the permissions of its parent", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// Writing a file (its temporary file, permissions, sync or rename)
    /// failed. The previous file, if any, is unchanged.
    #[error("failed to write {}: {source}; check free space and permissions", path.display())]
    Write {
        /// The temporary file or the target.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// Removing a deleted file failed.
    #[error("failed to remove {}: {source}; check the permissions of its directory", path.display())]
    Remove {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// Syncing a directory to disk failed.
    #[error("failed to sync directory {}: {source}", path.display())]
    SyncDir {
        /// The directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// Probing whether the file system ignores case failed.
    #[error("failed to probe letter case with {}: {source}; check that the export folder is writable", path.display())]
    CaseProbe {
        /// The probe file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
}

fn format_pairs(pairs: &[(WorkspacePath, WorkspacePath)]) -> String {
    let formatted: Vec<String> = pairs
        .iter()
        .map(|(a, b)| format!("{:?} and {:?}", a.as_str(), b.as_str()))
        .collect();
    formatted.join(", ")
}

/// The I/O step that failed, selecting the [`ExportError`] variant.
#[derive(Clone, Copy)]
enum IoAction {
    Inspect,
    Read,
    CreateDir,
    Write,
    Remove,
    SyncDir,
    CaseProbe,
}

/// Builds the error for an I/O failure on `path`, for use with `map_err`.
fn io_error(action: IoAction, path: &Path) -> impl FnOnce(io::Error) -> ExportError {
    let path = path.to_path_buf();
    move |source| match action {
        IoAction::Inspect => ExportError::Inspect { path, source },
        IoAction::Read => ExportError::Read { path, source },
        IoAction::CreateDir => ExportError::CreateDir { path, source },
        IoAction::Write => ExportError::Write { path, source },
        IoAction::Remove => ExportError::Remove { path, source },
        IoAction::SyncDir => ExportError::SyncDir { path, source },
        IoAction::CaseProbe => ExportError::CaseProbe { path, source },
    }
}

/// Writes `files` into `root` and removes the files in `deleted`.
///
/// `root` is created if missing. Before anything is written, the call
/// rejects:
/// - duplicate paths, and a file used as another file's directory;
/// - paths inside `.git` (in any letter case) or inside `skip`;
/// - names that differ only in case, when the folder's file system ignores
///   case;
/// - a symlink or non-directory on the way to a file, and a target that is
///   a symlink or not a regular file.
///
/// Each file then is left alone when its bytes and executable bit match.
/// Otherwise it is replaced atomically (temporary file, fsync, rename) with
/// mode 0o644 or 0o755, keeping a stricter mode it already had, such as
/// 0o600.
///
/// A path in `deleted` is removed only if it is a regular file that
/// [`import::scan_folder`] would import from `root` with the same `skip`:
/// ignored files, `.git`, skipped paths and symlinks stay. A path in both
/// lists is written, not removed. Files in `root` that neither list names
/// are left alone, and directories that a removal empties are removed.
///
/// NOTE: every directory is checked with `symlink_metadata` before it is
/// used, but a process that swaps a checked directory for a symlink during
/// the export can still redirect a write, because std has no `openat`.
pub fn export_folder(
    root: &Path,
    files: &[ExportFile],
    deleted: &[WorkspacePath],
    skip: &[PathBuf],
) -> Result<ExportReport, ExportError> {
    fs::create_dir_all(root).map_err(|source| ExportError::CreateRoot {
        path: root.to_path_buf(),
        source,
    })?;
    let canonical = canonical_root(root)?;
    let skips = relative_skips(root, &canonical, skip);

    let mut sorted: Vec<&ExportFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let paths: Vec<&WorkspacePath> = sorted.iter().map(|file| &file.path).collect();

    check_layout(&paths)?;
    let mut probe = CaseProbe::new(&canonical);
    check_case(&canonical, &paths, &mut probe)?;
    for path in &paths {
        check_reserved(path, &skips, &mut probe)?;
        check_parents(&canonical, path, false)?;
    }

    let mut report = ExportReport::default();
    let mut dirs_to_sync = BTreeSet::new();
    for file in &sorted {
        if write_file(&canonical, file, &mut dirs_to_sync)? {
            report.written.push(file.path.clone());
        } else {
            report.unchanged += 1;
        }
    }

    let written: BTreeSet<&WorkspacePath> = paths.iter().copied().collect();
    let to_remove: Vec<&WorkspacePath> = deleted
        .iter()
        .filter(|path| !written.contains(path))
        .collect();
    if !to_remove.is_empty() {
        report.removed = remove_deleted(&canonical, skip, &to_remove, &mut dirs_to_sync)?;
    }

    for dir in &dirs_to_sync {
        sync_dir(dir)?;
    }

    debug!(
        root = %canonical.display(),
        written = report.written.len(),
        unchanged = report.unchanged,
        removed = report.removed.len(),
        "exported folder"
    );
    Ok(report)
}

/// Writes one file unless it is already identical. Returns whether it was
/// written.
fn write_file(
    root: &Path,
    file: &ExportFile,
    dirs_to_sync: &mut BTreeSet<PathBuf>,
) -> Result<bool, ExportError> {
    let checked = check_parents(root, &file.path, true)?;
    let (parent, existing) = checked.expect("check_parents with create returns the parent");
    let target = file.path.to_fs_path(root);

    let identical = match &existing {
        Some(metadata) => is_identical(&target, metadata, file)?,
        None => false,
    };
    if identical {
        return Ok(false);
    }

    let mode = file_mode(existing.as_ref().map(MetadataExt::mode), file.executable);
    write_atomically(&parent, &target, &file.bytes, mode)?;
    debug!(path = %target.display(), mode = format_args!("{mode:o}"), "wrote file");

    // The new directory entries of this file and of any directory created
    // for it become durable when their parents are synced.
    let mut dir = parent.as_path();
    dirs_to_sync.insert(dir.to_path_buf());
    while let Some(up) = dir.parent().filter(|up| up.starts_with(root)) {
        dirs_to_sync.insert(up.to_path_buf());
        dir = up;
    }
    Ok(true)
}

/// Removes each deleted path that a scan of `root` lists, then removes the
/// directories left empty. Returns the removed paths, sorted.
fn remove_deleted(
    root: &Path,
    skip: &[PathBuf],
    deleted: &[&WorkspacePath],
    dirs_to_sync: &mut BTreeSet<PathBuf>,
) -> Result<Vec<WorkspacePath>, ExportError> {
    let listed: BTreeSet<WorkspacePath> = import::scan_paths(root, skip)?
        .into_iter()
        .map(|(path, _)| path)
        .collect();

    let mut removed = Vec::new();
    for path in deleted {
        if !listed.contains(*path) {
            debug!(path = %path, "keeping deleted path: absent, ignored, skipped or not a regular file");
            continue;
        }

        // Check again just before removing, as for a write.
        let Some((parent, Some(_))) = check_parents(root, path, false)? else {
            continue;
        };
        let target = path.to_fs_path(root);
        fs::remove_file(&target).map_err(io_error(IoAction::Remove, &target))?;
        debug!(path = %target.display(), "removed deleted file");
        removed.push((*path).clone());

        let mut dir = parent;
        while dir != root && fs::remove_dir(&dir).is_ok() {
            debug!(path = %dir.display(), "removed empty directory");
            dirs_to_sync.remove(&dir);
            match dir.parent() {
                Some(up) => dir = up.to_path_buf(),
                None => break,
            }
        }
        dirs_to_sync.insert(dir);
    }

    removed.sort();
    removed.dedup();
    Ok(removed)
}
