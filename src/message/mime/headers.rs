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

use super::search::Search;
use std::borrow::Cow;

use mail_parser::HeaderValue;

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
    find: Search,
}

impl<'a> Fields<'a> {
    pub fn new(data: &'a [u8], start: usize) -> Self {
        Fields { data, pos: start.min(data.len()), complete: false, done: false, find: Search::get() }
    }

    /// Where the body starts (once the iterator is exhausted).
    pub fn body(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    // Inlined into its few loops: a call per field cost more in saved
    // registers than the split itself does for a one-line field. A plain
    // `#[inline]` left it a call in all three (the top block, a part's
    // head, a returned message's head), with the iterator's state kept in
    // memory between fields.
    #[inline(always)]
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
            let Some(i) = self.find.colon_or_lf(&d[start..]) else {
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
            // The value runs to the first line break not followed by a blank,
            // or followed by a line of nothing but blanks: that line ends the
            // block, as an empty one would (mail that passed through Notes or
            // a web page often has such "empty" lines; folding never makes one).
            let mut p = colon + 1;
            let end = loop {
                match self.find.lf(&d[p..]) {
                    Some(j) => {
                        p += j + 1;
                        if !matches!(d.get(p), Some(b' ' | b'\t')) || blank_line(&d[p..]) {
                            // Some generators break a Content-Type after a
                            // `;` without indenting the next parameter
                            // ("boundary=..." at the start of a line): read
                            // that line as folded, or the parts could not be
                            // found at all. Checked only after a `;` or a
                            // blank, off the common path.
                            let last = if d[p - 2] == b'\r' { d[p - 3] } else { d[p - 2] };
                            if matches!(last, b';' | b' ' | b'\t') && unfolded_parameter(name, &d[colon + 1..p], &d[p..]) {
                                continue;
                            }
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

/// Whether a Content-Type whose value so far is `value` (ending in `;`)
/// continues on `rest`, a line starting with `token=`: a MIME parameter,
/// never a field (a field's name ends at a colon, and a name cannot hold `=`).
#[cold]
#[inline(never)]
fn unfolded_parameter(name: &[u8], value: &[u8], rest: &[u8]) -> bool {
    if !name.eq_ignore_ascii_case(b"content-type") || value.trim_ascii_end().last() != Some(&b';') {
        return false;
    }
    let n = rest.iter().take(64).take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'*')).count();
    n > 0 && rest.get(n) == Some(&b'=')
}

/// Whether `rest` starts with a line of blanks only (or is blanks to its end).
fn blank_line(rest: &[u8]) -> bool {
    rest.iter().find(|c| !matches!(c, b' ' | b'\t' | b'\r')).is_none_or(|&c| c == b'\n')
}

/// A value as plain text: blanks and line breaks trimmed at both ends,
/// folds kept, invalid UTF-8 replaced.
pub(crate) fn raw_text(v: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(trim(v))
}

fn trim(v: &[u8]) -> &[u8] {
    let blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let s = v.iter().position(|c| !blank(c)).unwrap_or(v.len());
    let e = v.iter().rposition(|c| !blank(c)).map_or(s, |i| i + 1);
    &v[s..e.max(s)]
}

/// How a top-level header's value is read.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Address,
    Date,
    Id,
    ContentType,
    Ignored,
    Raw,
}

/// How a field is read, by its name (ASCII case-insensitive).
fn kind(name: &[u8]) -> Kind {
    // No name below is longer than this: a longer one is raw text.
    let mut buf = [0u8; 32];
    let Some(lc) = buf.get_mut(..name.len()) else { return Kind::Raw };
    lc.copy_from_slice(name);
    lc.make_ascii_lowercase();
    match &*lc {
        b"subject" | b"comments" | b"content-description" | b"content-location" | b"content-transfer-encoding" => Kind::Text,
        b"from" | b"sender" | b"reply-to" | b"to" | b"cc" | b"bcc" | b"resent-from" | b"resent-sender" | b"resent-to"
        | b"resent-cc" | b"resent-bcc" => Kind::Address,
        b"date" | b"resent-date" => Kind::Date,
        b"message-id" | b"in-reply-to" | b"references" | b"resent-message-id" | b"content-id" => Kind::Id,
        b"content-type" | b"content-disposition" => Kind::ContentType,
        // Never read, and the costliest to parse.
        b"received" => Kind::Ignored,
        _ => Kind::Raw,
    }
}

fn parse_as(kind: Kind, v: &[u8]) -> HeaderValue<'_> {
    let mut s = MessageStream::new(v);
    let hv = match kind {
        Kind::Text => s.parse_unstructured(),
        Kind::Address => s.parse_address(),
        Kind::Date => s.parse_date(),
        Kind::Id => s.parse_id(),
        Kind::ContentType => s.parse_content_type(),
        Kind::Ignored | Kind::Raw => return HeaderValue::Empty,
    };
    hv
}

/// A top-level field's value as the extractors read it: addresses as
/// `name <addr>, ...`, dates as RFC 3339, content types as `type/subtype`,
/// `Received` empty, anything else trimmed raw text. Plain values are
/// borrowed from the message.
pub(crate) fn value<'a>(f: &Field<'a>) -> Cow<'a, str> {
    let v = f.value;
    match kind(f.name) {
        Kind::Raw => raw_text(v),
        Kind::Ignored => Cow::Borrowed(""),
        k @ Kind::Address => match plain_address(v) {
            Some((Some(n), a)) => Cow::Owned([n, " <", a, ">"].concat()),
            Some((None, a)) => Cow::Borrowed(a),
            None => Cow::Owned(text_of(&parse_as(k, v))),
        },
        k @ Kind::Id => match plain_id(v) {
            Some(id) => Cow::Borrowed(id),
            None => Cow::Owned(text_of(&parse_as(k, v))),
        },
        k @ Kind::Text => match plain_text(v) {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(text_of(&parse_as(k, v))),
        },
        Kind::ContentType => match content_type(v) {
            Some(c) => {
                let mut t = String::with_capacity(c.ctype().len() + 1 + c.subtype().map_or(0, <[u8]>::len));
                t.push_str(&String::from_utf8_lossy(c.ctype()));
                if let Some(s) = c.subtype() {
                    t.push('/');
                    t.push_str(&String::from_utf8_lossy(s));
                }
                Cow::Owned(t)
            }
            None => Cow::Borrowed(""),
        },
        Kind::Date => Cow::Owned(crate::message::util::date(v).map(|d| crate::message::util::rfc3339_of(&d)).unwrap_or_default()),
    }
}

/// A top-level field as `(lowercase name, value)`.
#[cfg(test)]
pub(crate) fn decoded(f: &Field<'_>) -> (String, String) {
    (String::from_utf8_lossy(f.name).to_ascii_lowercase(), value(f).into_owned())
}

/// The first address of an address field.
pub(crate) fn first_address(v: &[u8]) -> Option<String> {
    match plain_address(v) {
        Some((_, a)) => Some(a.to_string()),
        None => match MessageStream::new(v).parse_address() {
            HeaderValue::Address(a) => a.first().and_then(|a| a.address.as_deref()).map(str::to_string),
            _ => None,
        },
    }
}

/// A message id field's id (the last, when there are several).
pub(crate) fn message_id(v: &[u8]) -> Option<String> {
    match plain_id(v) {
        Some(id) => Some(id.to_string()),
        None => MessageStream::new(v).parse_id().as_text().map(str::to_string),
    }
}

/// An unstructured field's text, encoded words decoded.
pub(crate) fn unstructured(v: &[u8]) -> Option<String> {
    match plain_text(v) {
        Some(t) => Some(t.to_string()),
        None => MessageStream::new(v).parse_unstructured().as_text().map(str::to_string),
    }
}

/// A byte's class for [`odd`]: fine, never in a plain value, or odd only
/// right after another byte (`?` after `=`, a blank after a blank). The
/// address table also marks the bytes [`plain_address`] looks for (fine
/// for `odd`).
#[derive(Clone, Copy)]
#[repr(u8)]
enum Class {
    // One bit each, so that [`odd`] can OR a block's classes together.
    Fine = 0,
    Blank = 1,
    Bad = 2,
    Question = 4,
    At = 8,
    Lt = 16,
    Gt = 32,
    Dot = 64,
}

/// A 256-entry byte class table for [`odd`]: one load per byte instead of
/// a chain of comparisons. `blanks`: two blanks in a row are odd.
const fn table(bad: [u8; 10], below: u8, from: u16, blanks: bool) -> [Class; 256] {
    let mut t = [Class::Fine; 256];
    t[b'?' as usize] = Class::Question;
    if blanks {
        t[b' ' as usize] = Class::Blank;
    }
    let mut c = 0;
    while c < 256 {
        if (c as u8) < below || c as u16 >= from {
            t[c] = Class::Bad;
        }
        c += 1;
    }
    let mut i = 0;
    while i < bad.len() {
        t[bad[i] as usize] = Class::Bad;
        i += 1;
    }
    t
}

/// What no plain unstructured value holds (control bytes, and non-ASCII:
/// the table scan is the value's ASCII check).
const TEXT_BAD: [Class; 256] = table([0x7f; 10], b' ', 0x80, true);
/// What no plain `<id>` holds.
const ID_BAD: [Class; 256] = table([b'<', b'>', b'(', b')', b'\\', b'"', b',', b';', b' ', b' '], b' ' + 1, 0x80, false);
/// What no plain address holds, and where its parts are.
const ADDRESS_BAD: [Class; 256] = {
    let mut t = table([b'"', b'(', b')', b',', b';', b':', b'\\', b'[', b']', b'"'], b' ', 0x80, true);
    t[b'@' as usize] = Class::At;
    t[b'<' as usize] = Class::Lt;
    t[b'>' as usize] = Class::Gt;
    t[b'.' as usize] = Class::Dot;
    t
};
/// What a plain quoted name or comment never holds (quotes, parentheses,
/// escapes, angle brackets, list and group separators).
const NAME_BAD: [Class; 256] = table([b'"', b'(', b')', b'\\', b'<', b'>', b',', b';', b':', b'"'], b' ', 0x7f, false);
/// What a plain quoted name never holds: inside quotes, list and group
/// separators are text (`"Doe, Jane" <...>` is the commonest name that is
/// not plain otherwise).
const QUOTED_NAME_BAD: [Class; 256] = table([b'"', b'(', b')', b'\\', b'<', b'>', b'"', b'"', b'"', b'"'], b' ', 0x7f, false);

/// Whether `s` holds a byte the table rejects, two blanks in a row (where
/// the table says so) or the start of an encoded word (`=?`). One pass, no
/// searcher set-up; the byte before is looked at only for `?` and blanks.
fn odd(s: &[u8], table: &[Class; 256]) -> bool {
    let at = |i| odd_at(s, i, table);
    // Eight bytes at a time: their classes OR-ed need one test, not eight.
    // A block of fine bytes and single blanks (most of a subject) passes
    // whole; only one holding anything else is read bytewise.
    let mut i = 0;
    while let Some(&block) = s.get(i..i + 8).and_then(|b| <&[u8; 8]>::try_from(b).ok()) {
        let classes = block.iter().fold(0, |a, &c| a | table[c as usize] as u8);
        let plain = classes == Class::Fine as u8
            || (classes == Class::Blank as u8 && !two_spaces(block) && !(block[0] == b' ' && i > 0 && s[i - 1] == b' '));
        if !plain && (i..i + 8).any(at) {
            return true;
        }
        i += 8;
    }
    (i..s.len()).any(at)
}

/// Whether `s[i]` makes `s` odd (the byte before it is read only for `?`
/// and blanks): [`odd`]'s test of one byte, and its block scan's oracle.
fn odd_at(s: &[u8], i: usize, table: &[Class; 256]) -> bool {
    match table[s[i] as usize] {
        Class::Bad => true,
        Class::Question => i > 0 && s[i - 1] == b'=',
        Class::Blank => i > 0 && s[i - 1] == b' ',
        Class::Fine | Class::At | Class::Lt | Class::Gt | Class::Dot => false,
    }
}

/// Whether two spaces in a row may be in `block` (never `false` when they
/// are; rarely `true` when they are not, which the bytewise read settles):
/// the zero bytes of `block ^ spaces`, found a word at a time.
fn two_spaces(block: [u8; 8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    let y = u64::from_le_bytes(block) ^ (ONES * u64::from(b' '));
    let zero = y.wrapping_sub(ONES) & !y & (ONES << 7);
    zero & (zero >> 8) != 0
}

/// A whole field value as text, trimmed; `None` when it was cut off by the
/// end of the data (the field parsers read that case differently). Its
/// callers' table scans reject non-ASCII bytes, so no ASCII pass here.
fn plain_value(v: &[u8]) -> Option<&str> {
    if v.last() != Some(&b'\n') {
        return None;
    }
    let s = std::str::from_utf8(trim(v)).ok()?;
    (!s.is_empty()).then_some(s)
}

/// One line of ASCII text with single spaces and no encoded words: the
/// unstructured field parser would return it trimmed, as it is.
fn plain_text(v: &[u8]) -> Option<&str> {
    let s = plain_value(v)?;
    (!odd(s.as_bytes(), &TEXT_BAD)).then_some(s)
}

/// `<id>` alone (no blanks, no comment).
fn plain_id(v: &[u8]) -> Option<&str> {
    let id = plain_value(v)?.strip_prefix('<')?.strip_suffix('>')?;
    (!id.is_empty() && !odd(id.as_bytes(), &ID_BAD)).then_some(id)
}

/// One address in a plain form: `addr`, `<addr>`, `Name <addr>`,
/// `"Name" <addr>` or `addr (Name)` (ASCII; no escapes, nested comments,
/// groups, encoded words or folds): the display name and the address.
fn plain_address(v: &[u8]) -> Option<(Option<&str>, &str)> {
    let s = plain_value(v)?;
    if let Some((name, addr)) = named_address(s) {
        return Some((Some(name), addr));
    }
    // One pass: what `odd` rejects, and where the `<`, `>`, `@`, blanks
    // and dots are. The address is `s` whole, or what `<` and a final `>`
    // enclose: one `@` and no blanks or angle brackets in it; the name
    // before `<` has no `>`, `@` or `.`.
    let b = s.as_bytes();
    let (mut lt, mut lts, mut gts, mut ats, mut at) = (None, 0, 0, 0, 0);
    let (mut blank, mut blank_after_lt, mut dot_before_lt) = (false, false, false);
    for (i, &c) in b.iter().enumerate() {
        match ADDRESS_BAD[c as usize] {
            Class::Fine => {}
            Class::Bad => return None,
            Class::Question => {
                if i > 0 && b[i - 1] == b'=' {
                    return None;
                }
            }
            Class::Blank => {
                if i > 0 && b[i - 1] == b' ' {
                    return None;
                }
                blank = true;
                blank_after_lt |= lt.is_some();
            }
            Class::At => (ats, at) = (ats + 1, i),
            Class::Lt => {
                lt = lt.or(Some(i));
                lts += 1;
            }
            Class::Gt => gts += 1,
            Class::Dot => dot_before_lt |= lt.is_none(),
        }
    }
    match lt {
        None => (ats == 1 && !blank && gts == 0).then_some((None, s)),
        Some(i) => {
            let ok = lts == 1 && gts == 1 && b.last() == Some(&b'>') && ats == 1 && at > i && !blank_after_lt && !dot_before_lt;
            let (name, addr) = (s[..i].trim_end(), s.get(i + 1..s.len() - 1)?);
            (ok && !addr.is_empty()).then_some(((!name.is_empty()).then_some(name), addr))
        }
    }
}

/// A bare plain address: one `@`, no blanks or angle brackets, nothing
/// [`odd`] rejects with [`ADDRESS_BAD`]. One pass.
fn is_addr(a: &[u8]) -> bool {
    let mut ats = 0;
    for (i, &c) in a.iter().enumerate() {
        match ADDRESS_BAD[c as usize] {
            Class::Fine | Class::Dot => {}
            Class::At => ats += 1,
            Class::Question if i == 0 || a[i - 1] != b'=' => {}
            Class::Bad | Class::Question | Class::Blank | Class::Lt | Class::Gt => return false,
        }
    }
    ats == 1
}

/// `"Name" <addr>` or `addr (Name)`, the two forms MTAs name themselves
/// in (`"MAILER-DAEMON" <...>`, `MAILER-DAEMON@... (Mail Delivery System)`),
/// with a name of plain characters that neither starts nor ends blank.
fn named_address(s: &str) -> Option<(&str, &str)> {
    let (name, addr, bad) = if let Some(rest) = s.strip_prefix('"') {
        let (name, rest) = rest.split_once('"')?;
        (name, rest.strip_prefix(" <")?.strip_suffix('>')?, &QUOTED_NAME_BAD)
    } else {
        let (addr, name) = s.strip_suffix(')')?.split_once(" (")?;
        (name, addr, &NAME_BAD)
    };
    let name_ok = !name.is_empty() && !name.starts_with(' ') && !name.ends_with(' ') && !odd(name.as_bytes(), bad);
    (name_ok && is_addr(addr.as_bytes())).then_some((name, addr))
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
        // `to_rfc3339`'s text, without its `format!` machinery.
        HeaderValue::DateTime(d) => crate::message::util::rfc3339_of(d),
        HeaderValue::ContentType(c) => match c.subtype() {
            Some(s) => format!("{}/{}", c.ctype(), s),
            None => c.ctype().to_string(),
        },
        HeaderValue::Received(_) | HeaderValue::Empty => String::new(),
    }
}

/// A Content-Type or Content-Disposition value: type and subtype
/// lowercase, parameter names compared case-insensitively, values as
/// written. All bytes (ASCII in the plain form): what reads them compares
/// bytes, so the value is never checked as UTF-8.
#[derive(Debug, PartialEq)]
pub(crate) struct ContentType<'a> {
    ctype: Cow<'a, [u8]>,
    subtype: Option<Cow<'a, [u8]>>,
    params: Params<'a>,
}

