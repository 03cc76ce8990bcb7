//! Workspace-relative paths that cannot leave the workspace root.
//!
//! A [`WorkspacePath`] is validated once, when it is built, so code that has
//! one can join it to a root without further checks. This module owns the
//! syntax rules only. Whether the file exists, and symlinks found on disk,
//! are left to [`crate::import`] and [`crate::export`].

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A path relative to the workspace root, `/`-separated and normalized.
///
/// It is never empty and has no `.` or `..` component, no empty component,
/// no leading `/`, no `\`, no NUL and no drive prefix such as `C:`.
/// It serializes as a plain string and is validated again on
/// deserialization.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Ord, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkspacePath(String);

/// The rule that a candidate workspace path breaks.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PathError {
    /// The path is the empty string.
    #[error(
        "path {path:?} is empty; name a file relative to the workspace root, such as \"src/lib.rs\""
    )]
    Empty {
        /// The rejected path.
        path: String,
    },

    /// The path contains a NUL character.
    #[error("path {path:?} contains a NUL character, which file systems do not allow; remove it")]
    Nul {
        /// The rejected path.
        path: String,
    },

    /// The path starts with `/`.
    #[error(
        "path {path:?} is absolute: a leading \"/\" is not allowed; use a path relative to the workspace root"
    )]
    Absolute {
        /// The rejected path.
        path: String,
    },

    /// The first component starts with a drive prefix such as `C:`.
    #[error(
        "path {path:?} starts with the drive prefix {prefix:?}; use a path relative to the workspace root"
    )]
    DrivePrefix {
        /// The rejected path.
        path: String,
        /// The drive prefix found, such as `C:`.
        prefix: String,
    },

    /// The path contains a backslash.
    #[error("path {path:?} contains a backslash; separate components with \"/\"")]
    Backslash {
        /// The rejected path.
        path: String,
    },

    /// The path has an empty component: a doubled or trailing `/`.
    #[error(
        "path {path:?} has an empty component (a doubled or trailing \"/\"); separate components with a single \"/\""
    )]
    EmptyComponent {
        /// The rejected path.
        path: String,
    },

    /// The path has a `.` component.
    #[error("path {path:?} contains a \".\" component, which is not allowed; remove it")]
    CurrentDir {
        /// The rejected path.
        path: String,
    },

    /// The path has a `..` component.
    #[error(
        "path {path:?} leaves the workspace: \"..\" components are not allowed; use a path relative to the workspace root"
    )]
    ParentDir {
        /// The rejected path.
        path: String,
    },

    /// The path has a `.git` component, or starts with `.weft`: those
    /// folders belong to git and to weft, and no workspace file lives in
    /// them.
    #[error(
        "path {path:?} lies inside {reserved:?}, which belongs to {owner} and is never part of a workspace; pick another path"
    )]
    Reserved {
        /// The rejected path.
        path: String,
        /// The reserved component.
        reserved: String,
        /// Who owns that folder: `git` or `weft`.
        owner: &'static str,
    },

    /// A component is longer than file systems allow.
    #[error(
        "path {path:?} has a component of {len} bytes; file systems allow at most {MAX_COMPONENT_BYTES}, so shorten it"
    )]
    ComponentTooLong {
        /// The rejected path.
        path: String,
        /// The component's length in bytes.
        len: usize,
    },

    /// A file system path has a component that is not valid UTF-8.
    #[error("path {path:?} is not valid UTF-8, which workspace paths must be; rename the file")]
    NotUtf8 {
        /// The rejected path, with invalid bytes shown by [`Path::display`].
        path: PathBuf,
    },

    /// A file system path has a root, prefix or other non-name component.
    #[error(
        "path {path:?} is not relative to the workspace root; pass the part below the root, such as \"src/lib.rs\""
    )]
    NotRelative {
        /// The rejected path.
        path: PathBuf,
    },
}

impl WorkspacePath {
    /// Validates `path` against the workspace path rules.
    pub fn new(path: &str) -> Result<Self, PathError> {
        validate(path)?;
        Ok(Self(path.to_owned()))
    }

    /// Converts a path relative to a folder root, as found while walking the
    /// folder, into a workspace path.
    ///
    /// Rejects names that are not valid UTF-8 and every path that
    /// [`WorkspacePath::new`] rejects, such as a Unix file name containing
    /// `\`.
    pub fn from_relative_fs(path: &Path) -> Result<Self, PathError> {
        let mut names = Vec::new();
        for component in path.components() {
            match component {
                Component::Normal(name) => match name.to_str() {
                    Some(name) => names.push(name),
                    None => {
                        return Err(PathError::NotUtf8 {
                            path: path.to_path_buf(),
                        });
                    }
                },
                Component::CurDir => names.push("."),
                Component::ParentDir => names.push(".."),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(PathError::NotRelative {
                        path: path.to_path_buf(),
                    });
                }
            }
        }

