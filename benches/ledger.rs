//! The ledger and the policy: recording events in batches into a grown
//! ledger file (goal: at least 50,000 events/s;
//! `ledger_record/file_{full,normal}_100k/batch_N`), pure policy decisions
//! (goal: at least 1,000,000/s on one core; `decide/policy_pure`), and
//! ledger-backed decisions.
//!
//! The file is grown to `BOUNCEKIT_BENCH_EVENTS` events first (default
//! 100,000; e.g. `BOUNCEKIT_BENCH_EVENTS=1000000 cargo bench --bench ledger
//! -- ledger_record` for a million), over half as many addresses; every
//! iteration then records the next batch of the same stream (later times,
//! the next addresses), so the file keeps growing while it is measured.
//! Each durability and batch size starts from its own freshly grown file
//! (until schema v4 the batches of 10k were measured after those of 1k, in
//! a file already grown several times over).
//! (Until schema v3 each iteration recorded new bounces of the same 1,000 or
//! 10,000 addresses within the same hours again and again: histories and
//! domain windows grew by one batch per iteration, which no real stream
//! does.)

use std::hint::black_box;

use bouncekit::ledger::{Durability, Event, Ledger, LedgerOptions};
use bouncekit::{BounceType, HistoryEvent, Policy, Reason};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};

const T0: i64 = 1_714_557_600;
const REASONS: [Reason; 8] = [
    Reason::MailboxFull,
    Reason::UserUnknown,
    Reason::Blocked,
    Reason::NetworkError,
    Reason::SystemError,
    Reason::Vacation,
    Reason::Expired,
    Reason::SpamDetected,
];

/// Events `i0..i0 + n` over `recipients` addresses in 200 domains, a
/// realistic mix; `seed` makes their message ids new.
fn events(seed: u64, i0: usize, n: usize, recipients: usize) -> Vec<Event> {
    (i0..i0 + n)
        .map(|i| {
            let r = (i * 7919) % recipients;
            Event::new(format!("user{r}@d{}.example", r % 200), T0 + (i as i64) * 13, REASONS[i % REASONS.len()])
                .message_id(format!("<{seed}.{i}@bounces.example>"))
                .source(format!("mbox#{i}"))
                .diagnostic(format!("550 5.1.1 <user{r}@d{}.example>: recipient address rejected ({i})", r % 200))
        })
        .collect()
}

/// How many events the ledger file holds before it is measured.
fn grown() -> usize {
    std::env::var("BOUNCEKIT_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

/// A file ledger (WAL) already holding `n` events over `n / 2` addresses.
fn file_ledger(durability: Durability, n: usize) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let opts = LedgerOptions { durability, ..LedgerOptions::default() };
    let mut ledger = Ledger::open_with(dir.path().join("bench.db"), opts).unwrap();
    for i0 in (0..n).step_by(10_000) {
        ledger.record_batch(&events(0, i0, 10_000.min(n - i0), n / 2)).unwrap();
    }
    (dir, ledger)
}

/// Recording new events into a file, in batches (one transaction each), with
/// each durability: `full` (synchronous=FULL, the default: a commit survives
/// a power cut) and `normal` (synchronous=NORMAL: survives a killed process).
/// Each durability and batch size gets its own file, grown to the same size
/// first, so that every figure is of the size its name says (the file then
/// grows by the batches measured). Throughput is in events per second.
fn record(c: &mut Criterion) {
    let mut g = c.benchmark_group("ledger_record");
    g.sample_size(10);
    // The same number of batches per sample: a batch of 10k takes long
    // enough, and linear sampling would record at least 55 of them.
    g.sampling_mode(SamplingMode::Flat);
    let n = grown();
    let size = if n % 1_000_000 == 0 { format!("{}m", n / 1_000_000) } else { format!("{}k", n / 1000) };
    for (name, durability) in [("full", Durability::Full), ("normal", Durability::Normal)] {
        for batch in [1_000usize, 10_000] {
            let (_dir, mut ledger) = file_ledger(durability, n);
            let mut next = n;
            g.throughput(Throughput::Elements(batch as u64));
            g.bench_function(format!("file_{name}_{size}/batch_{batch}"), |b| {
                b.iter_batched(
                    || {
                        next += batch;
                        events(0, next - batch, batch, n / 2)
                    },
                    |evs| black_box(ledger.record_batch(&evs).unwrap()),
                    BatchSize::LargeInput,
                )
            });
            if durability == Durability::Full {
                // The same events again: all duplicates (nothing to write).
                let again = events(1, 0, batch, n / 2);
                ledger.record_batch(&again).unwrap();
                g.bench_function(format!("file_{name}_{size}/batch_{batch}_duplicates"), |b| {
                    b.iter(|| black_box(ledger.record_batch(&again).unwrap()))
                });
            }
        }
    }
    g.finish();
}

fn decide(c: &mut Criterion) {
    let policy = Policy::default();
    let mut g = c.benchmark_group("decide");
    // The pure policy on a mix of events, each with a history of 0-7 earlier events.
    let cases: Vec<(HistoryEvent, Vec<HistoryEvent>)> = (0..1024)
        .map(|i| {
            let r = REASONS[i % REASONS.len()];
            let cur = HistoryEvent::new(T0 + 30 * 86_400, r, r.info().bounce_type);
            let hist = (0..(i % 8)).map(|k| HistoryEvent::new(T0 + (k as i64) * 3 * 86_400, REASONS[(i + k) % 8], BounceType::Soft)).collect();
            (cur, hist)
        })
        .collect();
    g.throughput(Throughput::Elements(cases.len() as u64));
    g.bench_function("policy_pure", |b| {
        b.iter(|| {
            for (cur, hist) in &cases {
                black_box(policy.decide_event(black_box(cur), black_box(hist), None));
            }
        })
    });

    // The ledger: 100,000 events over 50,000 addresses.
    let (_dir, ledger) = file_ledger(Durability::Full, 100_000);
    let addresses: Vec<String> = (0..1024).map(|i| format!("user{}@d{}.example", i * 37, (i * 37) % 200)).collect();
    let now = T0 + 100_000 * 13;
    g.throughput(Throughput::Elements(addresses.len() as u64));
    g.bench_function("ledger_decide", |b| {
        b.iter(|| {
            for a in &addresses {
                black_box(ledger.decide(a, now).unwrap());
            }
        })
    });
    g.bench_function("ledger_is_suppressed", |b| {
        b.iter(|| {
            for a in &addresses {
                black_box(ledger.is_suppressed_at(a, now).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, record, decide);
criterion_main!(benches);
