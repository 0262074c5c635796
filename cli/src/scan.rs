//! `bouncekit scan`: files, directories, mbox, Maildir, stdin -> rows.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;
use bouncekit::scan::{Input, Scan};
use bouncekit::{Classifier, Limits, Row};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Output formats of `scan`.
#[derive(Copy, Clone, PartialEq, Eq, ValueEnum, Debug)]
pub enum ScanFormat {
    /// One JSON object per recipient (the output contract).
    Jsonl,
    /// CSV with a header line.
    Csv,
    /// An aligned table for reading.
    Table,
    /// Counts per reason, bounce type, action, and the top failing domains.
    Summary,
}

/// Options of `scan`.
pub struct Options {
    pub inputs: Vec<String>,
    pub format: Option<ScanFormat>,
    pub max_size: usize,
    pub rules: Option<PathBuf>,
    /// Record rows into this ledger as the scan goes.
    pub ledger: Option<crate::ledger::LedgerArgs>,
}

/// Rows waiting to be recorded: written in batches, one transaction each.
struct Recorder {
    ledger: bouncekit::ledger::Ledger,
    pending: Vec<bouncekit::ledger::ScanRow>,
    stats: bouncekit::ledger::BatchStats,
    skipped: u64,
    now: i64,
}

impl Recorder {
    const BATCH: usize = 2000;

