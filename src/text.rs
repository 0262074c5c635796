//! Normalising diagnostic text before rules see it: multi-line SMTP replies
//! repeat their codes on every line (`550-5.7.26 ... 550-5.7.26 ... 550 5.7.26`),
//! which breaks phrases across lines; whitespace runs and line breaks do too.

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::find_byte::next_whitespace;

/// Collapses whitespace runs to one space, drops the repeated reply-code
/// prefixes of continuation lines, reads typographic quotes as ASCII ones
/// and escaped breaks (`\n` as two characters) as breaks. Borrows when there
/// is nothing to change.
///
/// ```
/// # use bouncekit::normalize_diagnostic as n;
/// assert_eq!(n("550-5.7.26 This mail is\n550-5.7.26 unauthenticated\n550 5.7.26 now"),
///            "550-5.7.26 This mail is unauthenticated now");
/// assert_eq!(n("550 The account doesn\u{2019}t exist"), "550 The account doesn't exist");
/// assert_eq!(n("(554, b'mx.example\\nIP blacklisted')"), "(554, b'mx.example IP blacklisted')");
/// assert!(matches!(n("550 5.1.1 user unknown"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn normalize_diagnostic(text: &str) -> Cow<'_, str> {
    if !needs_work(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(collapse(text))
}

