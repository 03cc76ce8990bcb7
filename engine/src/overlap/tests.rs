//! Unit tests of the overlap report: each kind on small inputs, the rules
//! that keep a region from being reported twice, and the conflict markers.

use super::*;

fn lines(start: usize, end: usize) -> LineRange {
    LineRange { start, end }
}

fn single(merge: &FileMerge) -> &TextOverlap {
    assert_eq!(merge.overlaps.len(), 1, "overlaps: {:#?}", merge.overlaps);
    &merge.overlaps[0]
}

fn kinds(merge: &FileMerge) -> Vec<OverlapKind> {
    merge.overlaps.iter().map(|overlap| overlap.kind).collect()
}

const LABELS: (&str, &str, &str) = ("ours", "base", "theirs");

#[test]
fn kind_and_severity_names() {
    let names = [
        (OverlapKind::SameLines, "same-lines", Severity::High),
        (OverlapKind::Adjacent, "adjacent", Severity::Low),
        (OverlapKind::DeleteEdit, "delete-edit", Severity::High),
        (OverlapKind::AddAdd, "add-add", Severity::High),
        (OverlapKind::Binary, "binary", Severity::High),
    ];
    for (kind, name, severity) in names {
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.to_string(), name);
        assert_eq!(kind.severity(), severity, "{name}");
        let json = serde_json::to_value(kind).expect("a kind serializes");
        assert_eq!(json, serde_json::json!(name));
    }
    for (severity, name) in [
        (Severity::Low, "low"),
        (Severity::Medium, "medium"),
        (Severity::High, "high"),
    ] {
        assert_eq!(severity.as_str(), name);
        let json = serde_json::to_value(severity).expect("a severity serializes");
        assert_eq!(json, serde_json::json!(name));
    }
    assert!(Severity::Low < Severity::Medium);
    assert!(Severity::Medium < Severity::High);
}

#[test]
fn overlap_serializes_protocol_fields() {
    let merge = merge_file(Some("a\nb\nc\n"), "a\nB\nc\n", "a\nX\nc\n");
    let json = serde_json::to_value(single(&merge)).expect("an overlap serializes");
    assert_eq!(json["kind"], "same-lines");
    assert_eq!(json["severity"], "high");
    assert_eq!(
        json["base_lines"],
        serde_json::json!({"start": 2, "end": 2})
    );
    assert_eq!(
        json["merged_lines"],
        serde_json::json!({"start": 2, "end": 3})
    );
    assert_eq!(json["current"], "@@ -2 +2 @@\n-b\n+B\n");
    assert_eq!(json["incoming"], "@@ -2 +2 @@\n-b\n+X\n");
}

