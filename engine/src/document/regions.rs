//! Line regions of a file document: anchoring a range of lines with
//! Automerge cursors so it follows later edits, and naming the agents whose
//! characters fill a range.

use automerge::{ChangeHash, ROOT, ReadDoc};

use super::{FileDoc, TEXT};
use crate::change::ChangeMeta;
use crate::content::FileContent;
use crate::merge::LineRange;
use crate::version::Version;

/// The end anchor of a range that reaches the end of the text. Lines
/// appended later fall inside such a range.
const END_OF_TEXT: &str = "end";

/// The prefix of an end anchor that is a cursor on the line after the range.
const NEXT_LINE: &str = "next:";

impl FileDoc {
    /// Anchors `lines` (1-based, inclusive) of the current text so the
    /// range can be found again after edits above, inside or below it.
    /// The start is an Automerge cursor on the first character of the first
    /// line. The end is `end` when the range reaches the last line, else
    /// `next:` and a cursor on the first character of the line after the
    /// range. Deleting the range's last lines then shrinks the range rather
    /// than moving its end onto the next line. Returns `None` for a file
    /// kept as bytes or an empty range.
    pub fn anchor_lines(&self, lines: LineRange) -> Option<(String, String)> {
        let FileContent::Text { text, .. } = self.content().ok()? else {
            return None;
        };
        if lines.end < lines.start {
            return None;
        }
        let starts = line_starts(&text);
        let start = *starts.get(lines.start.checked_sub(1)?)?;
        let (_, obj) = self.doc.get(ROOT, TEXT).ok()??;
        let start = self.doc.get_cursor(&obj, start, None).ok()?;
        let text_len = text.chars().count();
        let end = match starts
            .get(lines.end)
            .copied()
            .filter(|&next| next < text_len)
        {
            Some(next) => {
                let cursor = self.doc.get_cursor(&obj, next, None).ok()?;
                format!("{NEXT_LINE}{cursor}")
            }
            None => END_OF_TEXT.to_owned(),
        };
        Some((start.to_string(), end))
    }

    /// Finds the lines that [`FileDoc::anchor_lines`] anchored, in the text
    /// at `version`. Returns `None` when the cursors do not parse or the
    /// text is gone.
    pub fn anchored_lines(&self, anchors: (&str, &str), version: &Version) -> Option<LineRange> {
        self.anchored_lines_all(&[anchors], version).pop().flatten()
    }

    /// Finds the lines of several anchored ranges at `version`, as
    /// [`FileDoc::anchored_lines`] does for one, reading the text once.
    pub fn anchored_lines_all(
        &self,
        anchors: &[(&str, &str)],
        version: &Version,
    ) -> Vec<Option<LineRange>> {
        let text = match self.content_at(version) {
            Ok(FileContent::Text { text, .. }) => text,
            _ => return vec![None; anchors.len()],
        };
        let Ok(Some((_, obj))) = self.doc.get_at(ROOT, TEXT, version.heads()) else {
            return vec![None; anchors.len()];
        };
        let starts = line_starts(&text);
        let position = |cursor: &str| {
            let cursor = automerge::Cursor::try_from(cursor).ok()?;
            self.doc
                .get_cursor_position(&obj, &cursor, Some(version.heads()))
                .ok()
        };
        let line_of = |char_offset: usize| starts.partition_point(|&start| start <= char_offset);
        let line_count = starts.len() - 1;
        anchors
            .iter()
            .map(|(start, end)| {
                let start_line = line_of(position(start)?).max(1);
                // An end before the start means every anchored line was
                // deleted; the range is then empty.
                let end_line = if *end == END_OF_TEXT {
                    line_count
                } else if let Some(next) = end.strip_prefix(NEXT_LINE) {
                    line_of(position(next)?).saturating_sub(1)
                } else {
                    // A cursor on the last character of the range, as
                    // anchors were made before the line-after form.
                    line_of(position(end)?).max(start_line)
                };
                Some(LineRange {
                    start: start_line,
                    end: end_line.max(start_line - 1),
                })
            })
            .collect()
    }

