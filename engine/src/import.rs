//! Scanning a folder on disk into workspace files.
//!
//! This module decides which files of a folder belong to the workspace: it
//! applies `.gitignore` rules, skips `.git`, symlinks and caller-named paths
//! (such as the store directory), and reads file bytes and executable bits.
//! Turning the files into documents is left to the caller.
//! [`crate::export`] uses the same walk to decide which paths it may delete.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ignore::{DirEntry, WalkBuilder};
use thiserror::Error;
use tracing::warn;

use crate::path::WorkspacePath;

/// A failure while scanning a folder.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The folder to scan does not exist or cannot be resolved.
    #[error("failed to open folder {}: {source}; check that it exists and is readable", path.display())]
    OpenRoot {
        /// The folder passed to the scan.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// The path to scan is not a directory.
    #[error("{} is not a directory; pass the folder to scan", path.display())]
    RootNotDirectory {
        /// The path passed to the scan.
        path: PathBuf,
    },

    /// Walking the folder failed, for example on a directory that cannot
    /// be read.
    #[error("failed to walk folder {}: {source}; check its permissions", root.display())]
    Walk {
        /// The folder being scanned.
        root: PathBuf,
        /// The error from the directory walker, which usually names the entry.
        #[source]
        source: ignore::Error,
    },

    /// Reading a file failed.
    #[error("failed to read {}: {source}", path.display())]
    Read {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },

    /// A file was replaced between listing and reading, for example by an
    /// editor saving it, or swapped for a symlink.
    #[error("{} changed while it was being scanned; scan again", path.display())]
    ChangedDuringScan {
        /// The file that changed.
        path: PathBuf,
    },
}

/// A file read from a scanned folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedFile {
    /// The file's path relative to the scanned folder.
    pub path: WorkspacePath,
    /// The file's exact bytes.
    pub bytes: Vec<u8>,
    /// Whether any executable bit (user, group or other) is set.
    pub executable: bool,
}

/// A regular file found by the walk, not yet read.
struct FoundFile {
    path: WorkspacePath,
    full_path: PathBuf,
    metadata: fs::Metadata,
}

/// Scans `root` and returns its workspace files, sorted by path.
///
/// Which paths are skipped, and why:
/// - paths matched by `.gitignore` files in `root` and below, applied even
///   when `root` is not inside a git repository;
/// - every entry named `.git` (the repository directory, or the `.git` file
///   of a submodule or worktree);
/// - every path in `skip`, absolute or relative to `root` (such as the store
///   directory `ROOT/.weft`);
/// - symlinks, to files or directories, which are never followed;
/// - names that are not valid workspace paths (not UTF-8, or containing
///   `\`), and special files such as sockets.
///
/// Every skip of the last two kinds is logged with `tracing::warn!`. The
/// user's global git excludes, `.git/info/exclude` and `.ignore` files are
/// not read, so the result depends only on the folder's `.gitignore` files
/// and is the same on every machine.
///
/// A file replaced between listing and reading (an editor's atomic save, or
/// a swap for a symlink) fails the scan with
/// [`ImportError::ChangedDuringScan`], so the caller can scan again instead
/// of missing the file.
pub fn scan_folder(root: &Path, skip: &[PathBuf]) -> Result<Vec<ScannedFile>, ImportError> {
    let found = walk_files(root, skip)?;

    let mut files = Vec::with_capacity(found.len());
    for file in found {
        let bytes = read_unchanged(&file.full_path, &file.metadata)?;
        files.push(ScannedFile {
            path: file.path,
            bytes,
            executable: is_executable(&file.metadata),
        });
    }
    Ok(files)
}

/// Lists the workspace files of `root` without reading them, sorted by
/// path. Each workspace path comes with its full path on disk, below the
/// canonical form of `root`.
///
/// It skips exactly what [`scan_folder`] skips.
pub fn scan_paths(
    root: &Path,
    skip: &[PathBuf],
) -> Result<Vec<(WorkspacePath, PathBuf)>, ImportError> {
    let found = walk_files(root, skip)?;
    Ok(found
        .into_iter()
        .map(|file| (file.path, file.full_path))
        .collect())
}

/// Returns whether any executable bit of the mode is set.
pub(crate) fn is_executable(metadata: &fs::Metadata) -> bool {
    metadata.permissions().mode() & 0o111 != 0
}

/// Resolves the folder to scan to its canonical path, so that skip paths
/// and walk entries compare equal however the caller spelled them.
pub(crate) fn canonical_root(root: &Path) -> Result<PathBuf, ImportError> {
    let canonical = fs::canonicalize(root).map_err(|source| ImportError::OpenRoot {
        path: root.to_path_buf(),
        source,
    })?;

    if !canonical.is_dir() {
        return Err(ImportError::RootNotDirectory {
            path: root.to_path_buf(),
        });
    }
    Ok(canonical)
}

