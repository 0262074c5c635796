//! `bouncekit scan`: files, directories, mbox, Maildir, stdin -> rows.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;
use bouncekit::scan::{Input, Scan};
use bouncekit::{Classifier, Limits, Row, RowRef};
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
    /// Parse threads; None: the scan's default (one per core).
    pub threads: Option<NonZeroUsize>,
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
    fn of(r: &RowRef<'_>) -> Tally {
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
            // The rows are written from the report's own texts, not copies;
            // writing stops at the first error.
            let (mut text, mut written) = (Vec::new(), Ok(()));
            let (mut rows_seen, mut tallies, mut rows) = (0, Vec::new(), Vec::new());
            for row in report.row_refs(&source) {
                rows_seen += 1;
                if written.is_ok() {
                    written = write_row(&mut text, format, &row);
                }
                if format == ScanFormat::Summary {
                    tallies.push(Tally::of(&row));
                }
                if keep_rows {
                    rows.push(row.to_row());
                }
            }
            Message { kind: report.kind.as_str(), text: written.map(|()| text), rows_seen, tallies, rows }
        });
        Rendered { source, outcome }
    }
}

fn write_row(out: &mut Vec<u8>, format: ScanFormat, row: &RowRef<'_>) -> io::Result<()> {
    match format {
        ScanFormat::Jsonl => crate::jsonl::write_row(out, row),
        ScanFormat::Csv => csv_row(out, row),
        ScanFormat::Table => {
            writeln!(
                out,
                "{:<28} {:<10} {:<32} {:<7} {:<15} {:<5} {:<10} {}",
                cut(row.source, 28),
                row.message_kind,
                cut(row.recipient, 32),
                row.status.map_or_else(|| "-".to_string(), |s| s.to_string()),
                row.reason,
                row.bounce_type,
                row.action,
                cut(row.diagnostic, 80)
            )?;
        }
        ScanFormat::Summary => {}
    }
    Ok(())
}

/// One CSV line, the fields in [`Row::FIELDS`] order (empty for none).
fn csv_row(out: &mut Vec<u8>, row: &RowRef<'_>) {
    let mut code = itoa::Buffer::new();
    let status = row.status.map(|s| s.to_string());
    let fields: [&str; 18] = [
        row.source,
        row.message_kind,
        row.recipient,
        row.dsn_action,
        status.as_deref().unwrap_or(""),
        row.reply_code.map_or("", |r| code.format(r)),
        row.reason,
        row.bounce_type,
        row.category,
        row.action,
        row.diagnostic,
        row.remote_mta.unwrap_or(""),
        row.reporting_mta.unwrap_or(""),
        row.smtp_command.unwrap_or(""),
        row.timestamp.unwrap_or(""),
        row.decoded_by,
        row.rule,
        row.feedback_type.unwrap_or(""),
    ];
    for (i, v) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, v);
    }
    out.push(b'\n');
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
    let mut scan = Scan::new(inputs, &classifier, limits);
    if let Some(n) = opts.threads {
        scan = scan.threads(n.get());
    }
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

/// A row's borrowed form, for tests that vary an owned row's fields.
#[cfg(test)]
pub(crate) fn borrowed(row: &Row) -> RowRef<'_> {
    RowRef {
        source: &row.source,
        message_kind: row.message_kind,
        recipient: &row.recipient,
        dsn_action: row.dsn_action,
        status: row.status.as_deref().map(|s| s.parse().unwrap()),
        reply_code: row.reply_code,
        reason: row.reason,
        bounce_type: row.bounce_type,
        category: row.category,
        action: row.action,
        diagnostic: &row.diagnostic,
        remote_mta: row.remote_mta.as_deref(),
        reporting_mta: row.reporting_mta.as_deref(),
        smtp_command: row.smtp_command.as_deref(),
        timestamp: row.timestamp.as_deref(),
        decoded_by: &row.decoded_by,
        rule: &row.rule,
        feedback_type: row.feedback_type.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSV line as it was written before, from the owned row's values.
    fn csv_from_values(row: &Row) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, v) in row.values().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            csv_field(&mut out, v);
        }
        out.push(b'\n');
        out
    }

    fn csv_of(row: &RowRef<'_>) -> String {
        let mut out = Vec::new();
        csv_row(&mut out, row);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_rows_as_from_the_owned_values_on_the_corpus() {
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/sisimai/bsd");
        let mut rows = 0;
        for (source, report) in bouncekit::scan::scan([corpus]) {
            let Ok(report) = report else { continue };
            for row in report.row_refs(&source) {
                assert_eq!(csv_of(&row), String::from_utf8(csv_from_values(&row.to_row())).unwrap(), "{source}");
                rows += 1;
            }
        }
        assert!(rows > 500, "the corpus gives rows: {rows}");
    }

    #[test]
    fn csv_rows_as_from_the_owned_values_for_quotes_separators_and_missing_fields() {
        let raw = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/dsn-two-recipients.eml")).unwrap();
        let mut row = bouncekit::parse(&raw).unwrap().rows("box#1").remove(0);
        assert!(row.status.is_some() && row.reply_code.is_some());
        let texts = ["", "plain", "a,b", "say \"no\"", "line\nbreak", "cr\rhere", "\"", ",", "\"\"", "é, 日本語"];
        for (i, text) in texts.iter().enumerate() {
            row.source = text.to_string();
            row.recipient = format!("{text}@x");
            row.diagnostic = text.repeat(i);
            row.rule = text.to_string();
            row.remote_mta = (i % 2 == 0).then(|| text.to_string());
            row.timestamp = (i % 3 == 0).then(|| text.to_string());
            row.reply_code = [None, Some(0), Some(550), Some(u16::MAX)][i % 4];
            row.status = [None, Some("5.1.1".into()), Some("4.7.26".into()), Some("2.0.0".into())][i % 4].clone();
            assert_eq!(csv_of(&borrowed(&row)), String::from_utf8(csv_from_values(&row)).unwrap(), "{text:?}");
        }
    }
}
