//! Small text helpers shared by the extractors.

use std::borrow::Cow;


/// Makes any line ending parseable: strips an mbox `From ` line at the top,
/// and turns bare-CR (old Mac) line endings into LF.
pub(crate) fn normalize(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut b = bytes;
    // An mbox separator line left at the top is not a header.
    if b.starts_with(b"From ") {
        match memchr::memchr(b'\n', b) {
            Some(i) => b = &b[i + 1..],
            None => b = &[],
        }
    }
    let head = &b[..b.len().min(4096)];
    if memchr::memchr(b'\n', head).is_none() && memchr::memchr(b'\r', head).is_some() {
        let v: Vec<u8> = b.iter().map(|&c| if c == b'\r' { b'\n' } else { c }).collect();
        return Cow::Owned(v);
    }
    Cow::Borrowed(b)
}

/// Joins lines into one, collapsing runs of whitespace to one space.
pub fn unfold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Cuts `s` to at most `max` bytes at a character boundary.
pub(crate) fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut i = max;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        s.truncate(i);
    }
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&c) || c >= 0x80
}

fn is_domain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c >= 0x80
}

/// The first plausible email address in `s`: `(address, start, end)` byte offsets.
///
/// ```
/// assert_eq!(bouncekit::message::find_address("<a.b@example.org>: said").unwrap().0, "a.b@example.org");
/// assert!(bouncekit::message::find_address("no address here @ all").is_none());
/// ```
pub fn find_address(s: &str) -> Option<(String, usize, usize)> {
    find_address_from(s, 0)
}

pub(crate) fn find_address_from(s: &str, from: usize) -> Option<(String, usize, usize)> {
    let b = s.as_bytes();
    let mut pos = from;
    while let Some(off) = memchr::memchr(b'@', &b[pos..]) {
        let at = pos + off;
        pos = at + 1;
        let mut st = at;
        while st > 0 && is_local_char(b[st - 1]) {
            st -= 1;
        }
        // A quoted local part: "a b"@example.org
        if st == at && at > 0 && b[at - 1] == b'"' {
            if let Some(q) = s[..at - 1].rfind('"') {
                st = q;
            }
        }
        let mut en = at + 1;
        if en < b.len() && b[en] == b'[' {
            while en < b.len() && b[en] != b']' {
                en += 1;
            }
            en = (en + 1).min(b.len());
        } else {
            while en < b.len() && is_domain_char(b[en]) {
                en += 1;
            }
        }
        while st < at && b[st] == b'.' {
            st += 1;
        }
        while en > at + 1 && b[en - 1] == b'.' {
            en -= 1;
        }
        if st == at || en <= at + 1 {
            continue;
        }
        let domain = &s[at + 1..en];
        if !(domain.contains('.') || domain.starts_with('[')) || domain.starts_with('.') || domain.starts_with('-') {
            continue;
        }
        let local = &s[st..at];
        if local.eq_ignore_ascii_case("mailto:") {
            continue;
        }
        let mut local = local.strip_prefix("mailto:").unwrap_or(local);
        // X.400 names the SMTP address as an attribute (`dda:SMTP=a@b`, `RFC-822=a@b`).
        if local.contains('=') {
            for tag in ["smtp=", "rfc-822=", "rfc822="] {
                if let Some(i) = find_ci(local, tag) {
                    local = &local[i + tag.len()..];
                }
            }
        }
        // `'a@b'`: single quotes around an address are not part of it.
        if local.len() > 1 && local.starts_with('\'') && b.get(en) == Some(&b'\'') {
            local = &local[1..];
        }
        if local.is_empty() || !s.is_char_boundary(st) || !s.is_char_boundary(en) {
            continue;
        }
        return Some((format!("{local}@{domain}"), st, en));
    }
    None
}

/// Every address in `s`, in order.
pub(crate) fn all_addresses(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some((a, _, e)) = find_address_from(s, from) {
        out.push(a);
        from = e;
    }
    out
}

/// A `rfc822; addr` style DSN address value -> the bare address.
pub(crate) fn dsn_address(v: &str) -> Option<String> {
    let v = v.trim();
    let v = match v.find(';') {
        Some(i) => &v[i + 1..],
        None => v,
    };
    if let Some((a, _, _)) = find_address(v) {
        return Some(a);
    }
    let t = v.trim().trim_matches(|c| c == '<' || c == '>' || c == '"').trim();
    (!t.is_empty() && !t.contains(char::is_whitespace)).then(|| t.to_string())
}

/// Text of an HTML body: tags dropped, block tags as line breaks, the common entities decoded.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('>') else {
            rest = "";
            break;
        };
        // Only the tag's name matters: no lowercase copy of its attributes.
        let tag = rest[i + 1..i + j].trim_start_matches('/');
        let name = &tag[..tag.bytes().take_while(u8::is_ascii_alphanumeric).count()];
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if ["br", "p", "div", "tr", "li", "table", "h1", "h2", "h3", "blockquote"].into_iter().any(is) {
            out.push('\n');
        } else if is("td") {
            out.push(' ');
        }
        rest = &rest[i + j + 1..];
        for skipped in ["style", "script"] {
            if is(skipped) {
                if let Some(k) = find_ci(rest, &format!("</{skipped}")) {
                    rest = &rest[k..];
                }
            }
        }
    }
    out.push_str(rest);
    if !out.contains('&') {
        return out;
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The SMTP command a diagnostic answered, from the usual wordings.
pub(crate) fn detect_command(text: &str) -> Option<&'static str> {
    // A session transcript (`>>> RCPT To:<a@b>` / `<<< 550 ...`): the last command sent.
    if let Some(i) = text.rfind(">>> ") {
        let w = text[i + 4..].split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
        let cmd = ["DATA", "RCPT", "MAIL", "EHLO", "HELO", "STARTTLS", "AUTH"].into_iter().find(|c| c.eq_ignore_ascii_case(w));
        if cmd.is_some() {
            return cmd;
        }
    }
    // The phrase that occurs first names the command (ties: table order).
    if let Some(m) = command_phrases().find(text) {
        return Some(COMMAND_PHRASES[m.pattern().as_usize()].1);
    }
    if contains_ci(text, "DATA COMMAND") || contains_ci(text, "DURING DATA") {
        return Some("DATA");
    }
    if contains_ci(text, "RCPT") {
        return Some("RCPT");
    }
    None
}

