//! git's line diff can pair equal lines differently from weft's, so hunks of
//! the two sides can touch in git's alignment and lie apart in weft's. The
//! tests below are made-up texts of six shapes where that happens. On each,
//! `git merge-file --diff3` (git 2.47) conflicts on the base lines that the
//! test expects an `adjacent` overlap for.

use weft_engine::merge::LineRange;
use weft_engine::overlap::{FileMerge, OverlapKind, Severity, merge_file};

use super::{single, text_lines};

/// Returns the kind and base lines of each overlap, in order.
fn regions(merge: &FileMerge) -> Vec<(OverlapKind, LineRange)> {
    merge
        .overlaps
        .iter()
        .map(|overlap| (overlap.kind, overlap.base_lines))
        .collect()
}

fn lines(start: usize, end: usize) -> LineRange {
    LineRange { start, end }
}

/// Both sides delete the job of lines 5-8, and the incoming side also adds
/// steps after line 3. weft's diff of the incoming side inserts them there
/// and deletes lines 5-8 like the current side. git's diff leaves out the
/// lines that only one text has, so it replaces lines 4-7 (the blank line
/// before the job) and keeps line 8, which overlaps the current deletion.
#[test]
fn deleted_block_realigned_by_git() {
    let base = "\
name: ci
      - run: cargo test
        if: linux

  old-job:
      - run: cargo build
      - run: cargo doc

  build:
";
    let current = "\
name: ci
      - run: cargo test
        if: linux

  build:
";
    let incoming = "\
name: checks
on: push
      - run: cargo test
        if: linux
      - run: cargo check
        env: strict
        if: linux

  build:
";
    let merge = merge_file(Some(base), current, incoming);

    assert_eq!(merge.text, incoming);
    assert_eq!(regions(&merge), [(OverlapKind::Adjacent, lines(4, 8))]);
    let overlap = single(&merge);
    assert_eq!(overlap.severity, Severity::Low);
    assert_eq!(
        text_lines(&merge.text, overlap.merged_lines),
        "      - run: cargo check\n        env: strict\n        if: linux\n\n"
    );
}

/// Both sides make the same edit of lines 3-8, which drops one of the two
/// blank lines 4 and 6. weft drops line 6 on both sides. git drops line 6
/// on the current side and line 4 on the incoming side, which also adds
/// lines at the top, so git's hunks of lines 5-8 and 3-5 overlap.
#[test]
fn same_edit_realigned_by_git() {
    let base = "\
// Time utilities.
mod interval;
pub use interval::Interval;

pub mod throttle;

pub mod timeout;
pub use timeout::Timeout;
";
    let current = "\
// Time utilities.
mod interval;
pub use interval::{interval, Interval};

mod timeout;
pub use timeout::{timeout, Timeout};
";
    let incoming = "\
//! Timers.

// Time utilities.
mod interval;
pub use interval::{interval, Interval};

mod timeout;
pub use timeout::{timeout, Timeout};
";
    let merge = merge_file(Some(base), current, incoming);

    assert_eq!(merge.text, incoming);
    assert_eq!(regions(&merge), [(OverlapKind::Adjacent, lines(3, 8))]);
    let overlap = single(&merge);
    assert_eq!(
        overlap.current_hunk,
        overlap.incoming_hunk.replace("+5,4", "+3,4")
    );
}

/// Both sides turn the module list into macro blocks the same way, and the
/// current side also wraps `mod util`. weft's hunks are identical on both
/// sides up to line 12, and nothing of the incoming side is near the
/// current side's change of line 14. git pairs the blank lines differently on the two sides, so its
/// current hunk of lines 11-14 overlaps its incoming hunk of lines 8-12.
#[test]
fn module_list_realigned_by_git() {
    let base = "\
pub mod runtime;

#[cfg(signal)]
pub mod signal;

pub mod stream;

#[cfg(sync)]
pub mod sync;

#[cfg(time)]
pub mod time;

mod util;
";
    let current = "\
pub mod runtime;

cfg_signal! {
    pub mod signal;
}

cfg_sync! {
    pub mod sync;
}

cfg_time! {
    pub mod time;
}

cfg_util! {
    mod util;
}
";
    let incoming = "\
pub mod runtime;

cfg_signal! {
    pub mod signal;
}

cfg_sync! {
    pub mod sync;
}

cfg_time! {
    pub mod time;
}

mod util;
";
    let merge = merge_file(Some(base), current, incoming);

    assert_eq!(merge.text, current);
    assert_eq!(regions(&merge), [(OverlapKind::Adjacent, lines(8, 14))]);
}

/// The sides write different nested blocks in place of lines 3-4 and the
/// same closing block in place of line 6. weft pairs the blank line 5 with
/// the blank line before the closing block on both sides, so line 6 becomes
/// the same text on both and only lines 3-4 conflict. git pairs it with an
/// earlier blank line on the current side, so the sides' hunks of line 6
/// differ and git conflicts there too.
#[test]
fn nested_blocks_realigned_by_git() {
    let base = "\
mod a;

mod task;
pub use task::Waker;

pub mod watch;

mod tests;
";
    let current = "\
mod z;
mod a;

cfg_x! {
    cfg_waker! {
        mod task;
    }

    cfg_threaded! {
        mod oneshot;
    }

    cfg_signal! {
        mod mpsc;
    }
}

mod tests;
";
    let incoming = "\
mod a;

cfg_x! {
    cfg_drivers! {
        mod task;
    }

    #[cfg(any(a, b))]
    mod oneshot;

    cfg_signal! {
        mod mpsc;
    }
}

mod tests;
";
    let merge = merge_file(Some(base), current, incoming);

    assert_eq!(
        regions(&merge),
        [
            (OverlapKind::SameLines, lines(3, 4)),
            (OverlapKind::Adjacent, lines(6, 6)),
        ]
    );
    assert_eq!(merge.overlaps[1].severity, Severity::Low);
}

