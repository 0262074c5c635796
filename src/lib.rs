//! # bouncekit
//!
//! Reads what comes back when email fails and says, for each recipient, what
//! happened and what the sender should do.
//!
//! ```
//! use bouncekit::{classify, Reason, BounceType, Action};
//!
//! let c = classify("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org");
//! assert_eq!(c.reason, Reason::Blocked);
//! assert_eq!(c.bounce_type, BounceType::Soft);
//! assert_eq!(c.action, Action::FixSender); // the sender's IP is the problem, not the address
//!
//! let e = bouncekit::explain("5.1.1").unwrap();
//! assert_eq!(e.name, "Bad destination mailbox address");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod classify;
#[cfg(feature = "check")]
pub mod domain;
mod error;
mod find_byte;
#[cfg(feature = "ledger")]
pub mod ledger;
pub mod policy;
pub mod message;
pub mod scan;
mod reason;
mod registry;
mod rules;
mod status;
#[cfg(test)]
mod test_rng;
mod text;
mod timefmt;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub use classify::{classify, classify_bytes, Classification, Classifier, StatusSource};
pub use error::Error;
pub use policy::{Decision, DomainAction, DomainFlag, HistoryEvent, Policy};
pub use reason::{Action, BounceType, Category, Reason, ReasonInfo, SesMapping};
pub use message::{parse, parse_with, Bounce, DsnAction, Limits, MessageKind, Report, Row, RowRef};
pub use registry::{explain, explain_code, registered_codes, Explanation, Level};
pub use rules::{parse_rules, Rule, RuleSet, WEAK_BELOW};
pub use text::normalize_diagnostic;
pub use timefmt::{format_rfc3339, parse_timestamp};
pub use status::{find_codes, FoundCodes, ReplyCode, StatusClass, StatusCode, MAX_SUBJECT};

#[cfg(feature = "check")]
pub use domain::{check_domain, check_domains, CheckOptions, DomainCheck, Verdict};

/// The library version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
