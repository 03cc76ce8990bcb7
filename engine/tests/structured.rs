//! Key-level findings on real three-way merges of JSON, TOML, YAML and lock
//! files.

use weft_engine::merge::LineRange;
use weft_engine::overlap::merge_file;
use weft_engine::structured::{Finding, different_keys_only, structured_findings};

/// Merges the two sides with the engine's text merge and returns the merged
/// text with the key-level findings of that merge.
fn merge_and_check(
    path: &str,
    base: &str,
    current: &str,
    incoming: &str,
) -> (String, Vec<Finding>) {
    let merged = merge_file(Some(base), current, incoming).text;
    let findings = structured_findings(path, base, current, incoming, &merged);
    (merged, findings)
}

fn kinds(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|finding| finding.kind).collect()
}

fn lines(start: usize, end: usize) -> LineRange {
    LineRange { start, end }
}

const PACKAGE_JSON: &str = r#"{
  "name": "web-app",
  "version": "1.4.0",
  "scripts": {
    "build": "vite build",
    "test": "vitest run"
  }
}
"#;

#[test]
fn json_same_key_changed_both_sides() {
    let current = PACKAGE_JSON.replace("vitest run", "vitest run --coverage");
    let incoming = PACKAGE_JSON.replace("vitest run", "vitest run --reporter=dot");
    let (merged, findings) = merge_and_check("package.json", PACKAGE_JSON, &current, &incoming);

    assert_eq!(kinds(&findings), ["same-key"], "merged:\n{merged}");
    let same_key = &findings;
    assert_eq!(same_key[0].severity, "high");
    assert_eq!(same_key[0].base_lines, lines(6, 6));
    assert!(
        same_key[0].message.contains("`scripts.test`"),
        "{}",
        same_key[0].message
    );
    assert!(
        same_key[0].message.contains("vitest run --coverage"),
        "{}",
        same_key[0].message
    );
    assert!(
        same_key[0].message.contains("vitest run --reporter=dot"),
        "{}",
        same_key[0].message
    );
}

#[test]
fn json_different_keys_one_line() {
    let base = "{\"name\": \"web-app\", \"version\": \"1.4.0\", \"private\": true}\n";
    let current = base.replace("web-app", "web-client");
    let incoming = base.replace("1.4.0", "1.5.0");
    let (merged, findings) = merge_and_check("package.json", base, &current, &incoming);

    assert!(findings.is_empty(), "findings: {findings:?}");
    assert!(different_keys_only(
        "package.json",
        base,
        &current,
        &incoming,
        lines(1, 1)
    ));
    assert_eq!(
        merged,
        "{\"name\": \"web-client\", \"version\": \"1.5.0\", \"private\": true}\n"
    );
}

#[test]
fn json_same_key_not_different_keys() {
    let base = "{\"name\": \"web-app\", \"version\": \"1.4.0\"}\n";
    let current = base.replace("1.4.0", "1.5.0");
    let incoming = base.replace("1.4.0", "2.0.0");

    assert!(!different_keys_only(
        "package.json",
        base,
        &current,
        &incoming,
        lines(1, 1)
    ));
}

const CARGO_TOML: &str = r#"[package]
name = "billing"
version = "0.3.0"

[dependencies]
serde = { version = "1.0.190", features = ["derive"] }
tokio = "1.35"
tracing = "0.1"
"#;

#[test]
fn toml_dependency_bumped_differently() {
    let current = CARGO_TOML.replace("1.0.190", "1.0.200");
    let incoming = CARGO_TOML.replace("1.0.190", "1.0.210");
    let (merged, findings) = merge_and_check("Cargo.toml", CARGO_TOML, &current, &incoming);

    assert_eq!(kinds(&findings), ["same-key"], "merged:\n{merged}");
    let same_key = &findings;
    assert_eq!(same_key[0].base_lines, lines(6, 6));
    assert_eq!(same_key[0].merged_lines, lines(6, 7), "merged:\n{merged}");
    assert!(
        same_key[0].message.contains("`dependencies.serde.version`"),
        "{}",
        same_key[0].message
    );
    assert!(
        same_key[0].message.contains("1.0.200"),
        "{}",
        same_key[0].message
    );
    assert!(
        same_key[0].message.contains("1.0.210"),
        "{}",
        same_key[0].message
    );
}

