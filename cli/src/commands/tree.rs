//! The files of a working copy on disk: scanning them with the import
//! ignore rules, and reading, writing and removing one file without leaving
//! the working copy or following a symlink.

use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use weft_engine::path::WorkspacePath;

use crate::working_copy::{STATE_DIR, sha256_hex};

use super::plan::LocalFile;

/// Returns the reason weft never writes `path` into a working copy, or `None` when
/// it may. `.weft` at the root contains the working copy's state and
/// token, and a `.git` folder anywhere contains hooks that git would run.
pub fn reserved_reason(path: &str) -> Option<&'static str> {
    if path == STATE_DIR || path.starts_with(".weft/") {
        return Some("the .weft folder holds the working copy's state");
    }
    if path.split('/').any(|component| component == ".git") {
        return Some("weft does not write into .git folders");
    }
    None
}

/// Validates a workspace path received from the server or the command line
/// for use on disk.
pub fn checked_path(path: &str) -> Result<WorkspacePath> {
    let checked =
        WorkspacePath::new(path).with_context(|| format!("invalid workspace path \"{path}\""))?;
    if let Some(reason) = reserved_reason(path) {
        bail!("refusing to write \"{path}\" into the working copy: {reason}");
    }
    Ok(checked)
}

/// Scans the working copy with the same ignore rules as import (including
/// `.gitignore` files, and skipping `.git`, `.weft` and symlinks) and
/// hashes each file.
pub fn scan(root: &Path) -> Result<BTreeMap<String, LocalFile>> {
    let skip = [root.join(STATE_DIR)];
    let scanned = weft_engine::import::scan_folder(root, &skip)
        .with_context(|| format!("failed to scan the working copy {}", root.display()))?;
    let mut files = BTreeMap::new();
    for file in scanned {
        let local = LocalFile {
            sha256: sha256_hex(&file.bytes),
            executable: file.executable,
        };
        files.insert(file.path.as_str().to_owned(), local);
    }
    Ok(files)
}

/// A regular file read from the working copy.
pub struct LocalRead {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The executable bit.
    pub executable: bool,
}

impl LocalRead {
    /// Returns the hash and executable bit in the form the plan compares.
    pub fn summary(&self) -> LocalFile {
        LocalFile {
            sha256: sha256_hex(&self.bytes),
            executable: self.executable,
        }
    }
}

/// Reads `path` from the working copy, or returns `None` when it does not
/// exist. A symlink or a folder at `path` or on the way to it is an error.
pub fn read(root: &Path, path: &WorkspacePath) -> Result<Option<LocalRead>> {
    let Some(full) = existing_target(root, path)? else {
        return Ok(None);
    };
    let metadata = match fs::symlink_metadata(&full) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(error).with_context(|| format!("failed to inspect {}", full.display()));
        }
    };
    if !metadata.is_file() {
        bail!(
            "{} is not a regular file (a symlink or a folder); weft syncs regular files only, so move it away",
            full.display()
        );
    }
    let bytes = fs::read(&full).with_context(|| format!("failed to read {}", full.display()))?;
    Ok(Some(LocalRead {
        bytes,
        executable: is_executable(&metadata),
    }))
}

/// Writes `bytes` to `path` atomically (a temporary file in the same folder,
/// then a rename) and sets the executable bit. Creates missing folders and
/// rejects a symlink or a file among the parent components.
pub fn write(root: &Path, path: &WorkspacePath, bytes: &[u8], executable: bool) -> Result<()> {
    let full = prepare_parents(root, path)?;
    match fs::symlink_metadata(&full) {
        Ok(metadata) if metadata.is_dir() => bail!(
            "cannot write {}: a folder is in the way; move it and sync again",
            full.display()
        ),
        _ => {}
    }
    let folder = full
        .parent()
        .with_context(|| format!("{} has no parent folder", full.display()))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".weft-tmp-")
        .tempfile_in(folder)
        .with_context(|| format!("failed to create a temporary file in {}", folder.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("failed to write a temporary file for {}", full.display()))?;
    set_file_mode(temp.as_file(), executable)
        .with_context(|| format!("failed to set the permissions of {}", full.display()))?;
    temp.persist(&full)
        .with_context(|| format!("failed to replace {}", full.display()))?;
    Ok(())
}

/// Removes `path` from the working copy, then every folder on the way to
/// it that became empty. A missing file is not an error.
pub fn remove(root: &Path, path: &WorkspacePath) -> Result<()> {
    let Some(full) = existing_target(root, path)? else {
        return Ok(());
    };
    match fs::symlink_metadata(&full) {
        Ok(metadata) if metadata.is_dir() => {
            bail!(
                "cannot remove {}: it is a folder, not a file",
                full.display()
            )
        }
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(error).with_context(|| format!("failed to inspect {}", full.display()));
        }
    }
    fs::remove_file(&full).with_context(|| format!("failed to remove {}", full.display()))?;
    let mut folder = full.parent();
    while let Some(current) = folder {
        // Stops at the root and at the first folder that is not empty.
        if current == root || fs::remove_dir(current).is_err() {
            break;
        }
        folder = current.parent();
    }
    Ok(())
}

/// Walks the parent components of `path` below `root`, creating missing
/// folders, and returns the full path of the file.
fn prepare_parents(root: &Path, path: &WorkspacePath) -> Result<PathBuf> {
    let mut current = root.to_path_buf();
    let mut components = path.components().peekable();
    while let Some(component) = components.next() {
        current.push(component);
        if components.peek().is_none() {
            break;
        }
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => bail!(
                "refusing to write \"{}\": {} is a symlink, and weft never writes through one",
                path.as_str(),
                current.display()
            ),
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => bail!(
                "cannot write \"{}\": {} is a file, not a folder; move it and sync again",
                path.as_str(),
                current.display()
            ),
            Err(error) if error.kind() == ErrorKind::NotFound => {
                fs::create_dir(&current)
                    .with_context(|| format!("failed to create folder {}", current.display()))?;
            }
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("failed to inspect {}", current.display()));
            }
        }
    }
    Ok(current)
}