/// Turns skip paths into paths relative to the canonical root.
///
/// A relative skip path is taken relative to `root`. Existing paths are
/// canonicalized. A missing path is compared as written, and a path outside
/// the root is dropped because the walk cannot reach it.
pub(crate) fn relative_skips(root: &Path, canonical: &Path, skip: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut relative = BTreeSet::new();
    for path in skip {
        let joined = if path.is_absolute() {
            path.clone()
        } else {
            root.join(path)
        };

        let resolved = fs::canonicalize(&joined).unwrap_or(joined);
        let inside = resolved
            .strip_prefix(canonical)
            .or_else(|_| resolved.strip_prefix(root));
        if let Ok(inside) = inside {
            relative.insert(inside.to_path_buf());
        }
    }
    relative
}

/// Walks `root` with the rules documented on [`scan_folder`] and returns its
/// regular files, sorted by path.
fn walk_files(root: &Path, skip: &[PathBuf]) -> Result<Vec<FoundFile>, ImportError> {
    let canonical = canonical_root(root)?;
    let skips = relative_skips(root, &canonical, skip);
    let filter_root = canonical.clone();

    let mut builder = WalkBuilder::new(&canonical);
    builder
        .standard_filters(false)
        .hidden(false)
        .git_ignore(true)
        .require_git(false)
        .git_global(false)
        .git_exclude(false)
        .parents(false)
        .follow_links(false)
        .filter_entry(move |entry| keep_entry(&filter_root, &skips, entry));

    let mut files = Vec::new();
    for entry in builder.build() {
        let entry = entry.map_err(|source| ImportError::Walk {
            root: root.to_path_buf(),
            source,
        })?;

        // A malformed line in a .gitignore file is reported on the entry
        // of that directory, and the walk applies the lines that did parse.
        if let Some(error) = entry.error() {
            warn!(path = %entry.path().display(), %error, "ignoring part of an ignore file");
        }

        let Some(file) = found_file(&canonical, entry)? else {
            continue;
        };
        files.push(file);
    }

    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Decides, before the walk descends, whether an entry is part of the
/// workspace. Ignore rules have already been applied by the walker.
fn keep_entry(root: &Path, skips: &BTreeSet<PathBuf>, entry: &DirEntry) -> bool {
    let Ok(relative) = entry.path().strip_prefix(root) else {
        return true;
    };
    if relative.as_os_str().is_empty() {
        return true;
    }

    if entry.file_name() == ".git" {
        return false;
    }

    if skips.contains(relative) {
        return false;
    }

    if entry.path_is_symlink() {
        warn!(path = %entry.path().display(), "skipping symlink; weft never follows symlinks");
        return false;
    }

    if let Err(error) = WorkspacePath::from_relative_fs(relative) {
        warn!(path = %entry.path().display(), %error, "skipping entry with an invalid workspace path");
        return false;
    }

    true
}

/// Returns the entry as a regular file, or `None` for the root, directories
/// and special files.
fn found_file(root: &Path, entry: DirEntry) -> Result<Option<FoundFile>, ImportError> {
    let Some(file_type) = entry.file_type() else {
        return Ok(None);
    };
    if file_type.is_dir() {
        return Ok(None);
    }
    if !file_type.is_file() {
        warn!(path = %entry.path().display(), "skipping special file (socket, FIFO or device)");
        return Ok(None);
    }

    let full_path = entry.into_path();
    let metadata = fs::symlink_metadata(&full_path).map_err(|source| ImportError::Read {
        path: full_path.clone(),
        source,
    })?;
    if !metadata.is_file() {
        return Err(ImportError::ChangedDuringScan { path: full_path });
    }

    // keep_entry accepted this path, so both conversions succeed for any
    // path below the root. A path outside it is skipped instead of panicking.
    let relative = full_path.strip_prefix(root).ok();
    let Some(path) = relative.and_then(|relative| WorkspacePath::from_relative_fs(relative).ok())
    else {
        warn!(path = %full_path.display(), "skipping entry outside the scanned folder");
        return Ok(None);
    };

    Ok(Some(FoundFile {
        path,
        full_path,
        metadata,
    }))
}

/// Reads a file and checks that the opened file is the one listed by the
/// walk (same device and inode), so a file swapped for a symlink after the
/// walk is never read through.
fn read_unchanged(path: &Path, listed: &fs::Metadata) -> Result<Vec<u8>, ImportError> {
    let read_error = |source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    };

    let mut file = fs::File::open(path).map_err(read_error)?;
    let opened = file.metadata().map_err(read_error)?;
    if !opened.is_file() || opened.dev() != listed.dev() || opened.ino() != listed.ino() {
        return Err(ImportError::ChangedDuringScan {
            path: path.to_path_buf(),
        });
    }

    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(read_error)?;
    Ok(bytes)
}
