//! Sliding ambiguous hunks of a line diff to the place git's xdiff puts
//! them, so that two sides' diffs of one base line up the way git's do.

use super::Hunk;

/// Maximum number of one-line slides that [`slide_hunks`] makes per item of
/// the two sequences, which keeps its work linear in the input size even for
/// long runs of repeated lines.
const MAX_SLIDES_PER_ITEM: usize = 8;

/// Moves each ambiguous hunk of `hunks` (a diff of `old` to `new`) to the
/// place where git's xdiff puts it, so that a merge works on the same hunks
/// as `git merge-file`.
///
/// An insertion or deletion is ambiguous when its lines can slide up or down
/// over equal lines. The rules are those of `xdl_change_compact` in git's
/// `xdiff/xdiffi.c`, without its optional indent heuristic: each run of
/// deleted old items, then each run of inserted new items, slides as far
/// down as it can, joining any run it meets, and then slides back up to the
/// lowest position where it lines up with a changed run of the other
/// sequence, if it passed one. The result is the same set of edits placed
/// differently, ascending and apart like the input.
///
/// The number of slides is limited to [`MAX_SLIDES_PER_ITEM`] per item. Past
/// the limit the remaining runs keep their places, so the result depends
/// only on the inputs.
///
/// NOTE: git's own Myers diff can pick other lines as unchanged than
/// similar's does (for example which of two blank lines a deletion keeps).
/// Sliding cannot reconcile that, so a few hunks still differ from git's.
pub(crate) fn slide_hunks<T: PartialEq>(old: &[T], new: &[T], hunks: &[Hunk]) -> Vec<Hunk> {
    let mut old_changed = vec![false; old.len()];
    let mut new_changed = vec![false; new.len()];
    for hunk in hunks {
        old_changed[hunk.old.clone()].fill(true);
        new_changed[hunk.new.clone()].fill(true);
    }

    let mut budget = (old.len() + new.len()).saturating_mul(MAX_SLIDES_PER_ITEM);
    compact_changes(old, &mut old_changed, &new_changed, &mut budget);
    compact_changes(new, &mut new_changed, &old_changed, &mut budget);
    hunks_from_changes(&old_changed, &new_changed)
}

/// A run of changed items `start..end` of one sequence, possibly empty, as
/// xdiff's `struct xdlgroup`. The runs of two sequences pair up in order,
/// because every unchanged item of one is paired with one of the other.
#[derive(Debug, Clone, Copy)]
struct ChangeRun {
    start: usize,
    end: usize,
}

impl ChangeRun {
    /// Returns the first run of `changed`.
    fn first(changed: &[bool]) -> Self {
        let mut run = Self { start: 0, end: 0 };
        run.extend_down(changed);
        run
    }

    fn extend_down(&mut self, changed: &[bool]) {
        while self.end < changed.len() && changed[self.end] {
            self.end += 1;
        }
    }

    fn extend_up(&mut self, changed: &[bool]) {
        while self.start > 0 && changed[self.start - 1] {
            self.start -= 1;
        }
    }

    /// Moves to the next run, or returns false at the last one.
    fn next(&mut self, changed: &[bool]) -> bool {
        if self.end == changed.len() {
            return false;
        }
        self.start = self.end + 1;
        self.end = self.start;
        self.extend_down(changed);
        true
    }

    /// Moves to the previous run, or returns false at the first one.
    fn previous(&mut self, changed: &[bool]) -> bool {
        if self.start == 0 {
            return false;
        }
        self.end = self.start - 1;
        self.start = self.end;
        self.extend_up(changed);
        true
    }

    /// Slides the run down by one item when the item after it equals its
    /// first item, joining a run that it then touches.
    fn slide_down<T: PartialEq>(&mut self, items: &[T], changed: &mut [bool]) -> bool {
        if self.end >= items.len() || items[self.start] != items[self.end] {
            return false;
        }
        changed[self.start] = false;
        changed[self.end] = true;
        self.start += 1;
        self.end += 1;
        self.extend_down(changed);
        true
    }

    /// Slides the run up by one item when the item before it equals its
    /// last item, joining a run that it then touches.
    fn slide_up<T: PartialEq>(&mut self, items: &[T], changed: &mut [bool]) -> bool {
        if self.start == 0 || items[self.start - 1] != items[self.end - 1] {
            return false;
        }
        changed[self.start - 1] = true;
        changed[self.end - 1] = false;
        self.start -= 1;
        self.end -= 1;
        self.extend_up(changed);
        true
    }
}

/// Slides the changed runs of `items` as `xdl_change_compact` does, keeping
/// `other_changed`, the changed items of the other sequence, for alignment.
/// Each slide takes one from `budget`.
fn compact_changes<T: PartialEq>(
    items: &[T],
    changed: &mut [bool],
    other_changed: &[bool],
    budget: &mut usize,
) {
    let mut run = ChangeRun::first(changed);
    let mut other = ChangeRun::first(other_changed);
    loop {
        if run.end > run.start {
            slide_run(items, changed, other_changed, &mut run, &mut other, budget);
        }
        if !run.next(changed) {
            break;
        }
        let paired = other.next(other_changed);
        debug_assert!(paired, "the changed runs of two sequences pair up");
    }
}

/// Slides one non-empty run down as far as it can, then back up to the
/// lowest place where it lines up with a non-empty run of the other
/// sequence, if it passed one. `other` is the paired run of the other
/// sequence and moves with `run`.
fn slide_run<T: PartialEq>(
    items: &[T],
    changed: &mut [bool],
    other_changed: &[bool],
    run: &mut ChangeRun,
    other: &mut ChangeRun,
    budget: &mut usize,
) {
    let mut earliest_end;
    let mut lines_up_with_other;
    loop {
        let size = run.end - run.start;
        lines_up_with_other = false;

        // A run that joins another one while sliding changes size, and then
        // slides again from the top.
        while *budget > 0 && run.slide_up(items, changed) {
            *budget -= 1;
            other.previous(other_changed);
        }
        earliest_end = run.end;
        lines_up_with_other |= other.end > other.start;

        while *budget > 0 && run.slide_down(items, changed) {
            *budget -= 1;
            other.next(other_changed);
            lines_up_with_other |= other.end > other.start;
        }
        if size == run.end - run.start || *budget == 0 {
            break;
        }
    }

    if run.end == earliest_end {
        return;
    }
    if lines_up_with_other {
        while other.end == other.start && *budget > 0 && run.slide_up(items, changed) {
            *budget -= 1;
            other.previous(other_changed);
        }
    }
}

/// Rebuilds hunks from the changed items of both sequences, pairing the
/// unchanged items in order.
pub(super) fn hunks_from_changes(old_changed: &[bool], new_changed: &[bool]) -> Vec<Hunk> {
    let mut hunks = Vec::new();
    let (mut old_index, mut new_index) = (0, 0);
    while old_index < old_changed.len() || new_index < new_changed.len() {
        let old_kept = old_index < old_changed.len() && !old_changed[old_index];
        let new_kept = new_index < new_changed.len() && !new_changed[new_index];
        if old_kept && new_kept {
            old_index += 1;
            new_index += 1;
            continue;
        }
        let (old_start, new_start) = (old_index, new_index);
        while old_index < old_changed.len() && old_changed[old_index] {
            old_index += 1;
        }
        while new_index < new_changed.len() && new_changed[new_index] {
            new_index += 1;
        }
        hunks.push(Hunk {
            old: old_start..old_index,
            new: new_start..new_index,
        });
    }
    hunks
}
