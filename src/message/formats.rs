//! Non-standard bounce formats, as data.
//!
//! Each [`Format`] says how to recognise an MTA's or provider's report
//! (words of its `From`/`Subject`, a header it sets, a sentence of its
//! boilerplate) and where its error block starts. The generic extractor in
//! [`super::text`] then reads the recipient blocks, stopping where the copy of
//! the original message begins. Adding a format is adding a row.

use super::text::{cut_original, error_block, recipients_in, transcript_recipients, TextFacts};
use super::util::{all_addresses, contains_ci, find_address, find_ci, starts_with_ci, whole_address, Literals};
use super::{Draft, Hit, Mail, MessageKind};
use crate::Reason;

/// How to recognise one format and where its error block starts.
#[derive(Debug)]
pub struct Format {
    /// The `decoded_by` name.
    pub name: &'static str,
    /// Sentences of its boilerplate (any one identifies the format), case-insensitive.
    pub body: &'static [&'static str],
    /// A header it sets (any one identifies the format), lowercase name.
    pub headers: &'static [&'static str],
    /// Words of the `From` header (lowercase); identifies the format together with `subject`.
    pub from: &'static [&'static str],
    /// Words of the `Subject` header (lowercase); empty means any subject.
    pub subject: &'static [&'static str],
    /// Where the error block starts (the first found wins); empty: the whole text.
    pub start: &'static [&'static str],
}

macro_rules! fmt {
    ($name:literal, body: [$($b:literal),*], headers: [$($h:literal),*], from: $f:ident, subject: [$($s:literal),*], start: [$($st:literal),*]) => {
        Format { name: $name, body: &[$($b),*], headers: &[$($h),*], from: $f, subject: &[$($s),*], start: &[$($st),*] }
    };
    ($name:literal, body: [$($b:literal),*], headers: [$($h:literal),*], from: [$($f:literal),*], subject: [$($s:literal),*], start: [$($st:literal),*]) => {
        Format { name: $name, body: &[$($b),*], headers: &[$($h),*], from: &[$($f),*], subject: &[$($s),*], start: &[$($st),*] }
    };
}

