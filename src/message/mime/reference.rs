//! The mail-parser walk the MIME walker replaced, kept as the reference
//! the walker is checked against on the corpus (test builds only).

use std::borrow::Cow;
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};

use mail_parser::{HeaderName, Message, MessageParser, MimeHeaders, PartType};

use super::headers::text_of;
use crate::message::{util, Limits, Mail, Original};
use crate::Error;

/// `count` short byte strings over `alphabet` (each shorter than
/// `max_len`), the same on every run: inputs on which a decoder is compared
/// with mail-parser's.
pub(super) fn random_strings(alphabet: &[u8], max_len: u64, count: usize) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    (0..count).map(move |_| {
        crate::test_rng::xorshift(&mut seed);
        let len = (seed % max_len) as usize;
        (0..len).map(|k| alphabet[((seed >> (4 * k)) as usize + k) % alphabet.len()]).collect()
    })
}

/// The MIME parser, built once: it parses the headers bouncekit reads into
/// structured values and skips `Received:` (the costliest to parse, and
/// never read); every other header stays raw text.
fn mime_parser() -> &'static MessageParser {
    static P: std::sync::OnceLock<MessageParser> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        MessageParser::new()
            .with_mime_headers()
            .with_date_headers()
            .with_address_headers()
            .with_message_ids()
            .header_text(HeaderName::Subject)
            .header_text(HeaderName::Comments)
            .ignore_header(HeaderName::Received)
    })
}

/// Parses a whole message; `None` when it is not one (or trips the parser).
pub(crate) fn parse(raw: &[u8]) -> Option<Flat<'_>> {
    catch_unwind(AssertUnwindSafe(|| mime_parser().parse(raw))).ok().flatten().map(Flat)
}

/// Parses a header block only; `None` when there is none.
pub(crate) fn parse_headers(raw: &[u8]) -> Option<Flat<'_>> {
    catch_unwind(AssertUnwindSafe(|| mime_parser().parse_headers(raw))).ok().flatten().map(Flat)
}

/// A parsed message whose drop takes nested messages apart one level at a
/// time, on the heap, instead of recursing.
pub(crate) struct Flat<'x>(pub(crate) Message<'x>);

impl<'x> Deref for Flat<'x> {
    type Target = Message<'x>;

    fn deref(&self) -> &Message<'x> {
        &self.0
    }
}

impl Drop for Flat<'_> {
    fn drop(&mut self) {
        let mut pending: Vec<Message<'_>> = Vec::new();
        detach(&mut self.0, &mut pending);
        // Each message popped has had its children moved out, so its own drop is shallow.
        while let Some(mut m) = pending.pop() {
            detach(&mut m, &mut pending);
        }
    }
}

/// Moves the messages nested directly in `m` onto `out`.
fn detach<'x>(m: &mut Message<'x>, out: &mut Vec<Message<'x>>) {
    for p in &mut m.parts {
        if matches!(p.body, PartType::Message(_)) {
            if let PartType::Message(inner) = std::mem::replace(&mut p.body, PartType::Text(Cow::Borrowed(""))) {
                out.push(inner);
            }
        }
    }
}

