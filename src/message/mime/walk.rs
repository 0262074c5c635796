//! The MIME walk: raw bytes -> [`Mail`], in two passes and without
//! recursion.
//!
//! The first pass finds the parts: each part's header block, its body's
//! byte range (multipart bodies split on `--boundary` with memmem) and its
//! depth. Nothing is decoded yet, so the limits are checked on the whole
//! structure before any work is spent on content. The second pass decodes
//! only the parts an extractor reads (text, delivery and feedback reports,
//! JSON, the returned message's headers); images and other attachments are
//! never decoded.
//!
//! A returned original message (`message/rfc822`, `message/global`) is not
//! walked: only its header block is read, for its identity and to tell
//! whether it is itself a delivery report.
//!
//! Boundary rules follow what bouncekit has always accepted (mail-parser
//! 0.11's): a boundary is `--` and the boundary string anywhere, even
//! mid-line; a part whose closing boundary never comes is kept as raw text
//! to the end of the message; after `--boundary--` the parent's boundary is
//! sought again.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;
use smallvec::SmallVec;

use super::{boundary, decode, iso2022jp, single_byte};
use super::headers::{self, ContentType, Field, Fields};
use crate::message::{util, Limits, Mail, Original};
use crate::Error;

/// How a part's body is read, from its Content-Type.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mime {
    Multipart { digest: bool },
    Text,
    Message,
    Other,
}

fn mime_of(ct: Option<&ContentType<'_>>, parent_digest: bool) -> Mime {
    match ct {
        Some(c) => match c.ctype() {
            b"multipart" => Mime::Multipart { digest: c.subtype() == Some(b"digest") },
            b"text" => Mime::Text,
            b"message" if matches!(c.subtype(), Some(b"rfc822" | b"global")) => Mime::Message,
            _ => Mime::Other,
        },
        // RFC 2046: a digest's parts are messages unless they say otherwise.
        None if parent_digest => Mime::Message,
        None => Mime::Text,
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Enc {
    None,
    Base64,
    QuotedPrintable,
}

/// The header fields of one part that the walk reads (the last of each
/// name counts, as everywhere in bouncekit).
#[derive(Default, Clone, Copy)]
struct Head<'a> {
    ct: Option<&'a [u8]>,
    cte: Option<&'a [u8]>,
    cd: Option<&'a [u8]>,
    /// Where an enclosed message's own header block starts inside this
    /// block (see [`head_at`]).
    enclosed: Option<usize>,
}

impl<'a> Head<'a> {
    // Once per field of every header block: a call would cost more than it.
    #[inline(always)]
    fn note(&mut self, f: &Field<'a>) {
        if f.is("content-type") {
            self.ct = Some(f.value);
        } else if f.is("content-transfer-encoding") {
            self.cte = Some(f.value);
        } else if f.is("content-disposition") {
            self.cd = Some(f.value);
        }
    }

    fn enc(&self) -> Enc {
        let v = self.cte.map(|v| v.trim_ascii()).unwrap_or(b"");
        if v.eq_ignore_ascii_case(b"base64") {
            Enc::Base64
        } else if v.eq_ignore_ascii_case(b"quoted-printable") {
            Enc::QuotedPrintable
        } else {
            Enc::None
        }
    }
}

/// The header block at `pos`: `None` when the data ends inside it (a part
/// cut short is dropped).
///
/// Exchange 5.5 writes a `message/rfc822` part with no blank line between
/// the part's fields and the returned message's: the message's own fields
/// (From, Message-ID, its multipart Content-Type, ...) then belong to the
/// message, not to the part, and the message starts at the first of them.
fn head_at(raw: &[u8], pos: usize) -> Option<(Head<'_>, usize)> {
    let mut h = Head::default();
    let mut it = Fields::new(raw, pos);
    for f in it.by_ref() {
        if h.enclosed.is_some() {
            continue;
        }
        if MESSAGE_FIELDS.iter().any(|n| f.is(n)) && h.ct.and_then(headers::content_type).is_some_and(|c| mime_of(Some(&c), false) == Mime::Message) {
            h.enclosed = Some(f.name.as_ptr() as usize - raw.as_ptr() as usize);
            continue;
        }
        h.note(&f);
    }
    it.complete.then(|| (h, it.body()))
}

/// Fields that only a message's header block has, never a MIME part's.
const MESSAGE_FIELDS: [&str; 6] = ["from", "message-id", "received", "return-path", "date", "subject"];

enum Body<'a> {
    /// A multipart container (its parts follow it in the list).
    Multipart,
    /// A body in `start..end`. `line_end`: it stops before the line break
    /// ahead of its boundary. `raw`: its closing boundary never came (or
    /// the message has headers only), so it is kept undecoded.
    Leaf { start: usize, end: usize, line_end: bool, raw: bool },
    /// A message inside, not encoded: its bytes are `start..end`, its
    /// header block already read (by the depth count).
    Inline { start: usize, end: usize, block: Block<'a> },
}

struct Part<'a> {
    head: Head<'a>,
    ct: Option<ContentType<'a>>,
    mime: Mime,
    body: Body<'a>,
    /// An HTML rendering of a plain text already read (the later half of a
    /// multipart/alternative): the same words again, so left unread.
    redundant: bool,
}