#[test]
fn toml_different_dependencies_bumped() {
    let current = CARGO_TOML.replace("1.0.190", "1.0.200");
    let incoming = CARGO_TOML.replace("\"1.35\"", "\"1.38\"");
    let (_, findings) = merge_and_check("Cargo.toml", CARGO_TOML, &current, &incoming);

    assert!(findings.is_empty(), "findings: {findings:?}");
    assert!(different_keys_only(
        "Cargo.toml",
        CARGO_TOML,
        &current,
        &incoming,
        lines(6, 7)
    ));
}

const COMPOSE_YAML: &str = "services:
  web:
    image: nginx:1.25
    ports:
      - \"8080:80\"
  db:
    image: postgres:16
";

#[test]
fn yaml_nested_key_changed_both_sides() {
    let current = COMPOSE_YAML.replace("nginx:1.25", "nginx:1.27");
    let incoming = COMPOSE_YAML.replace("nginx:1.25", "nginx:1.26-alpine");
    let (merged, findings) = merge_and_check("compose.yaml", COMPOSE_YAML, &current, &incoming);

    assert_eq!(kinds(&findings), ["same-key"], "merged:\n{merged}");
    let same_key = &findings;
    assert_eq!(same_key[0].base_lines, lines(3, 3));
    assert_eq!(same_key[0].merged_lines, lines(3, 4), "merged:\n{merged}");
    assert!(
        same_key[0].message.contains("`services.web.image`"),
        "{}",
        same_key[0].message
    );
}

#[test]
fn yaml_different_nested_keys() {
    let current = COMPOSE_YAML.replace("nginx:1.25", "nginx:1.27");
    let incoming = COMPOSE_YAML.replace("postgres:16", "postgres:17");
    let (_, findings) = merge_and_check("compose.yml", COMPOSE_YAML, &current, &incoming);

    assert!(findings.is_empty(), "findings: {findings:?}");
    assert!(different_keys_only(
        "compose.yml",
        COMPOSE_YAML,
        &current,
        &incoming,
        lines(2, 7)
    ));
    assert!(!different_keys_only(
        "compose.yml",
        COMPOSE_YAML,
        &current,
        &current,
        lines(3, 3)
    ));
}

#[test]
fn json_key_added_twice() {
    let current = PACKAGE_JSON.replace("\"version\"", "\"license\": \"MIT\",\n  \"version\"");
    let incoming =
        PACKAGE_JSON.replace("\"version\"", "\"license\": \"Apache-2.0\",\n  \"version\"");
    let (merged, findings) = merge_and_check("package.json", PACKAGE_JSON, &current, &incoming);

    assert_eq!(
        kinds(&findings),
        ["duplicate-definition"],
        "merged:\n{merged}"
    );
    let second_line = merged
        .lines()
        .position(|line| line.contains("Apache-2.0"))
        .unwrap_or(0)
        + 1;
    assert_eq!(findings[0].merged_lines, lines(second_line, second_line));
    assert_eq!(findings[0].base_lines, lines(3, 2));
    assert!(
        findings[0].message.contains("`license`"),
        "{}",
        findings[0].message
    );
}

#[test]
fn toml_key_added_twice() {
    let current = format!("{CARGO_TOML}anyhow = \"1.0\"\n");
    let incoming = format!("{CARGO_TOML}anyhow = \"1\"\n");
    let (merged, findings) = merge_and_check("Cargo.toml", CARGO_TOML, &current, &incoming);

    assert_eq!(
        kinds(&findings),
        ["duplicate-definition"],
        "merged:\n{merged}"
    );
    assert_eq!(findings[0].merged_lines, lines(10, 10));
    assert!(
        findings[0].message.contains("`dependencies.anyhow`"),
        "{}",
        findings[0].message
    );
}

