//! Raw email -> [`Report`]: one [`Bounce`] record per recipient.
//!
//! Standards first: RFC 3464 delivery-status (and RFC 6533's
//! `message/global-delivery-status`) in [`dsn`], RFC 5965 feedback reports in
//! [`arf`], RFC 3834 auto-replies in [`autoreply`], and refusals sent as
//! RFC 8098 disposition notifications (a Sieve reject) in `mdn`. Then the non-standard
//! formats real MTAs and providers send, described as data in [`formats`] and
//! read by one generic extractor ([`text`]), plus the few that need code of
//! their own (Amazon SES's JSON notification in [`json`]).
//!
//! Recipients are never read out of the returned original message: every
//! extractor works on the report's own text, cut where the copy of the
//! original message begins.

use std::borrow::Cow;

use serde::Serialize;

use crate::classify::{code_only, Classification};
use crate::registry::default_action;
use crate::{BounceType, Category, Classifier, Error, FoundCodes, Reason, ReplyCode, StatusCode, StatusSource};

pub mod arf;
pub mod autoreply;
pub mod dsn;
pub mod formats;
pub mod json;
mod mdn;
mod mime;
mod pec;
mod row;
pub mod text;

mod util;

pub use row::RowRef;
pub use util::{find_address, unfold};

/// What kind of message a report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Delivery failed for at least one recipient.
    Bounce,
    /// Delivery is delayed; the sender's MTA is still retrying.
    Delay,
    /// A success (delivered, relayed, expanded) notification.
    Delivery,
    /// An RFC 5965 feedback (complaint) report.
    Feedback,
    /// An RFC 3834 automatic reply (vacation, out of office).
    Autoreply,
    /// A challenge-response request ("confirm you are human").
    Challenge,
    /// None of the above.
    NotBounce,
}

impl MessageKind {
    /// Every kind, in declaration order.
    ///
    /// ```
    /// use bouncekit::MessageKind;
    /// assert_eq!(MessageKind::ALL[0].as_str(), "bounce");
    /// ```
    pub const ALL: [MessageKind; 7] = [
        MessageKind::Bounce,
        MessageKind::Delay,
        MessageKind::Delivery,
        MessageKind::Feedback,
        MessageKind::Autoreply,
        MessageKind::Challenge,
        MessageKind::NotBounce,
    ];

    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Bounce => "bounce",
            MessageKind::Delay => "delay",
            MessageKind::Delivery => "delivery",
            MessageKind::Feedback => "feedback",
            MessageKind::Autoreply => "autoreply",
            MessageKind::Challenge => "challenge",
            MessageKind::NotBounce => "not_bounce",
        }
    }
}

/// The RFC 3464 `Action:` of one recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DsnAction {
    /// Delivery failed.
    Failed,
    /// Delivery is delayed.
    Delayed,
    /// Delivered.
    Delivered,
    /// Relayed to a system that sends no DSN.
    Relayed,
    /// Expanded (a list or alias).
    Expanded,
}

impl DsnAction {
    /// Every action, in declaration order.
    ///
    /// ```
    /// use bouncekit::DsnAction;
    /// assert_eq!(DsnAction::ALL.map(DsnAction::as_str)[1], "delayed");
    /// ```
    pub const ALL: [DsnAction; 5] =
        [DsnAction::Failed, DsnAction::Delayed, DsnAction::Delivered, DsnAction::Relayed, DsnAction::Expanded];

    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            DsnAction::Failed => "failed",
            DsnAction::Delayed => "delayed",
            DsnAction::Delivered => "delivered",
            DsnAction::Relayed => "relayed",
            DsnAction::Expanded => "expanded",
        }
    }

    /// Parses an `Action:` value (case-insensitive; tolerates comments and
    /// the common misspellings).
    pub fn parse(s: &str) -> Option<DsnAction> {
        const WORDS: [(&str, DsnAction); 9] = [
            ("failed", DsnAction::Failed),
            ("failure", DsnAction::Failed),
            ("fail", DsnAction::Failed),
            ("delayed", DsnAction::Delayed),
            ("delay", DsnAction::Delayed),
            ("delivered", DsnAction::Delivered),
            ("deliverable", DsnAction::Delivered),
            ("relayed", DsnAction::Relayed),
            ("expanded", DsnAction::Expanded),
        ];
        let w = s.trim().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
        WORDS.iter().find(|(name, _)| name.eq_ignore_ascii_case(w)).map(|(_, a)| *a)
    }
}