struct Frame<'a> {
    /// Finds `--` and the boundary.
    finder: boundary::Finder<'a>,
    digest: bool,
    /// A multipart/alternative, and whether a plain text with words in it
    /// was among its parts so far.
    alternative: bool,
    has_plain: bool,
}

/// The part structure of a message whose top header block ends at `body`.
struct Tree<'a> {
    /// A typical report's parts fit inline: a heap list of them would be
    /// large enough for the allocator's slow path.
    parts: SmallVec<[Part<'a>; 8]>,
    /// The deepest multipart nesting (the top part is at 0).
    depth: usize,
    /// How many messages sit inside messages (0 for a flat message).
    messages: usize,
}

/// Fills `t` (empty) in place: a tree of inline parts is a few KB, and
/// returning it would copy all of it.
fn build<'a>(raw: &'a [u8], top: Head<'a>, body: usize, complete: bool, t: &mut Tree<'a>) {
    if !complete {
        // Headers only: an empty body.
        let ct = top.ct.and_then(headers::content_type);
        let mime = mime_of(ct.as_ref(), false);
        let n = raw.len();
        t.parts.push(Part { head: top, ct, mime, body: Body::Leaf { start: n, end: n, line_end: false, raw: true }, redundant: false });
        return;
    }
    // Inline too: a finder holds vectors, so a heap stack is an aligned allocation.
    let mut stack: SmallVec<[Frame<'a>; 4]> = SmallVec::new();
    let (mut head, mut pos) = (top, body);
    'parts: loop {
        let ct = head.ct.and_then(headers::content_type);
        let mut mime = mime_of(ct.as_ref(), stack.last().is_some_and(|f| f.digest));
        t.depth = t.depth.max(stack.len());
        if let Mime::Multipart { digest } = mime {
            if let Some(b) = ct.as_ref().and_then(|c| c.attribute_cow("boundary")) {
                let mut finder = boundary::Finder::new(b);
                if let Some(i) = finder.find(&raw[pos..]) {
                    let alternative = ct.as_ref().is_some_and(|c| c.subtype().is_some_and(|s| s.eq_ignore_ascii_case(b"alternative")));
                    t.parts.push(Part { head, ct, mime, body: Body::Multipart, redundant: false });
                    pos = skip_line_end(raw, pos + i + finder.len());
                    stack.push(Frame { finder, digest, alternative, has_plain: false });
                    match head_at(raw, pos) {
                        Some((h, p)) => (head, pos) = (h, p),
                        None => break 'parts,
                    }
                    continue;
                }
            }
            // No boundary, or it never appears: the body is text.
            mime = Mime::Text;
        }
        let (start, enc) = (pos, head.enc());
        let (end, line_end, next) = match stack.last_mut() {
            None => (raw.len(), false, None),
            Some(f) => match f.finder.find(&raw[start..]) {
                Some(i) => {
                    let at = start + i;
                    let after = at + f.finder.len();
                    if at > start && raw[at - 1] == b'\n' {
                        let cr = at - 1 > start && raw[at - 2] == b'\r';
                        (at - 1 - cr as usize, true, Some(after))
                    } else if at == start {
                        (start, true, Some(after))
                    } else {
                        (at, false, Some(after))
                    }
                }
                None => (raw.len(), false, None),
            },
        };
        let body = if mime == Mime::Message && enc == Enc::None {
            let start = head.enclosed.unwrap_or(start);
            let (n, block) = message_chain(&raw[..end], start);
            t.messages = t.messages.max(n);
            Body::Inline { start, end, block }
        } else {
            if mime == Mime::Message {
                t.messages = t.messages.max(1);
            }
            Body::Leaf { start, end, line_end, raw: !stack.is_empty() && next.is_none() }
        };
        let mut redundant = false;
        if let (Some(f), Body::Leaf { start, end, .. }) = (stack.last_mut(), &body) {
            if f.alternative && mime == Mime::Text {
                let sub = ct.as_ref().and_then(|c| c.subtype()).unwrap_or(b"plain");
                if sub.eq_ignore_ascii_case(b"html") {
                    redundant = f.has_plain;
                } else if sub.eq_ignore_ascii_case(b"plain") && raw[*start..*end].iter().any(u8::is_ascii_alphanumeric) {
                    f.has_plain = true;
                }
            }
        }
        t.parts.push(Part { head, ct, mime, body, redundant });
        let Some(mut p) = next else { break };
        // After a boundary: `--` closes this multipart (then the parent's
        // boundary is sought), anything else starts the next part.
        loop {
            if raw[p..].starts_with(b"--") {
                stack.pop();
                let Some(f) = stack.last_mut() else { break 'parts };
                match f.finder.find(&raw[p + 2..]) {
                    Some(i) => p = p + 2 + i + f.finder.len(),
                    None => break 'parts,
                }
                continue;
            }
            p = match raw.get(p) {
                Some(b'\r') if raw.get(p + 1) == Some(&b'\n') => p + 2,
                Some(b'\n') => p + 1,
                Some(c) if c.is_ascii_whitespace() => skip_line_end(raw, p + 1),
                _ => p,
            };
            break;
        }
        match head_at(raw, p) {
            Some((h, np)) => (head, pos) = (h, np),
            None => break,
        }
    }
}

/// Skips blanks and one line break.
fn skip_line_end(raw: &[u8], mut p: usize) -> usize {
    while let Some(&c) = raw.get(p) {
        match c {
            b'\r' | b' ' | b'\t' => p += 1,
            b'\n' => return p + 1,
            _ => break,
        }
    }
    p
}

/// How many messages are nested from `start` on, and the first one's
/// header block: each header block whose Content-Type is again an
/// unencoded message starts one more. (Messages below a multipart inside
/// the original are never walked, so never count.)
fn message_chain(raw: &[u8], start: usize) -> (usize, Block<'_>) {
    let mut first = Block::read(raw, start);
    let (mut n, mut b) = (0, first);
    loop {
        if !b.any && !b.complete {
            return (n, first);
        }
        n += 1;
        let ct = b.head.ct.and_then(headers::content_type);
        if n == 1 {
            first.report = Some(is_report(ct.as_ref()));
        }
        if mime_of(ct.as_ref(), false) != Mime::Message || b.head.enc() != Enc::None {
            return (n, first);
        }
        b = Block::read(raw, b.body);
    }
}

/// What bouncekit reads of a returned message's header block, found in
/// one walk: its MIME fields, the last of each identity field, and the
/// first `X-HmXmrOriginalRecipient`.
#[derive(Default, Clone, Copy)]
struct Block<'a> {
    head: Head<'a>,
    /// Message-ID, From, To, Subject.
    identity: [Option<&'a [u8]>; 4],
    jmrp: Option<&'a [u8]>,
    /// Whether its Content-Type is a delivery report's, once known.
    report: Option<bool>,
    /// Whether it has any field, whether a blank line ends it, and where
    /// its body starts.
    any: bool,
    complete: bool,
    body: usize,
}

impl<'a> Block<'a> {
    fn read(raw: &'a [u8], start: usize) -> Self {
        const NAMES: [&str; 4] = ["message-id", "from", "to", "subject"];
        let mut b = Block::default();
        let mut it = Fields::new(raw, start);
        for f in it.by_ref() {
            b.any = true;
            if let Some(i) = NAMES.iter().position(|n| f.is(n)) {
                b.identity[i] = Some(f.value);
            } else if b.jmrp.is_none() && f.is("x-hmxmroriginalrecipient") {
                b.jmrp = Some(f.value);
            } else {
                b.head.note(&f);
            }
        }
        (b.complete, b.body) = (it.complete, it.body());
        b
    }
}

/// Reads `raw` (already line-ending normalised) into `m`.
pub(crate) fn collect<'a>(raw: &'a [u8], limits: &Limits, m: &mut Mail<'a>) -> Result<(), Error> {
    let mut top = Head::default();
    // Blank lines before the header block (a saved message that starts with
    // one) are no empty block: the fields after them are the message's.
    let start = raw.iter().position(|c| !c.is_ascii_whitespace()).map_or(raw.len(), |i| raw[..i].iter().rposition(|&c| c == b'\n').map_or(0, |n| n + 1));
    let mut it = Fields::new(raw, start);
    // Room for a typical report's header block at once (most have 8-15
    // fields), kept under 1 KB: a larger request takes glibc's slow path,
    // which first consolidates the fast bins.
    m.headers.reserve(31);
    // The first From, Subject and Date, found on the same pass.
    const FIRST: [&str; 3] = ["from", "subject", "date"];
    let mut first = [None; 3];
    for f in it.by_ref() {
        top.note(&f);
        if let Some(i) = FIRST.iter().position(|n| f.is(n)) {
            first[i] = first[i].or(Some(f));
        }
        m.headers.push(f);
    }
    // A message has at least one header field: text with none (notes, a
    // Markdown file in a scanned folder) is no message, even when a line of
    // it names an address beside words of a bounce.
    if m.headers.is_empty() {
        return Err(Error::NotAMessage);
    }
    let [from, subject, date] = first.map(|f| f.map(|f| headers::value(&f).into_owned()));
    (m.from, m.subject, m.date) = (from, subject, date);
    // Microsoft's older JMRP form: the complained-of message itself, sent on
    // by staff@hotmail.com with the complainer in a header of its own.
    if let Some(v) = m.headers.iter().find(|f| f.is("x-hmxmroriginalrecipient")) {
        let from_jmrp = m.headers.iter().any(|f| (f.is("return-path") || f.is("from")) && util::contains_ci(&headers::raw_text(f.value), "staff@hotmail.com"));
        if from_jmrp {
            m.jmrp_recipient = util::find_address(&headers::raw_text(v.value)).map(|a| a.0);
        }
    }
    let (root_body, complete) = (it.body(), it.complete);
    let mut tree = Tree { parts: SmallVec::new(), depth: 0, messages: 0 };
    build(raw, top, root_body, complete, &mut tree);
    if tree.messages > limits.mime_depth() {
        return Err(Error::LimitExceeded { limit: "max_mime_depth", max: limits.mime_depth(), actual: tree.messages });
    }
    if tree.parts.len() > limits.max_parts {
        return Err(Error::LimitExceeded { limit: "max_parts", max: limits.max_parts, actual: tree.parts.len() });
    }
    if tree.depth > limits.mime_depth() {
        return Err(Error::LimitExceeded { limit: "max_mime_depth", max: limits.mime_depth(), actual: limits.mime_depth() + 1 });
    }
    if let Some(ct) = &tree.parts[0].ct {
        if ct.ctype() == b"multipart" && ct.subtype() == Some(b"report") {
            m.report_type = Some(String::from_utf8_lossy(ct.attribute("report-type").unwrap_or(b"")).to_ascii_lowercase());
        }
    }
    for part in &tree.parts {
        read_part(raw, part, m);
    }
    if m.texts.is_empty() && m.dsn.is_empty() && m.feedback.is_empty() && m.mdn.is_empty() && m.json.is_empty() {
        // A multipart whose boundaries are missing or broken: read the body as text.
        let body = &raw[root_body.min(raw.len())..];
        if !body.is_empty() {
            m.texts.push(String::from_utf8_lossy(body));
        }
    }
    Ok(())
}

