//! Small text helpers shared by the extractors.

use std::borrow::Cow;

use crate::find_byte::first_in_range;

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

/// The first five lines of a text: the diagnostic kept for a notice that
/// reports no failure (an auto-reply, a read receipt).
pub(crate) fn opening_lines(text: &str) -> String {
    text.lines().take(5).collect::<Vec<_>>().join("\n")
}

/// The lines of `s` exactly as [`str::lines`] gives them (split at `\n`, a
/// `\r` before it dropped), found with memchr's vectorised search: the
/// extractors walk every line of every report.
pub(crate) fn lines(s: &str) -> Lines<'_> {
    Lines { rest: s }
}

/// See [`lines`].
pub(crate) struct Lines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        match memchr::memchr(b'\n', self.rest.as_bytes()) {
            Some(i) => {
                let line = &self.rest[..i];
                self.rest = &self.rest[i + 1..];
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            None => Some(std::mem::take(&mut self.rest)),
        }
    }
}

/// [`str::trim`], without walking characters when both ends are ASCII
/// and not blank (most lines of a report).
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let blank_or_wide = |b: u8| matches!(b, b'\t'..=b'\r' | b' ') || b >= 0x80;
    match s.as_bytes() {
        [first, .., last] if !blank_or_wide(*first) && !blank_or_wide(*last) => s,
        [only] if !blank_or_wide(*only) => s,
        _ => trim_blanks(s),
    }
}

/// [`trim`] of a string with a blank or non-ASCII byte at an end. ASCII
/// blanks (an indented line, a field's value after its `: `) are dropped
/// a byte at a time; a non-ASCII byte left at either end may belong to a
/// wide blank (U+00A0, U+3000), and there `str::trim` reads chars.
fn trim_blanks(s: &str) -> &str {
    let b = s.as_bytes();
    let blank = |c: u8| matches!(c, b'\t'..=b'\r' | b' ');
    let mut st = 0;
    while st < b.len() && blank(b[st]) {
        st += 1;
    }
    let mut en = b.len();
    while en > st && blank(b[en - 1]) {
        en -= 1;
    }
    // `st` and `en` follow or precede ASCII bytes: char boundaries.
    let inner = &s[st..en];
    match inner.as_bytes() {
        [] => inner,
        [first, .., last] if *first < 0x80 && *last < 0x80 => inner,
        [only] if *only < 0x80 => inner,
        _ => inner.trim(),
    }
}

/// [`str::split_once`] at an ASCII byte, found with memchr.
#[inline]
pub(crate) fn split_at_byte(s: &str, c: u8) -> Option<(&str, &str)> {
    debug_assert!(c.is_ascii());
    memchr::memchr(c, s.as_bytes()).map(|i| (&s[..i], &s[i + 1..]))
}

/// Joins lines into one, collapsing runs of whitespace to one space.
pub fn unfold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // ASCII without a vertical tab (whitespace to `split_whitespace`, not
    // to `split_ascii_whitespace`): the byte-wise split gives the same words.
    if s.is_ascii() {
        // Whitespace to `split_whitespace` in ASCII: tab, LF, VT, FF, CR, space.
        let b = s.as_bytes();
        let space = |c: u8| matches!(c, b'\t'..=b'\r' | b' ');
        // Already one line with single spaces (most diagnostics): a copy.
        // Vectorised scans: no blank but the space, no two spaces in a row,
        // none at either end.
        static TWO_SPACES: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
        let clean = b.first() != Some(&b' ')
            && b.last() != Some(&b' ')
            && memchr::memchr3(b'\n', b'\r', b'\t', b).is_none()
            && memchr::memchr2(0x0b, 0x0c, b).is_none()
            && TWO_SPACES.get_or_init(|| memchr::memmem::Finder::new("  ")).find(b).is_none();
        if clean {
            out.push_str(s);
            return out;
        }
        // Copied a run at a time: a run goes on over single spaces between
        // words (most of a line), and ends at any other blank.
        let mut i = 0;
        while i < b.len() && space(b[i]) {
            i += 1;
        }
        while i < b.len() {
            let start = i;
            loop {
                // Blanks are control bytes or the space: only a byte up to
                // 0x20 can end a word.
                i = first_in_range(b, i, 0, b' ').unwrap_or(b.len());
                match b.get(i) {
                    Some(&c) if !space(c) => i += 1,
                    Some(b' ') if b.get(i + 1).is_some_and(|&c| !space(c)) => i += 1,
                    _ => break,
                }
            }
            out.push_str(&s[start..i]);
            while i < b.len() && space(b[i]) {
                i += 1;
            }
            if i < b.len() {
                out.push(' ');
            }
        }
        return out;
    }
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

/// Bytes of an address's local part: RFC 5322's atext, the dot, and any
/// non-ASCII byte. A table: the local part is walked a byte at a time.
static LOCAL_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c >= 0x80 || matches!(c, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'/' | b'=' | b'?' | b'^' | b'_' | b'`' | b'{' | b'|' | b'}' | b'~' | b'.');
        i += 1;
    }
    t
};

