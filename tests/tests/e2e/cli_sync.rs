//! Two agents editing one workspace through `weft clone` and `weft sync`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use weft_e2e::{ServerProcess, TOKEN, clone_copy, copy_tree, run_weft_ok, workspace_root};

/// Reads every file under `root` except the `.weft` folders.
fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("readable dir") {
            let entry = entry.expect("dir entry");
            let path = entry.path();
            if entry.file_name() == ".weft" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                files.insert(
                    relative.to_string_lossy().into_owned(),
                    fs::read(&path).expect("readable file"),
                );
            }
        }
    }
    files
}

/// Inserts `line` after the first line of `path` that contains `marker`.
fn insert_after(path: &Path, marker: &str, line: &str) {
    let text = fs::read_to_string(path).expect("text file");
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} in {}", path.display()));
    let line_end = at + text[at..].find('\n').expect("marker line ends") + 1;
    let edited = format!("{}{line}\n{}", &text[..line_end], &text[line_end..]);
    fs::write(path, edited).expect("writable file");
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn two_agents_edit_one_file_and_export() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path().join("repo");
    copy_tree(&workspace_root().join("engine/src"), &repo.join("src")).expect("copy sources");
    fs::write(repo.join("NOTES.md"), "# Notes\n\nfirst\n").expect("write notes");
    let store = temp.path().join("store");
    let original = read_tree(&repo);

    let server = ServerProcess::start(&repo, &store);
    let a = temp.path().join("a");
    let b = temp.path().join("b");
    let top = temp.path();
    clone_copy(&a, &server.url, "a");
    clone_copy(&b, &server.url, "b");
    assert_eq!(
        read_tree(&a),
        original,
        "a clone holds every file byte for byte"
    );

    // Different functions of one file, and the same new line in another.
    let edit_a = "        // agent a: text keeps its byte-order mark";
    let edit_b = "        // agent b: bytes are copied as they are";
    insert_after(&a.join("src/content.rs"), "pub fn to_bytes(&self)", edit_a);
    insert_after(&b.join("src/content.rs"), "pub fn kind(&self)", edit_b);
    let shared = "- both agents wrote this line";
    fs::write(a.join("NOTES.md"), format!("# Notes\n\nfirst\n{shared}\n")).expect("edit a");
    fs::write(b.join("NOTES.md"), format!("# Notes\n\nfirst\n{shared}\n")).expect("edit b");

    run_weft_ok(&a, &["sync"]);
    run_weft_ok(&b, &["sync"]);
    run_weft_ok(&a, &["sync"]);

    for copy in [&a, &b] {
        let content = fs::read_to_string(copy.join("src/content.rs")).expect("content.rs");
        assert_eq!(
            count(&content, edit_a),
            1,
            "{} has a's edit once",
            copy.display()
        );
        assert_eq!(
            count(&content, edit_b),
            1,
            "{} has b's edit once",
            copy.display()
        );
        let notes = fs::read_to_string(copy.join("NOTES.md")).expect("notes");
        assert_eq!(
            notes,
            format!("# Notes\n\nfirst\n{shared}\n"),
            "{} notes",
            copy.display()
        );
    }

    let out = temp.path().join("out");
    run_weft_ok(
        top,
        &[
            "export",
            "--server",
            &server.url,
            "--token",
            TOKEN,
            out.to_str().expect("utf-8"),
        ],
    );
    let exported = read_tree(&out);
    assert_eq!(
        exported,
        read_tree(&a),
        "the export equals a's working copy"
    );
    assert_eq!(
        exported,
        read_tree(&b),
        "the export equals b's working copy"
    );
    assert_eq!(
        exported.get("src/version.rs"),
        original.get("src/version.rs"),
        "an untouched file exports byte-identical"
    );

    // A restart on the same store serves the same tree.
    assert!(server.stop(), "weft serve exits cleanly on SIGTERM");
    let server = ServerProcess::start(&repo, &store);
    let again = temp.path().join("again");
    run_weft_ok(
        top,
        &[
            "export",
            "--server",
            &server.url,
            "--token",
            TOKEN,
            again.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        read_tree(&again),
        exported,
        "the export after a restart is unchanged"
    );

    let offline = temp.path().join("offline");
    drop(server);
    run_weft_ok(
        top,
        &[
            "export",
            "--store",
            store.to_str().expect("utf-8"),
            offline.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        read_tree(&offline),
        exported,
        "an export from the store equals the served one"
    );
}

#[test]
fn deletes_reach_other_copies_and_served_folder() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path().join("repo");
    fs::create_dir_all(repo.join("docs")).expect("repo dir");
    fs::write(repo.join("docs/old.md"), "old\n").expect("write old");
    fs::write(repo.join("keep.txt"), "keep\n").expect("write keep");
    fs::write(repo.join(".gitignore"), "build/\n").expect("write gitignore");
    fs::create_dir_all(repo.join("build")).expect("build dir");
    fs::write(repo.join("build/out.bin"), "ignored\n").expect("write ignored");
    let store = repo.join(".weft");

    let server = ServerProcess::start(&repo, &store);
    let top = temp.path();
    let a = top.join("a");
    let b = top.join("b");
    clone_copy(&a, &server.url, "a");
    clone_copy(&b, &server.url, "b");
    assert!(
        !a.join("build/out.bin").exists(),
        "an ignored file is not imported"
    );

    fs::remove_file(a.join("docs/old.md")).expect("delete in a");
    fs::write(a.join("new.md"), "new\n").expect("add in a");
    run_weft_ok(&a, &["sync"]);
    run_weft_ok(&b, &["sync"]);
    assert!(
        !b.join("docs/old.md").exists(),
        "b's sync removes the file a deleted"
    );
    assert_eq!(
        fs::read_to_string(b.join("new.md")).expect("new.md in b"),
        "new\n"
    );

    // Exporting into the served folder itself updates it and leaves the
    // store and ignored files alone.
    run_weft_ok(
        top,
        &[
            "export",
            "--server",
            &server.url,
            "--token",
            TOKEN,
            repo.to_str().expect("utf-8"),
        ],
    );
    assert!(
        !repo.join("docs/old.md").exists(),
        "the export removes the deleted file"
    );
    assert_eq!(
        fs::read_to_string(repo.join("new.md")).expect("new.md in repo"),
        "new\n"
    );
    assert_eq!(
        fs::read_to_string(repo.join("keep.txt")).expect("keep.txt"),
        "keep\n"
    );
    assert!(
        repo.join("build/out.bin").exists(),
        "the export leaves ignored files alone"
    );
    assert!(
        store.join("weft.db").exists(),
        "the export leaves the store alone"
    );
}

