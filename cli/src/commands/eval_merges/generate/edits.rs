//! The edit generators of `--generate`: each turns one base text into two
//! sides, plus the intended merge where one is defined.
//!
//! Every added line is unique because it contains the scenario's tag. A
//! deleted or replaced range is never bordered by a copy of its own first or
//! last line. So no line diff can slide an edit onto its neighbour, and the
//! outcome of `git merge-file` is known for each kind.

use rand::Rng;
use rand::rngs::StdRng;

/// The generator kinds, in the order scenarios cycle through them.
pub const KINDS: [&str; 5] = [
    "disjoint",
    "same-line",
    "identical",
    "append",
    "delete-edit",
];

/// Minimum number of lines of a base text.
pub const MIN_LINES: usize = 20;

/// Unchanged lines kept at least between two edits, so that `git
/// merge-file` treats them as separate changes.
const MIN_GAP_LINES: usize = 3;

/// Most edits made by one spaced-edit set.
const MAX_EDITS: usize = 8;

/// Two sides of a base text and the intended merge.
#[derive(Debug)]
pub struct Edited {
    /// The first side.
    pub ours: String,
    /// The second side.
    pub theirs: String,
    /// The intended result, where the kind defines one.
    pub resolved: Option<String>,
}

/// The sides that make an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sides {
    Ours,
    Theirs,
    Both,
}

/// Replaces base lines `start..end` (0-based, half-open; empty for an
/// insertion) with `lines`.
#[derive(Debug, Clone)]
struct LineEdit {
    sides: Sides,
    start: usize,
    end: usize,
    lines: Vec<String>,
}

/// Makes the two sides of `base` for generator `kind`, or returns `None`
/// when `base` is unusable for it (too short, or no edit fits).
///
/// - `disjoint`: edits on separate line ranges, some on each side; the
///   intended result has them all, and git merges cleanly.
/// - `same-line`: both sides change one line differently; no intended
///   result, git conflicts.
/// - `identical`: both sides make the same edits, and each side may make
///   edits of its own elsewhere; the intended result has each edit once.
/// - `append`: both sides add different lines at the end; the intended
///   result has ours' lines, then theirs'. git conflicts.
/// - `delete-edit`: one side deletes a block, the other changes a line
///   inside it; no intended result, git conflicts.
pub fn make(kind: &str, base: &str, rng: &mut StdRng, tag: &str) -> Option<Edited> {
    let lines: Vec<&str> = base.split_inclusive('\n').collect();
    if lines.len() < MIN_LINES || !base.ends_with('\n') {
        return None;
    }
    match kind {
        "disjoint" => disjoint(&lines, rng, tag, false),
        "identical" => disjoint(&lines, rng, tag, true),
        "same-line" => same_line(&lines, rng, tag),
        "append" => Some(append(base, &lines, rng, tag)),
        "delete-edit" => delete_edit(&lines, rng, tag),
        _ => None,
    }
}

/// Makes spaced edits, each on one side, or with `shared` some on both.
fn disjoint(lines: &[&str], rng: &mut StdRng, tag: &str, shared: bool) -> Option<Edited> {
    let mut edits = spaced_edits(lines, rng, tag);
    if edits.len() < 2 {
        return None;
    }
    for edit in &mut edits {
        edit.sides = if shared && rng.random_bool(0.5) {
            Sides::Both
        } else if rng.random_bool(0.5) {
            Sides::Ours
        } else {
            Sides::Theirs
        };
    }
    // Guarantee what the kind names: a shared edit in `identical`, and an
    // edit on each side in `disjoint`.
    if shared {
        edits[0].sides = Sides::Both;
    } else {
        edits[0].sides = Sides::Ours;
        edits[1].sides = Sides::Theirs;
    }
    Some(Edited {
        ours: apply(lines, &edits, |sides| sides != Sides::Theirs),
        theirs: apply(lines, &edits, |sides| sides != Sides::Ours),
        resolved: Some(apply(lines, &edits, |_| true)),
    })
}

/// Changes one non-blank line on each side: both append different text,
/// or one side replaces the line and the other appends.
fn same_line(lines: &[&str], rng: &mut StdRng, tag: &str) -> Option<Edited> {
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&index| !lines[index].trim().is_empty())
        .collect();
    let index = *candidates.get(rng.random_range(0..candidates.len().max(1)))?;
    let (content, ending) = split_ending(lines[index]);
    let appended = |side: &str| format!("{content} // weft-eval {tag} {side}{ending}");
    let ours_line = if rng.random_bool(0.5) {
        appended("ours")
    } else {
        format!("{}// weft-eval {tag} replaced{ending}", indent(content))
    };
    let replace = |line: String| {
        let mut text = lines[..index].concat();
        text.push_str(&line);
        text.push_str(&lines[index + 1..].concat());
        text
    };
    Some(Edited {
        ours: replace(ours_line),
        theirs: replace(appended("theirs")),
        resolved: None,
    })
}

/// Appends different lines to each side.
fn append(base: &str, lines: &[&str], rng: &mut StdRng, tag: &str) -> Edited {
    let indent = indent(lines[lines.len() - 1]);
    let mut added = |side: &str| -> String {
        (0..rng.random_range(1..4))
            .map(|line| format!("{indent}// weft-eval {tag} {side} appended line {line}\n"))
            .collect()
    };
    let ours_added = added("ours");
    let theirs_added = added("theirs");
    Edited {
        ours: format!("{base}{ours_added}"),
        theirs: format!("{base}{theirs_added}"),
        resolved: Some(format!("{base}{ours_added}{theirs_added}")),
    }
}