/// The formats, most specific first.
pub static FORMATS: &[Format] = &[
    fmt!("googlegroups", body: ["Google Groups"], headers: [], from: [], subject: [], start: []),
    fmt!("gmail", body: ["Delivery to the following recipient", "Technical details of permanent failure", "Technical details of temporary failure", "The response from the remote server was:", "The error that the other server returned was:"], headers: [], from: ["mailer-daemon@googlemail.com", "mailer-daemon@gmail.com"], subject: ["delivery status notification"], start: ["Delivery to the following recipient", "Delivery to these recipients"]),
    fmt!("qmail", body: ["This is the qmail-send program", "Hi. This is the qmail"], headers: [], from: [], subject: [], start: ["I'm afraid I wasn't able to deliver", "Sorry. Although I'm listed as a best-preference MX"]),
    fmt!("yahoo", body: ["Sorry, we were unable to deliver your message to the following address"], headers: [], from: [], subject: [], start: ["Sorry, we were unable to deliver"]),
    fmt!("mailru", body: ["Mail.Ru"], headers: [], from: ["mail.ru"], subject: [], start: []),
    fmt!("zoho", body: [], headers: ["x-zohomail"], from: ["zoho"], subject: [], start: ["This message was created automatically by mail delivery software"]),
    fmt!("exim", body: ["This message was created automatically by mail delivery software"], headers: ["x-failed-recipients"], from: [], subject: [], start: ["This message was created automatically by mail delivery software", "The following address(es) failed"]),
    fmt!("dragonfly", body: ["This is the DragonFly Mail Agent"], headers: [], from: [], subject: [], start: ["There was an error delivering your mail"]),
    fmt!("opensmtpd", body: ["This is the MAILER-DAEMON, please DO NOT REPLY", "Hi!\n\nThis is the MAILER-DAEMON"], headers: [], from: [], subject: [], start: ["An error has occurred while attempting to deliver", "Below is a copy of the original message"]),
    fmt!("exchange2003", body: ["did not reach the following recipient(s)", "did not reach the following recipient", "The following recipient(s) could not be reached"], headers: ["x-mimeole"], from: [], subject: [], start: ["did not reach the following recipient", "The following recipient(s) could not be reached"]),
    fmt!("x2", body: ["Unable to deliver message to the following address"], headers: [], from: [], subject: [], start: ["Unable to deliver message to the following address"]),
    // Sendmail lists the failed addresses first, then the session transcript.
    fmt!("v5sendmail", body: ["----- Transcript of session follows -----"], headers: [], from: [], subject: [], start: ["following addresses had permanent fatal errors", "----- Transcript of session follows -----"]),
    fmt!("ezweb", body: ["Each of the following recipients was rejected by a remote mail server", "ezweb.ne.jp"], headers: [], from: ["ezweb.ne.jp"], subject: [], start: []),
    fmt!("notes", body: ["Lotus Domino", "Your message was not delivered to the following", "------- Failure Reasons"], headers: ["x-notes-item"], from: [], subject: [], start: ["------- Failure Reasons"]),
    fmt!("imailserver", body: ["Original message follows."], headers: ["x-mailer-daemon"], from: [], subject: ["undeliverable mail"], start: []),
    fmt!("kddi", body: ["au one net", "Could not be delivered to:"], headers: [], from: ["dion.ne.jp", "auone-net.jp"], subject: [], start: ["Could not be delivered to:"]),
    fmt!("apachejames", body: ["Error message below:", "Message details:"], headers: [], from: ["vtext.com"], subject: [], start: []),
    // fml, a mailing list manager, answers a refused post or a looping one
    // with a notice of its own, the list's address in angle brackets.
    fmt!("fml", body: ["you are not a member of this mailing list <", "not member article from", "duplicated message-id in <", "has detected a loop condition so that"], headers: [], from: [], subject: [], start: []),
    // "无法发送到" ("could not be sent to"): Chinese providers' notices (Tencent, Coremail).
    fmt!("generic", body: ["could not be delivered to", "issue delivering your message to", "was not delivered to", "unable to deliver your message", "delivery has failed", "undeliverable to the following", "could not deliver your message", "无法发送到"], headers: [], from: SYSTEM_SENDERS, subject: [], start: []),
];

/// Words of the `From` of a mail system rather than a person (lowercase).
pub(crate) const SYSTEM_SENDERS: &[&str] =
    &["mailer-daemon", "postmaster", "mail delivery", "mail-daemon", "mailer_daemon", "mail administrator", "system administrator"];

/// Verdicts a format implies when its text decides nothing: Google Groups
/// returns "the group may not exist, or you may not have permission to post"
/// in the sender's language, a refusal of the sender by the list.
pub static FORMAT_REASONS: &[(&str, Reason)] = &[
    ("googlegroups", Reason::Rejected),
    // A refusal by disposition notification is the recipient's own filter
    // (a Sieve script) speaking, whatever words it was given.
    ("mdn", Reason::Filtered),
];

/// The verdict a format implies when its text decides nothing.
pub fn default_reason(format: &str) -> Option<Reason> {
    FORMAT_REASONS.iter().find(|(f, _)| *f == format).map(|(_, r)| *r)
}

/// Subjects that mark a delivery failure report, whoever sent it.
const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliver",
    "undelivered",
    "returned mail",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "mail delivery failed",
    "failure notice",
    "delivery notification",
    "non-delivery",
    "nondeliverable",
    "could not be delivered",
    "mail system error",
    "returned to sender",
    "delivery problem",
    "mail failure",
    "message not delivered",
    "error sending message",
    // MDaemon names the recipient and the verdict in the subject.
    "user unknown",
    // Chinese providers' "退信" (returned mail).
    "退信",
];

