//! Typed, validated events, and the scan output rows they come from.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::registry::default_action;
use crate::{Action, BounceType, Classification, Reason, ReplyCode, StatusCode};

/// The earliest accepted event time: 1990-01-01T00:00:00Z. (A time of 0 is
/// the classic sign of a missing date.)
pub const MIN_TIME: i64 = 631_152_000;
/// The latest accepted event time: 2100-01-01T00:00:00Z.
pub const MAX_TIME: i64 = 4_102_444_800;
/// Diagnostics longer than this many bytes are cut (at a character boundary).
pub const MAX_DIAGNOSTIC: usize = 4096;
/// Addresses longer than this are refused.
pub const MAX_ADDRESS: usize = 320;
/// Message ids and sources longer than this are refused.
pub const MAX_FIELD: usize = 2048;

/// What is wrong with an event: the field, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventError {
    /// `recipient`, `time`, `reason`, `status`, ...
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for EventError {}

fn bad(field: &'static str, message: impl Into<String>) -> EventError {
    EventError { field, message: message.into() }
}

/// One bounce event of one recipient, as the ledger records it.
///
/// ```
/// use bouncekit::{classify, ledger::Event, Reason};
/// let c = classify("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown");
/// let e = Event::from_classification("Bob@Example.com", 1_714_557_600, &c).message_id("abc@mx.example.net");
/// assert_eq!(e.reason, Reason::UserUnknown);
/// assert!(e.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The recipient address (stored lowercased, without angle brackets).
    pub recipient: String,
    /// When it bounced: unix seconds in [`MIN_TIME`, `MAX_TIME`).
    pub time: i64,
    /// The reason.
    pub reason: Reason,
    /// Hard, soft or none.
    pub bounce_type: BounceType,
    /// The enhanced status code.
    pub status: Option<StatusCode>,
    /// The SMTP reply code.
    pub reply_code: Option<ReplyCode>,
    /// The classification's action.
    pub action: Action,
    /// The bounce message's own Message-ID: with the recipient, the event's
    /// identity (the same bounce imported twice counts once). Without it,
    /// the identity is a hash of recipient, time and diagnostic.
    pub message_id: Option<String>,
    /// Where it came from (a path, `path#N`, a log name).
    pub source: Option<String>,
    /// The diagnostic text.
    pub diagnostic: Option<String>,
}

impl Event {
    /// An event with the reason's default bounce type and action.
    pub fn new(recipient: impl Into<String>, time: i64, reason: Reason) -> Self {
        let bounce_type = reason.info().bounce_type;
        Event {
            recipient: recipient.into(),
            time,
            reason,
            bounce_type,
            status: None,
            reply_code: None,
            action: default_action(reason, bounce_type),
            message_id: None,
            source: None,
            diagnostic: None,
        }
    }

    /// The event of a classification.
    pub fn from_classification(recipient: impl Into<String>, time: i64, c: &Classification) -> Self {
        Event {
            recipient: recipient.into(),
            time,
            reason: c.reason,
            bounce_type: c.bounce_type,
            status: c.status,
            reply_code: c.reply_code,
            action: c.action,
            message_id: None,
            source: None,
            diagnostic: None,
        }
    }

    /// Sets the bounce type.
    pub fn bounce_type(mut self, t: BounceType) -> Self {
        self.bounce_type = t;
        self
    }

    /// Sets the bounce message's Message-ID.
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// Sets the source.
    pub fn source(mut self, s: impl Into<String>) -> Self {
        self.source = Some(s.into());
        self
    }

    /// Sets the diagnostic text.
    pub fn diagnostic(mut self, d: impl Into<String>) -> Self {
        self.diagnostic = Some(d.into());
        self
    }

    /// Checks the event: a valid address, a time in range, sane fields.
    pub fn validate(&self) -> Result<(), EventError> {
        self.checked().map(drop)
    }

    /// [`Event::validate`], returning the normalized recipient.
    pub(crate) fn checked(&self) -> Result<String, EventError> {
        let recipient = normalize_address(&self.recipient).map_err(|m| bad("recipient", m))?;
        check_time(self.time)?;
        for (field, v) in [("message_id", &self.message_id), ("source", &self.source)] {
            if let Some(v) = v {
                if v.len() > MAX_FIELD {
                    return Err(bad(field, format!("longer than {MAX_FIELD} bytes")));
                }
                if v.chars().any(char::is_control) {
                    return Err(bad(field, format!("{:?} contains control characters", clip(v))));
                }
            }
        }
        Ok(recipient)
    }

