//! The date reader as it was before it stopped allocating (a copy of every
//! text, a lowercased copy of every token): the tests hold the two equal.

use super::{num, parse_unix, unix};

pub(super) fn parse_timestamp(text: &str) -> Option<i64> {
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

