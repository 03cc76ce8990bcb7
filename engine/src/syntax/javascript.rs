//! The JavaScript table (tree-sitter-javascript 0.25), and the parts that
//! the TypeScript table shares with it.

use tree_sitter::Node;

use super::DefinitionKind::{Class, Function, Method};
use super::table::{Header, LanguageTable, rule};

/// JavaScript definitions, imports and identifiers. A `const f = () => …`
/// or `const f = function …` counts as a function named `f`.
pub(super) const TABLE: LanguageTable = LanguageTable {
    definitions: &[
        rule("function_declaration", Function, "name", "body", None),
        rule(
            "generator_function_declaration",
            Function,
            "name",
            "body",
            None,
        ),
        rule("class_declaration", Class, "name", "body", None),
        rule("method_definition", Method, "name", "body", None),
        rule(
            "variable_declarator",
            Function,
            "name",
            "",
            Some(function_value),
        ),
    ],
    imports: &["import_statement"],
    identifiers: IDENTIFIERS,
    wrappers: &[],
};

/// JavaScript identifier kinds: plain names, `obj.name` properties and
/// `{ name }` shorthand properties.
pub(super) const IDENTIFIERS: &[&str] = &[
    "identifier",
    "property_identifier",
    "shorthand_property_identifier",
];

/// Keeps a variable declarator only when its value is a function, and ends
/// its signature where the function's body starts.
pub(super) fn function_value(node: Node<'_>, _source: &str, header: &mut Header) -> bool {
    let Some(value) = node.child_by_field_name("value") else {
        return false;
    };
    let is_function = matches!(
        value.kind(),
        "arrow_function" | "function_expression" | "generator_function"
    );
    let named = node
        .child_by_field_name("name")
        .is_some_and(|name| name.kind() == "identifier");
    if !is_function || !named {
        return false;
    }
    if let Some(body) = value.child_by_field_name("body") {
        header.signature_end = body.start_byte();
    }
    true
}
