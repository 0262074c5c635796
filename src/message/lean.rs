//! A copy of a message without the body of the original message it returns.
//!
//! Bouncekit reads only the headers of a returned `message/rfc822` (or
//! `message/global`) part, yet the MIME parser would decode all of it:
//! quoted-printable HTML, base64 images, every part's headers. So the body is
//! cut out before parsing, when the cut provably leaves the parser's view of
//! everything else unchanged. Whenever a condition below does not hold, that
//! part is left whole (the copy only ever costs speed, never a verdict):
//!
//! - the part's `Content-Type` line sits in a part header block that follows
//!   a delimiter line `--B` of a boundary `B` declared earlier in the message;
//! - the part itself is not base64 or quoted-printable encoded (the parser
//!   then decodes it and parses the result separately);
//! - its body ends at the close delimiter `--B--`, the first `--B` after the
//!   returned headers, at the start of a line (the parser finds a boundary
//!   anywhere, not only at line starts);
//! - what is cut names no `message/*` type and no digest, so the MIME depth
//!   the parser sees (a limit) is the same;
//! - a multipart original is closed inside the cut, and its boundary appears
//!   nowhere after it (the parser would look for it there).

use std::borrow::Cow;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use memchr::memmem;

/// At most this many returned messages are looked at in one message: the
/// checks walk back a few lines each, and a crafted message may repeat the
/// type name endlessly.
const MAX_CANDIDATES: usize = 16;

/// At most this many lines between a delimiter and the part's `Content-Type`.
const MAX_HEADER_LINES: usize = 32;

/// `raw` without the bodies of the original messages it returns, or `None`
/// when nothing can be cut.
pub(crate) fn without_returned_bodies(raw: &[u8]) -> Option<Vec<u8>> {
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    for _ in 0..MAX_CANDIDATES {
        let Some((at, len)) = next_message_type(raw, from) else { break };
        from = at + len;
        if let Some((start, end)) = cut_for(raw, at) {
            cuts.push((start, end));
            from = end;
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let kept = raw.len() - cuts.iter().map(|(s, e)| e - s).sum::<usize>();
    let mut out = Vec::with_capacity(kept);
    let mut pos = 0;
    for (s, e) in cuts {
        out.extend_from_slice(&raw[pos..s]);
        pos = e;
    }
    out.extend_from_slice(&raw[pos..]);
    Some(out)
}

/// The next `message/rfc822` or `message/global` (as a whole type name) at or after `from`.
fn next_message_type(raw: &[u8], from: usize) -> Option<(usize, usize)> {
    static FIND: OnceLock<AhoCorasick> = OnceLock::new();
    let ac = FIND.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(["message/rfc822", "message/global"])
            .expect("two literal patterns")
    });
    let mut pos = from;
    while let Some(m) = ac.find(raw.get(pos..)?) {
        let (at, end) = (pos + m.start(), pos + m.end());
        match raw.get(end) {
            Some(c) if c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_' || *c == b'.' => pos = end,
            _ => return Some((at, end - at)),
        }
    }
    None
}

