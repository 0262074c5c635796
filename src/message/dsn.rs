//! RFC 3464 delivery status notifications, and RFC 6533's
//! `message/global-delivery-status` (the same fields, UTF-8 allowed).
//!
//! The status part is a per-message field group then one group per
//! recipient. Real MTAs are sloppy: groups without blank lines between them,
//! folded values, comments, missing `Action:`. A new group starts at a blank
//! line or when a recipient field repeats.

use std::borrow::Cow;

use super::util::{dsn_address, lines, split_at_byte, starts_with_ci, trim, whole_address};
use super::{DsnAction, Draft, Hit, Mail, MessageKind};
use crate::{find_codes, Reason, ReplyCode, StatusClass, StatusCode};

/// The per-message fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerMessage {
    /// `Reporting-MTA`, without its type (`dns;`).
    pub reporting_mta: Option<String>,
    /// `Arrival-Date`.
    pub arrival_date: Option<String>,
    /// `Received-From-MTA`.
    pub received_from_mta: Option<String>,
}

/// One recipient's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerRecipient {
    /// `Final-Recipient` (or `X-Actual-Recipient` when that is all there is).
    pub final_recipient: Option<String>,
    /// `Original-Recipient`.
    pub original_recipient: Option<String>,
    /// `Action`.
    pub action: Option<DsnAction>,
    /// `Status`.
    pub status: Option<StatusCode>,
    /// `Remote-MTA`, without its type.
    pub remote_mta: Option<String>,
    /// `Diagnostic-Code`, without its type, unfolded.
    pub diagnostic: Option<String>,
    /// `Last-Attempt-Date`.
    pub last_attempt_date: Option<String>,
    /// `Reporting-MTA` when it appears in a recipient group.
    pub reporting_mta: Option<String>,
    /// `X-Actual-Recipient`.
    pub actual_recipient: Option<String>,
    /// A sending MTA's own verdict field (PowerMTA's `X-PowerMTA-BounceCategory`).
    pub vendor_category: Option<String>,
    /// The `Diagnostic-Code` type (`smtp`, `x-unix`, ...), lowercase.
    pub diagnostic_type: Option<String>,
    /// `X-Actual-Recipient` names a program (`|/usr/bin/procmail ...`):
    /// delivery was to a local pipe, not to a mailbox.
    pub to_program: bool,
}

/// A parsed status part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// The per-message fields.
    pub message: PerMessage,
    /// One entry per recipient group, in order.
    pub recipients: Vec<PerRecipient>,
}

fn strip_type(v: &str) -> String {
    let v = trim(v);
    match split_at_byte(v, b';') {
        Some((t, rest)) if t.len() < 16 && !t.contains(char::is_whitespace) => trim(rest).to_string(),
        _ => v.to_string(),
    }
}

/// The fields read here; any other is `Other`, a blank line `Blank`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Blank,
    FinalRecipient,
    OriginalRecipient,
    ActualRecipient,
    ReportingMta,
    VendorCategory,
    ArrivalDate,
    ReceivedFromMta,
    Action,
    Status,
    RemoteMta,
    DiagnosticCode,
    LastAttemptDate,
    /// `X-Exim-Diagnostic` or `X-Supplementary-Info`.
    Supplementary,
    Other,
}

const FIELD_NAMES: &[(&str, Field)] = &[
    ("final-recipient", Field::FinalRecipient),
    ("original-recipient", Field::OriginalRecipient),
    ("x-actual-recipient", Field::ActualRecipient),
    ("reporting-mta", Field::ReportingMta),
    ("x-powermta-bouncecategory", Field::VendorCategory),
    ("arrival-date", Field::ArrivalDate),
    ("received-from-mta", Field::ReceivedFromMta),
    ("action", Field::Action),
    ("status", Field::Status),
    ("remote-mta", Field::RemoteMta),
    ("diagnostic-code", Field::DiagnosticCode),
    ("last-attempt-date", Field::LastAttemptDate),
    ("x-exim-diagnostic", Field::Supplementary),
    ("x-supplementary-info", Field::Supplementary),
];