static BOUNCE_SUBJECT_WORDS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
static SYSTEM_SENDER_WORDS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();

/// Whether `hay` holds one of `words`, the list `words` was built from:
/// one scan of an automaton built once, where a substring search per
/// word builds a searcher per word (every report's subject and sender are
/// read so).
fn holds_word(cell: &'static std::sync::OnceLock<aho_corasick::AhoCorasick>, words: &[&str], hay: &str) -> bool {
    cell.get_or_init(|| aho_corasick::AhoCorasick::new(words).expect("a few short literals always build")).is_match(hay)
}

/// Sentences of a delay notice: the MTA still holds the message and will
/// keep trying, so the recipient has not failed (yet).
const WARNING_MARKERS: &[&str] = &[
    "delivery attempts will continue",
    "will continue to attempt delivery",
    "will continue to try to deliver",
    "message will be retried",
    "this is a warning message only",
    "this is just a warning",
    "has not yet been delivered",
    "has been postponed",
    "you do not need to resend your message",
    "do not resend your original message",
];

/// Whether a report's own text (before the returned message) is a delay
/// notice: a warning sentence, and no word of a permanent failure.
/// `bodies` are ASCII-lowercased (the markers are lowercase): a
/// case-sensitive vectorised search ([`Literals`]) reads them.
fn is_delay_notice<'a>(bodies: impl Iterator<Item = &'a [u8]>, subject: &str) -> bool {
    // One pass for every marker; pattern 1 is "permanent". Leftmost-first
    // lets the vectorised searcher do it, and reports the same:
    // no marker ends with a prefix of "permanent" (nor holds it), so no
    // match can hide an occurrence of it. Pattern 0, found first where both
    // start, is a remote server's "will be permanently deferred" (Yahoo's
    // TS03) quoted in a warning: a word of the reply, not of the verdict.
    static AC: std::sync::OnceLock<Literals> = std::sync::OnceLock::new();
    let ac = AC.get_or_init(|| Literals::new([&"permanently deferred", &"permanent"].into_iter().chain(WARNING_MARKERS)));
    let mut warned = subject.contains("delay");
    for body in bodies {
        for m in ac.find_iter(body) {
            match m.pattern().as_usize() {
                0 => {}
                1 => return false,
                _ => warned = true,
            }
        }
    }
    warned
}

/// The markers' searcher; each marker (lowercase) with its format's
/// index, sorted by first byte; and per byte value, the range of the
/// markers that start with it.
type BodyMarkers = (Literals, Vec<(Vec<u8>, usize)>, [(u16, u16); 256]);

/// How many leading bytes of each marker the searcher looks for.
const MARKER_PREFIX: usize = 16;

/// Every format's body markers (lowercase), with the format each belongs
/// to, and one searcher over their distinct first [`MARKER_PREFIX`] bytes:
/// a report's text is scanned once, not once per marker, and few enough
/// patterns keep the scan on the searcher's fastest (slim) vectorised
/// search. Every marker starts where one of them does, and there
/// [`body_hits`] compares the markers themselves.
fn body_markers() -> &'static BodyMarkers {
    static AC: std::sync::OnceLock<BodyMarkers> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let mut markers = Vec::new();
        for (i, f) in FORMATS.iter().enumerate() {
            markers.extend(f.body.iter().map(|b| (b.to_ascii_lowercase().into_bytes(), i)));
        }
        let mut prefixes: Vec<&[u8]> = markers.iter().map(|(m, _)| &m[..m.len().min(MARKER_PREFIX)]).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        let ac = Literals::new(prefixes);
        markers.sort_by_key(|(m, _)| m[0]);
        let mut by_first = [(0u16, 0u16); 256];
        for (i, (m, _)) in markers.iter().enumerate() {
            let r = &mut by_first[usize::from(m[0])];
            if r.0 == r.1 {
                r.0 = i as u16;
            }
            r.1 = i as u16 + 1;
        }
        (ac, markers, by_first)
    })
}

