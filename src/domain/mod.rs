//! The domain check (feature `check`): is a domain's mail service really
//! gone, and has it come back?
//!
//! For each domain: an MX lookup (falling back to the domain's own A/AAAA
//! records when it has no MX, RFC 5321 §5.1; a null MX, RFC 7505, means no
//! mail), then a TCP connection to each MX host in preference order on port
//! 25 that reads the greeting, sends `EHLO` and `QUIT`, and stops at the
//! first host that greets with 2xx. No mail is ever sent: never `MAIL
//! FROM`, `RCPT TO` or `DATA`. The verdict is one of [`Verdict`]; every
//! host's addresses, greeting, EHLO reply and timings come with it.
//!
//! Async (tokio, hickory-resolver) inside, a blocking API outside; safe to
//! call from inside a tokio runtime too (the check then runs on a thread of
//! its own).
//!
//! ```no_run
//! use bouncekit::domain::{check_domain, CheckOptions, Verdict};
//!
//! let c = check_domain("example.com", &CheckOptions::default()).unwrap();
//! match c.verdict {
//!     Verdict::Deliverable => println!("{} takes mail: {}", c.domain, c.detail),
//!     v if v.is_temporary() => println!("{}: {v}, try later", c.domain),
//!     v => println!("{}: {v}: {}", c.domain, c.detail),
//! }
//! ```
//!
//! Bad input is an error before any traffic:
//!
//! ```
//! use bouncekit::domain::{check_domain, check_domains, CheckOptions};
//!
//! assert!(matches!(check_domain("not a domain", &CheckOptions::default()), Err(bouncekit::Error::InvalidDomain { .. })));
//! let opts = CheckOptions { dns_attempts: 0, ..CheckOptions::default() };
//! assert!(matches!(check_domains(&["example.com"], &opts), Err(bouncekit::Error::InvalidOption { .. })));
//! assert!(check_domains(&[] as &[&str], &CheckOptions::default()).unwrap().is_empty());
//! ```

mod dns;
mod name;
mod options;
mod report;
mod run;
mod smtp;

use std::future::Future;

pub use options::{CheckOptions, ResolverChoice};
pub use report::{DnsReport, DomainCheck, MxCheck, MxSource, Probe, ProbeOutcome, SmtpReply, Verdict};

use crate::Error;

/// Checks one domain (see the [module documentation](self)).
///
/// Errors only for bad input ([`Error::InvalidDomain`],
/// [`Error::InvalidOption`]) or a resolver that cannot be set up
/// ([`Error::Resolver`]); whatever the network does is in the verdict.
pub fn check_domain(domain: &str, opts: &CheckOptions) -> Result<DomainCheck, Error> {
    let mut all = check_domains(&[domain], opts)?;
    all.pop().ok_or_else(|| Error::Check("no result".into()))
}

/// Checks many domains, at most `opts.concurrency` at once, sharing one
/// resolver (and its cache). The results are in the order of `domains`.
///
/// Every domain is validated first: one that is not a domain name fails
/// the whole call with [`Error::InvalidDomain`] before any traffic.
pub fn check_domains<S: AsRef<str>>(domains: &[S], opts: &CheckOptions) -> Result<Vec<DomainCheck>, Error> {
    opts.validate()?;
    let names = domains.iter().map(|d| name::parse_domain(d.as_ref())).collect::<Result<Vec<_>, _>>()?;
    if names.is_empty() {
        return Ok(vec![]);
    }
    let opts = opts.clone();
    block_on(async move {
        let resolver = dns::build_resolver(&opts)?;
        run::check_many(resolver, names, opts).await
    })
}

/// Runs `fut` to completion on a runtime of its own; from inside another
/// tokio runtime (where blocking on one would panic) on a thread of its own.
fn block_on<T: Send>(fut: impl Future<Output = Result<T, Error>> + Send) -> Result<T, Error> {
    let run = move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Check(format!("starting the async runtime: {e}")))?;
        rt.block_on(fut)
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return run();
    }
    std::thread::scope(|s| s.spawn(run).join().unwrap_or_else(|_| Err(Error::Check("the check thread panicked".into()))))
}
