//! The ledger decides on new events from per-address summaries (schema v4)
//! and reads an address's history only when its summary cannot tell. Its
//! suppression list must be exactly the one of the straightforward method:
//! after every batch, re-read the whole history of every address whose new
//! events may suppress it, and ask the policy (`Policy::first_suppression`).
//!
//! The stream: the verdicts of the shared Sisimai corpus (their reasons,
//! bounce types, status codes and diagnostics), given to 1,200 addresses in
//! 24 domains over 90 simulated days, in batches of different sizes; some
//! batches bring late (out-of-order) mail or the same bounces again; some
//! addresses and domains are released; for a while the ledger is opened
//! with a stricter policy.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use bouncekit::ledger::{Event, Ledger, LedgerOptions, ScanRow};
use bouncekit::{parse, HistoryEvent, Policy, Reason};

const T0: i64 = 1_714_557_600;
const DAY: i64 = 86_400;

fn corpus() -> Option<PathBuf> {
    let candidates =
        [PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sisimai"), PathBuf::from("/work/shared/corpus/sisimai")];
    candidates.into_iter().find(|p| p.join("expected.json").is_file())
}

/// Every recipient verdict of the corpus, as an event (recipient and time
/// are replaced by the stream).
fn verdicts(dir: &Path) -> Vec<Event> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(report) = parse(&std::fs::read(&f).unwrap()) else { continue };
        for row in report.rows("x") {
            let row = ScanRow::from(&row);
            if row.is_delay_notice() {
                continue;
            }
            if let Ok(e) = row.to_event(Some(T0)) {
                out.push(e);
            }
        }
    }
    out
}

/// The straightforward method, kept beside the ledger.
struct Reference {
    policy: Policy,
    /// Address -> its events so far: (recording order, event, domain failure).
    history: HashMap<String, Vec<(usize, HistoryEvent, bool)>>,
    seen: HashSet<(String, String)>,
    released: HashMap<String, i64>,
    domain_released: HashMap<String, i64>,
    /// Address -> (since, reason, why).
    suppressed: BTreeMap<String, (i64, String, String)>,
    order: usize,
}

