//! The ledger under concurrent processes and a killed writer.
//!
//! The writers are this test binary itself, run again with `child_writer`
//! selected and its instructions in the environment.
#![cfg(feature = "ledger")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bouncekit::ledger::{Event, Ledger};
use bouncekit::Reason;

const T0: i64 = 1_714_557_600;

/// The events writer `id` writes: distinct recipients, a mix of reasons
/// (a quarter of them hard bounces, a quarter host failures).
fn events(id: u32, n: u32) -> Vec<Event> {
    (0..n)
        .map(|j| {
            let reason = [Reason::MailboxFull, Reason::UserUnknown, Reason::Blocked, Reason::NetworkError][j as usize % 4];
            Event::new(format!("w{id}-{j}@d{}.example", j % 50), T0 + i64::from(j), reason)
                .message_id(format!("<{id}.{j}@bounces.example>"))
                .diagnostic(format!("diagnostic {id} {j}"))
        })
        .collect()
}

/// Runs only when spawned by a test below: writes `BK_N` events in batches
/// of `BK_BATCH`, printing `committed N` after each commit.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var("BK_LEDGER_CHILD") else { return };
    let var = |k: &str| std::env::var(k).unwrap().parse::<u32>().unwrap();
    let (id, n, batch) = (var("BK_ID"), var("BK_N"), var("BK_BATCH"));
    let mut ledger = Ledger::open(&path).unwrap();
    let mut done = 0u64;
    for chunk in events(id, n).chunks(batch as usize) {
        let s = ledger.record_batch(chunk).unwrap();
        done += s.recorded + s.duplicates;
        println!("committed {done}");
    }
    println!("finished {done}");
}

fn spawn_writer(path: &Path, id: u32, n: u32, batch: u32) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env("BK_LEDGER_CHILD", path)
        .env("BK_ID", id.to_string())
        .env("BK_N", n.to_string())
        .env("BK_BATCH", batch.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn count(path: &Path) -> (u64, u64) {
    let l = Ledger::open(path).unwrap();
    assert_eq!(l.integrity_check().unwrap(), Ok(()), "integrity_check");
    (l.event_count().unwrap(), l.stats_at(T0).unwrap().suppressed)
}

#[test]
fn four_processes_writing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let start = Instant::now();
    let children: Vec<Child> = (0..4).map(|id| spawn_writer(&path, id, 10_000, 500)).collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "writer failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("finished 10000"), "{stdout}");
    }
    let (events, suppressed) = count(&path);
    eprintln!("4 writers x 10,000 events: {events} events, {suppressed} suppressed in {:.1?}", start.elapsed());
    assert_eq!(events, 40_000);
    // Every userunknown (a quarter) is suppressed, and nothing else.
    assert_eq!(suppressed, 10_000);
    // Again, all four at once: nothing changes.
    let children: Vec<Child> = (0..4).map(|id| spawn_writer(&path, id, 10_000, 2_000)).collect();
    for c in children {
        assert!(c.wait_with_output().unwrap().status.success());
    }
    assert_eq!(count(&path), (40_000, 10_000));
}

#[test]
fn a_writer_killed_mid_batch_loses_only_its_open_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    const BATCH: u64 = 2_000;
    let mut expected_total = 0u64;
    for (round, wait_ms) in [(0u32, 0u64), (1, 7), (2, 23)] {
        let mut child = spawn_writer(&path, round, 200_000, BATCH as u32);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut last = 0u64;
        // Let it commit a few batches, then kill it somewhere inside the next.
        while last < 3 * BATCH {
            let line = lines.next().expect("writer output").unwrap();
            if let Some(n) = line.strip_prefix("committed ") {
                last = n.parse().unwrap();
            }
        }
        std::thread::sleep(Duration::from_millis(wait_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for line in lines.map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("committed ") {
                last = n.parse().unwrap();
            }
        }
        let (events, _) = count(&path);
        let this_round = events - expected_total;
        eprintln!("round {round}: killed after {last} committed events; the ledger holds {this_round} of them");
        // Everything committed is there; at most the batch committed as the kill came is more.
        assert!(this_round == last || this_round == last + BATCH, "committed {last}, found {this_round}");
        expected_total = events;
    }
    // The ledger still takes writes, and finishing a killed writer's work counts nothing twice.
    let child = spawn_writer(&path, 0, 10_000, 1_000);
    assert!(child.wait_with_output().unwrap().status.success());
    let (events, _) = count(&path);
    assert!(events >= 10_000 && events <= expected_total + 10_000);
    let l = Ledger::open(&path).unwrap();
    let n0: i64 = l.connection().query_row("SELECT count(*) FROM events WHERE recipient LIKE 'w0-%'", [], |r| r.get(0)).unwrap();
    assert!(n0 >= 10_000);
}

/// Openers racing on a new file: each switches it to WAL mode, which needs
/// a moment of exclusive access. Two that both read it first deadlock, and
/// SQLite answers one of them "database is locked" at once, without
/// waiting out the busy timeout: the open must wait and try again.
#[test]
fn many_openers_of_a_new_ledger_all_succeed() {
    for round in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("race.db");
        let start = std::sync::Arc::new(std::sync::Barrier::new(8));
        let openers: Vec<_> = (0..8)
            .map(|_| {
                let (path, start) = (path.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    Ledger::open(&path).map(|_| ())
                })
            })
            .collect();
        for o in openers {
            if let Err(e) = o.join().unwrap() {
                panic!("round {round}: {e}");
            }
        }
    }
}
