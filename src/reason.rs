//! The reason vocabulary (the words Sisimai users already know), the verdict
//! enums that go with it, and each reason's metadata from `data/reasons.toml`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::Error;

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $v),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The value's stable lowercase name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                match s {
                    $($s => Ok($name::$v),)+
                    _ => Err(Error::UnknownName { kind: stringify!($name), name: s.chars().take(64).collect() }),
                }
            }
        }
    };
}

word_enum! {
    /// Why a message failed (or what it was, for non-failures).
    Reason {
        /// SPF, DKIM or DMARC checks failed.
        AuthFailure => "authfailure",
        /// The sending IP or domain has a poor reputation.
        BadReputation => "badreputation",
        /// The sending host was refused (blocklist, IP policy, HELO).
        Blocked => "blocked",
        /// Invalid headers, body or attachment.
        ContentError => "contenterror",
        /// Delivered: not a failure.
        Delivered => "delivered",
        /// The message is too large.
        EmailTooLarge => "emailtoolarge",
        /// The sending MTA gave up retrying.
        Expired => "expired",
        /// STARTTLS negotiation failed or TLS was required.
        FailedStartTls => "failedstarttls",
        /// An ARF feedback report (complaint).
        Feedback => "feedback",
        /// Rejected after DATA by a recipient-side filter.
        Filtered => "filtered",
        /// The mailbox moved with no forwarding address.
        HasMoved => "hasmoved",
        /// The recipient domain does not exist.
        HostUnknown => "hostunknown",
        /// The mailbox is over quota.
        MailboxFull => "mailboxfull",
        /// A local mailer program failed.
        MailerError => "mailererror",
        /// DNS or routing failure.
        NetworkError => "networkerror",
        /// Relaying denied.
        NoRelaying => "norelaying",
        /// The destination accepts no mail (null MX, 556).
        NotAccept => "notaccept",
        /// The message does not comply with RFC 5322.
        NotCompliantRfc => "notcompliantrfc",
        /// Not enough information to decide.
        OnHold => "onhold",
        /// The receiver's policy refused the message.
        PolicyViolation => "policyviolation",
        /// Too fast, too many messages or connections.
        RateLimited => "ratelimited",
        /// The envelope sender was rejected.
        Rejected => "rejected",
        /// The sending IP has no (matching) PTR record.
        RequirePtr => "requireptr",
        /// Another security or authentication problem.
        SecurityError => "securityerror",
        /// The message was judged to be spam.
        SpamDetected => "spamdetected",
        /// The address is on a suppression list.
        Suppressed => "suppressed",
        /// The mailbox is disabled or suspended.
        Suspend => "suspend",
        /// SMTP command syntax error.
        SyntaxError => "syntaxerror",
        /// The remote system had an error.
        SystemError => "systemerror",
        /// The remote system's disk is full.
        SystemFull => "systemfull",
        /// Nothing could be decided.
        Undefined => "undefined",
        /// The mailbox does not exist.
        UserUnknown => "userunknown",
        /// An auto-reply (vacation, out of office).
        Vacation => "vacation",
        /// A virus was found in the message.
        VirusDetected => "virusdetected",
    }
}

word_enum! {
    /// Whether the address itself is bad (hard), may work later (soft), or
    /// the message was not a failure at all (none).
    BounceType {
        /// The address will never work.
        Hard => "hard",
        /// The address may work later.
        Soft => "soft",
        /// Not a failure: delivered, vacation, feedback.
        None => "none",
    }
}

word_enum! {
    /// The area of the status subject (RFC 3463).
    Category {
        /// X.1.X
        Addressing => "addressing",
        /// X.2.X
        Mailbox => "mailbox",
        /// X.3.X
        MailSystem => "mail_system",
        /// X.4.X
        NetworkRouting => "network_routing",
        /// X.5.X
        Protocol => "protocol",
        /// X.6.X
        Content => "content",
        /// X.7.X
        SecurityPolicy => "security_policy",
        /// X.0.X and anything else.
        Other => "other",
    }
}

word_enum! {
    /// What the sender should do.
    Action {
        /// Stop sending to the address.
        Suppress => "suppress",
        /// Try again later.
        Retry => "retry",
        /// The sending side must change (reputation, authentication, content); don't punish the recipient.
        FixSender => "fix_sender",
        /// Nothing to do.
        Ignore => "ignore",
    }
}

impl Category {
    /// The category of a status subject digit.
    pub fn of_subject(subject: u16) -> Category {
        match subject {
            1 => Category::Addressing,
            2 => Category::Mailbox,
            3 => Category::MailSystem,
            4 => Category::NetworkRouting,
            5 => Category::Protocol,
            6 => Category::Content,
            7 => Category::SecurityPolicy,
            _ => Category::Other,
        }
    }
}

/// Amazon SES bounceType / bounceSubType.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SesMapping {
    /// `Permanent`, `Transient` or `Undetermined`.
    #[serde(rename = "type")]
    pub bounce_type: String,
    /// e.g. `NoEmail`, `MailboxFull`, `General`.
    pub subtype: String,
}

