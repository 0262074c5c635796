//! One domain, step by step: MX (or A/AAAA) lookup, then the MX hosts in
//! preference order until one greets; and a batch of domains, a few at once.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use hickory_resolver::{Name, TokioResolver};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::dns::{self, Miss};
use super::options::CheckOptions;
use super::report::{DnsReport, DomainCheck, MxCheck, MxSource, ProbeOutcome, Verdict};
use super::smtp::{self, ms};
use crate::Error;

/// A mail host to probe: its name, preference, and its addresses when
/// already known (the A/AAAA fallback looked them up).
struct Host {
    name: Name,
    preference: u16,
    known: Option<Vec<IpAddr>>,
}

/// Checks one domain. Network trouble is a verdict, never an error.
pub(super) async fn check(resolver: &TokioResolver, domain: String, name: Name, opts: &CheckOptions) -> DomainCheck {
    let started = Instant::now();
    let done = |verdict, detail: String, source, error: Option<String>, mx: Vec<MxCheck>, lookup_ms| DomainCheck {
        domain: domain.clone(),
        verdict,
        detail,
        dns: DnsReport { source, error, lookup_ms },
        mx,
        elapsed_ms: ms(started.elapsed()),
    };
    let looked = Instant::now();
    let hosts = match dns::mx(resolver, &name).await {
        Err(Miss::NoSuchName) => {
            let t = ms(looked.elapsed());
            return done(Verdict::NoSuchDomain, "the domain does not exist (NXDOMAIN)".into(), MxSource::Failed, Some("NXDOMAIN".into()), vec![], t);
        }
        Err(Miss::Failed(why)) => {
            let t = ms(looked.elapsed());
            let detail = format!("the MX lookup failed ({why}); try again later");
            return done(Verdict::DnsFailure, detail, MxSource::Failed, Some(why), vec![], t);
        }
        Ok(records) if !records.is_empty() => {
            // RFC 7505: a domain with a null MX has no other; should it have
            // others anyway, they are the ones to try.
            let real: Vec<_> = records.into_iter().filter(|r| !r.exchange.is_root()).collect();
            if real.is_empty() {
                let t = ms(looked.elapsed());
                let detail = "null MX: the domain accepts no mail (RFC 7505)".into();
                return done(Verdict::NoMail, detail, MxSource::NullMx, None, vec![], t);
            }
            real.into_iter().map(|r| Host { name: r.exchange, preference: r.preference, known: None }).collect::<Vec<_>>()
        }
        Ok(_) | Err(Miss::NoRecords) => match dns::addresses(resolver, &name).await {
            // RFC 5321 §5.1: no MX, so the domain itself is the mail host.
            Ok(addrs) => vec![Host { name: name.clone(), preference: 0, known: Some(addrs) }],
            Err(miss) => {
                let t = ms(looked.elapsed());
                return match miss {
                    Miss::NoRecords => {
                        let detail = "neither MX nor A/AAAA records: the domain has no mail host".into();
                        done(Verdict::NoMail, detail, MxSource::None, Some("NODATA".into()), vec![], t)
                    }
                    Miss::NoSuchName => {
                        let detail = "the domain does not exist (NXDOMAIN)".into();
                        done(Verdict::NoSuchDomain, detail, MxSource::Failed, Some("NXDOMAIN".into()), vec![], t)
                    }
                    Miss::Failed(why) => {
                        let detail = format!("no MX records, and the A/AAAA lookup failed ({why}); try again later");
                        done(Verdict::DnsFailure, detail, MxSource::Failed, Some(why), vec![], t)
                    }
                };
            }
        },
    };
    let source = if hosts.first().is_some_and(|h| h.known.is_some()) { MxSource::Address } else { MxSource::Mx };
    let lookup_ms = ms(looked.elapsed());

    let mut checks = Vec::with_capacity(hosts.len());
    let mut accepted = false;
    for (i, host) in hosts.into_iter().enumerate() {
        let display = host.name.to_ascii();
        let mut m = MxCheck {
            host: display.strip_suffix('.').unwrap_or(&display).to_string(),
            preference: host.preference,
            addresses: vec![],
            outcome: ProbeOutcome::NotTried,
            dns_error: None,
            probes: vec![],
        };
        if i >= opts.max_mx || (accepted && !opts.probe_all_mx) {
            checks.push(m);
            continue;
        }
        let addrs = match host.known {
            Some(a) => Ok(a),
            None => dns::addresses(resolver, &host.name).await,
        };
        match addrs {
            Err(Miss::Failed(why)) => {
                m.outcome = ProbeOutcome::DnsFailure;
                m.dns_error = Some(why);
            }
            Err(miss) => {
                m.outcome = ProbeOutcome::NoAddress;
                m.dns_error = Some(miss.describe());
            }
            Ok(addrs) => {
                for ip in addrs.iter().take(opts.max_addresses_per_mx) {
                    let p = smtp::probe(SocketAddr::new(*ip, opts.port), opts).await;
                    let answered = matches!(p.outcome, ProbeOutcome::Accepted | ProbeOutcome::Rejected | ProbeOutcome::Deferred);
                    m.probes.push(p);
                    if answered {
                        break;
                    }
                }
                m.addresses = addrs;
                m.outcome = best(&m);
            }
        }
        accepted |= m.outcome == ProbeOutcome::Accepted;
        checks.push(m);
    }
    let (verdict, detail) = verdict(&checks);
    done(verdict, detail, source, None, checks, lookup_ms)
}

