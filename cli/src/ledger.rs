//! `bouncekit suppressed` and `bouncekit ledger ...`: the suppression ledger.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bouncekit::ledger::{self as lg, BatchStats, Ledger, LedgerOptions, ScanRow};
use bouncekit::{format_rfc3339, parse_timestamp, Policy};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

/// Where the ledger is and how decisions are made.
#[derive(Args, Clone)]
pub struct LedgerArgs {
    /// The ledger file (SQLite). `ledger record` creates it when missing; the commands that only read it need it to exist.
    #[arg(long, value_name = "FILE.db")]
    pub ledger: PathBuf,
    /// A policy file (TOML; see docs/policy.md). Default: the built-in policy.
    #[arg(long, value_name = "FILE.toml")]
    pub policy: Option<PathBuf>,
}

/// Output of the list commands.
#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns (the default).
    Table,
    /// CSV with a header (RFC 4180).
    Csv,
    /// One JSON document.
    Json,
}

/// Output of the report commands.
#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Readable text (the default).
    Table,
    /// One JSON document.
    Json,
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Record scan rows (JSONL, `bouncekit scan --format jsonl`) from FILE or stdin.
    Record {
        #[command(flatten)]
        at: LedgerArgs,
        /// A JSONL file; `-` or nothing: stdin.
        input: Option<PathBuf>,
        /// Commit every N rows (0: all rows in one transaction, so one bad row records nothing).
        #[arg(long, default_value_t = 0)]
        batch_size: usize,
        /// The time of rows without a timestamp: `now`, unix seconds or a date. Default: such rows are refused.
        #[arg(long, value_name = "TIME")]
        default_time: Option<String>,
        /// Skip invalid rows (each reported on stderr) instead of refusing the input.
        #[arg(long)]
        skip_invalid: bool,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Totals: events, recipients, suppressions, flagged domains, reasons.
    Stats {
        #[command(flatten)]
        at: LedgerArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// Per-domain health, flagged domains first.
    Domains {
        #[command(flatten)]
        at: LedgerArgs,
        /// At most this many domains (0: all).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// An address came back (take it off the suppression list), or with --domain a domain recovered.
    Release {
        #[command(flatten)]
        at: LedgerArgs,
        /// The address (or the domain, with --domain).
        target: String,
        /// TARGET is a domain whose flag to lift.
        #[arg(long)]
        domain: bool,
    },
    /// Check every flagged domain (DNS + SMTP greeting, no mail sent); release those that take mail again.
    Recheck {
        #[command(flatten)]
        at: LedgerArgs,
        #[command(flatten)]
        check: crate::check::CheckArgs,
        /// Check and report, but release nothing.
        #[arg(long)]
        dry_run: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
    /// What to do about addresses now: suppress, retry (and when), fix_sender, ignore, and why.
    Decide {
        #[command(flatten)]
        at: LedgerArgs,
        /// The addresses.
        #[arg(required = true)]
        addresses: Vec<String>,
        /// Decide as of this time (unix seconds or a date) instead of now.
        #[arg(long, value_name = "TIME")]
        at_time: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
    },
}

pub fn open(a: &LedgerArgs) -> Result<Ledger> {
    let policy = match &a.policy {
        Some(p) => Policy::from_file(p)?,
        None => Policy::default(),
    };
    Ledger::open_with(&a.ledger, LedgerOptions { policy, ..LedgerOptions::default() })
        .with_context(|| format!("opening {}", a.ledger.display()))
}

/// Opens an existing ledger for reading (a typo'd path should not create an empty ledger).
fn open_existing(a: &LedgerArgs) -> Result<Ledger> {
    if !a.ledger.exists() {
        bail!("{}: no such ledger (record into it first: bouncekit ledger record --ledger {})", a.ledger.display(), a.ledger.display());
    }
    open(a)
}

fn time_arg(s: &str) -> Result<i64> {
    if s == "now" {
        return Ok(lg::now());
    }
    parse_timestamp(s).with_context(|| format!("{s:?} is not a time: expected `now`, unix seconds, RFC 3339 or an RFC 5322 date"))
}

/// `bouncekit suppressed`.
pub fn suppressed(out: &mut dyn Write, at: &LedgerArgs, format: ListFormat) -> Result<()> {
    let l = open_existing(at)?;
    match format {
        ListFormat::Csv => {
            l.export_csv(out)?;
        }
        ListFormat::Json => {
            l.export_json(out)?;
        }
        ListFormat::Table => {
            let list = l.suppressed()?;
            let w = list.iter().map(|s| s.address.len()).max().unwrap_or(7).max(7);
            writeln!(out, "{:<w$}  {:<15}  {:<20}  WHY", "ADDRESS", "REASON", "SINCE")?;
            for s in &list {
                let reason = s.reason.map(|r| r.as_str()).unwrap_or("(domain)");
                writeln!(out, "{:<w$}  {:<15}  {:<20}  {}", s.address, reason, format_rfc3339(s.since), s.why)?;
            }
            writeln!(out, "{} suppressed", list.len())?;
        }
    }
    Ok(())
}

fn read_input(input: &Option<PathBuf>) -> Result<Box<dyn BufRead>> {
    Ok(match input {
        Some(p) if p != Path::new("-") => {
            Box::new(BufReader::new(File::open(p).with_context(|| format!("opening {}", p.display()))?))
        }
        _ => Box::new(BufReader::new(io::stdin())),
    })
}

fn summary(out: &mut dyn Write, s: &BatchStats, skipped: u64, format: ReportFormat) -> Result<()> {
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &json!({
                "rows": s.events + skipped + s.skipped,
                "recorded": s.recorded,
                "duplicates": s.duplicates,
                "invalid": skipped,
                "delay_notices": s.skipped,
                "suppressed": s.suppressed,
                "domains_flagged": s.domains_flagged,
            }))?;
            writeln!(out)?;
        }
        ReportFormat::Table => {
            write!(out, "recorded {} new events ({} already recorded", s.recorded, s.duplicates)?;
            if skipped > 0 {
                write!(out, ", {skipped} invalid rows skipped")?;
            }
            if s.skipped > 0 {
                write!(out, ", {} delay notices skipped", s.skipped)?;
            }
            writeln!(out, "); {} addresses newly suppressed; {} domains flagged", s.suppressed, s.domains_flagged)?;
        }
    }
    Ok(())
}

