//! Finding `adjacent` regions: hunks of the two sides that merged without a
//! conflict but sit on touching or nearby base lines, or insert at the same
//! point, and the places where git's line alignment makes the sides'
//! hunks touch although weft's does not.

use std::ops::Range;

use crate::diff::Hunk;
use crate::merge::{MergeDetail, Side};

use super::git_conflicts::git_conflict_ranges;

/// Maximum number of unchanged base lines between a current hunk and an
/// incoming hunk that are reported as `adjacent`, the context width of a
/// unified diff.
pub const MAX_ADJACENT_GAP: usize = 3;

/// Hunks of both sides that are near each other, with the base lines from
/// the first to the last.
#[derive(Debug)]
pub(super) struct AdjacentRegion {
    /// Base lines from the first hunk's start to the last hunk's end, and
    /// over any range where git's alignment conflicts that the region
    /// covers, 0-based and half-open.
    pub(super) base: Range<usize>,
    /// The current side's hunks within `base`, ascending.
    pub(super) current: Vec<usize>,
    /// The incoming side's hunks within `base`, ascending.
    pub(super) incoming: Vec<usize>,
    /// Bytes of the merged text that the hunks became, including the
    /// unchanged lines between them and those of a covered range.
    pub(super) merged: Range<usize>,
}

/// Finds the adjacent regions of a merge, in base order.
///
/// Two hunks of different sides are linked when at most
/// [`MAX_ADJACENT_GAP`] base lines lie between them and no conflict region
/// lies there. Hunks of a conflict, and pairs of identical hunks, take no
/// part. Each group of linked hunks is one region.
///
/// A range where git's line alignment makes the sides' hunks conflict
/// ([`git_conflict_ranges`]) is part of a region too, unless it shares a
/// line with a conflict. The region then also takes every hunk outside
/// conflicts that changes its lines or touches it, identical ones included,
/// and with no such hunk the range alone is a region.
pub(super) fn adjacent_regions(detail: &MergeDetail<'_>) -> Vec<AdjacentRegion> {
    let node_count = detail.hunks(Side::Current).len() + detail.hunks(Side::Incoming).len();
    let in_conflict = ConflictMembers::new(detail);
    // Nodes: current hunks first, then incoming hunks.
    let mut components = UnionFind::new(node_count);
    link_nearby_hunks(detail, &in_conflict, &mut components);
    let realigned = link_realigned_hunks(detail, &in_conflict, &mut components);

    let mut regions = join_overlapping(linked_regions(detail, &mut components, realigned));
    for region in &mut regions {
        region.current = detail.hunks_within(Side::Current, &region.base);
        region.incoming = detail.hunks_within(Side::Incoming, &region.base);
    }
    regions
}

/// Flags of the hunks of each side that belong to a conflict.
struct ConflictMembers {
    current: Vec<bool>,
    incoming: Vec<bool>,
}

impl ConflictMembers {
    fn new(detail: &MergeDetail<'_>) -> Self {
        let mut members = Self {
            current: vec![false; detail.hunks(Side::Current).len()],
            incoming: vec![false; detail.hunks(Side::Incoming).len()],
        };
        for conflict in detail.conflicts() {
            for &(side, index) in &conflict.members {
                match side {
                    Side::Current => members.current[index] = true,
                    Side::Incoming => members.incoming[index] = true,
                }
            }
        }
        members
    }
}

/// Links hunks of different sides that are at most [`MAX_ADJACENT_GAP`]
/// base lines apart with no conflict between them. Hunks of a conflict and
/// pairs of identical hunks take no part.
fn link_nearby_hunks(
    detail: &MergeDetail<'_>,
    in_conflict: &ConflictMembers,
    components: &mut UnionFind,
) {
    let current_hunks = detail.hunks(Side::Current);
    let incoming_hunks = detail.hunks(Side::Incoming);
    let mut excluded_current = in_conflict.current.clone();
    let mut excluded_incoming = in_conflict.incoming.clone();
    for (current_index, hunk) in current_hunks.iter().enumerate() {
        // Hunks of one side are apart, so at most one starts where this one
        // starts.
        let found = incoming_hunks.binary_search_by_key(&hunk.old.start, |other| other.old.start);
        let Ok(incoming_index) = found else {
            continue;
        };
        if detail.hunks_identical(current_index, incoming_index) {
            excluded_current[current_index] = true;
            excluded_incoming[incoming_index] = true;
        }
    }
    let mut conflict_starts: Vec<usize> = detail
        .conflicts()
        .iter()
        .map(|conflict| conflict.base.start)
        .collect();
    conflict_starts.sort_unstable();

    for (current_index, current) in current_hunks.iter().enumerate() {
        if excluded_current[current_index] {
            continue;
        }
        let first = incoming_hunks
            .partition_point(|other| other.old.end + MAX_ADJACENT_GAP < current.old.start);
        for (incoming_index, incoming) in incoming_hunks.iter().enumerate().skip(first) {
            if incoming.old.start > current.old.end + MAX_ADJACENT_GAP {
                break;
            }
            if excluded_incoming[incoming_index] {
                continue;
            }
            let between = lines_between(&current.old, &incoming.old);
            let conflict_between = between.end > between.start && {
                let next = conflict_starts.partition_point(|&start| start < between.start);
                conflict_starts
                    .get(next)
                    .is_some_and(|&start| start < between.end)
            };
            if between.len() <= MAX_ADJACENT_GAP && !conflict_between {
                components.union(current_index, current_hunks.len() + incoming_index);
            }
        }
    }
}