/// The host's outcome: its best probe (a greeting of any kind beats no greeting).
fn best(m: &MxCheck) -> ProbeOutcome {
    const ORDER: [ProbeOutcome; 6] = [
        ProbeOutcome::Accepted,
        ProbeOutcome::Rejected,
        ProbeOutcome::Deferred,
        ProbeOutcome::Timeout,
        ProbeOutcome::Refused,
        ProbeOutcome::Error,
    ];
    ORDER.into_iter().find(|o| m.probes.iter().any(|p| p.outcome == *o)).unwrap_or(ProbeOutcome::NoAddress)
}

fn verdict(checks: &[MxCheck]) -> (Verdict, String) {
    let greeting = |m: &MxCheck| {
        let b = m.probes.iter().rev().find_map(|p| p.banner.as_ref());
        b.map(|b| format!("{} {}", b.code, b.text()).trim_end().to_string()).unwrap_or_default()
    };
    if let Some(m) = checks.iter().find(|m| m.outcome == ProbeOutcome::Accepted) {
        return (Verdict::Deliverable, format!("{} greeted: {}", m.host, greeting(m)));
    }
    if let Some(m) = checks.iter().find(|m| m.outcome == ProbeOutcome::Rejected) {
        return (Verdict::Rejecting, format!("{} refuses mail: {}", m.host, greeting(m)));
    }
    let tried: Vec<&MxCheck> = checks.iter().filter(|m| m.outcome != ProbeOutcome::NotTried).collect();
    if !tried.is_empty() && tried.iter().all(|m| m.outcome == ProbeOutcome::DnsFailure) {
        let why = tried[0].dns_error.clone().unwrap_or_default();
        return (Verdict::DnsFailure, format!("the mail hosts' addresses could not be looked up ({why}); try again later"));
    }
    let parts: Vec<String> = tried.iter().map(|m| format!("{} {}", m.host, outcome_word(m.outcome))).collect();
    (Verdict::Unreachable, format!("no mail host could be reached: {}", parts.join(", ")))
}

fn outcome_word(o: ProbeOutcome) -> &'static str {
    match o {
        ProbeOutcome::Accepted => "accepted",
        ProbeOutcome::Rejected => "rejected",
        ProbeOutcome::Deferred => "deferred (4xx greeting)",
        ProbeOutcome::Refused => "refused the connection",
        ProbeOutcome::Timeout => "timed out",
        ProbeOutcome::Error => "failed",
        ProbeOutcome::NoAddress => "has no address",
        ProbeOutcome::DnsFailure => "could not be looked up",
        ProbeOutcome::NotTried => "not tried",
    }
}

/// Checks many domains, at most `opts.concurrency` at once; the results
/// come back in the order of `domains`.
pub(super) async fn check_many(
    resolver: TokioResolver,
    domains: Vec<(String, Name)>,
    opts: CheckOptions,
) -> Result<Vec<DomainCheck>, Error> {
    let resolver = Arc::new(resolver);
    let opts = Arc::new(opts);
    let permits = Arc::new(Semaphore::new(opts.concurrency));
    let mut tasks = JoinSet::new();
    let n = domains.len();
    for (i, (domain, name)) in domains.into_iter().enumerate() {
        let (resolver, opts, permits) = (resolver.clone(), opts.clone(), permits.clone());
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = permits.acquire_owned().await.ok();
            (i, check(&resolver, domain, name, &opts).await)
        });
    }
    let mut out: Vec<Option<DomainCheck>> = (0..n).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (i, c) = joined.map_err(|e| Error::Check(format!("a check task failed: {e}")))?;
        out[i] = Some(c);
    }
    Ok(out.into_iter().flatten().collect())
}
