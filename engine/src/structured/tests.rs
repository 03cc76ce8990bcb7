use super::*;

fn lines(start: usize, end: usize) -> LineRange {
    LineRange { start, end }
}

fn paths(entries: &[KeyEntry]) -> Vec<String> {
    entries.iter().map(|entry| entry.path.join(".")).collect()
}

fn entry<'a>(entries: &'a [KeyEntry], path: &str) -> &'a KeyEntry {
    entries
        .iter()
        .find(|entry| entry.path.join(".") == path)
        .unwrap_or_else(|| panic!("no entry {path} in {:?}", paths(entries)))
}

#[test]
fn format_for_path_by_extension() {
    assert_eq!(format_for_path("package.json"), Some(Format::Json));
    assert_eq!(
        format_for_path(".vscode/settings.jsonc"),
        Some(Format::Json)
    );
    assert_eq!(format_for_path("Cargo.toml"), Some(Format::Toml));
    assert_eq!(format_for_path("ci/deploy.YML"), Some(Format::Yaml));
    assert_eq!(format_for_path("compose.yaml"), Some(Format::Yaml));
    assert_eq!(format_for_path("src/main.rs"), None);
    assert_eq!(format_for_path("json"), None);
    assert_eq!(format_for_path("Cargo.lock"), None);
}

#[test]
fn is_lock_file_by_name() {
    for path in [
        "Cargo.lock",
        "web/package-lock.json",
        "yarn.lock",
        "poetry.lock",
        "go.sum",
        "pnpm-lock.yaml",
    ] {
        assert!(is_lock_file(path), "{path}");
    }
    for path in [
        "Cargo.toml",
        "package.json",
        "my-yarn.lock",
        "go.mod",
        "Cargo.lock/x",
    ] {
        assert!(!is_lock_file(path), "{path}");
    }
}

#[test]
fn json_keys_nested() {
    let text = "{\n  // comment\n  \"name\": \"app\",\n  \"deps\": {\n    \"a\\u0062\": \"^1\"\n  },\n  \"list\": [1, {\"c\":   2}]\n}\n";
    let entries = keys(Format::Json, text);

    assert_eq!(
        paths(&entries),
        ["name", "deps", "deps.ab", "list", "list.1.c"]
    );
    assert_eq!(entry(&entries, "deps").lines, lines(4, 6));
    assert_eq!(entry(&entries, "deps.ab").value, "\"^1\"");
    assert_eq!(entry(&entries, "list").value, "[1, {\"c\": 2}]");
    assert_eq!(entry(&entries, "list.1.c").lines, lines(7, 7));
}

#[test]
fn toml_keys_tables_and_arrays() {
    let text = "title = \"x\"\n\n[package]\nname = \"app\"\nmeta.owner = 'me'\n\"quoted key\" = 1\n\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n\n[[bin]]\nname = \"a\"\n[[bin]]\nname = \"b\"\n";
    let entries = keys(Format::Toml, text);

    assert_eq!(
        paths(&entries),
        [
            "title",
            "package",
            "package.name",
            "package.meta.owner",
            "package.quoted key",
            "dependencies",
            "dependencies.serde",
            "dependencies.serde.version",
            "dependencies.serde.features",
            "bin.0.name",
            "bin.1.name",
        ]
    );
    assert_eq!(entry(&entries, "package").lines, lines(3, 6));
    assert_eq!(entry(&entries, "dependencies").lines, lines(8, 9));
    assert_eq!(entry(&entries, "package.meta.owner").value, "'me'");
    assert_eq!(entry(&entries, "bin.1.name").lines, lines(14, 14));
}