/// The parameters: in the plain form, the first few as slices of the
/// value (no allocation; a list longer than that is read again from its
/// text on lookup), or what mail-parser's parser gave.
#[derive(Debug, PartialEq)]
enum Params<'a> {
    Plain { first: [Param<'a>; PLAIN_PARAMS], n: usize, text: &'a [u8] },
    Parsed(Vec<(String, String)>),
}

/// Enough for the usual Content-Type (charset, boundary, report-type, format).
const PLAIN_PARAMS: usize = 4;

impl<'a> ContentType<'a> {
    pub fn ctype(&self) -> &[u8] {
        &self.ctype
    }

    pub fn subtype(&self) -> Option<&[u8]> {
        self.subtype.as_deref()
    }

    /// The first parameter of that (lowercase) name.
    pub fn attribute(&self, name: &str) -> Option<&[u8]> {
        match &self.params {
            Params::Plain { .. } => self.plain_attribute(name),
            Params::Parsed(v) => v.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_bytes()),
        }
    }

    /// The first parameter of that (lowercase) name, borrowed from the
    /// message where the value is in the plain form.
    pub fn attribute_cow(&self, name: &str) -> Option<Cow<'a, [u8]>> {
        match &self.params {
            Params::Plain { .. } => self.plain_attribute(name).map(Cow::Borrowed),
            Params::Parsed(v) => v.iter().find(|(n, _)| n == name).map(|(_, v)| Cow::Owned(v.clone().into_bytes())),
        }
    }

    fn plain_attribute(&self, name: &str) -> Option<&'a [u8]> {
        let Params::Plain { first, n, text } = &self.params else { return None };
        let is = |p: &Param<'_>| p.0.eq_ignore_ascii_case(name.as_bytes());
        if *n <= PLAIN_PARAMS {
            first[..*n].iter().find(|p| is(p)).map(|p| p.1)
        } else {
            let mut i = 0;
            // Checked whole when parsed: every step succeeds.
            std::iter::from_fn(|| param(text, &mut i).ok().flatten()).find(is).map(|p| p.1)
        }
    }
}