/// The byte range to cut for the type name at `at`, when every condition holds.
fn cut_for(raw: &[u8], at: usize) -> Option<(usize, usize)> {
    // The header field the type name is in, unfolded backwards to its name.
    let mut line = line_start(raw, at);
    let mut steps = 0;
    while raw.get(line).is_some_and(|c| *c == b' ' || *c == b'\t') {
        line = line_start(raw, line.checked_sub(1)?);
        steps += 1;
        if steps > MAX_HEADER_LINES {
            return None;
        }
    }
    // The type name must be the field's value, not a parameter's.
    if !starts_with_ci(&raw[line..], b"content-type:")
        || !raw[line + 13..at].iter().all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        return None;
    }
    // Back to the delimiter line that opens this part's header block.
    let mut first = line;
    let boundary = loop {
        let prev_end = first.checked_sub(1)?;
        let prev = line_start(raw, prev_end);
        let text = trim_eol(&raw[prev..prev_end]);
        if text.is_empty() {
            return None;
        }
        if let Some(b) = text.strip_prefix(b"--") {
            break trim_trailing_ws(b);
        }
        first = prev;
        steps += 1;
        if steps > MAX_HEADER_LINES {
            return None;
        }
    };
    if boundary.is_empty() || !declared(&raw[..first], boundary) {
        return None;
    }
    // The part's header block, then the returned message's own headers.
    let part_body = block_end(raw, line)?;
    let part_headers = &raw[first..part_body];
    if contains_ci(part_headers, b"base64")
        || contains_ci(part_headers, b"quoted-printable")
        || count_ci(part_headers, b"content-type") != 1
    {
        return None;
    }
    let inner_body = block_end(raw, part_body)?;
    // Returned headers there are, and no delimiter line among them (the
    // parser reads headers up to a blank line, whatever lines they cross).
    if raw[part_body] == b'\n' || raw[part_body..].starts_with(b"\r\n") || memmem::find(&raw[first..inner_body], b"\n--").is_some() {
        return None;
    }
    // The close delimiter: the first `--B` anywhere after the returned headers.
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(boundary);
    let d = inner_body + memmem::find(&raw[inner_body..], &delim)?;
    if raw.get(d.wrapping_sub(1)) != Some(&b'\n') || !raw[d + delim.len()..].starts_with(b"--") {
        return None;
    }
    let end = if d >= 2 && raw[d - 2] == b'\r' { d - 2 } else { d - 1 };
    if end < inner_body {
        return None;
    }
    let cut = &raw[inner_body..end];
    if contains_ci(cut, b"message/") || contains_ci(cut, b"digest") {
        return None;
    }
    // A multipart original: closed inside the cut, never named after it.
    let inner_headers = &raw[part_body..inner_body];
    if contains_ci(inner_headers, b"boundary") {
        let ib = boundary_param(inner_headers)?;
        let mut open = b"--".to_vec();
        open.extend_from_slice(ib);
        let mut close = open.clone();
        close.extend_from_slice(b"--");
        if memmem::find(cut, &close).is_none() || memmem::find(&raw[end..], &open).is_some() {
            return None;
        }
    }
    Some((inner_body, end))
}

/// Whether `boundary` is declared (`boundary=B` or `boundary="B"`) in `head`.
fn declared(head: &[u8], boundary: &[u8]) -> bool {
    memmem::find_iter(head, boundary).any(|i| {
        let before = &head[..i];
        let before = before.strip_suffix(b"\"").unwrap_or(before);
        before.len() >= 9 && before[before.len() - 9..].eq_ignore_ascii_case(b"boundary=")
    })
}

/// The value of the one `boundary=` parameter in a header block (`None`
/// when there are several, or an RFC 2231 `boundary*`).
fn boundary_param(head: &[u8]) -> Option<&[u8]> {
    let lower = head.to_ascii_lowercase();
    let mut found = memmem::find_iter(&lower, b"boundary");
    let i = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let rest = head[i + 8..].strip_prefix(b"=")?;
    let value = match rest.strip_prefix(b"\"") {
        Some(q) => &q[..memchr::memchr(b'"', q)?],
        None => {
            let n = rest.iter().position(|c| matches!(c, b';' | b' ' | b'\t' | b'\r' | b'\n')).unwrap_or(rest.len());
            &rest[..n]
        }
    };
    (!value.is_empty()).then_some(value)
}

/// Where the header block holding the line at `from` ends: just after its
/// blank line.
fn block_end(raw: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    loop {
        let nl = pos + memchr::memchr(b'\n', &raw[pos..])?;
        if trim_eol(&raw[pos..nl]).is_empty() {
            return Some(nl + 1);
        }
        pos = nl + 1;
    }
}

fn line_start(raw: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &raw[..at]).map_or(0, |i| i + 1)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_trailing_ws(s: &[u8]) -> &[u8] {
    let n = s.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(0, |i| i + 1);
    &s[..n]
}

fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Whether `hay` holds `needle` (lowercase), in any case.
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    count_ci(hay, needle) > 0
}