/// Where a format's body marker was seen: nowhere, only on quoted lines
/// (`> ...`, someone's reply quoting a notice), or on a line of the text's own.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Seen {
    No,
    Quoted,
    Own,
}

/// Which formats have one of their body markers in a text, and where,
/// given its ASCII-lowercase copy (so that a case-sensitive vectorised
/// searcher scans it).
///
/// Every position where some marker starts is visited (the search restarts
/// one byte after each match), and there every marker that starts with
/// that position's byte is compared: overlapping markers all count.
fn body_hits(lower: &[u8]) -> Vec<Seen> {
    let (ac, markers, by_first) = body_markers();
    let mut hit = vec![Seen::No; FORMATS.len()];
    let mut at = 0;
    while let Some(m) = ac.find_at(lower, at) {
        let here = &lower[m.start()..];
        let (from, to) = by_first[usize::from(here[0])];
        // Looked up once a position, for the first marker that matches there.
        let mut seen = None;
        for (marker, owner) in &markers[usize::from(from)..usize::from(to)] {
            if here.starts_with(marker) {
                let seen = *seen.get_or_insert_with(|| if on_quoted_line(lower, m.start()) { Seen::Quoted } else { Seen::Own });
                hit[*owner] = hit[*owner].max(seen);
            }
        }
        at = m.start() + 1;
    }
    hit
}

/// Whether the line holding `pos` is quoted: its first non-blank byte is `>`.
fn on_quoted_line(t: &[u8], pos: usize) -> bool {
    let start = memchr::memrchr(b'\n', &t[..pos]).map_or(0, |i| i + 1);
    t[start..pos].iter().find(|&&c| c != b' ' && c != b'\t') == Some(&b'>')
}

fn matches(f: &Format, body_hit: bool, m: &Mail<'_>, from: &str, subject: &str, report_like: bool) -> bool {
    if body_hit {
        return true;
    }
    // Products set most of these headers on every message they send
    // (Outlook's X-MimeOLE, Zoho's X-ZohoMail): a header alone makes no
    // report of a person's mail.
    if report_like && f.headers.iter().any(|h| m.has_header(h)) {
        return true;
    }
    !f.from.is_empty()
        && f.from.iter().any(|w| from.contains(w))
        && (f.subject.is_empty() || f.subject.iter().any(|w| subject.contains(w)))
}

