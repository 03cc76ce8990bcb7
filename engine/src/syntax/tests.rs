use super::lines::LineDiff;
use super::*;

fn range(start: usize, end: usize) -> LineRange {
    LineRange { start, end }
}

#[test]
fn language_for_path_reads_extensions() {
    assert_eq!(language_for_path("src/lib.rs"), Some(Language::Rust));
    assert_eq!(language_for_path("a/b.py"), Some(Language::Python));
    assert_eq!(language_for_path("x.mjs"), Some(Language::JavaScript));
    assert_eq!(language_for_path("x.jsx"), Some(Language::JavaScript));
    assert_eq!(language_for_path("x.cts"), Some(Language::TypeScript));
    assert_eq!(language_for_path("x.tsx"), Some(Language::Tsx));
    assert_eq!(language_for_path("main.go"), Some(Language::Go));
    assert_eq!(language_for_path("Makefile"), None);
    assert_eq!(language_for_path("dir.rs/README"), None);
    assert_eq!(language_for_path("notes.txt"), None);
}

#[test]
fn rust_signature_omits_body_and_spacing() {
    let text =
        "impl Config {\n    pub fn parse(\n        a: u8,\n    ) -> u8 {\n        a\n    }\n}\n";
    let outline = outline(Language::Rust, text);
    let method = &outline.definitions[1];
    assert_eq!(method.kind, DefinitionKind::Method);
    assert_eq!(method.signature, "pub fn parse( a: u8, ) -> u8");
    assert_eq!(method.scope, ["Config"]);
    assert_eq!(method.lines, range(2, 6));
}

#[test]
fn rust_trait_impl_is_named_with_trait() {
    let text = "impl<T> fmt::Display for Wrapper<T> {\n    fn fmt(&self) {}\n}\n";
    let outline = outline(Language::Rust, text);
    assert_eq!(outline.definitions[0].name, "fmt::Display for Wrapper");
    assert_eq!(outline.definitions[1].scope, ["fmt::Display for Wrapper"]);
}

#[test]
fn python_decorator_belongs_to_definition() {
    let text = "class A:\n    @property\n    def x(self):\n        return 1\n";
    let outline = outline(Language::Python, text);
    let method = &outline.definitions[1];
    assert_eq!(method.signature, "def x(self)");
    assert_eq!(method.lines, range(2, 4));
    assert!(method.wrapped);
}

#[test]
fn go_type_spec_kind_follows_type() {
    let text =
        "package p\n\ntype S struct {\n\tA int\n}\n\ntype I interface {\n\tM()\n}\n\ntype N int\n";
    let outline = outline(Language::Go, text);
    let kinds: Vec<(DefinitionKind, &str)> = outline
        .definitions
        .iter()
        .map(|definition| (definition.kind, definition.signature.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (DefinitionKind::Struct, "type S"),
            (DefinitionKind::Interface, "type I"),
            (DefinitionKind::Type, "type N"),
        ]
    );
}

#[test]
fn javascript_arrow_function_is_function() {
    let text = "const add = (a, b) => {\n  return a + b;\n};\nconst limit = 3;\n";
    let outline = outline(Language::JavaScript, text);
    assert_eq!(outline.definitions.len(), 1);
    assert_eq!(outline.definitions[0].name, "add");
    assert_eq!(outline.definitions[0].signature, "add = (a, b)");
}

#[test]
fn referenced_names_skip_definition_names() {
    let text = "fn helper(x: Config) -> u8 {\n    other(x.value)\n}\n";
    let names = referenced_names(Language::Rust, text, &[range(1, 2)]);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(names, ["Config", "other", "value", "x"]);
}

#[test]
fn referenced_names_ignore_other_lines() {
    let text = "a()\nb()\nc()\n";
    let names = referenced_names(Language::Python, text, &[range(2, 2), range(4, 3)]);
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["b"]);
}

#[test]
fn line_diff_maps_both_ways() {
    let diff = LineDiff::new("a\nb\nc\n", "a\nx\ny\nc\n");
    assert_eq!(diff.map_old_to_new(range(3, 3)), range(4, 4));
    assert_eq!(diff.map_old_to_new(range(2, 2)), range(2, 3));
    assert_eq!(diff.map_new_to_old(range(3, 3)), range(2, 2));
    assert_eq!(diff.map_old_to_new(range(4, 3)), range(5, 4));
}

#[test]
fn line_diff_maps_insertions_to_points() {
    let diff = LineDiff::new("a\nc\n", "a\nb\nc\n");
    assert_eq!(diff.map_new_to_old(range(2, 2)), range(2, 1));
}
