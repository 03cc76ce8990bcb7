//! Tests of folder import and export on real files in temporary
//! directories: ignore rules, symlinks, executable bits, byte-exact round
//! trips and deletions. The temporary file system is case-sensitive, so
//! case collisions are tested through `case_collisions` directly.

use std::collections::BTreeMap;
use std::error::Error;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use weft_engine::export::{ExportError, ExportFile, case_collisions, export_folder};
use weft_engine::import::{ImportError, scan_folder, scan_paths};
use weft_engine::path::{PathError, WorkspacePath};

type TestResult = Result<(), Box<dyn Error>>;

/// Creates `root/relative` with its parent directories.
fn put(root: &Path, relative: &str, bytes: &[u8]) -> Result<PathBuf, Box<dyn Error>> {
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&path, bytes)?;
    Ok(path)
}

fn set_mode(path: &Path, mode: u32) -> TestResult {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(())
}

fn mode_of(path: &Path) -> Result<u32, Box<dyn Error>> {
    Ok(fs::symlink_metadata(path)?.permissions().mode() & 0o7777)
}

fn wp(path: &str) -> WorkspacePath {
    WorkspacePath::new(path).expect("test paths are valid")
}

fn scanned_names(root: &Path, skip: &[PathBuf]) -> Result<Vec<String>, Box<dyn Error>> {
    let files = scan_folder(root, skip)?;
    Ok(files
        .into_iter()
        .map(|file| file.path.to_string())
        .collect())
}

fn export_file(path: &str, bytes: &[u8], executable: bool) -> ExportFile {
    ExportFile {
        path: wp(path),
        bytes: bytes.to_vec(),
        executable,
    }
}

#[test]
fn scan_applies_gitignore_without_repo() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    put(root, ".gitignore", b"target/\n*.log\n")?;
    put(root, "src/lib.rs", b"fn f() {}\n")?;
    put(root, "target/debug/out", b"binary")?;
    put(root, "app.log", b"log")?;
    put(root, "src/deep/trace.log", b"log")?;

    assert_eq!(scanned_names(root, &[])?, [".gitignore", "src/lib.rs"]);
    Ok(())
}

#[test]
fn scan_keeps_dotfiles() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    put(root, ".gitignore", b"")?;
    put(root, ".github/workflows/ci.yml", b"on: push\n")?;
    put(root, ".env.example", b"A=1\n")?;

    let names = scanned_names(root, &[])?;
    assert_eq!(
        names,
        [".env.example", ".github/workflows/ci.yml", ".gitignore"]
    );
    Ok(())
}

#[test]
fn scan_skips_git_entries() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    put(root, ".git/HEAD", b"ref: refs/heads/main\n")?;
    put(root, ".git/config", b"[core]\n")?;
    put(root, "vendor/lib/.git", b"gitdir: ../../.git/modules/lib\n")?;
    put(root, "vendor/lib/src.c", b"int x;\n")?;

    assert_eq!(scanned_names(root, &[])?, ["vendor/lib/src.c"]);
    Ok(())
}

#[test]
fn scan_applies_nested_gitignore() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    put(root, "a.tmp", b"kept: the rule is in sub/")?;
    put(root, "sub/.gitignore", b"*.tmp\n!keep.tmp\n")?;
    put(root, "sub/a.tmp", b"ignored")?;
    put(root, "sub/keep.tmp", b"negated")?;
    put(root, "sub/inner/b.tmp", b"ignored")?;

    let names = scanned_names(root, &[])?;
    assert_eq!(names, ["a.tmp", "sub/.gitignore", "sub/keep.tmp"]);
    Ok(())
}

#[test]
fn scan_skips_listed_paths() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    put(root, ".weft/weft.db", b"db")?;
    put(root, "copy/.weft/state", b"state")?;
    put(root, "copy/main.rs", b"fn main() {}\n")?;
    put(root, "notes.md", b"# notes\n")?;

    let skip = [root.join(".weft"), PathBuf::from("copy/.weft")];
    assert_eq!(scanned_names(root, &skip)?, ["copy/main.rs", "notes.md"]);
    Ok(())
}

