//! Placing git's conflict regions on base lines.
//!
//! diff3 output shows, for each conflict, the ours, base and theirs lines
//! of the region, but the text between conflicts is merged text, so line
//! counts of the output cannot tell where the base lines start. A short base
//! section such as `}` or an empty line also occurs many times in a file.
//!
//! Method: with the `--diff3` style, `git merge-file` does not refine
//! conflicts, because xdiff lowers the merge level to "eager" (`xdl_do_merge`
//! in git's `xdiff/xmerge.c`). So each region is the union of both sides'
//! hunks that overlap or touch it, and the base lines right before and after
//! it are unchanged on both sides. Each side's hunks are taken from git's own
//! merge (see [`super::git_merge`]). For each conflict, in order, the first
//! base position after the previous region is taken where:
//! - the base section matches the base text there,
//! - the line before and the line after are unchanged on both sides,
//! - the ours and theirs sections match the side lines that those unchanged
//!   lines enclose.
//!
//! Limits: if no position passes these checks, the first position after
//! the previous region where the base section matches is used (that
//! region's end for an empty base section), and the region is marked as
//! placed by text only. The reports count such regions; none occurred on
//! the sets measured in docs/merge-quality.md.

use std::ops::Range;

use weft_engine::merge::LineRange;

/// The lines of one conflict in diff3 output, each with its line ending.
#[derive(Debug, Default, Clone)]
pub struct ConflictSections<'a> {
    /// The ours side's lines of the region.
    pub ours: Vec<&'a str>,
    /// The base lines of the region.
    pub base: Vec<&'a str>,
    /// The theirs side's lines of the region.
    pub theirs: Vec<&'a str>,
}

/// One hunk of a side's line diff against the base, in 0-based lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// Base lines replaced.
    pub old: Range<usize>,
    /// The side's lines that replace them.
    pub new: Range<usize>,
}

/// A conflict region placed on base lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    /// The region's base lines; an insertion point when both sides inserted
    /// different lines at the same place.
    pub base_lines: LineRange,
    /// Whether the position passed the alignment checks, rather than being
    /// the first textual match.
    pub by_alignment: bool,
}

/// A side's lines and, for each base line that the side left unchanged, the
/// side line it became.
struct SideView<'a> {
    lines: Vec<&'a str>,
    unchanged_as: Vec<Option<usize>>,
}

impl<'a> SideView<'a> {
    fn new(text: &'a str, base_len: usize, hunks: &[Hunk]) -> Self {
        Self {
            lines: text.split_inclusive('\n').collect(),
            unchanged_as: unchanged_map(base_len, hunks),
        }
    }

    /// Returns whether the side's `section` is exactly the side lines
    /// between the unchanged base lines around base lines `start..end`.
    fn fits(&self, start: usize, end: usize, section: &[&str]) -> bool {
        let first = if start == 0 {
            0
        } else {
            match self.unchanged_as[start - 1] {
                Some(line) => line + 1,
                None => return false,
            }
        };
        let after = first + section.len();
        let end_fits = if end == self.unchanged_as.len() {
            after == self.lines.len()
        } else {
            self.unchanged_as[end] == Some(after)
        };
        end_fits && section_matches(section, &self.lines, first)
    }
}

