//! One parse of a text, and the outline and referenced names read from its
//! tree.

use std::collections::BTreeSet;

use tree_sitter::{Node, Parser, Tree};

use super::table::{Header, LanguageTable, node_text};
use super::{Definition, DefinitionKind, Language, Outline};
use crate::merge::LineRange;

/// A text parsed once, with its outline.
pub(super) struct Parsed<'a> {
    pub text: &'a str,
    pub table: &'static LanguageTable,
    pub tree: Option<Tree>,
    pub outline: Outline,
}

impl<'a> Parsed<'a> {
    /// Parses `text` and reads its outline. A text that tree-sitter cannot
    /// parse at all (it returns no tree only when cancelled or given an
    /// incompatible grammar) has an empty outline.
    pub(super) fn new(language: Language, text: &'a str) -> Self {
        let table = language.table();
        let (tree, outline) = super::cache::parse_cached(language, text, || {
            let mut parser = Parser::new();
            let tree = match parser.set_language(&language.grammar()) {
                Ok(()) => parser.parse(text, None),
                Err(error) => {
                    tracing::warn!(?language, %error, "tree-sitter grammar rejected");
                    None
                }
            };
            let outline = match &tree {
                Some(tree) => read_outline(table, tree.root_node(), text),
                None => Outline::default(),
            };
            (tree, outline)
        });
        Self {
            text,
            table,
            tree,
            outline,
        }
    }

    /// Returns the identifiers that start on `lines`, except the names of
    /// definitions. Only the subtrees that reach those lines are visited.
    pub(super) fn referenced_names(&self, lines: &[LineRange]) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let Some(tree) = &self.tree else {
            return names;
        };
        let rows: Vec<(usize, usize)> = lines
            .iter()
            .filter(|range| range.end >= range.start && range.start > 0)
            .map(|range| (range.start - 1, range.end - 1))
            .collect();
        if rows.is_empty() {
            return names;
        }

        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            let (first, last) = (node.start_position().row, node.end_position().row);
            if !rows
                .iter()
                .any(|&(start, end)| first <= end && start <= last)
            {
                continue;
            }
            if self.table.identifiers.contains(&node.kind()) {
                let on_lines = rows
                    .iter()
                    .any(|&(start, end)| (start..=end).contains(&first));
                if on_lines && !is_definition_name(self.table, node) {
                    names.insert(node_text(node, self.text).to_owned());
                }
                continue;
            }
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        names
    }
}

/// Returns whether `node` is the name field of a definition node.
fn is_definition_name(table: &LanguageTable, node: Node<'_>) -> bool {
    let Some(parent) = node.parent() else {
        return false;
    };
    table.definitions.iter().any(|rule| {
        rule.node == parent.kind()
            && parent
                .child_by_field_name(rule.name_field)
                .is_some_and(|name| name.id() == node.id())
    })
}

/// A definition whose node the walk is still inside.
struct Open {
    node_id: usize,
    name: String,
    kind: DefinitionKind,
}

/// Walks the whole tree once, without recursion so that deeply nested code
/// cannot overflow the stack, and collects definitions and imports.
fn read_outline(table: &LanguageTable, root: Node<'_>, text: &str) -> Outline {
    let mut outline = Outline::default();
    let mut open: Vec<Open> = Vec::new();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if table.imports.contains(&node.kind()) {
            let line = node.start_position().row + 1;
            outline
                .imports
                .push((line, normalize(node_text(node, text))));
        } else if let Some(definition) = read_definition(table, node, text, &open) {
            open.push(Open {
                node_id: node.id(),
                name: definition.name.clone(),
                kind: definition.kind,
            });
            outline.definitions.push(definition);
        }

        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if open
                .last()
                .is_some_and(|last| last.node_id == cursor.node().id())
            {
                open.pop();
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return outline;
            }
        }
    }
}

/// Reads `node` as a definition when the table has a rule for its kind.
fn read_definition(
    table: &LanguageTable,
    node: Node<'_>,
    text: &str,
    open: &[Open],
) -> Option<Definition> {
    let rule = table
        .definitions
        .iter()
        .find(|rule| rule.node == node.kind())?;
    let name_node = node.child_by_field_name(rule.name_field)?;
    let body = if rule.body_field.is_empty() {
        None
    } else {
        node.child_by_field_name(rule.body_field)
    };
    let mut header = Header {
        kind: rule.kind,
        name: node_text(name_node, text).to_owned(),
        signature_end: body.map_or(node.end_byte(), |body| body.start_byte()),
        signature_prefix: "",
        scope: None,
    };
    if let Some(adjust) = rule.adjust
        && !adjust(node, text, &mut header)
    {
        return None;
    }

    let enclosing = open.last().map(|last| last.kind);
    if header.kind == DefinitionKind::Function
        && enclosing.is_some_and(DefinitionKind::contains_methods)
    {
        header.kind = DefinitionKind::Method;
    }
    let wrapper = node
        .parent()
        .filter(|parent| table.wrappers.contains(&parent.kind()));
    let start_row = wrapper.unwrap_or(node).start_position().row;
    let signature_text = &text[node.start_byte()..header.signature_end.max(node.start_byte())];

    Some(Definition {
        kind: header.kind,
        name: header.name,
        lines: LineRange {
            start: start_row + 1,
            end: node.end_position().row + 1,
        },
        signature: signature(header.signature_prefix, signature_text),
        scope: header
            .scope
            .unwrap_or_else(|| open.iter().map(|entry| entry.name.clone()).collect()),
        wrapped: wrapper.is_some(),
        // A rule without a body field covers a whole node, except the
        // body-less declarations, which these grammars name `*signature*`.
        has_body: match rule.body_field {
            "" => !rule.node.contains("signature"),
            _ => body.is_some(),
        },
    })
}

/// Collapses each run of whitespace to one space and trims the ends.
pub(super) fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds a signature from the header text: whitespace-normalized, without
/// a trailing `{`, `:`, `;`, `=` or `=>`.
fn signature(prefix: &str, header_text: &str) -> String {
    let mut signature = format!("{prefix}{}", normalize(header_text));
    loop {
        let trimmed = signature
            .trim_end()
            .trim_end_matches(['{', ':', ';'])
            .trim_end_matches("=>")
            .trim_end_matches('=')
            .trim_end();
        if trimmed.len() == signature.len() {
            return signature;
        }
        signature.truncate(trimmed.len());
    }
}