#[test]
fn scan_skips_symlinks_unfollowed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let outside = tempfile::tempdir()?;
    let secret_file = put(outside.path(), "secret.txt", b"outside secret")?;
    put(outside.path(), "dir/inner.txt", b"outside dir")?;

    let root = dir.path();
    put(root, "real.txt", b"real")?;
    symlink(&secret_file, root.join("link.txt"))?;
    symlink(outside.path().join("dir"), root.join("linkdir"))?;
    symlink(root.join("real.txt"), root.join("inside-link.txt"))?;

    let files = scan_folder(root, &[])?;
    let names: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(names, ["real.txt"]);
    assert!(files.iter().all(|file| file.bytes == b"real"));
    Ok(())
}

#[test]
fn scan_detects_exec_bits() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    set_mode(&put(root, "run.sh", b"#!/bin/sh\n")?, 0o755)?;
    set_mode(&put(root, "group-only", b"x")?, 0o650)?;
    set_mode(&put(root, "plain.txt", b"x")?, 0o644)?;

    let files = scan_folder(root, &[])?;
    let executable: BTreeMap<&str, bool> = files
        .iter()
        .map(|file| (file.path.as_str(), file.executable))
        .collect();
    assert_eq!(executable.get("run.sh"), Some(&true));
    assert_eq!(executable.get("group-only"), Some(&true));
    assert_eq!(executable.get("plain.txt"), Some(&false));
    Ok(())
}

#[test]
fn scan_skips_invalid_names() -> TestResult {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir()?;
    let root = dir.path();
    fs::write(
        root.join(OsStr::from_bytes(b"caf\xe9.txt")),
        b"latin-1 name",
    )?;
    fs::write(root.join("back\\slash"), b"backslash name")?;
    put(root, "ok.txt", b"ok")?;

    assert_eq!(scanned_names(root, &[])?, ["ok.txt"]);
    Ok(())
}

#[test]
fn scan_paths_matches_scan_folder() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    put(root, ".gitignore", b"*.o\n")?;
    put(root, "b/c.rs", b"")?;
    put(root, "a.rs", b"")?;
    put(root, "a.o", b"")?;

    let listed = scan_paths(root, &[])?;
    let names: Vec<&str> = listed.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(names, scanned_names(root, &[])?);
    for (path, full_path) in &listed {
        assert!(full_path.is_file(), "{path} -> {}", full_path.display());
        assert!(
            full_path.ends_with(path.as_str()),
            "{path} -> {}",
            full_path.display()
        );
    }
    Ok(())
}

#[test]
fn scan_rejects_missing_and_file_roots() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("missing");
    let error = scan_folder(&missing, &[]).expect_err("missing root");
    assert!(matches!(error, ImportError::OpenRoot { .. }), "{error:?}");
    assert!(error.to_string().contains("missing"), "{error}");

    let file = put(dir.path(), "file", b"x")?;
    let error = scan_folder(&file, &[]).expect_err("file root");
    assert!(
        matches!(error, ImportError::RootNotDirectory { .. }),
        "{error:?}"
    );
    Ok(())
}

/// Contents whose bytes a text-normalizing tool would change.
fn tricky_contents() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("text/unix.txt", b"line one\nline two\n".to_vec()),
        ("text/crlf.txt", b"line one\r\nline two\r\n".to_vec()),
        ("text/mixed-no-final.txt", b"a\r\nb\nc".to_vec()),
        ("text/bom.txt", b"\xef\xbb\xbfwith bom\n".to_vec()),
        ("text/latin1.txt", b"caf\xe9 na\xefve\n".to_vec()),
        (
            "img/logo.png",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\x00".to_vec(),
        ),
        ("empty", Vec::new()),
    ]
}