/// A base range where git's alignment conflicts, with the nodes of the
/// hunks outside conflicts that change its lines or touch it.
struct RealignedRange {
    base: Range<usize>,
    nodes: Vec<usize>,
}

/// Finds the ranges where git's alignment conflicts and that share no line
/// with a conflict, which is already reported. For each one, links the
/// hunks outside conflicts that change its lines or touch it, identical
/// ones included.
fn link_realigned_hunks(
    detail: &MergeDetail<'_>,
    in_conflict: &ConflictMembers,
    components: &mut UnionFind,
) -> Vec<RealignedRange> {
    let current_hunks = detail.hunks(Side::Current);
    let incoming_hunks = detail.hunks(Side::Incoming);
    let conflicts = detail.conflicts();
    let mut realigned = Vec::new();
    for base in git_conflict_ranges(detail) {
        // Conflicts are in base order and apart, like each side's hunks.
        let next_conflict = conflicts.partition_point(|conflict| conflict.base.end <= base.start);
        let shares_conflict_line = conflicts
            .get(next_conflict)
            .is_some_and(|conflict| conflict.base.start < base.end);
        if shares_conflict_line {
            continue;
        }
        let current_nodes =
            touching_hunks(current_hunks, &base).filter(|&index| !in_conflict.current[index]);
        let incoming_nodes = touching_hunks(incoming_hunks, &base)
            .filter(|&index| !in_conflict.incoming[index])
            .map(|index| current_hunks.len() + index);
        let nodes: Vec<usize> = current_nodes.chain(incoming_nodes).collect();
        for pair in nodes.windows(2) {
            components.union(pair[0], pair[1]);
        }
        realigned.push(RealignedRange { base, nodes });
    }
    realigned
}

/// Returns the indices of the hunks of `hunks` (ascending and apart) that
/// change a line of `base` or touch it.
fn touching_hunks<'h>(hunks: &'h [Hunk], base: &Range<usize>) -> impl Iterator<Item = usize> + 'h {
    let (start, end) = (base.start, base.end);
    let first = hunks.partition_point(|hunk| hunk.old.end < start);
    (first..hunks.len()).take_while(move |&index| hunks[index].old.start <= end)
}

/// Makes one region of each group of linked hunks that has two hunks or
/// more or a realigned range, and widens it to the realigned ranges' lines.
fn linked_regions(
    detail: &MergeDetail<'_>,
    components: &mut UnionFind,
    realigned: Vec<RealignedRange>,
) -> Vec<AdjacentRegion> {
    let current_count = detail.hunks(Side::Current).len();
    let node_count = current_count + detail.hunks(Side::Incoming).len();
    let mut has_realigned = vec![false; node_count];
    for range in &realigned {
        if let Some(&first) = range.nodes.first() {
            let root = components.find(first);
            has_realigned[root] = true;
        }
    }

    let mut regions: Vec<AdjacentRegion> = Vec::new();
    let mut region_of_root = vec![None; node_count];
    let nodes = (0..current_count)
        .map(|index| (Side::Current, index))
        .chain((0..node_count - current_count).map(|index| (Side::Incoming, index)));
    for (node, (side, index)) in nodes.enumerate() {
        let root = components.find(node);
        if components.size(root) < 2 && !has_realigned[root] {
            continue;
        }
        let old = &detail.hunks(side)[index].old;
        let merged = detail.merged_span(side, index);
        match region_of_root[root] {
            Some(region_index) => {
                let region: &mut AdjacentRegion = &mut regions[region_index];
                region.base = region.base.start.min(old.start)..region.base.end.max(old.end);
                region.merged =
                    region.merged.start.min(merged.start)..region.merged.end.max(merged.end);
            }
            None => {
                region_of_root[root] = Some(regions.len());
                regions.push(AdjacentRegion {
                    base: old.clone(),
                    current: Vec::new(),
                    incoming: Vec::new(),
                    merged,
                });
            }
        }
    }

    for range in realigned {
        let copied = copied_lines_span(detail, &range.base);
        let region_index = range
            .nodes
            .first()
            .and_then(|&node| region_of_root[components.find(node)]);
        match region_index {
            Some(region_index) => {
                let region = &mut regions[region_index];
                region.base =
                    region.base.start.min(range.base.start)..region.base.end.max(range.base.end);
                if let Some(copied) = copied {
                    region.merged =
                        region.merged.start.min(copied.start)..region.merged.end.max(copied.end);
                }
            }
            // No hunk of weft's alignment touches the range, so both sides
            // left its lines unchanged and the merge copied them.
            None => {
                if let Some(merged) = copied {
                    regions.push(AdjacentRegion {
                        base: range.base,
                        current: Vec::new(),
                        incoming: Vec::new(),
                        merged,
                    });
                }
            }
        }
    }
    regions
}

