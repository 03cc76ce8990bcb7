//! The Rust table (tree-sitter-rust 0.24).

use tree_sitter::Node;

use super::DefinitionKind::{Enum, Function, Impl, Module, Struct, Trait, Type};
use super::table::{Header, LanguageTable, node_text, rule};

/// Rust definitions, `use` declarations and identifiers.
pub(super) const TABLE: LanguageTable = LanguageTable {
    definitions: &[
        rule("function_item", Function, "name", "body", None),
        rule("function_signature_item", Function, "name", "", None),
        rule("impl_item", Impl, "type", "body", Some(name_impl)),
        rule("struct_item", Struct, "name", "body", None),
        rule("union_item", Struct, "name", "body", None),
        rule("enum_item", Enum, "name", "body", None),
        rule("trait_item", Trait, "name", "body", None),
        rule("mod_item", Module, "name", "body", None),
        rule("type_item", Type, "name", "", None),
    ],
    imports: &["use_declaration"],
    identifiers: &["identifier", "type_identifier", "field_identifier"],
    wrappers: &[],
};

/// Names an impl block by its type without generic arguments, and a trait
/// impl as `Trait for Type`, so that `impl Display for X` and `impl Debug
/// for X` are different scopes.
fn name_impl(node: Node<'_>, source: &str, header: &mut Header) -> bool {
    let type_name = without_generics(&header.name);
    header.name = match node.child_by_field_name("trait") {
        Some(trait_node) => format!(
            "{} for {type_name}",
            without_generics(node_text(trait_node, source))
        ),
        None => type_name.to_owned(),
    };
    true
}

fn without_generics(name: &str) -> &str {
    name.split('<').next().unwrap_or(name).trim()
}
