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
        return rfc3339(t.as_bytes()).or_else(|| parse_iso(t));
    }
    parse_mail_date(t)
}

/// `YYYY-MM-DDTHH:MM:SSZ` or `...SS+HH:MM`, the forms reports are given
/// as, read at fixed places; `None` for anything else, which [`parse_iso`]
/// then reads.
fn rfc3339(b: &[u8]) -> Option<i64> {
    let (time, zone) = b.split_at_checked(19)?;
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1] = time else { return None };
    let (sign, zone) = match zone {
        b"Z" => (0, [b'0'; 4]),
        &[sign @ (b'+' | b'-'), zh0, zh1, b':', zm0, zm1] => (if sign == b'+' { 1 } else { -1 }, [zh0, zh1, zm0, zm1]),
        _ => return None,
    };
    let mut v = [0u32; 18];
    for (slot, c) in v.iter_mut().zip([y0, y1, y2, y3, m0, m1, d0, d1, h0, h1, i0, i1, s0, s1].into_iter().chain(zone)) {
        if !c.is_ascii_digit() {
            return None;
        }
        *slot = u32::from(c - b'0');
    }
    let two = |i: usize| v[i] * 10 + v[i + 1];
    let (zh, zm) = (two(14), two(16));
    if zh > 23 || zm > 59 {
        return None;
    }
    let offset = sign * (i64::from(zh) * 3600 + i64::from(zm) * 60);
    unix(i64::from(two(0) * 100 + two(2)), two(4), two(6), two(8), two(10), two(12), offset)
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
///
/// Slices are taken with `get`: text that is not ASCII where the digits
/// should be is no date (indexing there could split a character).
fn parse_iso(t: &str) -> Option<i64> {
    let (date, rest) = (t.get(..10)?, t.get(10..)?);
    let y: i64 = num(date.get(0..4)?)?.into();
    if date.get(4..5)? != "-" || date.get(7..8)? != "-" {
        return None;
    }
    let (mo, d) = (num(date.get(5..7)?)?, num(date.get(8..10)?)?);
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
    let (sign, rest) = match z.as_bytes().split_first()? {
        (b'+', rest) => (1, rest),
        (b'-', rest) => (-1, rest),
        _ => return None,
    };
    // The digits with any `:` left out: two (hours) or four (hours, minutes).
    let (mut d, mut n) = ([0u32; 4], 0);
    for &b in rest {
        if b == b':' {
            continue;
        }
        if !b.is_ascii_digit() || n == 4 {
            return None;
        }
        d[n] = u32::from(b - b'0');
        n += 1;
    }
    let (h, m) = match n {
        2 => (d[0] * 10 + d[1], 0),
        4 => (d[0] * 10 + d[1], d[2] * 10 + d[3]),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (i64::from(h) * 3600 + i64::from(m) * 60))
}

fn month(s: &str) -> Option<u32> {
    const M: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let l = s.get(..3)?;
    M.iter().position(|m| m.eq_ignore_ascii_case(l)).map(|i| i as u32 + 1)
}

fn zone_name(s: &str) -> Option<i64> {
    const ZONES: [(&str, i64); 23] = [
        ("UT", 0),
        ("UTC", 0),
        ("GMT", 0),
        ("Z", 0),
        ("WET", 0),
        ("EST", -5 * 3600),
        ("EDT", -4 * 3600),
        ("CST", -6 * 3600),
        ("CDT", -5 * 3600),
        ("MST", -7 * 3600),
        ("MDT", -6 * 3600),
        ("PST", -8 * 3600),
        ("PDT", -7 * 3600),
        ("CET", 3600),
        ("BST", 3600),
        ("WEST", 3600),
        ("CEST", 2 * 3600),
        ("EET", 2 * 3600),
        ("EEST", 3 * 3600),
        ("MSK", 3 * 3600),
        ("IST", 5 * 3600 + 1800),
        ("JST", 9 * 3600),
        ("KST", 9 * 3600),
    ];
    ZONES.iter().find(|(name, _)| name.eq_ignore_ascii_case(s)).map(|&(_, secs)| secs)
}

/// RFC 5322 and asctime, read as tokens: a day of month, a month name, a year,
/// a clock, an optional zone; weekday names and comments are skipped.
fn parse_mail_date(t: &str) -> Option<i64> {
    // Commas separate like spaces. Comments (`... +0000 (UTC)`) are dropped,
    // which can join the text around them into one token: only text with a
    // parenthesis (or other than ASCII, for Unicode's spaces) is copied.
    if t.is_ascii() && !t.contains(['(', ')']) {
        return mail_date_tokens(t.split([' ', '\t', '\n', '\x0b', '\x0c', '\r', ',']).filter(|w| !w.is_empty()));
    }
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
    mail_date_tokens(clean.split_whitespace())
}