    fn add(&mut self, row: &Row) -> Result<()> {
        let scan_row = bouncekit::ledger::ScanRow::from(row);
        // A row the ledger would refuse (no usable address) must not cost the
        // rest of its batch: count it and go on.
        if let Err(e) = scan_row.to_event(Some(self.now)) {
            self.skipped += 1;
            if self.skipped <= 5 {
                eprintln!("bouncekit: {}: not recorded in the ledger: {e}", row.source);
            }
            return Ok(());
        }
        self.pending.push(scan_row);
        if self.pending.len() >= Self::BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            let opts = bouncekit::ledger::RowOptions { batch_size: 0, default_time: Some(self.now) };
            self.stats += bouncekit::ledger::record_rows(&mut self.ledger, self.pending.drain(..), &opts)?;
        }
        Ok(())
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[derive(Default)]
struct Summary {
    messages: u64,
    errors: u64,
    rows: u64,
    kinds: BTreeMap<String, u64>,
    reasons: BTreeMap<String, u64>,
    types: BTreeMap<String, u64>,
    actions: BTreeMap<String, u64>,
    domains: BTreeMap<String, u64>,
}

impl Summary {
    fn add(&mut self, r: &Row) {
        self.rows += 1;
        *self.reasons.entry(r.reason.into()).or_default() += 1;
        *self.types.entry(r.bounce_type.into()).or_default() += 1;
        *self.actions.entry(r.action.into()).or_default() += 1;
        if r.dsn_action == "failed" {
            let d = r.recipient.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
            *self.domains.entry(d).or_default() += 1;
        }
    }

    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "messages {}  recipients {}  errors {}", self.messages, self.rows, self.errors)?;
        let section = |out: &mut dyn Write, title: &str, m: &BTreeMap<String, u64>, top: usize| -> io::Result<()> {
            let mut v: Vec<_> = m.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            writeln!(out, "\n{title}")?;
            for (k, n) in v.into_iter().take(top) {
                writeln!(out, "  {n:>8}  {k}")?;
            }
            Ok(())
        };
        section(out, "message kind", &self.kinds, usize::MAX)?;
        section(out, "reason", &self.reasons, usize::MAX)?;
        section(out, "bounce type", &self.types, usize::MAX)?;
        section(out, "action", &self.actions, usize::MAX)?;
        section(out, "top failing domains", &self.domains, 20)
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Runs a scan; returns the number of messages that could not be parsed.
pub fn run(opts: Options, out: &mut impl Write) -> Result<u64> {
    let classifier = match &opts.rules {
        Some(p) => Classifier::from_rules_file(p)?,
        None => Classifier::new(),
    };
    let limits = Limits { max_message_size: opts.max_size, ..Limits::default() };
    let inputs: Vec<Input> = if opts.inputs.is_empty() { vec![Input::Stdin] } else { opts.inputs.iter().map(|s| Input::from(s.as_str())).collect() };
    let format = opts.format.unwrap_or(if io::stdout().is_terminal() { ScanFormat::Table } else { ScanFormat::Jsonl });
    let scan = Scan::new(inputs, &classifier, limits);
    let progress = scan.progress();
    let mut recorder = match &opts.ledger {
        Some(a) => Some(Recorder {
            ledger: crate::ledger::open(a)?,
            pending: Vec::new(),
            stats: Default::default(),
            skipped: 0,
            now: bouncekit::ledger::now(),
        }),
        None => None,
    };

    let show_progress = io::stderr().is_terminal();
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let mut summary = Summary::default();
    // Rows go out in large writes: the writer is the one thread that must
    // keep up with all the parse threads.
    let mut out = BufWriter::with_capacity(1 << 20, out);
    if format == ScanFormat::Csv {
        writeln!(out, "{}", Row::FIELDS.join(","))?;
    }
    if format == ScanFormat::Table {
        writeln!(out, "{:<28} {:<10} {:<32} {:<7} {:<15} {:<5} {:<10} diagnostic", "source", "kind", "recipient", "status", "reason", "type", "action")?;
    }
    // Reports arrive in input order while the next ones are read and parsed.
    scan.for_each(|source, result| -> Result<()> {
        summary.messages += 1;
        if show_progress {
            if bar.is_none() && started.elapsed() > Duration::from_secs(1) {
                let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                b.set_style(ProgressStyle::with_template("{spinner} {pos} messages, {msg} [{elapsed}] {per_sec}").unwrap());
                bar = Some(b);
            }
            if let Some(b) = &bar {
                b.set_position(summary.messages);
                if summary.messages % 256 == 0 {
                    b.set_message(format!("{} MB", progress.bytes_read() >> 20));
                }
            }
        }
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                summary.errors += 1;
                let line = format!("bouncekit: {source}: {e}");
                match &bar {
                    Some(b) => b.println(line),
                    None => eprintln!("{line}"),
                }
                return Ok(());
            }
        };
        *summary.kinds.entry(report.kind.as_str().into()).or_default() += 1;
        for row in report.rows(&source) {
            match format {
                ScanFormat::Jsonl => {
                    serde_json::to_writer(&mut out, &row)?;
                    out.write_all(b"\n")?;
                }
                ScanFormat::Csv => {
                    let v = row.values();
                    let line: Vec<String> = v.iter().map(|s| csv_field(s)).collect();
                    writeln!(out, "{}", line.join(","))?;
                }
                ScanFormat::Table => {
                    writeln!(
                        out,
                        "{:<28} {:<10} {:<32} {:<7} {:<15} {:<5} {:<10} {}",
                        cut(&row.source, 28),
                        row.message_kind,
                        cut(&row.recipient, 32),
                        row.status.as_deref().unwrap_or("-"),
                        row.reason,
                        row.bounce_type,
                        row.action,
                        cut(&row.diagnostic, 80)
                    )?;
                }
                ScanFormat::Summary => {}
            }
            if let Some(r) = recorder.as_mut() {
                r.add(&row)?;
            }
            summary.add(&row);
        }
        Ok(())
    })?;
    if let Some(mut r) = recorder {
        r.flush()?;
        let s = &r.stats;
        eprintln!(
            "bouncekit: ledger: {} rows, {} new events, {} already recorded, {} newly suppressed, {} not recordable",
            s.events, s.recorded, s.duplicates, s.suppressed, r.skipped
        );
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if format == ScanFormat::Summary {
        summary.write(&mut out)?;
    }
    out.flush()?;
    Ok(summary.errors)
}
