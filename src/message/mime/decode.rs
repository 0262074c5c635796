//! Body transfer decodings (base64, quoted-printable) over one part's bytes.
//!
//! Both are lenient the way bouncekit's readers have always been (the same
//! choices mail-parser 0.11 makes, so that reports read the same): base64
//! skips whitespace and ignores a lone `-`; quoted-printable keeps a broken
//! escape as written. Input that is neither gives `None`, and the caller
//! keeps the part's raw text instead.

/// Base64 digit values; 0xff for anything else.
const B64: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0u8;
    while i < 64 {
        let c = match i {
            0..=25 => b'A' + i,
            26..=51 => b'a' + (i - 26),
            52..=61 => b'0' + (i - 52),
            62 => b'+',
            _ => b'/',
        };
        t[c as usize] = i;
        i += 1;
    }
    t
};

/// Decodes a base64 body. `None` when it holds a byte base64 never has
/// (so the part is not really base64).
pub(crate) fn base64(src: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 3);
    let (mut acc, mut n) = (0u32, 0u8);
    let mut last = b'\n';
    let mut i = 0;
    while i < src.len() {
        // Whole groups of four digits at a time: the common case.
        if n == 0 {
            while i + 4 <= src.len() {
                let [a, b, c, d] = [0, 1, 2, 3].map(|k| B64[src[i + k] as usize]);
                if (a | b | c | d) >= 0x40 {
                    break;
                }
                let w = (a as u32) << 18 | (b as u32) << 12 | (c as u32) << 6 | d as u32;
                out.extend_from_slice(&w.to_be_bytes()[1..]);
                i += 4;
                last = b'A';
            }
            if i >= src.len() {
                break;
            }
        }
        let ch = src[i];
        let v = B64[ch as usize];
        if v < 0x40 {
            acc = acc << 6 | v as u32;
            n += 1;
            if n == 4 {
                out.extend_from_slice(&acc.to_be_bytes()[1..]);
                (acc, n) = (0, 0);
            }
        } else {
            match ch {
                // Padding ends a group early: keep the whole bytes it holds.
                b'=' => {
                    match n {
                        1 => out.push((acc << 2) as u8),
                        2 => out.push((acc >> 4) as u8),
                        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
                        _ => {}
                    }
                    (acc, n) = (0, 0);
                }
                b' ' | b'\t' | b'\r' | b'\n' => {}
                // A lone dash is noise; two in a row would be a boundary, and
                // the part was cut before its boundary.
                b'-' if last != b'-' => {}
                _ => return None,
            }
        }
        last = ch;
        i += 1;
    }
    Some(out)
}