/// What `data/reasons.toml` says of one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonInfo {
    /// What the reason means, in a sentence or two.
    pub definition: String,
    /// The default bounce type (notaccept is hard only with a 5xx code).
    pub bounce_type: BounceType,
    /// The default action.
    pub action: Action,
    /// The area the reason belongs to.
    pub category: Category,
    /// The typical enhanced status, reported when the text carries none.
    #[serde(default)]
    pub status: Option<String>,
    /// Amazon SES bounceType/bounceSubType.
    #[serde(default)]
    pub ses: Option<SesMapping>,
    /// SparkPost/Momentum bounce class (1..100).
    #[serde(default)]
    pub sparkpost: Option<u8>,
    /// KumoMTA bounce class.
    #[serde(default)]
    pub kumomta: Option<String>,
    /// SendGrid bounce classification.
    #[serde(default)]
    pub sendgrid: Option<String>,
    /// Postmark bounce type name.
    #[serde(default)]
    pub postmark: Option<String>,
}

#[derive(Deserialize)]
#[cfg_attr(not(test), allow(dead_code))]
struct ReasonsFile {
    reason: BTreeMap<Reason, ReasonInfo>,
}

/// A reason's metadata as build.rs read it from `data/reasons.toml`.
pub(crate) struct StaticReasonInfo {
    pub(crate) definition: &'static str,
    pub(crate) bounce_type: &'static str,
    pub(crate) action: &'static str,
    pub(crate) category: &'static str,
    pub(crate) status: Option<&'static str>,
    pub(crate) ses: Option<(&'static str, &'static str)>,
    pub(crate) sparkpost: Option<u8>,
    pub(crate) kumomta: Option<&'static str>,
    pub(crate) sendgrid: Option<&'static str>,
    pub(crate) postmark: Option<&'static str>,
}

impl StaticReasonInfo {
    fn to_info(&self) -> Result<ReasonInfo, Error> {
        let own = |s: Option<&str>| s.map(str::to_string);
        Ok(ReasonInfo {
            definition: self.definition.to_string(),
            bounce_type: self.bounce_type.parse()?,
            action: self.action.parse()?,
            category: self.category.parse()?,
            status: own(self.status),
            ses: self.ses.map(|(t, s)| SesMapping { bounce_type: t.to_string(), subtype: s.to_string() }),
            sparkpost: self.sparkpost,
            kumomta: own(self.kumomta),
            sendgrid: own(self.sendgrid),
            postmark: own(self.postmark),
        })
    }
}

/// Indexed by the reason's declaration order: a verdict reads it several
/// times, and an array index is cheaper than a tree search. Made from
/// build.rs's reading of the file (no TOML parse at run time).
fn table() -> &'static [ReasonInfo] {
    static T: OnceLock<Vec<ReasonInfo>> = OnceLock::new();
    T.get_or_init(|| {
        // The file is part of the build and checked by the test suite (and
        // below against serde's reading), so a failure here is a build
        // defect, not a user error.
        let mut by_reason = BTreeMap::new();
        for (name, info) in crate::embedded::REASONS {
            let reason: Reason = name.parse().unwrap_or_else(|e| panic!("data/reasons.toml: {e}"));
            by_reason.insert(reason, info.to_info().unwrap_or_else(|e| panic!("data/reasons.toml: reason {name}: {e}")));
        }
        Reason::ALL.iter().map(|r| by_reason.remove(r).unwrap_or_else(|| panic!("data/reasons.toml lacks {r}"))).collect()
    })
}

impl Reason {
    /// The reason's metadata: definition, defaults and mappings.
    ///
    /// ```
    /// use bouncekit::{Reason, BounceType};
    /// let info = Reason::MailboxFull.info();
    /// assert_eq!(info.bounce_type, BounceType::Soft);
    /// ```
    pub fn info(self) -> &'static ReasonInfo {
        // Every variant has an entry: tests/reasons.rs walks them all.
        &table()[self as usize]
    }

    /// The bounce type of this reason given the class digit of the codes
    /// found: notaccept is hard only with a permanent code, and an address
    /// verdict (userunknown, hostunknown, hasmoved) under a temporary 4xx
    /// code is soft, the receiver asking for a retry.
    ///
    /// ```
    /// use bouncekit::{BounceType, Reason};
    /// assert_eq!(Reason::UserUnknown.bounce_type_for(Some(5)), BounceType::Hard);
    /// assert_eq!(Reason::UserUnknown.bounce_type_for(Some(4)), BounceType::Soft);
    /// assert_eq!(Reason::UserUnknown.bounce_type_for(None), BounceType::Hard);
    /// ```
    pub fn bounce_type_for(self, class_digit: Option<u8>) -> BounceType {
        match self {
            Reason::NotAccept if class_digit != Some(5) => BounceType::Soft,
            Reason::UserUnknown | Reason::HostUnknown | Reason::HasMoved if class_digit == Some(4) => BounceType::Soft,
            _ => self.info().bounce_type,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What build.rs read of data/reasons.toml is what serde reads of it,
    /// field by field, for every reason: the two cannot drift.
    #[test]
    fn embedded_reasons_equal_serde_reading_of_the_file() {
        let f: ReasonsFile = toml::from_str(include_str!("../data/reasons.toml")).expect("data/reasons.toml is valid");
        assert_eq!(f.reason.len(), Reason::ALL.len());
        for (reason, info) in f.reason {
            assert_eq!(reason.info(), &info, "{reason}");
        }
    }
}
