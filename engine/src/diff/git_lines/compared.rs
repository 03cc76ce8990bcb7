//! The lines that take part in xdiff's comparison: xdiff leaves out lines
//! that occur nowhere in the other text, and frequent lines among them.

/// Maximum number of times xdiff counts a line's occurrences in the other
/// text (`XDL_MAX_EQLIMIT`).
const MAX_OCCURRENCE_LIMIT: usize = 1_024;

/// Lines on each side of a line that [`discard_frequent`] looks at
/// (`XDL_SIMSCAN_WINDOW`).
const FREQUENT_SCAN_WINDOW: usize = 100;

/// A frequent line among unmatched lines is discarded when the frequent
/// lines of its run, times this factor, are fewer than all lines of the
/// run (`XDL_KPDIS_RUN`).
const FREQUENT_RUN_FACTOR: usize = 4;

/// How often a line occurs in the other text, as xdiff counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Occurrence {
    /// Nowhere, so the line is changed.
    Unmatched,
    /// Fewer times than the limit for its text.
    Matched,
    /// At least the limit for its text, roughly the square root of its
    /// number of lines.
    Frequent,
}

/// Returns xdiff's rough square root: the power of two 2^k where k is half
/// the number of bits of `n`, rounded up (`xdl_bogosqrt`).
pub(super) fn rough_sqrt(mut n: usize) -> usize {
    let mut root = 1;
    while n > 0 {
        root <<= 1;
        n >>= 2;
    }
    root
}

/// Numbers each distinct item of both sequences, so that later steps can
/// count occurrences in a table.
pub(super) fn class_ids<T: Eq + std::hash::Hash>(old: &[T], new: &[T]) -> (Vec<usize>, Vec<usize>) {
    let mut classes = std::collections::HashMap::new();
    let mut number = |item| {
        let next = classes.len();
        *classes.entry(item).or_insert(next)
    };
    let old_ids: Vec<usize> = old.iter().map(&mut number).collect();
    let new_ids: Vec<usize> = new.iter().map(&mut number).collect();
    (old_ids, new_ids)
}

/// Marks the lines of `middle` that xdiff leaves out of the comparison as
/// changed, and returns the indices of the others, ascending.
pub(super) fn compared_lines(
    ids: &[usize],
    other_ids: &[usize],
    middle: std::ops::Range<usize>,
    changed: &mut [bool],
) -> Vec<usize> {
    let limit = rough_sqrt(ids.len()).min(MAX_OCCURRENCE_LIMIT);
    let class_count = ids.iter().chain(other_ids).max().map_or(0, |max| max + 1);
    let mut counts = vec![0_usize; class_count];
    for &id in other_ids {
        counts[id] += 1;
    }
    let occurrences: Vec<Occurrence> = middle
        .clone()
        .map(|index| match counts[ids[index]] {
            0 => Occurrence::Unmatched,
            count if count >= limit => Occurrence::Frequent,
            _ => Occurrence::Matched,
        })
        .collect();

    let mut compared = Vec::with_capacity(middle.len());
    for (offset, &occurrence) in occurrences.iter().enumerate() {
        let keep = match occurrence {
            Occurrence::Unmatched => false,
            Occurrence::Matched => true,
            Occurrence::Frequent => !discard_frequent(&occurrences, offset),
        };
        if keep {
            compared.push(middle.start + offset);
        } else {
            changed[middle.start + offset] = true;
        }
    }
    compared
}

/// Returns whether the frequent line at `index` of `occurrences` is left
/// out (`xdl_clean_mmatch`). The runs of lines before and after it, up to
/// the nearest [`Occurrence::Matched`] line or [`FREQUENT_SCAN_WINDOW`]
/// lines, must both contain unmatched lines. Frequent lines must also make
/// up less than a quarter of the two runs, where the line itself counts
/// once for each run, as in xdiff.
pub(super) fn discard_frequent(occurrences: &[Occurrence], index: usize) -> bool {
    let first = index.saturating_sub(FREQUENT_SCAN_WINDOW);
    let last = (index + FREQUENT_SCAN_WINDOW).min(occurrences.len() - 1);

    let (unmatched_before, frequent_before) = count_run(occurrences[first..index].iter().rev());
    if unmatched_before == 0 {
        return false;
    }
    let (unmatched_after, frequent_after) = count_run(occurrences[index + 1..=last].iter());
    if unmatched_after == 0 {
        return false;
    }
    let frequent = frequent_before + frequent_after + 2;
    let unmatched = unmatched_before + unmatched_after;
    frequent * FREQUENT_RUN_FACTOR < frequent + unmatched
}

/// Counts the unmatched and the frequent lines of `run` up to its first
/// line of [`Occurrence::Matched`].
fn count_run<'a>(run: impl Iterator<Item = &'a Occurrence>) -> (usize, usize) {
    let mut unmatched = 0;
    let mut frequent = 0;
    for occurrence in run {
        match occurrence {
            Occurrence::Unmatched => unmatched += 1,
            Occurrence::Frequent => frequent += 1,
            Occurrence::Matched => break,
        }
    }
    (unmatched, frequent)
}
