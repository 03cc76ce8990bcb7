//! The Python table (tree-sitter-python 0.25).

use super::DefinitionKind::{Class, Function};
use super::table::{DefinitionRule, LanguageTable};

/// Python definitions, imports and identifiers.
pub(super) const TABLE: LanguageTable = LanguageTable {
    definitions: &[
        DefinitionRule {
            node: "function_definition",
            kind: Function,
            name_field: "name",
            body_field: "body",
            adjust: None,
        },
        DefinitionRule {
            node: "class_definition",
            kind: Class,
            name_field: "name",
            body_field: "body",
            adjust: None,
        },
    ],
    imports: &["import_statement", "import_from_statement"],
    identifiers: &["identifier"],
    wrappers: &["decorated_definition"],
};