/// `bouncekit ledger ...`.
pub fn run(out: &mut dyn Write, cmd: LedgerCommand) -> Result<()> {
    match cmd {
        LedgerCommand::Record { at, input, batch_size, default_time, skip_invalid, format } => {
            let default_time = default_time.as_deref().map(time_arg).transpose()?;
            let reader = read_input(&input)?;
            let mut l = open(&at)?;
            let mut total = BatchStats::default();
            let mut skipped = 0u64;
            let mut batch = l.batch()?;
            let mut in_batch = 0usize;
            for (i, line) in reader.split(b'\n').enumerate() {
                let n = i + 1;
                let line = line.context("reading input")?;
                let text = String::from_utf8_lossy(&line);
                if text.trim().is_empty() {
                    continue;
                }
                let row = serde_json::from_str::<ScanRow>(&text).map_err(|e| format!("not a scan row ({e})"));
                if row.as_ref().is_ok_and(ScanRow::is_delay_notice) {
                    total.skipped += 1;
                    continue;
                }
                let event = row.and_then(|row| row.to_event(default_time).map_err(|e| e.to_string()));
                let event = match event {
                    Ok(e) => e,
                    Err(msg) if skip_invalid => {
                        eprintln!("bouncekit: line {n}: {msg}: skipped");
                        skipped += 1;
                        continue;
                    }
                    Err(msg) => {
                        let kept = if total.events > 0 {
                            format!("; the {} rows of earlier batches stay recorded", total.events)
                        } else {
                            "; nothing was recorded".to_string()
                        };
                        bail!("line {n}: {msg}{kept}");
                    }
                };
                batch.record(&event).with_context(|| format!("line {n}"))?;
                in_batch += 1;
                if batch_size > 0 && in_batch >= batch_size {
                    total += batch.commit()?;
                    batch = l.batch()?;
                    in_batch = 0;
                }
            }
            total += batch.commit()?;
            summary(out, &total, skipped, format)?;
        }
        LedgerCommand::Stats { at, format } => {
            let l = open_existing(&at)?;
            let s = l.stats()?;
            match format {
                ReportFormat::Json => {
                    serde_json::to_writer_pretty(&mut *out, &s)?;
                    writeln!(out)?;
                }
                ReportFormat::Table => {
                    let t = |v: Option<i64>| v.map(format_rfc3339).unwrap_or_else(|| "-".into());
                    writeln!(out, "ledger          {}", at.ledger.display())?;
                    writeln!(out, "events          {}", s.events)?;
                    writeln!(out, "recipients      {}", s.recipients)?;
                    writeln!(out, "domains         {}", s.domains)?;
                    writeln!(out, "suppressed      {}", s.suppressed)?;
                    writeln!(out, "flagged domains {}", s.flagged_domains)?;
                    writeln!(out, "first event     {}", t(s.first_event))?;
                    writeln!(out, "last event      {}", t(s.last_event))?;
                    writeln!(out, "schema version  {}", s.schema_version)?;
                    if !s.by_reason.is_empty() {
                        writeln!(out, "\nby reason")?;
                        for (r, n) in &s.by_reason {
                            writeln!(out, "  {r:<16} {n}")?;
                        }
                        writeln!(out, "\nby bounce type")?;
                        for (b, n) in &s.by_bounce_type {
                            writeln!(out, "  {b:<16} {n}")?;
                        }
                    }
                }
            }
        }
        LedgerCommand::Domains { at, limit, format } => {
            let l = open_existing(&at)?;
            let ds = l.domains(limit)?;
            match format {
                ReportFormat::Json => {
                    serde_json::to_writer_pretty(&mut *out, &ds)?;
                    writeln!(out)?;
                }
                ReportFormat::Table => {
                    let w = ds.iter().map(|d| d.domain.len()).max().unwrap_or(6).max(6);
                    writeln!(
                        out,
                        "{:<w$}  {:>7}  {:>10}  {:>6}  {:>6}  {:>9}  {:>10}  FLAG",
                        "DOMAIN", "EVENTS", "RECIPIENTS", "HARD", "SOFT", "HOST/NET", "SUPPRESSED"
                    )?;
                    for d in &ds {
                        let flag = match &d.flag {
                            Some(f) if d.flagged => format!("flagged until {} ({})", format_rfc3339(f.expires_at), f.why),
                            Some(f) => format!("lapsed {}", format_rfc3339(f.expires_at)),
                            None => "-".into(),
                        };
                        writeln!(
                            out,
                            "{:<w$}  {:>7}  {:>10}  {:>6}  {:>6}  {:>9}  {:>10}  {flag}",
                            d.domain, d.events, d.recipients, d.hard, d.soft, d.domain_failures, d.suppressed
                        )?;
                    }
                }
            }
        }
        LedgerCommand::Release { at, target, domain } => {
            let mut l = open_existing(&at)?;
            if domain {
                if l.release_domain(&target)? {
                    writeln!(out, "released domain {target}: its flag is lifted")?;
                } else {
                    writeln!(out, "domain {target} was not flagged; its failures so far no longer count")?;
                }
            } else if l.release(&target)? {
                writeln!(out, "released {target}: off the suppression list")?;
            } else {
                writeln!(out, "{target} was not suppressed; its bounces so far no longer count")?;
            }
        }
        LedgerCommand::Recheck { at, check, dry_run, format } => {
            let mut l = open_existing(&at)?;
            crate::check::recheck(out, &mut l, &check, dry_run, format == ReportFormat::Json)?;
        }
        LedgerCommand::Decide { at, addresses, at_time, format } => {
            let l = open_existing(&at)?;
            let now = at_time.as_deref().map(time_arg).transpose()?.unwrap_or_else(lg::now);
            let mut rows = Vec::new();
            for a in &addresses {
                let d = l.decide(a, now)?;
                match format {
                    ReportFormat::Json => rows.push(json!({
                        "address": a,
                        "action": d.action,
                        "retry_after": d.retry_after.map(|d| d.as_secs()),
                        "why": d.why,
                    })),
                    ReportFormat::Table => {
                        let retry = d.retry_after.map(|r| format!(" (in {})", bouncekit::policy::format_duration(r))).unwrap_or_default();
                        writeln!(out, "{a}: {}{retry}: {}", d.action, d.why)?;
                    }
                }
            }
            if format == ReportFormat::Json {
                serde_json::to_writer_pretty(&mut *out, &rows)?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}
