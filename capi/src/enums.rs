//! The verdict enums as C enums (`uint32_t` values 0..N, stable; new values
//! are only appended), their conversions, and their names.

#![allow(non_camel_case_types)]

use std::ffi::c_char;

use bouncekit::{
    Action, BounceType, Category, DsnAction, Level, MessageKind, Reason, StatusSource,
};

use crate::ffi::guard_value;

/// Why a message failed (or what it was, for non-failures): the reason
/// vocabulary, the words Sisimai users know. `bk_reason_name` gives the
/// word, `bk_reason_get_info` its definition, defaults and mappings.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_reason {
    /// `authfailure`: SPF, DKIM or DMARC checks failed.
    Authfailure = 0,
    /// `badreputation`: the sending IP or domain has a poor reputation.
    Badreputation = 1,
    /// `blocked`: the sending host was refused (blocklist, IP policy, HELO).
    Blocked = 2,
    /// `contenterror`: invalid headers, body or attachment.
    Contenterror = 3,
    /// `delivered`: delivered, not a failure.
    Delivered = 4,
    /// `emailtoolarge`: the message is too large.
    Emailtoolarge = 5,
    /// `expired`: the sending MTA gave up retrying.
    Expired = 6,
    /// `failedstarttls`: STARTTLS negotiation failed or TLS was required.
    Failedstarttls = 7,
    /// `feedback`: an ARF feedback report (complaint).
    Feedback = 8,
    /// `filtered`: rejected after DATA by a recipient-side filter.
    Filtered = 9,
    /// `hasmoved`: the mailbox moved with no forwarding address.
    Hasmoved = 10,
    /// `hostunknown`: the recipient domain does not exist.
    Hostunknown = 11,
    /// `mailboxfull`: the mailbox is over quota.
    Mailboxfull = 12,
    /// `mailererror`: a local mailer program failed.
    Mailererror = 13,
    /// `networkerror`: DNS or routing failure.
    Networkerror = 14,
    /// `norelaying`: relaying denied.
    Norelaying = 15,
    /// `notaccept`: the destination accepts no mail (null MX, 556).
    Notaccept = 16,
    /// `notcompliantrfc`: the message does not comply with RFC 5322.
    Notcompliantrfc = 17,
    /// `onhold`: not enough information to decide.
    Onhold = 18,
    /// `policyviolation`: the receiver's policy refused the message.
    Policyviolation = 19,
    /// `ratelimited`: too fast, too many messages or connections.
    Ratelimited = 20,
    /// `rejected`: the envelope sender was rejected.
    Rejected = 21,
    /// `requireptr`: the sending IP has no (matching) PTR record.
    Requireptr = 22,
    /// `securityerror`: another security or authentication problem.
    Securityerror = 23,
    /// `spamdetected`: the message was judged to be spam.
    Spamdetected = 24,
    /// `suppressed`: the address is on a suppression list.
    Suppressed = 25,
    /// `suspend`: the mailbox is disabled or suspended.
    Suspend = 26,
    /// `syntaxerror`: SMTP command syntax error.
    Syntaxerror = 27,
    /// `systemerror`: the remote system had an error.
    Systemerror = 28,
    /// `systemfull`: the remote system's disk is full.
    Systemfull = 29,
    /// `undefined`: nothing could be decided.
    Undefined = 30,
    /// `userunknown`: the mailbox does not exist.
    Userunknown = 31,
    /// `vacation`: an auto-reply (vacation, out of office).
    Vacation = 32,
    /// `virusdetected`: a virus was found in the message.
    Virusdetected = 33,
}

/// Whether the address itself is bad (hard), may work later (soft), or
/// the message was not a failure at all (none).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_bounce_type {
    /// `hard`: the address will never work.
    Hard = 0,
    /// `soft`: the address may work later.
    Soft = 1,
    /// `none`: not a failure (delivered, vacation, feedback).
    None = 2,
}

/// The area of the status subject (RFC 3463).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_category {
    /// `addressing`: X.1.X.
    Addressing = 0,
    /// `mailbox`: X.2.X.
    Mailbox = 1,
    /// `mail_system`: X.3.X.
    MailSystem = 2,
    /// `network_routing`: X.4.X.
    NetworkRouting = 3,
    /// `protocol`: X.5.X.
    Protocol = 4,
    /// `content`: X.6.X.
    Content = 5,
    /// `security_policy`: X.7.X.
    SecurityPolicy = 6,
    /// `other`: X.0.X and anything else.
    Other = 7,
}