#[test]
fn oversized_file_fails_alone() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path().join("repo");
    fs::create_dir_all(&repo).expect("repo dir");
    fs::write(repo.join("small.txt"), "one\n").expect("write small");
    let server = ServerProcess::start(&repo, &temp.path().join("store"));
    let top = temp.path();
    let copy = top.join("copy");
    clone_copy(&copy, &server.url, "a");

    // Over the server's 8 MiB file limit, and over its 16 MiB message
    // limit once base64-encoded.
    fs::write(copy.join("big.bin"), vec![0u8; 13 << 20]).expect("write big");
    // Under the file limit on disk, but six times larger as JSON, because
    // every control character is escaped as \u0001.
    let control_line = [vec![1u8; 1023], b"\n".to_vec()].concat();
    fs::write(copy.join("ctrl.txt"), control_line.repeat(4096)).expect("write ctrl");
    fs::write(copy.join("small.txt"), "one\ntwo\n").expect("edit small");
    let output = weft_e2e::run_weft(&copy, &["sync"]);

    assert!(
        !output.status.success(),
        "a file that cannot be sent fails the sync"
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("over the server's limit"), "{printed}");
    assert!(
        printed.contains("over the server's message limit"),
        "{printed}"
    );
    assert!(
        printed.contains("sent    small.txt"),
        "the other file still syncs: {printed}"
    );
}

#[test]
fn delete_after_foreign_edit_is_reported() {
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path().join("repo");
    fs::create_dir_all(&repo).expect("repo dir");
    fs::write(repo.join("del.txt"), "one\n").expect("write");
    let server = ServerProcess::start(&repo, &temp.path().join("store"));
    let top = temp.path();
    let a = top.join("a");
    let b = top.join("b");
    clone_copy(&a, &server.url, "a");
    clone_copy(&b, &server.url, "b");

    fs::write(b.join("del.txt"), "one\ntwo\n").expect("b edits");
    run_weft_ok(&b, &["sync"]);
    fs::remove_file(a.join("del.txt")).expect("a deletes");
    let output = run_weft_ok(&a, &["sync"]);

    assert!(output.contains("restored del.txt"), "{output}");
    assert!(output.contains("delete-edit"), "a hears why: {output}");
    assert_eq!(
        fs::read_to_string(a.join("del.txt")).expect("back"),
        "one\ntwo\n"
    );
    let listed = run_weft_ok(&b, &["overlaps"]);
    assert!(
        listed.contains("delete-edit"),
        "b hears of a's delete: {listed}"
    );
}