/// Places each conflict of `conflicts` (in output order) on base lines,
/// using each side's hunks against the base as the merge aligned them.
pub fn locate(
    base: &str,
    ours: &str,
    theirs: &str,
    ours_hunks: &[Hunk],
    theirs_hunks: &[Hunk],
    conflicts: &[ConflictSections<'_>],
) -> Vec<Located> {
    let base_lines: Vec<&str> = base.split_inclusive('\n').collect();
    let ours = SideView::new(ours, base_lines.len(), ours_hunks);
    let theirs = SideView::new(theirs, base_lines.len(), theirs_hunks);

    let mut located = Vec::with_capacity(conflicts.len());
    let mut cursor = 0;
    for conflict in conflicts {
        let len = conflict.base.len();
        let last_start = base_lines.len().saturating_sub(len);
        let mut textual = (cursor..=last_start)
            .filter(|&start| section_matches(&conflict.base, &base_lines, start));
        let aligned = textual.clone().find(|&start| {
            ours.fits(start, start + len, &conflict.ours)
                && theirs.fits(start, start + len, &conflict.theirs)
        });
        let (start, by_alignment) = match aligned {
            Some(start) => (start, true),
            None => (textual.next().unwrap_or(cursor.min(last_start)), false),
        };
        located.push(Located {
            base_lines: LineRange {
                start: start + 1,
                end: start + len,
            },
            by_alignment,
        });
        cursor = start + len;
    }
    located
}

/// Maps each base line that no hunk replaces to the side line it is.
fn unchanged_map(base_len: usize, hunks: &[Hunk]) -> Vec<Option<usize>> {
    let mut map = vec![None; base_len];
    let mut base_line = 0;
    let mut side_line = 0;
    for hunk in hunks {
        while base_line < hunk.old.start.min(base_len) {
            map[base_line] = Some(side_line);
            base_line += 1;
            side_line += 1;
        }
        base_line = hunk.old.end;
        side_line = hunk.new.end;
    }
    while base_line < base_len {
        map[base_line] = Some(side_line);
        base_line += 1;
        side_line += 1;
    }
    map
}

/// Returns whether `section` equals `lines[start..]`. git ends every
/// section with a line ending, so a file's last line without one matches
/// the same line with `\n` or `\r\n` added.
fn section_matches(section: &[&str], lines: &[&str], start: usize) -> bool {
    if start + section.len() > lines.len() {
        return false;
    }
    section.iter().enumerate().all(|(offset, printed)| {
        let line = lines[start + offset];
        let is_last = start + offset + 1 == lines.len();
        *printed == line
            || (is_last
                && !line.ends_with('\n')
                && matches!(printed.strip_prefix(line), Some("\n" | "\r\n")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunk(old: Range<usize>, new: Range<usize>) -> Hunk {
        Hunk { old, new }
    }

    #[test]
    fn unchanged_lines_map_past_hunks() {
        let map = unchanged_map(5, &[hunk(1..2, 1..3), hunk(3..3, 4..5)]);
        assert_eq!(map, [Some(0), None, Some(3), Some(5), Some(6)]);
    }

    #[test]
    fn repeated_base_section_is_placed_by_alignment() {
        let base = "}\nx\n}\n";
        let ours = "}\nx\nA\n";
        let theirs = "}\nx\nB\n";
        let conflicts = [ConflictSections {
            ours: vec!["A\n"],
            base: vec!["}\n"],
            theirs: vec!["B\n"],
        }];
        let hunks = [hunk(2..3, 2..3)];
        let located = locate(base, ours, theirs, &hunks, &hunks, &conflicts);
        assert_eq!(
            located,
            [Located {
                base_lines: LineRange { start: 3, end: 3 },
                by_alignment: true,
            }]
        );
    }

    #[test]
    fn missing_final_newline_matches_printed_line() {
        assert!(section_matches(&["b\n"], &["a\n", "b"], 1));
        assert!(!section_matches(&["b\n"], &["b", "a\n"], 0));
    }

    #[test]
    fn inconsistent_hunks_fall_back_to_text() {
        let base = "a\nb\n";
        let conflicts = [ConflictSections {
            ours: vec!["x\n"],
            base: vec!["b\n"],
            theirs: vec!["y\n"],
        }];
        // Hunks that claim the first line changed leave no unchanged line
        // before the region.
        let hunks = [hunk(0..1, 0..1)];
        let located = locate(base, "a\nx\n", "a\ny\n", &hunks, &hunks, &conflicts);
        assert_eq!(located[0].base_lines, LineRange { start: 2, end: 2 });
        assert!(!located[0].by_alignment);
    }
}