fn domain_of(a: &str) -> &str {
    a.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

impl Reference {
    fn may_suppress(&self, e: &Event) -> bool {
        let p = &self.policy;
        p.suppresses_at_once(e.reason, e.bounce_type)
            || (e.bounce_type == bouncekit::BounceType::Soft
                && !p.fix_sender_reasons.contains(&e.reason)
                && !p.ignore_reasons.contains(&e.reason)
                && !p.suppress_reasons.contains(&e.reason))
    }

    /// Records a batch (after the ledger did: its domain flags are read from it).
    fn record(&mut self, batch: &[Event], ledger: &Ledger) {
        let mut touched: Vec<String> = Vec::new();
        for e in batch {
            if !self.seen.insert((e.recipient.clone(), e.message_id.clone().unwrap())) {
                continue;
            }
            self.order += 1;
            let df = self.policy.is_domain_failure(e.reason, e.status, e.diagnostic.as_deref());
            let h = HistoryEvent::new(e.time, e.reason, e.bounce_type);
            self.history.entry(e.recipient.clone()).or_default().push((self.order, h, df));
            if self.may_suppress(e) {
                touched.push(e.recipient.clone());
            }
        }
        let flags: HashMap<String, bouncekit::DomainFlag> = ledger.flags().unwrap().into_iter().map(|f| (f.domain.clone(), f)).collect();
        touched.sort();
        touched.dedup();
        for a in touched {
            if self.suppressed.contains_key(&a) {
                continue;
            }
            let domain = domain_of(&a);
            let released = self.released.get(&a).copied().unwrap_or(i64::MIN);
            let domain_released = self.domain_released.get(domain).copied().unwrap_or(i64::MIN);
            let mut hist: Vec<(usize, HistoryEvent)> = self.history[&a]
                .iter()
                .filter(|(_, h, df)| h.time > released && !(*df && h.time <= domain_released))
                .map(|(o, h, _)| (*o, *h))
                .collect();
            hist.sort_by_key(|(o, h)| (h.time, *o));
            let events: Vec<HistoryEvent> = hist.iter().map(|(_, h)| *h).collect();
            let flag = if events.iter().any(|h| self.policy.domain.reasons.contains(&h.reason)) { flags.get(domain) } else { None };
            if let Some((at, d)) = self.policy.first_suppression(&events, flag) {
                self.suppressed.insert(a, (at.time, at.reason.to_string(), d.why));
            }
        }
    }
}

impl Reference {
    fn new(policy: Policy) -> Reference {
        Reference {
            policy,
            history: HashMap::new(),
            seen: HashSet::new(),
            released: HashMap::new(),
            domain_released: HashMap::new(),
            suppressed: BTreeMap::new(),
            order: 0,
        }
    }

    fn release(&mut self, address: &str, at: i64) {
        let r = self.released.entry(address.to_string()).or_insert(at);
        *r = (*r).max(at);
        self.suppressed.remove(address);
    }

    fn release_domain(&mut self, domain: &str, at: i64) {
        let r = self.domain_released.entry(domain.to_string()).or_insert(at);
        *r = (*r).max(at);
    }
}

fn ledger_list(l: &Ledger) -> BTreeMap<String, (i64, String, String)> {
    l.suppressed_at(T0)
        .unwrap()
        .into_iter()
        .map(|s| (s.address, (s.since, s.reason.map(|r| r.to_string()).unwrap_or_default(), s.why)))
        .collect()
}

#[test]
fn summaries_give_the_suppression_list_of_re_reading_every_history() {
    let Some(dir) = corpus() else {
        eprintln!("corpus not found; skipped");
        return;
    };
    let verdicts = verdicts(&dir.join("bsd"));
    assert!(verdicts.len() > 500, "{} verdicts", verdicts.len());
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("eq.db");
    // Stricter, and mailboxfull counted on its own over a longer window
    // than a summary holds events for.
    let strict = Policy::from_toml(
        "[soft]\nthreshold = 2\nwindow = \"7d\"\n[reason.mailboxfull]\nthreshold = 6\nwindow = \"30d\"\n[domain]\nthreshold = 3\n",
    )
    .unwrap();
    // The host/network failures of the corpus, for a stream that flags domains.
    let domain_failures: Vec<&Event> = verdicts.iter().filter(|e| Policy::default().domain.reasons.contains(&e.reason)).collect();
    let mailbox_full: Vec<&Event> = verdicts.iter().filter(|e| e.reason == bouncekit::Reason::MailboxFull).collect();
    let soft: Vec<&Event> = verdicts.iter().filter(|e| e.bounce_type == bouncekit::BounceType::Soft).collect();
    assert!(domain_failures.len() > 10 && mailbox_full.len() > 10 && soft.len() > 100);
    let open = |p: &Policy| Ledger::open_with(&path, LedgerOptions { policy: p.clone(), ..LedgerOptions::default() }).unwrap();
    let mut ledger = open(&Policy::default());
    let mut reference = Reference::new(Policy::default());
    let addresses: Vec<String> = (0..1200).map(|i| format!("user{i}@d{}.example", i % 24)).collect();
    let sizes = [1usize, 7, 60, 250, 13, 120];
    let mut all: Vec<Event> = Vec::new();
    let (mut n, mut releases, mut domain_releases, mut late) = (0usize, 0, 0, 0);
    for b in 0..180usize {
        let day = (b / 2) as i64;
        // The stricter policy for batches 60-89, then the default again.
        if b == 60 || b == 90 {
            let p = if b == 60 { strict.clone() } else { Policy::default() };
            drop(ledger);
            ledger = open(&p);
            reference.policy = p;
        }
        let mut batch: Vec<Event> = (0..sizes[b % sizes.len()])
            .map(|k| {
                n += 1;
                // Mostly soft bounces, so that addresses live long enough to
                // have histories.
                let v = match n % 10 {
                    0 => &verdicts[(n * 7919) % verdicts.len()],
                    1 | 2 => domain_failures[(n * 7) % domain_failures.len()],
                    3 | 4 => mailbox_full[(n * 3) % mailbox_full.len()],
                    _ => soft[(n * 7919) % soft.len()],
                };
                // A few addresses get much of the mail, so histories grow
                // long; host failures go to four domains, so they get flagged.
                let a = &addresses[match n % 10 {
                    1 | 2 => ((n * 7) % 50) * 24 + n % 4,
                    _ if n % 6 == 0 => (n * 13) % 24,
                    _ => (n * 7) % 1200,
                }];
                let t = T0 + day * DAY + (k as i64 * 617) % (DAY / 2) + (b as i64 % 2) * DAY / 2;
                let mut e = v.clone().message_id(format!("<{n}@stream.example>"));
                e.recipient = a.clone();
                e.time = t;
                e
            })
            .collect();
        if b % 9 == 8 && all.len() > 40 {
            // Late mail: bounces of up to three weeks ago, and some again.
            for j in 0..12 {
                n += 1;
                let mut e = verdicts[(n * 31) % verdicts.len()].clone().message_id(format!("<{n}@late.example>"));
                e.recipient = addresses[if j % 2 == 0 { (n * 13) % 24 } else { (n * 11) % 1200 }].clone();
                e.time = T0 + (day - 1 - (j as i64 % 21)).max(0) * DAY + j as i64 * 60;
                batch.push(e);
                late += 1;
            }
            batch.extend(all[all.len() - 30..].iter().cloned());
        }
        ledger.record_batch(&batch).unwrap();
        reference.record(&batch, &ledger);
        all.extend(batch.iter().cloned());
        assert_eq!(ledger_list(&ledger), reference.suppressed, "after batch {b}");

        // Now and then an address comes back (part of its past no longer
        // counts, its later events may), or a flagged domain recovers.
        if b % 3 == 2 {
            let back: Vec<String> = reference.suppressed.keys().skip(b % 5).step_by(5).take(4).cloned().collect();
            for a in back {
                let at = T0 + (day - 3).max(0) * DAY;
                ledger.release_at(&a, at).unwrap();
                reference.release(&a, at);
                releases += 1;
            }
        }
        if b % 15 == 12 {
            if let Some(f) = ledger.flags().unwrap().into_iter().next() {
                let at = T0 + (day - 1).max(0) * DAY;
                ledger.release_domain_at(&f.domain, at).unwrap();
                reference.release_domain(&f.domain, at);
                domain_releases += 1;
            }
        }
    }
    // The stream did what it is for.
    assert!(reference.suppressed.len() > 60, "{} suppressed", reference.suppressed.len());
    assert!(releases > 10 && domain_releases > 0 && late > 100, "{releases} releases, {domain_releases} domain releases, {late} late");
    let longest = reference.history.values().map(Vec::len).max().unwrap();
    assert!(longest > 30, "longest history {longest}");
    assert_eq!(ledger.integrity_check().unwrap(), Ok(()));
}

/// A ledger file and the reference, given the same steps; their suppression
/// lists are compared after each.
struct Pair {
    _dir: tempfile::TempDir,
    path: PathBuf,
    ledger: Ledger,
    reference: Reference,
    n: usize,
}

impl Pair {
    fn new(policy: Policy) -> Pair {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.db");
        let ledger = Ledger::open_with(&path, LedgerOptions { policy: policy.clone(), ..LedgerOptions::default() }).unwrap();
        Pair { _dir: dir, path, ledger, reference: Reference::new(policy), n: 0 }
    }

    /// One batch of (address, day, reason) bounces.
    fn record(&mut self, what: &str, events: &[(&str, f64, Reason)]) {
        let batch: Vec<Event> = events
            .iter()
            .map(|(a, day, r)| {
                self.n += 1;
                let e = Event::new(*a, T0 + (day * DAY as f64) as i64, *r).message_id(format!("<{}@edge.example>", self.n));
                // Host failures on connecting, so that they are the domain's.
                if policy_domain_reason(*r) { e.diagnostic("connect to mx.example: Connection timed out") } else { e }
            })
            .collect();
        self.ledger.record_batch(&batch).unwrap();
        self.reference.record(&batch, &self.ledger);
        assert_eq!(ledger_list(&self.ledger), self.reference.suppressed, "{what}");
    }

    fn reopen(&mut self, policy: Policy) {
        let opts = LedgerOptions { policy: policy.clone(), ..LedgerOptions::default() };
        self.ledger = Ledger::open_with(&self.path, opts).unwrap();
        self.reference.policy = policy;
    }

    fn suppressed(&self, a: &str) -> bool {
        self.reference.suppressed.contains_key(a)
    }
}

fn policy_domain_reason(r: Reason) -> bool {
    Policy::default().domain.reasons.contains(&r)
}

/// Each case is one way a summary could be stale or short; each would give
/// a different list if the ledger trusted the summary there.
#[test]
fn summaries_step_aside_where_they_cannot_tell() {
    use Reason::{MailboxFull, NetworkError, SystemError, UserUnknown};

    // A reason counted over a longer window than the summary holds events for.
    let long = Policy::from_toml("[reason.mailboxfull]\nthreshold = 6\nwindow = \"30d\"\n").unwrap();
    let mut p = Pair::new(long);
    for day in [0.0, 5.0, 10.0, 15.0, 20.0, 25.0] {
        p.record("six mailbox-fulls in 30 days", &[("a@one.example", day, MailboxFull)]);
    }
    assert!(p.suppressed("a@one.example"));

    // Host failures excused by a domain flag, which is then lifted: they
    // count again, in a window older than the summarised events.
    let mut p = Pair::new(Policy::default());
    let others: Vec<String> = (0..5).map(|i| format!("o{i}@two.example")).collect();
    let mut first: Vec<(&str, f64, Reason)> = others.iter().map(|o| (o.as_str(), 1.0, NetworkError)).collect();
    first.push(("c@two.example", 2.0, NetworkError));
    p.record("the domain is flagged", &first);
    assert!(!p.ledger.flags().unwrap().is_empty());
    p.record("excused failures", &[("c@two.example", 2.5, NetworkError), ("c@two.example", 3.0, NetworkError)]);
    assert!(!p.suppressed("c@two.example"));
    for day in [20.0, 40.0, 60.0, 80.0] {
        p.record("later soft bounces", &[("c@two.example", day, SystemError)]);
    }
    p.ledger.release_domain_at("two.example", T0 + DAY * 3 / 2).unwrap();
    p.reference.release_domain("two.example", T0 + DAY * 3 / 2);
    p.record("after the domain's release", &[("c@two.example", 100.0, SystemError)]);
    assert!(p.suppressed("c@two.example"));

    // A stricter policy makes old events count.
    let mut p = Pair::new(Policy::default());
    for day in [0.0, 5.0, 20.0, 40.0, 60.0, 80.0] {
        p.record("spaced soft bounces", &[("d@three.example", day, SystemError)]);
    }
    assert!(!p.suppressed("d@three.example"));
    p.reopen(Policy::from_toml("[soft]\nthreshold = 2\nwindow = \"7d\"\n").unwrap());
    p.record("under the stricter policy", &[("d@three.example", 100.0, SystemError)]);
    assert!(p.suppressed("d@three.example"));

    // A domain release excuses summarised host failures.
    let mut p = Pair::new(Policy::default());
    p.record("two host failures", &[("e@four.example", 10.0, NetworkError)]);
    p.record("two host failures", &[("e@four.example", 11.0, NetworkError)]);
    p.ledger.release_domain_at("four.example", T0 + 12 * DAY).unwrap();
    p.reference.release_domain("four.example", T0 + 12 * DAY);
    p.record("a third after the domain's release", &[("e@four.example", 13.0, NetworkError)]);
    assert!(!p.suppressed("e@four.example"));

    // An address released: mail from before its release no longer counts,
    // even when it arrives after.
    let mut p = Pair::new(Policy::default());
    p.record("a hard bounce", &[("f@five.example", 10.0, UserUnknown)]);
    p.ledger.release_at("f@five.example", T0 + 50 * DAY).unwrap();
    p.reference.release("f@five.example", T0 + 50 * DAY);
    p.record("late mail from before the release", &[("f@five.example", 45.0, SystemError)]);
    p.record("more of it, and one after", &[("f@five.example", 46.0, SystemError), ("f@five.example", 47.0, SystemError), ("f@five.example", 55.0, SystemError)]);
    assert!(!p.suppressed("f@five.example"));
    p.record("two more after", &[("f@five.example", 61.0, SystemError), ("f@five.example", 62.0, SystemError)]);
    assert!(p.suppressed("f@five.example"));

    // Late mail between summarised events.
    let mut p = Pair::new(Policy::default());
    for day in [10.0, 30.0, 50.0, 70.0] {
        p.record("spaced soft bounces", &[("g@six.example", day, SystemError)]);
    }
    p.record("late", &[("g@six.example", 60.0, SystemError)]);
    p.record("later", &[("g@six.example", 65.0, SystemError)]);
    assert!(p.suppressed("g@six.example"));
}