/// Both sides make the same edit of the doc comment, and they change the
/// impl block differently. weft aligns the edit alike on both sides. git
/// splits the current side's new lines between lines 5-6 and line 8 at
/// another `///` line than the incoming side's, because the sides differ
/// further down, so it conflicts on lines 5-6 and on line 8.
#[test]
fn doc_comment_realigned_by_git() {
    let base = "\
/// A future that completes later.
///
/// # Cancellation
///
/// Dropping the value cancels it. No cleanup
/// is required.
///
/// [`new`]: #method.new
pub struct Delay {
    /// The link to the timer.
    entry: Entry,
}

impl Delay {
    fn register(&self) {
        self.entry.register();
    }

    fn poll(&mut self) {
        self.register();
        self.entry.poll()
    }
}
";
    let current = "\
/// A future that completes later.
///
/// # Cancellation
///
/// Dropping the future cancels it. No
/// cleanup is required.
pub fn delay_until() -> Delay {
}

/// Waits for a duration.
///
/// Same as `delay_until`.
///
/// # Cancellation
///
/// Dropping the future cancels it. No
/// cleanup is required.
pub fn delay_for() -> Delay {
}

/// Future of `delay_for`.
pub struct Delay {
    /// The link to the timer.
    entry: Entry,
}
impl Delay {
    fn register(&self) {
    }

    fn poll(&mut self) {
        self.register();
        self.entry.poll()
    }
}
";
    let incoming = "\
/// A future that completes later.
///
/// # Cancellation
///
/// Dropping the future cancels it. No
/// cleanup is required.
pub fn delay_until() -> Delay {
}

/// Waits for a duration.
///
/// Same as `delay_until`.
///
/// # Cancellation
///
/// Dropping the future cancels it. No
/// cleanup is required.
pub fn delay_for() -> Delay {
}

/// Future of `delay_for`.
pub struct Delay {
    /// The link to the timer.
    entry: Entry,
}

impl Delay {
    fn register(&self) {
        self.entry.register();
    }

    fn poll(&mut self) {
    }
}
";
    let merge = merge_file(Some(base), current, incoming);

    let expected = incoming.replace("}\n\nimpl", "}\nimpl").replace(
        "    fn register(&self) {\n        self.entry.register();\n",
        "    fn register(&self) {\n",
    );
    assert_eq!(merge.text, expected);
    assert_eq!(
        regions(&merge),
        [
            (OverlapKind::Adjacent, lines(5, 6)),
            (OverlapKind::Adjacent, lines(8, 8)),
            (OverlapKind::Adjacent, lines(16, 21)),
        ]
    );
}

/// Both sides add two impl blocks before the one of lines 7-13 and rewrite
/// that one the same way. Only the body of the first new block differs.
/// weft pairs lines 7-13 with the last new block, so the differing body
/// falls in the sides' hunks of lines 7-8. git pairs them with the first new
/// block, so the differing body falls in the sides' hunks of line 11.
#[test]
fn repeated_impls_realigned_by_git() {
    let base = "\
impl Addr for str {
    fn to_addrs(&self) -> Future {
        parse(self)
    }
}

impl<T> Addr for &T {
    type Iter = T::Iter;

    fn to_addrs(&self) -> Future {
        (**self).to_addrs()
    }
}
";
    let current = "\
impl Addr for str {
    fn to_addrs(&self) -> Future {
        parse(self)
    }
}

impl Addr for (&str, u16) {
    type Iter = OneOrMore;

    fn to_addrs(&self) -> Future {
        use crate::blocking;
        let addr = self;
        spawn(blocking)
    }
}

impl Addr for String {
    type Iter = <str as Addr>::Iter;

    fn to_addrs(&self) -> Future {
        (&self[..]).to_addrs()
    }
}
";
    let incoming = "\
impl Addr for str {
    fn to_addrs(&self) -> Future {
        parse(self)
    }
}

impl Addr for (&str, u16) {
    type Iter = OneOrMore;

    fn to_addrs(&self) -> Future {
        use crate::runtime::spawn_blocking;
        let addr = self;
        spawn(spawn_blocking)
    }
}

impl Addr for String {
    type Iter = <str as Addr>::Iter;

    fn to_addrs(&self) -> Future {
        (&self[..]).to_addrs()
    }
}
";
    let merge = merge_file(Some(base), current, incoming);

    assert_eq!(
        regions(&merge),
        [
            (OverlapKind::SameLines, lines(7, 8)),
            (OverlapKind::Adjacent, lines(11, 11)),
        ]
    );
    assert_eq!(
        text_lines(&merge.text, merge.overlaps[1].merged_lines),
        "        (&self[..]).to_addrs()\n"
    );
}