#[test]
fn round_trip_is_byte_exact() -> TestResult {
    let source = tempfile::tempdir()?;
    for (path, bytes) in tricky_contents() {
        put(source.path(), path, &bytes)?;
    }
    set_mode(
        &put(source.path(), "bin/tool", b"#!/bin/sh\necho hi\n")?,
        0o755,
    )?;

    let scanned = scan_folder(source.path(), &[])?;
    let files: Vec<ExportFile> = scanned
        .iter()
        .map(|file| ExportFile {
            path: file.path.clone(),
            bytes: file.bytes.clone(),
            executable: file.executable,
        })
        .collect();
    let target = tempfile::tempdir()?;
    let out = target.path().join("new/out");
    let report = export_folder(&out, &files, &[], &[])?;

    assert_eq!(report.written.len(), files.len());
    assert_eq!(report.unchanged, 0);
    for (path, bytes) in tricky_contents() {
        assert_eq!(fs::read(out.join(path))?, bytes, "{path}");
        assert_eq!(mode_of(&out.join(path))?, 0o644, "{path}");
    }
    assert_eq!(mode_of(&out.join("bin/tool"))?, 0o755);
    assert_eq!(scan_folder(&out, &[])?, scanned);
    Ok(())
}

#[test]
fn export_into_source_changes_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    for (path, bytes) in tricky_contents() {
        put(root, path, &bytes)?;
    }
    set_mode(&put(root, "run.sh", b"#!/bin/sh\n")?, 0o755)?;
    let before: Vec<(PathBuf, u64)> = scan_paths(root, &[])?
        .into_iter()
        .map(|(_, full)| fs::metadata(&full).map(|m| (full, m.ino())))
        .collect::<Result<_, _>>()?;

    let scanned = scan_folder(root, &[])?;
    let files: Vec<ExportFile> = scanned
        .iter()
        .map(|file| export_file(file.path.as_str(), &file.bytes, file.executable))
        .collect();
    let report = export_folder(root, &files, &[], &[])?;

    assert!(report.written.is_empty(), "{:?}", report.written);
    assert_eq!(report.unchanged, files.len());
    assert!(report.removed.is_empty());
    for (full, inode) in before {
        assert_eq!(fs::metadata(&full)?.ino(), inode, "{}", full.display());
    }
    assert_eq!(scan_folder(root, &[])?, scanned);
    Ok(())
}

#[test]
fn export_updates_changed_and_mode_only() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    put(root, "same.txt", b"same")?;
    put(root, "edit.txt", b"old")?;
    set_mode(&put(root, "private.sh", b"#!/bin/sh\n")?, 0o600)?;
    set_mode(&put(root, "was-exec", b"x")?, 0o755)?;

    let files = [
        export_file("same.txt", b"same", false),
        export_file("edit.txt", b"new", false),
        export_file("private.sh", b"#!/bin/sh\n", true),
        export_file("was-exec", b"x", false),
    ];
    let report = export_folder(root, &files, &[], &[])?;

    assert_eq!(
        report.written,
        [wp("edit.txt"), wp("private.sh"), wp("was-exec")]
    );
    assert_eq!(report.unchanged, 1);
    assert_eq!(fs::read(root.join("edit.txt"))?, b"new");
    assert_eq!(mode_of(&root.join("private.sh"))?, 0o700);
    assert_eq!(mode_of(&root.join("was-exec"))?, 0o644);
    Ok(())
}