    /// The agents other than `writer` whose changes since `base` inserted
    /// characters that are now in `lines` of the current text `current`.
    pub(super) fn line_authors(
        &self,
        base: &Version,
        current: &str,
        lines: std::ops::Range<usize>,
        writer: &str,
    ) -> Vec<String> {
        let Ok(Some((_, text_obj))) = self.doc.get(ROOT, TEXT) else {
            return Vec::new();
        };
        let unseen: std::collections::HashMap<ChangeHash, String> = self
            .doc
            .get_changes_meta(base.heads())
            .into_iter()
            .map(|change| {
                let agent = ChangeMeta::from_change(change.message.as_deref(), 0).agent;
                (change.hash, agent)
            })
            .collect();

        // Code point offsets of the first and past-the-last line.
        let mut offsets = Vec::new();
        let mut chars = 0;
        offsets.push(0);
        for line in current.split_inclusive('\n') {
            chars += line.chars().count();
            offsets.push(chars);
        }
        let start = offsets.get(lines.start).copied().unwrap_or(chars);
        let end = offsets.get(lines.end).copied().unwrap_or(chars);

        let mut agents: Vec<String> = self
            .doc
            .list_range(&text_obj, start..end)
            .filter_map(|item| self.doc.hash_for_opid(&item.id()))
            .filter_map(|hash| unseen.get(&hash).cloned())
            .filter(|agent| agent != writer && !agent.is_empty())
            .collect();
        agents.sort();
        agents.dedup();
        agents
    }
}

/// The 0-based current-side line range of a unified hunk, from its header
/// `@@ -a,b +c,d @@`; `None` when the side has no lines.
pub(super) fn current_side_lines(hunk: &str) -> Option<std::ops::Range<usize>> {
    let header = hunk.lines().next()?;
    let side = header.split(' ').find(|part| part.starts_with('+'))?;
    let side = side.trim_start_matches('+');
    let (start, count) = match side.split_once(',') {
        Some((start, count)) => (start.parse::<usize>().ok()?, count.parse::<usize>().ok()?),
        None => (side.parse::<usize>().ok()?, 1),
    };
    if count == 0 {
        return None;
    }
    let first = start.checked_sub(1)?;
    Some(first..first + count)
}

/// The code point offset where each line of `text` starts, then the
/// length of the text.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.chars().count();
        starts.push(offset);
    }
    starts
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;

    use super::*;
    use crate::change::ChangeMeta;

    fn doc(text: &str) -> FileDoc {
        let content = FileContent::from_written_text(text);
        let meta = ChangeMeta::now("agent-a", "create");
        FileDoc::create(&content, ActorId::random(), &meta)
            .expect("document")
            .0
    }

    fn rewrite(doc: &mut FileDoc, text: &str) -> Version {
        let base = doc.version();
        let content = FileContent::from_written_text(text);
        let meta = ChangeMeta::now("agent-b", "edit");
        doc.write("a.txt", &base, &content, ActorId::random(), &meta)
            .expect("write");
        doc.version()
    }

    fn lines(start: usize, end: usize) -> LineRange {
        LineRange { start, end }
    }

    #[test]
    fn anchored_range_shrinks_when_last_lines_go() {
        let mut doc = doc("1\n2\n3\n4\n5\n6\n7\n");
        let (start, end) = doc.anchor_lines(lines(3, 5)).expect("anchors");

        let version = rewrite(&mut doc, "1\n2\n3\n4\n6\n7\n");
        assert_eq!(
            doc.anchored_lines((&start, &end), &version),
            Some(lines(3, 4))
        );

        let version = rewrite(&mut doc, "1\n2\n6\n7\n");
        let gone = doc.anchored_lines((&start, &end), &version).expect("lines");
        assert!(
            gone.end < gone.start,
            "every anchored line was deleted: {gone:?}"
        );
    }

    #[test]
    fn anchored_range_moves_and_grows() {
        let mut doc = doc("1\n2\n3\n4\n");
        let (start, end) = doc.anchor_lines(lines(2, 3)).expect("anchors");
        let version = rewrite(&mut doc, "0\n1\n2\nx\n3\n4\n");
        assert_eq!(
            doc.anchored_lines((&start, &end), &version),
            Some(lines(3, 5))
        );

        let (start, end) = doc.anchor_lines(lines(5, 6)).expect("anchors to the end");
        assert_eq!(end, "end");
        let version = rewrite(&mut doc, "0\n1\n2\nx\n3\n");
        assert_eq!(
            doc.anchored_lines((&start, &end), &version),
            Some(lines(5, 5))
        );
    }
}
