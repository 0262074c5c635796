//! One output row (or one classified diagnostic) as a JSON line, written
//! directly: the bytes serde_json writes for `Row` (field order, escapes,
//! `null`), without its serializer machinery, which cost the scan more than
//! a fifth of a message's parse, and `classify -` more than half a line's.
//! The tests hold the two equal on the corpus and on every escape.

use bouncekit::{Classification, RowRef, StatusCode, StatusSource};

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
        // Most text needs no escape: skip it eight bytes at a time, read
        // straight from the text; the last few bytes go one by one.
        if let Some(word) = bytes.get(i..i + 8) {
            if !needs_escape(u64::from_le_bytes(word.try_into().unwrap_or([0; 8]))) {
                i += 8;
                continue;
            }
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

/// A word of the fixed vocabularies (`bounce`, `failed`, `userunknown`,
/// ...): none needs an escape, so it is copied as it is.
fn word(out: &mut Vec<u8>, s: &'static str) {
    debug_assert!(s.bytes().all(|b| ESCAPE[b as usize] == 0), "{s:?}");
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
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

/// A status code as a JSON string: `"5.1.1"`, as its `Display` writes it.
fn status(out: &mut Vec<u8>, s: StatusCode) {
    out.push(b'"');
    out.push(b'0' + s.class().digit());
    out.push(b'.');
    number(out, s.subject());
    out.push(b'.');
    number(out, s.detail());
    out.push(b'"');
}

/// Appends `row` as one JSON object and a newline: the bytes serde_json
/// writes for the same [`bouncekit::Row`].
pub fn write_row(out: &mut Vec<u8>, row: &RowRef<'_>) {
    // Room for the names and the usual values at once, not field by field.
    out.reserve(512 + row.diagnostic.len());
    out.extend_from_slice(b"{\"source\":");
    string(out, row.source);
    out.extend_from_slice(b",\"message_kind\":");
    word(out, row.message_kind);
    out.extend_from_slice(b",\"recipient\":");
    string(out, row.recipient);
    out.extend_from_slice(b",\"dsn_action\":");
    word(out, row.dsn_action);
    out.extend_from_slice(b",\"status\":");
    match row.status {
        Some(s) => status(out, s),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"reply_code\":");
    match row.reply_code {
        Some(n) => number(out, n),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"reason\":");
    word(out, row.reason);
    out.extend_from_slice(b",\"bounce_type\":");
    word(out, row.bounce_type);
    out.extend_from_slice(b",\"category\":");
    word(out, row.category);
    out.extend_from_slice(b",\"action\":");
    word(out, row.action);
    out.extend_from_slice(b",\"diagnostic\":");
    string(out, row.diagnostic);
    out.extend_from_slice(b",\"remote_mta\":");
    opt_string(out, row.remote_mta);
    out.extend_from_slice(b",\"reporting_mta\":");
    opt_string(out, row.reporting_mta);
    out.extend_from_slice(b",\"smtp_command\":");
    opt_string(out, row.smtp_command);
    out.extend_from_slice(b",\"timestamp\":");
    opt_string(out, row.timestamp);
    out.extend_from_slice(b",\"decoded_by\":");
    string(out, row.decoded_by);
    out.extend_from_slice(b",\"rule\":");
    string(out, row.rule);
    out.extend_from_slice(b",\"feedback_type\":");
    opt_string(out, row.feedback_type);
    out.extend_from_slice(b"}\n");
}

/// Appends one classified diagnostic as a JSON object and a newline: the
/// bytes serde_json writes for [`crate::render::classification_json`]'s
/// object, whose keys it sorts.
pub fn write_classification(out: &mut Vec<u8>, text: &str, c: &Classification) {
    out.reserve(320 + text.len() + c.description.len());
    out.extend_from_slice(b"{\"action\":");
    word(out, c.action.as_str());
    out.extend_from_slice(b",\"bounce_type\":");
    word(out, c.bounce_type.as_str());
    out.extend_from_slice(b",\"category\":");
    word(out, c.category.as_str());
    out.extend_from_slice(b",\"description\":");
    string(out, &c.description);
    out.extend_from_slice(b",\"diagnostic\":");
    string(out, text);
    out.extend_from_slice(b",\"note\":");
    opt_string(out, c.note.as_deref());
    out.extend_from_slice(b",\"reason\":");
    word(out, c.reason.as_str());
    out.extend_from_slice(b",\"reply_code\":");
    match c.reply_code {
        Some(r) => number(out, r.get()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"rule\":");
    string(out, &c.rule);
    out.extend_from_slice(b",\"status\":");
    match c.status {
        Some(s) => status(out, s),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"status_source\":");
    word(
        out,
        match c.status_source {
            StatusSource::Found => "found",
            StatusSource::Derived => "derived",
            StatusSource::None => "none",
        },
    );
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use bouncekit::Row;

    fn serde(row: &Row) -> Vec<u8> {
        let mut v = serde_json::to_vec(row).unwrap();
        v.push(b'\n');
        v
    }

    /// The row written from its borrowed form (its status read back from
    /// the text `Display` gave).
    fn mine(row: &Row) -> Vec<u8> {
        let borrowed = crate::scan::borrowed(row);
        assert_eq!(&borrowed.to_row(), row, "the test's borrowed row is the row");
        let mut v = Vec::new();
        write_row(&mut v, &borrowed);
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
        for class in [2, 4, 5] {
            for subject in 0..=bouncekit::MAX_SUBJECT {
                for detail in [0, 1, 9, 10, 26, 99, 100, 999] {
                    row.status = Some(StatusCode::new(class, subject, detail).unwrap().to_string());
                    assert_eq!(mine(&row), serde(&row), "{:?}", row.status);
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

    /// A classification written directly is what serde_json writes for
    /// its object, on texts with every kind of verdict and escape.
    #[test]
    fn classifications_are_the_bytes_of_serde_json() {
        let classifier = bouncekit::Classifier::new();
        let texts = [
            "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown",
            "452 4.2.2 The email account that you tried to reach is over quota",
            "554 delivery error: dd This user doesn't have a yahoo.com account",
            "250 2.0.0 Ok: queued as 12345",
            "550 5.7.1 \"quoted\" \\ back\tslash \u{1} control Ünïcødé 日本語",
            "421 zzz qqq",
            "550 2.1.5 reply and status disagree",
            "",
        ];
        for text in texts {
            let c = classifier.classify(text);
            let mut mine = Vec::new();
            write_classification(&mut mine, text, &c);
            let mut serde = serde_json::to_vec(&crate::render::classification_json(text, &c)).unwrap();
            serde.push(b'\n');
            assert_eq!(String::from_utf8(mine).unwrap(), String::from_utf8(serde).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn same_bytes_as_serde_json_on_the_corpus() {
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/sisimai/bsd");
        let mut rows = 0;
        for (source, report) in bouncekit::scan::scan([corpus]) {
            let Ok(report) = report else { continue };
            for borrowed in report.row_refs(&source) {
                let mut got = Vec::new();
                write_row(&mut got, &borrowed);
                assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(serde(&borrowed.to_row())).unwrap(), "{source}");
                rows += 1;
            }
        }
        assert!(rows > 500, "the corpus gives rows: {rows}");
    }
}