fn read_part<'a>(raw: &'a [u8], part: &Part<'a>, m: &mut Mail<'a>) {
    let (ctype, sub) = match &part.ct {
        Some(c) => (c.ctype(), c.subtype().unwrap_or(b"")),
        None => (&b""[..], &b""[..]),
    };
    match part.body {
        Body::Multipart => {}
        _ if part.redundant => {}
        Body::Inline { start, end, block } => inner_message(&raw[start..end], &block, m),
        // A part no arm below reads (images, archives, TNEF, ...): not worth decoding.
        _ if !matches!((ctype, sub), (b"text" | b"message" | b"", _) | (b"application", b"json" | b"xml")) => {}
        Body::Leaf { start, end, line_end, raw: keep_raw } => {
            let bytes = &raw[start..end];
            let decoded: Option<Cow<'a, [u8]>> = match part.head.enc() {
                _ if keep_raw => None,
                Enc::None => Some(Cow::Borrowed(bytes)),
                Enc::Base64 => decode::base64(bytes).map(Cow::Owned),
                Enc::QuotedPrintable => decode::quoted_printable(bytes, line_end).map(Cow::Owned),
            };
            // Undecodable bodies are read as they are, as text.
            let (bytes, is_text) = match decoded {
                Some(b) if part.mime == Mime::Message => {
                    // An encoded message inside: read its header block.
                    let block = Block::read(&b, 0);
                    if block.any || block.complete {
                        inner_message(&b, &block, m);
                        return;
                    }
                    (b, false)
                }
                Some(b) => (b, part.mime == Mime::Text),
                None => (Cow::Borrowed(bytes), true),
            };
            let charset = part.ct.as_ref().and_then(|c| c.attribute("charset")).filter(|_| is_text);
            let charset = charset.filter(|c| !ascii_reads_as_ascii(c, &bytes));
            let content: Cow<'a, str> = match charset.and_then(charset_decoder) {
                Some(_) if charset.is_some_and(iso2022jp::is_named) => Cow::Owned(iso2022jp::decode(&bytes)),
                Some(dec) if charset.is_some_and(single_byte::is_named) => Cow::Owned(single_byte::decode(dec, &bytes)),
                Some(dec) => Cow::Owned(dec(&bytes)),
                None => match bytes {
                    // Valid UTF-8 (the usual case) is checked fast and borrowed.
                    Cow::Borrowed(b) => decode::utf8(b).map_or_else(|| String::from_utf8_lossy(b), Cow::Borrowed),
                    Cow::Owned(v) => Cow::Owned(String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())),
                },
            };
            text_part(ctype, sub, part.head.cd, content, m);
        }
    }
}