/// Extracts recipients from a non-standard report.
pub(crate) fn extract(m: &Mail<'_>, texts: &TextFacts<'_>) -> Option<Draft> {
    let from = m.from_lc();
    let subject = m.subject_lc();
    let bounce_subject = holds_word(&BOUNCE_SUBJECT_WORDS, BOUNCE_SUBJECTS, &subject);
    // The texts as one, lowercase: a marker may span two texts. (One text,
    // the usual case, is its own lowercase copy.)
    let body = if m.texts.len() == 1 {
        body_hits(texts.lower(0))
    } else {
        let mut lower: Vec<u8> = Vec::new();
        for i in 0..m.texts.len() {
            if i > 0 {
                lower.push(b'\n');
            }
            lower.extend_from_slice(texts.lower(i));
        }
        body_hits(&lower)
    };
    // A notice seen only on quoted lines is one someone replied to, not
    // this message's own, unless the text says it forwards one ("Begin
    // forwarded message:", each line quoted), which reads as the notice.
    static FORWARDED: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    let forwarded = FORWARDED.get_or_init(|| memchr::memmem::Finder::new("forwarded message"));
    let quoted_counts = body.contains(&Seen::Quoted) && (0..m.texts.len()).any(|i| texts.holds(i, forwarded));
    let body = body.into_iter().map(|s| s == Seen::Own || (quoted_counts && s == Seen::Quoted));
    let report_like = bounce_subject || holds_word(&SYSTEM_SENDER_WORDS, SYSTEM_SENDERS, &from);
    let format = FORMATS.iter().zip(body).find(|(f, hit)| matches(f, *hit, m, &from, &subject, report_like)).map(|(f, _)| f);
    let format = match format {
        Some(f) => f,
        None if bounce_subject => FORMATS.last().unwrap(),
        None => return None,
    };
    let failed: Vec<String> = m.headers_named("x-failed-recipients").flat_map(|v| all_addresses(&v)).collect();
    let mut hits: Vec<Hit> = Vec::new();
    let mut block_text = String::new();
    for (i, t) in m.texts.iter().enumerate() {
        let t = unquote_forwarded(t, texts.holds(i, forwarded));
        let body = match &t {
            std::borrow::Cow::Borrowed(_) => texts.body(i),
            std::borrow::Cow::Owned(o) => cut_original(o),
        };
        let block = error_block(body, format.start);
        block_text.push_str(block);
        if format.name == "v5sendmail" {
            hits.extend(transcript_recipients(block));
        } else if format.name == "fml" {
            hits.extend(bracketed_recipients(block));
        } else {
            hits.extend(recipients_in(block));
        }
    }
    // One address named in two texts (a notice and a list's footer, an
    // alternative part), its case aside, is one recipient: the first text's
    // block, with the later one's text when the first had none.
    let mut i = 1;
    while i < hits.len() {
        match hits[..i].iter().position(|h| h.recipient.eq_ignore_ascii_case(&hits[i].recipient)) {
            Some(first) => {
                let later = hits.remove(i);
                if hits[first].diagnostic.trim().is_empty() {
                    hits[first].diagnostic = later.diagnostic;
                }
            }
            None => i += 1,
        }
    }
    // A header none of whose addresses the error text mentions, beside an
    // error text that lists its own recipients each with an SMTP answer, is
    // stale (carried over from another message): the listed recipients are
    // the report. (A greeting that names the poster is no such list.)
    let stale = !failed.is_empty()
        && !hits.is_empty()
        && hits.iter().all(|h| crate::find_codes(&h.diagnostic).class_digit().is_some())
        && failed.iter().all(|a| !contains_ci(&block_text, a));
    if !failed.is_empty() && !stale {
        // The MTA said who failed: those and only those, each with its own block when there is one.
        let whole = block_text.trim().to_string();
        hits = failed
            .iter()
            .map(|a| match hits.iter().find(|h| h.recipient.eq_ignore_ascii_case(a)) {
                Some(h) => h.clone(),
                None => Hit { recipient: a.clone(), diagnostic: whole.clone(), ..Hit::default() },
            })
            .collect();
    }
    if hits.is_empty() {
        // A report that names its recipient nowhere in a recipient position:
        // take the address named in the error text, when there is exactly
        // one (in the error block first, then anywhere before the original).
        let text = m.texts.join("\n");
        let body = cut_original(&text);
        let own_from = m.original.from.as_deref();
        let found = match lone_address(&block_text, own_from) {
            Some(a) => Some((a, block_text.trim())),
            None => lone_address(body, own_from).map(|a| (a, body.trim())),
        };
        if let Some((recipient, diagnostic)) = found {
            hits.push(Hit { recipient, diagnostic: diagnostic.to_string(), ..Hit::default() });
        }
    }
    // A notice a mailing list passed on (a spam run's fake bounce sent to
    // the list, a bounce someone posted) ends with the list's footer: the
    // list's own posting address there is no recipient of the notice.
    if let Some((list, _, _)) = m.header("list-post").as_deref().and_then(find_address) {
        if !failed.iter().any(|a| a.eq_ignore_ascii_case(&list)) {
            hits.retain(|h| !h.recipient.eq_ignore_ascii_case(&list));
        }
    }
    if hits.is_empty() && format.name == "generic" && !bounce_subject {
        return None;
    }
    for h in &mut hits {
        if h.original_recipient.is_none() {
            h.original_recipient = alias_source(&h.diagnostic);
        }
    }
    let reporting_mta = m.from.as_deref().and_then(find_address).and_then(|(a, _, _)| a.split('@').nth(1).map(str::to_string));
    let bodies = (0..m.texts.len()).map(|i| &texts.lower(i)[..texts.body(i).len()]);
    let kind = if is_delay_notice(bodies, &subject) { MessageKind::Delay } else { MessageKind::Bounce };
    Some(Draft { kind, decoded_by: format.name, reporting_mta, hits })
}

