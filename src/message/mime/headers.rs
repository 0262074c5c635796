//! Header blocks: split into fields with memchr, and the few values
//! bouncekit reads decoded.
//!
//! Splitting is ours (a field is a line with a colon plus the folded lines
//! after it; a blank line ends the block; a line without a colon is
//! skipped). Values whose decoding is subtle (RFC 2047 encoded words,
//! address lists, dates, message ids, Content-Type parameters with RFC 2231
//! continuations) go through mail-parser's field parsers, one field at a
//! time, so they read exactly as before.

use mail_parser::parsers::MessageStream;
use mail_parser::{ContentType, HeaderValue};

/// One header field: its name (trimmed) and its raw value, from after the
/// colon through the line break that ends it (folded lines included).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
}

impl Field<'_> {
    /// Whether the field has that name (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// The fields of the header block at `data[start..]`, in order. After the
/// last one, [`Fields::body`] is where the body starts and
/// [`Fields::complete`] says whether a blank line ended the block (rather
/// than the end of the data).
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    pub complete: bool,
    done: bool,
}

impl<'a> Fields<'a> {
    pub fn new(data: &'a [u8], start: usize) -> Self {
        Fields { data, pos: start.min(data.len()), complete: false, done: false }
    }

    /// Where the body starts (once the iterator is exhausted).
    pub fn body(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let d = self.data;
        while !self.done {
            // Blank space before a name; a line break there ends the block.
            while let Some(&c) = d.get(self.pos) {
                if c == b'\n' {
                    self.pos += 1;
                    self.complete = true;
                    self.done = true;
                    return None;
                }
                if !c.is_ascii_whitespace() && c != b':' {
                    break;
                }
                self.pos += 1;
            }
            let start = self.pos;
            let Some(i) = memchr::memchr2(b':', b'\n', &d[start..]) else {
                self.pos = d.len();
                self.done = true;
                return None;
            };
            let colon = start + i;
            if d[colon] == b'\n' {
                // Not a field: skip the line.
                self.pos = colon + 1;
                continue;
            }
            let name = d[start..colon].trim_ascii_end();
            // The value runs to the first line break not followed by a blank.
            let mut p = colon + 1;
            let end = loop {
                match memchr::memchr(b'\n', &d[p..]) {
                    Some(j) => {
                        p += j + 1;
                        if !matches!(d.get(p), Some(b' ' | b'\t')) {
                            break p;
                        }
                    }
                    None => break d.len(),
                }
            };
            self.pos = end;
            return Some(Field { name, value: &d[colon + 1..end] });
        }
        None
    }
}

/// A value as plain text: blanks and line breaks trimmed at both ends,
/// folds kept, invalid UTF-8 replaced.
pub(crate) fn raw_text(v: &[u8]) -> String {
    let t = trim(v);
    String::from_utf8_lossy(t).into_owned()
}

fn trim(v: &[u8]) -> &[u8] {
    let blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let s = v.iter().position(|c| !blank(c)).unwrap_or(v.len());
    let e = v.iter().rposition(|c| !blank(c)).map_or(s, |i| i + 1);
    &v[s..e.max(s)]
}

/// How a top-level header's value is read, by its lowercase name.
enum Kind {
    Text,
    Address,
    Date,
    Id,
    ContentType,
    Ignored,
    Raw,
}

fn kind(name_lc: &str) -> Kind {
    match name_lc {
        "subject" | "comments" | "content-description" | "content-location" | "content-transfer-encoding" => Kind::Text,
        "from" | "sender" | "reply-to" | "to" | "cc" | "bcc" | "resent-from" | "resent-sender" | "resent-to" | "resent-cc"
        | "resent-bcc" => Kind::Address,
        "date" | "resent-date" => Kind::Date,
        "message-id" | "in-reply-to" | "references" | "resent-message-id" | "content-id" => Kind::Id,
        "content-type" | "content-disposition" => Kind::ContentType,
        // Never read, and the costliest to parse.
        "received" => Kind::Ignored,
        _ => Kind::Raw,
    }
}

/// The parsed value of a field whose decoding is subtle.
pub(crate) fn parsed<'a>(f: &Field<'a>) -> HeaderValue<'a> {
    let name = String::from_utf8_lossy(f.name).to_ascii_lowercase();
    parse_as(&name, f.value)
}