/// The copy [`normalize_diagnostic`] makes of a text that needs one (one in
/// which a [`copy_marks`] mark occurs).
pub(crate) fn collapse(text: &str) -> String {
    let unescaped = unescape_breaks(text.as_bytes());
    let b = &unescaped[..];
    // Copies runs: a word and the single space after it extend the pending
    // run; a run is flushed only where the text changes (a whitespace run
    // that is not one space, trailing whitespace, a dropped reply prefix).
    let mut out = Vec::with_capacity(b.len());
    let mut first_reply: Option<&[u8]> = None;
    let joined = memchr::memchr2(b'\n', b'\r', b).is_none();
    let mut continued = false;
    let mut i = skip_whitespace(b, 0);
    let mut run = i;
    while i < b.len() {
        // Exchange quotes the first line as `#550-...`: it names the code
        // that later lines repeat.
        if b[i] == b'#' && first_reply.is_none() {
            if let Some((digits, sep, _)) = reply_token(b, i + 1, false) {
                (first_reply, continued) = (Some(digits), sep == b'-');
            }
        }
        // A word starts at `i`: a repeated reply prefix here is dropped with
        // the whitespace after it, and with the `<<< ` that Sendmail's
        // session transcript puts before each later line of a reply.
        let at = if first_reply.is_some() && b[i..].starts_with(b"<<< ") { i + 4 } else { i };
        if b.get(at).is_some_and(|c| (b'2'..=b'5').contains(c)) {
            if let Some((digits, sep, end)) = reply_token(b, at, at_line_start(b, i, at, joined && continued, first_reply)) {
                continued |= sep == b'-';
                match first_reply {
                    None => first_reply = Some(digits),
                    Some(first) if sep == b'-' || first == digits => {
                        out.extend_from_slice(&b[run..i]);
                        i = skip_whitespace(b, end);
                        run = i;
                        continue;
                    }
                    Some(_) => {}
                }
            }
        }
        let end = next_whitespace(b, i);
        let next = skip_whitespace(b, end);
        if next == end + 1 && b[end] == b' ' && next < b.len() {
            i = next;
            continue;
        }
        out.extend_from_slice(&b[run..end]);
        if next < b.len() {
            out.push(b' ');
        }
        i = next;
        run = next;
    }
    out.extend_from_slice(&b[run.min(b.len())..]);
    fold_quotes(&mut out);
    // Only ASCII runs and whole quote characters were removed or replaced,
    // so this stays valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Whether an escaped break ([`marks::ESCAPES`]) starts at `i`.
fn escape_at(b: &[u8], i: usize) -> bool {
    b.get(i..i + 2).is_some_and(|w| marks::ESCAPES.iter().any(|e| &e[..] == w))
}

/// Where the first escaped break in `b` starts.
fn first_escape(b: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\\', b).find(|&i| escape_at(b, i))
}

/// `b` with each escaped break replaced by a line break (one byte for
/// two: ASCII only, so the text stays valid UTF-8); borrowed when it has none.
fn unescape_breaks(b: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = first_escape(b) else {
        return Cow::Borrowed(b);
    };
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..first]);
    let mut i = first;
    while i < b.len() {
        if escape_at(b, i) {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// The ASCII quote the typographic quote at `i` is read as, if one starts there.
fn quote_at(b: &[u8], i: usize) -> Option<u8> {
    let w = b.get(i..i + 3)?;
    marks::QUOTES.iter().find(|(q, _)| q.as_bytes() == w).map(|&(_, ascii)| ascii)
}

/// Replaces each typographic quote with its ASCII twin, in place.
fn fold_quotes(out: &mut Vec<u8>) {
    let Some(first) = memchr::memchr_iter(0xe2, out).find(|&i| quote_at(out, i).is_some()) else {
        return;
    };
    let (mut r, mut w) = (first, first);
    while r < out.len() {
        if let Some(ascii) = quote_at(out, r) {
            out[w] = ascii;
            (r, w) = (r + 3, w + 1);
        } else {
            out[w] = out[r];
            (r, w) = (r + 1, w + 1);
        }
    }
    out.truncate(w);
}

fn skip_whitespace(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

// Shared with build.rs, which builds the rule keys' automaton with them.
mod marks;
pub(crate) use marks::{copy_marks, BREAKS};

fn needs_work(b: &[u8]) -> bool {
    // Built once: `memmem::find` would build its searcher on every call.
    static DOUBLE_SPACE: LazyLock<memchr::memmem::Finder<'static>> = LazyLock::new(|| memchr::memmem::Finder::new(b"  "));
    if memchr::memchr3(BREAKS[0], BREAKS[1], BREAKS[2], b).is_some() || DOUBLE_SPACE.find(b).is_some() {
        return true;
    }
    // A continuation prefix: `550-5.7.1 ...`.
    memchr::memchr_iter(b'-', b).any(|d| d >= 3 && reply_token(b, d - 3, false).is_some())
        || memchr::memchr_iter(0xe2, b).any(|i| quote_at(b, i).is_some())
        || first_escape(b).is_some()
}

/// Whether `i` starts a line of a reply: after a line break, or, in a text
/// whose lines were already joined (a folded DSN field) and which continued
/// a reply with `NNN-`, where that reply's code comes again (the last line's
/// `550 exist.` in `550-The domain ... does not 550 exist.`).
/// `at` is where the reply code starts (after a transcript's `<<< `).
fn at_line_start(b: &[u8], i: usize, at: usize, joined_continuation: bool, first_reply: Option<&[u8]>) -> bool {
    after_break(b, i) || (joined_continuation && first_reply.is_some() && first_reply == b.get(at..at + 3))
}

/// Whether the whitespace before `i` holds a line break: `i` starts a line.
fn after_break(b: &[u8], i: usize) -> bool {
    b[..i].iter().rev().take_while(|c| c.is_ascii_whitespace()).any(|&c| c == b'\n' || c == b'\r')
}

/// `NNN-` or `NNN ` (a reply code) optionally followed by an enhanced code,
/// at `i`; returns the digits, the separator and where the token ends.
/// `line_start`: whether `i` starts a line, where a bare `NNN ` is the last
/// line's prefix of a multi-line reply (`550-... does not\n550 exist.`).
fn reply_token(b: &[u8], i: usize, line_start: bool) -> Option<(&[u8], u8, usize)> {
    let d = b.get(i..i + 3)?;
    if !(b'2'..=b'5').contains(&d[0]) || !d[1].is_ascii_digit() || !d[2].is_ascii_digit() {
        return None;
    }
    let sep = *b.get(i + 3)?;
    if sep != b'-' && sep != b' ' {
        return None;
    }
    let mut end = i + 4;
    // An enhanced code right after: `5.7.26`.
    let mut j = end;
    let mut dots = 0;
    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
        dots += usize::from(b[j] == b'.');
        j += 1;
    }
    if dots == 2 && j > end + 4 && (j == b.len() || b[j].is_ascii_whitespace()) {
        end = j;
    } else if sep == b' ' && !line_start {
        // A bare `550 ` repeated mid-line is only a prefix when a code follows.
        return None;
    }
    Some((d, sep, end))
}

#[cfg(test)]
mod tests {
    use super::normalize_diagnostic as n;
    use super::{after_break, needs_work, reply_token, skip_whitespace, unescape_breaks};

    /// The word-by-word copy this module used before it copied runs: the
    /// run copy must give the same text.
    fn word_by_word(text: &str) -> String {
        if !needs_work(text.as_bytes()) {
            return text.to_string();
        }
        let b = &unescape_breaks(text.as_bytes())[..];
        let mut out = Vec::with_capacity(b.len());
        let mut first_reply: Option<&[u8]> = None;
        let joined = !b.contains(&b'\n') && !b.contains(&b'\r');
        let mut continued = false;
        let mut i = skip_whitespace(b, 0);
        while i < b.len() {
            if out.last().is_none_or(|&c| c == b' ') {
                if b[i] == b'#' && first_reply.is_none() {
                    if let Some((digits, sep, _)) = reply_token(b, i + 1, false) {
                        (first_reply, continued) = (Some(digits), sep == b'-');
                    }
                }
                let at = if first_reply.is_some() && b[i..].starts_with(b"<<< ") { i + 4 } else { i };
                let line_start = after_break(b, i) || (joined && continued && first_reply.is_some() && first_reply == b.get(at..at + 3));
                if let Some((digits, sep, end)) = reply_token(b, at, line_start) {
                    continued |= sep == b'-';
                    match first_reply {
                        None => first_reply = Some(digits),
                        Some(first) if sep == b'-' || first == digits => {
                            i = skip_whitespace(b, end);
                            continue;
                        }
                        Some(_) => {}
                    }
                }
            }
            let end = b[i..].iter().position(u8::is_ascii_whitespace).map_or(b.len(), |n| i + n);
            let word = String::from_utf8(b[i..end].to_vec()).unwrap();
            out.extend_from_slice(word.replace(['\u{2018}', '\u{2019}'], "'").replace(['\u{201c}', '\u{201d}'], "\"").as_bytes());
            i = skip_whitespace(b, end);
            if i < b.len() {
                out.push(b' ');
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn run_copy_matches_word_by_word_copy() {
        let cases = [
            "550-5.7.26 This mail is\n550-5.7.26 unauthenticated\n550 5.7.26 now",
            "  lead and trail  ",
            "foo 550-5.1.1",
            "foo\n550-5.1.1 bar",
            "smtp; 521-5.7.1 blocked 521 5.7.1 see http://x",
            "a\tb\r\nc  d \x0c e",
            "550 5.1.1 a\n550 5.1.1 b\n451 4.0.0 c",
            "550-The domain in the email address does not\r\n550 exist. Sorry.",
            "host #550-The domain does not\r\n550 exist. ## #550 x",
            "#",
            "# 550-",
            "(554, b'mx.example\\nIP blacklisted')\\r\\n\\t\\x \\\\n",
            "\\",
            "a\\n",
            "550 over\n550 messages 550 here\n451 x",
            "x 550-5.1.1\n\n550-5.1.1",
            "日本語\n テキスト 550-5.0.0 x 550-5.0.0",
            "doesn\u{2019}t \u{201c}x\u{201d}\n\u{2018}y\u{2019} \u{2014} z",
            "\u{2019}",
            "a \u{2013}\u{2019}\u{2019}",
            " 550-5.1.1 one space first 550-5.1.1 ",
            "550-",
            "550-The domain does not 550 exist. 550 more",
            "x #550-a 550 b 451 c",
            "550-a 550-b 550 c\n550 d",
            "<<< 550-5.7.1 is not\n<<< 550-5.7.1 RFC 5322\n<<< 550 5.7.1 compliant\n554 5.0.0 x",
            "<<< 550 a\n<<< 550 b <<< 550 c <<<",
            "<<<",
            "x <<< 5",
            "\n",
            "",
        ];
        for c in cases {
            assert_eq!(n(c), word_by_word(c), "{c:?}");
        }
    }

    /// `copy_marks` say what `needs_work` says, on texts built from the
    /// pieces that decide it.
    #[test]
    fn copy_marks_occur_exactly_when_a_copy_is_made() {
        let marks: std::collections::HashSet<Vec<u8>> = super::copy_marks().collect();
        let pieces = ["550-", "550", "x", " ", "-", "\n", "\r", "\t", "\x0c", "199-", "5.1.1", "600-", "45", "2", "0-", "\u{2019}", "\u{2014}", "\\", "n"];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts.iter().flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}"))).collect();
            texts.extend(longer);
        }
        let mut copied = 0;
        for t in &texts {
            let b = t.as_bytes();
            let marked = (0..b.len()).any(|i| [1, 2, 3, 4].iter().any(|&n| b.get(i..i + n).is_some_and(|w| marks.contains(w))));
            assert_eq!(marked, needs_work(b), "{t:?}");
            copied += usize::from(marked);
        }
        assert!(copied > 1000 && copied < texts.len() - 1000, "{copied} of {}", texts.len());
    }

    #[test]
    fn joins_a_transcripts_quoted_reply_lines() {
        assert_eq!(
            n("<<< 550-5.7.1 Our system has detected that this message is not\n<<< 550-5.7.1 RFC 5322 compliant: duplicate headers.\n<<< 550 5.7.1 Please review\n554 5.0.0 Service unavailable"),
            "<<< 550-5.7.1 Our system has detected that this message is not RFC 5322 compliant: duplicate headers. Please review 554 5.0.0 Service unavailable"
        );
        // `<<<` before anything but a reply prefix stays.
        assert_eq!(n("a <<< b\n<<< c"), "a <<< b <<< c");
    }

    #[test]
    fn joins_multiline_replies() {
        assert_eq!(
            n("550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address\r\n550 5.1.1 for typos"),
            "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos"
        );
        assert_eq!(n("  a \t b\n"), "a b");
        assert_eq!(n("said: 550 5.1.1 user  unknown"), "said: 550 5.1.1 user unknown");
        assert_eq!(n("wait 2-3 hours"), "wait 2-3 hours");
        // The last line of a multi-line reply without enhanced codes.
        assert_eq!(n("550-The domain in the email address 'a@b.example' does not\r\n550 exist. Sorry."), "550-The domain in the email address 'a@b.example' does not exist. Sorry.");
        assert_eq!(n("mx.example #550-The domain does not\r\n550 exist. Sorry. ##"), "mx.example #550-The domain does not exist. Sorry. ##");
        // A Python repr's escaped breaks are breaks.
        assert_eq!(n("(554, b'mx.example\\nIP blacklisted in http://x')"), "(554, b'mx.example IP blacklisted in http://x')");
        assert_eq!(n("(550, b'5.1.1 a\\r\\n550-5.1.1 b')"), "(550, b'5.1.1 a 550-5.1.1 b')");
        // Mid-line, a bare number is no prefix...
        assert_eq!(n("550-Sent over\n550-the 550 limit"), "550-Sent over the 550 limit");
        assert_eq!(n("550 Sent over the 550 limit"), "550 Sent over the 550 limit");
        // ... unless the lines were joined before (a folded DSN field): then
        // the continued reply's code again is its last line's.
        assert_eq!(n("550-The domain in the email address does not 550 exist. Sorry."), "550-The domain in the email address does not exist. Sorry.");
        assert_eq!(n("smtp; #550-The domain does not 550 exist. ##"), "smtp; #550-The domain does not exist. ##");
        assert_eq!(n("550-Verification failed 550-Unrouteable address 550 Sender verify failed"), "550-Verification failed Unrouteable address Sender verify failed");
        assert_eq!(n("日本語\n テキスト"), "日本語 テキスト");
        assert_eq!(n("failed to expand \u{201c}interface\u{201d} option"), "failed to expand \"interface\" option");
        assert_eq!(n("\u{201c}4.7.0\u{201d} \u{2014} \u{300c}x\u{300d}"), "\"4.7.0\" \u{2014} \u{300c}x\u{300d}");
    }
}