/// Caps on what one message may cost (see `docs/limits.md`).
///
/// Bounce mailboxes are written by strangers: these keep one crafted message
/// from taking unbounded time or memory. Going over a limit is an
/// [`Error::LimitExceeded`] naming it (`max_message_size`, `max_mime_depth`,
/// `max_parts`, `max_recipients`); the diagnostic length is a cut, not an
/// error. Time and memory stay linear in the message size below them.
///
/// ```
/// use bouncekit::{parse_with, Classifier, Error, Limits};
///
/// let raw = b"From: MAILER-DAEMON@example.net\r\n\r\n<a@example.org>: 550 5.1.1 User unknown\r\n";
/// let tight = Limits { max_message_size: 16, ..Limits::default() };
/// match parse_with(&Classifier::new(), raw, &tight) {
///     Err(Error::LimitExceeded { limit, max, actual }) => {
///         assert_eq!((limit, max, actual), ("max_message_size", 16, raw.len()));
///     }
///     other => panic!("{other:?}"),
/// }
/// let short = Limits { max_diagnostic_len: 9, ..Limits::default() };
/// let r = parse_with(&Classifier::new(), raw, &short).unwrap();
/// assert_eq!(r.recipients[0].diagnostic, "550 5.1.1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted, in bytes (default 64 MB).
    pub max_message_size: usize,
    /// Deepest MIME nesting accepted (default 32; never above [`Limits::MIME_DEPTH_CEILING`]).
    pub max_mime_depth: usize,
    /// Most MIME parts accepted (default 2,000).
    pub max_parts: usize,
    /// Most recipients reported; more is an error (default 10,000).
    pub max_recipients: usize,
    /// Diagnostics longer than this (bytes) are cut at a character boundary (default 4,096).
    pub max_diagnostic_len: usize,
}

impl Limits {
    /// The deepest MIME nesting ever accepted, whatever `max_mime_depth`
    /// says. (The walk itself keeps its stack on the heap; the ceiling
    /// bounds what one message may make it hold.)
    pub const MIME_DEPTH_CEILING: usize = 512;

    fn mime_depth(&self) -> usize {
        self.max_mime_depth.min(Self::MIME_DEPTH_CEILING)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 64 << 20,
            max_mime_depth: 32,
            max_parts: 2_000,
            max_recipients: 10_000,
            max_diagnostic_len: 4_096,
        }
    }
}

/// The original message's identity, from the returned copy or its headers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Original {
    /// `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
    /// `From`.
    pub from: Option<String>,
    /// `To`.
    pub to: Option<String>,
    /// `Subject`.
    pub subject: Option<String>,
}

/// What happened to one recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bounce {
    /// The final recipient address.
    pub recipient: String,
    /// The original recipient (before aliasing or forwarding), when reported.
    pub original_recipient: Option<String>,
    /// The DSN action (derived from the kind of report when there is no DSN).
    pub dsn_action: DsnAction,
    /// The enhanced status code as reported (the DSN `Status:` field, or found in the text).
    pub status: Option<StatusCode>,
    /// The SMTP reply code, when reported.
    pub reply_code: Option<ReplyCode>,
    /// The diagnostic text, unfolded to one line.
    pub diagnostic: String,
    /// The remote MTA that answered.
    pub remote_mta: Option<String>,
    /// The MTA that wrote the report.
    pub reporting_mta: Option<String>,
    /// The SMTP command the failure answered (`RCPT`, `DATA`, ...).
    pub smtp_command: Option<String>,
    /// When the message arrived at the reporting MTA (RFC 3339 when parseable).
    pub arrival_date: Option<String>,
    /// The last delivery attempt (RFC 3339 when parseable).
    pub last_attempt_date: Option<String>,
    /// The format that decoded this record: `rfc3464`, `arf`, `rfc3834`, `postfix`, `exim`, ...
    pub decoded_by: String,
    /// The ARF feedback type (`abuse`, `fraud`, `opt-out`, ...).
    pub feedback_type: Option<String>,
    /// The verdict.
    pub classification: Classification,
}

/// One parsed message: its kind and one record per recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Bounce, delay, delivery, feedback, autoreply, challenge or not_bounce.
    pub kind: MessageKind,
    /// The MTA that wrote the report, when known.
    pub reporting_mta: Option<String>,
    /// The report's own `From`.
    pub from: Option<String>,
    /// The report's own `Subject`.
    pub subject: Option<String>,
    /// The report's own `Date` (RFC 3339 when parseable).
    pub date: Option<String>,
    /// The original message, where the report returns it (or its headers).
    pub original: Original,
    /// One record per recipient, in report order.
    pub recipients: Vec<Bounce>,
}

