//! `bouncekit`: classify bounce diagnostics, explain status codes, list reasons.

mod check;
mod jsonl;
mod ledger;
mod render;
mod scan;

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bouncekit::{Classifier, Reason};
use clap::{Parser, Subcommand, ValueEnum};

// mimalloc: a scan makes and frees some forty allocations a message on each
// worker; with glibc's allocator those cost ~14K instructions a message, a
// sixth of the scan (callgrind). `no_thp` keeps it from asking for huge
// pages, which tripled the peak RSS of a scan.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "bouncekit", version, about = "Classify bounced email: what happened, and what to do about it")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Readable text (the default).
    Human,
    /// One JSON document.
    Json,
    /// One JSON object a line.
    Jsonl,
}

#[derive(Subcommand)]
enum Command {
    /// Classify diagnostic texts: TEXT, or `-` to read one diagnostic a line from stdin.
    Classify {
        /// The diagnostic text, or `-` for stdin (one diagnostic a line, streamed).
        text: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// A rules file (TOML) whose rules go before the built-in ones.
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Explain an enhanced status code, e.g. 5.4.1.
    Explain {
        /// The code: class.subject.detail.
        code: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Parse bounce messages: files, directories (recursive), mbox files, Maildir folders, `-` for stdin.
    /// One row per recipient.
    Scan {
        /// Files, directories, mbox files, Maildir folders; `-` (or nothing) reads stdin.
        paths: Vec<String>,
        /// Output format (default: jsonl when stdout is not a terminal, table when it is).
        #[arg(long, value_enum)]
        format: Option<scan::ScanFormat>,
        /// Largest message to parse, in bytes; a larger one is reported as an error and skipped.
        #[arg(long, default_value_t = 64 << 20)]
        max_size: usize,
        /// A rules file (TOML) whose rules go before the built-in ones.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Record every row into this ledger (SQLite; created when missing) as the scan goes.
        #[arg(long, value_name = "FILE.db")]
        ledger: Option<PathBuf>,
        /// The ledger's policy file (TOML; see docs/policy.md), with --ledger.
        #[arg(long, value_name = "FILE.toml", requires = "ledger")]
        policy: Option<PathBuf>,
        /// Parse threads (default: one per core, or RAYON_NUM_THREADS). The rows come out in input order on any count.
        #[arg(short = 'j', long, value_name = "N", value_parser = thread_count)]
        threads: Option<NonZeroUsize>,
    },
    /// List the reason vocabulary with defaults and mappings.
    Reasons {
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// The suppression list of a ledger, with reason and since when.
    Suppressed {
        #[command(flatten)]
        at: ledger::LedgerArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ledger::ListFormat,
    },
    /// Check domains' mail service: MX (or A/AAAA) lookup, then an SMTP greeting and EHLO
    /// on each MX host; never sends mail. DOMAIN `-` reads one domain a line from stdin.
    CheckDomain {
        /// The domains.
        #[arg(required = true)]
        domains: Vec<String>,
        #[command(flatten)]
        check: check::CheckArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: check::CheckFormat,
    },
    /// The suppression ledger: record scan rows, statistics, domains, release, decide.
    Ledger {
        #[command(subcommand)]
        command: ledger::LedgerCommand,
    },
}

/// `--threads`: a whole number of at least 1.
fn thread_count(s: &str) -> Result<NonZeroUsize, String> {
    match s.parse::<usize>() {
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| "a scan needs at least 1 thread".to_string()),
        Err(_) => Err("expected a whole number of threads, at least 1".to_string()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`bouncekit ... | head`) is not an error.
            if e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) {
                return ExitCode::SUCCESS;
            }
            eprintln!("bouncekit: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = BufWriter::new(stdout.lock());
    match cli.command {
        Command::Classify { text, format, rules } => {
            let classifier = match rules {
                Some(p) => Classifier::from_rules_file(&p)?,
                None => Classifier::new(),
            };
            if text.is_empty() {
                anyhow::bail!("classify needs a diagnostic TEXT, or `-` to read diagnostics from stdin");
            }
            if text.len() == 1 && text[0] == "-" {
                let mut stdin = io::stdin().lock();
                let mut rows = Vec::new();
                // One line and one output row at a time, in buffers reused
                // from line to line: the stream costs no allocation a line.
                let (mut raw, mut row) = (Vec::new(), Vec::new());
                loop {
                    raw.clear();
                    if stdin.read_until(b'\n', &mut raw).context("reading stdin")? == 0 {
                        break;
                    }
                    let line = String::from_utf8_lossy(raw.strip_suffix(b"\n").unwrap_or(&raw));
                    let line = line.trim_end_matches('\r');
                    if line.trim().is_empty() {
                        continue;
                    }
                    let c = classifier.classify(line);
                    match format {
                        Format::Json => rows.push(render::classification_json(line, &c)),
                        Format::Jsonl => {
                            row.clear();
                            jsonl::write_classification(&mut row, line, &c);
                            out.write_all(&row)?;
                        }
                        Format::Human => render::classification(&mut out, false, color, line, &c)?,
                    }
                }
                if format == Format::Json {
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)?;
                }
            } else {
                let line = text.join(" ");
                let c = classifier.classify(&line);
                match format {
                    Format::Json => {
                        serde_json::to_writer_pretty(&mut out, &render::classification_json(&line, &c))?;
                        writeln!(out)?;
                    }
                    f => render::classification(&mut out, f == Format::Jsonl, color, &line, &c)?,
                }
            }
        }
        Command::Explain { code, format } => {
            let e = bouncekit::explain(&code)?;
            match format {
                Format::Human => render::explanation(&mut out, color, &e)?,
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &e)?;
                    writeln!(out)?;
                }
                Format::Jsonl => {
                    serde_json::to_writer(&mut out, &e)?;
                    writeln!(out)?;
                }
            }
        }
        Command::Scan { paths, format, max_size, rules, ledger, policy, threads } => {
            let ledger = ledger.map(|path| ledger::LedgerArgs { ledger: path, policy });
            scan::run(scan::Options { inputs: paths, format, max_size, rules, ledger, threads }, &mut out)?;
        }
        Command::Reasons { format } => match format {
            Format::Human => render::reasons(&mut out, color)?,
            f => {
                let rows: Vec<_> = Reason::ALL.iter().map(|r| render::reason_json(*r)).collect();
                if f == Format::Json {
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)?;
                } else {
                    for r in rows {
                        serde_json::to_writer(&mut out, &r)?;
                        writeln!(out)?;
                    }
                }
            }
        },
        Command::Suppressed { at, format } => ledger::suppressed(&mut out, &at, format)?,
        Command::CheckDomain { domains, check, format } => check::check_domain(&mut out, domains, &check, format)?,
        Command::Ledger { command } => ledger::run(&mut out, command)?,
    }
    out.flush()?;
    Ok(())
}
