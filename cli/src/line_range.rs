//! Line ranges on the command line, such as `--lines 40-120`.

use crate::client::messages::LineRange;

/// The form every line range error names.
const EXPECTED: &str =
    "expected A-B with line numbers from 1 and A <= B, such as 40-120, or one line number";

/// Parses `A-B` (1-based and inclusive) or a single line number `A`,
/// which is the range `A-A`. The error does not repeat the value, because
/// clap prints it before the error.
pub fn parse_line_range(text: &str) -> Result<LineRange, String> {
    let trimmed = text.trim();
    let (start, end) = match trimmed.split_once('-') {
        Some((start, end)) => (parse_line(start)?, parse_line(end)?),
        None => {
            let line = parse_line(trimmed)?;
            (line, line)
        }
    };
    if start > end {
        return Err(format!(
            "the first line {start} is after the last line {end}; {EXPECTED}"
        ));
    }
    Ok(LineRange { start, end })
}

fn parse_line(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("{text:?} is not a line number; {EXPECTED}"));
    }
    let line: u64 = text
        .parse()
        .map_err(|_| format!("line {text} is too large; {EXPECTED}"))?;
    if line == 0 {
        return Err(format!("line numbers start at 1; {EXPECTED}"));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_range_and_single_line() {
        assert_eq!(
            parse_line_range("40-120"),
            Ok(LineRange {
                start: 40,
                end: 120
            })
        );
        assert_eq!(parse_line_range("7"), Ok(LineRange { start: 7, end: 7 }));
        assert_eq!(
            parse_line_range(" 3 - 3 "),
            Ok(LineRange { start: 3, end: 3 })
        );
    }

    #[test]
    fn rejects_reversed_range() {
        let error = parse_line_range("5-3").expect_err("5-3 is reversed");
        assert!(
            error.contains("the first line 5 is after the last line 3"),
            "{error}"
        );
        assert!(error.contains(EXPECTED), "{error}");
    }

    #[test]
    fn rejects_line_zero() {
        for bad in ["0-2", "0", "1-0"] {
            let error = parse_line_range(bad).expect_err(bad);
            assert!(error.contains("line numbers start at 1"), "{bad}: {error}");
        }
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in ["x", "", "-", "3-", "-3", "1-2-3", "a-b", "1.5", "+2"] {
            let error = parse_line_range(bad).expect_err(bad);
            assert!(error.contains("is not a line number"), "{bad:?}: {error}");
        }
        let huge = parse_line_range("1-99999999999999999999").expect_err("beyond u64");
        assert!(huge.contains("too large"), "{huge}");
    }
}