/// One flat output row (DESIGN.md "Output contract"): one per recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Where the message came from (path, `path#N`).
    pub source: String,
    /// The message kind.
    pub message_kind: &'static str,
    /// The recipient address.
    pub recipient: String,
    /// failed, delayed, delivered, relayed, expanded.
    pub dsn_action: &'static str,
    /// The enhanced status code (found or derived).
    pub status: Option<String>,
    /// The SMTP reply code.
    pub reply_code: Option<u16>,
    /// The reason.
    pub reason: &'static str,
    /// hard, soft, none.
    pub bounce_type: &'static str,
    /// The status subject's area.
    pub category: &'static str,
    /// suppress, retry, fix_sender, ignore.
    pub action: &'static str,
    /// The diagnostic text.
    pub diagnostic: String,
    /// The remote MTA.
    pub remote_mta: Option<String>,
    /// The reporting MTA.
    pub reporting_mta: Option<String>,
    /// The SMTP command.
    pub smtp_command: Option<String>,
    /// The last attempt, else arrival, else the report's date.
    pub timestamp: Option<String>,
    /// The format that decoded the record.
    pub decoded_by: String,
    /// The rule (or code) that decided the reason.
    pub rule: String,
    /// The ARF feedback type.
    pub feedback_type: Option<String>,
}

impl Row {
    /// The CSV header line's field names, in output order.
    pub const FIELDS: [&'static str; 18] = [
        "source",
        "message_kind",
        "recipient",
        "dsn_action",
        "status",
        "reply_code",
        "reason",
        "bounce_type",
        "category",
        "action",
        "diagnostic",
        "remote_mta",
        "reporting_mta",
        "smtp_command",
        "timestamp",
        "decoded_by",
        "rule",
        "feedback_type",
    ];

    /// The row's values as strings, in [`Row::FIELDS`] order (empty for none).
    pub fn values(&self) -> [String; 18] {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.source.clone(),
            self.message_kind.into(),
            self.recipient.clone(),
            self.dsn_action.into(),
            o(&self.status),
            self.reply_code.map(|r| r.to_string()).unwrap_or_default(),
            self.reason.into(),
            self.bounce_type.into(),
            self.category.into(),
            self.action.into(),
            self.diagnostic.clone(),
            o(&self.remote_mta),
            o(&self.reporting_mta),
            o(&self.smtp_command),
            o(&self.timestamp),
            self.decoded_by.clone(),
            self.rule.clone(),
            o(&self.feedback_type),
        ]
    }
}

impl Report {
    /// The flat output rows, one per recipient (DESIGN.md "Output contract");
    /// [`Report::row_refs`] gives the same rows without copies.
    pub fn rows(&self, source: &str) -> Vec<Row> {
        self.row_refs(source).map(|r| r.to_row()).collect()
    }

    /// Recipients whose delivery failed.
    pub fn failed(&self) -> impl Iterator<Item = &Bounce> {
        self.recipients.iter().filter(|b| b.dsn_action == DsnAction::Failed)
    }
}

/// Parses one raw message with the built-in rules and default limits.
///
/// ```
/// let raw = b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n\
/// Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n\
/// --b\r\nContent-Type: text/plain\r\n\r\nsorry\r\n\
/// --b\r\nContent-Type: message/delivery-status\r\n\r\n\
/// Reporting-MTA: dns; mx.example\r\n\r\n\
/// Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\
/// Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n--b--\r\n";
/// let r = bouncekit::parse(raw).unwrap();
/// assert_eq!(r.recipients[0].recipient, "nobody@example.org");
/// assert_eq!(r.recipients[0].classification.reason, bouncekit::Reason::UserUnknown);
/// ```
pub fn parse(bytes: &[u8]) -> Result<Report, Error> {
    parse_with(crate::classify::default_classifier(), bytes, &Limits::default())
}

/// Parses one raw message with a given classifier and limits.
pub fn parse_with(classifier: &Classifier, bytes: &[u8], limits: &Limits) -> Result<Report, Error> {
    if bytes.len() > limits.max_message_size {
        return Err(Error::LimitExceeded { limit: "max_message_size", max: limits.max_message_size, actual: bytes.len() });
    }
    let bytes = util::normalize(bytes);
    let mut m = Mail::default();
    mime::collect(&bytes, limits, &mut m)?;
    let mut draft = extract(&m);
    if draft.hits.is_empty() {
        // A bounce forwarded as an attachment: the attached report speaks.
        if let Some(inner) = &m.nested_report {
            let mut im = Mail::default();
            if mime::collect(inner, limits, &mut im).is_ok() {
                let d = extract(&im);
                if !d.hits.is_empty() {
                    draft = d;
                }
            }
        }
    }
    if draft.hits.len() > limits.max_recipients {
        return Err(Error::LimitExceeded { limit: "max_recipients", max: limits.max_recipients, actual: draft.hits.len() });
    }
    Ok(build(classifier, limits, m, draft))
}

