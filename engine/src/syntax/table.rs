//! The shape of a per-language table: which tree-sitter node kinds are
//! definitions, imports and identifiers, and which fields hold a
//! definition's name and body.

use tree_sitter::Node;

use super::DefinitionKind;

/// The node kinds that the outline of one language reads.
pub(super) struct LanguageTable {
    /// Node kinds that define something, with how to read each one.
    pub definitions: &'static [DefinitionRule],
    /// Node kinds whose whitespace-normalized text is one import, such as
    /// Rust `use_declaration` or Go `import_spec`.
    pub imports: &'static [&'static str],
    /// Node kinds whose text is a name that code refers to: identifiers,
    /// type identifiers, field and property identifiers.
    pub identifiers: &'static [&'static str],
    /// Node kinds that wrap one definition and belong to its lines, such as
    /// a Python `decorated_definition`.
    pub wrappers: &'static [&'static str],
}

/// How to read one definition node kind.
pub(super) struct DefinitionRule {
    /// The tree-sitter node kind, such as `function_item`.
    pub node: &'static str,
    /// The kind of definition. A `Function` inside a class, impl, trait or
    /// interface is reported as a `Method`.
    pub kind: DefinitionKind,
    /// The field that contains the name, such as `name`.
    pub name_field: &'static str,
    /// The field that contains the body, or `""` when the node has none. The
    /// signature is the node's text before the body.
    pub body_field: &'static str,
    /// A language-specific step that corrects the header read from the
    /// fields, or returns false when this node is not a definition after all
    /// (a JavaScript variable whose value is not a function).
    pub adjust: Option<fn(Node<'_>, &str, &mut Header) -> bool>,
}

/// The parts of a definition read from its node before it is placed in the
/// outline.
pub(super) struct Header {
    /// The kind of definition.
    pub kind: DefinitionKind,
    /// The defined name.
    pub name: String,
    /// Byte offset where the signature text ends (the body's start, or the
    /// node's end when it has no body).
    pub signature_end: usize,
    /// Text put before the signature when the node itself does not contain
    /// the keyword, such as `type` for a Go `type_spec`.
    pub signature_prefix: &'static str,
    /// The scope to use in place of the enclosing definitions, such as the
    /// receiver type of a Go method.
    pub scope: Option<Vec<String>>,
}

/// Returns the text of `node` in `source`.
pub(super) fn node_text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

/// Builds a [`DefinitionRule`], so that a table fits one rule on a line.
pub(super) const fn rule(
    node: &'static str,
    kind: DefinitionKind,
    name_field: &'static str,
    body_field: &'static str,
    adjust: Option<fn(Node<'_>, &str, &mut Header) -> bool>,
) -> DefinitionRule {
    DefinitionRule {
        node,
        kind,
        name_field,
        body_field,
        adjust,
    }
}