/// What the sender should do.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_action {
    /// `suppress`: stop sending to the address.
    Suppress = 0,
    /// `retry`: try again later.
    Retry = 1,
    /// `fix_sender`: the sending side must change (reputation,
    /// authentication, content); don't punish the recipient.
    FixSender = 2,
    /// `ignore`: nothing to do.
    Ignore = 3,
}

/// Where a classification's status code came from.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_status_source {
    /// `found`: in the text (or given as a hint).
    Found = 0,
    /// `derived`: not in the text; derived from the verdict.
    Derived = 1,
    /// `none`: no status at all.
    None = 2,
}

/// How specific an explanation is.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_level {
    /// `registered`: the code is in the IANA registry.
    Registered = 0,
    /// `subject`: not registered; the answer is the subject's and the class's.
    Subject = 1,
}

/// What kind of message a parsed report is.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_message_kind {
    /// `bounce`: delivery failed for at least one recipient.
    Bounce = 0,
    /// `delay`: delivery is delayed; the sender's MTA is still retrying.
    Delay = 1,
    /// `delivery`: a success (delivered, relayed, expanded) notification.
    Delivery = 2,
    /// `feedback`: an RFC 5965 feedback (complaint) report.
    Feedback = 3,
    /// `autoreply`: an RFC 3834 automatic reply (vacation, out of office).
    Autoreply = 4,
    /// `challenge`: a challenge-response request.
    Challenge = 5,
    /// `not_bounce`: none of the above.
    NotBounce = 6,
}

/// The RFC 3464 `Action:` of one recipient of a report.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_dsn_action {
    /// `failed`: delivery failed.
    Failed = 0,
    /// `delayed`: delivery is delayed.
    Delayed = 1,
    /// `delivered`: delivered.
    Delivered = 2,
    /// `relayed`: relayed to a system that sends no DSN.
    Relayed = 3,
    /// `expanded`: expanded (a list or alias).
    Expanded = 4,
}

/// Implements, for a C enum mirroring a core enum, both conversions, the
/// list of values and the NUL-terminated names.
macro_rules! impl_enum {
    ($c:ident <=> $core:ident { $($cv:ident <=> $corev:ident => $name:literal),+ $(,)? }) => {
        impl $c {
            /// Every value, in discriminant order (0..N).
            #[allow(dead_code)]
            pub(crate) const ALL: &'static [$c] = &[$($c::$cv),+];

            /// The value for a raw `uint32_t` from C, if it is one.
            #[allow(dead_code)]
            pub(crate) fn from_u32(v: u32) -> Option<$c> {
                Self::ALL.get(v as usize).copied()
            }

            /// The stable lowercase name, NUL-terminated.
            #[allow(dead_code)]
            pub(crate) fn c_name(self) -> &'static std::ffi::CStr {
                match self { $($c::$cv => $name),+ }
            }
        }

        impl From<$core> for $c {
            fn from(v: $core) -> $c {
                match v { $($core::$corev => $c::$cv),+ }
            }
        }

        impl From<$c> for $core {
            fn from(v: $c) -> $core {
                match v { $($c::$cv => $core::$corev),+ }
            }
        }
    };
}