/// What the extractors see of a message. Borrowed from the raw bytes
/// wherever no decoding was needed.
#[derive(Default, Debug)]
pub(crate) struct Mail<'a> {
    /// Top-level header fields, raw, in order: each is decoded only when an
    /// extractor asks for it.
    pub headers: Vec<mime::Field<'a>>,
    /// The first `From`, `Subject` and `Date`, decoded (every report gives them).
    pub from: Option<String>,
    pub subject: Option<String>,
    pub date: Option<String>,
    /// Text of the human-readable parts (text/plain, text/html as text), in order,
    /// not including the returned original message.
    pub texts: Vec<Cow<'a, str>>,
    /// `message/delivery-status` and `message/global-delivery-status` bodies.
    pub dsn: Vec<Cow<'a, str>>,
    /// `message/feedback-report` bodies.
    pub feedback: Vec<Cow<'a, str>>,
    /// `message/disposition-notification` bodies (RFC 8098).
    pub mdn: Vec<Cow<'a, str>>,
    /// JSON bodies (application/json, or text bodies that are a JSON object).
    pub json: Vec<Cow<'a, str>>,
    /// Italian PEC notices' `daticert.xml` parts.
    pub pec: Vec<Cow<'a, str>>,
    /// The returned original message's headers, when present.
    pub original: Original,
    /// Whether the report has a multipart/report content type.
    pub report_type: Option<String>,
    /// Microsoft JMRP: the complainer, from the reporter's `X-HmXmrOriginalRecipient`.
    pub jmrp_recipient: Option<String>,
    /// In a feedback report, the reported message's first `Delivered-To`:
    /// the complainer's mailbox as its own server wrote it at delivery.
    pub delivered_to: Option<String>,
    /// A returned message that is itself a delivery report (a forwarded bounce), raw.
    pub nested_report: Option<Vec<u8>>,
}

impl<'a> Mail<'a> {
    /// The first top-level header of that (lowercase) name, decoded.
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        self.headers.iter().find(|f| f.is(name)).map(mime::value)
    }
    /// Whether there is a top-level header of that name.
    pub fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|f| f.is(name))
    }
    /// Every top-level header of that name, decoded.
    pub fn headers_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = Cow<'a, str>> + 's {
        self.headers.iter().filter(move |f| f.is(name)).map(mime::value)
    }
    /// The From header, lowercase.
    // `from` names the header, not a conversion.
    #[allow(clippy::wrong_self_convention)]
    pub fn from_lc(&self) -> String {
        self.from.as_deref().unwrap_or("").to_ascii_lowercase()
    }
    /// The Subject header, lowercase.
    pub fn subject_lc(&self) -> String {
        self.subject.as_deref().unwrap_or("").to_lowercase()
    }
}

/// A recipient record as an extractor found it, before classification.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hit {
    pub recipient: String,
    pub original_recipient: Option<String>,
    pub action: Option<DsnAction>,
    pub status: Option<StatusCode>,
    pub reply: Option<ReplyCode>,
    pub diagnostic: String,
    pub remote_mta: Option<String>,
    pub reporting_mta: Option<String>,
    pub command: Option<String>,
    pub arrival: Option<String>,
    pub last_attempt: Option<String>,
    pub feedback_type: Option<String>,
    /// A fixed verdict (vacation, feedback), bypassing the rules.
    pub fixed: Option<Reason>,
    /// The sending MTA's own verdict (a DSN extension field), used when only
    /// generic wording or a bare code decided.
    pub vendor: Option<Reason>,
    /// The diagnostic came from a local delivery program (`x-unix`).
    pub local_mailer: bool,
}

/// The extracted but unclassified report.
pub(crate) struct Draft {
    pub kind: MessageKind,
    /// The extractor's or format's name (a constant: no copy per message).
    pub decoded_by: &'static str,
    pub reporting_mta: Option<String>,
    pub hits: Vec<Hit>,
}

fn extract(m: &Mail<'_>) -> Draft {
    // 1. RFC 5965 feedback reports.
    if let Some(d) = arf::extract(m) {
        return d;
    }
    // 2. Italian PEC notices, whose facts are in XML.
    if let Some(d) = pec::extract(m) {
        return d;
    }
    // 3. RFC 3464 / RFC 6533 delivery status, completed from the human text.
    let texts = text::TextFacts::new(&m.texts);
    if let Some(mut d) = dsn::extract(m, &texts) {
        if !d.hits.is_empty() {
            text::complete_from_text(&texts, &mut d);
            return d;
        }
    }
    // 4. Disposition notifications that report a refusal (Sieve reject).
    if let Some(d) = mdn::extract(m) {
        return d;
    }
    // 5. JSON notifications (Amazon SES).
    if let Some(d) = json::extract(m) {
        return d;
    }
    // 6. Non-standard MTA and provider formats.
    if let Some(d) = formats::extract(m, &texts) {
        return d;
    }
    // 7. Auto-replies.
    if let Some(d) = autoreply::extract(m) {
        return d;
    }
    Draft { kind: MessageKind::NotBounce, decoded_by: "", reporting_mta: None, hits: vec![] }
}