#[inline]
fn is_local_char(c: u8) -> bool {
    LOCAL_CHARS[usize::from(c)]
}

/// Bytes of an address's domain: letters, digits, `-`, `.` and any
/// non-ASCII byte. A table, like [`LOCAL_CHARS`]: the domain is walked a
/// byte at a time too.
static DOMAIN_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c >= 0x80;
        i += 1;
    }
    t
};

#[inline]
fn is_domain_char(c: u8) -> bool {
    DOMAIN_CHARS[usize::from(c)]
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

/// The address that is the whole of `s` (no text around it), if `s` is one.
pub(crate) fn whole_address(s: &str) -> Option<String> {
    find_address(s).filter(|(a, _, _)| a.len() == s.len()).map(|(a, _, _)| a)
}

pub(crate) fn find_address_from(s: &str, from: usize) -> Option<(String, usize, usize)> {
    address_span(s, from).map(|(begin, st, en)| (s[begin..en].to_string(), st, en))
}

/// Where [`find_address_from`]'s address is, without copying it: the
/// address is `s[begin..en]`, and what precedes it on its own ends at `st`
/// (before a `mailto:` or an X.400 tag).
pub(crate) fn address_span(s: &str, from: usize) -> Option<(usize, usize, usize)> {
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
        // The mirror case: an ASCII domain run into CJK prose
        // ("postmaster@example.jpまで返信"): the change of script ends it.
        if let Some(k) = s.get(at + 1..en).and_then(|d| d.char_indices().find(|(_, c)| !c.is_ascii())).filter(|&(k, c)| k > 0 && is_cjk(c)).map(|(k, _)| k) {
            en = at + 1 + k;
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
        // The address is one contiguous slice: copy it, no formatting.
        let mut begin = if local.starts_with("mailto:") { st + "mailto:".len() } else { st };
        // X.400 names the SMTP address as an attribute (`dda:SMTP=a@b`, `RFC-822=a@b`).
        if local.contains('=') {
            for tag in ["smtp=", "rfc-822=", "rfc822="] {
                if let Some(i) = find_ci(&s[begin..at], tag) {
                    begin += i + tag.len();
                }
            }
        }
        // Prose in a CJK script run into an ASCII address ("无法发送到a@b",
        // "cannot deliver to"): the change of script starts the address. An
        // address whose local part is all in such a script is kept whole.
        let local = &s[begin..at];
        if !local.is_ascii() {
            if let Some(k) = local.char_indices().find(|(_, c)| c.is_ascii()).map(|(k, _)| k) {
                if k > 0 && local[..k].chars().all(is_cjk) && local[k..].is_ascii() {
                    begin += k;
                    st = st.max(begin);
                }
            }
        }
        // `'a@b'`: single quotes around an address are not part of it.
        if at - begin > 1 && b[begin] == b'\'' && b.get(en) == Some(&b'\'') {
            begin += 1;
        }
        if begin >= at || !s.is_char_boundary(st) || !s.is_char_boundary(en) {
            continue;
        }
        return Some((begin, st, en));
    }
    None
}

/// Whether `c` is a character of the CJK scripts or their punctuation and
/// full-width forms.
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{FF00}'..='\u{FFEF}')
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
    let v = trim(v);
    let v = match split_at_byte(v, b';') {
        Some((_, rest)) => rest,
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
    while let Some(i) = memchr::memchr(b'<', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        let Some(j) = memchr::memchr(b'>', &rest.as_bytes()[i..]) else {
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
        for (skipped, end) in [("style", "</style"), ("script", "</script")] {
            if is(skipped) {
                if let Some(k) = find_ci(rest, end) {
                    rest = &rest[k..];
                }
            }
        }
    }
    out.push_str(rest);
    if memchr::memchr(b'&', out.as_bytes()).is_none() {
        return out;
    }
    decode_entities(&out)
}

/// The entities [`html_to_text`] decodes. Each starts with `&` and holds no
/// other, and none is a prefix of another: at any `&` at most one applies,
/// so one pass decodes what a chain of replacements would.
const ENTITIES: [(&str, &str); 6] = [("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")];

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        match ENTITIES.iter().find(|(e, _)| tail.starts_with(e)) {
            Some((e, r)) => {
                out.push_str(r);
                rest = &tail[e.len()..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The SMTP command a diagnostic answered, from the usual wordings.
pub(crate) fn detect_command(text: &str) -> Option<&'static str> {
    // A session transcript (`>>> RCPT To:<a@b>` / `<<< 550 ...`): the last command sent.
    if let Some(i) = last_transcript_mark(text.as_bytes()) {
        let w = text[i + 4..].split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
        let cmd = ["DATA", "RCPT", "MAIL", "EHLO", "HELO", "STARTTLS", "AUTH"].into_iter().find(|c| c.eq_ignore_ascii_case(w));
        // DATA refused for want of recipients ("503 5.0.0 Need RCPT"): every
        // RCPT TO had failed, and a reply read after DATA was one of theirs,
        // pipelined (Sendmail writes `>>> DATA`, then the RCPT TO replies).
        if cmd == Some("DATA") && NO_RECIPIENTS.iter().any(|w| contains_ci(&text[i..], w)) {
            return Some("RCPT");
        }
        if cmd.is_some() {
            return cmd;
        }
    }
    // The phrases are searched in an ASCII-lowercase copy: case-sensitive
    // automata and memmem have vectorised scans.
    let mut small = [0u8; 512];
    let owned;
    let lower: &[u8] = if text.len() <= small.len() {
        let l = &mut small[..text.len()];
        l.copy_from_slice(text.as_bytes());
        l.make_ascii_lowercase();
        l
    } else {
        owned = text.as_bytes().to_ascii_lowercase();
        &owned
    };
    // The phrase that occurs first names the command (ties: table order);
    // without one, the vaguer wordings anywhere: DATA's, else RCPT's. One
    // scan finds both. The search restarts one byte after any other match,
    // so no phrase that overlaps it is missed, and the first phrase found
    // is the leftmost (phrases come first in the searcher: at one start, a
    // phrase wins).
    let ac = command_words();
    let (mut data, mut rcpt) = (false, false);
    let mut at = 0;
    while let Some(m) = ac.find_at(lower, at) {
        match m.pattern().as_usize().checked_sub(COMMAND_PHRASES.len()) {
            // A phrase inside a word ("email from" holds "mail from") names
            // nothing; it still holds the vague "rcpt" it hid ("xrcpt to").
            None if m.start() > 0 && lower[m.start() - 1].is_ascii_alphanumeric() && lower[m.start()].is_ascii_alphabetic() => {
                rcpt |= lower[m.start()..].starts_with(VAGUE_COMMANDS[VAGUE_RCPT].as_bytes());
            }
            None => return Some(COMMAND_PHRASES[m.pattern().as_usize()].1),
            Some(VAGUE_RCPT) => rcpt = true,
            Some(v) if v < VAGUE_COMMANDS.len() => data = true,
            // The transcript mark, read above.
            Some(_) => {}
        }
        at = m.start() + 1;
    }
    if data {
        Some("DATA")
    } else {
        rcpt.then_some("RCPT")
    }
}

/// A reply to DATA saying that no recipient was accepted (Sendmail's and
/// Postfix's "need RCPT", Postfix's "no valid recipients", Exim's "valid
/// RCPT command must precede DATA").
const NO_RECIPIENTS: [&str; 4] = ["need rcpt", "no valid recipients", "rcpt command must precede data", "rcpt commands were rejected"];

/// Wordings that name a stage vaguely, after [`COMMAND_PHRASES`] in
/// [`command_words`]: the first two name DATA, the last RCPT.
const VAGUE_COMMANDS: [&str; 3] = ["data command", "during data", "rcpt"];

/// Index of RCPT's wording in [`VAGUE_COMMANDS`].
const VAGUE_RCPT: usize = 2;

/// [`COMMAND_PHRASES`] (lowercase), then [`VAGUE_COMMANDS`], then a
/// transcript's `>>> ` (which [`detect_command`] passes over, having read
/// it first, and [`may_name_command`] counts): every wording
/// [`detect_command`] reads, in one leftmost-first vectorised searcher. A
/// match of a later wording is followed by a search from its next byte,
/// so it hides no phrase.
fn command_words() -> &'static Literals {
    static AC: std::sync::OnceLock<Literals> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let later = VAGUE_COMMANDS.into_iter().chain([">>> "]).map(str::to_string);
        Literals::new(COMMAND_PHRASES.iter().map(|(k, _)| k.to_ascii_lowercase()).chain(later))
    })
}

/// Where the last `>>> ` in `b` starts: the same answer as a reverse
/// substring search, found with memchr's vectorised reverse byte search
/// (its reverse substring searcher is not vectorised). The last `>>> `
/// is the one whose third `>` is the last `>` followed by a space and
/// preceded by two more.
fn last_transcript_mark(b: &[u8]) -> Option<usize> {
    memchr::memrchr_iter(b'>', b)
        .find(|&p| p >= 2 && b[p - 2] == b'>' && b[p - 1] == b'>' && b.get(p + 1) == Some(&b' '))
        .map(|p| p - 2)
}

/// Literals searched leftmost-first (at one start, the first listed
/// wins), by the automaton crate's packed (Teddy) searcher alone where one
/// builds. Through the automaton, every search also pays for its setup and
/// for confirming the prefilter's candidate with the automaton, which cost
/// more than finding the candidate in a report's text; the packed searcher
/// confirms its candidates itself. Where none builds (no vector
/// instructions, too many patterns), the automaton searches.
pub(crate) enum Literals {
    Packed(aho_corasick::packed::Searcher),
    Automaton(aho_corasick::AhoCorasick),
}

impl Literals {
    pub(crate) fn new<I, P>(patterns: I) -> Literals
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let patterns: Vec<P> = patterns.into_iter().collect();
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&patterns)
            .build();
        match packed {
            Some(s) => Literals::Packed(s),
            None => Literals::automaton(&patterns),
        }
    }

    /// The same literals in the automaton alone (the fallback).
    fn automaton<P: AsRef<[u8]>>(patterns: &[P]) -> Literals {
        Literals::Automaton(
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(patterns)
                .expect("a few short literals always build"),
        )
    }

    /// The leftmost-first match that starts at `at` or later.
    #[inline]
    pub(crate) fn find_at(&self, hay: &[u8], at: usize) -> Option<aho_corasick::Match> {
        let span = aho_corasick::Span::from(at..hay.len());
        match self {
            Literals::Packed(s) => s.find_in(hay, span),
            Literals::Automaton(ac) => ac.find(aho_corasick::Input::new(hay).span(span)),
        }
    }

    /// Whether `hay` holds one of the literals.
    pub(crate) fn is_match(&self, hay: &[u8]) -> bool {
        self.find_at(hay, 0).is_some()
    }

    /// The non-overlapping leftmost-first matches, in order (as the
    /// automaton's `find_iter` gives them: each search starts where the
    /// last match ended).
    pub(crate) fn find_iter<'a>(&'a self, hay: &'a [u8]) -> impl Iterator<Item = aho_corasick::Match> + 'a {
        let mut at = 0;
        std::iter::from_fn(move || {
            let m = self.find_at(hay, at)?;
            at = m.end();
            Some(m)
        })
    }
}