/// Reads `msg` into `m`, and its top-level headers (lowercase name,
/// decoded value) into `headers`.
pub(crate) fn old_collect(
    msg: &mail_parser::Message<'_>,
    limits: &Limits,
    m: &mut Mail<'_>,
    headers: &mut Vec<(String, String)>,
) -> Result<(), Error> {
    if msg.parts.len() > limits.max_parts {
        return Err(Error::LimitExceeded { limit: "max_parts", max: limits.max_parts, actual: msg.parts.len() });
    }
    let root = msg.root_part();
    for h in root.headers() {
        let name = h.name().to_ascii_lowercase();
        let value = match (&name[..], h.value()) {
            ("received", _) => String::new(),
            (_, v) => text_of(v),
        };
        headers.push((name, value));
    }
    // Microsoft's older JMRP form, as the walker reads it.
    if let Some((_, v)) = headers.iter().find(|(n, _)| n == "x-hmxmroriginalrecipient") {
        if headers.iter().any(|(n, h)| (n == "return-path" || n == "from") && util::contains_ci(h, "staff@hotmail.com")) {
            m.jmrp_recipient = util::find_address(v).map(|a| a.0);
        }
    }
    if let Some(ct) = root.content_type() {
        if ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report")) {
            m.report_type = Some(ct.attribute("report-type").unwrap_or("").to_ascii_lowercase());
        }
    }
    walk(msg, 0, 0, limits, m)?;
    if m.texts.is_empty() && m.dsn.is_empty() && m.feedback.is_empty() && m.mdn.is_empty() && m.json.is_empty() {
        // A multipart whose boundaries are missing or broken: read the body as text.
        let raw = msg.raw_message();
        let body = raw.get(root.offset_body as usize..).unwrap_or(b"");
        if !body.is_empty() {
            m.texts.push(Cow::Owned(String::from_utf8_lossy(body).into_owned()));
        }
    }
    Ok(())
}