fn build(classifier: &Classifier, limits: &Limits, m: Mail<'_>, d: Draft) -> Report {
    let mut recipients = Vec::with_capacity(d.hits.len());
    // First each recipient's own verdict, then what the report as a whole adds.
    let mut staged = Vec::with_capacity(d.hits.len());
    for mut h in d.hits {
        let mut diagnostic = unfold(&h.diagnostic);
        util::truncate(&mut diagnostic, limits.max_diagnostic_len);
        let action = h.action.unwrap_or(match d.kind {
            MessageKind::Delay => DsnAction::Delayed,
            MessageKind::Delivery | MessageKind::Autoreply | MessageKind::Feedback => DsnAction::Delivered,
            _ => DsnAction::Failed,
        });
        // `Action: delivered` is the report's own word: a failure status
        // beside it (Exchange's `Delivered:` notices with `Status: 5.4.0`)
        // does not undo it. Relayed and expanded are taken with a success
        // status only.
        let success = action == DsnAction::Delivered
            || (matches!(action, DsnAction::Relayed | DsnAction::Expanded) && h.status.is_none_or(|s| s.class() == crate::StatusClass::Success));
        let classification = match h.fixed {
            Some(r) => fixed_classification(r, h.status, h.reply),
            None if success => fixed_classification(Reason::Delivered, h.status, h.reply),
            None => {
                let c = classifier.classify_with(&diagnostic, FoundCodes { status: h.status, reply: h.reply });
                match classifier.in_report(&c) {
                    Some(r) if r != c.reason => crate::classify::rederived(with_reason(c, r, "report"), &diagnostic),
                    _ => c,
                }
            }
        };
        let smtp_command = h.command.take().or_else(|| util::detect_command(&diagnostic).map(str::to_string));
        let classification = match h.vendor {
            Some(r) if is_generic(&classification.rule) && r != classification.reason => with_reason(classification, r, "vendor-category"),
            Some(_) => classification,
            None if h.local_mailer && local_mailer_failure(&classification) => with_reason(classification, Reason::MailerError, "x-unix"),
            None => adjust(classification, action, smtp_command.as_deref()),
        };
        staged.push((h, diagnostic, action, smtp_command, classification));
    }
    // A report whose recipients' own texts decide nothing (a lone status
    // group with a bare code, or addresses listed under one sentence saying
    // why) takes the reason its notice gives. Not when any recipient's text
    // decided, nor for a DSN's several groups: the notice may be telling one
    // recipient's cause, and another's would be made up.
    let failing = |a: DsnAction| matches!(a, DsnAction::Failed | DsnAction::Delayed);
    let failing_verdicts = || staged.iter().filter(|(_, _, action, _, _)| failing(*action)).map(|(.., c)| c);
    let notice_speaks = (d.decoded_by == "generic" || (d.decoded_by == "rfc3464" && staged.len() == 1))
        && failing_verdicts().next().is_some()
        && failing_verdicts().all(vague);
    let relay_lookup = failed_relay_lookup(staged.iter().map(|(h, diagnostic, .., c)| (h.recipient.as_str(), diagnostic.as_str(), c)));
    for (h, diagnostic, action, smtp_command, mut classification) in staged {
        if relay_lookup && classification.reason == Reason::HostUnknown {
            classification = with_reason(classification, Reason::NetworkError, "relay-lookup");
        }
        if notice_speaks && failing(action) {
            if let Some(r) = notification_reason(classifier, &m.texts, &classification) {
                classification = with_reason(classification, r, "notification");
            }
        }
        if matches!(classification.reason, Reason::Undefined | Reason::OnHold) {
            if let Some(r) = formats::default_reason(d.decoded_by) {
                classification = with_reason(classification, r, &format!("format:{}", d.decoded_by));
            }
        }
        if action == DsnAction::Failed {
            classification = given_up(classification);
        }
        if action == DsnAction::Delayed {
            classification = still_trying(classification);
        }
        recipients.push(Bounce {
            recipient: h.recipient,
            original_recipient: h.original_recipient,
            dsn_action: action,
            status: match (h.status, classification.status.filter(|_| classification.status_source == StatusSource::Found)) {
                // The field's catch-all X.Y.0 gives way to the text's specific code of the same class.
                (Some(f), Some(t)) if f.detail() == 0 && t.detail() != 0 && f.class() == t.class() => Some(t),
                (f, t) => f.or(t),
            },
            reply_code: h.reply.or(classification.reply_code),
            diagnostic,
            remote_mta: h.remote_mta,
            reporting_mta: h.reporting_mta.or_else(|| d.reporting_mta.clone()),
            smtp_command,
            arrival_date: h.arrival.map(|s| util::rfc3339(&s)),
            last_attempt_date: h.last_attempt.map(|s| util::rfc3339(&s)),
            decoded_by: d.decoded_by.to_string(),
            feedback_type: h.feedback_type,
            classification,
        });
    }
    let mut kind = d.kind;
    if kind == MessageKind::Bounce && !recipients.is_empty() {
        if recipients.iter().all(|b| b.dsn_action == DsnAction::Delayed) {
            kind = MessageKind::Delay;
        } else if recipients.iter().all(|b| b.classification.reason == Reason::Delivered) {
            kind = MessageKind::Delivery;
        }
    }
    Report {
        kind,
        reporting_mta: d.reporting_mta,
        from: m.from,
        subject: m.subject,
        date: m.date,
        original: m.original,
        recipients,
    }
}

