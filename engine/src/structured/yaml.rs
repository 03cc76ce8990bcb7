//! Key entries of a YAML text.
//!
//! A stream of several documents prefixes each path with the document's
//! index, so that the same key in two documents is not a duplicate.

use tree_sitter::Node;

use super::KeyEntry;
use super::tree::{lines_of, normalize, parse, source, strip_quotes, unquote_double};

/// Returns every key of every mapping in `text`, or `None` when the text
/// does not parse.
pub(super) fn entries(text: &str) -> Option<Vec<KeyEntry>> {
    let tree = parse(tree_sitter_yaml::LANGUAGE.into(), text)?;
    let root = tree.root_node();
    let mut cursor = root.walk();
    let documents: Vec<Node> = root
        .named_children(&mut cursor)
        .filter(|n| n.kind() == "document")
        .collect();

    let mut entries = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        let mut path = Vec::new();
        if documents.len() > 1 {
            path.push(index.to_string());
        }
        walk_node(*document, text, &mut path, &mut entries);
    }
    Some(entries)
}

/// Walks a node of any kind: the mappings and sequences below it are found
/// through wrapper nodes (`document`, `block_node`, `flow_node`,
/// `block_sequence_item`) and next to anchors and tags.
fn walk_node(node: Node, text: &str, path: &mut Vec<String>, entries: &mut Vec<KeyEntry>) {
    let mut cursor = node.walk();
    match node.kind() {
        "block_mapping" | "flow_mapping" => {
            for pair in node.named_children(&mut cursor) {
                walk_pair(pair, text, path, entries);
            }
        }
        "block_sequence" | "flow_sequence" => {
            let items = node
                .named_children(&mut cursor)
                .filter(|n| n.kind() != "comment");
            for (index, item) in items.enumerate() {
                path.push(index.to_string());
                walk_node(item, text, path, entries);
                path.pop();
            }
        }
        // A single `key: value` pair inside a flow sequence is a mapping.
        "flow_pair" => walk_pair(node, text, path, entries),
        "document" | "block_node" | "flow_node" | "block_sequence_item" => {
            for child in node.named_children(&mut cursor) {
                walk_node(child, text, path, entries);
            }
        }
        _ => {}
    }
}

fn walk_pair(pair: Node, text: &str, path: &mut Vec<String>, entries: &mut Vec<KeyEntry>) {
    let (key, value) = match pair.kind() {
        "block_mapping_pair" | "flow_pair" => (
            pair.child_by_field_name("key"),
            pair.child_by_field_name("value"),
        ),
        // `{a, b}` lists keys without values.
        "flow_node" => (Some(pair), None),
        _ => return,
    };
    let Some(key) = key else {
        return;
    };
    path.push(key_text(key, text));
    entries.push(KeyEntry {
        path: path.clone(),
        lines: lines_of(pair),
        value: value
            .map(|v| normalize(source(v, text)))
            .unwrap_or_default(),
    });
    if let Some(value) = value {
        walk_node(value, text, path, entries);
    }
    path.pop();
}

/// Returns the key's scalar unquoted, without its tag or anchor, or the
/// key's whole text for a complex key.
fn key_text(key: Node, text: &str) -> String {
    let mut cursor = key.walk();
    let scalar = key
        .named_children(&mut cursor)
        .find(|n| n.kind().ends_with("_scalar"));
    let Some(scalar) = scalar else {
        return normalize(source(key, text));
    };
    let raw = source(scalar, text);
    match scalar.kind() {
        "double_quote_scalar" => unquote_double(raw),
        "single_quote_scalar" => strip_quotes(raw).replace("''", "'"),
        _ => normalize(raw),
    }
}
