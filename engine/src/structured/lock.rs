//! Lock files: files that a package manager writes from the manifests, so a
//! line merge of two versions can be inconsistent even when it is clean.

use super::{Finding, whole_text};

/// Lock file names and the command that regenerates each one.
const LOCK_FILES: &[(&str, &str)] = &[
    ("Cargo.lock", "cargo generate-lockfile"),
    ("package-lock.json", "npm install"),
    ("pnpm-lock.yaml", "pnpm install"),
    ("yarn.lock", "yarn install"),
    ("poetry.lock", "poetry lock"),
    ("go.sum", "go mod tidy"),
];

/// Returns whether the file name of `path` is one of the lock files
/// `Cargo.lock`, `package-lock.json`, `pnpm-lock.yaml`, `yarn.lock`,
/// `poetry.lock` and `go.sum`, in any folder.
pub fn is_lock_file(path: &str) -> bool {
    regenerate_command(path).is_some()
}

/// Returns the command that regenerates the lock file at `path`.
fn regenerate_command(path: &str) -> Option<&'static str> {
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    LOCK_FILES
        .iter()
        .find(|(name, _)| *name == file_name)
        .map(|(_, command)| *command)
}

/// Returns a `regenerate` finding when both sides changed the lock file at
/// `path` differently.
pub(super) fn regenerate(
    path: &str,
    base: &str,
    current: &str,
    incoming: &str,
    merged: &str,
) -> Option<Finding> {
    let command = regenerate_command(path)?;
    if current == base || incoming == base || current == incoming {
        return None;
    }
    Some(Finding {
        kind: "regenerate",
        severity: "high",
        base_lines: whole_text(base),
        merged_lines: whole_text(merged),
        message: format!(
            "both sides changed the lock file {path}, and a merge of two lock files can list \
             versions that no resolver chose: regenerate it with `{command}` once its manifests \
             are merged"
        ),
    })
}
