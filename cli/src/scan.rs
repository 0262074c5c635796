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

fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
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

/// What the summary counts of one row, taken on a parse thread.
struct Tally {
    reason: &'static str,
    bounce_type: &'static str,
    action: &'static str,
    /// The recipient's domain, lowercased, when its delivery failed.
    failed_domain: Option<String>,
}

impl Tally {
    fn of(r: &Row) -> Tally {
        Tally {
            reason: r.reason,
            bounce_type: r.bounce_type,
            action: r.action,
            failed_domain: (r.dsn_action == "failed").then(|| r.recipient.rsplit('@').next().unwrap_or("").to_ascii_lowercase()),
        }
    }
}

fn count(m: &mut BTreeMap<String, u64>, key: &str) {
    match m.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            m.insert(key.to_string(), 1);
        }
    }
}

impl Summary {
    fn add(&mut self, t: &Tally) {
        count(&mut self.reasons, t.reason);
        count(&mut self.types, t.bounce_type);
        count(&mut self.actions, t.action);
        if let Some(d) = &t.failed_domain {
            count(&mut self.domains, d);
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

/// One message made ready on a parse thread.
struct Rendered {
    source: String,
    outcome: Result<Message, bouncekit::Error>,
}

struct Message {
    kind: &'static str,
    /// The message's rows in the output format (none for the summary).
    text: io::Result<Vec<u8>>,
    /// How many rows the message gave.
    rows_seen: usize,
    /// One per row, for the summary format only.
    tallies: Vec<Tally>,
    /// The rows themselves, kept for the ledger only.
    rows: Vec<Row>,
}

impl Rendered {
    fn new(format: ScanFormat, keep_rows: bool, source: String, result: Result<bouncekit::Report, bouncekit::Error>) -> Rendered {
        let outcome = result.map(|report| {
            let rows = report.rows(&source);
            let mut text = Vec::new();
            let written = rows.iter().try_for_each(|row| write_row(&mut text, format, row));
            Message {
                kind: report.kind.as_str(),
                text: written.map(|()| text),
                rows_seen: rows.len(),
                tallies: if format == ScanFormat::Summary { rows.iter().map(Tally::of).collect() } else { Vec::new() },
                rows: if keep_rows { rows } else { Vec::new() },
            }
        });
        Rendered { source, outcome }
    }
}

fn write_row(out: &mut Vec<u8>, format: ScanFormat, row: &Row) -> io::Result<()> {
    match format {
        ScanFormat::Jsonl => crate::jsonl::write_row(out, row),
        ScanFormat::Csv => {
            for (i, v) in row.values().iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                csv_field(out, v);
            }
            out.push(b'\n');
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
    Ok(())
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
    // Rows are rendered on the parse threads; here they go out in input
    // order while the next messages are read, parsed and rendered.
    let keep_rows = recorder.is_some();
    let render = |source: String, result: Result<bouncekit::Report, bouncekit::Error>| Rendered::new(format, keep_rows, source, result);
    scan.map_for_each(render, |r: Rendered| -> Result<()> {
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
        let m = match r.outcome {
            Ok(m) => m,
            Err(e) => {
                summary.errors += 1;
                let line = format!("bouncekit: {}: {e}", r.source);
                match &bar {
                    Some(b) => b.println(line),
                    None => eprintln!("{line}"),
                }
                return Ok(());
            }
        };
        out.write_all(&m.text?)?;
        count(&mut summary.kinds, m.kind);
        summary.rows += m.rows_seen as u64;
        for t in &m.tallies {
            summary.add(t);
        }
        if let Some(rec) = recorder.as_mut() {
            for row in &m.rows {
                rec.add(row)?;
            }
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
    // The process ends here: freeing the rule set's automata one by one
    // would only cost time (about 12M instructions).
    std::mem::forget(classifier);
    Ok(summary.errors)
}