// The `if`s inside the match arms stay: as guards, a false one would let the
// part fall through to the plain-text arm.
#[allow(clippy::collapsible_match)]
fn walk(msg: &mail_parser::Message<'_>, id: usize, depth: usize, limits: &Limits, m: &mut Mail<'_>) -> Result<(), Error> {
    if depth > limits.mime_depth() {
        return Err(Error::LimitExceeded { limit: "max_mime_depth", max: limits.mime_depth(), actual: depth });
    }
    let Some(part) = msg.parts.get(id) else { return Ok(()) };
    let (ctype, sub) = match part.content_type() {
        Some(ct) => (ct.ctype().to_ascii_lowercase(), ct.subtype().unwrap_or("").to_ascii_lowercase()),
        None => (String::new(), String::new()),
    };
    match &part.body {
        PartType::Multipart(children) => {
            // An HTML alternative after a plain text with words in it says
            // the same again: left unread.
            let mut has_plain = false;
            for c in children {
                if sub == "alternative" {
                    if let Some(child) = msg.parts.get(*c as usize) {
                        let (ct, st) = child.content_type().map_or((String::new(), String::new()), |ct| (ct.ctype().to_ascii_lowercase(), ct.subtype().unwrap_or("").to_ascii_lowercase()));
                        if ct == "text" || ct.is_empty() {
                            if st == "html" && has_plain {
                                continue;
                            }
                            let body = msg.raw_message().get(child.raw_body_offset() as usize..child.raw_end_offset() as usize).unwrap_or(b"");
                            if (st == "plain" || st.is_empty()) && body.iter().any(u8::is_ascii_alphanumeric) {
                                has_plain = true;
                            }
                        }
                    }
                }
                walk(msg, *c as usize, depth + 1, limits, m)?;
            }
        }
        PartType::Message(inner) => {
            // The returned original message: its identity only, never its recipients.
            if m.original.message_id.is_none() && m.original.from.is_none() {
                m.original = original_of(inner);
            }
            let ir = inner.root_part();
            if m.jmrp_recipient.is_none() {
                if let Some(v) = ir.headers().iter().find(|h| h.name().eq_ignore_ascii_case("x-hmxmroriginalrecipient")) {
                    m.jmrp_recipient = util::find_address(&text_of(v.value())).map(|a| a.0);
                }
            }
            if m.nested_report.is_none() && is_report(inner) {
                m.nested_report = Some(inner.raw_message().to_vec());
            }
            note_delivered_to(ir.headers(), m);
        }
        // A part no arm below reads (images, archives, TNEF, ...): not worth
        // turning into text.
        _ if !matches!((ctype.as_str(), sub.as_str()), ("text" | "message" | "", _) | ("application", "json")) => {}
        body => {
            let content: Cow<'_, str> = match body {
                PartType::Text(t) | PartType::Html(t) => Cow::Borrowed(t.as_ref()),
                PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b),
                _ => Cow::Borrowed(""),
            };
            // Undeclared ISO-2022-JP (Japanese MTAs write DSN fields in it):
            // its escape sequences are ASCII, so the text arrives undecoded.
            let content = if content.contains("\u{1b}$B") || content.contains("\u{1b}$@") {
                let dec = mail_parser::decoders::charsets::map::charset_decoder(b"iso-2022-jp");
                match dec {
                    Some(f) => Cow::Owned(f(content.as_bytes())),
                    None => content,
                }
            } else {
                content
            };
            match (ctype.as_str(), sub.as_str()) {
                ("message", "delivery-status" | "global-delivery-status") => {
                    if crate::message::dsn::holds_fields(&content) {
                        m.dsn.push(Cow::Owned(content.into_owned()));
                    } else {
                        m.texts.push(Cow::Owned(content.into_owned()));
                    }
                }
                ("message", "feedback-report") => m.feedback.push(Cow::Owned(content.into_owned())),
                ("message", "disposition-notification") => m.mdn.push(Cow::Owned(content.into_owned())),
                ("text", "rfc822-headers") | ("message", "rfc822-headers") | ("message", "global-headers") | ("message", "rfc822") | ("message", "global") => {
                    // (A `message/*` part here is an unparsed, e.g. empty, returned message.)
                    let headers = parse_headers(content.as_bytes());
                    if m.original.message_id.is_none() && m.original.from.is_none() {
                        m.original = headers.as_ref().map_or_else(Original::default, |h| original_of(h));
                    }
                    if let Some(h) = &headers {
                        note_delivered_to(h.root_part().headers(), m);
                    }
                }
                ("application", "json") => m.json.push(Cow::Owned(content.into_owned())),
                ("text", "html") => m.texts.push(Cow::Owned(util::html_to_text(&content))),
                ("text", _) | ("", _) if is_header_attachment(part, &content) => {
                    // `mailheaders.txt`: the original message's headers as an attachment.
                    if m.original.message_id.is_none() && m.original.from.is_none() {
                        m.original = original_from_header_block(content.as_bytes());
                    }
                }
                ("text", _) | ("", _) => {
                    let t = content.trim_start();
                    if t.starts_with('{') && t.contains("\"bounce") {
                        m.json.push(Cow::Owned(content.into_owned()));
                    } else {
                        m.texts.push(Cow::Owned(content.into_owned()));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Whether a message is itself a delivery report (a bounce forwarded as an attachment).
fn is_report(msg: &mail_parser::Message<'_>) -> bool {
    let root = msg.root_part();
    if root.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    }) {
        return true;
    }
    let from = msg.from().and_then(|a| a.first()).and_then(|a| a.address.as_deref()).unwrap_or("").to_ascii_lowercase();
    from.starts_with("mailer-daemon@") || from.starts_with("postmaster@")
}

/// A text attachment that is a block of mail headers (the original's).
fn is_header_attachment(part: &mail_parser::MessagePart<'_>, content: &str) -> bool {
    let attached = part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
    attached && super::walk::starts_like_headers(content)
}

/// In a complaint, the reported copy's first `Delivered-To`.
fn note_delivered_to(headers: &[mail_parser::Header<'_>], m: &mut Mail<'_>) {
    if m.delivered_to.is_none() && m.report_type.as_deref() == Some("feedback-report") {
        if let Some(v) = headers.iter().find(|h| h.name().eq_ignore_ascii_case("delivered-to")) {
            m.delivered_to = util::find_address(&text_of(v.value())).map(|a| a.0);
        }
    }
}

/// The identity of the original message from a bare header block (text/rfc822-headers).
fn original_from_header_block(raw: &[u8]) -> Original {
    match parse_headers(raw) {
        Some(h) => original_of(&h),
        None => Original::default(),
    }
}

fn original_of(inner: &mail_parser::Message<'_>) -> Original {
    let addr = |a: Option<&mail_parser::Address<'_>>| {
        a.and_then(|a| a.first()).and_then(|x| x.address.as_ref()).map(|s| s.to_string())
    };
    Original {
        message_id: inner.message_id().map(str::to_string),
        from: addr(inner.from()),
        to: addr(inner.to()),
        subject: inner.subject().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the two walks may differ in, and why (file, field).
    /// - lhost-surfcontrol-03: mail-parser's date parser reads past the
    ///   returned message's `Date: ... UT` line and swallows the `From:`
    ///   field after it; the walker parses each field on its own.
    /// - a Content-Type whose `boundary=` line is not indented (apachejames-01,
    ///   verizon-02, and the returned messages of office365-09..12): mail-parser
    ///   loses the parameter and reads the multipart as one text; the walker
    ///   reads the line as folded and finds the parts.
    const KNOWN: [(&str, &str); 7] = [
        ("lhost-surfcontrol-03.eml", "original.from"),
        ("lhost-apachejames-01.eml", "texts"),
        ("lhost-verizon-02.eml", "texts"),
        ("lhost-office365-09.eml", "texts"),
        ("lhost-office365-10.eml", "texts"),
        ("lhost-office365-11.eml", "texts"),
        ("lhost-office365-12.eml", "texts"),
    ];

    /// The walker and mail-parser read every corpus message (LF and CRLF
    /// copies) into the same `Mail`. A returned message that is itself a
    /// report is compared by presence: mail-parser kept the whole outer
    /// message for it, the walker keeps the returned message.
    #[test]
    fn the_walker_reads_the_corpus_as_mail_parser_did() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sisimai");
        let (mut n, mut diffs) = (0, Vec::new());
        for sub in ["bsd", "dos", "not"] {
            let Ok(rd) = std::fs::read_dir(root.join(sub)) else { continue };
            let mut paths: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                let raw = std::fs::read(&p).unwrap();
                let bytes = util::normalize(&raw);
                let limits = Limits::default();
                let (mut a, mut a_headers) = (Mail::default(), Vec::new());
                let ra = parse(&bytes).ok_or(Error::NotAMessage).and_then(|msg| old_collect(&msg, &limits, &mut a, &mut a_headers));
                let mut b = Mail::default();
                let rb = super::super::collect(&bytes, &limits, &mut b);
                n += 1;
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let mut fields = vec![];
                if ra != rb {
                    fields.push("result");
                }
                for (f, same) in [
                    ("headers", a_headers == b.headers.iter().map(super::super::headers::decoded).collect::<Vec<_>>()),
                    ("from", a_headers.iter().find(|h| h.0 == "from").map(|h| &h.1) == b.from.as_ref()),
                    ("subject", a_headers.iter().find(|h| h.0 == "subject").map(|h| &h.1) == b.subject.as_ref()),
                    ("date", a_headers.iter().find(|h| h.0 == "date").map(|h| &h.1) == b.date.as_ref()),
                    ("texts", a.texts == b.texts),
                    ("dsn", a.dsn == b.dsn),
                    ("feedback", a.feedback == b.feedback),
                    ("mdn", a.mdn == b.mdn),
                    ("json", a.json == b.json),
                    ("original.message_id", a.original.message_id == b.original.message_id),
                    ("original.from", a.original.from == b.original.from),
                    ("original.to", a.original.to == b.original.to),
                    ("original.subject", a.original.subject == b.original.subject),
                    ("report_type", a.report_type == b.report_type),
                    ("jmrp_recipient", a.jmrp_recipient == b.jmrp_recipient),
                    ("delivered_to", a.delivered_to == b.delivered_to),
                    ("nested_report", a.nested_report.is_some() == b.nested_report.is_some()),
                ] {
                    if !same && !KNOWN.contains(&(name.as_str(), f)) {
                        fields.push(f);
                    }
                }
                if !fields.is_empty() {
                    diffs.push(format!("{sub}/{name}: {fields:?}"));
                }
            }
        }
        assert!(n > 600, "the corpus at {} holds {n} messages", root.display());
        assert!(diffs.is_empty(), "{} of {n} differ:\n{}", diffs.len(), diffs.join("\n"));
    }
}