/// Whether an ASCII-lowercased text holds any wording [`detect_command`]
/// reads: when it holds none, neither does any piece of it, and no piece
/// names a command.
pub(crate) fn may_name_command(lower: &[u8]) -> bool {
    command_words().is_match(lower)
}

/// Phrases that name the SMTP command a reply answered.
const COMMAND_PHRASES: [(&str, &str); 23] = [
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
    // Postfix's refusal of a recipient, given only at RCPT TO.
    ("RECIPIENT ADDRESS REJECTED", "RCPT"),
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


/// An RFC 5322 date as RFC 3339 when it parses, else the text as given.
pub(crate) fn rfc3339(s: &str) -> String {
    let t = s.trim();
    // A DSN date may carry a leading comment or trailing zone comment; the parser copes.
    match date(t.as_bytes()) {
        Some(d) if d.year > 1970 => rfc3339_of(&d),
        _ => t.to_string(),
    }
}

/// An RFC 5322 date as mail-parser reads it: the common form read here,
/// anything else by mail-parser's parser.
pub(crate) fn date(v: &[u8]) -> Option<mail_parser::DateTime> {
    match plain_date(v) {
        Some(d) => Some(d),
        None => mail_parser::parsers::MessageStream::new(v).parse_date().into_datetime(),
    }
}

/// The form nearly every MTA writes, `[Day, ]D Mon YYYY HH:MM:SS +ZZZZ`
/// with an optional `(comment)` after it, blanks around: read here exactly
/// as mail-parser's date parser reads it. `None` for any other form.
fn plain_date(v: &[u8]) -> Option<mail_parser::DateTime> {
    let v = v.trim_ascii();
    let num = |d: &[u8]| d.iter().all(u8::is_ascii_digit).then(|| d.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')));
    // The day name is skipped by the parser (letters before the day), as is its comma.
    let v = match v {
        [a, b, c, b',', b' ', rest @ ..] if [a, b, c].iter().all(|x| x.is_ascii_alphabetic()) => rest,
        _ => v,
    };
    let sp = |v: &[u8]| memchr::memchr(b' ', v);
    let d = sp(v).filter(|&i| (1..=2).contains(&i))?;
    let day = num(&v[..d])?;
    let v = &v[d + 1..];
    let month = match v.get(..4)? {
        [a, b, c, b' '] => mail_parser::parsers::fields::date::MONTH.iter().position(|m| m.as_bytes().eq_ignore_ascii_case(&[*a, *b, *c]))? + 1,
        _ => return None,
    };
    let v = &v[4..];
    let (year, v) = match v {
        [y0, y1, y2, y3, b' ', rest @ ..] => (num(&[*y0, *y1, *y2, *y3])?, rest),
        _ => return None,
    };
    let (hour, minute, second, v) = match v {
        [h0, h1, b':', m0, m1, b':', s0, s1, b' ', rest @ ..] => (num(&[*h0, *h1])?, num(&[*m0, *m1])?, num(&[*s0, *s1])?, rest),
        _ => return None,
    };
    let (plus, zone, rest) = match v {
        [sign @ (b'+' | b'-'), z0, z1, z2, z3, rest @ ..] => (*sign == b'+', num(&[*z0, *z1, *z2, *z3])?, rest),
        _ => return None,
    };
    match rest {
        [] => {}
        // One comment, nothing nested or escaped in it, nothing after it.
        [b' ', b'(', inner @ .., b')'] if !inner.iter().any(|c| matches!(c, b'(' | b')' | b'\\' | b'\r' | b'\n')) => {}
        _ => return None,
    }
    // The parser's readings of a two-digit year, kept for years written with four.
    let year = match year {
        0..=49 => year + 2000,
        50..=99 => year + 1900,
        y => y,
    };
    Some(mail_parser::DateTime {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        tz_before_gmt: !plus,
        tz_hour: ((zone / 100) % 24) as u8,
        tz_minute: ((zone % 100) % 60) as u8,
    })
}

/// The date as RFC 3339, written digit by digit: `DateTime::to_rfc3339`'s
/// output (`Z` for a zero offset) without its `format!` machinery.
pub(crate) fn rfc3339_of(d: &mail_parser::DateTime) -> String {
    // At least `width` digits (more when the value needs them, as `{:0w}` writes).
    fn num(out: &mut Vec<u8>, v: u16, width: usize) {
        // The usual case, every field but a year: two digits, no loop.
        if width == 2 && v < 100 {
            out.extend_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8]);
            return;
        }
        let mut buf = [b'0'; 5];
        let (mut v, mut i) = (v, buf.len());
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        out.extend_from_slice(&buf[(buf.len() - width).min(i)..]);
    }
    let mut out = Vec::with_capacity(25);
    num(&mut out, d.year, 4);
    for (sep, v) in [(b'-', d.month), (b'-', d.day), (b'T', d.hour), (b':', d.minute), (b':', d.second)] {
        out.push(sep);
        num(&mut out, u16::from(v), 2);
    }
    if d.tz_hour != 0 || d.tz_minute != 0 {
        out.push(if d.tz_before_gmt { b'-' } else { b'+' });
        num(&mut out, u16::from(d.tz_hour), 2);
        out.push(b':');
        num(&mut out, u16::from(d.tz_minute), 2);
    } else {
        out.push(b'Z');
    }
    // Digits and ASCII separators only.
    String::from_utf8(out).unwrap_or_default()
}

