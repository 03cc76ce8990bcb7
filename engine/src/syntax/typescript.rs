//! The TypeScript and TSX table (tree-sitter-typescript 0.23): the
//! JavaScript kinds plus interfaces, type aliases, enums, namespaces and
//! body-less signatures.

use super::DefinitionKind::{Class, Enum, Function, Interface, Method, Module, Type};
use super::javascript::function_value;
use super::table::{LanguageTable, rule};

/// TypeScript definitions, imports and identifiers. TSX uses the same node
/// kinds.
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
        rule("function_signature", Function, "name", "", None),
        rule("class_declaration", Class, "name", "body", None),
        rule("abstract_class_declaration", Class, "name", "body", None),
        rule("method_definition", Method, "name", "body", None),
        rule("method_signature", Method, "name", "", None),
        rule("abstract_method_signature", Method, "name", "", None),
        rule(
            "variable_declarator",
            Function,
            "name",
            "",
            Some(function_value),
        ),
        rule("interface_declaration", Interface, "name", "body", None),
        rule("type_alias_declaration", Type, "name", "", None),
        rule("enum_declaration", Enum, "name", "body", None),
        rule("internal_module", Module, "name", "body", None),
        rule("module", Module, "name", "body", None),
    ],
    imports: &["import_statement"],
    identifiers: &[
        "identifier",
        "property_identifier",
        "shorthand_property_identifier",
        "type_identifier",
    ],
    wrappers: &[],
};