/// Whether `bytes` read the same in `charset` as in UTF-8: ASCII text in
/// a charset whose lower half is ASCII (no escape sequences, no UTF-7
/// shifts, no UTF-16), so decoding it would only copy it.
fn ascii_reads_as_ascii(charset: &[u8], bytes: &[u8]) -> bool {
    let prefix = |p: &str| charset.get(..p.len()).is_some_and(|c| c.eq_ignore_ascii_case(p.as_bytes()));
    ["us-ascii", "utf-8", "iso-8859-", "windows-125", "cp125", "koi8-"].into_iter().any(prefix) && bytes.is_ascii()
}

/// What an extractor reads of a decoded part, by its type.
// The `if`s inside the match arms stay: as guards, a false one would let the
// part fall through to the plain-text arm.
#[allow(clippy::collapsible_match)]
fn text_part<'a>(ctype: &[u8], sub: &[u8], cd: Option<&[u8]>, content: Cow<'a, str>, m: &mut Mail<'a>) {
    // Undeclared ISO-2022-JP (Japanese MTAs write DSN fields in it):
    // its escape sequences are ASCII, so the text arrives undecoded. (Most
    // texts hold no escape byte at all: one memchr rules them out.)
    let escaped = memchr::memchr(0x1b, content.as_bytes()).is_some();
    let content = if escaped && (content.contains("\u{1b}$B") || content.contains("\u{1b}$@")) {
        Cow::Owned(iso2022jp::decode(content.as_bytes()))
    } else {
        content
    };
    let no_original = m.original.message_id.is_none() && m.original.from.is_none();
    match (ctype, sub) {
        (b"message", b"delivery-status" | b"global-delivery-status") => {
            if crate::message::dsn::holds_fields(&content) {
                m.dsn.push(content);
            } else {
                m.texts.push(content);
            }
        }
        (b"message", b"feedback-report") => m.feedback.push(content),
        (b"message", b"disposition-notification") => m.mdn.push(content),
        (b"text", b"rfc822-headers")
        | (b"message", b"rfc822-headers")
        | (b"message", b"global-headers")
        | (b"message", b"rfc822")
        | (b"message", b"global") => {
            if no_original {
                m.original = original_of(&Block::read(content.as_bytes(), 0)).0;
            }
            note_delivered_to(content.as_bytes(), m);
        }
        (b"application", b"json") => m.json.push(content),
        // Italian PEC notices' `daticert.xml`; other XML is not read.
        (b"application" | b"text", b"xml") => {
            if content.contains("<postacert") {
                m.pec.push(content);
            }
        }
        (b"text", b"html") => m.texts.push(Cow::Owned(util::html_to_text(&content))),
        (b"text", _) | (b"", _) if is_header_attachment(cd, &content) => {
            // `mailheaders.txt`: the original message's headers as an attachment.
            if no_original {
                m.original = original_of(&Block::read(content.as_bytes(), 0)).0;
            }
        }
        (b"text", _) | (b"", _) => {
            let t = content.trim_start();
            if t.starts_with('{') && t.contains("\"bounce") {
                m.json.push(content);
            } else {
                m.texts.push(content);
            }
        }
        _ => {}
    }
}