/// What the report's context says beyond the diagnostic text.
///
/// - The SMTP stage decides whose fault a refusal is. Refused at connection
///   or EHLO/HELO, the client itself (its IP or name) was turned away;
///   refused at MAIL FROM, the sender was; neither is about the recipient.
/// - "No such user" said after RCPT TO (after DATA), or with a code that is
///   not an address status (X.1.x), means the server accepted the address
///   and then refused the message: the signature of a per-recipient filter.
///   With no stage and no code at all it stays an unknown user.
/// - A delayed recipient whose text says nothing decisive (no text, or only
///   a code) is one whose message is ageing in a queue.
fn adjust(c: Classification, action: DsnAction, command: Option<&str>) -> Classification {
    let found = c.status_source == StatusSource::Found;
    let address_status = found && c.status.is_some_and(|s| s.subject() == 1);
    // X.0.0 ("other or undefined") tells nothing of the stage either.
    let bare_status = found && c.status.is_some_and(|s| s.subject() == 0 && s.detail() == 0);
    // Verdicts from wording anyone may write, or from a code alone; a
    // provider's or product's own wording keeps its verdict.
    let generic = is_generic(&c.rule);
    let to = at_stage(&c, command).or_else(|| match (c.reason, action, command) {
        (Reason::UserUnknown, _, Some("RCPT")) => None,
        // With no stage and no code in the text, the usual case is the plain
        // one: the address does not exist ("User unknown in local recipient
        // table" is Postfix's RCPT TO answer even when the report omits it).
        (Reason::UserUnknown, _, cmd) if generic && !address_status && (cmd.is_some() || (found && !bare_status)) => Some((Reason::Filtered, "not-at-rcpt")),
        (_, DsnAction::Delayed, _) if code_only(&c) || matches!(c.reason, Reason::Undefined | Reason::OnHold) => Some((Reason::Expired, "action:delayed")),
        _ => None,
    });
    match to {
        Some((reason, why)) => with_reason(c, reason, why),
        None => c,
    }
}

/// A delay notice: the sending MTA is still trying, so nothing is final yet,
/// whatever the text says of the address ("454 4.4.4 Host or domain name
/// not found" in a warning): soft, and the address is kept.
fn still_trying(mut c: Classification) -> Classification {
    // A status bouncekit derived (the report gave none) is a temporary one
    // while the mailer is still trying.
    if c.status_source == StatusSource::Derived {
        c.status = c.status.map(|s| s.with_class(crate::StatusClass::Transient));
    }
    if c.bounce_type == BounceType::Hard {
        c.bounce_type = BounceType::Soft;
        c.action = default_action(c.reason, BounceType::Soft);
        c.rule = format!("{}+action:delayed", c.rule).into();
    }
    c
}