        Self::new(&names.join("/"))
    }

    /// Whether a file at `self` and a file at `other` cannot both exist,
    /// because one would have to be a parent folder of the other.
    pub fn clashes_with(&self, other: &WorkspacePath) -> bool {
        let is_folder_of = |folder: &str, path: &str| {
            path.strip_prefix(folder)
                .is_some_and(|rest| rest.starts_with('/'))
        };
        is_folder_of(self.as_str(), other.as_str()) || is_folder_of(other.as_str(), self.as_str())
    }

    /// Returns the path as a string, `/`-separated.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Joins the path to `root`, one component at a time.
    ///
    /// The result stays below `root` lexically. Symlinks on disk can still
    /// lead elsewhere, so writers check each component (see
    /// [`crate::export`]).
    pub fn to_fs_path(&self, root: &Path) -> PathBuf {
        let mut joined = root.to_path_buf();
        for component in self.components() {
            joined.push(component);
        }
        joined
    }

    /// Returns the components, from the outermost directory to the file
    /// name.
    pub fn components(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.0.split('/')
    }
}

/// Checks the rules in the order that gives the most specific message,
/// so `C:\x` is reported as a drive prefix rather than as a backslash.
fn validate(path: &str) -> Result<(), PathError> {
    let owned = || path.to_owned();

    if path.is_empty() {
        return Err(PathError::Empty { path: owned() });
    }

    if path.contains('\0') {
        return Err(PathError::Nul { path: owned() });
    }

    if path.starts_with('/') {
        return Err(PathError::Absolute { path: owned() });
    }

    if let Some(prefix) = drive_prefix(path) {
        return Err(PathError::DrivePrefix {
            path: owned(),
            prefix: prefix.to_owned(),
        });
    }

    if path.contains('\\') {
        return Err(PathError::Backslash { path: owned() });
    }

    for (index, component) in path.split('/').enumerate() {
        match component {
            "" => return Err(PathError::EmptyComponent { path: owned() }),
            "." => return Err(PathError::CurrentDir { path: owned() }),
            ".." => return Err(PathError::ParentDir { path: owned() }),
            _ => {}
        }
        // Case-insensitive, because `.GIT` is `.git` on the file systems
        // of macOS and Windows.
        let reserved_owner = if component.eq_ignore_ascii_case(".git") {
            Some("git")
        } else if index == 0 && component.eq_ignore_ascii_case(".weft") {
            Some("weft")
        } else {
            None
        };
        if let Some(owner) = reserved_owner {
            return Err(PathError::Reserved {
                path: owned(),
                reserved: component.to_owned(),
                owner,
            });
        }
        if component.len() > MAX_COMPONENT_BYTES {
            return Err(PathError::ComponentTooLong {
                path: owned(),
                len: component.len(),
            });
        }
    }

    Ok(())
}

/// The longest file name most file systems (ext4, APFS, NTFS) accept, in
/// bytes.
pub const MAX_COMPONENT_BYTES: usize = 255;

/// Returns the `X:` prefix when the path starts with an ASCII letter and a
/// colon, which Windows reads as a drive (`C:\x`, `C:x`).
fn drive_prefix(path: &str) -> Option<&str> {
    let bytes = path.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        Some(&path[..2])
    } else {
        None
    }
}

impl fmt::Display for WorkspacePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for WorkspacePath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for WorkspacePath {
    type Err = PathError;

    fn from_str(path: &str) -> Result<Self, Self::Err> {
        Self::new(path)
    }
}

impl TryFrom<String> for WorkspacePath {
    type Error = PathError;

    fn try_from(path: String) -> Result<Self, Self::Error> {
        validate(&path)?;
        Ok(Self(path))
    }
}

impl TryFrom<&str> for WorkspacePath {
    type Error = PathError;

    fn try_from(path: &str) -> Result<Self, Self::Error> {
        Self::new(path)
    }
}

