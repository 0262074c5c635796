//! How a domain check runs: resolver, port, timeouts, limits.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Which DNS resolver answers the lookups.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolverChoice {
    /// The system's (`/etc/resolv.conf` on Unix), with the search list not
    /// applied: names are looked up as given.
    #[default]
    System,
    /// One name server at this address and port (UDP, TCP when a reply is truncated).
    At(SocketAddr),
}

/// The options of [`check_domain`](super::check_domain) and
/// [`check_domains`](super::check_domains).
///
/// The defaults suit checks over the Internet; tests set the port and the
/// resolver to loopback servers of their own.
///
/// ```
/// use std::time::Duration;
/// use bouncekit::domain::{CheckOptions, ResolverChoice};
///
/// let opts = CheckOptions {
///     resolver: ResolverChoice::At("127.0.0.1:5353".parse().unwrap()),
///     smtp_timeout: Duration::from_secs(5),
///     ..CheckOptions::default()
/// };
/// assert_eq!(opts.port, 25);
/// assert!(opts.validate().is_ok());
/// assert!(CheckOptions { concurrency: 0, ..opts }.validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckOptions {
    /// The DNS resolver (default: the system's).
    pub resolver: ResolverChoice,
    /// The TCP port of the SMTP probe (default 25).
    pub port: u16,
    /// How long one DNS query may take before it is sent again or given up (default 5 s).
    pub dns_timeout: Duration,
    /// How many times a DNS query is sent before it counts as timed out (default 2).
    pub dns_attempts: usize,
    /// How long a TCP connection may take to open (default 10 s).
    pub connect_timeout: Duration,
    /// How long to wait for each SMTP reply: banner, EHLO, QUIT (default 30 s).
    pub smtp_timeout: Duration,
    /// Report whether each host advertises STARTTLS in its EHLO reply (default off).
    /// No TLS handshake is made.
    pub starttls: bool,
    /// The name sent with EHLO (default `localhost`).
    pub ehlo_name: String,
    /// At most this many MX hosts are probed, in preference order (default 5).
    pub max_mx: usize,
    /// At most this many addresses of one MX host are tried (default 2).
    pub max_addresses_per_mx: usize,
    /// Probe every MX host (up to `max_mx`) even after one accepted (default
    /// off: stop at the first host that greets, as a mail server would).
    pub probe_all_mx: bool,
    /// How many domains of a batch are checked at once (default 8). Each
    /// domain holds at most one SMTP connection at a time, so this is also the
    /// most connections open at once.
    pub concurrency: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            resolver: ResolverChoice::System,
            port: 25,
            dns_timeout: Duration::from_secs(5),
            dns_attempts: 2,
            connect_timeout: Duration::from_secs(10),
            smtp_timeout: Duration::from_secs(30),
            starttls: false,
            ehlo_name: "localhost".into(),
            max_mx: 5,
            max_addresses_per_mx: 2,
            probe_all_mx: false,
            concurrency: 8,
        }
    }
}

const MAX_TIMEOUT: Duration = Duration::from_secs(600);

impl CheckOptions {
    /// Checks every option is in range: timeouts above zero and at most 10
    /// minutes, counts at least 1 (`concurrency` at most 1024, `max_mx` and
    /// `max_addresses_per_mx` at most 50, `dns_attempts` at most 10), port
    /// not 0, and an EHLO name of letters, digits, `-`, `.` (or an address
    /// literal in brackets).
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |option, message: String| Err(Error::InvalidOption { option, message });
        for (name, t) in [
            ("dns_timeout", self.dns_timeout),
            ("connect_timeout", self.connect_timeout),
            ("smtp_timeout", self.smtp_timeout),
        ] {
            if t.is_zero() || t > MAX_TIMEOUT {
                return bad(name, format!("{t:?} is not between 0 and {MAX_TIMEOUT:?}"));
            }
        }
        for (name, n, max) in [
            ("dns_attempts", self.dns_attempts, 10),
            ("max_mx", self.max_mx, 50),
            ("max_addresses_per_mx", self.max_addresses_per_mx, 50),
            ("concurrency", self.concurrency, 1024),
        ] {
            if n == 0 || n > max {
                return bad(name, format!("{n} is not between 1 and {max}"));
            }
        }
        if self.port == 0 {
            return bad("port", "0 is not a port".into());
        }
        if !valid_ehlo_name(&self.ehlo_name) {
            return bad("ehlo_name", format!("{:?} is not a domain or address literal", self.ehlo_name));
        }
        Ok(())
    }
}

/// A name that cannot smuggle anything into the SMTP dialogue (no spaces,
/// no line breaks).
fn valid_ehlo_name(s: &str) -> bool {
    if s.is_empty() || s.len() > 255 {
        return false;
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_alphanumeric() || b":.".contains(&b));
    }
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}