impl_enum! {
    bk_reason <=> Reason {
        Authfailure <=> AuthFailure => c"authfailure",
        Badreputation <=> BadReputation => c"badreputation",
        Blocked <=> Blocked => c"blocked",
        Contenterror <=> ContentError => c"contenterror",
        Delivered <=> Delivered => c"delivered",
        Emailtoolarge <=> EmailTooLarge => c"emailtoolarge",
        Expired <=> Expired => c"expired",
        Failedstarttls <=> FailedStartTls => c"failedstarttls",
        Feedback <=> Feedback => c"feedback",
        Filtered <=> Filtered => c"filtered",
        Hasmoved <=> HasMoved => c"hasmoved",
        Hostunknown <=> HostUnknown => c"hostunknown",
        Mailboxfull <=> MailboxFull => c"mailboxfull",
        Mailererror <=> MailerError => c"mailererror",
        Networkerror <=> NetworkError => c"networkerror",
        Norelaying <=> NoRelaying => c"norelaying",
        Notaccept <=> NotAccept => c"notaccept",
        Notcompliantrfc <=> NotCompliantRfc => c"notcompliantrfc",
        Onhold <=> OnHold => c"onhold",
        Policyviolation <=> PolicyViolation => c"policyviolation",
        Ratelimited <=> RateLimited => c"ratelimited",
        Rejected <=> Rejected => c"rejected",
        Requireptr <=> RequirePtr => c"requireptr",
        Securityerror <=> SecurityError => c"securityerror",
        Spamdetected <=> SpamDetected => c"spamdetected",
        Suppressed <=> Suppressed => c"suppressed",
        Suspend <=> Suspend => c"suspend",
        Syntaxerror <=> SyntaxError => c"syntaxerror",
        Systemerror <=> SystemError => c"systemerror",
        Systemfull <=> SystemFull => c"systemfull",
        Undefined <=> Undefined => c"undefined",
        Userunknown <=> UserUnknown => c"userunknown",
        Vacation <=> Vacation => c"vacation",
        Virusdetected <=> VirusDetected => c"virusdetected",
    }
}

impl_enum! {
    bk_bounce_type <=> BounceType {
        Hard <=> Hard => c"hard",
        Soft <=> Soft => c"soft",
        None <=> None => c"none",
    }
}

impl_enum! {
    bk_category <=> Category {
        Addressing <=> Addressing => c"addressing",
        Mailbox <=> Mailbox => c"mailbox",
        MailSystem <=> MailSystem => c"mail_system",
        NetworkRouting <=> NetworkRouting => c"network_routing",
        Protocol <=> Protocol => c"protocol",
        Content <=> Content => c"content",
        SecurityPolicy <=> SecurityPolicy => c"security_policy",
        Other <=> Other => c"other",
    }
}

impl_enum! {
    bk_action <=> Action {
        Suppress <=> Suppress => c"suppress",
        Retry <=> Retry => c"retry",
        FixSender <=> FixSender => c"fix_sender",
        Ignore <=> Ignore => c"ignore",
    }
}

impl_enum! {
    bk_status_source <=> StatusSource {
        Found <=> Found => c"found",
        Derived <=> Derived => c"derived",
        None <=> None => c"none",
    }
}

impl_enum! {
    bk_level <=> Level {
        Registered <=> Registered => c"registered",
        Subject <=> Subject => c"subject",
    }
}

impl_enum! {
    bk_message_kind <=> MessageKind {
        Bounce <=> Bounce => c"bounce",
        Delay <=> Delay => c"delay",
        Delivery <=> Delivery => c"delivery",
        Feedback <=> Feedback => c"feedback",
        Autoreply <=> Autoreply => c"autoreply",
        Challenge <=> Challenge => c"challenge",
        NotBounce <=> NotBounce => c"not_bounce",
    }
}

impl_enum! {
    bk_dsn_action <=> DsnAction {
        Failed <=> Failed => c"failed",
        Delayed <=> Delayed => c"delayed",
        Delivered <=> Delivered => c"delivered",
        Relayed <=> Relayed => c"relayed",
        Expanded <=> Expanded => c"expanded",
    }
}

/// The word of a `bk_reason` value, e.g. `"userunknown"`.
///
/// Returns a static NUL-terminated string (valid for the life of the
/// process, never to be freed), or NULL when `value` is not a `bk_reason`.
#[no_mangle]
pub extern "C" fn bk_reason_name(value: u32) -> *const c_char {
    guard_value("bk_reason_name", std::ptr::null(), || {
        bk_reason::from_u32(value).map_or(std::ptr::null(), |v| v.c_name().as_ptr())
    })
}

/// The name of a `bk_bounce_type` value: `"hard"`, `"soft"` or `"none"`.
///
/// Returns a static NUL-terminated string (valid for the life of the
/// process, never to be freed), or NULL when `value` is not a `bk_bounce_type`.
#[no_mangle]
pub extern "C" fn bk_bounce_type_name(value: u32) -> *const c_char {
    guard_value("bk_bounce_type_name", std::ptr::null(), || {
        bk_bounce_type::from_u32(value).map_or(std::ptr::null(), |v| v.c_name().as_ptr())
    })
}