/// Parses a Content-Type or Content-Disposition value. The plain form
/// (`type/subtype; name=value; name="value"`, ASCII) is read here; anything
/// subtler (RFC 2231 continuations and charsets, encoded words, comments,
/// escapes) goes to mail-parser's parser.
pub(crate) fn content_type(v: &[u8]) -> Option<ContentType<'_>> {
    match plain_content_type(v) {
        Some(ct) => ct,
        None => match MessageStream::new(v).parse_content_type() {
            HeaderValue::ContentType(c) => Some(ContentType {
                subtype: c.subtype().map(|s| Cow::Owned(s.as_bytes().to_vec())),
                params: Params::Parsed(c.attributes().unwrap_or(&[]).iter().map(|a| (a.name.to_string(), a.value.to_string())).collect()),
                ctype: Cow::Owned(c.ctype().as_bytes().to_vec()),
            }),
            _ => None,
        },
    }
}

fn lower(t: &[u8]) -> Cow<'_, [u8]> {
    if t.iter().any(u8::is_ascii_uppercase) {
        Cow::Owned(t.to_ascii_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

fn blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn tok(c: u8) -> bool {
    TOKEN[c as usize]
}

/// The bytes of a type, subtype or parameter name: one load each.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'!' | b'#' | b'$' | b'&' | b'^' | b'_' | b'.' | b'+' | b'-');
        c += 1;
    }
    t
};