/// Returns the full path of `path` when every parent folder exists and none
/// is a symlink, or `None` when a parent folder is missing.
fn existing_target(root: &Path, path: &WorkspacePath) -> Result<Option<PathBuf>> {
    let mut current = root.to_path_buf();
    let mut components = path.components().peekable();
    while let Some(component) = components.next() {
        current.push(component);
        if components.peek().is_none() {
            break;
        }
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => bail!(
                "refusing to access \"{}\": {} is a symlink, and weft never follows one",
                path.as_str(),
                current.display()
            ),
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => return Ok(None),
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("failed to inspect {}", current.display()));
            }
        }
    }
    Ok(Some(current))
}

#[cfg(unix)]
fn is_executable(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_metadata: &fs::Metadata) -> bool {
    false
}

/// Sets mode 0755 or 0644. NOTE: the process umask is not applied, because
/// the standard library cannot read it.
#[cfg(unix)]
fn set_file_mode(file: &fs::File, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = if executable { 0o755 } else { 0o644 };
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_file_mode(_file: &fs::File, _executable: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_path(path: &str) -> WorkspacePath {
        WorkspacePath::new(path).expect("valid test path")
    }

    #[test]
    fn write_then_read_round_trips() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = workspace_path("src/deep/lib.rs");
        write(dir.path(), &path, b"fn main() {}\n", false)?;

        let local = read(dir.path(), &path)?.context("file must exist")?;
        assert_eq!(local.bytes, b"fn main() {}\n");
        assert!(!local.executable);
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn write_sets_executable_bit() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = workspace_path("run.sh");
        write(dir.path(), &path, b"#!/bin/sh\n", true)?;
        assert!(
            read(dir.path(), &path)?
                .context("file must exist")?
                .executable
        );

        write(dir.path(), &path, b"#!/bin/sh\n", false)?;
        assert!(
            !read(dir.path(), &path)?
                .context("file must exist")?
                .executable
        );
        Ok(())
    }

    #[test]
    fn read_missing_file_is_none() -> Result<()> {
        let dir = tempfile::tempdir()?;
        assert!(read(dir.path(), &workspace_path("missing.txt"))?.is_none());
        assert!(read(dir.path(), &workspace_path("no/such/folder.txt"))?.is_none());
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_parent_rejected() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let outside = tempfile::tempdir()?;
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link"))?;
        let path = workspace_path("link/escape.txt");

        assert!(write(dir.path(), &path, b"x", false).is_err());
        assert!(read(dir.path(), &path).is_err());
        assert!(remove(dir.path(), &path).is_err());
        assert!(!outside.path().join("escape.txt").exists());
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn symlink_file_not_read() -> Result<()> {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join("target.txt"), b"secret")?;
        std::os::unix::fs::symlink(dir.path().join("target.txt"), dir.path().join("link.txt"))?;
        assert!(read(dir.path(), &workspace_path("link.txt")).is_err());
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn write_replaces_symlink_not_target() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let outside = tempfile::tempdir()?;
        let target = outside.path().join("target.txt");
        fs::write(&target, b"outside")?;
        std::os::unix::fs::symlink(&target, dir.path().join("link.txt"))?;

        write(dir.path(), &workspace_path("link.txt"), b"inside", false)?;
        assert_eq!(fs::read(&target)?, b"outside");
        assert!(fs::symlink_metadata(dir.path().join("link.txt"))?.is_file());
        Ok(())
    }

    #[test]
    fn file_as_parent_rejected() -> Result<()> {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join("src"), b"not a folder")?;
        assert!(write(dir.path(), &workspace_path("src/lib.rs"), b"x", false).is_err());
        Ok(())
    }

    #[test]
    fn remove_prunes_empty_folders() -> Result<()> {
        let dir = tempfile::tempdir()?;
        write(dir.path(), &workspace_path("a/b/c.txt"), b"x", false)?;
        write(dir.path(), &workspace_path("a/keep.txt"), b"y", false)?;

        remove(dir.path(), &workspace_path("a/b/c.txt"))?;
        assert!(!dir.path().join("a/b").exists());
        assert!(dir.path().join("a/keep.txt").exists());
        remove(dir.path(), &workspace_path("a/b/c.txt"))?;
        Ok(())
    }

    #[test]
    fn checked_path_rejects_reserved_and_invalid() {
        for bad in [
            "../x",
            "/etc/passwd",
            ".weft/config.json",
            ".weft",
            "vendor/.git/config",
            "",
        ] {
            assert!(checked_path(bad).is_err(), "{bad:?} must be rejected");
        }
        for good in ["src/lib.rs", "docs/.weft", ".gitignore", "a/.github/ci.yml"] {
            assert!(checked_path(good).is_ok(), "{good:?} must be accepted");
        }
    }

    #[test]
    fn scan_skips_state_and_ignored() -> Result<()> {
        let dir = tempfile::tempdir()?;
        fs::create_dir_all(dir.path().join(".weft"))?;
        fs::write(dir.path().join(".weft/state.json"), b"{}")?;
        fs::write(dir.path().join(".gitignore"), b"*.log\n")?;
        fs::write(dir.path().join("debug.log"), b"noise")?;
        fs::write(dir.path().join("lib.rs"), b"code")?;

        let files = scan(dir.path())?;
        let paths: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(paths, [".gitignore", "lib.rs"]);
        assert_eq!(files["lib.rs"].sha256, sha256_hex(b"code"));
        Ok(())
    }
}
