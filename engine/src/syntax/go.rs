//! The Go table (tree-sitter-go 0.25).

use tree_sitter::Node;

use super::DefinitionKind::{Function, Interface, Method, Struct, Type};
use super::table::{DefinitionRule, Header, LanguageTable, node_text};

/// Go declarations, import specs and identifiers.
pub(super) const TABLE: LanguageTable = LanguageTable {
    definitions: &[
        DefinitionRule {
            node: "function_declaration",
            kind: Function,
            name_field: "name",
            body_field: "body",
            adjust: None,
        },
        DefinitionRule {
            node: "method_declaration",
            kind: Method,
            name_field: "name",
            body_field: "body",
            adjust: Some(scope_by_receiver),
        },
        DefinitionRule {
            node: "type_spec",
            kind: Type,
            name_field: "name",
            body_field: "",
            adjust: Some(classify_type_spec),
        },
        DefinitionRule {
            node: "type_alias",
            kind: Type,
            name_field: "name",
            body_field: "",
            adjust: Some(classify_type_spec),
        },
    ],
    imports: &["import_spec"],
    identifiers: &[
        "identifier",
        "field_identifier",
        "type_identifier",
        "package_identifier",
    ],
    wrappers: &[],
};

/// Puts a method in the scope of its receiver's type (`*Server` and
/// `Server` both give `Server`), because Go methods are declared outside
/// the type.
fn scope_by_receiver(node: Node<'_>, source: &str, header: &mut Header) -> bool {
    let Some(receiver) = node.child_by_field_name("receiver") else {
        return true;
    };
    let mut cursor = receiver.walk();
    let type_name = receiver
        .named_children(&mut cursor)
        .filter_map(|parameter| parameter.child_by_field_name("type"))
        .map(|type_node| node_text(type_node, source))
        .next();
    if let Some(type_name) = type_name {
        let bare = type_name.trim_start_matches('*');
        let bare = bare.split('[').next().unwrap_or(bare).trim();
        header.scope = Some(vec![bare.to_owned()]);
    }
    true
}

/// Reads a struct or an interface from the type a `type_spec` declares, and
/// keeps the signature at `type Name` so that a new field is not a new
/// signature.
fn classify_type_spec(node: Node<'_>, _source: &str, header: &mut Header) -> bool {
    let declared = node.child_by_field_name("type");
    header.kind = match declared.map(|declared| declared.kind()) {
        Some("struct_type") => Struct,
        Some("interface_type") => Interface,
        _ => Type,
    };
    if let Some(name) = node.child_by_field_name("name") {
        header.signature_end = name.end_byte();
    }
    header.signature_prefix = "type ";
    true
}