/// A failure the sender's MTA reports as final: an address verdict is final
/// too, even under the last attempt's temporary code (Postfix's `4.1.1`
/// after the queue lifetime, Gmail's NXDOMAIN under `4.0.0`). A bare 4xx
/// line, with no report around it, keeps the soft type the code gives.
/// A failure that quotes a success reply (Domino's "was not delivered
/// to: ... because: 250 Message received OK.") is no delivery: the reply
/// says nothing of why, so the reason is undefined. (A success status
/// alone, with no reply, is left as it reads: in a block read out of
/// quoted headers it is no answer to anything.)
fn given_up(mut c: Classification) -> Classification {
    if c.reason == Reason::Delivered && c.reply_code.is_some_and(|r| r.class_digit() == 2) {
        let rule = format!("{}+action:failed", c.rule);
        let mut u = fixed_classification(Reason::Undefined, None, c.reply_code);
        u.rule = rule.into();
        return u;
    }
    let own = c.reason.info().bounce_type;
    if c.bounce_type != own && matches!(c.reason, Reason::UserUnknown | Reason::HostUnknown | Reason::HasMoved) {
        c.bounce_type = own;
        c.action = default_action(c.reason, own);
    }
    c
}

/// The stage arms of [`adjust`], which a lone diagnostic line takes too
/// ([`by_stated_stage`]): an address verdict from generic wording, or any
/// verdict from a bare code, given at MAIL FROM is about the sender
/// (`rejected`), given at the greeting or EHLO/HELO about the client
/// (`blocked`).
fn at_stage(c: &Classification, command: Option<&str>) -> Option<(Reason, &'static str)> {
    let vague = code_only(c) || about_address(c);
    if !(vague && is_generic(&c.rule)) {
        return None;
    }
    match command? {
        "MAIL" => Some((Reason::Rejected, "at-mail-from")),
        "CONN" | "EHLO" | "HELO" => Some((Reason::Blocked, "at-connect")),
        _ => None,
    }
}

/// A lone diagnostic read by the stage its own words name ("... does not
/// exist (in reply to MAIL FROM command)" is the sender's domain, not the
/// recipient's), as [`adjust`] reads a report's, for address verdicts, and
/// for a bare failure code at the greeting or EHLO/HELO: a bare code beside
/// prose that merely names MAIL FROM ("503 ... RCPT only valid after MAIL
/// FROM") keeps its own reading. The stage is looked for only when it could
/// change the verdict.
pub(crate) fn by_stated_stage(c: Classification, text: &str) -> Classification {
    let address_verdict = about_address(&c) && is_generic(&c.rule);
    // A failure code alone, said to the greeting or to EHLO/HELO, refuses the
    // client too (Exim: "SMTP error from remote mail server after initial
    // connection: 554 mx.example.com"); said to MAIL FROM it may be anything.
    let bare_failure = code_only(&c) && c.reason != Reason::Delivered && (c.reply_code.is_some() || c.status.is_some());
    if !(address_verdict || bare_failure) {
        return c;
    }
    let stage = stated_stage(text);
    if !address_verdict && stage != Some("CONN") {
        return c;
    }
    match at_stage(&c, stage) {
        Some((reason, why)) => with_reason(c, reason, why),
        None => c,
    }
}

/// The stage a lone line states outright, as Postfix ("in reply to MAIL
/// FROM command") and Exim ("after MAIL FROM:", "after initial connection")
/// write it. Narrower than [`util::detect_command`]: a line's prose may say
/// "mail from" of anything ("not accepting mail from you"). Both MTAs write
/// the lead-in in lower case: one vectorised search for each. Python's
/// smtplib names the stage in its exception's class instead
/// ("smtplib.SMTPHeloError: (501, ...)").
fn stated_stage(text: &str) -> Option<&'static str> {
    if text.contains("SMTPSenderRefused") {
        return Some("MAIL");
    }
    if text.contains("SMTPHeloError") {
        return Some("CONN");
    }
    static LEADS: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 2]> = std::sync::OnceLock::new();
    let leads = LEADS.get_or_init(|| [memchr::memmem::Finder::new("in reply to "), memchr::memmem::Finder::new("after ")]);
    let mut stage = None;
    for lead in leads {
        for i in lead.find_iter(text.as_bytes()) {
            // The lead is ASCII: the byte after it is a char boundary.
            let rest = &text[i + lead.needle().len()..];
            if util::starts_with_ci(rest, "mail from") {
                return Some("MAIL");
            }
            if ["initial connection", "ehlo", "helo"].iter().any(|w| util::starts_with_ci(rest, w)) {
                stage = Some("CONN");
            }
        }
    }
    stage
}