// Statically dispatched: it runs once per byte.
fn skip(b: &[u8], i: &mut usize, f: impl Fn(u8) -> bool) {
    while *i < b.len() && f(b[*i]) {
        *i += 1;
    }
}

/// A parameter's name and value, as written.
type Param<'b> = (&'b [u8], &'b [u8]);

/// How a byte of a plain parameter value reads: part of it, the byte that
/// ends it, a byte no plain value holds (non-ASCII, RFC 2231 stars,
/// escapes, comments; line breaks inside quotes), or `?` (odd after `=`:
/// an encoded word).
#[derive(Clone, Copy, PartialEq)]
#[repr(u8)]
enum V {
    In,
    End,
    Bad,
    Question,
}

const fn value_table(quoted: bool) -> [V; 256] {
    let mut t = [V::In; 256];
    let mut c = 0x80;
    while c < 256 {
        t[c] = V::Bad;
        c += 1;
    }
    t[b'\\' as usize] = V::Bad;
    t[b'(' as usize] = V::Bad;
    t[b')' as usize] = V::Bad;
    t[b'*' as usize] = V::Bad;
    t[b'?' as usize] = V::Question;
    if quoted {
        t[b'"' as usize] = V::End;
        t[b'\r' as usize] = V::Bad;
        t[b'\n' as usize] = V::Bad;
    } else {
        t[b' ' as usize] = V::End;
        t[b'\t' as usize] = V::End;
        t[b'\r' as usize] = V::End;
        t[b'\n' as usize] = V::End;
        t[b';' as usize] = V::End;
        // Not plain after a bare value: the list would fail there anyway.
        t[b'"' as usize] = V::Bad;
    }
    t
}

