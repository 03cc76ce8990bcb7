//! Helpers shared by the format walkers: parsing with tree-sitter, line
//! ranges of syntax nodes and value text.

use tree_sitter::{Language, Node, Parser, Tree};

use crate::merge::LineRange;

/// Parses `text` with `language`, or returns `None` when the text has a
/// syntax error, because keys read from a partly parsed text could be wrong.
pub(super) fn parse(language: Language, text: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&language).ok()?;
    let tree = parser.parse(text, None)?;
    if tree.root_node().has_error() {
        return None;
    }
    Some(tree)
}

/// Returns the lines from the first line of `first` to the last line of
/// `last`, 1-based and inclusive.
pub(super) fn lines_between(first: Node, last: Node) -> LineRange {
    let start = first.start_position().row + 1;
    let end_position = last.end_position();
    // A node that ends with a line break ends at column 0 of the next row,
    // but its last line is the one before.
    let end = if end_position.column == 0 && end_position.row > first.start_position().row {
        end_position.row
    } else {
        end_position.row + 1
    };
    LineRange { start, end }
}

/// Returns the lines of `node`, 1-based and inclusive.
pub(super) fn lines_of(node: Node) -> LineRange {
    lines_between(node, node)
}

/// Returns the source text of `node`.
pub(super) fn source<'a>(node: Node, text: &'a str) -> &'a str {
    &text[node.byte_range()]
}

/// Collapses every run of whitespace in `text` to one space and trims both
/// ends, so that re-indenting a value does not count as changing it.
pub(super) fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes a double-quoted key with JSON escape rules (which TOML basic
/// strings and YAML double-quoted scalars share for the common escapes), or
/// returns the text between the quotes when it does not decode.
pub(super) fn unquote_double(raw: &str) -> String {
    serde_json::from_str::<String>(raw).unwrap_or_else(|_| strip_quotes(raw).to_string())
}

/// Returns `raw` without its first and last character when both are quotes.
pub(super) fn strip_quotes(raw: &str) -> &str {
    let quoted = raw.len() >= 2
        && (raw.starts_with('"') && raw.ends_with('"')
            || raw.starts_with('\'') && raw.ends_with('\''));
    if quoted { &raw[1..raw.len() - 1] } else { raw }
}
