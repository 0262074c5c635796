//! What a domain check found: the verdict, the DNS answer, each MX host.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The verdict on a domain's mail service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A mail host of the domain greeted with 2xx: mail can be delivered to
    /// the domain (this says nothing about any one mailbox).
    Deliverable,
    /// The domain says it takes no mail: a null MX (RFC 7505), or neither MX
    /// nor A/AAAA records (RFC 5321 §5.1).
    NoMail,
    /// The domain does not exist (NXDOMAIN).
    NoSuchDomain,
    /// DNS gave no answer that can be trusted (SERVFAIL, REFUSED, timeout):
    /// temporary, try later.
    DnsFailure,
    /// No mail host could be reached: every connection was refused or timed
    /// out, or hosts answered only with 4xx greetings.
    Unreachable,
    /// A mail host greeted with 5xx (typically 554): it refuses all mail.
    Rejecting,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 6] = [
        Verdict::Deliverable,
        Verdict::NoMail,
        Verdict::NoSuchDomain,
        Verdict::DnsFailure,
        Verdict::Unreachable,
        Verdict::Rejecting,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Deliverable => "deliverable",
            Verdict::NoMail => "no_mail",
            Verdict::NoSuchDomain => "no_such_domain",
            Verdict::DnsFailure => "dns_failure",
            Verdict::Unreachable => "unreachable",
            Verdict::Rejecting => "rejecting",
        }
    }

    /// Whether the domain can take mail now.
    pub fn is_deliverable(self) -> bool {
        self == Verdict::Deliverable
    }

    /// Whether the failure may go away by itself (DNS trouble, hosts down).
    pub fn is_temporary(self) -> bool {
        matches!(self, Verdict::DnsFailure | Verdict::Unreachable)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::UnknownName { kind: "verdict", name: s.into() })
    }
}

/// Where the list of mail hosts came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MxSource {
    /// MX records.
    Mx,
    /// No MX records: the domain's own A/AAAA records, as RFC 5321 §5.1 says.
    Address,
    /// A null MX (preference 0, exchange `.`, RFC 7505).
    NullMx,
    /// Neither MX nor A/AAAA records.
    None,
    /// The lookup failed (the domain does not exist, or DNS failed).
    Failed,
}

/// The DNS part of a check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnsReport {
    /// Where the mail hosts came from.
    pub source: MxSource,
    /// The DNS response code or failure of the lookup that decided
    /// (`NXDOMAIN`, `SERVFAIL`, `timeout`, ...), when it failed.
    pub error: Option<String>,
    /// Time spent on the MX (and fallback A/AAAA) lookups, in milliseconds.
    pub lookup_ms: f64,
}

/// How one connection attempt (or one MX host) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// The host greeted with 2xx.
    Accepted,
    /// The host greeted with 5xx.
    Rejected,
    /// The host greeted with 4xx (busy, try later).
    Deferred,
    /// The connection was refused.
    Refused,
    /// The connection or the greeting did not come within the timeout.
    Timeout,
    /// Anything else: reset, network unreachable, not SMTP.
    Error,
    /// The host name has no address.
    NoAddress,
    /// The host's addresses could not be looked up (DNS failure).
    DnsFailure,
    /// Not tried: an earlier host accepted, or past `max_mx`.
    NotTried,
}

/// One SMTP reply: the code and its text lines (without the code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpReply {
    /// The three-digit reply code.
    pub code: u16,
    /// The text of each line.
    pub lines: Vec<String>,
}

impl SmtpReply {
    /// The text lines joined with spaces.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }
}

/// One TCP connection to one address of an MX host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// The address and port.
    pub address: SocketAddr,
    /// How it ended.
    pub outcome: ProbeOutcome,
    /// The greeting.
    pub banner: Option<SmtpReply>,
    /// The reply to EHLO (or to HELO when EHLO was refused with 500/502).
    pub ehlo: Option<SmtpReply>,
    /// Whether the EHLO reply advertises STARTTLS; `None` unless asked for.
    pub starttls: Option<bool>,
    /// What went wrong, in words.
    pub error: Option<String>,
    /// Time to open the connection, in milliseconds.
    pub connect_ms: Option<f64>,
    /// Time from connected to the greeting, in milliseconds.
    pub banner_ms: Option<f64>,
    /// Time from EHLO sent to its reply, in milliseconds.
    pub ehlo_ms: Option<f64>,
}

/// One MX host (or the domain itself, when it has no MX records).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MxCheck {
    /// The host name, without the trailing dot.
    pub host: String,
    /// Its MX preference (0 for the A/AAAA fallback).
    pub preference: u16,
    /// Its addresses, IPv4 first.
    pub addresses: Vec<IpAddr>,
    /// How the host as a whole ended: its best probe, or why it had none.
    pub outcome: ProbeOutcome,
    /// Why its addresses could not be looked up, when they could not.
    pub dns_error: Option<String>,
    /// The connections made, in order.
    pub probes: Vec<Probe>,
}

/// The result of checking one domain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainCheck {
    /// The domain as looked up (lower case, IDNA A-labels, no trailing dot).
    pub domain: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one sentence.
    pub detail: String,
    /// The DNS lookups.
    pub dns: DnsReport,
    /// The mail hosts in preference order.
    pub mx: Vec<MxCheck>,
    /// Time for the whole check, in milliseconds.
    pub elapsed_ms: f64,
}