/// Phrases that name the SMTP command a reply answered.
const COMMAND_PHRASES: [(&str, &str); 22] = [
    ("END OF DATA", "DATA"),
    ("AFTER DATA", "DATA"),
    ("REPLY TO DATA", "DATA"),
    ("AFTER END OF DATA", "DATA"),
    ("RCPT TO", "RCPT"),
    ("RCPT_TO", "RCPT"),
    ("MAIL FROM", "MAIL"),
    ("MAIL_FROM", "MAIL"),
    ("AFTER EHLO", "EHLO"),
    ("TO EHLO", "EHLO"),
    ("AFTER HELO", "HELO"),
    ("TO HELO", "HELO"),
    ("STARTTLS", "STARTTLS"),
    ("AFTER AUTH", "AUTH"),
    // qmail's and Exim's prose for the same stages.
    ("DOES NOT LIKE RECIPIENT", "RCPT"),
    ("DID NOT LIKE OUR RCPT", "RCPT"),
    ("SENDER WAS REJECTED", "MAIL"),
    ("AFTER INITIAL CONNECTION", "CONN"),
    ("AFTER CONNECTING", "CONN"),
    // m-FILTER's block: "-------SMTP command DATA".
    ("SMTP COMMAND DATA", "DATA"),
    // Barracuda's message log: "... (at FROM)", "... (at RCPT)".
    ("(AT FROM)", "MAIL"),
    ("(AT RCPT)", "RCPT"),
];

fn command_phrases() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(COMMAND_PHRASES.iter().map(|(k, _)| k))
            .expect("a few short literals always build")
    })
}

/// An RFC 5322 date as RFC 3339 when it parses, else the text as given.
pub(crate) fn rfc3339(s: &str) -> String {
    let t = s.trim();
    // A DSN date may carry a leading comment or trailing zone comment; the parser copes.
    match mail_parser::DateTime::parse_rfc822(t) {
        Some(d) if d.year > 1970 => d.to_rfc3339(),
        _ => t.to_string(),
    }
}

/// Case-insensitive (ASCII) substring search.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    find_ci(hay, needle).is_some()
}

/// Byte offset of a case-insensitive (ASCII) occurrence of `needle` in `hay`.
pub(crate) fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    if h.len() < n.len() {
        return None;
    }
    let first = n[0].to_ascii_lowercase();
    let upper = n[0].to_ascii_uppercase();
    let mut i = 0;
    while i + n.len() <= h.len() {
        let rest = &h[i..h.len() - n.len() + 1];
        let off = if first == upper { memchr::memchr(first, rest) } else { memchr::memchr2(first, upper, rest) };
        let off = off?;
        i += off;
        if h[i..i + n.len()].eq_ignore_ascii_case(n) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(find_address("  kijitora@example.ed.jp").unwrap().0, "kijitora@example.ed.jp");
        assert_eq!(find_address("<a@b.example>...").unwrap().0, "a@b.example");
        assert_eq!(find_address("mailto:x@y.example").unwrap().0, "x@y.example");
        assert!(find_address("user@localhost").is_none());
        assert_eq!(dsn_address("rfc822; <A@B.example>").unwrap(), "A@B.example");
        assert_eq!(all_addresses("a@b.example, c@d.example").len(), 2);
    }

    #[test]
    fn line_endings() {
        assert_eq!(&*normalize(b"A: b\rC: d\r\rbody"), b"A: b\nC: d\n\nbody");
        assert_eq!(&*normalize(b"From x@y Mon\nA: b\n"), b"A: b\n");
    }

    #[test]
    fn commands() {
        assert_eq!(detect_command("550 x (in reply to RCPT TO command)"), Some("RCPT"));
        assert_eq!(detect_command("(in reply to end of DATA command)"), Some("DATA"));
        assert_eq!(detect_command("SMTP error from remote mail server after MAIL FROM:<a@b>"), Some("MAIL"));
        assert_eq!(find_ci("Hello World", "WORLD"), Some(6));
    }

    #[test]
    fn html_to_text_keeps_text_and_drops_tags_styles_and_scripts() {
        let html = "<HTML><Style type=\"text/css\">p { color: red }</STYLE><P CLASS=x>550 5.1.1 &lt;a@b.example&gt;:</p>\
<TABLE><TR><TD>user</td><td>unknown&nbsp;&amp;&#39;gone&#39;</td></tr></table><script>var x = 1;</Script>end";
        assert_eq!(html_to_text(html), "\n550 5.1.1 <a@b.example>:\n\n\n user  unknown &'gone' \n\nend");
        assert_eq!(html_to_text("no tags, no entities"), "no tags, no entities");
    }
}
