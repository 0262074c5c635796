//! What makes a text need normalising, as byte strings the rules' key scan
//! can look for. Shared with `build.rs` (through `#[path]`), which builds
//! the built-in rules' key automaton with these among its keys.

/// The line breaks and tab, each a reason to copy.
pub(crate) const BREAKS: &[u8] = b"\n\r\t";

/// Typographic quotes and the ASCII quote each is read as: texts pasted
/// through word processors and web pages carry them where rules say `'`
/// and `"` ("doesn’t exist").
pub(crate) const QUOTES: [(&str, u8); 4] = [("\u{2018}", b'\''), ("\u{2019}", b'\''), ("\u{201c}", b'"'), ("\u{201d}", b'"')];

/// Escaped line breaks and tabs (`\n` as two characters), read as a line
/// break: a Python exception's repr quotes the server's multi-line reply
/// that way (`(554, b'mx.example\nIP blacklisted in ...')`).
pub(crate) const ESCAPES: [&[u8; 2]; 3] = [b"\\n", b"\\r", b"\\t"];

/// Byte strings one of which occurs in a text exactly when
/// [`normalize_diagnostic`](crate::normalize_diagnostic) copies it: a line
/// break or tab ([`BREAKS`]), a double space, a continuation prefix
/// (`550-`), a typographic quote ([`QUOTES`]), an escaped break
/// ([`ESCAPES`]). The rules' key scan looks for these with the rule keys,
/// so a text that needs no copy is not searched for them a second time.
pub(crate) fn copy_marks() -> impl Iterator<Item = Vec<u8>> {
    let prefixes = (b'2'..=b'5').flat_map(|a| (b'0'..=b'9').flat_map(move |b| (b'0'..=b'9').map(move |c| vec![a, b, c, b'-'])));
    let quotes = QUOTES.iter().map(|(q, _)| q.as_bytes().to_vec());
    let escapes = ESCAPES.iter().map(|e| e.to_vec());
    BREAKS.iter().map(|&b| vec![b]).chain(std::iter::once(b"  ".to_vec())).chain(prefixes).chain(quotes).chain(escapes)
}