/// Deletes a block of 3 to 8 lines on one side and changes a line strictly
/// inside it on the other.
fn delete_edit(lines: &[&str], rng: &mut StdRng, tag: &str) -> Option<Edited> {
    let len = rng.random_range(3..9);
    let start = rng.random_range(0..=lines.len() - len);
    let end = start + len;
    if can_slide(lines, start, end) {
        return None;
    }
    let changed = rng.random_range(start + 1..end - 1);

    let (content, ending) = split_ending(lines[changed]);
    let deletion = LineEdit {
        sides: Sides::Ours,
        start,
        end,
        lines: Vec::new(),
    };
    let change = LineEdit {
        sides: Sides::Theirs,
        start: changed,
        end: changed + 1,
        lines: vec![format!("{content} // weft-eval {tag} edited{ending}")],
    };

    let deleted = apply(lines, &[deletion], |_| true);
    let edited = apply(lines, &[change], |_| true);
    let (ours, theirs) = if rng.random_bool(0.5) {
        (deleted, edited)
    } else {
        (edited, deleted)
    };
    Some(Edited {
        ours,
        theirs,
        resolved: None,
    })
}

/// Makes up to [`MAX_EDITS`] replacements, insertions and deletions with at
/// least [`MIN_GAP_LINES`] unchanged lines between any two. Sides are set
/// by the caller.
fn spaced_edits(lines: &[&str], rng: &mut StdRng, tag: &str) -> Vec<LineEdit> {
    let mut edits: Vec<LineEdit> = Vec::new();
    let mut start = rng.random_range(0..=MIN_GAP_LINES);
    while start <= lines.len() && edits.len() < MAX_EDITS {
        let len = rng.random_range(1..4).min(lines.len() - start);
        let (end, new_len) = match rng.random_range(0..3) {
            0 if len > 0 => (start + len, rng.random_range(1..3)),
            1 if len > 0 => (start + len, 0),
            _ => (start, rng.random_range(1..4)),
        };
        if end > start && can_slide(lines, start, end) {
            start += 1;
            continue;
        }
        let indent = indent(lines.get(start).or(lines.last()).copied().unwrap_or(""));
        let number = edits.len();
        edits.push(LineEdit {
            sides: Sides::Both,
            start,
            end,
            lines: (0..new_len)
                .map(|line| format!("{indent}// weft-eval {tag} edit {number} line {line}\n"))
                .collect(),
        });
        start = end + MIN_GAP_LINES + rng.random_range(0..40);
    }
    edits
}

/// Applies the edits whose sides `include` accepts.
fn apply(lines: &[&str], edits: &[LineEdit], include: impl Fn(Sides) -> bool) -> String {
    let mut text = String::new();
    let mut cursor = 0;
    for edit in edits.iter().filter(|edit| include(edit.sides)) {
        text.push_str(&lines[cursor..edit.start].concat());
        text.push_str(&edit.lines.concat());
        cursor = edit.end;
    }
    text.push_str(&lines[cursor..].concat());
    text
}

/// Returns whether a diff could also express deleting `start..end` as
/// deleting a range shifted by one line.
fn can_slide(lines: &[&str], start: usize, end: usize) -> bool {
    let up = start > 0 && lines[start - 1] == lines[end - 1];
    let down = end < lines.len() && lines[start] == lines[end];
    up || down
}

/// Splits a line into its content and its line ending.
fn split_ending(line: &str) -> (&str, &str) {
    let content = line.trim_end_matches(['\n', '\r']);
    (content, &line[content.len()..])
}

/// Returns the leading whitespace of a line.
fn indent(line: &str) -> &str {
    let content = line.trim_start_matches([' ', '\t']);
    &line[..line.len() - content.len()]
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;

    fn base() -> String {
        (0..40)
            .map(|line| format!("    let x{line} = {line};\n"))
            .collect()
    }

    #[test]
    fn every_kind_edits_both_sides() {
        let base = base();
        for kind in KINDS {
            let mut rng = StdRng::seed_from_u64(7);
            let edited = (0..20)
                .find_map(|_| make(kind, &base, &mut rng, "t"))
                .unwrap_or_else(|| panic!("{kind} makes an edit within 20 tries"));
            assert_ne!(edited.ours, base, "{kind} changes ours");
            assert_ne!(edited.theirs, base, "{kind} changes theirs");
        }
    }

    #[test]
    fn identical_edits_appear_once_in_result() {
        let base = base();
        let mut rng = StdRng::seed_from_u64(3);
        let edited = make("identical", &base, &mut rng, "t").expect("the base fits");
        let resolved = edited.resolved.expect("identical edits define a result");
        for line in resolved.lines().filter(|line| line.contains("weft-eval")) {
            assert_eq!(resolved.matches(line).count(), 1, "{line:?} appears once");
        }
    }

    #[test]
    fn short_base_is_unusable() {
        let mut rng = StdRng::seed_from_u64(1);
        assert!(make("disjoint", "a\nb\n", &mut rng, "t").is_none());
    }
}