#[test]
fn export_rejects_symlinked_parent() -> TestResult {
    let dir = tempfile::tempdir()?;
    let outside = tempfile::tempdir()?;
    let root = dir.path();
    symlink(outside.path(), root.join("sub"))?;

    let files = [
        export_file("a.txt", b"a", false),
        export_file("sub/f", b"f", false),
    ];
    let error = export_folder(root, &files, &[], &[]).expect_err("sub is a symlink");

    assert!(
        matches!(error, ExportError::SymlinkInPath { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("sub"), "{error}");
    assert_eq!(fs::read_dir(outside.path())?.count(), 0);
    assert!(
        !root.join("a.txt").exists(),
        "nothing is written after a failed check"
    );
    Ok(())
}

#[test]
fn export_rejects_symlink_target() -> TestResult {
    let dir = tempfile::tempdir()?;
    let outside = tempfile::tempdir()?;
    let victim = put(outside.path(), "victim", b"untouched")?;
    symlink(&victim, dir.path().join("f"))?;

    let files = [export_file("f", b"overwrite", false)];
    let error = export_folder(dir.path(), &files, &[], &[]).expect_err("f is a symlink");

    assert!(
        matches!(error, ExportError::TargetIsSymlink { .. }),
        "{error:?}"
    );
    assert_eq!(fs::read(&victim)?, b"untouched");
    Ok(())
}

#[test]
fn export_rejects_git_and_skipped_writes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();

    // Paths inside .git (in any case) or the store cannot even be named.
    for reserved in [
        ".git/hooks/post-checkout",
        "sub/.GIT/config",
        ".weft/weft.db",
    ] {
        let error = WorkspacePath::new(reserved).expect_err("reserved path");
        assert!(matches!(error, PathError::Reserved { .. }), "{error:?}");
    }

    let store = [export_file("state/weft.db", b"", false)];
    let skip = [root.join("state")];
    let error = export_folder(root, &store, &[], &skip).expect_err("skipped path");
    assert!(
        matches!(error, ExportError::ReservedPath { .. }),
        "{error:?}"
    );
    assert!(!root.join("state").exists());
    Ok(())
}

#[test]
fn export_rejects_bad_layouts() -> TestResult {
    let dir = tempfile::tempdir()?;

    let twice = [export_file("a", b"1", false), export_file("a", b"2", false)];
    let error = export_folder(dir.path(), &twice, &[], &[]).expect_err("duplicate");
    assert!(
        matches!(error, ExportError::DuplicatePath { .. }),
        "{error:?}"
    );

    let nested = [
        export_file("a", b"1", false),
        export_file("a/b", b"2", false),
    ];
    let error = export_folder(dir.path(), &nested, &[], &[]).expect_err("file as dir");
    assert!(
        matches!(error, ExportError::FileDirConflict { .. }),
        "{error:?}"
    );

    put(dir.path(), "existing", b"file")?;
    let under_file = [export_file("existing/x", b"", false)];
    let error = export_folder(dir.path(), &under_file, &[], &[]).expect_err("not a dir");
    assert!(
        matches!(error, ExportError::NotADirectory { .. }),
        "{error:?}"
    );

    fs::create_dir(dir.path().join("folder"))?;
    let over_dir = [export_file("folder", b"", false)];
    let error = export_folder(dir.path(), &over_dir, &[], &[]).expect_err("dir target");
    assert!(
        matches!(error, ExportError::TargetNotFile { .. }),
        "{error:?}"
    );
    Ok(())
}

#[test]
fn export_removes_deleted_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    put(root, "gone.txt", b"old")?;
    put(root, "old/dir/gone.rs", b"old")?;
    put(root, "unknown.txt", b"not in either list")?;

    let files = [export_file("kept.txt", b"k", false)];
    let deleted = [wp("gone.txt"), wp("old/dir/gone.rs"), wp("never-existed")];
    let report = export_folder(root, &files, &deleted, &[])?;

    assert_eq!(report.removed, [wp("gone.txt"), wp("old/dir/gone.rs")]);
    assert!(!root.join("gone.txt").exists());
    assert!(
        !root.join("old").exists(),
        "emptied directories are removed"
    );
    assert_eq!(fs::read(root.join("unknown.txt"))?, b"not in either list");
    assert_eq!(fs::read(root.join("kept.txt"))?, b"k");
    Ok(())
}

