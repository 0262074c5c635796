//! The one error type of the core.

use std::fmt;

/// Everything that can go wrong in bouncekit, each with a clear message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Not an enhanced status code (`class.subject.detail`, class 2/4/5, subject 0-7).
    InvalidStatusCode(String),
    /// Not an SMTP reply code (2xx-5xx, second digit 0-5).
    InvalidReplyCode(String),
    /// A word that is not in a vocabulary (reason, bounce type, category, action).
    UnknownName {
        /// Which vocabulary.
        kind: &'static str,
        /// The word given.
        name: String,
    },
    /// A rules file that does not load.
    Rules {
        /// The file (or `(phrases)`/`(patterns)` for compile errors).
        source: String,
        /// What is wrong.
        message: String,
    },
    /// A policy file that does not load.
    Policy {
        /// The file, or `(policy)` for text.
        source: String,
        /// What is wrong.
        message: String,
    },
    /// A message over one of the [`crate::message::Limits`].
    LimitExceeded {
        /// Which limit: `max_message_size`, `max_mime_depth`, `max_parts`, `max_recipients`.
        limit: &'static str,
        /// The limit.
        max: usize,
        /// What the message had.
        actual: usize,
    },
    /// The input is not an email message (no header block).
    NotAMessage,
    /// Not a domain name the domain check can look up.
    InvalidDomain {
        /// The input (shortened).
        domain: String,
        /// What is wrong.
        message: String,
    },
    /// An option of the domain check out of its range.
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The DNS resolver could not be set up (e.g. no usable system configuration).
    Resolver(String),
    /// The domain check could not run (no async runtime, a task that died).
    Check(String),
    /// An I/O error, with the path involved.
    Io {
        /// The path.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidStatusCode(s) => write!(
                f,
                "invalid enhanced status code {s:?}: expected class.subject.detail with class 2, 4 or 5, subject 0-7, detail 0-999"
            ),
            Error::InvalidReplyCode(s) => write!(f, "invalid SMTP reply code {s:?}: expected 2xx-5xx"),
            Error::UnknownName { kind, name } => write!(f, "unknown {} {name:?}", kind.to_lowercase()),
            Error::Rules { source, message } => write!(f, "rules {source}: {message}"),
            Error::Policy { source, message } => write!(f, "policy {source}: {message}"),
            Error::LimitExceeded { limit, max, actual } => {
                write!(f, "message over the {limit} limit ({actual} > {max})")
            }
            Error::NotAMessage => write!(f, "not an email message (no header block)"),
            Error::InvalidDomain { domain, message } => write!(f, "invalid domain {domain:?}: {message}"),
            Error::InvalidOption { option, message } => write!(f, "invalid option {option}: {message}"),
            Error::Resolver(message) => write!(f, "DNS resolver: {message}"),
            Error::Check(message) => write!(f, "domain check: {message}"),
            Error::Io { path, message } => write!(f, "{path}: {message}"),
        }
    }
}

impl std::error::Error for Error {}