/// fml's notices name the list that refused the post in angle brackets,
/// in the sentence that says why (`You are not a member of this mailing
/// list <list@example.org>.`); the addresses around it (the list's control
/// address, its admin) are instructions, not recipients.
fn bracketed_recipients(block: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    for line in block.lines().map(str::trim) {
        // The whole of the first `<...>` of the line is an address.
        let Some((_, rest)) = line.split_once('<') else { continue };
        let Some((inside, _)) = rest.split_once('>') else { continue };
        let Some(recipient) = whole_address(inside) else { continue };
        if !hits.iter().any(|h| h.recipient.eq_ignore_ascii_case(&recipient)) {
            hits.push(Hit { recipient, diagnostic: line.to_string(), ..Hit::default() });
        }
    }
    hits
}

/// A bounce someone forwarded ("Begin forwarded message:") comes quoted
/// line by line with `> `: without one level of quoting it reads like the
/// original report.
/// `forwarded`: whether the text says "forwarded message" ("Begin forwarded
/// message" says it too).
fn unquote_forwarded(t: &str, forwarded: bool) -> std::borrow::Cow<'_, str> {
    if !forwarded || t.lines().filter(|l| l.starts_with('>')).count() < 5 {
        return std::borrow::Cow::Borrowed(t);
    }
    let lines: Vec<&str> = t
        .lines()
        .map(|l| match l.strip_prefix('>') {
            Some(rest) => rest.strip_prefix(' ').unwrap_or(rest),
            None => l,
        })
        .collect();
    std::borrow::Cow::Owned(lines.join("\n"))
}

/// The one address a text names as the recipient, if there is exactly one:
/// system addresses, the original's sender and an address named as a
/// sender are not recipients.
fn lone_address(text: &str, original_from: Option<&str>) -> Option<String> {
    let mut uniq: Vec<String> = Vec::new();
    for a in all_addresses(text) {
        let own = is_system_address(&a) || original_from.is_some_and(|f| f.eq_ignore_ascii_case(&a));
        if !own && !uniq.iter().any(|u| u.eq_ignore_ascii_case(&a)) && !names_sender(&words_before(text, &a)) && !called_sender(text, &a) {
            uniq.push(a);
        }
    }
    if uniq.len() > 1 {
        // "Unable to deliver your message to a@b for the following reason:
        // 552 Quota violation for c@d": the sentence names the recipient.
        uniq.retain(|a| names_target(&words_before(text, a)));
    }
    (uniq.len() == 1).then(|| uniq.remove(0))
}

/// The address a recipient was reached through: Sendmail's `(expanded
/// from: a@b)` and Exim's `(generated from a@b)` under the final address.
fn alias_source(diagnostic: &str) -> Option<String> {
    ["(expanded from:", "(generated from"].iter().find_map(|w| {
        let i = super::util::find_ci(diagnostic, w)?;
        let rest = &diagnostic[i + w.len()..];
        let end = rest.find(')')?;
        find_address(&rest[..end]).map(|(a, _, _)| a)
    })
}

/// The text before the first mention of `addr` on its line, lowercase,
/// without the quotes and brackets that open an address.
fn words_before(body: &str, addr: &str) -> String {
    let Some(at) = super::util::find_ci(body, addr) else { return String::new() };
    let line_start = body[..at].rfind('\n').map_or(0, |i| i + 1);
    body[line_start..at].trim_end_matches(['<', '"', '\'', ' ', '\t']).to_lowercase()
}