fn parse_as<'a>(name_lc: &str, v: &'a [u8]) -> HeaderValue<'a> {
    let mut s = MessageStream::new(v);
    let hv = match kind(name_lc) {
        Kind::Text => s.parse_unstructured(),
        Kind::Address => s.parse_address(),
        Kind::Date => s.parse_date(),
        Kind::Id => s.parse_id(),
        Kind::ContentType => s.parse_content_type(),
        Kind::Ignored | Kind::Raw => return HeaderValue::Empty,
    };
    hv
}

/// A top-level field as the extractors read it: lowercase name and decoded
/// value (addresses as `name <addr>, ...`, dates as RFC 3339, content types
/// as `type/subtype`, `Received` empty, anything else trimmed raw text).
pub(crate) fn decoded(f: &Field<'_>) -> (String, String) {
    let name = String::from_utf8_lossy(f.name).to_ascii_lowercase();
    let value = match kind(&name) {
        Kind::Raw => raw_text(f.value),
        Kind::Ignored => String::new(),
        _ => text_of(&parse_as(&name, f.value)),
    };
    (name, value)
}

/// A parsed header value as one line of text.
pub(crate) fn text_of(v: &HeaderValue<'_>) -> String {
    match v {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(l) => l.join(", "),
        HeaderValue::Address(a) => a
            .iter()
            .map(|x| match (&x.name, &x.address) {
                (Some(n), Some(a)) => format!("{n} <{a}>"),
                (None, Some(a)) => a.to_string(),
                (Some(n), None) => n.to_string(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        HeaderValue::DateTime(d) => d.to_rfc3339(),
        HeaderValue::ContentType(c) => match c.subtype() {
            Some(s) => format!("{}/{}", c.ctype(), s),
            None => c.ctype().to_string(),
        },
        HeaderValue::Received(_) | HeaderValue::Empty => String::new(),
    }
}

/// A Content-Type or Content-Disposition value (type and subtype lowercase,
/// parameters with RFC 2231 continuations and charsets applied).
pub(crate) fn content_type(v: &[u8]) -> Option<ContentType<'_>> {
    match MessageStream::new(v).parse_content_type() {
        HeaderValue::ContentType(c) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(raw: &[u8]) -> (Vec<String>, usize, bool) {
        let mut it = Fields::new(raw, 0);
        let v = it.by_ref().map(|f| String::from_utf8_lossy(f.name).into_owned()).collect();
        (v, it.body(), it.complete)
    }

    #[test]
    fn splits_folded_fields_and_finds_the_body() {
        let raw = b"From: a@b.example\r\nSubject: one\r\n two\r\nnot a field\r\nX-A : v\r\n\r\nbody";
        let (n, body, complete) = names(raw);
        assert_eq!(n, ["From", "Subject", "X-A"]);
        assert_eq!(&raw[body..], b"body");
        assert!(complete);
        let f: Vec<_> = Fields::new(raw, 0).collect();
        assert_eq!(f[1].value, b" one\r\n two\r\n");
        assert_eq!(raw_text(f[1].value), "one\r\n two");
        // No blank line: the block runs to the end.
        let (n, body, complete) = names(b"A: 1\nB: 2");
        assert_eq!((n.len(), body, complete), (2, 9, false));
    }

    #[test]
    fn decodes_the_values_extractors_read() {
        let raw = "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\nFrom: \"Mail Delivery\" <MAILER-DAEMON@mx.example>\n\
Date: Thu, 9 Apr 2015 01:23:45 +0900\nContent-Type: Multipart/Report; report-type=delivery-status;\n boundary=\"x y\"\nReceived: from a by b\n\n";
        let got: Vec<_> = Fields::new(raw.as_bytes(), 0).map(|f| decoded(&f)).collect();
        assert_eq!(got[0], ("subject".into(), "こんにちは".into()));
        assert_eq!(got[1].1, "Mail Delivery <MAILER-DAEMON@mx.example>");
        assert_eq!(got[2].1, "2015-04-09T01:23:45+09:00");
        assert_eq!(got[3].1, "multipart/report");
        assert_eq!(got[4], ("received".into(), String::new()));
        let f = Fields::new(raw.as_bytes(), 0).find(|f| f.is("content-type")).unwrap();
        let ct = content_type(f.value).unwrap();
        assert_eq!(ct.attribute("boundary"), Some("x y"));
        assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
    }
}