#[test]
fn same_lines_changed_differently() {
    let merge = merge_file(Some("a\nb\nc\n"), "a\nB\nc\n", "a\nX\nc\n");
    assert_eq!(merge.text, "a\nB\nX\nc\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::SameLines);
    assert_eq!(overlap.severity, Severity::High);
    assert_eq!(overlap.base_lines, lines(2, 2));
    assert_eq!(overlap.merged_lines, lines(2, 3));
    assert_eq!(overlap.current_hunk, "@@ -2 +2 @@\n-b\n+B\n");
    assert_eq!(overlap.incoming_hunk, "@@ -2 +2 @@\n-b\n+X\n");
}

#[test]
fn same_lines_merged_by_character() {
    let merge = merge_file(Some("let x=1;\n"), "let x=2;\n", "let  y=1;\n");
    assert_eq!(merge.text, "let  y=2;\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::SameLines);
    assert_eq!(overlap.merged_lines, lines(1, 1));
}

#[test]
fn adjacent_touching_lines() {
    let merge = merge_file(Some("a\nb\nc\nd\n"), "a\nB\nc\nd\n", "a\nb\nC\nd\n");
    assert_eq!(merge.text, "a\nB\nC\nd\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::Adjacent);
    assert_eq!(overlap.severity, Severity::Low);
    assert_eq!(overlap.base_lines, lines(2, 3));
    assert_eq!(overlap.merged_lines, lines(2, 3));
    assert_eq!(overlap.current_hunk, "@@ -2,2 +2,2 @@\n-b\n+B\n c\n");
    assert_eq!(overlap.incoming_hunk, "@@ -2,2 +2,2 @@\n b\n-c\n+C\n");
}

#[test]
fn adjacent_up_to_three_lines_apart() {
    let base = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let three_apart = merge_file(
        Some(base),
        "A\nb\nc\nd\ne\nf\ng\nh\n",
        "a\nb\nc\nd\nE\nf\ng\nh\n",
    );
    let overlap = single(&three_apart);
    assert_eq!(overlap.kind, OverlapKind::Adjacent);
    assert_eq!(overlap.base_lines, lines(1, 5));
    assert_eq!(overlap.merged_lines, lines(1, 5));

    let four_apart = merge_file(
        Some(base),
        "A\nb\nc\nd\ne\nf\ng\nh\n",
        "a\nb\nc\nd\ne\nF\ng\nh\n",
    );
    assert_eq!(four_apart.text, "A\nb\nc\nd\ne\nF\ng\nh\n");
    assert!(four_apart.overlaps.is_empty(), "{:#?}", four_apart.overlaps);
}

#[test]
fn adjacent_inserts_at_same_point() {
    let merge = merge_file(Some("a\nb\n"), "a\nc\nb\n", "a\nd\nb\n");
    assert_eq!(merge.text, "a\nc\nd\nb\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::Adjacent);
    assert_eq!(overlap.base_lines, lines(2, 1));
    assert_eq!(overlap.merged_lines, lines(2, 3));
}

#[test]
fn adjacent_appends_at_end() {
    let merge = merge_file(Some("a\n"), "a\nb\n", "a\nc\n");
    assert_eq!(merge.text, "a\nb\nc\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::Adjacent);
    assert_eq!(overlap.base_lines, lines(2, 1));
    assert_eq!(overlap.merged_lines, lines(2, 3));
}

#[test]
fn adjacent_appends_after_missing_final_newline() {
    let merge = merge_file(Some("a\nb"), "a\nb\nc", "a\nb\nd");
    assert_eq!(merge.text, "a\nb\nc\nd");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::Adjacent);
    assert_eq!(overlap.base_lines, lines(3, 2));
    assert_eq!(overlap.merged_lines, lines(3, 4));
}

#[test]
fn adjacent_contained_insert() {
    let base = "fn main() {}\n";
    let merge = merge_file(
        Some(base),
        "use std::fs;\nfn main() {}\n",
        "use std::fs;\nuse std::io;\nfn main() {}\n",
    );
    assert_eq!(merge.text, "use std::fs;\nuse std::io;\nfn main() {}\n");
    assert_eq!(single(&merge).kind, OverlapKind::Adjacent);
}

#[test]
fn identical_hunks_are_no_overlap() {
    let merge = merge_file(Some("a\nb\nc\n"), "a\nB\nc\n", "a\nB\nc\n");
    assert!(merge.overlaps.is_empty());

    // The identical change of b is not adjacent to the current change of d.
    let merge = merge_file(Some("a\nb\nc\nd\n"), "a\nB\nc\nD\n", "a\nB\nc\nd\n");
    assert_eq!(merge.text, "a\nB\nc\nD\n");
    assert!(merge.overlaps.is_empty(), "{:#?}", merge.overlaps);
}

#[test]
fn one_side_unchanged_is_no_overlap() {
    let base = "a\nb\n";
    assert!(merge_file(Some(base), base, "a\nB\n").overlaps.is_empty());
    assert!(merge_file(Some(base), "a\nB\n", base).overlaps.is_empty());
}

#[test]
fn delete_edit_current_deletes() {
    let base = "a\nb\nc\nd\ne\n";
    let merge = merge_file(Some(base), "a\ne\n", "a\nb\nC\nd\ne\n");
    assert_eq!(merge.text, "a\nb\nC\nd\ne\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::DeleteEdit);
    assert_eq!(overlap.severity, Severity::High);
    assert_eq!(overlap.base_lines, lines(2, 4));
    assert_eq!(overlap.merged_lines, lines(2, 4));
    assert_eq!(overlap.current_hunk, "@@ -2,3 +1,0 @@\n-b\n-c\n-d\n");
    assert_eq!(overlap.incoming_hunk, "@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n");
}

#[test]
fn delete_edit_incoming_deletes() {
    let base = "a\nb\nc\nd\ne\n";
    let merge = merge_file(Some(base), "a\nb\nC\nd\ne\n", "a\ne\n");
    assert_eq!(merge.text, "a\nb\nC\nd\ne\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::DeleteEdit);
    assert_eq!(overlap.current_hunk, "@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n");
    assert_eq!(overlap.incoming_hunk, "@@ -2,3 +1,0 @@\n-b\n-c\n-d\n");
}

#[test]
fn delete_edit_single_line() {
    let merge = merge_file(Some("a\nx=1\nb\n"), "a\nb\n", "a\nx=2\nb\n");
    assert_eq!(merge.text, "a\nx=2\nb\n");
    assert_eq!(single(&merge).kind, OverlapKind::DeleteEdit);
}

#[test]
fn delete_edit_insert_inside_deletion() {
    let base = "a\nb\nc\nd\ne\n";
    let merge = merge_file(Some(base), "a\ne\n", "a\nb\nc\nX\nd\ne\n");
    assert_eq!(merge.text, "a\nb\nc\nX\nd\ne\n");
    assert_eq!(single(&merge).kind, OverlapKind::DeleteEdit);
}

#[test]
fn edit_beyond_deletion_is_same_lines() {
    // Incoming changes d, which current kept, as well as c, which it deleted.
    let base = "a\nb\nc\nd\ne\n";
    let merge = merge_file(Some(base), "a\nd\ne\n", "a\nb\nD\ne\n");
    assert_eq!(single(&merge).kind, OverlapKind::SameLines);
}

#[test]
fn overlapping_deletions_are_same_lines() {
    let merge = merge_file(Some("a\nb\nc\nd\ne\n"), "a\nd\ne\n", "a\nb\ne\n");
    assert_eq!(single(&merge).kind, OverlapKind::SameLines);
}

#[test]
fn contained_deletion_is_adjacent() {
    let merge = merge_file(Some("a\nb\nc\nd\n"), "a\nc\nd\n", "d\n");
    assert_eq!(merge.text, "d\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::Adjacent);
    assert_eq!(overlap.merged_lines, lines(1, 0));
}

#[test]
fn add_add_different_texts() {
    let merge = merge_file(None, "x\n", "y\n");
    assert_eq!(merge.text, "x\ny\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::AddAdd);
    assert_eq!(overlap.severity, Severity::High);
    assert_eq!(overlap.base_lines, lines(1, 0));
    assert_eq!(overlap.merged_lines, lines(1, 2));
    assert_eq!(overlap.current_hunk, "@@ -0,0 +1 @@\n+x\n");
    assert_eq!(overlap.incoming_hunk, "@@ -0,0 +1 @@\n+y\n");
}

#[test]
fn add_add_contained_text() {
    let merge = merge_file(None, "use a;\n", "use a;\nuse b;\n");
    assert_eq!(merge.text, "use a;\nuse b;\n");
    let overlap = single(&merge);
    assert_eq!(overlap.kind, OverlapKind::AddAdd);
    assert_eq!(overlap.merged_lines, lines(1, 2));
}

#[test]
fn add_add_identical_or_empty_is_no_overlap() {
    let identical = merge_file(None, "fn main() {}\n", "fn main() {}\n");
    assert_eq!(identical.text, "fn main() {}\n");
    assert!(identical.overlaps.is_empty());

    let current_empty = merge_file(None, "", "x\n");
    assert_eq!(current_empty.text, "x\n");
    assert!(current_empty.overlaps.is_empty());

    let incoming_empty = merge_file(None, "x\n", "");
    assert_eq!(incoming_empty.text, "x\n");
    assert!(incoming_empty.overlaps.is_empty());
}

#[test]
fn empty_existing_base_is_same_lines() {
    let merge = merge_file(Some(""), "x\n", "y\n");
    assert_eq!(merge.text, "x\ny\n");
    assert_eq!(kinds(&merge), [OverlapKind::SameLines]);
}

#[test]
fn conflict_hunks_not_also_adjacent() {
    // Current's change of line 4 is next to the conflict on line 2.
    let base = "a\nb\nc\nd\ne\n";
    let merge = merge_file(Some(base), "a\nB\nc\nD\ne\n", "a\nX\nc\nd\ne\n");
    assert_eq!(merge.text, "a\nB\nX\nc\nD\ne\n");
    assert_eq!(kinds(&merge), [OverlapKind::SameLines]);
}

#[test]
fn conflict_between_hunks_keeps_them_apart() {
    // Line 1 (current) and line 5 (incoming) are three lines apart, but the
    // conflict on line 3 lies between them.
    let base = "a\nb\nc\nd\ne\nf\n";
    let merge = merge_file(Some(base), "A\nb\nC\nd\ne\nf\n", "a\nb\nX\nd\nE\nf\n");
    assert_eq!(kinds(&merge), [OverlapKind::SameLines]);
}

#[test]
fn overlaps_in_text_order() {
    let base = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
    let current = "a\nB\nc\nd\ne\nf\ng\nh\nI\nj\nk\n";
    let incoming = "a\nX\nc\nd\ne\nf\ng\nh\ni\nJ\nk\n";
    let merge = merge_file(Some(base), current, incoming);
    assert_eq!(
        kinds(&merge),
        [OverlapKind::SameLines, OverlapKind::Adjacent]
    );
    assert_eq!(merge.overlaps[0].merged_lines, lines(2, 3));
    assert_eq!(merge.overlaps[1].base_lines, lines(9, 10));
    assert_eq!(merge.overlaps[1].merged_lines, lines(10, 11));
}

#[test]
fn text_matches_merge_texts() {
    let cases = [
        ("a\nb\nc\n", "a\nB\nc\n", "a\nX\nc\n"),
        ("a\nb\nc\nd\ne\n", "a\ne\n", "a\nb\nC\nd\ne\n"),
        ("a\nb", "a\nb\nc", "a\nb\nd"),
        ("a\r\nb\r\n", "A\r\nb\r\n", "a\r\nB\r\n"),
    ];
    for (base, current, incoming) in cases {
        assert_eq!(
            merge_file(Some(base), current, incoming).text,
            merge_texts(base, current, incoming).text,
            "{base:?} {current:?} {incoming:?}"
        );
    }
}

#[test]
fn markers_wrap_only_high_regions() {
    let base = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
    let current = "a\nB\nc\nd\ne\nf\ng\nh\nI\nj\nk\n";
    let incoming = "a\nX\nc\nd\ne\nf\ng\nh\ni\nJ\nk\n";
    let marked = merge_file_with_markers(Some(base), current, incoming, LABELS);
    assert_eq!(
        marked,
        "a\n<<<<<<< ours\nB\n||||||| base\nb\n=======\nX\n>>>>>>> theirs\n\
         c\nd\ne\nf\ng\nh\nI\nJ\nk\n"
    );

    let report = merge_file_marked(Some(base), current, incoming, LABELS);
    assert_eq!(report.text, marked);
    assert_eq!(report.overlaps[0].merged_lines, lines(2, 8));
    assert_eq!(report.overlaps[1].merged_lines, lines(15, 16));
}

#[test]
fn markers_absent_without_high_regions() {
    let base = "a\nb\nc\nd\n";
    let current = "a\nB\nc\nd\n";
    let incoming = "a\nb\nC\nd\n";
    let marked = merge_file_with_markers(Some(base), current, incoming, LABELS);
    assert_eq!(marked, merge_file(Some(base), current, incoming).text);
}

#[test]
fn markers_around_delete_edit() {
    let marked = merge_file_with_markers(Some("a\nx=1\nb\n"), "a\nb\n", "a\nx=2\nb\n", LABELS);
    assert_eq!(
        marked,
        "a\n<<<<<<< ours\n||||||| base\nx=1\n=======\nx=2\n>>>>>>> theirs\nb\n"
    );
}

#[test]
fn markers_around_add_add() {
    let marked = merge_file_with_markers(None, "x\n", "y", LABELS);
    assert_eq!(
        marked,
        "<<<<<<< ours\nx\n||||||| base\n=======\ny\n>>>>>>> theirs\n"
    );
}

#[test]
fn markers_end_unterminated_last_lines() {
    let marked = merge_file_with_markers(Some("a\nb"), "a\nc", "a\nd", LABELS);
    assert_eq!(
        marked,
        "a\n<<<<<<< ours\nc\n||||||| base\nb\n=======\nd\n>>>>>>> theirs\n"
    );
}

#[test]
fn markers_follow_crlf_endings() {
    let marked = merge_file_with_markers(
        Some("a\r\nb\r\nc\r\n"),
        "a\r\nB\r\nc\r\n",
        "a\r\nX\r\nc\r\n",
        LABELS,
    );
    assert_eq!(
        marked,
        "a\r\n<<<<<<< ours\r\nB\r\n||||||| base\r\nb\r\n=======\r\nX\r\n>>>>>>> theirs\r\nc\r\n"
    );
}

#[test]
fn markers_without_labels() {
    let marked = merge_file_with_markers(Some("b\n"), "B\n", "X\n", ("", "", ""));
    assert_eq!(marked, "<<<<<<<\nB\n|||||||\nb\n=======\nX\n>>>>>>>\n");
}

#[test]
fn realigned_point_without_hunks() {
    // In git's alignment both sides append different lines after the last
    // base line, which git conflicts on. weft's alignment pairs the last
    // base lines with appended ones, so none of its hunks touches that
    // point, and the point alone is reported there.
    let base = "{\n\na\n{\na\na\nb\na\n{\n";
    let current = "{\n\na\n{\n\na\nb\na\n{\na\n{\n";
    let incoming = "{\n\na\n}\na\n{\na\n{\n{\nn\n{\n";
    let merge = merge_file(Some(base), current, incoming);

    assert_eq!(
        kinds(&merge),
        [OverlapKind::Adjacent, OverlapKind::Adjacent]
    );
    assert_eq!(merge.overlaps[0].base_lines, lines(4, 8));
    let point = &merge.overlaps[1];
    assert_eq!(point.severity, Severity::Low);
    assert_eq!(point.base_lines, lines(10, 9));
    assert_eq!(point.merged_lines, lines(14, 13));
    assert_eq!(point.current_hunk, "@@ -9,0 +11,0 @@\n");
    assert_eq!(point.incoming_hunk, "@@ -9,0 +11,0 @@\n");
}
