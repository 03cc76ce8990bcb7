//! Command output on stdout: result lines, JSON, overlaps and times. Write
//! errors (a closed pipe among them) are returned, so `main` can exit
//! quietly on a broken pipe.

use std::io::{self, Write as _};

use serde::Serialize;

mod event;
mod lease;
mod overlap;

pub use event::event_line;
pub use lease::{lease_line, lease_span, lease_summary};
pub use overlap::{listed_overlap, listed_overlap_header, overlap};

/// Writes one line to stdout.
pub fn line(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.write_all(b"\n")?;
    stdout.flush()
}

/// Writes raw bytes to stdout.
pub fn bytes(content: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(content)?;
    stdout.flush()
}

/// Writes `value` as one line of compact JSON.
pub fn json<T: Serialize>(value: &T) -> io::Result<()> {
    let text = serde_json::to_string(value).map_err(io::Error::other)?;
    line(&text)
}

/// Formats a version for display and for `weft write --base`: the hashes
/// joined by commas, or `[]` for the empty version.
pub fn version(hashes: &[String]) -> String {
    if hashes.is_empty() {
        "[]".to_owned()
    } else {
        hashes.join(",")
    }
}

/// Formats a result line: the verb padded to 7 columns, then the path, as in
/// `merged  src/lib.rs`.
pub fn result_line(verb: &str, path: &str) -> String {
    format!("{verb:<7} {path}")
}

/// Formats milliseconds since the Unix epoch as RFC 3339 in UTC, to the
/// second, such as `2026-11-12T08:00:00Z`.
pub fn rfc3339_utc(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month,
/// day), following Howard Hinnant's `civil_from_days` algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_times() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000_999), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn version_joins_with_commas() {
        assert_eq!(version(&["ab".into(), "cd".into()]), "ab,cd");
        assert_eq!(version(&[]), "[]");
    }

    #[test]
    fn result_line_pads_verb() {
        assert_eq!(result_line("sent", "z"), "sent    z");
        assert_eq!(result_line("merged", "src/lib.rs"), "merged  src/lib.rs");
    }
}