/// Whether the words right after an address call it the sender (Postfix's
/// `<a@b>: Sender address rejected`, a filter's `<a@b> sender rejected`).
fn called_sender(body: &str, addr: &str) -> bool {
    let Some(at) = find_ci(body, addr) else { return false };
    let after = body[at + addr.len()..].trim_start_matches(['>', '"', '\'', ':', ' ', '\t']);
    ["sender rejected", "sender address rejected", "sender denied"].iter().any(|w| starts_with_ci(after, w))
}

/// Whether the words before an address make it a sender ("not accepting
/// mail from a@b", a summary's `From: a@b`); "generated from a@b" names the
/// recipient's own alias.
fn names_sender(before: &str) -> bool {
    (["mail from", "message from", "messages from", "sender", "sent by", "from:", "sender:"].iter().any(|w| before.ends_with(w))
        && !before.ends_with("expanded from:"))
        || greets(before)
}

/// Whether the words before an address greet it ("Sorry a@b. Your mail to
/// ... could not be delivered", "Dear a@b,"): a notice greets its reader,
/// the sender of the failed mail.
fn greets(before: &str) -> bool {
    let word = before.rsplit([' ', '\t']).next().unwrap_or("");
    ["sorry", "dear", "hello", "hi", "hallo", "bonjour", "hola", "ciao"].contains(&word.trim_end_matches(',')) && before.len() <= 24
}

/// Whether the words before an address make it the target of the delivery
/// ("unable to deliver your message to", "could not be delivered to:").
fn names_target(before: &str) -> bool {
    let before = before.trim_end_matches(':');
    before.ends_with(" to") && before.contains("deliver")
}