const QUOTED: [V; 256] = value_table(true);
const UNQUOTED: [V; 256] = value_table(false);

/// Where the value at `b[i..]` ends (its `End` byte, or the end of `b` when
/// `to_end`), or `Err` at a byte no plain value holds.
fn value_end(b: &[u8], mut i: usize, table: &[V; 256], to_end: bool) -> Result<usize, ()> {
    // Whole blocks of value bytes first (a boundary runs to 70): their
    // classes OR-ed (`In` is 0) need one test, not eight.
    while let Some(block) = b.get(i..i + 8) {
        if block.iter().fold(0, |a, &c| a | table[c as usize] as u8) != V::In as u8 {
            break;
        }
        i += 8;
    }
    value_end_bytewise(b, i, table, to_end)
}

/// [`value_end`] a byte at a time: how it ends, and its block skip's oracle.
fn value_end_bytewise(b: &[u8], mut i: usize, table: &[V; 256], to_end: bool) -> Result<usize, ()> {
    while let Some(&c) = b.get(i) {
        match table[c as usize] {
            V::In => {}
            V::End => return Ok(i),
            V::Bad => return Err(()),
            V::Question if b[i - 1] == b'=' => return Err(()),
            V::Question => {}
        }
        i += 1;
    }
    if to_end {
        Ok(i)
    } else {
        Err(())
    }
}

/// The next `; name=value` of a plain parameter list at `b[*i..]` (blanks
/// before it skipped, after it too): `Ok(None)` at the end, `Err` where
/// the list is not in the plain form. Every byte is looked at once, so a
/// list that passes holds only ASCII and nothing the full parser would
/// read differently.
fn param<'b>(b: &'b [u8], i: &mut usize) -> Result<Option<Param<'b>>, ()> {
    if *i == b.len() {
        return Ok(None);
    }
    if b[*i] != b';' {
        return Err(());
    }
    skip(b, i, |c| blank(c) || c == b';');
    if *i == b.len() {
        return Ok(None);
    }
    let n0 = *i;
    skip(b, i, tok);
    let name = &b[n0..*i];
    skip(b, i, blank);
    if name.is_empty() || b.get(*i) != Some(&b'=') {
        return Err(());
    }
    *i += 1;
    skip(b, i, blank);
    let value = if b.get(*i) == Some(&b'"') {
        let q = value_end(b, *i + 1, &QUOTED, false)?;
        let value = &b[*i + 1..q];
        *i = q + 1;
        value
    } else {
        let v0 = *i;
        *i = value_end(b, v0, &UNQUOTED, true)?;
        if *i == v0 {
            return Err(());
        }
        &b[v0..*i]
    };
    skip(b, i, blank);
    Ok(Some((name, value)))
}