/// A text attachment that is a block of mail headers (the original's).
fn is_header_attachment(cd: Option<&[u8]>, content: &str) -> bool {
    let attached = cd.and_then(headers::content_type).is_some_and(|d| d.ctype().eq_ignore_ascii_case(b"attachment"));
    attached && starts_like_headers(content)
}

/// Whether at least two of a text's first three lines read as header fields
/// (`Name: value`) or their folds.
pub(super) fn starts_like_headers(content: &str) -> bool {
    let headerish = content
        .lines()
        .take(3)
        .filter(|l| {
            l.split_once(':').is_some_and(|(n, _)| !n.is_empty() && n.len() < 40 && !n.contains(' '))
                || l.starts_with([' ', '\t'])
        })
        .count();
    headerish >= 2
}

/// The returned original message (`bytes`, whose header block is
/// `block`): its identity, Microsoft's JMRP complainer, and itself when it
/// is a delivery report (a forwarded bounce).
fn inner_message(bytes: &[u8], block: &Block<'_>, m: &mut Mail<'_>) {
    let (original, is_report) = original_of(block);
    if m.original.message_id.is_none() && m.original.from.is_none() {
        m.original = original;
    }
    if m.jmrp_recipient.is_none() {
        if let Some(v) = block.jmrp {
            m.jmrp_recipient = util::find_address(&headers::raw_text(v)).map(|a| a.0);
        }
    }
    if m.nested_report.is_none() && is_report {
        m.nested_report = Some(bytes.to_vec());
    }
    note_delivered_to(bytes, m);
}