#[test]
fn yaml_keys_nested_and_sequences() {
    let text = "server:\n  port: 8080\n  hosts:\n    - a\n    - name: b\n'it''s': {x: 1, y: [2, 3]}\nscript: |\n  make\n  make test\n";
    let entries = keys(Format::Yaml, text);

    assert_eq!(
        paths(&entries),
        [
            "server",
            "server.port",
            "server.hosts",
            "server.hosts.1.name",
            "it's",
            "it's.x",
            "it's.y",
            "script",
        ]
    );
    assert_eq!(entry(&entries, "server").lines, lines(1, 5));
    assert_eq!(entry(&entries, "server.port").value, "8080");
    assert_eq!(entry(&entries, "script").lines, lines(7, 9));
}

#[test]
fn yaml_documents_prefix_paths() {
    let text = "---\nname: a\n---\nname: b\n";
    let entries = keys(Format::Yaml, text);

    assert_eq!(paths(&entries), ["0.name", "1.name"]);
}

#[test]
fn keys_of_invalid_text_empty() {
    assert!(keys(Format::Json, "{\"a\": 1,, }").is_empty());
    assert!(keys(Format::Toml, "a = \n[b\n").is_empty());
    assert!(keys(Format::Yaml, "a: [1, 2\nb: : :\n").is_empty());
}

#[test]
fn keys_of_empty_text_empty() {
    for format in [Format::Json, Format::Toml, Format::Yaml] {
        assert!(keys(format, "").is_empty(), "{format:?}");
        assert!(keys(format, "\n\n").is_empty(), "{format:?}");
    }
}

#[test]
fn different_keys_only_outside_region() {
    let base = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}\n";
    let current = base.replace("\"a\": 1", "\"a\": 10");
    let incoming = base.replace("\"c\": 3", "\"c\": 30");

    // Neither side changed a key on line 3.
    assert!(!different_keys_only(
        "x.json",
        base,
        &current,
        &incoming,
        lines(3, 3)
    ));
    assert!(different_keys_only(
        "x.json",
        base,
        &current,
        &incoming,
        lines(2, 4)
    ));
}

#[test]
fn different_keys_only_parent_and_child() {
    let base = "{\"a\": {\"b\": 1}, \"c\": 2}\n";
    let current = "{\"a\": 5, \"c\": 2}\n";
    let incoming = "{\"a\": {\"b\": 2}, \"c\": 2}\n";

    assert!(!different_keys_only(
        "x.json",
        base,
        current,
        incoming,
        lines(1, 1)
    ));
}

#[test]
fn different_keys_only_insertion_point() {
    let base = "a = 1\nb = 2\n";
    let current = "a = 1\nx = 1\nb = 2\n";
    let incoming = "a = 1\ny = 1\nb = 2\n";

    assert!(different_keys_only(
        "x.toml",
        base,
        current,
        incoming,
        lines(2, 1)
    ));
    let same = "a = 1\nx = 2\nb = 2\n";
    assert!(!different_keys_only(
        "x.toml",
        base,
        current,
        same,
        lines(2, 1)
    ));
}

#[test]
fn same_key_skips_table_of_changed_keys() {
    let base = "[deps]\na = \"1\"\nb = \"1\"\n";
    let current = "[deps]\na = \"2\"\nb = \"1\"\n";
    let incoming = "[deps]\na = \"1\"\nb = \"2\"\n";
    let merged = "[deps]\na = \"2\"\nb = \"2\"\n";

    assert!(structured_findings("x.toml", base, current, incoming, merged).is_empty());
}

#[test]
fn duplicate_table_reported_once() {
    let base = "[a]\nx = 1\n";
    let merged = "[a]\nx = 1\n[b]\ny = 1\n[b]\ny = 2\n";
    let current = "[a]\nx = 1\n[b]\ny = 1\n";
    let incoming = "[a]\nx = 1\n[b]\ny = 2\n";
    let found = structured_findings("x.toml", base, current, incoming, merged);

    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, "duplicate-definition");
    assert_eq!(found[0].merged_lines, lines(5, 6));
    assert_eq!(found[0].base_lines, lines(3, 2));
    assert!(found[0].message.contains("`b`"), "{}", found[0].message);
}