fn field_of(name: &str) -> Field {
    // Compared whole, ignoring ASCII case in place (names of another length
    // are told apart by their length first): most lines of a status part
    // are one of these.
    let name = name.as_bytes();
    FIELD_NAMES.iter().find(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes())).map_or(Field::Other, |(_, f)| *f)
}

/// Bytes of a field name as read here: ASCII letters, digits and `-`. A
/// table: every line's name is walked a byte at a time.
static NAME_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'-';
        i += 1;
    }
    t
};

/// Unfolded fields of a block, blank lines included; a value is borrowed
/// unless a fold had to be joined to it. The values of fields not read
/// here (`Other`) are left unjoined: nothing reads them.
fn fields(text: &str) -> Vec<(Field, Cow<'_, str>)> {
    // A status part is mostly one field a line, of some 20 to 40 bytes.
    let mut out: Vec<(Field, Cow<'_, str>)> = Vec::with_capacity(16.max(text.len() / 24));
    let mut open = false;
    let fold = |out: &mut Vec<(Field, Cow<'_, str>)>, line: &str| {
        if let Some(last) = out.last_mut().filter(|l| l.0 != Field::Other) {
            let v = last.1.to_mut();
            v.push(' ');
            v.push_str(trim(line));
        }
    };
    for line in lines(text) {
        let line = &line[..line.len() - line.bytes().rev().take_while(|&b| b == b'\r').count()];
        if trim(line).is_empty() {
            out.push((Field::Blank, Cow::Borrowed("")));
            open = false;
            continue;
        }
        if open && matches!(line.as_bytes()[0], b' ' | b'\t') {
            fold(&mut out, line);
            continue;
        }
        // A field name is letters, digits and hyphens up to the first `:`: a
        // dedented fold such as `mx.example.com[192.0.2.2]:25: No route to
        // host` is none. (Read up to the first other byte, which must be
        // that `:`: no search for it.)
        let name_len = line.bytes().position(|b| !NAME_BYTES[usize::from(b)]).unwrap_or(line.len());
        if name_len > 0 && line.as_bytes().get(name_len) == Some(&b':') {
            let field = field_of(&line[..name_len]);
            out.push((field, Cow::Borrowed(if field == Field::Other { "" } else { trim(&line[name_len + 1..]) })));
            open = true;
        } else if open {
            // A continuation without indentation (a sloppy fold): keep it with the field.
            fold(&mut out, line);
        }
    }
    out
}

/// Parses a delivery-status body.
///
/// ```
/// let d = bouncekit::message::dsn::parse_status("Reporting-MTA: dns; mx.example\n\n\
/// Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\n\
/// Diagnostic-Code: smtp; 550 5.1.1 no such\n  user\n");
/// assert_eq!(d.message.reporting_mta.as_deref(), Some("mx.example"));
/// assert_eq!(d.recipients[0].diagnostic.as_deref(), Some("550 5.1.1 no such user"));
/// ```
pub fn parse_status(text: &str) -> DeliveryStatus {
    let mut out = DeliveryStatus::default();
    let mut cur: Option<PerRecipient> = None;
    // Exim's `X-Exim-Diagnostic` says what went wrong when no server
    // answered (no TLS offered, a connection refused); Exchange 2003 and
    // Hotmail put the server's answer in `X-Supplementary-Info`
    // (`< #5.5.0 smtp;550 ...>`). Either stands in for a missing
    // `Diagnostic-Code`, never beside one.
    let mut note: Option<String> = None;
    let push = |cur: &mut Option<PerRecipient>, note: &mut Option<String>, out: &mut DeliveryStatus| {
        let note = note.take();
        if let Some(mut r) = cur.take() {
            if r.diagnostic.as_deref().is_none_or(str::is_empty) && note.is_some() {
                r.diagnostic = note;
            }
            if r.final_recipient.is_some() || r.original_recipient.is_some() || r.actual_recipient.is_some() {
                out.recipients.push(r);
            }
        }
    };
    for (field, value) in fields(text) {
        match field {
            Field::Blank => push(&mut cur, &mut note, &mut out),
            Field::FinalRecipient | Field::OriginalRecipient | Field::ActualRecipient => {
                let addr = dsn_address(&value);
                let program = field == Field::ActualRecipient && strip_type(&value).trim_start_matches('"').starts_with('|');
                let r = cur.get_or_insert_with(PerRecipient::default);
                let slot_taken = match field {
                    Field::FinalRecipient => r.final_recipient.is_some(),
                    Field::OriginalRecipient => r.original_recipient.is_some(),
                    _ => r.actual_recipient.is_some(),
                };
                if slot_taken {
                    push(&mut cur, &mut note, &mut out);
                }
                let r = cur.get_or_insert_with(PerRecipient::default);
                match field {
                    Field::FinalRecipient => r.final_recipient = addr,
                    Field::OriginalRecipient => r.original_recipient = addr,
                    _ => {
                        r.actual_recipient = addr;
                        r.to_program = program;
                    }
                }
            }
            Field::ReportingMta => {
                let v = Some(strip_type(&value));
                match cur.as_mut() {
                    Some(r) => r.reporting_mta = v,
                    None => out.message.reporting_mta = v,
                }
            }
            Field::VendorCategory => {
                cur.get_or_insert_with(PerRecipient::default).vendor_category = Some(value.trim().to_ascii_lowercase());
            }
            Field::Supplementary => {
                cur.get_or_insert_with(PerRecipient::default);
                // Exchange's form: `< #5.5.0 smtp;550 ...>`, the status first.
                let v = value.trim();
                let v = v.strip_prefix('<').and_then(|v| v.strip_suffix('>')).unwrap_or(v).trim_start();
                let v = v.strip_prefix('#').map_or(v, |v| v.split_once(char::is_whitespace).map_or("", |(_, rest)| rest));
                note = Some(strip_type(v)).filter(|s| !s.is_empty());
            }
            Field::ArrivalDate if out.message.arrival_date.is_none() => out.message.arrival_date = Some(value.into_owned()),
            Field::ReceivedFromMta => out.message.received_from_mta = Some(strip_type(&value)),
            Field::Action | Field::Status | Field::RemoteMta | Field::DiagnosticCode | Field::LastAttemptDate => {
                // A recipient group may list its fields in any order.
                let r = cur.get_or_insert_with(PerRecipient::default);
                match field {
                    Field::Action => r.action = DsnAction::parse(&value),
                    Field::Status => r.status = parse_status_field(&value),
                    Field::RemoteMta => r.remote_mta = Some(strip_type(&value)).filter(|s| !s.is_empty()),
                    Field::DiagnosticCode => {
                        if r.diagnostic_type.is_none() {
                            r.diagnostic_type = value.split_once(';').map(|(t, _)| t.trim().to_ascii_lowercase());
                        }
                        let d = strip_type(&value);
                        r.diagnostic = match r.diagnostic.take() {
                            Some(prev) if !prev.is_empty() => Some(format!("{prev} {d}")),
                            _ => Some(d),
                        }
                    }
                    _ => r.last_attempt_date = Some(value.into_owned()),
                }
            }
            _ => {}
        }
    }
    push(&mut cur, &mut note, &mut out);
    out
}

/// PowerMTA's bounce categories that name one reason (its documented
/// category names); the others (`other`, `policy-related`, ...) say too little.
const VENDOR_CATEGORIES: &[(&str, Reason)] = &[
    ("bad-mailbox", Reason::UserUnknown),
    ("bad-domain", Reason::HostUnknown),
    ("inactive-mailbox", Reason::Suspend),
    ("quota-issues", Reason::MailboxFull),
    ("spam-related", Reason::SpamDetected),
    ("virus-related", Reason::VirusDetected),
    ("relaying-issues", Reason::NoRelaying),
    ("message-expired", Reason::Expired),
];

fn vendor_reason(category: &str) -> Option<Reason> {
    VENDOR_CATEGORIES.iter().find(|(c, _)| *c == category).map(|(_, r)| *r)
}

/// A `Status:` value: the code, tolerating comments (`5.1.1 (user unknown)`).
fn parse_status_field(v: &str) -> Option<StatusCode> {
    let v = v.trim();
    let first = v.split(|c: char| c.is_whitespace() || c == '(' || c == ';').next().unwrap_or("");
    first.parse().ok().or_else(|| find_codes(v).status)
}

/// Whether a status part holds any status field at all. InterMail puts its
/// human-readable notice in a part typed `message/delivery-status` too
/// ("<a@b> has restricted SMS e-mail"): a part without one field is read as
/// text. (A real status part's first line is a field: one line decides.)
pub(crate) fn holds_fields(text: &str) -> bool {
    lines(text).any(|line| {
        let n = line.bytes().position(|b| !NAME_BYTES[usize::from(b)]).unwrap_or(line.len());
        n > 0 && line.as_bytes().get(n) == Some(&b':') && field_of(&line[..n]) != Field::Other
    })
}

/// Whether a text looks like it carries DSN fields inline (some MTAs put them in text/plain).
fn has_inline_fields(t: &str) -> bool {
    let mut saw_recipient = false;
    let mut saw_other = false;
    for line in lines(t) {
        let l = line.trim_start();
        let starts = |p: &str| starts_with_ci(l, p);
        if starts("final-recipient:") || starts("original-recipient:") {
            saw_recipient = true;
        } else if starts("action:") || starts("status:") || starts("diagnostic-code:") {
            saw_other = true;
        }
        // Both seen: no later line can change the answer.
        if saw_recipient && saw_other {
            return true;
        }
    }
    false
}

/// Extracts recipients from the status parts (or inline status fields).
pub(crate) fn extract(m: &Mail<'_>, texts: &super::text::TextFacts<'_>) -> Option<Draft> {
    let mut statuses: Vec<DeliveryStatus> = m.dsn.iter().map(|t| parse_status(t)).collect();
    if statuses.iter().all(|s| s.recipients.is_empty()) {
        static RECIPIENT_FIELD: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
        let recipient_field = RECIPIENT_FIELD.get_or_init(|| memchr::memmem::Finder::new("-recipient:"));
        // Inline fields in the text part, before any copy of the original
        // message. The part before the copy has a subset of the whole text's
        // lines: a text without such fields needs no cutting.
        for (i, t) in m.texts.iter().enumerate() {
            // Both recipient fields end in `-recipient:`: without it, no search.
            if !texts.holds(i, recipient_field) || !has_inline_fields(t) {
                continue;
            }
            let body = texts.body(i);
            if has_inline_fields(body) {
                // Fields may be indented in such bodies.
                let dedented: String = body.lines().map(|l| l.trim_start()).collect::<Vec<_>>().join("\n");
                statuses.push(parse_status(&dedented));
            }
        }
    }
    if statuses.is_empty() {
        return None;
    }
    let mut hits = Vec::new();
    let mut reporting = None;
    for s in statuses {
        if reporting.is_none() {
            reporting = s.message.reporting_mta.clone();
        }
        for r in s.recipients {
            // A Final-Recipient that is a source route, no mailbox (an LMTP
            // hop such as `@host.lmtp:35065@daemon`, `@relay:user@host`), or
            // whose domain is a bare internal name (Sun Messaging Server's
            // `user@ims-ms-daemon`), gives way to a proper Original-Recipient:
            // the address the sender wrote to, the one it can act on.
            let recipient = match r.final_recipient.or(r.actual_recipient) {
                Some(f) if (f.starts_with('@') || !dotted_domain(&f)) && r.original_recipient.as_deref().and_then(whole_address).is_some_and(|o| dotted_domain(&o)) => {
                    r.original_recipient.clone()
                }
                Some(f) => Some(f),
                None => r.original_recipient.clone(),
            };
            let Some(recipient) = recipient else {
                continue;
            };
            // (Any address `find_address` finds has an `@`.)
            if !recipient.contains('@') {
                continue;
            }
            let mut diagnostic = r.diagnostic.unwrap_or_default();
            let mut reply: Option<ReplyCode> = find_codes(&diagnostic).reply;
            let mut status = r.status;
            // `Action: failed` beside a success status (AOL's relays wrote
            // `Status: 2.0.0` and `Diagnostic-Code: SMTP; 250 OK` there): the
            // action is the report's word, the codes are left over from a step
            // that went well. They give way to the human text's account.
            if r.action == Some(DsnAction::Failed) && status.is_some_and(|s| s.class() == StatusClass::Success) {
                status = None;
                if reply.is_some_and(|c| c.class_digit() == 2) {
                    (diagnostic, reply) = (String::new(), None);
                }
            }
            hits.push(Hit {
                recipient,
                original_recipient: r.original_recipient,
                action: r.action,
                status,
                reply,
                diagnostic,
                remote_mta: r.remote_mta,
                reporting_mta: r.reporting_mta.or_else(|| s.message.reporting_mta.clone()),
                command: None,
                arrival: s.message.arrival_date.clone(),
                last_attempt: r.last_attempt_date,
                feedback_type: None,
                fixed: None,
                vendor: r.vendor_category.as_deref().and_then(vendor_reason),
                // RFC 3464's `x-unix` type: the text is a local delivery
                // program's exit status or complaint, not an SMTP reply.
                // A pipe to a program is such a local delivery too.
                local_mailer: r.diagnostic_type.as_deref() == Some("x-unix") || r.to_program,
            });
        }
    }
    Some(Draft { kind: MessageKind::Bounce, decoded_by: "rfc3464", reporting_mta: reporting, hits })
}

/// Whether an address's domain has a dot (`user@ims-ms-daemon` has none).
fn dotted_domain(address: &str) -> bool {
    address.rsplit_once('@').is_some_and(|(_, domain)| domain.trim_end_matches('.').contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_bytes_are_letters_digits_and_the_hyphen() {
        for b in 0..=255u8 {
            assert_eq!(NAME_BYTES[usize::from(b)], b.is_ascii_alphanumeric() || b == b'-', "{b}");
        }
    }

    #[test]
    fn inline_fields_are_told_as_when_every_line_was_read() {
        let by_every_line = |t: &str| {
            let starts = starts_with_ci;
            let ls: Vec<&str> = t.lines().map(str::trim_start).collect();
            ls.iter().any(|l| starts(l, "final-recipient:") || starts(l, "original-recipient:"))
                && ls.iter().any(|l| {
                    !(starts(l, "final-recipient:") || starts(l, "original-recipient:"))
                        && (starts(l, "action:") || starts(l, "status:") || starts(l, "diagnostic-code:"))
                })
        };
        let pieces = [
            "Final-Recipient: rfc822; a@b.example", "  original-recipient:x", "Action: failed", "STATUS: 5.1.1", "\u{3000}Diagnostic-Code: smtp; 550",
            "words", "", "action", "Final-Recipient", "x status: 5.0.0", "\r", "\t", "final-recipient:status:",
        ];
        let mut rng = crate::test_rng::Rng(0xd5e);
        let mut told = 0;
        for _ in 0..20_000 {
            let t = (0..rng.below(7)).map(|_| pieces[rng.below(pieces.len())]).collect::<Vec<_>>().join(if rng.below(3) == 0 { "\r\n" } else { "\n" });
            let want = by_every_line(&t);
            assert_eq!(has_inline_fields(&t), want, "{t:?}");
            told += usize::from(want);
        }
        assert!(told > 2_000 && told < 18_000, "{told}");
    }

    #[test]
    fn field_names_are_told_as_by_a_lowercase_copy() {
        // Every name in every case mix, cut, lengthened, and other words.
        let mut names: Vec<String> = vec![String::new(), "x".into(), "status-".into(), "a".repeat(40)];
        for (n, _) in FIELD_NAMES {
            names.extend([n.to_string(), n.to_ascii_uppercase(), n[1..].to_string(), n[..n.len() - 1].to_string(), format!("{n}x")]);
            names.push(n.char_indices().map(|(i, c)| if i % 3 == 0 { c.to_ascii_uppercase() } else { c }).collect());
        }
        for name in &names {
            let lower = name.to_ascii_lowercase();
            let want = FIELD_NAMES.iter().find(|(n, _)| *n == lower).map_or(Field::Other, |(_, f)| *f);
            assert_eq!(field_of(name), want, "{name:?}");
        }
    }

    #[test]
    fn groups_without_blank_lines() {
        let d = parse_status(
            "Reporting-MTA: dns; a.example\nFinal-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.1.1\n\
             Final-Recipient: rfc822; y@example.org\nAction: delayed\nStatus: 4.4.1 (timeout)\n",
        );
        assert_eq!(d.recipients.len(), 2);
        assert_eq!(d.recipients[1].action, Some(DsnAction::Delayed));
        assert_eq!(d.recipients[1].status.unwrap().to_string(), "4.4.1");
    }

    #[test]
    fn original_then_final_is_one_group() {
        let d = parse_status("Original-Recipient: rfc822;a@example.org\nFinal-Recipient: rfc822;b@example.org\nAction: failed\n");
        assert_eq!(d.recipients.len(), 1);
        assert_eq!(d.recipients[0].final_recipient.as_deref(), Some("b@example.org"));
    }

    /// Exim's `X-Exim-Diagnostic` (a TLS or connection failure, where no
    /// server answered) is the diagnostic when the group has no
    /// `Diagnostic-Code`; beside one, in either order, it is not read.
    #[test]
    fn exim_diagnostic_stands_in_for_a_missing_diagnostic_code() {
        let alone = parse_status(
            "Reporting-MTA: dns; mx.example\n\nAction: failed\nFinal-Recipient: rfc822;a@example.org\nStatus: 5.0.0\n\
             X-Exim-Diagnostic: X-str; a TLS session is required, but the server did not offer TLS support\n\n\
             Action: failed\nFinal-Recipient: rfc822;b@example.org\nStatus: 5.0.0\n",
        );
        let diags: Vec<_> = alone.recipients.iter().map(|r| r.diagnostic.as_deref()).collect();
        assert_eq!(diags, [Some("a TLS session is required, but the server did not offer TLS support"), None]);
        for group in [
            "Diagnostic-Code: smtp; 550 5.1.1 no such user\nX-Exim-Diagnostic: X-str; other words",
            "X-Exim-Diagnostic: X-str; other words\nDiagnostic-Code: smtp; 550 5.1.1 no such user",
        ] {
            let d = parse_status(&format!("Final-Recipient: rfc822;a@example.org\nAction: failed\n{group}\n"));
            assert_eq!(d.recipients[0].diagnostic.as_deref(), Some("550 5.1.1 no such user"), "{group}");
        }
    }

    /// Exchange 2003 and Hotmail give the server's answer in
    /// `X-Supplementary-Info` (`< #5.5.0 smtp;550 ...>`), folded like any
    /// field: it is the diagnostic of a group without `Diagnostic-Code`.
    #[test]
    fn exchange_supplementary_info_stands_in_for_a_missing_diagnostic_code() {
        let d = parse_status(
            "Reporting-MTA: dns; mx.example\n\nFinal-recipient: RFC822; a@example.org\nAction: failed\nStatus: 5.5.0\n\
             X-Supplementary-Info: < #5.5.0 smtp;550 Requested action not taken: mailbox\n unavailable (495782920:4198:-2147467259)>\n",
        );
        assert_eq!(d.recipients[0].diagnostic.as_deref(), Some("550 Requested action not taken: mailbox unavailable (495782920:4198:-2147467259)"));
        let beside = parse_status("Final-Recipient: rfc822;a@example.org\nDiagnostic-Code: smtp; 550 5.1.1 no such user\nX-Supplementary-Info: <other words>\n");
        assert_eq!(beside.recipients[0].diagnostic.as_deref(), Some("550 5.1.1 no such user"));
    }
}
