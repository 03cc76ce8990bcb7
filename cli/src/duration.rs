//! Durations on the command line, such as `--ttl 30m`: a whole number
//! followed by one unit, `s`, `m`, `h` or `d`.

use std::time::Duration;

/// The form every duration error names.
const EXPECTED: &str = "expected a whole number followed by s, m, h or d, such as 90s, 30m or 2h";

/// Parses a duration such as `90s`, `30m`, `2h` or `1d`. A number without
/// a unit, a unit other than those four, a fraction and zero are rejected.
/// The error does not repeat the value, because clap prints it before the
/// error.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let Some(unit) = trimmed.chars().last() else {
        return Err(format!("the duration is empty; {EXPECTED}"));
    };
    let seconds_per_unit: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        unit if unit.is_ascii_digit() => {
            return Err(format!("the unit is missing; {EXPECTED}"));
        }
        _ => return Err(format!("unknown unit; {EXPECTED}")),
    };
    let digits = &trimmed[..trimmed.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("the number is not a whole number; {EXPECTED}"));
    }
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("the number is too large; {EXPECTED}"))?;
    if count == 0 {
        return Err(format!("the duration must be at least 1s; {EXPECTED}"));
    }
    let seconds = count
        .checked_mul(seconds_per_unit)
        .ok_or_else(|| format!("the duration is too long; {EXPECTED}"))?;
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration(" 5m "), Ok(Duration::from_secs(300)));
    }

    #[test]
    fn rejects_missing_or_unknown_unit() {
        let missing = parse_duration("30").expect_err("a bare number is rejected");
        assert!(missing.contains("unit is missing"), "{missing}");
        assert!(missing.contains("such as 90s, 30m or 2h"), "{missing}");

        let unknown = parse_duration("3w").expect_err("weeks are not a unit");
        assert!(unknown.contains("unknown unit"), "{unknown}");

        let word = parse_duration("5min").expect_err("only one-letter units");
        assert!(word.contains("unknown unit"), "{word}");
    }

    #[test]
    fn rejects_bad_numbers() {
        for bad in ["", "s", "-5m", "1.5h", "m5", "1 m", "+3s"] {
            let error = parse_duration(bad).expect_err(bad);
            assert!(error.contains(EXPECTED), "{bad:?}: {error}");
        }
    }

    #[test]
    fn rejects_zero_and_overflow() {
        let zero = parse_duration("0s").expect_err("zero is rejected");
        assert!(zero.contains("at least 1s"), "{zero}");

        let huge = parse_duration("99999999999999999999s").expect_err("beyond u64");
        assert!(huge.contains("too large"), "{huge}");

        let long = parse_duration(&format!("{}d", u64::MAX / 2)).expect_err("overflows seconds");
        assert!(long.contains("too long"), "{long}");
    }
}