/// In a complaint, the reported copy's first `Delivered-To` (see
/// `Mail::delivered_to`). Read only for a complaint: a bounce's returned
/// copy never names a recipient.
fn note_delivered_to(header_block: &[u8], m: &mut Mail<'_>) {
    if m.delivered_to.is_none() && m.report_type.as_deref() == Some("feedback-report") {
        if let Some(f) = Fields::new(header_block, 0).find(|f| f.is("delivered-to")) {
            m.delivered_to = util::find_address(&headers::raw_text(f.value)).map(|a| a.0);
        }
    }
}

/// Whether a Content-Type is a delivery report's.
fn is_report(ct: Option<&ContentType<'_>>) -> bool {
    ct.is_some_and(|c| {
        c.ctype() == b"multipart"
            && c.subtype() == Some(b"report")
            && c.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case(b"delivery-status"))
    })
}

/// The identity a header block gives, and whether it heads a delivery
/// report.
fn original_of(block: &Block<'_>) -> (Original, bool) {
    let [id, from, to, subject] = block.identity;
    let original = Original {
        message_id: id.and_then(headers::message_id),
        from: from.and_then(headers::first_address),
        to: to.and_then(headers::first_address),
        subject: subject.and_then(headers::unstructured),
    };
    let report = block.report.unwrap_or_else(|| is_report(block.head.ct.and_then(headers::content_type).as_ref()));
    let sender = original.from.as_deref().unwrap_or("").as_bytes();
    let starts = |p: &[u8]| sender.len() >= p.len() && sender[..p.len()].eq_ignore_ascii_case(p);
    let report = report || starts(b"mailer-daemon@") || starts(b"postmaster@");
    (original, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `raw` must be line-ending normalised already (only CR-only text is changed by that).
    fn mail(raw: &[u8]) -> Mail<'_> {
        assert!(matches!(util::normalize(raw), Cow::Borrowed(_)));
        let mut m = Mail::default();
        collect(raw, &Limits::default(), &mut m).unwrap();
        m
    }

    const REPORT: &str = "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/mixed; boundary=\"outer b\"\n\n\
preamble\n--outer b\nContent-Type: multipart/report; report-type=delivery-status;\n\tboundary=inner\n\n\
--inner\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n\
Sorry, <gone@example.org> w=\nas rejected: =E9t=E9\n\
--inner\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; gone@example.org\nStatus: 5.1.1\n\n\
--inner\nContent-Type: message/rfc822\n\nFrom: me@example.net\nTo: gone@example.org\nMessage-ID: <id@example.net>\n\
Content-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nnot a report text\n--z--\n\
--inner--\n--outer b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--outer b--\nepilogue\n";

    #[test]
    fn nested_multiparts_with_a_quoted_boundary() {
        let m = mail(REPORT.as_bytes());
        assert_eq!(m.texts, ["Sorry, <gone@example.org> was rejected: été"]);
        assert_eq!(m.dsn, ["Final-Recipient: rfc822; gone@example.org\nStatus: 5.1.1\n"]);
        assert_eq!(m.report_type, None, "the top part is multipart/mixed");
        // The returned message: its identity, never its parts.
        assert_eq!(m.original.message_id.as_deref(), Some("id@example.net"));
        assert_eq!(m.original.to.as_deref(), Some("gone@example.org"));
        assert!(!m.texts.iter().any(|t| t.contains("not a report")));
        assert_eq!(headers::decoded(&m.headers[0]), ("from".to_string(), "MAILER-DAEMON@mx.example".to_string()));
        assert_eq!(m.from.as_deref(), Some("MAILER-DAEMON@mx.example"));
    }

    #[test]
    fn a_status_part_without_fields_is_read_as_text() {
        // InterMail's notice under a delivery-status type, then the real status part.
        let raw = "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
--b\nContent-Type: message/delivery-status;\n\nThis Message was undeliverable due to the following reason:\n\n\
<u@example.com> has restricted SMS e-mail\n\n\
--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n\
Final-Recipient: RFC822; <u@example.com>\nAction: failed\nStatus: 5.3.0\n\n--b--\n";
        let m = mail(raw.as_bytes());
        assert_eq!(m.texts.len(), 1);
        assert!(m.texts[0].contains("has restricted SMS e-mail"));
        assert_eq!(m.dsn.len(), 1);
        assert!(m.dsn[0].starts_with("Reporting-MTA:"));
    }

    #[test]
    fn crlf_and_cr_only_line_endings_read_the_same() {
        let crlf = REPORT.replace('\n', "\r\n");
        let m = mail(crlf.as_bytes());
        assert_eq!(m.texts, ["Sorry, <gone@example.org> was rejected: été"]);
        assert_eq!(m.dsn, ["Final-Recipient: rfc822; gone@example.org\r\nStatus: 5.1.1\r\n"]);
        let cr = util::normalize(REPORT.replace('\n', "\r").as_bytes()).into_owned();
        let m = mail(&cr);
        assert_eq!(m.texts, ["Sorry, <gone@example.org> was rejected: été"]);
        assert_eq!(m.original.message_id.as_deref(), Some("id@example.net"));
    }

    #[test]
    fn a_missing_final_boundary_keeps_the_last_part_raw() {
        let raw = "Content-Type: multipart/report; report-type=Delivery-Status; boundary=b\n\n--b\n\
Content-Type: text/plain\n\nfirst\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n\
NTUwIDUuMS4xIFVzZXIgdW5rbm93bg==\n";
        let m = mail(raw.as_bytes());
        assert_eq!(m.report_type.as_deref(), Some("delivery-status"));
        assert_eq!(m.texts, ["first", "NTUwIDUuMS4xIFVzZXIgdW5rbm93bg==\n"]);
        // With its boundary, the same part is decoded.
        let closed = format!("{raw}--b--\n");
        let m = mail(closed.as_bytes());
        assert_eq!(m.texts, ["first", "550 5.1.1 User unknown"]);
    }

    #[test]
    fn base64_with_crlf_and_an_encoded_returned_message() {
        let raw = "From: postmaster@mx.example\r\nContent-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nNTUwIDUuMS4xIFVz\r\nZXIgdW5rbm93bg==\r\n\
--=_b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n\
RnJvbTogbWVAZXhhbXBsZS5uZXQNClN1YmplY3Q6IGhpDQoNCmJvZHkNCg==\r\n--=_b--\r\n";
        let m = mail(raw.as_bytes());
        assert_eq!(m.texts, ["550 5.1.1 User unknown"]);
        assert_eq!(m.original.from.as_deref(), Some("me@example.net"));
        assert_eq!(m.original.subject.as_deref(), Some("hi"));
    }

    #[test]
    fn an_html_alternative_of_a_plain_text_is_not_read_again() {
        let alt = |plain: &str| {
            format!(
                "From: postmaster@mx.example\nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\n{plain}\n\
                 --a\nContent-Type: text/html\n\n<p>550 5.1.1 <b>User unknown</b></p>\n--a--\n"
            )
        };
        let raw = alt("550 5.1.1 User unknown");
        assert_eq!(mail(raw.as_bytes()).texts, ["550 5.1.1 User unknown"]);
        // An empty plain part says nothing: the HTML is the text.
        let raw = alt("  ");
        let m = mail(raw.as_bytes());
        assert_eq!(m.texts.len(), 2);
        assert!(m.texts[1].contains("User unknown"), "{:?}", m.texts);
        // Outside an alternative (multipart/mixed), both parts are read.
        let raw = alt("550 5.1.1 User unknown").replace("multipart/alternative", "multipart/mixed");
        assert_eq!(mail(raw.as_bytes()).texts.len(), 2);
    }

    #[test]
    fn a_boundary_that_never_comes_leaves_the_body_as_text() {
        let m = mail(b"From: a@b.example\nContent-Type: multipart/mixed; boundary=never\n\nplain body\n");
        assert_eq!(m.texts, ["plain body\n"]);
        // Headers only: a message with an empty body.
        let m = mail(b"From: a@b.example\nSubject: x");
        assert_eq!(m.texts, [""]);
        let mut m = Mail::default();
        assert_eq!(collect(b"no header here", &Limits::default(), &mut m), Err(Error::NotAMessage));
        // Lines that are no fields, then a blank line: still no header block.
        let mut m = Mail::default();
        let notes = b"# notes\n\n| file | recipient |\n| a.eml | user@example.org: 550 5.1.1 user unknown |\n";
        assert_eq!(collect(notes, &Limits::default(), &mut m), Err(Error::NotAMessage));
        // Blank lines, some of blanks, before the fields: the fields are the header block.
        let m = mail(b"\n   \t\n\nFrom: a@b.example\nSubject: x\n\nbody\n");
        assert_eq!((m.from.as_deref(), m.texts.as_slice()), (Some("a@b.example"), &["body\n".into()][..]));
    }

    #[test]
    fn limits_are_checked_on_the_structure() {
        let mut raw = String::from("Content-Type: multipart/mixed; boundary=p\n\n");
        for i in 0..50 {
            raw.push_str(&format!("--p\nContent-Type: text/plain\n\npart {i}\n"));
        }
        raw.push_str("--p--\n");
        let few = Limits { max_parts: 10, ..Limits::default() };
        let mut m = Mail::default();
        assert_eq!(collect(raw.as_bytes(), &few, &mut m), Err(Error::LimitExceeded { limit: "max_parts", max: 10, actual: 51 }));
        assert!(m.texts.is_empty(), "nothing is decoded before the limits pass");
        let shallow = Limits { max_mime_depth: 0, ..Limits::default() };
        assert!(matches!(collect(raw.as_bytes(), &shallow, &mut Mail::default()), Err(Error::LimitExceeded { limit: "max_mime_depth", .. })));
        let nested = "Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nFrom: a@b.example\n\nhi\n";
        let one = Limits { max_mime_depth: 1, ..Limits::default() };
        assert_eq!(collect(nested.as_bytes(), &one, &mut Mail::default()), Err(Error::LimitExceeded { limit: "max_mime_depth", max: 1, actual: 2 }));
    }
}