impl From<WorkspacePath> for String {
    fn from(path: WorkspacePath) -> Self {
        path.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recognizes the expected error variant.
    type VariantCheck = fn(&PathError) -> bool;

    #[test]
    fn rejects_paths_outside_the_rules() {
        let cases: &[(&str, VariantCheck)] = &[
            ("../../home/u/.bashrc", |e| {
                matches!(e, PathError::ParentDir { .. })
            }),
            ("/etc/x", |e| matches!(e, PathError::Absolute { .. })),
            ("a/../../b", |e| matches!(e, PathError::ParentDir { .. })),
            ("..\\..\\x", |e| matches!(e, PathError::Backslash { .. })),
            ("C:\\x", |e| matches!(e, PathError::DrivePrefix { .. })),
            ("c:x", |e| matches!(e, PathError::DrivePrefix { .. })),
            ("dir/\u{0}x", |e| matches!(e, PathError::Nul { .. })),
            ("", |e| matches!(e, PathError::Empty { .. })),
            (".", |e| matches!(e, PathError::CurrentDir { .. })),
            ("a/./b", |e| matches!(e, PathError::CurrentDir { .. })),
            ("..", |e| matches!(e, PathError::ParentDir { .. })),
            ("a//b", |e| matches!(e, PathError::EmptyComponent { .. })),
            ("a/", |e| matches!(e, PathError::EmptyComponent { .. })),
        ];

        for (path, expected) in cases {
            let error = WorkspacePath::new(path).expect_err(path);
            assert!(expected(&error), "{path:?} gave {error:?}");
        }
    }

    #[test]
    fn error_messages_name_path_and_rule() {
        let error = WorkspacePath::new("../../x").expect_err("'..' must be rejected");
        assert_eq!(
            error.to_string(),
            "path \"../../x\" leaves the workspace: \"..\" components are not allowed; \
             use a path relative to the workspace root"
        );

        let error = WorkspacePath::new("dir/\u{0}x").expect_err("NUL must be rejected");
        assert!(error.to_string().contains(r#""dir/\0x""#), "{error}");
    }

    #[test]
    fn accepts_ordinary_and_dot_files() {
        for path in [
            "src/lib.rs",
            ".github/workflows/ci.yml",
            ".gitignore",
            "a..b/..c",
        ] {
            let parsed = WorkspacePath::new(path).expect(path);
            assert_eq!(parsed.as_str(), path);
            assert_eq!(parsed.to_string(), path);
        }
    }

    #[test]
    fn joins_components_to_root() {
        let path = WorkspacePath::new(".github/workflows/ci.yml").expect("valid path");

        let components: Vec<&str> = path.components().collect();
        assert_eq!(components, [".github", "workflows", "ci.yml"]);

        let joined = path.to_fs_path(Path::new("/root"));
        assert_eq!(joined, Path::new("/root/.github/workflows/ci.yml"));
    }

    #[test]
    fn from_relative_fs_checks_rules() {
        let path = WorkspacePath::from_relative_fs(Path::new("src/lib.rs")).expect("valid path");
        assert_eq!(path.as_str(), "src/lib.rs");

        let error = WorkspacePath::from_relative_fs(Path::new("/etc/x")).expect_err("absolute");
        assert!(matches!(error, PathError::NotRelative { .. }), "{error:?}");

        let error = WorkspacePath::from_relative_fs(Path::new("a/../b")).expect_err("'..'");
        assert!(matches!(error, PathError::ParentDir { .. }), "{error:?}");

        let error = WorkspacePath::from_relative_fs(Path::new("a\\b")).expect_err("backslash");
        assert!(matches!(error, PathError::Backslash { .. }), "{error:?}");
    }

    #[test]
    fn from_relative_fs_rejects_non_utf8() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;

        let name = Path::new(OsStr::from_bytes(b"dir/caf\xe9.txt"));
        let error = WorkspacePath::from_relative_fs(name).expect_err("Latin-1 name");
        assert!(matches!(error, PathError::NotUtf8 { .. }), "{error:?}");
        assert!(error.to_string().contains("not valid UTF-8"), "{error}");
    }

    #[test]
    fn serde_validates_on_deserialize() {
        let path = WorkspacePath::new("src/lib.rs").expect("valid path");
        let json = serde_json::to_string(&path).expect("a string serializes");
        assert_eq!(json, "\"src/lib.rs\"");

        let back: WorkspacePath = serde_json::from_str(&json).expect("valid path deserializes");
        assert_eq!(back, path);

        let error = serde_json::from_str::<WorkspacePath>("\"../x\"").expect_err("'..'");
        assert!(
            error.to_string().contains("leaves the workspace"),
            "{error}"
        );
    }

    #[test]
    fn git_and_store_folders_are_reserved() {
        for path in [
            ".git/config",
            "sub/.git/HEAD",
            "a/.GIT/x",
            ".weft/token",
            ".WEFT/weft.db",
        ] {
            let error = WorkspacePath::new(path).expect_err(path);
            assert!(
                matches!(error, PathError::Reserved { .. }),
                "{path}: {error:?}"
            );
        }
        assert!(
            WorkspacePath::new("docs/.weft/notes").is_ok(),
            "only a top-level .weft is the store"
        );
        assert!(WorkspacePath::new(".gitignore").is_ok());
    }

    #[test]
    fn overlong_component_rejected() {
        let long = "x".repeat(MAX_COMPONENT_BYTES + 1);
        let error = WorkspacePath::new(&format!("dir/{long}")).expect_err("too long");
        assert!(
            matches!(error, PathError::ComponentTooLong { .. }),
            "{error:?}"
        );
        assert!(WorkspacePath::new(&"y".repeat(MAX_COMPONENT_BYTES)).is_ok());
    }
}
