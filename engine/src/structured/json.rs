//! Key entries of a JSON text, with comments allowed (as in JSONC).

use tree_sitter::Node;

use super::KeyEntry;
use super::tree::{lines_of, normalize, parse, source, unquote_double};

/// Returns every member of every object in `text`, or `None` when the text
/// does not parse.
pub(super) fn entries(text: &str) -> Option<Vec<KeyEntry>> {
    let tree = parse(tree_sitter_json::LANGUAGE.into(), text)?;
    let mut entries = Vec::new();
    let mut path = Vec::new();
    let root = tree.root_node();
    let mut cursor = root.walk();
    for value in root.named_children(&mut cursor) {
        walk_value(value, text, &mut path, &mut entries);
    }
    Some(entries)
}

fn walk_value(node: Node, text: &str, path: &mut Vec<String>, entries: &mut Vec<KeyEntry>) {
    let mut cursor = node.walk();
    match node.kind() {
        "object" => {
            for pair in node
                .named_children(&mut cursor)
                .filter(|n| n.kind() == "pair")
            {
                let (Some(key), Some(value)) = (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ) else {
                    continue;
                };
                path.push(unquote_double(source(key, text)));
                entries.push(KeyEntry {
                    path: path.clone(),
                    lines: lines_of(pair),
                    value: normalize(source(value, text)),
                });
                walk_value(value, text, path, entries);
                path.pop();
            }
        }
        "array" => {
            let elements = node
                .named_children(&mut cursor)
                .filter(|n| n.kind() != "comment");
            for (index, element) in elements.enumerate() {
                path.push(index.to_string());
                walk_value(element, text, path, entries);
                path.pop();
            }
        }
        _ => {}
    }
}