#[test]
fn export_keeps_protected_deleted_paths() -> TestResult {
    let dir = tempfile::tempdir()?;
    let outside = tempfile::tempdir()?;
    let root = dir.path();
    put(root, ".gitignore", b"build/\n*.secret\n")?;
    put(root, "build/out.bin", b"ignored")?;
    put(root, "keys.secret", b"ignored")?;
    put(root, ".git/config", b"[core]\n")?;
    put(root, "state/weft.db", b"store")?;
    let target = put(outside.path(), "target.txt", b"outside")?;
    symlink(&target, root.join("link.txt"))?;

    let deleted = [
        wp("build/out.bin"),
        wp("keys.secret"),
        wp("state/weft.db"),
        wp("link.txt"),
    ];
    let skip = [PathBuf::from("state")];
    let report = export_folder(root, &[], &deleted, &skip)?;

    assert!(report.removed.is_empty(), "{:?}", report.removed);
    assert!(root.join("build/out.bin").exists());
    assert!(root.join("keys.secret").exists());
    assert_eq!(fs::read(root.join(".git/config"))?, b"[core]\n");
    assert!(root.join("state/weft.db").exists());
    assert!(
        fs::symlink_metadata(root.join("link.txt"))?
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&target)?, b"outside");
    Ok(())
}

#[test]
fn export_prefers_written_over_deleted() -> TestResult {
    let dir = tempfile::tempdir()?;
    let files = [export_file("both.txt", b"live", false)];
    let report = export_folder(dir.path(), &files, &[wp("both.txt")], &[])?;

    assert_eq!(report.written, [wp("both.txt")]);
    assert!(report.removed.is_empty());
    assert_eq!(fs::read(dir.path().join("both.txt"))?, b"live");
    Ok(())
}

#[test]
fn export_leaves_no_temp_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let files = [
        export_file("a/b.txt", b"b", false),
        export_file("c.txt", b"c", false),
    ];
    export_folder(dir.path(), &files, &[], &[])?;

    let names = scan_paths(dir.path(), &[])?;
    let names: Vec<&str> = names.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(names, ["a/b.txt", "c.txt"]);
    Ok(())
}

#[test]
fn case_collisions_finds_pairs() {
    let paths = [
        wp("A.txt"),
        wp("a.txt"),
        wp("Src/a.rs"),
        wp("src/b.rs"),
        wp("src/c.rs"),
        wp("docs/README.md"),
        wp("docs/readme.txt"),
        wp("Ünï.txt"),
        wp("ünï.txt"),
    ];

    let pairs = case_collisions(&paths);

    assert_eq!(
        pairs,
        [
            (wp("A.txt"), wp("a.txt")),
            (wp("Src/a.rs"), wp("src/b.rs")),
            (wp("Ünï.txt"), wp("ünï.txt")),
        ]
    );
}

#[test]
fn case_collisions_ignores_distinct_names() {
    let paths = [
        wp("a.txt"),
        wp("a.txt"),
        wp("b/a.txt"),
        wp("B.txt"),
        wp("src/lib.rs"),
    ];
    assert!(case_collisions(&paths).is_empty());
}

#[test]
fn export_writes_case_pairs_when_case_sensitive() -> TestResult {
    let dir = tempfile::tempdir()?;
    let files = [
        export_file("A.txt", b"upper", false),
        export_file("a.txt", b"lower", false),
    ];

    let report = export_folder(dir.path(), &files, &[], &[])?;

    assert_eq!(report.written, [wp("A.txt"), wp("a.txt")]);
    assert_eq!(fs::read(dir.path().join("A.txt"))?, b"upper");
    assert_eq!(fs::read(dir.path().join("a.txt"))?, b"lower");
    assert_eq!(
        fs::read_dir(dir.path())?.count(),
        2,
        "the case probe file is removed"
    );
    Ok(())
}