/// Whether the report's unknown-host verdicts all name one and the same
/// host that failed to resolve, for recipients in several domains, none of
/// which is that host (Postfix: "Name service error for
/// name=smtp.corp.example.com type=AAAA: Host not found" for recipients at
/// three companies). That host is on the way out, a relay host the sender
/// set, not the recipients' domains: a fault of the path, not their verdict.
fn failed_relay_lookup<'a>(verdicts: impl Iterator<Item = (&'a str, &'a str, &'a Classification)>) -> bool {
    let (mut host, mut domains, mut count) = (None::<&str>, Vec::<&str>::new(), 0);
    for (recipient, diagnostic, c) in verdicts {
        if c.reason != Reason::HostUnknown {
            continue;
        }
        let Some(name) = util::find_ci(diagnostic, "name=").map(|i| &diagnostic[i + 5..]) else { return false };
        let name = name.split(|c: char| c.is_whitespace() || c == ',' || c == ';').next().unwrap_or("").trim_end_matches('.');
        let Some((_, domain)) = recipient.rsplit_once('@') else { return false };
        // The domain itself or a host under it (its MX hosts often are).
        let under = util::ends_with_ci(name, domain) && (name.len() == domain.len() || name.as_bytes()[name.len() - domain.len() - 1] == b'.');
        if name.is_empty() || under || host.is_some_and(|h| !h.eq_ignore_ascii_case(name)) {
            return false;
        }
        host = Some(name);
        if !domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
            domains.push(domain);
        }
        count += 1;
    }
    count >= 2 && domains.len() >= 2
}

/// A local delivery program failed and its text says nothing more precise
/// than a vague code or an address complaint (procmail's "No such user" is
/// the program failing to write, not a verdict on the address).
fn local_mailer_failure(c: &Classification) -> bool {
    // (A bare X.3.0 reads as the system's fault; from a local program, the
    // program's.)
    is_generic(&c.rule) && matches!(c.reason, Reason::UserUnknown | Reason::Filtered | Reason::OnHold | Reason::Undefined)
        || c.reason == Reason::SystemError && code_only(c)
}

/// A verdict that no wording decided: the code alone, or nothing, left
/// the reason open.
fn vague(c: &Classification) -> bool {
    matches!(c.reason, Reason::Undefined | Reason::OnHold) && code_only(c)
}

/// The reason the report's human-readable notice gives, when its machine
/// part gave none (163.com's "rejected by system" beside a notice that
/// says the message was taken for spam): the first text a rule decides.
fn notification_reason(classifier: &Classifier, texts: &[Cow<'_, str>], c: &Classification) -> Option<Reason> {
    // A notice is a few lines; a long text is more than the notice.
    const NOTICE_MAX: usize = 4096;
    texts.iter().filter(|t| t.len() <= NOTICE_MAX).find_map(|t| {
        let n = classifier.classify_with(t, FoundCodes { status: c.status, reply: c.reply_code });
        (!matches!(n.reason, Reason::Delivered | Reason::Undefined | Reason::OnHold) && !n.rule.starts_with("status:")).then_some(n.reason)
    })
}

/// Whether a verdict is about the recipient's address (user, host,
/// recipient's filter): the verdicts a stated stage can show to be the
/// sender's or the client's instead.
fn about_address(c: &Classification) -> bool {
    matches!(c.reason, Reason::UserUnknown | Reason::HostUnknown | Reason::Filtered)
}

/// Whether a verdict came from wording anyone may write or from a code alone
/// (not from a provider's or product's own wording).
fn is_generic(rule: &str) -> bool {
    ["generic-", "lang-", "status:", "reply:", "none"].iter().any(|p| rule.starts_with(p))
}

/// The same verdict with another reason (bounce type and action follow).
pub(crate) fn with_reason(mut c: Classification, reason: Reason, why: &str) -> Classification {
    let class = c.status.map(|s| s.class().digit()).or(c.reply_code.map(|r| r.class_digit()));
    c.reason = reason;
    c.bounce_type = reason.bounce_type_for(class);
    c.action = default_action(reason, c.bounce_type);
    c.rule = format!("{}+{why}", c.rule).into();
    c
}

/// A fixed verdict that no rule decides: vacation, feedback, delivered.
pub(crate) fn fixed_classification(reason: Reason, status: Option<StatusCode>, reply: Option<ReplyCode>) -> Classification {
    let info = reason.info();
    let bounce_type = reason.bounce_type_for(status.map(|s| s.class().digit()).or(reply.map(|r| r.class_digit())));
    let category = status.map(|s| Category::of_subject(s.subject())).unwrap_or(info.category);
    Classification {
        status,
        status_source: if status.is_some() { StatusSource::Found } else { StatusSource::None },
        reply_code: reply,
        reason,
        bounce_type: if matches!(reason, Reason::Vacation | Reason::Feedback | Reason::Delivered) {
            BounceType::None
        } else {
            bounce_type
        },
        category,
        action: default_action(reason, bounce_type),
        description: info.definition.as_str().into(),
        rule: format!("kind:{}", reason.as_str()).into(),
        note: None,
    }
}
