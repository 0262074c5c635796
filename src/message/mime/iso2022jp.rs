//! ISO-2022-JP text decoded the way mail-parser decodes it (encoding_rs,
//! WHATWG rules, malformed bytes replaced), but without running the
//! decoder's state machine over the ASCII between the escapes.
//!
//! Japanese bounces are mostly ASCII with a few Japanese lines. Each
//! stretch from an escape to an `ESC ( B` that is followed by plain ASCII
//! is decoded on its own: at both ends of such a stretch the WHATWG decoder
//! is in its ASCII state with nothing pending, exactly as a fresh decoder
//! is, so the pieces join into the same text. Anything else (non-ASCII
//! bytes, SO/SI, a byte-order mark) goes to the whole-text decoder.

use encoding_rs::ISO_2022_JP;

const ESC: u8 = 0x1b;

/// Whether a charset name is one mail-parser reads as ISO-2022-JP.
pub(crate) fn is_named(charset: &[u8]) -> bool {
    let norm = charset.iter().map(|&c| if c == b'-' { b'_' } else { c.to_ascii_lowercase() });
    norm.clone().eq(*b"iso_2022_jp") || norm.eq(*b"csiso2022jp")
}

/// Decodes ISO-2022-JP `bytes` to the text mail-parser's decoder gives.
pub(crate) fn decode(bytes: &[u8]) -> String {
    split(bytes).unwrap_or_else(|| whole(bytes))
}

/// The whole-text decoder (mail-parser's: BOM sniffing, replacement).
fn whole(bytes: &[u8]) -> String {
    let mut d = ISO_2022_JP.new_decoder();
    let mut out = String::with_capacity(d.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len() * 4));
    let _ = d.decode_to_string(bytes, &mut out, true);
    out
}

/// ASCII copied, escaped stretches decoded; `None` when a stretch outside
/// the escapes is not plain ASCII (the decoder would replace or sniff it).
fn split(bytes: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut i = 0;
    while i < bytes.len() {
        let esc = memchr::memchr(ESC, &bytes[i..]).map_or(bytes.len(), |k| i + k);
        let run = &bytes[i..esc];
        // SO and SI are errors in the ASCII state, as is any byte >= 0x80.
        if !run.is_ascii() || memchr::memchr2(0x0e, 0x0f, run).is_some() {
            return None;
        }
        // ASCII is UTF-8.
        out.push_str(std::str::from_utf8(run).ok()?);
        if esc == bytes.len() {
            break;
        }
        let end = stretch_end(bytes, esc);
        let mut d = ISO_2022_JP.new_decoder_without_bom_handling();
        out.reserve(d.max_utf8_buffer_length(end - esc)?);
        let _ = d.decode_to_string(&bytes[esc..end], &mut out, true);
        i = end;
    }
    Some(out)
}

/// Where the escaped stretch starting at `esc` ends: just after the first
/// `ESC ( B` that no other escape follows at once (two escapes in a row
/// are an error the decoder must see together), or at the end.
fn stretch_end(bytes: &[u8], esc: usize) -> usize {
    let mut j = esc + 1;
    while let Some(k) = memchr::memchr(ESC, &bytes[j..]) {
        let at = j + k;
        if bytes[at + 1..].starts_with(b"(B") && bytes.get(at + 3) != Some(&ESC) {
            return at + 3;
        }
        j = at + 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::decoders::charsets::map::charset_decoder;

    fn reference(bytes: &[u8]) -> String {
        charset_decoder(b"iso-2022-jp").unwrap()(bytes)
    }

    #[test]
    fn reads_as_mail_parser_reads_it() {
        let cases: &[&[u8]] = &[
            b"",
            b"plain ascii\nonly\n",
            b"550 5.1.1 \x1b$B$3$s$K$A$O\x1b(B unknown\n",
            b"\x1b$B$3$s\x1b(B",
            b"a\x1b$B$3\x1b(B\x1b$B$s\x1b(Bb",
            b"\x1b(B\x1b(Bx",
            b"x\x1b$B$3$s",
            b"x\x1b$B$3\x1b(J\\~\x1b(B~\\",
            b"x\x1b(Iabc\x1b(Bd",
            b"bad\x1b$B$\x1b(B trail and lone \x1b",
            b"\x1bx\x1b(B",
            b"shift\x0eout\x1b$B$3\x1b(B",
            b"latin \xe9 \x1b$B$3\x1b(B",
            b"\xef\xbb\xbfbom \x1b$B$3\x1b(B",
            b"\xff\xfe\x41\x00",
            b"end \x1b(",
            b"end \x1b$B$3\x1b(B",
        ];
        for c in cases {
            assert_eq!(decode(c), reference(c), "{c:?}");
        }
    }

    #[test]
    fn splits_only_plain_ascii_between_escapes() {
        assert!(split(b"a\x1b$B$3\x1b(Bb").is_some());
        assert_eq!(split(b"a\xe9"), None);
        assert_eq!(split(b"a\x0f\x1b$B$3\x1b(B"), None);
        assert_eq!(decode(b"\x1b$B$3$s$K$A$O\x1b(B"), "こんにちは");
    }

    #[test]
    fn random_escape_soup_reads_as_mail_parser_reads_it() {
        // Short strings over the bytes that steer the decoder.
        const ALPHABET: &[u8] = b"\x1b\x1b\x1b(($$BB@JI3s a\n\x0e\x0f\x80~\\";
        for bytes in super::super::reference::random_strings(ALPHABET, 14, 20_000) {
            assert_eq!(decode(&bytes), reference(&bytes), "{bytes:?}");
        }
    }
}
