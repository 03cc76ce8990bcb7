//! What `merge_texts` and `adopt_line_endings` keep of two concurrent
//! writers' intent, including a comparison with `git merge-file` on real Rust
//! sources from the local Cargo registry.

mod merge_support;

use merge_support::{
    EditSide, apply_line_edits, first_difference, git_merge_file, random_line_edits,
    registry_source_dir, sample_rust_files,
};
use weft_engine::line_endings::adopt_line_endings;
use weft_engine::merge::{Conflict, ConflictResolution, LineRange, MergeOutcome, merge_texts};

/// Registry files compared with `git merge-file`.
const GIT_SAMPLE_FILES: usize = 40;
/// Seed of the PRNG that picks the files and their edits.
const GIT_SAMPLE_SEED: u64 = 0x5eed_3e7f;
/// Edit sets made per sample file.
const EDIT_ROUNDS_PER_FILE: u64 = 3;

fn single_conflict(outcome: &MergeOutcome) -> &Conflict {
    assert_eq!(
        outcome.conflicts.len(),
        1,
        "conflicts: {:#?}",
        outcome.conflicts
    );
    &outcome.conflicts[0]
}

#[test]
fn disjoint_hunks_both_kept() {
    let base = "a\nb\nc\nd\ne\n";
    let outcome = merge_texts(base, "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n");
    assert_eq!(outcome.text, "A\nb\nc\nd\nE\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn adjacent_lines_both_kept() {
    let outcome = merge_texts("a\nb\nc\n", "a\nB\nc\n", "a\nb\nC\n");
    assert_eq!(outcome.text, "a\nB\nC\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn adjacent_deletions_both_kept() {
    let outcome = merge_texts("ab\nx\r\nb\n", "ab\nb\n", "ab\nx\r\n");
    assert_eq!(outcome.text, "ab\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn identical_hunks_appear_once() {
    let base = "fn main() {\n    x=1;\n}\n";
    let edited = "fn main() {\n    x = 1;\n}\n";
    let outcome = merge_texts(base, edited, edited);
    assert_eq!(outcome.text, edited);
    assert!(outcome.conflicts.is_empty());

    let base = "a\nb\nc\nd\n";
    let outcome = merge_texts(base, "a\nB\nc\nD\n", "a\nB\nc\nd\n");
    assert_eq!(outcome.text, "a\nB\nc\nD\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn identical_inserts_appear_once() {
    let base = "use std::io;\n\nfn main() {}\n";
    let current = "use std::fs;\nuse std::io;\n\nfn main() {}\n";
    let incoming = "use std::fs;\nuse std::io::{self, Read};\n\nfn main() {}\n";
    let outcome = merge_texts(base, current, incoming);
    assert_eq!(outcome.text, incoming);
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn contained_insert_appears_once() {
    let base = "fn main() {}\n";
    let current = "use std::fs;\nfn main() {}\n";
    let incoming = "use std::fs;\nuse std::io;\nfn main() {}\n";
    let outcome = merge_texts(base, current, incoming);
    assert_eq!(outcome.text, incoming);
    assert!(outcome.conflicts.is_empty());

    let outcome = merge_texts(base, incoming, current);
    assert_eq!(outcome.text, incoming);
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn contained_rewrite_appears_once() {
    let base = "x=1\ny=2\nz\n";
    let current = "x = 1\ny=2\nz\n";
    let incoming = "x = 1\ny = 2\nz\n";
    let outcome = merge_texts(base, current, incoming);
    assert_eq!(outcome.text, incoming);
    assert!(outcome.conflicts.is_empty());

    let outcome = merge_texts(base, incoming, current);
    assert_eq!(outcome.text, incoming);
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn contained_deletion_appears_once() {
    let outcome = merge_texts("a\nb\nc\nd\n", "a\nc\nd\n", "d\n");
    assert_eq!(outcome.text, "d\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn deleted_and_changed_line_conflicts() {
    let outcome = merge_texts("a\nx=1\nb\n", "a\nb\n", "a\nx=2\nb\n");
    assert_eq!(outcome.text, "a\nx=2\nb\n");

    let conflict = single_conflict(&outcome);
    assert_eq!(conflict.base_lines, LineRange { start: 2, end: 2 });
    assert_eq!(conflict.current_hunk, "@@ -2 +1,0 @@\n-x=1\n");
    assert_eq!(conflict.incoming_hunk, "@@ -2 +2 @@\n-x=1\n+x=2\n");
    assert_eq!(conflict.resolution, ConflictResolution::BothKept);
}

#[test]
fn same_characters_keep_both_lines_whole() {
    let base = "a\nb\nc\nlet x = 1;\nd\n";
    let current = "a\nb\nc\nlet x = 2;\nd\n";
    let incoming = "a\nb\nc\nlet x = 3;\nd\n";
    let outcome = merge_texts(base, current, incoming);
    assert_eq!(outcome.text, "a\nb\nc\nlet x = 2;\nlet x = 3;\nd\n");

    let conflict = single_conflict(&outcome);
    assert_eq!(conflict.base_lines, LineRange { start: 4, end: 4 });
    assert_eq!(
        conflict.current_hunk,
        "@@ -4 +4 @@\n-let x = 1;\n+let x = 2;\n"
    );
    assert_eq!(
        conflict.incoming_hunk,
        "@@ -4 +4 @@\n-let x = 1;\n+let x = 3;\n"
    );
    assert_eq!(conflict.resolution, ConflictResolution::BothKept);
}

#[test]
fn same_characters_keep_multiline_versions_whole() {
    let base = "a\nb\nc\nd\n";
    let current = "a\nB\nC\nd\n";
    let incoming = "a\nb\nx\ny\nd\n";
    let outcome = merge_texts(base, current, incoming);
    assert_eq!(outcome.text, "a\nB\nC\nb\nx\ny\nd\n");

    let conflict = single_conflict(&outcome);
    assert_eq!(conflict.base_lines, LineRange { start: 2, end: 3 });
    assert_eq!(conflict.current_hunk, "@@ -2,2 +2,2 @@\n-b\n-c\n+B\n+C\n");
    assert_eq!(conflict.incoming_hunk, "@@ -2,2 +2,3 @@\n b\n-c\n+x\n+y\n");
    assert_eq!(conflict.resolution, ConflictResolution::BothKept);
}

#[test]
fn different_characters_merge_within_line() {
    let outcome = merge_texts("let x=1;\n", "let x=2;\n", "let  y=1;\n");
    assert_eq!(outcome.text, "let  y=2;\n");

    let conflict = single_conflict(&outcome);
    assert_eq!(conflict.base_lines, LineRange { start: 1, end: 1 });
    assert_eq!(conflict.current_hunk, "@@ -1 +1 @@\n-let x=1;\n+let x=2;\n");
    assert_eq!(
        conflict.incoming_hunk,
        "@@ -1 +1 @@\n-let x=1;\n+let  y=1;\n"
    );
    assert_eq!(conflict.resolution, ConflictResolution::CharacterMerge);
}

#[test]
fn insertion_at_changed_character_keeps_both_whole() {
    let outcome = merge_texts("x=1\n", "x=2\n", "x=1;\n");
    assert_eq!(outcome.text, "x=2\nx=1;\n");
    assert_eq!(
        single_conflict(&outcome).resolution,
        ConflictResolution::BothKept
    );
}

#[test]
fn insertion_inside_changed_range_conflicts() {
    let base = "a\nb\nc\nd\n";
    let current = "a\nX\nY\nd\n";
    let incoming = "a\nb\nI\nc\nd\n";
    let outcome = merge_texts(base, current, incoming);
    assert_eq!(outcome.text, "a\nX\nY\nb\nI\nc\nd\n");

    let conflict = single_conflict(&outcome);
    assert_eq!(conflict.base_lines, LineRange { start: 2, end: 3 });
    assert_eq!(conflict.incoming_hunk, "@@ -2,2 +2,3 @@\n b\n+I\n c\n");
}

#[test]
fn same_point_inserts_keep_current_first() {
    let outcome = merge_texts("a\nb\n", "a\nc\nb\n", "a\nd\nb\n");
    assert_eq!(outcome.text, "a\nc\nd\nb\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn same_appended_function_appears_once() {
    // A plain Myers diff can put one side's addition before the blank line
    // and the other side's after it, and then the merge keeps it twice.
    // Sliding both to git's place makes them one identical hunk.
    let base = "fn a() {\n    aa();\n}\n\nfn b() {\n    bb();\n}\n";
    let added = "\nfn e() {\n    ee();\n}\n";
    let current = format!("{base}{added}");
    let incoming = current.replace("aa();", "aa(1);");
    let outcome = merge_texts(base, &current, &incoming);
    assert_eq!(outcome.text, incoming);
    assert!(outcome.conflicts.is_empty(), "{:#?}", outcome.conflicts);
}

#[test]
fn appends_after_missing_final_newline_stay_apart() {
    let outcome = merge_texts("a\nb", "a\nb\nc", "a\nb\nd");
    assert_eq!(outcome.text, "a\nb\nc\nd");
    assert!(outcome.conflicts.is_empty());

    let outcome = merge_texts("a\nb", "a\nb\nc\n", "a\nb\nd\n");
    assert_eq!(outcome.text, "a\nb\nc\nd\n");
    assert!(outcome.conflicts.is_empty());

    let outcome = merge_texts("a\n", "a\nb", "a\nc\n");
    assert_eq!(outcome.text, "a\nb\nc\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn append_without_final_newline_merges_with_other_edit() {
    let outcome = merge_texts("a\nb", "A\nb", "a\nb\nc");
    assert_eq!(outcome.text, "A\nb\nc");
    assert!(outcome.conflicts.is_empty());

    let outcome = merge_texts("a\r\nb", "A\r\nb", "a\r\nb\r\nc");
    assert_eq!(outcome.text, "A\r\nb\r\nc");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn final_newline_change_is_an_edit() {
    let outcome = merge_texts("a\nb\nc", "A\nb\nc", "a\nb\nc\n");
    assert_eq!(outcome.text, "A\nb\nc\n");
    assert!(outcome.conflicts.is_empty());

    let outcome = merge_texts("a\nb\nc\n", "A\nb\nc\n", "a\nb\nc");
    assert_eq!(outcome.text, "A\nb\nc");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn conflict_at_missing_final_newline_is_reported() {
    let outcome = merge_texts("a\nb", "a\nc", "a\nd");
    assert_eq!(outcome.text, "a\nc\nd");

    let conflict = single_conflict(&outcome);
    assert_eq!(conflict.base_lines, LineRange { start: 2, end: 2 });
    assert_eq!(
        conflict.current_hunk,
        "@@ -2 +2 @@\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    );
    assert_eq!(conflict.resolution, ConflictResolution::BothKept);
}

#[test]
fn empty_base_identical_texts_once() {
    let outcome = merge_texts("", "fn main() {}\n", "fn main() {}\n");
    assert_eq!(outcome.text, "fn main() {}\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn empty_base_different_texts_conflict() {
    let outcome = merge_texts("", "x\n", "y\n");
    assert_eq!(outcome.text, "x\ny\n");

    let conflict = single_conflict(&outcome);
    assert_eq!(conflict.base_lines, LineRange { start: 1, end: 0 });
    assert_eq!(conflict.current_hunk, "@@ -0,0 +1 @@\n+x\n");
    assert_eq!(conflict.incoming_hunk, "@@ -0,0 +1 @@\n+y\n");
    assert_eq!(conflict.resolution, ConflictResolution::BothKept);
}

#[test]
fn empty_base_without_final_newlines_stays_apart() {
    let outcome = merge_texts("", "x", "y");
    assert_eq!(outcome.text, "x\ny");
    assert_eq!(outcome.conflicts.len(), 1);
}

#[test]
fn empty_base_contained_text_once() {
    let outcome = merge_texts("", "use a;\n", "use a;\nuse b;\n");
    assert_eq!(outcome.text, "use a;\nuse b;\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn zwj_family_deleted_and_changed_conflicts() {
    let outcome = merge_texts("👨‍👩‍👧\n", "", "👨‍👩‍👦\n");
    assert_eq!(outcome.text, "👨‍👩‍👦\n");
    assert_eq!(
        single_conflict(&outcome).resolution,
        ConflictResolution::BothKept
    );
}

#[test]
fn emoji_change_on_unchanged_current_is_exact() {
    let base = "café ok 👍 done\n";
    let incoming = "café ok 👎 done\n";
    let outcome = merge_texts(base, base, incoming);
    assert_eq!(outcome.text, incoming);
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn emoji_and_word_edits_merge_within_line() {
    let base = "café ok 👍 done\n";
    let outcome = merge_texts(base, "café ok 👎 done\n", "café ok 👍 finished\n");
    assert_eq!(outcome.text, "café ok 👎 finished\n");
    assert_eq!(
        single_conflict(&outcome).resolution,
        ConflictResolution::CharacterMerge
    );
}

#[test]
fn combining_accent_changes_keep_graphemes_whole() {
    let base = "cafe\u{301}\n";
    let outcome = merge_texts(base, "cafe\u{300}\n", "cafe\u{302}\n");
    assert_eq!(outcome.text, "cafe\u{300}\ncafe\u{302}\n");
    assert_eq!(
        single_conflict(&outcome).resolution,
        ConflictResolution::BothKept
    );
}

#[test]
fn large_conflicting_region_keeps_both_whole() {
    let line = "x".repeat(5_000);
    let base = format!("{line}\n");
    let current = format!("{line}a\n");
    let incoming = format!("b{line}\n");
    let outcome = merge_texts(&base, &current, &incoming);
    assert_eq!(outcome.text, format!("{current}{incoming}"));
    assert_eq!(
        single_conflict(&outcome).resolution,
        ConflictResolution::BothKept
    );
}

#[test]
fn merge_is_deterministic() {
    let base = "a\nb\nc\nd\ne\nf\n";
    let current = "a\nB1\nc\nx\nd\ne\nF\n";
    let incoming = "a\nB2\nc\ny\nd\nE\nf\n";
    let first = merge_texts(base, current, incoming);
    for _ in 0..5 {
        assert_eq!(merge_texts(base, current, incoming), first);
    }
}

#[test]
fn crlf_rewrite_changes_one_line() {
    let base = "a\r\nb\r\nc\r\n";
    let written = adopt_line_endings(base, "a\nB\nc\n");
    assert_eq!(written, "a\r\nB\r\nc\r\n");

    let current = "A\r\nb\r\nc\r\n";
    let outcome = merge_texts(base, current, &written);
    assert_eq!(outcome.text, "A\r\nB\r\nc\r\n");
    assert!(outcome.conflicts.is_empty());
}

#[test]
fn mixed_endings_round_trip() {
    let base = "a\r\nb\nc\r\nd";
    assert_eq!(adopt_line_endings(base, base), base);
    assert_eq!(adopt_line_endings(base, "a\nb\nc\nd"), base);

    let written = adopt_line_endings(base, "a\nb\nc\nd");
    let outcome = merge_texts(base, base, &written);
    assert_eq!(outcome.text, base);
}

#[test]
fn clean_merges_match_git_merge_file() {
    let Some(root) = registry_source_dir().filter(|root| root.is_dir()) else {
        eprintln!("skipped: no Cargo registry sources found to compare with git merge-file");
        return;
    };
    let files = sample_rust_files(&root, GIT_SAMPLE_FILES, GIT_SAMPLE_SEED);
    if files.is_empty() {
        eprintln!(
            "skipped: no .rs files of 2 to 40 KiB under {}",
            root.display()
        );
        return;
    }

    let mut compared = 0;
    let mut lines = 0;
    let mut edits = 0;
    for (file_index, path) in files.iter().enumerate() {
        let Ok(base) = std::fs::read_to_string(path) else {
            continue;
        };
        let base_lines: Vec<&str> = base.split_inclusive('\n').collect();
        for round in 0..EDIT_ROUNDS_PER_FILE {
            let seed = GIT_SAMPLE_SEED + file_index as u64 * EDIT_ROUNDS_PER_FILE + round;
            let line_edits = random_line_edits(&base_lines, seed);
            let ours = apply_line_edits(&base_lines, &line_edits, EditSide::Ours);
            let theirs = apply_line_edits(&base_lines, &line_edits, EditSide::Theirs);

            let git = git_merge_file(&base, &ours, &theirs);
            assert_eq!(
                git.status,
                0,
                "git merge-file reported conflicts for {} with seed {seed}",
                path.display()
            );
            let outcome = merge_texts(&base, &ours, &theirs);
            assert!(
                outcome.text == git.text,
                "merge differs from git merge-file for {} with seed {seed}: {}",
                path.display(),
                first_difference(&git.text, &outcome.text)
            );
            assert!(
                outcome.conflicts.is_empty(),
                "unexpected conflicts for {} with seed {seed}: {:#?}",
                path.display(),
                outcome.conflicts
            );

            compared += 1;
            lines += base_lines.len();
            edits += line_edits.len();
        }
    }
    eprintln!(
        "compared {compared} merges of {} files ({lines} base lines, {edits} edits) with git merge-file",
        files.len()
    );
    assert!(
        compared > 0,
        "none of the sampled files could be read as UTF-8"
    );
}
