//! Definitions, changed definitions and syntax-level merge findings on
//! small programs in each supported language.

use weft_engine::merge::{LineRange, merge_texts};
use weft_engine::syntax::{
    DefinitionChange, DefinitionKind, Finding, Language, changed_definitions, innermost_definition,
    language_for_path, outline, syntax_findings,
};

/// One small program per language, with the lines that the tests edit.
struct Fixture {
    path: &'static str,
    base: &'static str,
    /// A line inside the first method, and how messages name that method.
    first_method: (usize, &'static str),
    /// Two lines of the first method, more than three lines apart.
    far_lines: (usize, usize),
    /// A line inside the second method.
    second_method_line: usize,
    /// The first method's header line and a header with one more parameter.
    new_signature: (usize, &'static str),
    /// A line of `main` after which a call of the first method with the old
    /// parameters fits.
    new_call: (usize, &'static str),
    /// The first import's line and another import line.
    new_import: (usize, &'static str),
    /// The line after which a top-level helper fits, and two different
    /// helpers with one name.
    helper: (usize, &'static str, &'static str),
    /// The line of `main`'s header and the header renamed to `run`.
    renamed_main: (usize, &'static str),
    /// The second method's first and last lines, which the removal test
    /// deletes.
    second_method_lines: (usize, usize),
}

const RUST: Fixture = Fixture {
    path: "src/store.rs",
    base: "use std::fs;\n\npub struct Store {\n    root: String,\n}\n\nimpl Store {\n    pub fn load(&self, path: &str) -> (String, usize) {\n        let full = format!(\"{}{path}\", self.root);\n        let text = fs::read_to_string(full).unwrap_or_default();\n        let lines: Vec<&str> = text.lines().collect();\n        let count = lines.len();\n        let first = lines.first().copied().unwrap_or_default();\n        (first.to_owned(), count)\n    }\n\n    pub fn save(&self, path: &str, text: &str) {\n        let full = format!(\"{}{path}\", self.root);\n        fs::write(full, text).ok();\n    }\n}\n\nfn main() {\n    let store = Store { root: String::new() };\n    println!(\"{:?}\", store.load(\"a\"));\n}\n",
    first_method: (10, "method load in Store"),
    far_lines: (9, 14),
    second_method_line: 18,
    new_signature: (
        8,
        "    pub fn load(&self, path: &str, strict: bool) -> (String, usize) {",
    ),
    new_call: (25, "    println!(\"{:?}\", store.load(\"b\"));"),
    new_import: (1, "use std::io;"),
    helper: (
        21,
        "\nfn helper() -> u8 {\n    1\n}",
        "\nfn helper() -> u8 {\n    2\n}",
    ),
    renamed_main: (23, "fn run() {"),
    second_method_lines: (16, 20),
};

const PYTHON: Fixture = Fixture {
    path: "store.py",
    base: "import os\n\n\nclass Store:\n    def load(self, path):\n        full = os.path.join(self.root, path)\n        text = open(full).read()\n        lines = text.splitlines()\n        count = len(lines)\n        first = lines[0]\n        return first, count\n\n    def save(self, path, text):\n        full = os.path.join(self.root, path)\n        with open(full, \"w\") as handle:\n            handle.write(text)\n\n\ndef main():\n    store = Store()\n    print(store.load(\"a\"))\n",
    first_method: (7, "method load in Store"),
    far_lines: (6, 11),
    second_method_line: 15,
    new_signature: (5, "    def load(self, path, encoding):"),
    new_call: (21, "    print(store.load(\"b\"))"),
    new_import: (1, "import sys"),
    helper: (
        17,
        "def helper():\n    return 1\n\n",
        "\n\ndef helper():\n    return 2",
    ),
    renamed_main: (19, "def run():"),
    second_method_lines: (12, 16),
};

const JAVASCRIPT: Fixture = Fixture {
    path: "web/store.js",
    base: "import { readFile } from \"fs\";\n\nclass Store {\n  load(path) {\n    const full = this.root + path;\n    const text = readFile(full);\n    const lines = text.split(\"\\n\");\n    const count = lines.length;\n    const first = lines[0];\n    return [first, count];\n  }\n\n  save(path, text) {\n    const full = this.root + path;\n    writeFile(full, text);\n  }\n}\n\nfunction main() {\n  const store = new Store();\n  console.log(store.load(\"a\"));\n}\n",
    first_method: (6, "method load in Store"),
    far_lines: (5, 10),
    second_method_line: 14,
    new_signature: (4, "  load(path, encoding) {"),
    new_call: (21, "  console.log(store.load(\"b\"));"),
    new_import: (1, "import { writeFile } from \"fs\";"),
    helper: (
        17,
        "\nfunction helper() {\n  return 1;\n}",
        "\nfunction helper() {\n  return 2;\n}",
    ),
    renamed_main: (19, "function run() {"),
    second_method_lines: (12, 16),
};

const TYPESCRIPT: Fixture = Fixture {
    path: "web/store.ts",
    base: "import { readFile } from \"fs\";\n\ninterface Loader {\n  load(path: string): [string, number];\n}\n\nclass Store implements Loader {\n  root = \"\";\n\n  load(path: string): [string, number] {\n    const full = this.root + path;\n    const text: string = readFile(full);\n    const lines = text.split(\"\\n\");\n    const count = lines.length;\n    const first = lines[0];\n    return [first, count];\n  }\n\n  save(path: string, text: string): void {\n    const full = this.root + path;\n    writeFile(full, text);\n  }\n}\n\nfunction main(): void {\n  const store = new Store();\n  console.log(store.load(\"a\"));\n}\n",
    first_method: (12, "method load in Store"),
    far_lines: (11, 16),
    second_method_line: 20,
    new_signature: (
        10,
        "  load(path: string, encoding: string): [string, number] {",
    ),
    new_call: (27, "  console.log(store.load(\"b\"));"),
    new_import: (1, "import { writeFile } from \"fs\";"),
    helper: (
        23,
        "\nfunction helper(): number {\n  return 1;\n}",
        "\nfunction helper(): number {\n  return 2;\n}",
    ),
    renamed_main: (25, "function run(): void {"),
    second_method_lines: (18, 22),
};

const GO: Fixture = Fixture {
    path: "store/store.go",
    base: "package store\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\ntype Store struct {\n\tRoot string\n}\n\nfunc (s *Store) Load(path string) (string, int) {\n\tfull := s.Root + path\n\tdata, _ := os.ReadFile(full)\n\ttext := string(data)\n\tcount := len(text)\n\tfirst := text[:1]\n\treturn first, count\n}\n\nfunc (s *Store) Save(path, text string) error {\n\tfull := s.Root + path\n\treturn os.WriteFile(full, []byte(text), 0o644)\n}\n\nfunc Main() {\n\tstore := &Store{}\n\tfmt.Println(store.Load(\"a\"))\n}\n",
    first_method: (15, "method Load in Store"),
    far_lines: (13, 18),
    second_method_line: 22,
    new_signature: (
        12,
        "func (s *Store) Load(path string, strict bool) (string, int) {",
    ),
    new_call: (28, "\tfmt.Println(store.Load(\"b\"))"),
    new_import: (4, "\t\"io\""),
    helper: (
        24,
        "\nfunc helper() int {\n\treturn 1\n}",
        "\nfunc helper() int {\n\treturn 2\n}",
    ),
    renamed_main: (26, "func Run() {"),
    second_method_lines: (20, 24),
};

fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn join(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Replaces 1-based line `line` with `new`.
fn replace_line(text: &str, line: usize, new: &str) -> String {
    let mut lines = lines_of(text);
    lines[line - 1] = new.to_owned();
    join(&lines)
}

/// Appends `` // edited`` style text to line `line`, in the language's
/// comment syntax, so that the line changes and still parses.
fn touch_line(fixture: &Fixture, line: usize) -> String {
    let comment = if fixture.path.ends_with(".py") {
        "  # edited"
    } else {
        " // edited"
    };
    let mut lines = lines_of(fixture.base);
    lines[line - 1].push_str(comment);
    join(&lines)
}

/// Inserts `new` (one or more lines) after 1-based line `line`; 0 inserts
/// at the top.
fn insert_after(text: &str, line: usize, new: &str) -> String {
    let mut lines = lines_of(text);
    let inserted = lines_of(new);
    lines.splice(line..line, inserted);
    join(&lines)
}

/// Deletes 1-based lines `first..=last`.
fn delete_lines(text: &str, first: usize, last: usize) -> String {
    let mut lines = lines_of(text);
    lines.drain(first - 1..last);
    join(&lines)
}

/// Merges both sides with the engine's merge and returns the findings.
fn findings(fixture: &Fixture, current: &str, incoming: &str) -> Vec<Finding> {
    let merged = merge_texts(fixture.base, current, incoming);
    assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);

    syntax_findings(fixture.path, fixture.base, current, incoming, &merged.text)
}

fn of_kind<'a>(findings: &'a [Finding], kind: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|finding| finding.kind == kind)
        .collect()
}

fn language(fixture: &Fixture) -> Language {
    language_for_path(fixture.path).expect("fixture path has a supported extension")
}

fn check_innermost_definition(fixture: &Fixture) {
    let outline = outline(language(fixture), fixture.base);
    let (line, described) = fixture.first_method;
    let definition = innermost_definition(&outline, line).expect("line is inside a method");
    assert_eq!(definition.describe(), described);
    assert_eq!(definition.kind, DefinitionKind::Method);
    assert!(innermost_definition(&outline, 1).is_none());
}

fn check_same_symbol_in_one_method(fixture: &Fixture) {
    let (first, second) = fixture.far_lines;
    let current = touch_line(fixture, first);
    let incoming = touch_line(fixture, second);
    let found = findings(fixture, &current, &incoming);
    let same = of_kind(&found, "same-symbol");
    assert_eq!(same.len(), 1, "{found:#?}");
    assert_eq!(same[0].severity, "medium");
    assert!(
        same[0].message.contains(fixture.first_method.1),
        "{}",
        same[0].message
    );
    assert!(
        same[0].base_lines.start <= first,
        "{:?}",
        same[0].base_lines
    );
}

fn check_no_same_symbol_across_methods(fixture: &Fixture) {
    let current = touch_line(fixture, fixture.far_lines.0);
    let incoming = touch_line(fixture, fixture.second_method_line);
    let found = findings(fixture, &current, &incoming);
    assert!(of_kind(&found, "same-symbol").is_empty(), "{found:#?}");
}

fn check_no_same_symbol_for_near_lines(fixture: &Fixture) {
    let (first, _) = fixture.far_lines;
    let current = touch_line(fixture, first);
    let incoming = touch_line(fixture, first + 2);
    let found = syntax_findings(fixture.path, fixture.base, &current, &incoming, &current);
    assert!(of_kind(&found, "same-symbol").is_empty(), "{found:#?}");
}

fn check_definition_use(fixture: &Fixture) {
    let (signature_line, signature) = fixture.new_signature;
    let current = replace_line(fixture.base, signature_line, signature);
    let (call_line, call) = fixture.new_call;
    let incoming = insert_after(fixture.base, call_line, call);
    let found = findings(fixture, &current, &incoming);
    let uses = of_kind(&found, "definition-use");
    assert_eq!(uses.len(), 1, "{found:#?}");
    assert_eq!(uses[0].severity, "medium");
    assert_eq!(uses[0].base_lines.start, signature_line);
    let merged = merge_texts(fixture.base, &current, &incoming).text;
    let merged_line = merged.lines().nth(uses[0].merged_lines.start - 1);
    assert_eq!(merged_line, Some(call), "{:?}", uses[0].merged_lines);
    assert!(uses[0].message.contains("signature"), "{}", uses[0].message);
    assert!(
        uses[0].message.contains(fixture.first_method.1),
        "{}",
        uses[0].message
    );
}

fn check_no_definition_use_without_call(fixture: &Fixture) {
    let (signature_line, signature) = fixture.new_signature;
    let current = replace_line(fixture.base, signature_line, signature);
    let incoming = touch_line(fixture, fixture.second_method_line);
    let found = findings(fixture, &current, &incoming);
    assert!(of_kind(&found, "definition-use").is_empty(), "{found:#?}");
}

fn check_duplicate_import(fixture: &Fixture) {
    let (import_line, import) = fixture.new_import;
    let current = insert_after(fixture.base, import_line, import);
    let incoming = insert_after(fixture.base, import_line - 1, import);
    let found = findings(fixture, &current, &incoming);
    let duplicates = of_kind(&found, "duplicate-definition");
    assert_eq!(duplicates.len(), 1, "{found:#?}");
    assert_eq!(duplicates[0].severity, "high");
    assert_eq!(duplicates[0].merged_lines.start, import_line + 2);
    assert!(
        duplicates[0].message.contains(import.trim()),
        "{}",
        duplicates[0].message
    );
}

fn check_duplicate_function(fixture: &Fixture) {
    let (after, first, second) = fixture.helper;
    let current = insert_after(fixture.base, after, first);
    let end = fixture.base.lines().count();
    let incoming = insert_after(fixture.base, end, second);
    let found = findings(fixture, &current, &incoming);
    let duplicates = of_kind(&found, "duplicate-definition");
    assert_eq!(duplicates.len(), 1, "{found:#?}");
    assert!(
        duplicates[0].message.contains("function helper"),
        "{}",
        duplicates[0].message
    );
    let merged = merge_texts(fixture.base, &current, &incoming).text;
    let second_copy = merged.lines().nth(duplicates[0].merged_lines.end - 1);
    assert!(second_copy.is_some_and(|line| line.contains('}') || line.contains("return 2")));
}

fn check_changed_definitions(fixture: &Fixture) {
    let language = language(fixture);
    let (signature_line, signature) = fixture.new_signature;
    let (main_line, renamed) = fixture.renamed_main;
    let (first, last) = fixture.second_method_lines;
    let side = replace_line(fixture.base, signature_line, signature);
    let side = replace_line(&side, main_line, renamed);
    let side = delete_lines(&side, first, last);

    let changes = changed_definitions(language, fixture.base, &side);
    let summary: Vec<(&str, &DefinitionChange)> = changes
        .iter()
        .map(|changed| (changed.name.as_str(), &changed.change))
        .collect();
    let method = fixture.first_method.1.split(' ').nth(1).unwrap_or_default();
    let second = &fixture.base.lines().nth(first).unwrap_or_default();
    assert!(
        summary.contains(&(method, &DefinitionChange::SignatureChanged)),
        "{summary:?}"
    );
    assert!(
        summary
            .iter()
            .any(|(name, change)| **change == DefinitionChange::Removed
                && second.contains(&format!("{name}("))),
        "{summary:?} (removed method on line {})",
        first + 1
    );
    let to = if language == Language::Go {
        "Run"
    } else {
        "run"
    };
    let main = if language == Language::Go {
        "Main"
    } else {
        "main"
    };
    let rename = DefinitionChange::Renamed { to: to.to_owned() };
    assert!(summary.contains(&(main, &rename)), "{summary:?}");
    assert_eq!(changes.len(), 3, "{summary:?}");
}

fn check_unchanged_text_has_no_findings(fixture: &Fixture) {
    let base = fixture.base;
    assert!(syntax_findings(fixture.path, base, base, base, base).is_empty());
    assert!(changed_definitions(language(fixture), base, base).is_empty());
}

macro_rules! language_tests {
    ($module:ident, $fixture:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn innermost_definition_is_method() {
                check_innermost_definition(&$fixture);
            }

            #[test]
            fn same_symbol_in_one_method() {
                check_same_symbol_in_one_method(&$fixture);
            }

            #[test]
            fn no_same_symbol_across_methods() {
                check_no_same_symbol_across_methods(&$fixture);
            }

            #[test]
            fn no_same_symbol_for_near_lines() {
                check_no_same_symbol_for_near_lines(&$fixture);
            }

            #[test]
            fn definition_use_on_new_call() {
                check_definition_use(&$fixture);
            }

            #[test]
            fn no_definition_use_without_call() {
                check_no_definition_use_without_call(&$fixture);
            }

            #[test]
            fn duplicate_import() {
                check_duplicate_import(&$fixture);
            }

            #[test]
            fn duplicate_function() {
                check_duplicate_function(&$fixture);
            }

            #[test]
            fn changed_definitions_kinds() {
                check_changed_definitions(&$fixture);
            }

            #[test]
            fn unchanged_text_has_no_findings() {
                check_unchanged_text_has_no_findings(&$fixture);
            }
        }
    };
}

language_tests!(rust, RUST);
language_tests!(python, PYTHON);
language_tests!(javascript, JAVASCRIPT);
language_tests!(typescript, TYPESCRIPT);
language_tests!(go, GO);

#[test]
fn other_languages_have_no_findings() {
    let found = syntax_findings("notes.txt", "a\n", "b\n", "a\nc\n", "b\nc\n");
    assert!(found.is_empty());
}

#[test]
fn tsx_parses_components() {
    let text = "export function App(props: Props) {\n  return <div>{props.name}</div>;\n}\n";
    let outline = outline(Language::Tsx, text);
    assert_eq!(outline.definitions.len(), 1);
    assert_eq!(
        outline.definitions[0].signature,
        "function App(props: Props)"
    );
    assert_eq!(outline.definitions[0].lines, LineRange { start: 1, end: 3 });
}

#[test]
fn parse_errors_keep_other_definitions() {
    let text =
        "def good(a):\n    return a\n\ndef broken(:\n    pass\n\ndef later(b):\n    return b\n";
    let outline = outline(Language::Python, text);
    let names: Vec<&str> = outline
        .definitions
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert!(names.contains(&"good"), "{names:?}");
    assert!(names.contains(&"later"), "{names:?}");
}
