//! Finding `adjacent` regions: hunks of the two sides that merged without a
//! conflict but sit on touching or nearby base lines, or insert at the same
//! point.

use std::ops::Range;

use crate::merge::{MergeDetail, Side};

/// Maximum number of unchanged base lines between a current hunk and an
/// incoming hunk that are reported as `adjacent`, the context width of a
/// unified diff.
pub const MAX_ADJACENT_GAP: usize = 3;

/// Hunks of both sides that are near each other, with the base lines from
/// the first to the last.
#[derive(Debug)]
pub(super) struct AdjacentRegion {
    /// Base lines from the first hunk's start to the last hunk's end,
    /// 0-based and half-open.
    pub(super) base: Range<usize>,
    /// The current side's hunks within `base`, ascending.
    pub(super) current: Vec<usize>,
    /// The incoming side's hunks within `base`, ascending.
    pub(super) incoming: Vec<usize>,
    /// Bytes of the merged text that the hunks became, including the
    /// unchanged lines between them.
    pub(super) merged: Range<usize>,
}

/// Finds the adjacent regions of a merge, in base order.
///
/// Two hunks of different sides are linked when at most
/// [`MAX_ADJACENT_GAP`] base lines lie between them and no conflict region
/// lies there. Hunks of a conflict, and pairs of identical hunks, take no
/// part. Each group of linked hunks is one region.
pub(super) fn adjacent_regions(detail: &MergeDetail<'_>) -> Vec<AdjacentRegion> {
    let current_hunks = detail.hunks(Side::Current);
    let incoming_hunks = detail.hunks(Side::Incoming);
    let mut excluded_current = vec![false; current_hunks.len()];
    let mut excluded_incoming = vec![false; incoming_hunks.len()];
    for conflict in detail.conflicts() {
        for &(side, index) in &conflict.members {
            match side {
                Side::Current => excluded_current[index] = true,
                Side::Incoming => excluded_incoming[index] = true,
            }
        }
    }
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

    // Nodes: current hunks first, then incoming hunks.
    let mut components = UnionFind::new(current_hunks.len() + incoming_hunks.len());
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

    let mut regions: Vec<AdjacentRegion> = Vec::new();
    let mut region_of_root = vec![None; current_hunks.len() + incoming_hunks.len()];
    let nodes = (0..current_hunks.len())
        .map(|index| (Side::Current, index))
        .chain((0..incoming_hunks.len()).map(|index| (Side::Incoming, index)));
    for (node, (side, index)) in nodes.enumerate() {
        let root = components.find(node);
        if components.size(root) < 2 {
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

    let mut regions = join_overlapping(regions);
    for region in &mut regions {
        region.current = detail.hunks_within(Side::Current, &region.base);
        region.incoming = detail.hunks_within(Side::Incoming, &region.base);
    }
    regions
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

/// Sorts regions by base start and joins those whose base lines overlap, so
/// that no base line is reported twice.
fn join_overlapping(mut regions: Vec<AdjacentRegion>) -> Vec<AdjacentRegion> {
    regions.sort_by_key(|region| (region.base.start, region.base.end));
    let mut joined: Vec<AdjacentRegion> = Vec::with_capacity(regions.len());
    for region in regions {
        match joined.last_mut() {
            Some(last) if region.base.start < last.base.end => {
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