/// Returns the bytes of the merged text from the first to the last base
/// line of `range` that the merge copied unchanged, or `None` when it copied
/// none of them. For an empty range, an insertion point, returns the empty
/// span where the copy of the base line at that point starts or the copy of
/// the line before it ends, if either was copied.
fn copied_lines_span(detail: &MergeDetail<'_>, range: &Range<usize>) -> Option<Range<usize>> {
    if range.is_empty() {
        let at_line = detail.copied_span(range.start).map(|span| span.start);
        let after_previous = || {
            let previous = range.start.checked_sub(1)?;
            detail.copied_span(previous).map(|span| span.end)
        };
        let point = at_line.or_else(after_previous)?;
        return Some(point..point);
    }
    let mut spans = range.clone().filter_map(|line| detail.copied_span(line));
    let first = spans.next()?;
    let last = spans.next_back().unwrap_or_else(|| first.clone());
    Some(first.start..last.end)
}

/// Returns the base lines strictly between two hunks, empty when they share
/// a line, touch, or one inserts inside the other.
fn lines_between(first: &Range<usize>, second: &Range<usize>) -> Range<usize> {
    if first.end <= second.start {
        first.end..second.start
    } else if second.end <= first.start {
        second.end..first.start
    } else {
        0..0
    }
}

/// Sorts regions by base start and joins those whose base lines or merged
/// bytes overlap, so that no line is reported twice.
fn join_overlapping(mut regions: Vec<AdjacentRegion>) -> Vec<AdjacentRegion> {
    regions.sort_by_key(|region| (region.base.start, region.base.end));
    let mut joined: Vec<AdjacentRegion> = Vec::with_capacity(regions.len());
    for region in regions {
        match joined.last_mut() {
            Some(last)
                if region.base.start < last.base.end || region.merged.start < last.merged.end =>
            {
                last.base.end = last.base.end.max(region.base.end);
                last.merged.start = last.merged.start.min(region.merged.start);
                last.merged.end = last.merged.end.max(region.merged.end);
            }
            _ => joined.push(region),
        }
    }
    joined
}

/// Disjoint sets of hunks, joined by union by size.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(len: usize) -> Self {
        Self {
            parent: (0..len).collect(),
            size: vec![1; len],
        }
    }

    fn find(&mut self, node: usize) -> usize {
        let mut root = node;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        let mut current = node;
        while self.parent[current] != root {
            let next = self.parent[current];
            self.parent[current] = root;
            current = next;
        }
        root
    }

    fn union(&mut self, first: usize, second: usize) {
        let (mut first, mut second) = (self.find(first), self.find(second));
        if first == second {
            return;
        }
        if self.size[first] < self.size[second] {
            std::mem::swap(&mut first, &mut second);
        }
        self.parent[second] = first;
        self.size[first] += self.size[second];
    }

    fn size(&self, root: usize) -> usize {
        self.size[root]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_between_hunks() {
        assert_eq!(lines_between(&(1..2), &(5..6)), 2..5);
        assert_eq!(lines_between(&(5..6), &(1..2)), 2..5);
        assert_eq!(lines_between(&(1..2), &(2..3)), 2..2);
        assert!(lines_between(&(1..4), &(2..2)).is_empty());
        assert!(lines_between(&(3..3), &(3..3)).is_empty());
    }

    #[test]
    fn union_find_joins_sets() {
        let mut sets = UnionFind::new(4);
        sets.union(0, 2);
        sets.union(3, 2);
        assert_eq!(sets.find(0), sets.find(3));
        assert_ne!(sets.find(0), sets.find(1));
        let root = sets.find(0);
        assert_eq!(sets.size(root), 3);
    }
}
