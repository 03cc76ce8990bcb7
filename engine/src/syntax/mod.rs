//! Definitions in source code: an outline of the functions, methods,
//! classes and types of a file, read with tree-sitter. The merge findings
//! built on it show what lines alone cannot: two edits inside one function,
//! a changed signature against a new call, the same definition added twice.
//!
//! Each language is a table of tree-sitter node kinds (see [`table`]'s
//! `LanguageTable` and the files `rust.rs`, `python.rs`, `javascript.rs`,
//! `typescript.rs` and `go.rs`), so that adding a language is adding a
//! table.
//!
//! Cost: every public function parses each text it receives once, with a
//! full tree-sitter parse, which is linear in the text's size. A parse with
//! syntax errors still yields the definitions that tree-sitter recovered.

mod cache;
mod changes;
mod findings;
mod go;
mod javascript;
mod lines;
mod python;
mod rust;
mod table;
mod typescript;
mod walk;

use std::collections::BTreeSet;

use crate::merge::LineRange;

pub use changes::{ChangedDefinition, DefinitionChange, changed_definitions};
pub use findings::{Finding, syntax_findings};

/// A language that the outline can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// Rust.
    Rust,
    /// Python.
    Python,
    /// JavaScript, including JSX.
    JavaScript,
    /// TypeScript without JSX.
    TypeScript,
    /// TypeScript with JSX.
    Tsx,
    /// Go.
    Go,
}

impl Language {
    fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
        }
    }

    fn table(self) -> &'static table::LanguageTable {
        match self {
            Language::Rust => &rust::TABLE,
            Language::Python => &python::TABLE,
            Language::JavaScript => &javascript::TABLE,
            Language::TypeScript | Language::Tsx => &typescript::TABLE,
            Language::Go => &go::TABLE,
        }
    }
}

/// Returns the language of a file from its extension: `rs`, `py`, `js`,
/// `mjs`, `cjs`, `jsx`, `ts`, `mts`, `cts`, `tsx` or `go`. Other files have
/// none.
pub fn language_for_path(path: &str) -> Option<Language> {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let (_, extension) = file_name.rsplit_once('.')?;
    match extension {
        "rs" => Some(Language::Rust),
        "py" => Some(Language::Python),
        "js" | "mjs" | "cjs" | "jsx" => Some(Language::JavaScript),
        "ts" | "mts" | "cts" => Some(Language::TypeScript),
        "tsx" => Some(Language::Tsx),
        "go" => Some(Language::Go),
        _ => None,
    }
}

/// The kind of thing a definition defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DefinitionKind {
    /// A free function, or a function bound to a name (`const f = () => …`).
    Function,
    /// A function inside a class, impl, trait or interface, or a Go method.
    Method,
    /// A Rust `impl` block, named by its type (`Trait for Type` for a trait
    /// impl).
    Impl,
    /// A class.
    Class,
    /// A struct (or a Rust union).
    Struct,
    /// An enum.
    Enum,
    /// A Rust trait.
    Trait,
    /// An interface.
    Interface,
    /// A type alias or another named type.
    Type,
    /// A Rust module or a TypeScript namespace.
    Module,
}

impl DefinitionKind {
    /// Returns the keyword-like name used in messages, such as `fn` or
    /// `class`.
    pub fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::Function => "function",
            DefinitionKind::Method => "method",
            DefinitionKind::Impl => "impl",
            DefinitionKind::Class => "class",
            DefinitionKind::Struct => "struct",
            DefinitionKind::Enum => "enum",
            DefinitionKind::Trait => "trait",
            DefinitionKind::Interface => "interface",
            DefinitionKind::Type => "type",
            DefinitionKind::Module => "module",
        }
    }

    /// Returns whether other definitions can be inside this one and become its
    /// methods.
    fn contains_methods(self) -> bool {
        matches!(
            self,
            DefinitionKind::Impl
                | DefinitionKind::Class
                | DefinitionKind::Trait
                | DefinitionKind::Interface
        )
    }
}

/// One definition of a file's outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// The kind of definition.
    pub kind: DefinitionKind,
    /// The defined name.
    pub name: String,
    /// The lines of the whole definition, 1-based and inclusive, with a
    /// Python decorator.
    pub lines: LineRange,
    /// The header without the body, whitespace-normalized and without a
    /// trailing `{`, `:` or `;`, such as `fn f(a: u8) -> u8` or `def
    /// f(self, x)`.
    pub signature: String,
    /// Names of the enclosing definitions, outermost first. A Go method's
    /// scope is its receiver's type.
    pub scope: Vec<String>,
    /// Whether a wrapper such as a Python decorator encloses it.
    pub wrapped: bool,
    /// Whether it has a body (false for a trait method or overload
    /// signature).
    pub has_body: bool,
}

impl Definition {
    /// Returns the definition as messages name it, such as `method parse in
    /// Config`.
    pub fn describe(&self) -> String {
        if self.scope.is_empty() {
            format!("{} {}", self.kind.as_str(), self.name)
        } else {
            format!(
                "{} {} in {}",
                self.kind.as_str(),
                self.name,
                self.scope.join("::")
            )
        }
    }
}

/// The definitions and imports of one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    /// Definitions in the order they start.
    pub definitions: Vec<Definition>,
    /// Each import as its 1-based first line and its whitespace-normalized
    /// text, such as `(3, "use std::fmt;")`.
    pub imports: Vec<(usize, String)>,
}

/// Reads the outline of `text`.
pub fn outline(language: Language, text: &str) -> Outline {
    walk::Parsed::new(language, text).outline
}

/// Returns the innermost function, method, impl, class, struct, enum,
/// trait or interface whose lines contain `line` (1-based). Type aliases
/// and modules are skipped.
pub fn innermost_definition(outline: &Outline, line: usize) -> Option<&Definition> {
    innermost_enclosing(
        outline,
        LineRange {
            start: line,
            end: line,
        },
    )
}

/// Returns the innermost definition (of the kinds that
/// [`innermost_definition`] considers) that contains all of `range`. An
/// insertion point must lie strictly between two lines of the definition.
pub(crate) fn innermost_enclosing(outline: &Outline, range: LineRange) -> Option<&Definition> {
    // Reversed, so that of two definitions with the same lines the nested
    // one (later in the outline) wins.
    outline
        .definitions
        .iter()
        .rev()
        .filter(|definition| {
            !matches!(
                definition.kind,
                DefinitionKind::Type | DefinitionKind::Module
            )
        })
        .filter(|definition| contains(definition.lines, range))
        .min_by_key(|definition| definition.lines.end - definition.lines.start)
}

fn contains(outer: LineRange, inner: LineRange) -> bool {
    if inner.end < inner.start {
        // An insertion before line `inner.start`.
        outer.start < inner.start && inner.start <= outer.end
    } else {
        outer.start <= inner.start && inner.end <= outer.end
    }
}

/// Returns the names that `lines` of `text` use: identifiers, type names,
/// and field or method names, excluding the names that definitions there
/// introduce.
pub fn referenced_names(language: Language, text: &str, lines: &[LineRange]) -> BTreeSet<String> {
    walk::Parsed::new(language, text).referenced_names(lines)
}

#[cfg(test)]
mod tests;
