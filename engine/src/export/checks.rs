//! The checks an export runs before writing anything: duplicate paths, a
//! file used as a directory, reserved paths (`.git` and skipped paths) and
//! names that differ only in letter case. Checks against the files on disk
//! (symlinks, non-directories) stay in the parent module.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing::debug;

use super::disk::TempFile;
use super::{ExportError, IoAction, io_error};
use crate::path::WorkspacePath;

/// Finds paths that name the same file or directory when letter case is
/// ignored, such as `A.txt` and `a.txt`, or `Src/a.rs` and `src/b.rs`.
///
/// Returns one pair per pair of colliding names, each as the first path
/// (in sorted order) that uses one name and the first path that uses the
/// other. Case is compared with Unicode lowercase mapping.
///
/// NOTE: macOS file systems also treat differently normalized Unicode names
/// (NFC and NFD) as one, and those collisions are not detected.
pub fn case_collisions<'a, I>(paths: I) -> Vec<(WorkspacePath, WorkspacePath)>
where
    I: IntoIterator<Item = &'a WorkspacePath>,
{
    let mut sorted: Vec<&WorkspacePath> = paths.into_iter().collect();
    sorted.sort();
    sorted.dedup();

    // Lowercased prefix -> (prefix as written, first path that used it).
    let mut seen: HashMap<String, (String, &WorkspacePath)> = HashMap::new();
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    let mut pairs = Vec::new();

    for path in sorted {
        let mut prefix = String::new();
        for component in path.components() {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(component);

            let folded = prefix.to_lowercase();
            match seen.get(&folded) {
                Some((written, first)) if *written != prefix => {
                    if reported.insert((written.clone(), prefix.clone())) {
                        pairs.push(((*first).clone(), path.clone()));
                    }
                    // Every deeper prefix collides through this one.
                    break;
                }
                Some(_) => {}
                None => {
                    seen.insert(folded, (prefix.clone(), path));
                }
            }
        }
    }
    pairs
}

/// Rejects duplicate paths and a file used as a directory by another file.
/// `paths` is sorted, so duplicates are adjacent.
pub(super) fn check_layout(paths: &[&WorkspacePath]) -> Result<(), ExportError> {
    for pair in paths.windows(2) {
        if pair[0] == pair[1] {
            return Err(ExportError::DuplicatePath {
                path: pair[0].clone(),
            });
        }
    }

    let all: BTreeSet<&str> = paths.iter().map(|path| path.as_str()).collect();
    for path in paths {
        let text = path.as_str();
        for (index, _) in text.match_indices('/') {
            let parent = &text[..index];
            if all.contains(parent) {
                return Err(ExportError::FileDirConflict {
                    file: WorkspacePath::new(parent)
                        .expect("a prefix of a valid path ending before '/' is valid"),
                    nested: (*path).clone(),
                });
            }
        }
    }
    Ok(())
}

/// Rejects case collisions, probing the file system only when the paths
/// contain some.
pub(super) fn check_case(
    root: &Path,
    paths: &[&WorkspacePath],
    probe: &mut CaseProbe,
) -> Result<(), ExportError> {
    let pairs = case_collisions(paths.iter().copied());
    if pairs.is_empty() || !probe.is_case_insensitive()? {
        return Ok(());
    }
    Err(ExportError::CaseCollision {
        root: root.to_path_buf(),
        pairs,
    })
}

/// Rejects a path inside `.git` (in any letter case, as git itself does) or
/// inside a skipped path (in any letter case when the file system ignores
/// case).
pub(super) fn check_reserved(
    path: &WorkspacePath,
    skips: &BTreeSet<PathBuf>,
    probe: &mut CaseProbe,
) -> Result<(), ExportError> {
    let mut prefix = PathBuf::new();
    for component in path.components() {
        if component.eq_ignore_ascii_case(".git") {
            return Err(ExportError::ReservedPath {
                path: path.clone(),
                reserved: component.to_owned(),
            });
        }

        prefix.push(component);
        let folded = prefix.to_string_lossy().to_lowercase();
        for skipped in skips {
            let exact = *skipped == prefix;
            let folded_match = !exact && skipped.to_string_lossy().to_lowercase() == folded;
            if exact || (folded_match && probe.is_case_insensitive()?) {
                return Err(ExportError::ReservedPath {
                    path: path.clone(),
                    reserved: skipped.display().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Whether the export folder's file system ignores letter case, probed at
/// most once per export.
pub(super) struct CaseProbe {
    root: PathBuf,
    result: Option<bool>,
}

impl CaseProbe {
    pub(super) fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            result: None,
        }
    }

    /// Creates a lowercase-named file in the root and checks whether its
    /// uppercase name finds it, then removes it.
    pub(super) fn is_case_insensitive(&mut self) -> Result<bool, ExportError> {
        if let Some(result) = self.result {
            return Ok(result);
        }

        let name = format!(".weft-case-probe-{:016x}", rand::random::<u64>());
        let lower = self.root.join(&name);
        let upper = self.root.join(name.to_uppercase());

        let probe = TempFile {
            path: lower.clone(),
            keep: false,
        };
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lower)
            .map_err(io_error(IoAction::CaseProbe, &lower))?;
        let insensitive = match fs::symlink_metadata(&upper) {
            Ok(_) => true,
            Err(error) if error.kind() == io::ErrorKind::NotFound => false,
            Err(source) => return Err(io_error(IoAction::CaseProbe, &upper)(source)),
        };
        drop(probe);

        debug!(root = %self.root.display(), insensitive, "probed file system case sensitivity");
        self.result = Some(insensitive);
        Ok(insensitive)
    }
}
