//! File system steps of an export that must not follow symlinks: checking
//! and creating parent directories, comparing an existing file, replacing a
//! file atomically and syncing directories. Deciding what to write is left
//! to the parent module.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tracing::debug;

use super::{ExportError, ExportFile, IoAction, io_error};
use crate::import::is_executable;
use crate::path::WorkspacePath;

/// Checks, and with `create` makes, each parent directory of `path` below
/// `root`, then checks the target itself.
///
/// Returns `None` when a parent directory is missing and `create` is false.
/// Otherwise returns the parent directory and the target's metadata, which
/// is `None` when the target does not exist yet.
pub(super) fn check_parents(
    root: &Path,
    path: &WorkspacePath,
    create: bool,
) -> Result<Option<(PathBuf, Option<fs::Metadata>)>, ExportError> {
    let mut components: Vec<&str> = path.components().collect();
    let file_name = components
        .pop()
        .expect("a workspace path has at least one component");

    let mut current = root.to_path_buf();
    for component in components {
        current.push(component);
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(ExportError::SymlinkInPath {
                    path: path.clone(),
                    component: current,
                });
            }
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => {
                return Err(ExportError::NotADirectory {
                    path: path.clone(),
                    component: current,
                });
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound && !create => return Ok(None),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                create_dir(&current)?;
                debug!(path = %current.display(), "created directory");
            }
            Err(source) => return Err(io_error(IoAction::Inspect, &current)(source)),
        }
    }

    let target = current.join(file_name);
    let metadata = match fs::symlink_metadata(&target) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Some((current, None))),
        Err(source) => return Err(io_error(IoAction::Inspect, &target)(source)),
    };

    if metadata.file_type().is_symlink() {
        return Err(ExportError::TargetIsSymlink {
            path: path.clone(),
            target,
        });
    }
    if !metadata.is_file() {
        return Err(ExportError::TargetNotFile {
            path: path.clone(),
            target,
        });
    }
    Ok(Some((current, Some(metadata))))
}

/// Creates one directory. Another process creating it first is not an error.
pub(super) fn create_dir(path: &Path) -> Result<(), ExportError> {
    match fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            let metadata = fs::symlink_metadata(path).map_err(io_error(IoAction::Inspect, path))?;
            if metadata.is_dir() {
                Ok(())
            } else {
                Err(io_error(IoAction::CreateDir, path)(error))
            }
        }
        Err(source) => Err(io_error(IoAction::CreateDir, path)(source)),
    }
}

/// Returns whether the file on disk has exactly `file`'s bytes and
/// executable bit.
pub(super) fn is_identical(
    target: &Path,
    metadata: &fs::Metadata,
    file: &ExportFile,
) -> Result<bool, ExportError> {
    if is_executable(metadata) != file.executable || metadata.len() != file.bytes.len() as u64 {
        return Ok(false);
    }

    let mut handle = fs::File::open(target).map_err(io_error(IoAction::Read, target))?;
    let opened = handle
        .metadata()
        .map_err(io_error(IoAction::Inspect, target))?;
    if opened.dev() != metadata.dev() || opened.ino() != metadata.ino() {
        // The file was replaced since it was checked, so rewrite it.
        return Ok(false);
    }

    let mut bytes = Vec::with_capacity(file.bytes.len());
    handle
        .read_to_end(&mut bytes)
        .map_err(io_error(IoAction::Read, target))?;
    Ok(bytes == file.bytes)
}

/// Computes the permission bits: the existing read/write bits (0o644 for a
/// new file), plus an execute bit for each read bit when executable.
pub(super) fn file_mode(existing: Option<u32>, executable: bool) -> u32 {
    let base = existing.map_or(0o644, |mode| mode & 0o666);
    if executable {
        base | ((base & 0o444) >> 2)
    } else {
        base
    }
}

/// Writes `bytes` to a new temporary file in `dir`, syncs it and renames it
/// over `target`, so readers see the old or the new file, never a mix.
pub(super) fn write_atomically(
    dir: &Path,
    target: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<(), ExportError> {
    let temp_path = dir.join(format!(".weft-{:016x}.tmp", rand::random::<u64>()));
    let mut temp = TempFile {
        path: temp_path.clone(),
        keep: false,
    };

    let mut handle = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp_path)
        .map_err(io_error(IoAction::Write, &temp_path))?;
    handle
        .write_all(bytes)
        .map_err(io_error(IoAction::Write, &temp_path))?;
    handle
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io_error(IoAction::Write, &temp_path))?;
    handle
        .sync_all()
        .map_err(io_error(IoAction::Write, &temp_path))?;
    drop(handle);

    fs::rename(&temp_path, target).map_err(io_error(IoAction::Write, target))?;
    temp.keep = true;
    Ok(())
}

/// Removes a temporary file when a write fails before its rename.
pub(super) struct TempFile {
    pub(super) path: PathBuf,
    pub(super) keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Flushes a directory's entries (new, renamed or removed files) to disk.
pub(super) fn sync_dir(dir: &Path) -> Result<(), ExportError> {
    let handle = match fs::File::open(dir) {
        Ok(handle) => handle,
        // Removed after it was queued, when a removal emptied it.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(io_error(IoAction::SyncDir, dir)(source)),
    };
    handle.sync_all().map_err(io_error(IoAction::SyncDir, dir))
}