fn is_system_address(a: &str) -> bool {
    let l = a.to_ascii_lowercase();
    l.starts_with("mailer-daemon@") || l.starts_with("noreply@") || l.starts_with("no-reply@")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_body_markers_all_count() {
        let at = |name: &str| FORMATS.iter().position(|f| f.name == name).unwrap();
        // kddi's "Could not be delivered to:" holds generic's "could not be delivered to".
        let hits = body_hits(b"your mail could not be delivered to: a@b.example");
        assert!(hits[at("kddi")] == Seen::Own && hits[at("generic")] == Seen::Own);
        assert_eq!(hits[at("qmail")], Seen::No);
        // A marker that spans lines (and so texts, once joined).
        let hits = body_hits(b"hi!\n\nthis is the mailer-daemon, please");
        assert_eq!(hits[at("opensmtpd")], Seen::Own);
        // A reply quoting a notice: seen, but only quoted; an own line wins.
        let hits = body_hits(b"yup, i get these too.\n> > hi. this is the qmail-send program at example.org.\n");
        assert_eq!(hits[at("qmail")], Seen::Quoted);
        let hits = body_hits(b"> hi. this is the qmail-send program\nhi. this is the qmail-send program");
        assert_eq!(hits[at("qmail")], Seen::Own);
    }

    #[test]
    fn body_hits_are_found_as_comparing_every_marker_everywhere_finds_them() {
        // The definition: a format is hit when one of its markers starts
        // at some position of the text.
        let by_every_marker = |lower: &[u8]| -> Vec<bool> {
            FORMATS
                .iter()
                .map(|f| f.body.iter().any(|b| (0..lower.len()).any(|p| lower[p..].starts_with(b.to_ascii_lowercase().as_bytes()))))
                .collect()
        };
        // Texts of markers, their halves and ends, glued together and to
        // filler: overlaps, near misses, markers at both ends.
        let mut pieces: Vec<Vec<u8>> = vec![b"x".to_vec(), b" ".to_vec(), b"\n".to_vec(), b"\xc3\xa9".to_vec()];
        for f in FORMATS {
            for b in f.body {
                let l = b.to_ascii_lowercase().into_bytes();
                let h = l.len() / 2;
                pieces.extend([l.clone(), l[..h].to_vec(), l[h..].to_vec(), l[1..].to_vec(), l[..l.len() - 1].to_vec()]);
            }
        }
        let mut rng = crate::test_rng::Rng(0xb0d1);
        let mut hits = 0;
        for _ in 0..4_000 {
            let text: Vec<u8> = (0..rng.below(6)).flat_map(|_| pieces[rng.below(pieces.len())].clone()).collect();
            let want = by_every_marker(&text);
            let got: Vec<bool> = body_hits(&text).into_iter().map(|s| s != Seen::No).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&text));
            hits += want.iter().filter(|&&h| h).count();
        }
        assert!(hits > 2_000, "{hits}");
    }

    #[test]
    fn a_greeted_address_is_the_reader_not_a_recipient() {
        let notice = "Sorry ann@example.org. Your mail to the following recipients could not be delivered:\n\tbob";
        assert_eq!(lone_address(notice, None), None);
        assert_eq!(lone_address("Dear ann@example.org,\nyour message to bob@example.net could not be delivered.", None).as_deref(), Some("bob@example.net"));
        // An address after other words is no greeting.
        assert_eq!(lone_address("We are sorry, delivery to bob@example.net failed.", None).as_deref(), Some("bob@example.net"));
    }

    #[test]
    fn delay_markers_are_lowercase() {
        // is_delay_notice searches lowercased text.
        for w in WARNING_MARKERS {
            assert_eq!(*w, w.to_ascii_lowercase());
        }
        assert!(is_delay_notice([&b"delivery attempts will continue"[..]].into_iter(), ""));
        assert!(!is_delay_notice([&b"delivery attempts will continue; permanent error"[..]].into_iter(), ""));
        // What lets the search be leftmost-first: no warning's match can hide "permanent".
        for w in WARNING_MARKERS {
            assert!(!w.contains("permanent"), "{w}");
            assert!((1..="permanent".len()).all(|n| !w.ends_with(&"permanent"[..n])), "{w}");
        }
        assert!(!is_delay_notice([&b"this is just a warning: permanent"[..]].into_iter(), ""));
    }

    #[test]
    fn subject_and_sender_words_are_found_as_substring_searches_find_them() {
        // Pieces of the words (their halves, their ends), joined every
        // way, in both cases: `holds_word` answers as a search per word.
        let mut pieces: Vec<String> = vec![String::new(), " ".into(), "x".into(), "re: ".into(), "\u{e9}".into()];
        for w in BOUNCE_SUBJECTS.iter().chain(SYSTEM_SENDERS) {
            // Cut at character boundaries: some words are not ASCII (退信).
            let h = (0..=w.len() / 2).rev().find(|&i| w.is_char_boundary(i)).unwrap_or(0);
            let second = w.char_indices().nth(1).map_or(w.len(), |(i, _)| i);
            pieces.extend([w.to_string(), w[..h].to_string(), w[h..].to_string(), w[second..].to_string(), w.to_uppercase()]);
        }
        let mut n = 0;
        for a in &pieces {
            for b in &pieces {
                let hay = format!("{a}{b}");
                let subject = BOUNCE_SUBJECTS.iter().any(|w| hay.contains(w));
                assert_eq!(holds_word(&BOUNCE_SUBJECT_WORDS, BOUNCE_SUBJECTS, &hay), subject, "{hay:?}");
                let sender = SYSTEM_SENDERS.iter().any(|w| hay.contains(w));
                assert_eq!(holds_word(&SYSTEM_SENDER_WORDS, SYSTEM_SENDERS, &hay), sender, "{hay:?}");
                n += usize::from(subject) + usize::from(sender);
            }
        }
        // Both answers occur, many times.
        assert!(n > 1_000 && n < pieces.len() * pieces.len(), "{n}");
    }

    #[test]
    fn every_format_has_a_way_in() {
        for f in FORMATS {
            assert!(!(f.body.is_empty() && f.headers.is_empty() && f.from.is_empty()), "{}", f.name);
        }
    }
}