/// The plain form only; `None` when the value needs the full parser. One
/// pass: the type and names are tokens and [`param`] checks each value
/// byte, so nothing outside the plain form gets through.
fn plain_content_type(v: &[u8]) -> Option<Option<ContentType<'_>>> {
    // A field cut off by the end of the data reads differently there.
    if v.last() != Some(&b'\n') {
        return None;
    }
    let b = v;
    let mut i = 0;
    skip(b, &mut i, blank);
    let t0 = i;
    skip(b, &mut i, tok);
    let t = t0..i;
    skip(b, &mut i, blank);
    if t.is_empty() {
        return (i == b.len()).then_some(None);
    }
    let mut sub = None;
    if b.get(i) == Some(&b'/') {
        i += 1;
        skip(b, &mut i, blank);
        let s0 = i;
        skip(b, &mut i, tok);
        if i == s0 {
            return None;
        }
        sub = Some(s0..i);
        skip(b, &mut i, blank);
    }
    let text = &b[i..];
    let (mut first, mut n, mut j) = ([(&b""[..], &b""[..]); PLAIN_PARAMS], 0, 0);
    // The whole list must be plain before any of it is believed.
    while let Some(p) = param(text, &mut j).ok()? {
        if let Some(slot) = first.get_mut(n) {
            *slot = p;
        }
        n += 1;
    }
    Some(Some(ContentType { ctype: lower(&b[t]), subtype: sub.map(|r| lower(&b[r])), params: Params::Plain { first, n, text } }))
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
    fn an_unindented_parameter_line_continues_the_content_type() {
        // As an early ARF example (and some scripts) wrote it: "boundary=" at
        // the start of a line.
        let raw = b"Content-Type: multipart/report; report-type=feedback-report;\nboundary=\"p1\"\nX-B: boundary=2\nnot=a field\n\nbody";
        let f: Vec<_> = Fields::new(raw, 0).collect();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].name, b"X-B");
        let ct = content_type(f[0].value).unwrap();
        assert_eq!(ct.attribute("boundary"), Some(&b"p1"[..]));
        assert_eq!(ct.attribute("report-type"), Some(&b"feedback-report"[..]));
        // With CRLF line ends too.
        let crlf = String::from_utf8_lossy(raw).replace('\n', "\r\n");
        let f: Vec<_> = Fields::new(crlf.as_bytes(), 0).collect();
        assert_eq!(content_type(f[0].value).unwrap().attribute("boundary"), Some(&b"p1"[..]));
        // Only a Content-Type continues so, and only after a `;`: elsewhere
        // such a line is skipped.
        let (n, _, _) = names(b"Subject: a;\nboundary=x\nX-C: 1\n\n");
        assert_eq!(n, ["Subject", "X-C"]);
        let f: Vec<_> = Fields::new(b"Content-Type: text/plain\ncharset=x\n\n", 0).collect();
        assert_eq!(content_type(f[0].value).unwrap().attribute("charset"), None);
    }

    #[test]
    fn a_line_of_blanks_ends_the_block_as_an_empty_one_does() {
        // As Notes and pasted copies write them: a line of spaces after the last field.
        let raw = b"Content-Type: multipart/report;\n    boundary=\"b\"\n \n--b\nContent-Type: text/plain\n";
        let (n, body, complete) = names(raw);
        assert_eq!(n, ["Content-Type"]);
        assert_eq!(&raw[body..], b"--b\nContent-Type: text/plain\n");
        assert!(complete);
        let f: Vec<_> = Fields::new(raw, 0).collect();
        assert_eq!(raw_text(f[0].value), "multipart/report;\n    boundary=\"b\"");
        // CRLF and tabs too; a folded line with text after its blanks still folds.
        let (n, body, _) = names(b"A: 1\r\n\t \r\nB: body\r\n");
        assert_eq!((n.len(), body), (1, 10));
        assert_eq!(names(b"A: 1\n  x\nB: 2\n").0, ["A", "B"]);
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
        assert_eq!(ct.attribute("boundary"), Some(&b"x y"[..]));
        assert_eq!(ct.attribute("report-type"), Some(&b"delivery-status"[..]));
    }

    #[test]
    fn plain_fields_read_as_mail_parser_reads_them() {
        let addresses = [
            "a@b.example", "<a@b.example>", "Mail Delivery Subsystem <MAILER-DAEMON@mx.example>", " MAILER-DAEMON@mx.example ",
            // Subtle forms: the full parser's answer.
            "\"Name, Q\" <a@b.example>", "a@b.example (comment)", "Mr. X <a@b.example>", "=?utf-8?B?w6k=?= <a@b.example>",
            "a@b.example, c@d.example", "group: a@b.example;", "<>", "x y", "Name\n <a@b.example>",
            // Quoted names and trailing comments.
            "\"MAILER-DAEMON\" <MAILER-DAEMON@example.org>", "\"Content-filter at mx.example\" <postmaster@mx.example>",
            "MAILER-DAEMON@AOL.com (Mail Delivery System)", "postmaster@x.example (postmaster@x.example)", "a@b.example (x y  z)",
            "\"a  b\" <p@n.example>", "\"\" <p@n.example>", "\" a\" <p@n.example>", "\"a\" b <p@n.example>", "\"a\"<p@n.example>",
            "\"a\\\"b\" <p@n.example>", "\"a,b\" <p@n.example>", "\"=?utf-8?q?x?=\" <p@n.example>", "\"caf\u{e9}\" <p@n.example>",
            "a@b.example ()", "a@b.example (a(b)c)", "a@b.example ( c )", "a@b.example (c)x", "a@b.example  (c)", "a@b.example (c\td)",
            "(c) a@b.example", "a@b.example (x <y@z>)", "a b@c.example (n)", "\"n\" <a@b@c>", "\"n\" <>",
            // Angle brackets, at signs, dots and blanks in every place.
            "a@b.example <x@y.example>", "Name <a@b.example> x", "N. Name <a@b.example>", "Name <a@b.example>>", "Name <<a@b.example>",
            "Name <a b@c.example>", "Name  <a@b.example>", "Name <a@b@c.example>", "@ <a@b.example>", "a@b.example>", "<a@b.example",
            "Name<a@b.example>", "<a@b.example> ", "a@@b.example", "a@b.example.", "Na=?me <a@b.example>", "Name <>", "<@>",
        ];
        for v in addresses.map(|v| format!("{v}\n")) {
            let full = MessageStream::new(v.as_bytes()).parse_address();
            assert_eq!(decoded(&Field { name: b"from", value: v.as_bytes() }).1, text_of(&full), "{v:?}");
            let first = full.as_address().and_then(|a| a.first()).and_then(|a| a.address.as_deref()).map(str::to_string);
            assert_eq!(first_address(v.as_bytes()), first, "{v:?}");
        }
        for v in ["<id@host.example>", "<a.b$c@[1.2.3.4]>", "<a@b> <c@d>", "id@host", "<i d@h>", "<>"].map(|v| format!("{v}\n")) {
            let full = MessageStream::new(v.as_bytes()).parse_id();
            assert_eq!(decoded(&Field { name: b"message-id", value: v.as_bytes() }).1, text_of(&full), "{v:?}");
            assert_eq!(message_id(v.as_bytes()).as_deref(), full.as_text(), "{v:?}");
        }
        for v in ["Undelivered Mail Returned to Sender", " Re: x ", "a  b", "a\tb", "=?utf-8?q?caf=C3=A9?=", "line\n fold", "caf\u{e9}"]
            .map(|v| format!("{v}\n"))
        {
            let full = MessageStream::new(v.as_bytes()).parse_unstructured();
            assert_eq!(decoded(&Field { name: b"subject", value: v.as_bytes() }).1, text_of(&full), "{v:?}");
            assert_eq!(unstructured(v.as_bytes()).as_deref(), full.as_text(), "{v:?}");
        }
    }

    #[test]
    fn content_types_read_as_mail_parser_reads_them() {
        // The plain form is read here; every value must read as the full parser reads it.
        let values = [
            "text/plain",
            "Text/Plain; Charset=ISO-2022-JP",
            "multipart/report; report-type=delivery-status;\r\n\tboundary=\"----=_Part_1.2\"\r\n",
            "multipart/mixed;\n boundary=----=_NextPart_000_0000_01D0;",
            "message/rfc822",
            "attachment; filename=\"mailheaders.txt\"",
            "text/plain; charset=\"utf-8\"; format=flowed",
            "text",
            "",
            // Subtle forms: the full parser's answer.
            "text/plain; charset*=us-ascii'en'utf-8",
            "text/plain; name*0=\"a\"; name*1=\"b\"",
            "text/plain (comment); charset=\"a\\\"b\"",
            "multipart/mixed; boundary=\"=?utf-8?q?x?=\"",
            // More parameters than are kept at hand: the rest are read from the text.
            "text/plain; a=1; b=2; c=3; d=4; format=flowed; name=\"n\"; charset=utf-8",
            "Multipart/Mixed; x=1; y=2; z=3; Report-Type=delivery-status; BOUNDARY=\"q\"",
        ];
        for v in values.map(|v| format!("{v}\n")).iter().chain(&["text/plain; charset=utf-8".to_string()]) {
            let full = match MessageStream::new(v.as_bytes()).parse_content_type() {
                HeaderValue::ContentType(c) => Some((
                    c.ctype().to_string(),
                    c.subtype().map(str::to_string),
                    ["charset", "boundary", "report-type", "name", "filename"].map(|n| c.attribute(n).map(str::to_string)),
                )),
                _ => None,
            };
            let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
            let ours = content_type(v.as_bytes()).map(|c| {
                (text(c.ctype()), c.subtype().map(text), ["charset", "boundary", "report-type", "name", "filename"].map(|n| c.attribute(n).map(text)))
            });
            assert_eq!(ours, full, "{v:?}");
        }
    }

    /// The plain reader before it became one pass (an `odd` check of the
    /// whole value first, then the parse): the reference for the test below.
    /// Type, subtype and parameters, as the tests compare them.
    type Read<'b> = (String, Option<String>, Vec<Param<'b>>);

    fn plain_content_type_two_pass(v: &[u8]) -> Option<Option<Read<'_>>> {
        const BAD: [Class; 256] = table([b'*', b'\\', b'(', b')', b'*', b'*', b'*', b'*', b'*', b'*'], 0, 0x80, false);
        if v.last() != Some(&b'\n') || odd(v, &BAD) {
            return None;
        }
        let s = std::str::from_utf8(v).ok()?;
        let b = s.as_bytes();
        let mut i = 0;
        skip(b, &mut i, blank);
        let t0 = i;
        skip(b, &mut i, tok);
        let t = &s[t0..i];
        skip(b, &mut i, blank);
        if t.is_empty() {
            return (i == b.len()).then_some(None);
        }
        let mut sub = None;
        if b.get(i) == Some(&b'/') {
            i += 1;
            skip(b, &mut i, blank);
            let s0 = i;
            skip(b, &mut i, tok);
            if i == s0 {
                return None;
            }
            sub = Some(s[s0..i].to_ascii_lowercase());
            skip(b, &mut i, blank);
        }
        let (text, mut params, mut j) = (&b[i..], Vec::new(), 0);
        while let Some(p) = param(text, &mut j).ok()? {
            params.push(p);
        }
        Some(Some((t.to_ascii_lowercase(), sub, params)))
    }

    #[test]
    fn the_one_pass_plain_reader_reads_as_the_two_pass_one() {
        // Values built from the pieces that steer the reader, and those that
        // must send a value to the full parser, in every slot.
        const TYPES: [&str; 6] = ["text", "Text", "", " text", "te(x)t", "t\u{e9}xt"];
        const SLASHES: [&str; 4] = ["/", " / ", "", "/\n\t"];
        const SUBTYPES: [&str; 4] = ["plain", "Report", "", "x*"];
        const BEFORE: [&str; 6] = ["; ", ";", ";\r\n\t", " ;; ", "", ","];
        const NAMES: [&str; 6] = ["charset", "Boundary", "x", "name*0", "", "b(c)"];
        const EQUALS: [&str; 4] = ["=", " = ", "", "=\n "];
        const VALUES: [&str; 16] = [
            "utf-8", "\"x y\"", "\"a\\\"b\"", "*", "=?u?q?x?=", "\"=?x\"", "?x", "a=?", "\u{e9}", "\"a\nb\"", "\"open", "a(b)", "\"\"", "", "x\"y", "a?b ",
        ];
        let (mut plain, mut full) = (0, 0);
        for r in super::super::reference::random_strings(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 14, 20_000) {
            let at = |k: usize, n: usize| usize::from(r.get(k).copied().unwrap_or(0)) % n;
            let mut v = [TYPES[at(0, 6)], SLASHES[at(1, 4)], SUBTYPES[at(2, 4)]].concat();
            for p in (3..r.len()).step_by(4) {
                v += &[BEFORE[at(p, 6)], NAMES[at(p + 1, 6)], EQUALS[at(p + 2, 4)], VALUES[at(p + 3, 16)]].concat();
            }
            v.push('\n');
            let ours = plain_content_type(v.as_bytes()).map(|c| {
                c.map(|c| {
                    let Params::Plain { first, n, text } = c.params else { unreachable!("the plain reader") };
                    let mut j = 0;
                    let params = if n <= PLAIN_PARAMS { first[..n].to_vec() } else { std::iter::from_fn(|| param(text, &mut j).ok().flatten()).collect() };
                    let text = |b: Cow<'_, [u8]>| String::from_utf8(b.into_owned()).unwrap();
                    (text(c.ctype), c.subtype.map(text), params)
                })
            });
            let before = plain_content_type_two_pass(v.as_bytes());
            if before.is_some() { plain += 1 } else { full += 1 }
            assert_eq!(ours, before, "{v:?}");
        }
        // Both outcomes are well represented.
        assert!(plain > 1_000 && full > 1_000, "{plain} plain, {full} for the full parser");
    }

    #[test]
    fn plain_content_type_is_only_the_plain_form() {
        assert!(plain_content_type(b"text/plain; charset=utf-8\r\n").is_some());
        assert!(plain_content_type(b"text/plain; name*0=a\n").is_none());
    }

    #[test]
    fn quoted_names_read_as_mail_parser_reads_them() {
        // Quoted names built from the pieces that steer the reader (list and
        // group separators, blanks, quotes, escapes, comments, encoded words).
        const PIECES: [&str; 16] = ["Doe", ", ", ",", ";", ":", " ", "  ", "\t", "=?", "?=", "(x)", "\\", "<", ">", "@", "."];
        let (mut plain, mut total) = (0, 0);
        for r in super::super::reference::random_strings(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 8, 20_000) {
            let name: String = r.iter().map(|&k| PIECES[usize::from(k)]).collect();
            for v in [format!("\"{name}\" <a@b.example>\n"), format!("\"{name}\"<a@b.example>\n"), format!(" \"{name}\" <a@b.example> \n")] {
                let full = MessageStream::new(v.as_bytes()).parse_address();
                assert_eq!(decoded(&Field { name: b"from", value: v.as_bytes() }).1, text_of(&full), "{v:?}");
                let first = full.as_address().and_then(|a| a.first()).and_then(|a| a.address.as_deref()).map(str::to_string);
                assert_eq!(first_address(v.as_bytes()), first, "{v:?}");
                plain += usize::from(plain_address(v.as_bytes()).is_some());
                total += 1;
            }
        }
        // Both paths are well represented.
        assert!(plain > 3_000 && total - plain > 3_000, "{plain} of {total} plain");
    }

    /// `odd` as it was, a byte at a time: the oracle for the blockwise scan.
    fn odd_bytewise(s: &[u8], table: &[Class; 256]) -> bool {
        (0..s.len()).any(|i| odd_at(s, i, table))
    }

    #[test]
    fn value_ends_are_found_as_bytewise() {
        const BYTES: &[u8] = b"\" ;=?\\()*\r\n\t\xe9";
        let mut seed = 0x510e_527f_ade6_82d1u64;
        let mut next = || crate::test_rng::xorshift(&mut seed);
        let mut ends = [0; 2];
        for k in 0..60_000 {
            let len = 1 + (next() % 60) as usize;
            let sparse = if k % 2 == 0 { 6 } else { 40 };
            let v: Vec<u8> = (0..len).map(|_| if next() % sparse == 0 { BYTES[(next() % BYTES.len() as u64) as usize] } else { b'-' + (next() % 77) as u8 }).collect();
            let i = 1 + (next() % len as u64) as usize;
            for (t, table) in [&QUOTED, &UNQUOTED].into_iter().enumerate() {
                for to_end in [false, true] {
                    let got = value_end(&v, i.min(v.len()), table, to_end);
                    assert_eq!(got, value_end_bytewise(&v, i.min(v.len()), table, to_end), "{v:?} from {i}");
                    ends[t] += usize::from(got.is_ok_and(|e| e >= i + 8));
                }
            }
        }
        assert!(ends.iter().all(|&n| n > 5_000), "{ends:?} ends past a whole block");
    }

    #[test]
    fn two_spaces_never_misses_a_pair() {
        let mut seed = 0xbb67_ae85_84ca_a73bu64;
        let (mut pairs, mut exact) = (0, 0);
        for _ in 0..200_000 {
            let r = crate::test_rng::xorshift(&mut seed);
            // Spaces, and the bytes the word trick can mistake for them.
            let block: [u8; 8] = std::array::from_fn(|k| b" !\x00a"[((r >> (2 * k)) & 3) as usize]);
            let pair = block.windows(2).any(|w| w == b"  ");
            assert!(!pair || two_spaces(block), "{block:?}");
            // Only a `!` above a space is mistaken: without one, the answer is exact.
            if !block.contains(&b'!') {
                assert_eq!(two_spaces(block), pair, "{block:?}");
                exact += 1;
            }
            pairs += usize::from(pair);
        }
        assert!(pairs > 50_000 && exact > 10_000, "{pairs} pairs, {exact} without a `!`");
    }

    #[test]
    fn the_blockwise_scans_read_as_the_bytewise_ones() {
        // The bytes every table treats specially, and plain ones, in runs
        // long enough to cross the eight-byte blocks.
        const BYTES: &[u8] = b"aZ09 ?=@<>.\"(),;:[]\t\x7f\xe9-_";
        let tables = [&TEXT_BAD, &ID_BAD, &ADDRESS_BAD, &NAME_BAD, &QUOTED_NAME_BAD];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || crate::test_rng::xorshift(&mut seed);
        let (mut odd_seen, mut fine, mut addrs) = (0, 0, 0);
        for k in 0..60_000 {
            let len = (next() % 40) as usize;
            // Mostly plain bytes, so that whole blocks are often fine.
            let sparse = if k % 2 == 0 { 4 } else { 24 };
            let v: Vec<u8> = (0..len).map(|_| if next() % sparse == 0 { BYTES[(next() % BYTES.len() as u64) as usize] } else { b'a' + (next() % 26) as u8 }).collect();
            for t in tables {
                assert_eq!(odd(&v, t), odd_bytewise(&v, t), "{v:?}");
                odd_seen += usize::from(odd(&v, t));
                fine += usize::from(!odd(&v, t) && v.len() > 16);
            }
            // `is_addr` as it was: three passes.
            let three = !v.is_empty() && v.iter().filter(|&&c| c == b'@').count() == 1 && !v.iter().any(|c| b" <>".contains(c)) && !odd_bytewise(&v, &ADDRESS_BAD);
            assert_eq!(is_addr(&v), three, "{v:?}");
            addrs += usize::from(three);
            // Non-ASCII text is never plain (the table scans are the check).
            let text = String::from_utf8_lossy(&v);
            if !text.is_ascii() {
                for line in [format!("{text}\n"), format!("<{text}>\n"), format!("\"{text}\" <a@b.example>\n"), format!("a@b.example ({text})\n")] {
                    let l = line.as_bytes();
                    assert!(plain_text(l).is_none() && plain_id(l).is_none() && plain_address(l).is_none(), "{line:?}");
                }
            }
        }
        assert!(odd_seen > 20_000 && fine > 20_000 && addrs > 300, "{odd_seen} odd, {fine} long and fine, {addrs} addresses");
    }
}