/// Whether `s` starts with `prefix`, ignoring ASCII case.
pub(crate) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Whether `s` ends with `suffix`, ignoring ASCII case.
pub(crate) fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
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
    fn domain_and_local_tables_hold_the_bytes_the_definitions_name() {
        for c in 0..=255u8 {
            assert_eq!(is_domain_char(c), c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c >= 0x80, "{c}");
            let atext = b"!#$%&'*+-/=?^_`{|}~.".contains(&c);
            assert_eq!(is_local_char(c), c.is_ascii_alphanumeric() || c >= 0x80 || atext, "{c}");
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(find_address("  kijitora@example.ed.jp").unwrap().0, "kijitora@example.ed.jp");
        assert_eq!(find_address("<a@b.example>...").unwrap().0, "a@b.example");
        assert_eq!(find_address("mailto:x@y.example").unwrap().0, "x@y.example");
        assert!(find_address("user@localhost").is_none());
        assert_eq!(dsn_address("rfc822; <A@B.example>").unwrap(), "A@B.example");
        assert_eq!(all_addresses("a@b.example, c@d.example").len(), 2);
        // CJK prose run into an ASCII address ends where the script changes;
        // a local part wholly in such a script, or a Latin one, is kept.
        assert_eq!(find_address("无法发送到admin@example.com").unwrap().0, "admin@example.com");
        assert_eq!(find_address("Postmaster@dti.example.jpまで返信をお願いします。").unwrap().0, "Postmaster@dti.example.jp");
        assert_eq!(find_address("用户@例子.example").unwrap().0, "用户@例子.example");
        assert_eq!(find_address("éric@example.fr").unwrap().0, "éric@example.fr");
    }

    #[test]
    fn local_chars_are_atext_the_dot_and_non_ascii() {
        for c in 0..=255u8 {
            let expected = c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&c) || c >= 0x80;
            assert_eq!(is_local_char(c), expected, "{c}");
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for s in ["", " ", "a", " a", "a ", "\u{a0}a", "a\u{3000}", "\x0ba\x0c", "ab", "\u{e9}", "a b", "\r\n", "x\t"] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
        // Every string of up to five pieces: ASCII blanks, wide blanks
        // (one byte of which is 0x85 or 0xa0 or starts U+3000), other
        // characters of every width, and bytes next to the blanks.
        let pieces = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u{85}", "\u{a0}", "\u{3000}", "a", "\u{e9}", "\u{3042}", "\x1f", "\u{1f600}"];
        let mut last = vec![String::new()];
        let mut n = 0;
        for _ in 0..5 {
            last = last.iter().flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}"))).collect();
            for t in &last {
                assert_eq!(trim(t), t.trim(), "{t:?}");
                n += 1;
            }
        }
        assert!(n > 500_000);
        assert_eq!(split_at_byte("a:b:c", b':'), "a:b:c".split_once(':'));
        assert_eq!(split_at_byte("abc", b':'), None);
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
        // The vaguer wordings: DATA wins over an earlier RCPT; none is none.
        assert_eq!(detect_command("rcpt rejected, said during data transfer"), Some("DATA"));
        assert_eq!(detect_command("Rcpt refused; see data command log"), Some("DATA"));
        assert_eq!(detect_command("bad rcpt"), Some("RCPT"));
        assert_eq!(detect_command("550 5.1.1 <a@b.example>: Recipient address rejected: User unknown"), Some("RCPT"));
        assert_eq!(detect_command("mailbox full"), None);
        // Exchange's 5.7.1 text: "email from" is no MAIL FROM stage.
        assert_eq!(detect_command("the address might only accept email from certain senders"), None);
        assert_eq!(detect_command(">>> RCPT To:<a@b.example>\n<<< 550 no"), Some("RCPT"));
        // DATA refused for want of recipients: the reply before it was RCPT's, pipelined.
        assert_eq!(detect_command(">>> DATA\n<<< 550 5.1.1 <a@b.example>... User unknown\n<<< 503 5.0.0 Need RCPT (recipient)"), Some("RCPT"));
        assert_eq!(detect_command(">>> RCPT To:<a@b.example>\n<<< 550 no\n>>> DATA\n<<< 554 5.5.1 Error: no valid recipients"), Some("RCPT"));
        assert_eq!(detect_command(">>> DATA\n<<< 554 5.7.1 Message rejected"), Some("DATA"));
        // Whatever names a command holds a wording may_name_command knows.
        let texts = ["mailbox full", "550 x (in reply to RCPT TO command)", ">>> DATA", "said during data", "bad Rcpt", "quota exceeded"];
        for t in texts.iter().copied().chain(COMMAND_PHRASES.iter().map(|(p, _)| *p)) {
            let may = may_name_command(t.to_ascii_lowercase().as_bytes());
            assert!(may || detect_command(t).is_none(), "{t:?}");
        }
        assert!(!may_name_command(b"mailbox full"));
    }

    /// What `detect_command` answered when each wording had a search of its own.
    fn detect_command_by_parts(text: &str) -> Option<&'static str> {
        if let Some(i) = text.rfind(">>> ") {
            let w = text[i + 4..].split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
            if let Some(c) = ["DATA", "RCPT", "MAIL", "EHLO", "HELO", "STARTTLS", "AUTH"].into_iter().find(|c| c.eq_ignore_ascii_case(w)) {
                let after = text[i..].to_ascii_lowercase();
                return Some(if c == "DATA" && NO_RECIPIENTS.iter().any(|w| after.contains(w)) { "RCPT" } else { c });
            }
        }
        let lower = text.to_ascii_lowercase();
        // The leftmost phrase (ties: table order) that does not start inside a word.
        let b = lower.as_bytes();
        for i in 0..b.len() {
            for (k, c) in COMMAND_PHRASES {
                let k = k.to_ascii_lowercase();
                let inside_word = i > 0 && b[i - 1].is_ascii_alphanumeric() && k.as_bytes()[0].is_ascii_alphabetic();
                if b[i..].starts_with(k.as_bytes()) && !inside_word {
                    return Some(c);
                }
            }
        }
        if lower.contains("data command") || lower.contains("during data") {
            return Some("DATA");
        }
        lower.contains("rcpt").then_some("RCPT")
    }

    #[test]
    fn one_scan_finds_the_command_the_separate_searches_found() {
        // Every wording, alone and next to every other (overlapping where
        // one's end is another's start: "during datafter ehlo"), in both
        // orders and cases, plus the corpus's diagnostics.
        let words: Vec<&str> = COMMAND_PHRASES.iter().map(|(p, _)| *p).chain(VAGUE_COMMANDS).chain(["", "x", ">>> mail"]).collect();
        let mut texts = Vec::new();
        for a in &words {
            for b in &words {
                texts.push(format!("{a} {b}"));
                texts.push(format!("{a}{b}"));
                let la = a.to_ascii_lowercase();
                if let Some(k) = (1..la.len()).find(|&k| b.to_ascii_lowercase().starts_with(&la[la.len() - k..])) {
                    texts.push(format!("{}{}", a, &b[k..]));
                }
            }
        }
        texts.push("rcpt rcpt rcpt during dat during data".into());
        texts.push("only accept email from certain senders".into());
        texts.push("email from x, then mail from y".into());
        texts.push("x".repeat(600) + " after data");
        for t in &texts {
            assert_eq!(detect_command(t), detect_command_by_parts(t), "{t:?}");
            assert_eq!(detect_command(&t.to_uppercase()), detect_command_by_parts(&t.to_uppercase()), "{t:?}");
        }
    }

    #[test]
    fn the_last_transcript_mark_is_the_last_substring_match() {
        for s in [
            "", ">", ">>>", ">>> ", ">>>> ", "> >>> x", ">>> a >>> b", ">>> a >>>b", "a>>> ", ">> > ", ">>>\u{a0}", ">>>>>> >>> ",
            "<<< 550 no\n>>> RCPT To:<a@b.example>\n<<< 550 x>", "x >>>  >>> ",
        ] {
            assert_eq!(last_transcript_mark(s.as_bytes()), s.rfind(">>> "), "{s:?}");
        }
    }

    #[test]
    fn rfc3339_writes_what_mail_parser_writes() {
        let mk = |year, month, day, hour, minute, second, tz_before_gmt, tz_hour, tz_minute| mail_parser::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            tz_before_gmt,
            tz_hour,
            tz_minute,
        };
        for d in [
            mk(2024, 3, 7, 9, 5, 1, false, 0, 0),
            mk(2024, 12, 31, 23, 59, 60, true, 5, 30),
            mk(1999, 1, 1, 0, 0, 0, false, 9, 0),
            mk(7, 1, 2, 3, 4, 5, true, 0, 45),
            mk(65535, 255, 255, 255, 255, 255, true, 255, 255),
            mk(2001, 2, 3, 4, 5, 6, true, 0, 0),
        ] {
            assert_eq!(rfc3339_of(&d), d.to_rfc3339());
        }
        // Every value of each one-byte field, with either sign of the zone.
        for v in 0..=255u8 {
            for (before, y) in [(false, 2024), (true, u16::from(v) * 257)] {
                let d = mk(y, v, v / 3, v / 7, 255 - v, v % 61, before, v / 11, v);
                assert_eq!(rfc3339_of(&d), d.to_rfc3339(), "{v}");
            }
        }
        assert_eq!(rfc3339("Thu, 29 Oct 2009 14:25:09 -0700"), "2009-10-29T14:25:09-07:00");
        assert_eq!(rfc3339(" not a date "), "not a date");
    }

    #[test]
    fn plain_dates_read_as_mail_parser_reads_them() {
        let full = |v: &[u8]| mail_parser::parsers::MessageStream::new(v).parse_date().into_datetime();
        let mut values: Vec<Vec<u8>> = [
            "Thu, 9 Apr 2015 01:23:45 +0900", "Mon, 29 Oct 2009 14:25:09 -0700 (PDT)", "1 Jan 2001 00:00:00 +0000",
            "Fri, 31 DEC 1999 23:59:60 -0000\r\n", " Sat, 01 Feb 0049 12:00:00 +2460 ", "Sun, 02 Mar 0075 12:00:00 +9999",
            "Tue, 3 Xpr 2015 01:02:03 +0100", "Wed, 4 May 2015 1:02:03 +0100", "Wed, 4 May 2015 01:02 +0100",
            "Wed, 4 May 15 01:02:03 +0100", "Wed, 4 May 2015 01:02:03 GMT", "Wed, 4 May 2015 01:02:03 +0100 (a (b) c)",
            "Wed, 4 May 2015 01:02:03 +0100 x", "Wed, 4 May 2015\n 01:02:03 +0100", "Wed,  4 May 2015 01:02:03 +0100",
            "Thursday, 4 May 2015 01:02:03 +0100", "4 May 2015 01:02:03 +01000", "", "garbage",
        ]
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect();
        // Every date field of the corpus, when it is there.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sisimai/bsd");
        for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let raw = std::fs::read(e.path()).unwrap_or_default();
            for line in raw.split(|&c| c == b'\n') {
                for name in [&b"Date:"[..], b"Arrival-Date:", b"Last-Attempt-Date:"] {
                    if line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name) {
                        values.push(line[name.len()..].to_vec());
                    }
                }
            }
        }
        let mut fast = 0;
        for v in &values {
            if let Some(d) = plain_date(v) {
                fast += 1;
                assert_eq!(Some(d), full(v), "{:?}", String::from_utf8_lossy(v));
            }
            assert_eq!(date(v), full(v), "{:?}", String::from_utf8_lossy(v));
        }
        // The usual forms take the fast path.
        assert!(plain_date(b"Thu, 9 Apr 2015 01:23:45 +0900").is_some());
        assert!(plain_date(b"Mon, 29 Oct 2009 14:25:09 -0700 (PDT)").is_some());
        assert!(fast * 2 > values.len(), "{fast} of {}", values.len());
    }

    #[test]
    fn lines_are_str_lines() {
        for s in ["", "\n", "a", "a\n", "a\r\nb", "a\r\n\r\nb\r", "a\rb\n\n", "\r\n", "\r", "x\n\r\ny\r\r\n", "\u{e9}\n\u{3000}"] {
            assert_eq!(lines(s).collect::<Vec<_>>(), s.lines().collect::<Vec<_>>(), "{s:?}");
        }
    }

    #[test]
    fn unfold_collapses_every_kind_of_whitespace() {
        assert_eq!(unfold("  550 5.1.1\r\n\t user\x0bunknown \x0c "), "550 5.1.1 user unknown");
        assert_eq!(unfold("a\u{a0}b\u{3000} c"), "a b c");
        // Already one line: copied as it is; any blank out of place is not.
        assert_eq!(unfold("550 5.1.1 user unknown"), "550 5.1.1 user unknown");
        for s in [" a", "a ", "a  b", "a\tb", "a\rb", "", " ", "a \x0b"] {
            assert_eq!(unfold(s), s.split_whitespace().collect::<Vec<_>>().join(" "), "{s:?}");
        }
        // Every sequence of up to five pieces: words and every kind of blank.
        let pieces = ["a", "bc", " ", "\t", "\n", "\r", "\x0b", "\x0c"];
        let mut strings = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..5 {
            last = last.iter().flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}"))).collect();
            strings.extend(last.iter().cloned());
        }
        for s in &strings {
            assert_eq!(unfold(s), s.split_whitespace().collect::<Vec<_>>().join(" "), "{s:?}");
        }
        // Longer words, across the eight-byte steps, with control bytes that
        // are no blanks and the bytes either side of 0x20 and of 0x80
        // inside them: 200,000 generated texts.
        let pieces = ["a", "word", "0123456789abcdef!", "\x00", "\x1f", "!", "\x7f", "\u{e9}", " ", "  ", "\n", "\r\n ", "\t", "\x0b", "\x0c", "\x0e"];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200_000 {
            let mut s = String::new();
            crate::test_rng::xorshift(&mut seed);
            let mut r = seed;
            for _ in 0..(r % 12) {
                r /= 12;
                s.push_str(pieces[(r % 16) as usize]);
                r = r.rotate_left(5) ^ seed;
            }
            assert_eq!(unfold(&s), s.split_whitespace().collect::<Vec<_>>().join(" "), "{s:?}");
        }
    }

    #[test]
    fn html_to_text_keeps_text_and_drops_tags_styles_and_scripts() {
        let html = "<HTML><Style type=\"text/css\">p { color: red }</STYLE><P CLASS=x>550 5.1.1 &lt;a@b.example&gt;:</p>\
<TABLE><TR><TD>user</td><td>unknown&nbsp;&amp;&#39;gone&#39;</td></tr></table><script>var x = 1;</Script>end";
        assert_eq!(html_to_text(html), "\n550 5.1.1 <a@b.example>:\n\n\n user  unknown &'gone' \n\nend");
        assert_eq!(html_to_text("no tags, no entities"), "no tags, no entities");
    }

    #[test]
    fn entities_decode_in_one_pass_as_a_chain_of_replacements_would() {
        let chain = |s: &str| ENTITIES.iter().fold(s.to_string(), |acc, (e, r)| acc.replace(e, r));
        for s in [
            "&amp;lt;", "&&lt;;", "&lt&gt;", "a &amp;amp; b", "&#39;&quot;&nbsp;&", "&nbsp", "x&", "&;", "caf\u{e9} &lt;\u{e9}&gt;",
            "&am&amp;p;", "&&&", "",
        ] {
            assert_eq!(decode_entities(s), chain(s), "{s:?}");
        }
    }

    #[test]
    fn literals_find_what_the_leftmost_first_automaton_finds() {
        // Patterns that overlap, nest and share starts, in haystacks of
        // their pieces (short ones too: the packed searcher reads those
        // another way); the fallback automaton is checked the same way.
        let patterns = ["original message", "original", "message header", "rfc822", "received:", "ived: fr", "a", "copy of the message", "e"];
        let ac = aho_corasick::AhoCorasick::builder().match_kind(aho_corasick::MatchKind::LeftmostFirst).build(patterns).unwrap();
        let (packed, fallback) = (Literals::new(patterns), Literals::automaton(&patterns));
        assert!(matches!(packed, Literals::Packed(_)) || !cfg!(target_arch = "x86_64"));
        let pieces: Vec<String> = patterns.iter().flat_map(|p| [p.to_string(), p[..p.len() / 2].to_string(), p[p.len() / 2..].to_string()]).chain([" ".into(), "x".repeat(40)]).collect();
        let mut rng = crate::test_rng::Rng(0x11e7);
        let mut found = 0;
        for _ in 0..5_000 {
            let hay: String = (0..rng.below(8)).map(|_| pieces[rng.below(pieces.len())].as_str()).collect();
            let hay = hay.as_bytes();
            let at = rng.below(hay.len() + 1);
            let want = ac.find(aho_corasick::Input::new(hay).span(at..hay.len())).map(|m| (m.start(), m.end(), m.pattern()));
            for l in [&packed, &fallback] {
                assert_eq!(l.find_at(hay, at).map(|m| (m.start(), m.end(), m.pattern())), want, "{:?} {at}", String::from_utf8_lossy(hay));
                let all: Vec<_> = l.find_iter(hay).map(|m| (m.start(), m.pattern())).collect();
                assert_eq!(all, ac.find_iter(hay).map(|m| (m.start(), m.pattern())).collect::<Vec<_>>());
            }
            found += usize::from(want.is_some());
        }
        assert!(found > 2_000 && found < 5_000, "{found}");
    }
}
