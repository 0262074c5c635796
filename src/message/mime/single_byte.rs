//! Single-byte charsets (ISO 8859, Windows-125x, KOI8) decoded a run at a
//! time. mail-parser decodes these one byte at a time through a table
//! whose lower half is ASCII: here the ASCII between the other bytes is
//! copied whole, and only bytes from 0x80 up are looked up, in the table's
//! upper half as that decoder gives it.

use mail_parser::decoders::charsets::DecoderFnc;

use crate::find_byte::first_non_ascii;

/// Shorter bodies go to the decoder whole: reading the table off it costs
/// about what decoding 128 bytes does.
const SHORT: usize = 512;

/// Charset names (lowercase, `-` as `_`, as mail-parser compares them)
/// that mail-parser reads with one of its single-byte tables. Every name it
/// knows that starts so is one (its charset map, 0.11.9).
const PREFIXES: [&[u8]; 5] = [b"iso_8859_", b"iso8859_", b"windows_125", b"cp125", b"koi8_"];
const NAMES: [&[u8]; 2] = [b"latin1", b"us_ascii"];

/// Whether `charset` names a charset mail-parser decodes through a
/// single-byte table.
pub(crate) fn is_named(charset: &[u8]) -> bool {
    let mut buf = [0u8; 45];
    let Some(n) = buf.get_mut(..charset.len()) else { return false };
    for (d, &c) in n.iter_mut().zip(charset) {
        *d = if c == b'-' { b'_' } else { c.to_ascii_lowercase() };
    }
    PREFIXES.iter().any(|p| n.starts_with(p)) || NAMES.contains(&&*n)
}

/// `bytes` decoded as `dec` decodes them, where `dec` is the decoder
/// mail-parser gives for a name [`is_named`] accepts.
pub(crate) fn decode(dec: DecoderFnc, bytes: &[u8]) -> String {
    if bytes.len() < SHORT {
        return dec(bytes);
    }
    // A decoder that is not one char per byte after all: decode whole.
    let Some(high) = upper_half(dec) else { return dec(bytes) };
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut i = 0;
    while i < bytes.len() {
        let n = first_non_ascii(bytes, i) - i;
        // ASCII: always UTF-8.
        if let Ok(s) = std::str::from_utf8(&bytes[i..i + n]) {
            out.push_str(s);
        }
        i += n;
        while let Some(&b) = bytes.get(i).filter(|&&b| b >= 0x80) {
            out.push(high[usize::from(b - 0x80)]);
            i += 1;
        }
    }
    out
}

/// What `dec` makes of each byte from 0x80 to 0xff, or `None` when it does
/// not make exactly one char of each.
fn upper_half(dec: DecoderFnc) -> Option<[char; 128]> {
    let bytes: [u8; 128] = std::array::from_fn(|k| 0x80 | k as u8);
    let text = dec(&bytes);
    let mut chars = text.chars();
    let mut t = ['\0'; 128];
    for slot in &mut t {
        *slot = chars.next()?;
    }
    chars.next().is_none().then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::decoders::charsets::map::charset_decoder;

    #[test]
    fn decodes_as_the_whole_body_decoder_does() {
        // Names as messages write them, in every family the prefixes take.
        let names = [
            "ISO-8859-1", "iso-8859-2", "iso-8859-3", "iso-8859-4", "ISO-8859-5", "iso-8859-6", "iso-8859-6-i", "ISO-8859-7", "iso-8859-8-e", "iso-8859-9",
            "iso-8859-10", "iso-8859-11", "iso-8859-13", "iso-8859-14", "ISO-8859-15", "iso-8859-16", "iso_8859-1:1987", "iso8859-1", "iso8859-15",
            "windows-1250", "Windows-1251", "windows-1252", "windows-1253", "windows-1254", "windows-1255", "windows-1256", "windows-1257", "windows-1258", "cp1252",
            "CP1251", "koi8-r", "KOI8-U", "koi8-ru", "latin1", "US-ASCII",
        ];
        let mut seed = 0xbb67_ae85_84ca_a73bu64;
        let mut next = || crate::test_rng::xorshift(&mut seed);
        for name in names {
            assert!(is_named(name.as_bytes()), "{name}");
            let dec = charset_decoder(name.as_bytes()).unwrap_or_else(|| panic!("{name} has a decoder"));
            for _ in 0..300 {
                // Lengths on both sides of SHORT; ASCII runs of every
                // length around the eight-byte step, and every byte value.
                let len = (next() % 1500) as usize;
                let bytes: Vec<u8> = (0..len).map(|_| if next() % 4 == 0 { next() as u8 } else { b"ab \n\t~\x7f\x00"[(next() % 8) as usize] }).collect();
                assert_eq!(decode(dec, &bytes), dec(&bytes), "{name} {bytes:?}");
            }
        }
    }

    #[test]
    fn only_single_byte_charsets_are_named() {
        for name in ["utf-8", "shift_jis", "iso-2022-jp", "gb2312", "big5", "euc-kr", "utf-16", "windows-874", "ibm866", "macintosh", "iso-8859-1-and-much-more-than-forty-five-bytes-long"] {
            assert!(!is_named(name.as_bytes()), "{name}");
        }
    }
}