/// The name of a `bk_category` value, e.g. `"mail_system"`.
///
/// Returns a static NUL-terminated string (valid for the life of the
/// process, never to be freed), or NULL when `value` is not a `bk_category`.
#[no_mangle]
pub extern "C" fn bk_category_name(value: u32) -> *const c_char {
    guard_value("bk_category_name", std::ptr::null(), || {
        bk_category::from_u32(value).map_or(std::ptr::null(), |v| v.c_name().as_ptr())
    })
}

/// The name of a `bk_action` value, e.g. `"fix_sender"`.
///
/// Returns a static NUL-terminated string (valid for the life of the
/// process, never to be freed), or NULL when `value` is not a `bk_action`.
#[no_mangle]
pub extern "C" fn bk_action_name(value: u32) -> *const c_char {
    guard_value("bk_action_name", std::ptr::null(), || {
        bk_action::from_u32(value).map_or(std::ptr::null(), |v| v.c_name().as_ptr())
    })
}

/// The name of a `bk_status_source` value: `"found"`, `"derived"` or `"none"`.
///
/// Returns a static NUL-terminated string (valid for the life of the
/// process, never to be freed), or NULL when `value` is not a `bk_status_source`.
#[no_mangle]
pub extern "C" fn bk_status_source_name(value: u32) -> *const c_char {
    guard_value("bk_status_source_name", std::ptr::null(), || {
        bk_status_source::from_u32(value).map_or(std::ptr::null(), |v| v.c_name().as_ptr())
    })
}

/// The name of a `bk_level` value: `"registered"` or `"subject"`.
///
/// Returns a static NUL-terminated string (valid for the life of the
/// process, never to be freed), or NULL when `value` is not a `bk_level`.
#[no_mangle]
pub extern "C" fn bk_level_name(value: u32) -> *const c_char {
    guard_value("bk_level_name", std::ptr::null(), || {
        bk_level::from_u32(value).map_or(std::ptr::null(), |v| v.c_name().as_ptr())
    })
}

/// The name of a `bk_message_kind` value, e.g. `"bounce"` or `"not_bounce"`.
///
/// Returns a static NUL-terminated string (valid for the life of the
/// process, never to be freed), or NULL when `value` is not a `bk_message_kind`.
#[no_mangle]
pub extern "C" fn bk_message_kind_name(value: u32) -> *const c_char {
    guard_value("bk_message_kind_name", std::ptr::null(), || {
        bk_message_kind::from_u32(value).map_or(std::ptr::null(), |v| v.c_name().as_ptr())
    })
}

/// The name of a `bk_dsn_action` value, e.g. `"failed"`.
///
/// Returns a static NUL-terminated string (valid for the life of the
/// process, never to be freed), or NULL when `value` is not a `bk_dsn_action`.
#[no_mangle]
pub extern "C" fn bk_dsn_action_name(value: u32) -> *const c_char {
    guard_value("bk_dsn_action_name", std::ptr::null(), || {
        bk_dsn_action::from_u32(value).map_or(std::ptr::null(), |v| v.c_name().as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_core() {
        for &r in Reason::ALL {
            assert_eq!(bk_reason::from(r).c_name().to_str().unwrap(), r.as_str());
            assert_eq!(Reason::from(bk_reason::from(r)), r);
        }
        assert_eq!(Reason::ALL.len(), bk_reason::ALL.len());
        for &v in BounceType::ALL {
            assert_eq!(
                bk_bounce_type::from(v).c_name().to_str().unwrap(),
                v.as_str()
            );
        }
        for &v in Category::ALL {
            assert_eq!(bk_category::from(v).c_name().to_str().unwrap(), v.as_str());
        }
        for &v in Action::ALL {
            assert_eq!(bk_action::from(v).c_name().to_str().unwrap(), v.as_str());
        }
        for &v in bk_message_kind::ALL {
            assert_eq!(v.c_name().to_str().unwrap(), MessageKind::from(v).as_str());
        }
        for &v in bk_dsn_action::ALL {
            assert_eq!(v.c_name().to_str().unwrap(), DsnAction::from(v).as_str());
        }
        for (i, v) in bk_reason::ALL.iter().enumerate() {
            assert_eq!(*v as u32, i as u32);
        }
    }
}
