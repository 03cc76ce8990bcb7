//! Key entries of a TOML text.
//!
//! A `[table]` header is an entry whose lines run from the header to its
//! last key, and whose value is the text of its keys. The `n`-th
//! `[[array]]` table contributes its keys under the path `array`, `n`. A
//! dotted key such as `a.b = 1` is one entry with the path `a`, `b`.

use std::collections::HashMap;

use tree_sitter::Node;

use super::KeyEntry;
use super::tree::{
    lines_between, lines_of, normalize, parse, source, strip_quotes, unquote_double,
};

/// Returns every key of every table in `text`, or `None` when the text does
/// not parse.
pub(super) fn entries(text: &str) -> Option<Vec<KeyEntry>> {
    let tree = parse(tree_sitter_toml_ng::LANGUAGE.into(), text)?;
    let mut entries = Vec::new();
    let mut array_lengths: HashMap<Vec<String>, usize> = HashMap::new();
    let root = tree.root_node();
    let mut cursor = root.walk();
    for node in root.named_children(&mut cursor) {
        match node.kind() {
            "pair" => walk_pair(node, text, &mut Vec::new(), &mut entries),
            "table" | "table_array_element" => {
                walk_table(node, text, &mut array_lengths, &mut entries);
            }
            _ => {}
        }
    }
    Some(entries)
}

fn walk_table(
    table: Node,
    text: &str,
    array_lengths: &mut HashMap<Vec<String>, usize>,
    entries: &mut Vec<KeyEntry>,
) {
    let mut cursor = table.walk();
    let children: Vec<Node> = table.named_children(&mut cursor).collect();
    let Some((header, body)) = children.split_first() else {
        return;
    };
    let mut path = key_path(*header, text);
    let pairs: Vec<Node> = body
        .iter()
        .copied()
        .filter(|n| n.kind() == "pair")
        .collect();

    if table.kind() == "table_array_element" {
        let length = array_lengths.entry(path.clone()).or_insert(0);
        path.push(length.to_string());
        *length += 1;
    } else {
        let last = pairs.last().copied().unwrap_or(*header);
        let value = pairs
            .iter()
            .map(|pair| source(*pair, text))
            .collect::<Vec<_>>()
            .join("\n");
        entries.push(KeyEntry {
            path: path.clone(),
            lines: lines_between(table, last),
            value: normalize(&value),
        });
    }

    for pair in pairs {
        walk_pair(pair, text, &mut path, entries);
    }
}

fn walk_pair(pair: Node, text: &str, path: &mut Vec<String>, entries: &mut Vec<KeyEntry>) {
    let (Some(key), Some(value)) = (pair.named_child(0), pair.named_child(1)) else {
        return;
    };
    let depth = path.len();
    path.extend(key_path(key, text));
    entries.push(KeyEntry {
        path: path.clone(),
        lines: lines_of(pair),
        value: normalize(source(value, text)),
    });
    walk_value(value, text, path, entries);
    path.truncate(depth);
}

fn walk_value(node: Node, text: &str, path: &mut Vec<String>, entries: &mut Vec<KeyEntry>) {
    let mut cursor = node.walk();
    match node.kind() {
        "inline_table" => {
            for pair in node
                .named_children(&mut cursor)
                .filter(|n| n.kind() == "pair")
            {
                walk_pair(pair, text, path, entries);
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

/// Returns the parts of a bare, quoted or dotted key, unquoted.
fn key_path(key: Node, text: &str) -> Vec<String> {
    match key.kind() {
        "dotted_key" => {
            let mut cursor = key.walk();
            key.named_children(&mut cursor)
                .flat_map(|part| key_path(part, text))
                .collect()
        }
        "quoted_key" => {
            let raw = source(key, text);
            let unquoted = if raw.starts_with('"') {
                unquote_double(raw)
            } else {
                strip_quotes(raw).to_string()
            };
            vec![unquoted]
        }
        _ => vec![source(key, text).to_string()],
    }
}
