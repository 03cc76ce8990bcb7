//! Recently parsed texts, so that a write does not parse again a text an
//! earlier write already parsed.
//!
//! A write's checks parse the base, both sides and the merged text, and
//! the log summary parses the text before and after the write. The base
//! and the current text are usually a text that an earlier write produced,
//! and the merged text is parsed twice within one write, so most parses of
//! a steady stream of writes hit this cache. Entries are keyed by the
//! language, the text's 64-bit hash and its length; a tree-sitter `Tree`
//! clone is a reference-count increment.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use tree_sitter::Tree;

use super::{Language, Outline};

/// How many parsed texts are kept. A few writes' worth of texts for each
/// of a handful of files being edited at once.
const CAPACITY: usize = 32;

type Key = (Language, u64, usize);

/// Most recently used first.
static ENTRIES: Mutex<Vec<(Key, Option<Tree>, Outline)>> = Mutex::new(Vec::new());

/// Returns the tree and outline of `text`, calling `parse` only when the
/// cache does not hold them.
pub(super) fn parse_cached(
    language: Language,
    text: &str,
    parse: impl FnOnce() -> (Option<Tree>, Outline),
) -> (Option<Tree>, Outline) {
    let key = key(language, text);
    if let Ok(mut entries) = ENTRIES.lock()
        && let Some(index) = entries.iter().position(|(found, _, _)| *found == key)
    {
        let entry = entries.remove(index);
        let hit = (entry.1.clone(), entry.2.clone());
        entries.insert(0, entry);
        return hit;
    }

    // Parse outside the lock, so writes to different files parse at once.
    let (tree, outline) = parse();
    if let Ok(mut entries) = ENTRIES.lock() {
        entries.insert(0, (key, tree.clone(), outline.clone()));
        entries.truncate(CAPACITY);
    }
    (tree, outline)
}

fn key(language: Language, text: &str) -> Key {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    (language, hasher.finish(), text.len())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn same_text_parses_once() {
        let calls = Cell::new(0);
        let text = "fn cached_once_probe() {}\n";
        for _ in 0..3 {
            parse_cached(Language::Rust, text, || {
                calls.set(calls.get() + 1);
                (None, Outline::default())
            });
        }
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn other_language_parses_again() {
        let calls = Cell::new(0);
        let text = "x = 1  # cache probe\n";
        for language in [Language::Python, Language::JavaScript] {
            parse_cached(language, text, || {
                calls.set(calls.get() + 1);
                (None, Outline::default())
            });
        }
        assert_eq!(calls.get(), 2);
    }
}