    /// The event's identity: message id + recipient, or else a hash of
    /// recipient, time and diagnostic (reason, status, reply code and source
    /// when there is no diagnostic). Reclassifying the same bounce with a
    /// newer bouncekit gives the same key.
    pub(crate) fn key(&self, recipient: &str, diagnostic: Option<&str>) -> [u8; 8] {
        let mut h = Fnv128::new();
        match &self.message_id {
            Some(id) => {
                h.field(b"m");
                h.field(id.trim().trim_matches(['<', '>']).as_bytes());
                h.field(recipient.as_bytes());
            }
            None => {
                h.field(b"c");
                h.field(recipient.as_bytes());
                h.field(&self.time.to_le_bytes());
                match diagnostic.filter(|d| !d.trim().is_empty()) {
                    Some(d) => h.field(d.trim().as_bytes()),
                    None => {
                        h.field(self.reason.as_str().as_bytes());
                        h.field(self.status.map(|s| s.to_string()).unwrap_or_default().as_bytes());
                        h.field(&self.reply_code.map(|r| r.get()).unwrap_or(0).to_le_bytes());
                        h.field(self.source.as_deref().unwrap_or("").as_bytes());
                    }
                }
            }
        }
        h.finish()
    }
}

pub(crate) fn check_time(t: i64) -> Result<(), EventError> {
    if !(MIN_TIME..MAX_TIME).contains(&t) {
        return Err(bad(
            "time",
            format!("{t} is out of range: expected unix seconds from {MIN_TIME} (1990-01-01) to {MAX_TIME} (2100-01-01)"),
        ));
    }
    Ok(())
}

/// The diagnostic as stored: trimmed, at most [`MAX_DIAGNOSTIC`] bytes.
pub(crate) fn clip_diagnostic(d: &str) -> &str {
    let d = d.trim();
    if d.len() <= MAX_DIAGNOSTIC {
        return d;
    }
    let mut end = MAX_DIAGNOSTIC;
    while !d.is_char_boundary(end) {
        end -= 1;
    }
    &d[..end]
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// An address as the ledger keys it: trimmed, angle brackets removed,
/// lowercased; refused when it has not exactly one `@`, an empty local part
/// or domain, whitespace or control characters, or a domain that is not a
/// host name or an address literal.
///
/// ```
/// use bouncekit::ledger::normalize_address;
/// assert_eq!(normalize_address(" <Bob@Example.COM> ").unwrap(), "bob@example.com");
/// assert!(normalize_address("bob").is_err());
/// assert!(normalize_address("a@b@c").is_err());
/// assert!(normalize_address("bob@").is_err());
/// ```
pub fn normalize_address(address: &str) -> Result<String, String> {
    let a = address.trim();
    let a = a.strip_prefix('<').and_then(|x| x.strip_suffix('>')).unwrap_or(a);
    if a.is_empty() {
        return Err("empty address".into());
    }
    if a.len() > MAX_ADDRESS {
        return Err(format!("{:?}... is longer than {MAX_ADDRESS} bytes", clip(a)));
    }
    if a.chars().any(char::is_control) {
        return Err(format!("{:?} contains control characters", clip(a)));
    }
    if a.chars().any(char::is_whitespace) {
        return Err(format!("{:?} contains whitespace", clip(a)));
    }
    let (local, domain) = match a.split_once('@') {
        Some((l, d)) if !d.contains('@') => (l, d),
        Some(_) => return Err(format!("{:?} has more than one @", clip(a))),
        None => return Err(format!("{:?} has no @", clip(a))),
    };
    if local.is_empty() {
        return Err(format!("{:?} has an empty local part", clip(a)));
    }
    if local.contains(['<', '>']) {
        return Err(format!("{:?} has angle brackets in its local part", clip(a)));
    }
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() {
        return Err(format!("{:?} has an empty domain", clip(a)));
    }
    let literal = domain.starts_with('[') && domain.ends_with(']');
    let host_ok = domain.split('.').all(|label| {
        !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    });
    if !literal && !host_ok {
        return Err(format!("{:?}: {domain:?} is not a domain name", clip(a)));
    }
    // Most addresses are ASCII: lower-case them without the Unicode tables.
    if a.is_ascii() {
        let mut out = String::with_capacity(local.len() + 1 + domain.len());
        out.push_str(local);
        out.push('@');
        out.push_str(domain);
        out.make_ascii_lowercase();
        return Ok(out);
    }
    Ok(format!("{local}@{domain}").to_lowercase())
}

/// The domain of a normalized address.
pub(crate) fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

/// FNV-1a, 128 bits, over length-prefixed fields: stable across versions
/// and platforms (a stored key must never change meaning).
struct Fnv128(u128);

impl Fnv128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;

    fn new() -> Self {
        Fnv128(Self::OFFSET)
    }

    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u128::from(x);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    fn field(&mut self, b: &[u8]) {
        self.bytes(&(b.len() as u64).to_le_bytes());
        self.bytes(b);
    }

    /// The high 64 bits (FNV's best mixed; schema v3 keeps these 8 bytes).
    fn finish(&self) -> [u8; 8] {
        ((self.0 >> 64) as u64).to_be_bytes()
    }
}

/// A number or a string (scan rows write reply codes and times either way).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum NumOrText {
    /// A JSON number.
    Num(f64),
    /// A JSON string.
    Text(String),
}

