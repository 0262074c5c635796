//! Timestamps without a date library: unix seconds from the date formats bounce
//! reports carry (RFC 5322 `Date:`/`Arrival-Date:`, RFC 3339 / ISO 8601,
//! asctime, plain unix seconds), and RFC 3339 UTC out.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn unix(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, offset_secs: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // A leap second (:60) counts as the next second's start.
    Some(days_from_civil(y, mo, d) * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s) - offset_secs)
}

/// `2024-05-01T10:00:00Z`: RFC 3339 in UTC, second precision.
pub fn format_rfc3339(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Unix seconds from a timestamp as bounce reports and logs write it:
///
/// - unix seconds (`1714557600`, also with a fraction);
/// - RFC 3339 / ISO 8601 (`2024-05-01T10:00:00Z`, `2024-05-01 10:00:00.123+02:00`;
///   no offset means UTC);
/// - RFC 5322 dates (`Wed, 1 May 2024 12:00:00 +0200`, with obsolete zone
///   names such as `GMT`, `EST`, `PDT`, two-digit years and trailing comments);
/// - asctime (`Wed May  1 10:00:00 2024`).
///
/// `None` when the text is none of these or names an impossible date.
///
/// ```
/// use bouncekit::parse_timestamp;
/// assert_eq!(parse_timestamp("2024-05-01T10:00:00Z"), Some(1_714_557_600));
/// assert_eq!(parse_timestamp("Wed, 1 May 2024 12:00:00 +0200"), Some(1_714_557_600));
/// assert_eq!(parse_timestamp("1714557600"), Some(1_714_557_600));
/// assert_eq!(parse_timestamp("yesterday"), None);
/// ```
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(v) = parse_unix(t) {
        return Some(v);
    }
    if t.as_bytes()[0].is_ascii_digit() && t.len() >= 10 && t.as_bytes()[4] == b'-' {
        return parse_iso(t);
    }
    parse_mail_date(t)
}

fn parse_unix(t: &str) -> Option<i64> {
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = int.strip_prefix('-').unwrap_or(int);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 12 {
        return None;
    }
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    int.parse().ok()
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DD[T| ]HH:MM[:SS[.fff]][Z|±HH[:]MM]`, or a bare date.
fn parse_iso(t: &str) -> Option<i64> {
    let (date, rest) = t.split_at(10);
    let y: i64 = num(&date[0..4])?.into();
    if &date[4..5] != "-" || &date[7..8] != "-" {
        return None;
    }
    let (mo, d) = (num(&date[5..7])?, num(&date[8..10])?);
    if rest.is_empty() {
        return unix(y, mo, d, 0, 0, 0, 0);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    // Split the clock from the zone.
    let zpos = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zpos);
    let clock = clock.trim_end();
    let mut parts = clock.split(':');
    let h = num(parts.next()?)?;
    let mi = num(parts.next()?)?;
    let s = match parts.next() {
        Some(sec) => num(sec.split('.').next()?)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let offset = match zone {
        "" | "Z" | "z" => 0,
        z => numeric_offset(z)?,
    };
    unix(y, mo, d, h, mi, s, offset)
}

/// `+0200`, `-05:00`, `+02` -> seconds east of UTC.
fn numeric_offset(z: &str) -> Option<i64> {
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
    let (h, m) = match digits.len() {
        2 => (num(&digits)?, 0),
        4 => (num(&digits[..2])?, num(&digits[2..])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (i64::from(h) * 3600 + i64::from(m) * 60))
}

fn month(s: &str) -> Option<u32> {
    const M: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let l = s.get(..3)?.to_ascii_lowercase();
    M.iter().position(|m| *m == l).map(|i| i as u32 + 1)
}

fn zone_name(s: &str) -> Option<i64> {
    let h = match s.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" | "WET" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "CET" | "BST" | "WEST" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "IST" => return Some(5 * 3600 + 1800),
        "JST" | "KST" => 9,
        _ => return None,
    };
    Some(h * 3600)
}

/// RFC 5322 and asctime, read as tokens: a day of month, a month name, a year,
/// a clock, an optional zone; weekday names and comments are skipped.
fn parse_mail_date(t: &str) -> Option<i64> {
    // Drop comments: `... +0000 (UTC)`.
    let mut clean = String::with_capacity(t.len());
    let mut depth = 0u32;
    for c in t.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => clean.push(if c == ',' { ' ' } else { c }),
            _ => {}
        }
    }
    let (mut day, mut mon, mut year, mut clock, mut zone) = (None, None, None, None, None);
    for tok in clean.split_whitespace() {
        if tok.contains(':') && clock.is_none() {
            clock = Some(tok);
        } else if let Some(m) = month(tok).filter(|_| tok.len() >= 3 && tok.chars().all(|c| c.is_ascii_alphabetic())) {
            if mon.is_none() {
                mon = Some(m);
            }
        } else if tok.starts_with(['+', '-']) && clock.is_some() {
            zone = Some(numeric_offset(tok)?);
        } else if let Some(n) = num(tok) {
            if day.is_none() && tok.len() <= 2 && year.is_none() {
                day = Some(n);
            } else if year.is_none() {
                year = Some(match (tok.len(), n) {
                    (4, n) => i64::from(n),
                    (2, n) if n < 50 => 2000 + i64::from(n),
                    (2, n) => 1900 + i64::from(n),
                    (3, n) => 1900 + i64::from(n),
                    _ => return None,
                });
            } else {
                return None;
            }
        } else if let Some(z) = zone_name(tok) {
            if clock.is_some() {
                zone = Some(z);
            }
        } else if tok.chars().all(|c| c.is_ascii_alphabetic()) {
            // weekday or an unknown zone name: an unknown zone reads as UTC
        } else {
            return None;
        }
    }
    let mut cp = clock?.split(':');
    let h = num(cp.next()?)?;
    let mi = num(cp.next()?)?;
    let s = match cp.next() {
        Some(sec) => num(sec.split('.').next()?)?,
        None => 0,
    };
    unix(year?, mon?, day?, h, mi, s, zone.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_days() {
        for z in [-1_000_000i64, -1, 0, 1, 19_844, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_714_557_600), "2024-05-01T10:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn parses_the_formats_reports_use() {
        let want = Some(1_714_557_600);
        for s in [
            "1714557600",
            "1714557600.25",
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00.123Z",
            "2024-05-01 10:00:00",
            "2024-05-01T12:00:00+02:00",
            "2024-05-01T05:00:00-0500",
            "Wed, 1 May 2024 12:00:00 +0200",
            "Wed, 01 May 2024 10:00:00 +0000 (UTC)",
            "1 May 2024 10:00:00 GMT",
            "Wed, 1 May 2024 03:00:00 PDT",
            "Wed, 1 May 24 10:00:00 +0000",
            "Wed May  1 10:00:00 2024",
            "Wed, 1 May 2024 10:00 +0000",
        ] {
            assert_eq!(parse_timestamp(s), want, "{s}");
        }
        assert_eq!(parse_timestamp("2024-05-01"), Some(1_714_521_600));
        assert_eq!(parse_timestamp("Thu, 29 Apr 2010 23:34:45 +0900"), Some(1_272_551_685));
    }

    #[test]
    fn refuses_nonsense() {
        for s in ["", "yesterday", "2024-02-30T00:00:00Z", "2024-13-01", "Wed, 1 Foo 2024 10:00:00", "12:00", "1 May 2024", "99999999999999", "2024-05-01T25:00:00Z", "1.2.3"] {
            assert_eq!(parse_timestamp(s), None, "{s}");
        }
    }
}
