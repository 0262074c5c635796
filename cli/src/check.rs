//! `bouncekit check-domain` and `bouncekit ledger recheck`: is a domain's
//! mail service there (again)?

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bouncekit::domain::{check_domains, CheckOptions, DomainCheck, Probe, ProbeOutcome, ResolverChoice};
use bouncekit::format_rfc3339;
use bouncekit::ledger as lg;
use clap::{Args, ValueEnum};
use serde_json::json;

/// How to check: resolver, port, timeouts, limits.
#[derive(Args, Clone)]
pub struct CheckArgs {
    /// The DNS server to ask (ADDR:PORT, e.g. 127.0.0.1:53). Default: the system's resolver.
    #[arg(long, value_name = "ADDR:PORT")]
    pub resolver: Option<SocketAddr>,
    /// The SMTP port to probe.
    #[arg(long, default_value_t = 25)]
    pub port: u16,
    /// Seconds to wait for a DNS answer, a connection, and each SMTP reply.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Report whether each host advertises STARTTLS (no TLS handshake is made).
    #[arg(long)]
    pub starttls: bool,
    /// Probe at most this many MX hosts per domain, in preference order.
    #[arg(long, default_value_t = 5)]
    pub max_mx: usize,
    /// Probe every MX host, not only up to the first that greets.
    #[arg(long)]
    pub all_mx: bool,
    /// Check at most this many domains at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The name sent with EHLO.
    #[arg(long, default_value = "localhost")]
    pub ehlo_name: String,
}

impl CheckArgs {
    pub fn options(&self) -> Result<CheckOptions> {
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 600.0) {
            bail!("--timeout {}: expected seconds above 0, at most 600", self.timeout);
        }
        let t = Duration::from_secs_f64(self.timeout);
        let opts = CheckOptions {
            resolver: self.resolver.map(ResolverChoice::At).unwrap_or(ResolverChoice::System),
            port: self.port,
            dns_timeout: t,
            connect_timeout: t,
            smtp_timeout: t,
            starttls: self.starttls,
            max_mx: self.max_mx,
            probe_all_mx: self.all_mx,
            concurrency: self.concurrency,
            ehlo_name: self.ehlo_name.clone(),
            ..CheckOptions::default()
        };
        opts.validate()?;
        Ok(opts)
    }
}

/// Output of `check-domain`.
#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Readable text (the default).
    Human,
    /// One JSON document (an array).
    Json,
    /// One JSON object a line.
    Jsonl,
}

/// `bouncekit check-domain DOMAIN...` (`-` reads one domain a line from stdin).
pub fn check_domain(out: &mut dyn Write, domains: Vec<String>, args: &CheckArgs, format: CheckFormat) -> Result<()> {
    let opts = args.options()?;
    let domains = if domains.len() == 1 && domains[0] == "-" {
        let mut v = Vec::new();
        for line in io::stdin().lock().lines() {
            let line = line.context("reading stdin")?;
            if !line.trim().is_empty() {
                v.push(line.trim().to_string());
            }
        }
        v
    } else {
        domains
    };
    if domains.is_empty() {
        bail!("check-domain needs at least one DOMAIN (or `-` to read them from stdin)");
    }
    let checks = check_domains(&domains, &opts)?;
    match format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &checks)?;
            writeln!(out)?;
        }
        CheckFormat::Jsonl => {
            for c in &checks {
                serde_json::to_writer(&mut *out, c)?;
                writeln!(out)?;
            }
        }
        CheckFormat::Human => {
            for c in &checks {
                human(out, c)?;
            }
        }
    }
    Ok(())
}

