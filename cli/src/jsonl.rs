//! One output row as a JSON line, written directly: the bytes serde_json
//! writes for `Row` (field order, escapes, `null`), without its serializer
//! machinery, which cost the scan more than a fifth of a message's parse.
//! The tests hold the two equal on the corpus and on every escape.

use bouncekit::Row;

/// What a byte becomes inside a JSON string: 0 (itself), a short escape
/// letter, or `u` (`\u00XX`). serde_json escapes exactly `"`, `\` and the
/// control bytes below 0x20; everything else, UTF-8 included, goes as is.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes of `w` is below 0x20, `"` or `\`
/// (the zero-byte test of "Bit Twiddling Hacks": exact as to whether one
/// exists).
fn needs_escape(w: u64) -> bool {
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGH;
    (below(w, 0x20) | below(w ^ (ONES * u64::from(b'"')), 1) | below(w ^ (ONES * u64::from(b'\\')), 1)) != 0
}

fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        // Most text needs no escape: skip it eight bytes at a time.
        let mut word = [b' '; 8]; // a short tail is padded with a byte that needs none
        let n = (bytes.len() - i).min(8);
        word[..n].copy_from_slice(&bytes[i..i + n]);
        if !needs_escape(u64::from_le_bytes(word)) {
            i += n;
            continue;
        }
        let b = bytes[i];
        let e = ESCAPE[b as usize];
        if e != 0 {
            out.extend_from_slice(&bytes[run..i]);
            run = i + 1;
            if e == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
            } else {
                out.extend_from_slice(&[b'\\', e]);
            }
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn number(out: &mut Vec<u8>, n: u16) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `row` as one JSON object and a newline.
pub fn write_row(out: &mut Vec<u8>, row: &Row) {
    // Room for the names and the usual values at once, not field by field.
    out.reserve(512 + row.diagnostic.len());
    out.extend_from_slice(b"{\"source\":");
    string(out, &row.source);
    out.extend_from_slice(b",\"message_kind\":");
    string(out, row.message_kind);
    out.extend_from_slice(b",\"recipient\":");
    string(out, &row.recipient);
    out.extend_from_slice(b",\"dsn_action\":");
    string(out, row.dsn_action);
    out.extend_from_slice(b",\"status\":");
    opt_string(out, row.status.as_deref());
    out.extend_from_slice(b",\"reply_code\":");
    match row.reply_code {
        Some(n) => number(out, n),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"reason\":");
    string(out, row.reason);
    out.extend_from_slice(b",\"bounce_type\":");
    string(out, row.bounce_type);
    out.extend_from_slice(b",\"category\":");
    string(out, row.category);
    out.extend_from_slice(b",\"action\":");
    string(out, row.action);
    out.extend_from_slice(b",\"diagnostic\":");
    string(out, &row.diagnostic);
    out.extend_from_slice(b",\"remote_mta\":");
    opt_string(out, row.remote_mta.as_deref());
    out.extend_from_slice(b",\"reporting_mta\":");
    opt_string(out, row.reporting_mta.as_deref());
    out.extend_from_slice(b",\"smtp_command\":");
    opt_string(out, row.smtp_command.as_deref());
    out.extend_from_slice(b",\"timestamp\":");
    opt_string(out, row.timestamp.as_deref());
    out.extend_from_slice(b",\"decoded_by\":");
    string(out, &row.decoded_by);
    out.extend_from_slice(b",\"rule\":");
    string(out, &row.rule);
    out.extend_from_slice(b",\"feedback_type\":");
    opt_string(out, row.feedback_type.as_deref());
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde(row: &Row) -> Vec<u8> {
        let mut v = serde_json::to_vec(row).unwrap();
        v.push(b'\n');
        v
    }

    fn mine(row: &Row) -> Vec<u8> {
        let mut v = Vec::new();
        write_row(&mut v, row);
        v
    }

    /// Every field at once, so a field left out or misordered shows.
    fn sample() -> Row {
        let report = bouncekit::parse(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/dsn-two-recipients.eml")).unwrap()).unwrap();
        let mut row = report.rows("box#1").remove(0);
        row.timestamp = Some("2025-03-03T10:00:00Z".into());
        row.feedback_type = Some("abuse".into());
        row.smtp_command = Some("RCPT".into());
        row.remote_mta = Some("mx.example.org".into());
        row
    }

    #[test]
    fn same_bytes_as_serde_json_for_every_escape_and_every_missing_field() {
        let mut row = sample();
        assert!(row.reply_code.is_some() && row.status.is_some());
        assert_eq!(mine(&row), serde(&row));
        // Every byte below 0x80 in a string, then text in other scripts and 0x7f.
        let ascii: String = (0u8..0x80).map(char::from).collect();
        for text in [ascii.as_str(), "Ünïcødé 日本語 \u{7f} \u{2028} \"q\" \\", "", "\u{0}"] {
            row.diagnostic = text.into();
            row.recipient = format!("{text}@x");
            row.source = text.into();
            row.rule = text.into();
            assert_eq!(mine(&row), serde(&row), "{text:?}");
        }
        // Each escaped byte at each offset of an eight-byte word, among
        // bytes that need none (ASCII and multi-byte UTF-8).
        for special in ['\u{0}', '\u{8}', '\u{1f}', '"', '\\', '\n'] {
            for pad in ["a", "é"] {
                for before in 0..20 {
                    row.diagnostic = format!("{}{special}{}", pad.repeat(before), pad.repeat(20 - before));
                    assert_eq!(mine(&row), serde(&row), "{:?}", row.diagnostic);
                }
            }
        }
        for code in [0, 7, 10, 99, 100, 550, 9999, 10000, u16::MAX] {
            row.reply_code = Some(code);
            assert_eq!(mine(&row), serde(&row), "{code}");
        }
        row.reply_code = None;
        row.status = None;
        row.remote_mta = None;
        row.reporting_mta = None;
        row.smtp_command = None;
        row.timestamp = None;
        row.feedback_type = None;
        assert_eq!(mine(&row), serde(&row));
    }

    #[test]
    fn same_bytes_as_serde_json_on_the_corpus() {
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/sisimai/bsd");
        let mut rows = 0;
        for (source, report) in bouncekit::scan::scan([corpus]) {
            let Ok(report) = report else { continue };
            for row in report.rows(&source) {
                assert_eq!(String::from_utf8(mine(&row)).unwrap(), String::from_utf8(serde(&row)).unwrap(), "{source}");
                rows += 1;
            }
        }
        assert!(rows > 500, "the corpus gives rows: {rows}");
    }
}