#[test]
fn yaml_key_added_twice() {
    let current = COMPOSE_YAML.replace("  db:\n", "    restart: always\n  db:\n");
    let incoming = COMPOSE_YAML.replace("  db:\n", "    restart: unless-stopped\n  db:\n");
    let (merged, findings) = merge_and_check("compose.yaml", COMPOSE_YAML, &current, &incoming);

    assert_eq!(
        kinds(&findings),
        ["duplicate-definition"],
        "merged:\n{merged}"
    );
    assert_eq!(findings[0].merged_lines, lines(7, 7));
    assert!(
        findings[0].message.contains("`services.web.restart`"),
        "{}",
        findings[0].message
    );
}

#[test]
fn key_defined_twice_in_base_not_reported() {
    let base = "{\n  \"a\": 1,\n  \"a\": 2,\n  \"b\": 3\n}\n";
    let current = base.replace("\"b\": 3", "\"b\": 4");
    let (_, findings) = merge_and_check("settings.json", base, &current, base);

    assert!(findings.is_empty(), "findings: {findings:?}");
}

#[test]
fn lock_files_regenerate() {
    let cases = [
        ("Cargo.lock", "cargo generate-lockfile"),
        ("web/package-lock.json", "npm install"),
        ("yarn.lock", "yarn install"),
        ("poetry.lock", "poetry lock"),
        ("go.sum", "go mod tidy"),
        ("pnpm-lock.yaml", "pnpm install"),
    ];
    let base = "a 1\nb 1\nc 1\n";
    let current = "a 2\nb 1\nc 1\n";
    let incoming = "a 1\nb 1\nc 2\n";
    for (path, command) in cases {
        let (_, findings) = merge_and_check(path, base, current, incoming);
        assert_eq!(kinds(&findings), ["regenerate"], "{path}");
        assert_eq!(findings[0].severity, "high", "{path}");
        assert_eq!(findings[0].base_lines, lines(1, 3), "{path}");
        assert!(
            findings[0].message.contains(command),
            "{path}: {}",
            findings[0].message
        );
        assert!(
            findings[0].message.contains(path),
            "{path}: {}",
            findings[0].message
        );
    }
}

#[test]
fn lock_file_one_side_no_regenerate() {
    let base = "a 1\n";
    let changed = "a 2\n";

    assert!(structured_findings("Cargo.lock", base, changed, base, changed).is_empty());
    assert!(structured_findings("Cargo.lock", base, base, changed, changed).is_empty());
    assert!(structured_findings("Cargo.lock", base, changed, changed, changed).is_empty());
}

#[test]
fn invalid_text_no_findings() {
    let cases = [
        ("package.json", PACKAGE_JSON, "{\"name\": \"web-app\",, }\n"),
        ("Cargo.toml", CARGO_TOML, "[dependencies\nserde = \n"),
        ("compose.yaml", COMPOSE_YAML, "services: [web:\n  - : :\n"),
    ];
    for (path, base, broken) in cases {
        let (_, findings) = merge_and_check(path, base, broken, base);
        assert!(findings.is_empty(), "{path}: {findings:?}");
        let (_, findings) = merge_and_check(path, broken, broken, broken);
        assert!(findings.is_empty(), "{path}: {findings:?}");
        assert!(
            !different_keys_only(path, base, broken, base, lines(1, 1)),
            "{path}"
        );
    }
}

#[test]
fn other_paths_no_findings() {
    let base = "fn main() {}\n";
    let current = "fn main() { run(); }\n";
    let incoming = "fn main() { stop(); }\n";

    assert!(structured_findings("src/main.rs", base, current, incoming, current).is_empty());
    assert!(!different_keys_only(
        "src/main.rs",
        base,
        current,
        incoming,
        lines(1, 1)
    ));
}