fn human(out: &mut dyn Write, c: &DomainCheck) -> Result<()> {
    writeln!(out, "{}  {}  {}", c.domain, c.verdict, c.detail)?;
    for m in &c.mx {
        let addrs: Vec<String> = m.addresses.iter().map(|a| a.to_string()).collect();
        let addrs = if addrs.is_empty() { String::new() } else { format!(" [{}]", addrs.join(", ")) };
        let why = m.dns_error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default();
        writeln!(out, "  MX {:>5} {}{addrs}: {}{why}", m.preference, m.host, outcome(m.outcome))?;
        for p in &m.probes {
            writeln!(out, "    {}", probe_line(p))?;
        }
    }
    Ok(())
}

fn probe_line(p: &Probe) -> String {
    let mut s = format!("{} {}", p.address, outcome(p.outcome));
    if let Some(b) = &p.banner {
        s += &format!("; greeting {} {}", b.code, b.lines.first().map(String::as_str).unwrap_or(""));
    }
    if let Some(e) = &p.ehlo {
        s += &format!("; EHLO {}", e.code);
    }
    if let Some(t) = p.starttls {
        s += if t { "; STARTTLS offered" } else { "; no STARTTLS" };
    }
    if let Some(e) = &p.error {
        s += &format!("; {e}");
    }
    let times: Vec<String> = [("connect", p.connect_ms), ("greeting", p.banner_ms), ("EHLO", p.ehlo_ms)]
        .into_iter()
        .filter_map(|(n, t)| t.map(|t| format!("{n} {t:.1} ms")))
        .collect();
    if !times.is_empty() {
        s += &format!(" ({})", times.join(", "));
    }
    s
}

fn outcome(o: ProbeOutcome) -> &'static str {
    match o {
        ProbeOutcome::Accepted => "accepted",
        ProbeOutcome::Rejected => "rejected",
        ProbeOutcome::Deferred => "deferred",
        ProbeOutcome::Refused => "refused",
        ProbeOutcome::Timeout => "timeout",
        ProbeOutcome::Error => "error",
        ProbeOutcome::NoAddress => "no address",
        ProbeOutcome::DnsFailure => "DNS failure",
        ProbeOutcome::NotTried => "not tried",
    }
}

/// `bouncekit ledger recheck`: checks every flagged domain; releases those
/// that take mail again (unless `dry_run`).
pub fn recheck(out: &mut dyn Write, ledger: &mut lg::Ledger, args: &CheckArgs, dry_run: bool, json_out: bool) -> Result<()> {
    let opts = args.options()?;
    let now = lg::now();
    let flags: Vec<_> = ledger.flags()?.into_iter().filter(|f| f.is_active(now)).collect();
    let domains: Vec<&str> = flags.iter().map(|f| f.domain.as_str()).collect();
    let checks = check_domains(&domains, &opts)?;
    let mut rows = Vec::new();
    let mut released = 0usize;
    for (flag, c) in flags.iter().zip(&checks) {
        let recovered = c.verdict.is_deliverable();
        if recovered && !dry_run {
            ledger.release_domain(&flag.domain)?;
            released += 1;
        }
        let change = match (recovered, dry_run) {
            (true, false) => "released",
            (true, true) => "would release",
            (false, _) => "still flagged",
        };
        if json_out {
            rows.push(json!({
                "domain": flag.domain,
                "flagged_since": format_rfc3339(flag.since),
                "verdict": c.verdict,
                "detail": c.detail,
                "change": change.replace(' ', "_"),
                "check": c,
            }));
        } else {
            writeln!(out, "{:<30}  {:<14}  {:<14}  {}", flag.domain, c.verdict.as_str(), change, c.detail)?;
        }
    }
    if json_out {
        serde_json::to_writer_pretty(&mut *out, &json!({ "checked": checks.len(), "released": released, "domains": rows }))?;
        writeln!(out)?;
    } else if dry_run {
        let would = checks.iter().filter(|c| c.verdict.is_deliverable()).count();
        writeln!(out, "{} flagged domains checked; {would} recovered (dry run: nothing released)", checks.len())?;
    } else {
        writeln!(out, "{} flagged domains checked; {released} released", checks.len())?;
    }
    Ok(())
}