/// One row of `bouncekit scan --format jsonl` (DESIGN.md "Output contract"),
/// as far as the ledger reads it; other fields are ignored.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ScanRow {
    /// The recipient address.
    pub recipient: String,
    /// The reason word.
    pub reason: String,
    /// hard, soft, none (the reason's default when absent).
    pub bounce_type: Option<String>,
    /// The enhanced status code.
    pub status: Option<String>,
    /// The SMTP reply code.
    pub reply_code: Option<NumOrText>,
    /// suppress, retry, fix_sender, ignore (the default for reason and bounce type when absent).
    pub action: Option<String>,
    /// When: unix seconds, RFC 3339 or an RFC 5322 date.
    #[serde(alias = "time")]
    pub timestamp: Option<NumOrText>,
    /// The bounce message's Message-ID.
    pub message_id: Option<String>,
    /// Where the row came from.
    pub source: Option<String>,
    /// The diagnostic text.
    pub diagnostic: Option<String>,
    /// The message kind (`bounce`, `delay`, `feedback`, ...).
    pub message_kind: Option<String>,
    /// The DSN action (`failed`, `delayed`, `delivered`, ...).
    pub dsn_action: Option<String>,
}

impl ScanRow {
    /// A "still trying" notice (message kind `delay` or DSN action
    /// `delayed`): not a bounce. The ledger does not record these: the
    /// final failure, if it comes, is the event (else every delayed
    /// message would count twice toward the soft-bounce threshold).
    pub fn is_delay_notice(&self) -> bool {
        let is = |v: &Option<String>, w: &str| v.as_deref().is_some_and(|x| x.trim().eq_ignore_ascii_case(w));
        is(&self.message_kind, "delay") || is(&self.dsn_action, "delayed")
    }

    /// The event of this row. `default_time` stands in for a missing
    /// timestamp (never for an unreadable one).
    pub fn to_event(&self, default_time: Option<i64>) -> Result<Event, EventError> {
        let reason: Reason = self.reason.trim().parse().map_err(|_| {
            bad(
                "reason",
                if self.reason.trim().is_empty() {
                    "missing".to_string()
                } else {
                    format!("unknown reason {:?} (the reasons are those of `bouncekit reasons`)", clip(&self.reason))
                },
            )
        })?;
        let nonempty = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let status = match nonempty(&self.status) {
            Some(s) => Some(s.parse::<StatusCode>().map_err(|e| bad("status", e.to_string()))?),
            None => None,
        };
        let reply_code = match &self.reply_code {
            None => None,
            Some(NumOrText::Text(t)) if t.trim().is_empty() => None,
            Some(v) => {
                let n = match v {
                    NumOrText::Num(n) if n.fract() == 0.0 && (0.0..=999.0).contains(n) => *n as u16,
                    NumOrText::Text(t) => t.trim().parse::<u16>().map_err(|_| bad("reply_code", format!("{:?} is not a number", clip(t))))?,
                    NumOrText::Num(n) => return Err(bad("reply_code", format!("{n} is not a reply code"))),
                };
                Some(ReplyCode::new(n).map_err(|e| bad("reply_code", e.to_string()))?)
            }
        };
        let class = status.map(|s| s.class().digit()).or(reply_code.map(|r| r.class_digit()));
        let bounce_type = match nonempty(&self.bounce_type) {
            Some(b) => b.parse().map_err(|_| bad("bounce_type", format!("unknown bounce type {:?}: expected hard, soft or none", clip(&b))))?,
            None => reason.bounce_type_for(class),
        };
        let action = match nonempty(&self.action) {
            Some(a) => a.parse().map_err(|_| bad("action", format!("unknown action {:?}: expected suppress, retry, fix_sender or ignore", clip(&a))))?,
            None => default_action(reason, bounce_type),
        };
        let time = match &self.timestamp {
            None => None,
            Some(NumOrText::Text(t)) if t.trim().is_empty() => None,
            Some(NumOrText::Num(n)) if n.is_finite() => Some(n.trunc() as i64),
            Some(NumOrText::Num(n)) => return Err(bad("timestamp", format!("{n} is not a time"))),
            Some(NumOrText::Text(t)) => Some(crate::parse_timestamp(t).ok_or_else(|| {
                bad("timestamp", format!("{:?} is not a date (expected unix seconds, RFC 3339 or an RFC 5322 date)", clip(t)))
            })?),
        };
        let time = time.or(default_time).ok_or_else(|| bad("timestamp", "missing (give a default time to record rows without one)"))?;
        let e = Event {
            recipient: self.recipient.clone(),
            time,
            reason,
            bounce_type,
            status,
            reply_code,
            action,
            message_id: nonempty(&self.message_id),
            source: nonempty(&self.source),
            diagnostic: nonempty(&self.diagnostic),
        };
        e.validate()?;
        Ok(e)
    }
}