/// How often `hay` holds `needle` (lowercase), in any case.
fn count_ci(hay: &[u8], needle: &[u8]) -> usize {
    let lower: Cow<'_, [u8]> = if hay.iter().any(u8::is_ascii_uppercase) {
        Cow::Owned(hay.to_ascii_lowercase())
    } else {
        Cow::Borrowed(hay)
    };
    memmem::find_iter(&lower, needle).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse_bytes, util, Limits};
    use crate::Classifier;

    const BOUNCE: &str = "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain\r\n\r\n<nobody@example.org>: 550 5.1.1 User unknown\r\n\
--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
--b1\r\nContent-Type: message/rfc822\r\n\r\n\
From: me@example.net\r\nTo: nobody@example.org\r\nMessage-ID: <m1@example.net>\r\nSubject: hi\r\n\
Content-Type: multipart/alternative; boundary=b2\r\n\r\n\
--b2\r\nContent-Type: text/plain\r\n\r\nTo: other@example.com\r\n\
--b2\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>x=3D1</p>\r\n\
--b2--\r\n\r\n--b1--\r\n";

    #[test]
    fn cuts_the_returned_body_and_keeps_its_headers() {
        let lean = without_returned_bodies(BOUNCE.as_bytes()).expect("a cut");
        let lean = String::from_utf8(lean).unwrap();
        assert!(lean.contains("Message-ID: <m1@example.net>"));
        assert!(lean.contains("boundary=b2\r\n\r\n\r\n--b1--"), "{lean}");
        assert!(!lean.contains("other@example.com"));
        assert!(!lean.contains("x=3D1"));
    }

    #[test]
    fn leaves_whole_what_it_cannot_prove_safe() {
        let no = |s: String| assert_eq!(without_returned_bodies(s.as_bytes()), None, "{s}");
        no(BOUNCE.replace("Content-Type: message/rfc822\r\n", "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"));
        // Not the last part: no close delimiter right after it.
        no(BOUNCE.replace("--b2--\r\n\r\n--b1--", "--b2--\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nmore\r\n--b1--"));
        // A nested returned message would change the MIME depth.
        no(BOUNCE.replace("Content-Type: text/plain\r\n\r\nTo: other", "Content-Type: message/rfc822\r\n\r\nTo: other"));
        // The original's own boundary is never closed.
        no(BOUNCE.replace("--b2--", "--b2x"));
        // An undeclared delimiter (quoted MIME in a text body).
        no(BOUNCE.replace("boundary=\"b1\"", "boundary=\"c1\""));
        // No part header block: the type named in a text.
        no("From: a@b.example\r\n\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\n\r\nbody\r\n".to_string());
    }

    /// Every corpus message: the lean copy's report is the whole message's
    /// report, and the returned bodies of most bounces are cut.
    #[test]
    fn corpus_reports_are_the_same_with_and_without_the_cut() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let classifier = Classifier::new();
        let limits = Limits::default();
        let (mut seen, mut cut) = (0, 0);
        for dir in ["../shared/corpus/sisimai/bsd", "../shared/corpus/sisimai/dos", "../shared/corpus/sisimai/not", "tests/fixtures"] {
            let Ok(rd) = std::fs::read_dir(root.join(dir)) else { continue };
            for e in rd.flatten() {
                let Ok(raw) = std::fs::read(e.path()) else { continue };
                let raw = util::normalize(&raw);
                seen += 1;
                let Some(lean) = without_returned_bodies(&raw) else { continue };
                cut += 1;
                let whole = parse_bytes(&classifier, &raw, &limits, false);
                match parse_bytes(&classifier, &lean, &limits, true) {
                    Ok(Some(r)) => assert_eq!(whole.ok().flatten(), Some(r), "{}", e.path().display()),
                    Ok(None) | Err(_) => {} // parse_with falls back to the whole message
                }
            }
        }
        if seen > 500 {
            assert!(cut * 3 > seen, "only {cut} of {seen} messages cut");
        }
    }
}
