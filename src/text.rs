//! Normalising diagnostic text before rules see it: multi-line SMTP replies
//! repeat their codes on every line (`550-5.7.26 ... 550-5.7.26 ... 550 5.7.26`),
//! which breaks phrases across lines; whitespace runs and line breaks do too.

use std::borrow::Cow;
use std::sync::LazyLock;

/// Collapses whitespace runs to one space and drops the repeated reply-code
/// prefixes of continuation lines. Borrows when there is nothing to change.
///
/// ```
/// # use bouncekit::normalize_diagnostic as n;
/// assert_eq!(n("550-5.7.26 This mail is\n550-5.7.26 unauthenticated\n550 5.7.26 now"),
///            "550-5.7.26 This mail is unauthenticated now");
/// assert!(matches!(n("550 5.1.1 user unknown"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn normalize_diagnostic(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    if !needs_work(b) {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut first_reply: Option<&[u8]> = None;
    // Word by word: a word is copied whole, a whitespace run becomes one
    // space (none at the end), and a repeated reply prefix at a word start
    // is dropped with the whitespace after it.
    let mut i = skip_whitespace(b, 0);
    while i < b.len() {
        if out.last().is_none_or(|&c| c == b' ') {
            if let Some((digits, sep, end)) = reply_token(b, i) {
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
        out.extend_from_slice(&b[i..end]);
        i = skip_whitespace(b, end);
        if i < b.len() {
            out.push(b' ');
        }
    }
    // Only ASCII runs were removed or replaced, so this stays valid UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

fn skip_whitespace(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn needs_work(b: &[u8]) -> bool {
    // Built once: `memmem::find` would build its searcher on every call.
    static DOUBLE_SPACE: LazyLock<memchr::memmem::Finder<'static>> = LazyLock::new(|| memchr::memmem::Finder::new(b"  "));
    if memchr::memchr3(b'\n', b'\r', b'\t', b).is_some() || DOUBLE_SPACE.find(b).is_some() {
        return true;
    }
    // A continuation prefix after the start: `... 550-5.7.1 ...`.
    memchr::memchr_iter(b'-', b).any(|d| d >= 4 && b[d - 4] == b' ' && reply_token(b, d - 3).is_some())
}

/// `NNN-` or `NNN ` (a reply code) optionally followed by an enhanced code,
/// at `i`; returns the digits, the separator and where the token ends.
fn reply_token(b: &[u8], i: usize) -> Option<(&[u8], u8, usize)> {
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
    } else if sep == b' ' {
        // A bare `550 ` repeated mid-text is only a prefix when a code follows.
        return None;
    }
    Some((d, sep, end))
}

#[cfg(test)]
mod tests {
    use super::normalize_diagnostic as n;

    #[test]
    fn joins_multiline_replies() {
        assert_eq!(
            n("550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address\r\n550 5.1.1 for typos"),
            "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos"
        );
        assert_eq!(n("  a \t b\n"), "a b");
        assert_eq!(n("said: 550 5.1.1 user  unknown"), "said: 550 5.1.1 user unknown");
        assert_eq!(n("wait 2-3 hours"), "wait 2-3 hours");
        assert_eq!(n("日本語\n テキスト"), "日本語 テキスト");
    }
}