fn mail_date_tokens<'a>(tokens: impl Iterator<Item = &'a str>) -> Option<i64> {
    let (mut day, mut mon, mut year, mut clock, mut zone) = (None, None, None, None, None);
    for tok in tokens {
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
mod reference;

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

    use crate::test_rng::Rng;

    /// Dates, near-dates and junk built from the pieces the reader looks at.
    fn generated(rng: &mut Rng) -> String {
        const PIECES: &[&str] = &[
            "Wed", "thu", "MON", "Jan", "may", "MAY", "Sept", "Mayo", "dec", "1", "01", "29", "31", "32", "0", "2024", "24", "99", "124",
            "20245", "1714557600", "-5", "1.5", "10:00:00", "10:00", "23:59:60", "24:00:00", "1:2:3", "10:00:00.5", "+0200", "-05:00",
            "+02", "+2", "+02000", "+1\u{e9}1", "-", "GMT", "pdt", "Kst", "XYZ", "UT", "z", "(UTC)", "(a (b) c)", ")", "(", "\u{e9}",
            "\u{65e5}\u{672c}", "2024-05-01", "2024-02-29", "2023-02-29", "2024-1\u{e9}-01", "2024-05-0\u{e9}", "2024-05-01T",
            "2024-05-01T10:00:00Z", "2024-13-01T10:00:00Z", "2024-02-30T10:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z",
            "2024-05-01T10:00:60Z", "2024-05-01t10:00:00z", "2024-05-01T10:00:00", "2024-05-01T1:00:00Z", "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z", "T", "Z", ":", ".",
        ];
        const SEPARATORS: &[&str] = &[" ", " ", " ", ",", ", ", "\t", "\r\n", "\u{b}", "\u{a0}", "\u{2003}", ""];
        let mut out = String::new();
        for i in 0..rng.below(8) {
            if i > 0 {
                out.push_str(SEPARATORS[rng.below(SEPARATORS.len())]);
            }
            out.push_str(PIECES[rng.below(PIECES.len())]);
        }
        out
    }

    #[test]
    fn reads_generated_dates_as_the_allocating_reader_did() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut dates, mut compared) = (0, 0);
        for _ in 0..200_000 {
            let text = generated(&mut rng);
            let got = parse_timestamp(&text); // never panics
            // The old reader split characters on some non-ASCII text (and
            // panicked); everywhere else the two agree.
            if let Ok(want) = std::panic::catch_unwind(|| reference::parse_timestamp(&text)) {
                assert_eq!(got, want, "{text:?}");
                compared += 1;
                dates += usize::from(want.is_some());
            } else {
                assert_eq!(got, None, "{text:?}");
            }
        }
        assert!(compared > 190_000 && dates > 5_000, "{compared} compared, {dates} dates");
    }

    #[test]
    fn reads_rfc3339_at_fixed_places_as_the_allocating_reader_did() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut dates = 0;
        for _ in 0..100_000 {
            // Every place a digit, mostly in range; now and then one byte off.
            let mut b = [b"2024-05-01T10:00:00Z".as_slice(), b"2024-05-01T10:00:00+09:00", b"2024-05-01T10:00:00-08:30"][rng.below(3)].to_vec();
            let len = b.len();
            for i in [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24].into_iter().filter(|&i| i < len) {
                // The tens mostly in range, now and then past it.
                let tens = match i {
                    5 => 2,
                    8 => 4,
                    11 | 20 => 3,
                    14 | 17 | 23 => 7,
                    _ => 10,
                };
                b[i] = b'0' + rng.below(tens) as u8;
            }
            if rng.below(8) == 0 {
                let i = rng.below(b.len());
                b[i] = b"0-T:Z+ x/"[rng.below(9)];
            }
            let text = std::str::from_utf8(&b).unwrap();
            let want = reference::parse_timestamp(text);
            assert_eq!(parse_timestamp(text), want, "{text}");
            dates += usize::from(want.is_some());
        }
        assert!(dates > 15_000, "{dates} dates");
    }

    #[test]
    fn text_that_is_not_ascii_where_digits_go_is_no_date() {
        for s in ["2024-1\u{e9}-01", "2024-05-0\u{e9}", "2024-05-0\u{e9}T10:00:00Z", "Wed, 1 May 2024 12:00:00 +1\u{e9}1", "2024-05-01T10:00:00+1\u{e9}1"] {
            assert_eq!(parse_timestamp(s), None, "{s:?}");
        }
    }
}