/// Decodes a quoted-printable body. `line_end` says the part's bytes stop
/// just before the line break ahead of its closing boundary: that break
/// belongs to the boundary, but trailing blanks before it are still dropped.
/// `None` for a stray `=` right after another `=` escape had started.
///
/// Most of a body reads as written: plain runs and hard line breaks (in
/// the body's own style, with no blanks before them) are not copied one by
/// one but in one piece when the output first differs from the input (at
/// an escape, a soft break, blanks to drop, a lone CR).
pub(crate) fn quoted_printable(src: &[u8], line_end: bool) -> Option<Vec<u8>> {
    #[derive(PartialEq)]
    enum St {
        Plain,
        Eq,
        Hex1(u8),
    }
    let mut out = Vec::with_capacity(src.len());
    let mut st = St::Plain;
    let mut crlf: &[u8] = b"\n";
    let mut blanks = 0usize;
    let mut last = 0u8;
    let mut i = 0;
    // `src[copy..i]` is output not written yet: it reads as written.
    let mut copy = 0;
    let find = super::search::Search::get();
    let flush = |out: &mut Vec<u8>, copy: usize, i: usize| {
        if copy < i {
            out.extend_from_slice(&src[copy..i]);
        }
    };
    while i < src.len() {
        if st == St::Plain {
            match src[i..] {
                // An escape, whole (`=E3=81=82` runs are most of an encoded
                // non-ASCII text): what the three steps below would do.
                [b'=', h, l, ..] if hex(h).is_some() && hex(l).is_some() => {
                    flush(&mut out, copy, i);
                    out.push(hex(h)? << 4 | hex(l)?);
                    (blanks, last) = (0, l);
                    i += 3;
                    copy = i;
                    continue;
                }
                // A soft line break, whole.
                [b'=', b'\n', ..] => {
                    flush(&mut out, copy, i);
                    (blanks, last) = (0, b'\n');
                    i += 2;
                    copy = i;
                    continue;
                }
                [b'=', b'\r', b'\n', ..] => {
                    flush(&mut out, copy, i);
                    (crlf, blanks, last) = (b"\r\n", 0, b'\n');
                    i += 3;
                    copy = i;
                    continue;
                }
                // A hard line break that reads as written: the body's style
                // (LF until a CR is seen, CRLF after) with no blanks to drop.
                [b'\n', ..] if blanks == 0 && crlf.len() == 1 => {
                    last = b'\n';
                    i += 1;
                    continue;
                }
                [b'\r', b'\n', ..] if blanks == 0 => {
                    (crlf, last) = (b"\r\n", b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
            // A run of plain bytes stays where it is.
            let run = find.qp(&src[i..]).unwrap_or(src.len() - i);
            if run > 0 {
                let bytes = &src[i..i + run];
                let tail = bytes.iter().rev().take_while(|c| c.is_ascii_whitespace()).count();
                blanks = if tail == run { blanks + run } else { tail };
                last = bytes[run - 1];
                i += run;
                continue;
            }
        }
        flush(&mut out, copy, i);
        let ch = src[i];
        i += 1;
        copy = i;
        match ch {
            b'=' if st == St::Plain => st = St::Eq,
            b'=' => return None,
            b'\n' => {
                if st == St::Eq {
                    st = St::Plain; // a soft line break
                } else {
                    out.truncate(out.len() - blanks);
                    out.extend_from_slice(crlf);
                }
                blanks = 0;
            }
            // Line breaks come out as the body writes them (CRLF once any CR is seen).
            b'\r' => crlf = b"\r\n",
            _ => match st {
                St::Plain => {
                    blanks = if ch.is_ascii_whitespace() { blanks + 1 } else { 0 };
                    out.push(ch);
                }
                St::Eq => match hex(ch) {
                    Some(h) => st = St::Hex1(h),
                    None if ch.is_ascii_whitespace() => {}
                    None => {
                        st = St::Plain;
                        out.extend_from_slice(&[b'=', ch]);
                        blanks = 0;
                    }
                },
                St::Hex1(h) => {
                    st = St::Plain;
                    match hex(ch) {
                        Some(l) => out.push(h << 4 | l),
                        None => out.extend_from_slice(&[b'=', last, ch]),
                    }
                    blanks = 0;
                }
            },
        }
        last = ch;
    }
    flush(&mut out, copy, i);
    if line_end && st != St::Eq {
        out.truncate(out.len() - blanks);
    }
    Some(out)
}

/// `bytes` as text when they are valid UTF-8. A text part is a few KB:
/// checked with vectors (simdutf8, where the CPU has them), which std's
/// check does only for aligned ASCII; short ones the std way (simdutf8 does
/// the same below its block size).
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.len() < 64 {
        std::str::from_utf8(bytes).ok()
    } else {
        simdutf8::basic::from_utf8(bytes).ok()
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_with_crlf_and_padding() {
        assert_eq!(base64(b"NTUwIDUu\r\nMS4xIFVz\r\nZXIgdW5rbm93bg==\r\n").unwrap(), b"550 5.1.1 User unknown");
        assert_eq!(base64(b"YQ==").unwrap(), b"a");
        assert_eq!(base64(b"YWI=").unwrap(), b"ab");
        // Digits after padding start a new group.
        assert_eq!(base64(b"YQ==YQ==").unwrap(), b"aa");
        // An unfinished group without padding is dropped.
        assert_eq!(base64(b"YWJjZA").unwrap(), b"abc");
        assert_eq!(base64(b"not base64!"), None);
        assert_eq!(base64(b"YWJj\n--x"), None);
        assert_eq!(base64(b"YW-Jj").unwrap(), b"abc");
    }

    #[test]
    fn quoted_printable_soft_breaks_and_escapes() {
        assert_eq!(quoted_printable(b"550 5.1.1 <a@b.ex=\r\nample>: =55ser unknown", false).unwrap(), b"550 5.1.1 <a@b.example>: User unknown");
        // Trailing blanks on a line go; the line break style is kept.
        assert_eq!(quoted_printable(b"a  \nb\n", false).unwrap(), b"a\nb\n");
        assert_eq!(quoted_printable(b"a\r\nb  ", true).unwrap(), b"a\r\nb");
        assert_eq!(quoted_printable(b"last  ", true).unwrap(), b"last");
        // A broken escape stays as written.
        assert_eq!(quoted_printable(b"=ZZ and =4x", false).unwrap(), b"=ZZ and =4x");
        assert_eq!(quoted_printable(b"=4=", false), None);
        // Runs of escapes, a soft break between them, one cut at the end.
        assert_eq!(quoted_printable(b"=E3=81=82=\n=e3=81 x=E", false).unwrap(), b"\xe3\x81\x82\xe3\x81 x");
        assert_eq!(quoted_printable(b"=E3=81=82  \n", false).unwrap(), b"\xe3\x81\x82\n");
        assert_eq!(quoted_printable(b"==", false), None);
        // Soft and hard breaks in both styles, blanks before them, and a style change.
        assert_eq!(quoted_printable(b"a =\r\nb  \r\nc=\nd \ne", false).unwrap(), b"a b\r\ncd\r\ne");
    }

    #[test]
    fn quoted_printable_reads_as_mail_parser_reads_it() {
        // Short strings over the bytes that steer the decoder, against
        // mail-parser's body decoder (no boundary: the whole input).
        const ALPHABET: &[u8] = b"==A3fz \t\r\n\n-x";
        for src in super::super::reference::random_strings(ALPHABET, 15, 20_000) {
            let (end, theirs) = mail_parser::parsers::MessageStream::new(&src).decode_quoted_printable_mime(b"");
            let theirs = (end != usize::MAX).then(|| theirs.into_owned());
            assert_eq!(quoted_printable(&src, false), theirs, "{:?}", String::from_utf8_lossy(&src));
        }
    }

    #[test]
    fn utf8_reads_as_std_reads() {
        // Valid and broken sequences at every offset of texts around the
        // vector block sizes.
        const PIECES: [&[u8]; 10] = [b"a", b"bc\n", "\u{e9}".as_bytes(), "\u{3042}".as_bytes(), "\u{1f600}".as_bytes(), b"\xe3\x81", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"0123456789abcdef"];
        let mut seed = 0x243f_6a88_85a3_08d3u64;
        let mut next = || crate::test_rng::xorshift(&mut seed);
        let (mut valid, mut broken) = (0, 0);
        for _ in 0..20_000 {
            let mut b = Vec::new();
            let target = (next() % 200) as usize;
            // Mostly valid: a broken piece one time in eight.
            while b.len() < target {
                let k = (next() % 80) as usize;
                b.extend_from_slice(PIECES[if k < 70 { [0, 1, 2, 3, 4, 9][k % 6] } else { 5 + k % 4 }]);
            }
            let std = std::str::from_utf8(&b).ok();
            if std.is_some() { valid += 1 } else { broken += 1 }
            assert_eq!(utf8(&b), std, "{b:?}");
        }
        assert!(valid > 1_000 && broken > 1_000, "{valid} valid, {broken} broken");
    }
}
