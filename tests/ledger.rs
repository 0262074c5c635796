//! The ledger: record, idempotence, refusal of bad input, decisions, release,
//! domain health, export, statistics, schema versions.
#![cfg(feature = "ledger")]

use bouncekit::ledger::{record_rows, Event, ExportFormat, Ledger, LedgerError, LedgerOptions, RowOptions, ScanRow, SCHEMA_VERSION};
use bouncekit::{classify, Action, BounceType, Policy, Reason};

const H: i64 = 3600;
const D: i64 = 86_400;
const T0: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

fn mem() -> Ledger {
    Ledger::open_in_memory().unwrap()
}

fn with_policy(toml: &str) -> Ledger {
    Ledger::open_in_memory_with(LedgerOptions { policy: Policy::from_toml(toml).unwrap(), ..LedgerOptions::default() }).unwrap()
}

#[test]
fn records_and_decides() {
    let mut l = mem();
    let c = classify("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table");
    let s = l
        .record_batch(&[
            Event::from_classification("Bob@Example.com", T0, &c).message_id("<b1@mx.example.net>").source("bounces/1.eml"),
            Event::new("ann@example.com", T0, Reason::MailboxFull),
            Event::new("cid@example.org", T0, Reason::Blocked),
            Event::new("dee@example.org", T0, Reason::Vacation),
        ])
        .unwrap();
    assert_eq!((s.events, s.recorded, s.duplicates, s.suppressed), (4, 4, 0, 1));
    assert!(l.is_suppressed_at("bob@example.com", T0).unwrap());
    assert!(l.is_suppressed_at("<BOB@example.COM>", T0).unwrap());
    let d = l.decide("bob@example.com", T0 + H).unwrap();
    assert_eq!(d.action, Action::Suppress);
    assert_eq!(d.why, "suppressed since 2024-05-01T10:00:00Z: hard bounce (userunknown) suppresses at once");
    let d = l.decide("ann@example.com", T0 + H).unwrap();
    assert_eq!(d.action, Action::Retry);
    assert_eq!(d.retry_after, Some(std::time::Duration::from_secs(11 * 3600)), "counted from now");
    assert_eq!(l.decide("ann@example.com", T0 + D).unwrap().retry_after, Some(std::time::Duration::ZERO));
    assert_eq!(l.decide("cid@example.org", T0).unwrap().action, Action::FixSender);
    assert!(!l.is_suppressed_at("cid@example.org", T0).unwrap());
    assert_eq!(l.decide("dee@example.org", T0).unwrap().action, Action::Ignore);
    let d = l.decide("nobody@example.org", T0).unwrap();
    assert_eq!((d.action, d.why.as_str()), (Action::Ignore, "no bounces recorded"));
    assert_eq!(l.event_count().unwrap(), 4);
}

#[test]
fn three_mailbox_fulls_in_two_weeks_suppress() {
    let mut l = mem();
    for (i, t) in [T0, T0 + 5 * D].iter().enumerate() {
        l.record(&Event::new("ann@example.com", *t, Reason::MailboxFull).message_id(format!("m{i}"))).unwrap();
    }
    assert!(!l.is_suppressed_at("ann@example.com", T0 + 6 * D).unwrap());
    let s = l.record(&Event::new("ann@example.com", T0 + 13 * D, Reason::MailboxFull).message_id("m3")).unwrap();
    assert_eq!(s.suppressed, 1);
    let sup = l.suppression("ann@example.com").unwrap().unwrap();
    assert_eq!(sup.since, T0 + 13 * D);
    assert_eq!(sup.reason, Some(Reason::MailboxFull));
    assert_eq!(sup.why, "3 soft bounces (mailboxfull ×3) in 14 days");
    // Three over three weeks: not.
    for (i, t) in [T0, T0 + 8 * D, T0 + 16 * D].iter().enumerate() {
        l.record(&Event::new("bea@example.com", *t, Reason::MailboxFull).message_id(format!("b{i}"))).unwrap();
    }
    assert!(!l.is_suppressed_at("bea@example.com", T0 + 16 * D).unwrap());
}

#[test]
fn a_block_on_the_sender_never_costs_the_recipient() {
    let mut l = mem();
    let events: Vec<_> = (0..50)
        .map(|i| Event::new("good@example.com", T0 + i * H, Reason::Blocked).bounce_type(BounceType::Hard).message_id(format!("x{i}")))
        .collect();
    l.record_batch(&events).unwrap();
    assert!(!l.is_suppressed_at("good@example.com", T0 + D).unwrap());
    assert_eq!(l.decide("good@example.com", T0 + D).unwrap().action, Action::FixSender);
}

#[test]
fn importing_out_of_order_gives_the_same_list() {
    let events = vec![
        Event::new("ann@example.com", T0 + 10 * D, Reason::MailboxFull),
        Event::new("ann@example.com", T0, Reason::MailboxFull),
        Event::new("ann@example.com", T0 + 5 * D, Reason::SystemFull),
    ];
    let mut a = mem();
    for e in &events {
        a.record(e).unwrap();
    }
    let mut b = mem();
    for e in events.iter().rev() {
        b.record(e).unwrap();
    }
    let (sa, sb) = (a.suppressed_at(T0).unwrap(), b.suppressed_at(T0).unwrap());
    assert_eq!(sa.len(), 1);
    assert_eq!(sa, sb);
    assert_eq!(sa[0].since, T0 + 10 * D);
}

#[test]
fn a_batch_rolled_back_leaves_no_address_behind() {
    let mut l = mem();
    let mut b = l.batch().unwrap();
    assert!(b.record(&Event::new("new@example.com", T0, Reason::MailboxFull)).unwrap());
    drop(b); // rolled back: the address's new number is gone with it
    assert_eq!(l.event_count().unwrap(), 0);
    l.record_batch(&[Event::new("other@example.com", T0, Reason::MailboxFull)]).unwrap();
    l.record_batch(&[Event::new("new@example.com", T0 + H, Reason::UserUnknown)]).unwrap();
    assert_eq!(l.history("new@example.com").unwrap().len(), 1);
    assert_eq!(l.history("other@example.com").unwrap().len(), 1);
    assert!(l.is_suppressed_at("new@example.com", T0 + H).unwrap());
    // Known addresses in later batches join their histories.
    l.record_batch(&[Event::new("other@example.com", T0 + D, Reason::MailboxFull)]).unwrap();
    assert_eq!(l.history("other@example.com").unwrap().len(), 2);
}

#[test]
fn the_same_bounce_twice_counts_once() {
    let mut l = mem();
    let batch: Vec<_> = (0..100)
        .map(|i| {
            let e = Event::new(format!("u{i}@example.com"), T0 + i, Reason::MailboxFull).diagnostic(format!("452 4.2.2 over quota {i}"));
            if i % 2 == 0 {
                e.message_id(format!("<bounce{i}@mx>"))
            } else {
                e
            }
        })
        .collect();
    assert_eq!(l.record_batch(&batch).unwrap().recorded, 100);
    let before = l.stats_at(T0).unwrap();
    let again = l.record_batch(&batch).unwrap();
    assert_eq!((again.recorded, again.duplicates), (0, 100));
    assert_eq!(l.stats_at(T0).unwrap(), before);
    // The message id is the identity, with or without brackets, whatever the classification says now.
    let s = l.record(&Event::new("U0@example.com", T0, Reason::UserUnknown).message_id("bounce0@mx")).unwrap();
    assert_eq!(s.duplicates, 1);
    // Without one, recipient + time + diagnostic; a different time is another bounce.
    let s = l.record(&Event::new("u1@example.com", T0 + 1, Reason::Undefined).diagnostic("452 4.2.2 over quota 1")).unwrap();
    assert_eq!(s.duplicates, 1);
    let s = l.record(&Event::new("u1@example.com", T0 + 2, Reason::MailboxFull).diagnostic("452 4.2.2 over quota 1")).unwrap();
    assert_eq!(s.recorded, 1);
    // Duplicates inside one batch, too.
    let e = Event::new("dup@example.com", T0, Reason::MailboxFull);
    let s = l.record_batch(&[e.clone(), e.clone(), e]).unwrap();
    assert_eq!((s.recorded, s.duplicates), (1, 2));
}

fn refused(l: &mut Ledger, bad: Event) -> String {
    let good = Event::new("fine@example.com", T0, Reason::UserUnknown);
    let before = l.event_count().unwrap();
    let err = l.record_batch(&[good.clone(), good.clone().message_id("x"), bad]).unwrap_err();
    assert!(matches!(err, LedgerError::InvalidEvent { row: 3, .. }), "{err:?}");
    assert_eq!(l.event_count().unwrap(), before, "nothing half-written");
    assert!(!l.is_suppressed_at("fine@example.com", T0).unwrap());
    err.to_string()
}

#[test]
fn bad_events_refuse_the_whole_batch() {
    let mut l = mem();
    let cases = [
        (Event::new("no-at-sign", T0, Reason::MailboxFull), "recipient: \"no-at-sign\" has no @"),
        (Event::new("a@b@c.example", T0, Reason::MailboxFull), "has more than one @"),
        (Event::new("@example.com", T0, Reason::MailboxFull), "has an empty local part"),
        (Event::new("bob@", T0, Reason::MailboxFull), "has an empty domain"),
        (Event::new("", T0, Reason::MailboxFull), "empty address"),
        (Event::new("bob\n@example.com", T0, Reason::MailboxFull), "contains control characters"),
        (Event::new("bob\u{0}@example.com", T0, Reason::MailboxFull), "contains control characters"),
        (Event::new("bob smith@example.com", T0, Reason::MailboxFull), "contains whitespace"),
        (Event::new("bob@exa;mple.com", T0, Reason::MailboxFull), "is not a domain name"),
        (Event::new("bob@example.com", 0, Reason::MailboxFull), "time: 0 is out of range"),
        (Event::new("bob@example.com", -5, Reason::MailboxFull), "out of range"),
        (Event::new("bob@example.com", 99_999_999_999, Reason::MailboxFull), "out of range"),
        (Event::new("bob@example.com", T0, Reason::MailboxFull).message_id("a\rb"), "message_id"),
        (Event::new("bob@example.com", T0, Reason::MailboxFull).source("x".repeat(5000)), "source: longer than"),
    ];
    for (bad, want) in cases {
        let msg = refused(&mut l, bad);
        assert!(msg.contains(want), "{msg}");
        assert!(msg.starts_with("invalid event (row 3): ") && msg.ends_with("nothing of this batch was recorded"), "{msg}");
    }
    assert_eq!(l.event_count().unwrap(), 0);
    // A streamed batch that fails is rolled back when dropped.
    {
        let mut b = l.batch().unwrap();
        b.record(&Event::new("ok@example.com", T0, Reason::UserUnknown)).unwrap();
        let e = b.record(&Event::new("bad", T0, Reason::UserUnknown)).unwrap_err();
        assert!(matches!(e, LedgerError::InvalidEvent { row: 2, .. }), "{e}");
    }
    assert_eq!(l.event_count().unwrap(), 0);
    // Queries refuse bad addresses too.
    assert!(matches!(l.decide("nope", T0), Err(LedgerError::InvalidAddress { .. })));
}

fn row(json: &str) -> ScanRow {
    serde_json::from_str(json).unwrap()
}

#[test]
fn scan_rows_are_recorded_and_checked() {
    let mut l = mem();
    let rows = [
        row(r#"{"source":"a.eml","message_kind":"bounce","recipient":"bob@example.com","dsn_action":"failed","status":"5.1.1","reply_code":550,"reason":"userunknown","bounce_type":"hard","category":"addressing","action":"suppress","diagnostic":"550 5.1.1 user unknown","timestamp":"Wed, 1 May 2024 12:00:00 +0200","decoded_by":"rfc3464","rule":"status:5.1.1","feedback_type":null}"#),
        row(r#"{"recipient":"ann@example.com","reason":"mailboxfull","status":"4.2.2","reply_code":"452","timestamp":1714557600}"#),
        row(r#"{"recipient":"cid@example.com","reason":"feedback","timestamp":"2024-05-01T10:00:00Z","feedback_type":"abuse"}"#),
    ];
    let s = record_rows(&mut l, &rows, &RowOptions::default()).unwrap();
    assert_eq!((s.recorded, s.suppressed), (3, 2));
    let sup = l.suppression("bob@example.com").unwrap().unwrap();
    assert_eq!(sup.since, T0);
    assert!(l.is_suppressed_at("cid@example.com", T0).unwrap());
    // Again: nothing new.
    assert_eq!(record_rows(&mut l, &rows, &RowOptions::default()).unwrap().duplicates, 3);

    let bad = [
        (r#"{"recipient":"x@example.com","reason":"mailboxfool","timestamp":1714557600}"#, "reason: unknown reason \"mailboxfool\""),
        (r#"{"recipient":"x@example.com","reason":"","timestamp":1714557600}"#, "reason: missing"),
        (r#"{"recipient":"x@example.com","reason":"mailboxfull"}"#, "timestamp: missing"),
        (r#"{"recipient":"x@example.com","reason":"mailboxfull","timestamp":"last tuesday"}"#, "timestamp: \"last tuesday\" is not a date"),
        (r#"{"recipient":"x@example.com","reason":"mailboxfull","timestamp":"1970-01-01T00:00:00Z"}"#, "time: 0 is out of range"),
        (r#"{"recipient":"x@example.com","reason":"mailboxfull","timestamp":1714557600,"status":"9.9.9"}"#, "status: invalid enhanced status code"),
        (r#"{"recipient":"x@example.com","reason":"mailboxfull","timestamp":1714557600,"reply_code":999}"#, "reply_code"),
        (r#"{"recipient":"x@example.com","reason":"mailboxfull","timestamp":1714557600,"bounce_type":"squishy"}"#, "bounce_type: unknown bounce type"),
        (r#"{"recipient":"x","reason":"mailboxfull","timestamp":1714557600}"#, "recipient: \"x\" has no @"),
    ];
    let before = l.event_count().unwrap();
    for (json, want) in bad {
        let rows = [row(r#"{"recipient":"y@example.com","reason":"userunknown","timestamp":1714557600}"#), row(json)];
        let e = record_rows(&mut l, &rows, &RowOptions::default()).unwrap_err().to_string();
        assert!(e.contains("(row 2)") && e.contains(want), "{json}: {e}");
        assert_eq!(l.event_count().unwrap(), before, "{json}: nothing half-written");
    }
    // Delay notices are not bounces.
    let rows = [
        row(r#"{"recipient":"d@example.com","reason":"expired","message_kind":"delay","dsn_action":"delayed","timestamp":1714557600}"#),
        row(r#"{"recipient":"d@example.com","reason":"mailboxfull","dsn_action":"Delayed","timestamp":1714557601}"#),
    ];
    let s = record_rows(&mut l, &rows, &RowOptions::default()).unwrap();
    assert_eq!((s.recorded, s.skipped), (0, 2));
    // A default time fills a missing timestamp.
    let rows = [row(r#"{"recipient":"z@example.com","reason":"userunknown"}"#)];
    record_rows(&mut l, &rows, &RowOptions { default_time: Some(T0), ..RowOptions::default() }).unwrap();
    assert!(l.is_suppressed_at("z@example.com", T0).unwrap());
}

#[test]
fn record_rows_in_batches_keeps_the_batches_before_a_bad_row() {
    let mut l = mem();
    let mut rows: Vec<ScanRow> =
        (0..10).map(|i| row(&format!(r#"{{"recipient":"u{i}@example.com","reason":"mailboxfull","timestamp":{}}}"#, T0 + i))).collect();
    rows.push(row(r#"{"recipient":"bad","reason":"mailboxfull","timestamp":1714557600}"#));
    let e = record_rows(&mut l, &rows, &RowOptions { batch_size: 4, default_time: None }).unwrap_err();
    assert!(e.to_string().contains("row 11"), "{e}");
    assert_eq!(l.event_count().unwrap(), 8, "two batches of 4 committed, the third refused");
}

#[test]
fn release_brings_an_address_back() {
    let mut l = mem();
    l.record(&Event::new("bob@example.com", T0, Reason::UserUnknown)).unwrap();
    assert!(l.is_suppressed_at("bob@example.com", T0).unwrap());
    assert!(l.release_at("bob@example.com", T0 + D).unwrap());
    assert!(!l.is_suppressed_at("bob@example.com", T0 + D).unwrap());
    assert!(!l.release_at("bob@example.com", T0 + D).unwrap(), "already released");
    let d = l.decide("bob@example.com", T0 + 2 * D).unwrap();
    assert_eq!((d.action, d.why.as_str()), (Action::Ignore, "no bounces recorded"));
    // Old bounces imported late don't re-suppress it; new ones do.
    l.record(&Event::new("bob@example.com", T0 - D, Reason::UserUnknown)).unwrap();
    assert!(!l.is_suppressed_at("bob@example.com", T0 + 2 * D).unwrap());
    // Two soft bounces before the release and one after: not three.
    l.record_batch(&[Event::new("bob@example.com", T0 + D - 2, Reason::MailboxFull), Event::new("bob@example.com", T0 + D - 1, Reason::MailboxFull)])
        .unwrap();
    l.record(&Event::new("bob@example.com", T0 + D + 1, Reason::MailboxFull)).unwrap();
    assert!(!l.is_suppressed_at("bob@example.com", T0 + 2 * D).unwrap());
    l.record(&Event::new("bob@example.com", T0 + 3 * D, Reason::HasMoved)).unwrap();
    assert!(l.is_suppressed_at("bob@example.com", T0 + 3 * D).unwrap());
}

fn fail_domain(l: &mut Ledger, domain: &str, n: i64, t: i64, reason: Reason) {
    let events: Vec<_> = (0..n).map(|i| Event::new(format!("user{i}@{domain}"), t + i * 60, reason).bounce_type(BounceType::Soft)).collect();
    l.record_batch(&events).unwrap();
}

#[test]
fn many_addresses_failing_flag_their_domain() {
    let mut l = mem();
    fail_domain(&mut l, "dead.example", 4, T0, Reason::NetworkError);
    assert!(l.domain_flag_at("dead.example", T0 + H).unwrap().is_none());
    fail_domain(&mut l, "dead.example", 6, T0 + 600, Reason::NetworkError);
    let flag = l.domain_flag_at("dead.example", T0 + H).unwrap().expect("flagged");
    assert_eq!(flag.addresses, 6);
    // Hold (the default): an address that never bounced is held too, and nobody is suppressed.
    let d = l.decide("someone-else@dead.example", T0 + H).unwrap();
    assert_eq!(d.action, Action::Retry);
    assert!(d.why.contains("domain dead.example is flagged"), "{}", d.why);
    assert!(!l.is_suppressed_at("someone-else@dead.example", T0 + H).unwrap());
    // Their host failures while flagged don't count against them.
    for k in 1..=3 {
        fail_domain(&mut l, "dead.example", 6, T0 + k * 2 * H, Reason::NetworkError);
    }
    assert_eq!(l.suppressed_at(T0 + D).unwrap().len(), 0);
    let s = &l.domains_at(T0 + H, 0).unwrap()[0];
    assert_eq!((s.domain.as_str(), s.flagged, s.domain_failures), ("dead.example", true, 28));
    // The flag lapses three days after the last failure...
    let flag = l.domain_flag_at("dead.example", T0 + H).unwrap().unwrap();
    assert_eq!(flag.expires_at, flag.last_failure + 3 * D);
    assert!(l.domain_flag_at("dead.example", flag.expires_at).unwrap().is_none());
    assert_eq!(l.decide("someone-else@dead.example", flag.expires_at).unwrap().action, Action::Ignore);
    // ... or when released.
    assert!(l.release_domain_at("dead.example", T0 + 7 * H).unwrap());
    assert!(l.domain_flag_at("dead.example", T0 + 7 * H).unwrap().is_none());
    // Its addresses' host failures up to the release were the domain's, not theirs.
    assert_eq!(l.decide("user1@dead.example", T0 + 7 * H).unwrap().action, Action::Ignore);
    assert_eq!(l.suppressed_at(T0 + 7 * H).unwrap().len(), 0);
    // Failures from before the release don't flag it again; new ones do.
    fail_domain(&mut l, "dead.example", 2, T0 + 5 * H, Reason::NetworkError);
    assert!(l.domain_flag_at("dead.example", T0 + 8 * H).unwrap().is_none());
    fail_domain(&mut l, "dead.example", 5, T0 + 9 * H, Reason::NetworkError);
    assert!(l.domain_flag_at("dead.example", T0 + 10 * H).unwrap().is_some());
}

#[test]
fn domain_suppress_policy_lists_the_domain() {
    let mut l = with_policy("[domain]\naction = \"suppress\"\nthreshold = 3\n");
    fail_domain(&mut l, "gone.example", 3, T0, Reason::HostUnknown);
    // Every address of the domain counts as suppressed while the flag holds.
    assert!(l.is_suppressed_at("new@gone.example", T0 + H).unwrap());
    let list = l.suppressed_at(T0 + H).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].address, "*@gone.example");
    assert!(list[0].until.is_some());
    let d = l.decide("new@gone.example", T0 + H).unwrap();
    assert_eq!(d.action, Action::Suppress);
    assert!(!l.is_suppressed_at("new@gone.example", T0 + 10 * D).unwrap(), "the flag lapsed");
    // expired without a connection error is not the domain's fault.
    let mut m = with_policy("[domain]\nthreshold = 2\n");
    let ev = |r: &str, t| Event::new(format!("{r}@slow.example"), t, Reason::Expired).diagnostic("Delivery time expired");
    m.record_batch(&[ev("a", T0), ev("b", T0 + 1), ev("c", T0 + 2)]).unwrap();
    assert!(m.domain_flag_at("slow.example", T0 + 3).unwrap().is_none());
    let ev = |r: &str, t| Event::new(format!("{r}@slow.example"), t, Reason::Expired).diagnostic("connect to mx.slow.example[192.0.2.7]:25: Connection timed out");
    m.record_batch(&[ev("a", T0 + 10), ev("b", T0 + 11)]).unwrap();
    assert!(m.domain_flag_at("slow.example", T0 + 12).unwrap().is_some());
}

#[test]
fn exports_csv_and_json() {
    let mut l = mem();
    l.record_batch(&[
        Event::new("bob@example.com", T0, Reason::UserUnknown),
        Event::new("ann@example.com", T0 + 60, Reason::Feedback),
        Event::new("ok@example.com", T0, Reason::MailboxFull),
    ])
    .unwrap();
    let mut csv = Vec::new();
    assert_eq!(l.export_at(&mut csv, ExportFormat::Csv, T0).unwrap(), 2);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(
        csv,
        "address,domain,scope,reason,bounce_type,since,until,why\n\
         ann@example.com,example.com,address,feedback,none,2024-05-01T10:01:00Z,,feedback suppresses at once\n\
         bob@example.com,example.com,address,userunknown,hard,2024-05-01T10:00:00Z,,hard bounce (userunknown) suppresses at once\n"
    );
    let mut js = Vec::new();
    l.export_at(&mut js, ExportFormat::Json, T0).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&js).unwrap();
    assert_eq!(v[1]["address"], "bob@example.com");
    assert_eq!(v[1]["since"], "2024-05-01T10:00:00Z");
    assert_eq!(v[1]["since_unix"], T0);
    assert_eq!(v[1]["reason"], "userunknown");
    // Quoting: a why with a comma.
    let mut m = with_policy("[soft]\nthreshold = 2\n");
    m.record_batch(&[Event::new("x@example.com", T0, Reason::MailboxFull), Event::new("x@example.com", T0 + 1, Reason::SystemFull)]).unwrap();
    let mut csv = Vec::new();
    m.export_csv(&mut csv).unwrap();
    assert!(String::from_utf8(csv).unwrap().ends_with(",\"2 soft bounces (mailboxfull, systemfull) in 14 days\"\n"));
}

#[test]
fn stats_count_what_is_there() {
    let mut l = mem();
    l.record_batch(&[
        Event::new("bob@a.example", T0, Reason::UserUnknown),
        Event::new("bob@a.example", T0 + D, Reason::UserUnknown),
        Event::new("ann@b.example", T0 + 2 * D, Reason::MailboxFull),
    ])
    .unwrap();
    let s = l.stats_at(T0).unwrap();
    assert_eq!((s.events, s.recipients, s.domains, s.suppressed, s.flagged_domains), (3, 2, 2, 1, 0));
    assert_eq!((s.first_event, s.last_event), (Some(T0), Some(T0 + 2 * D)));
    assert_eq!(s.by_reason, vec![("userunknown".into(), 2), ("mailboxfull".into(), 1)]);
    assert_eq!(s.schema_version, SCHEMA_VERSION);
    let d = l.domains_at(T0, 0).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].domain.as_str(), d[0].events, d[0].recipients, d[0].hard, d[0].suppressed), ("a.example", 2, 1, 2, 1));
    assert_eq!(l.domains_at(T0, 1).unwrap().len(), 1);
    assert_eq!(l.history("bob@a.example").unwrap().len(), 2);
}

#[test]
fn files_open_migrate_and_refuse_what_is_not_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("l.db");
    {
        let mut l = Ledger::open(&p).unwrap();
        assert_eq!(l.schema_version().unwrap(), SCHEMA_VERSION);
        l.record(&Event::new("bob@example.com", T0, Reason::UserUnknown)).unwrap();
    }
    let l = Ledger::open(&p).unwrap();
    assert_eq!(l.event_count().unwrap(), 1);
    let mode: String = l.connection().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(l.integrity_check().unwrap(), Ok(()));
    drop(l);

    // A newer schema is refused, not damaged.
    let c = rusqlite_conn(&p);
    c.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(c);
    let e = Ledger::open(&p).unwrap_err();
    assert!(matches!(e, LedgerError::SchemaTooNew { .. }), "{e}");
    assert!(e.to_string().contains("upgrade bouncekit"), "{e}");

    // Someone else's database.
    let q = dir.path().join("other.db");
    rusqlite_conn(&q).execute_batch("CREATE TABLE t (x)").unwrap();
    let e = Ledger::open(&q).unwrap_err();
    assert!(matches!(e, LedgerError::NotALedger(_)), "{e}");
    // Not a database at all.
    let r = dir.path().join("text.db");
    std::fs::write(&r, "this is not a database, just some text that is long enough to be a header... ".repeat(20)).unwrap();
    let e = Ledger::open(&r).unwrap_err();
    assert!(e.to_string().contains("not a database"), "{e}");
}

fn rusqlite_conn(p: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(p).unwrap()
}

/// The schema of version 1 ledgers (bouncekit before the events table lost
/// its separate key index), as they exist on disk.
const SCHEMA_V1: &str = "
CREATE TABLE events (
    id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, recipient TEXT NOT NULL, domain TEXT NOT NULL,
    time INTEGER NOT NULL, reason TEXT NOT NULL, bounce_type TEXT NOT NULL, status TEXT, reply_code INTEGER,
    action TEXT NOT NULL, domain_failure INTEGER NOT NULL DEFAULT 0, message_id TEXT, source TEXT,
    diagnostic TEXT, recorded_at INTEGER NOT NULL);
CREATE INDEX events_by_recipient ON events (recipient, time);
CREATE INDEX events_domain_failures ON events (domain, time) WHERE domain_failure = 1;
CREATE TABLE suppressions (
    recipient TEXT PRIMARY KEY, domain TEXT NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL,
    bounce_type TEXT NOT NULL, why TEXT NOT NULL, event_id INTEGER NOT NULL REFERENCES events (id));
CREATE INDEX suppressions_by_domain ON suppressions (domain);
CREATE TABLE releases (recipient TEXT PRIMARY KEY, released_at INTEGER NOT NULL);
CREATE TABLE domain_flags (
    domain TEXT PRIMARY KEY, first_failure INTEGER NOT NULL, since INTEGER NOT NULL, last_failure INTEGER NOT NULL,
    addresses INTEGER NOT NULL, expires_at INTEGER NOT NULL, why TEXT NOT NULL);
CREATE TABLE domain_releases (domain TEXT PRIMARY KEY, released_at INTEGER NOT NULL);
";

/// Version 2 (one (recipient, key) index; keys of 16 bytes), as on disk.
const SCHEMA_V2: &str = "
CREATE TABLE events (
    id INTEGER PRIMARY KEY, key BLOB NOT NULL, recipient TEXT NOT NULL, domain TEXT NOT NULL,
    time INTEGER NOT NULL, reason TEXT NOT NULL, bounce_type TEXT NOT NULL, status TEXT, reply_code INTEGER,
    action TEXT NOT NULL, domain_failure INTEGER NOT NULL DEFAULT 0, message_id TEXT, source TEXT,
    diagnostic TEXT, recorded_at INTEGER NOT NULL);
CREATE TABLE suppressions (
    recipient TEXT PRIMARY KEY, domain TEXT NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL,
    bounce_type TEXT NOT NULL, why TEXT NOT NULL, event_id INTEGER NOT NULL REFERENCES events (id));
CREATE INDEX suppressions_by_domain ON suppressions (domain);
CREATE TABLE releases (recipient TEXT PRIMARY KEY, released_at INTEGER NOT NULL);
CREATE TABLE domain_flags (
    domain TEXT PRIMARY KEY, first_failure INTEGER NOT NULL, since INTEGER NOT NULL, last_failure INTEGER NOT NULL,
    addresses INTEGER NOT NULL, expires_at INTEGER NOT NULL, why TEXT NOT NULL);
CREATE TABLE domain_releases (domain TEXT PRIMARY KEY, released_at INTEGER NOT NULL);
CREATE UNIQUE INDEX events_by_recipient_key ON events (recipient, key);
CREATE INDEX events_domain_failures ON events (domain, time) WHERE domain_failure = 1;
";

/// Version 3 (addresses numbered; one (number, 8-byte key) index), as on disk.
const SCHEMA_V3: &str = "
CREATE TABLE events (
    id INTEGER PRIMARY KEY, key BLOB NOT NULL, recipient TEXT NOT NULL, domain TEXT NOT NULL,
    time INTEGER NOT NULL, reason TEXT NOT NULL, bounce_type TEXT NOT NULL, status TEXT, reply_code INTEGER,
    action TEXT NOT NULL, domain_failure INTEGER NOT NULL DEFAULT 0, message_id TEXT, source TEXT,
    diagnostic TEXT, recorded_at INTEGER NOT NULL, rid INTEGER NOT NULL DEFAULT 0);
CREATE TABLE suppressions (
    recipient TEXT PRIMARY KEY, domain TEXT NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL,
    bounce_type TEXT NOT NULL, why TEXT NOT NULL, event_id INTEGER NOT NULL REFERENCES events (id));
CREATE INDEX suppressions_by_domain ON suppressions (domain);
CREATE TABLE releases (recipient TEXT PRIMARY KEY, released_at INTEGER NOT NULL);
CREATE TABLE domain_flags (
    domain TEXT PRIMARY KEY, first_failure INTEGER NOT NULL, since INTEGER NOT NULL, last_failure INTEGER NOT NULL,
    addresses INTEGER NOT NULL, expires_at INTEGER NOT NULL, why TEXT NOT NULL);
CREATE TABLE domain_releases (domain TEXT PRIMARY KEY, released_at INTEGER NOT NULL);
CREATE TABLE recipients (id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE);
CREATE UNIQUE INDEX events_by_rid_key ON events (rid, key);
CREATE INDEX events_domain_failures ON events (domain, time, rid) WHERE domain_failure = 1;
";

const EVENT_COLUMNS: &str = "id, key, recipient, domain, time, reason, bounce_type, status, reply_code, action, \
                             domain_failure, message_id, source, diagnostic, recorded_at";

/// Writes the events of a ledger of this version into a file with an older
/// schema, as that version wrote them: keys of versions 1 and 2 were 16
/// bytes, of which version 3 keeps the first 8 (the low 8 are made up here:
/// the migration drops them); version 3 numbered the addresses, as now.
fn write_old_ledger(old: &std::path::Path, schema: &str, version: i64, from: &std::path::Path) {
    let c = rusqlite_conn(old);
    c.execute_batch(schema).unwrap();
    c.execute("ATTACH ?1 AS n", [from.to_str().unwrap()]).unwrap();
    if version >= 3 {
        c.execute(&format!("INSERT INTO main.events ({EVENT_COLUMNS}, rid) SELECT {EVENT_COLUMNS}, rid FROM n.events"), []).unwrap();
        c.execute("INSERT INTO main.recipients (id, address) SELECT id, address FROM n.recipients", []).unwrap();
    } else {
        let cols = EVENT_COLUMNS.replace("key,", "unhex(hex(key) || '00FF00FF00FF00FF'),");
        c.execute(&format!("INSERT INTO main.events ({EVENT_COLUMNS}) SELECT {cols} FROM n.events"), []).unwrap();
        let long_keys: i64 = c.query_row("SELECT count(*) FROM main.events WHERE length(key) = 16", [], |r| r.get(0)).unwrap();
        assert_eq!(long_keys, 40);
    }
    for t in ["suppressions", "releases", "domain_flags", "domain_releases"] {
        c.execute(&format!("INSERT INTO main.{t} SELECT * FROM n.{t}"), []).unwrap();
    }
    c.execute_batch(&format!("DETACH n; PRAGMA user_version = {version}; PRAGMA application_id = {};", bouncekit::ledger::APPLICATION_ID))
        .unwrap();
}

#[test]
fn version_1_2_and_3_ledgers_migrate_keeping_events_suppressions_and_idempotence() {
    for (version, schema) in [(1, SCHEMA_V1), (2, SCHEMA_V2), (3, SCHEMA_V3)] {
        let dir = tempfile::tempdir().unwrap();
        let (new, old) = (dir.path().join("new.db"), dir.path().join(format!("v{version}.db")));
        let evs: Vec<Event> = (0..40)
            .map(|i| {
                let reason = [Reason::UserUnknown, Reason::MailboxFull, Reason::HostUnknown, Reason::Blocked][i % 4];
                let e = Event::new(format!("u{}@d{}.example", i % 10, i % 3), T0 + (i as i64) * H, reason);
                if i % 2 == 0 { e.message_id(format!("<m{i}@mx.example>")) } else { e.diagnostic(format!("550 no ({i})")) }
            })
            .collect();
        let mut l = Ledger::open(&new).unwrap();
        l.record_batch(&evs).unwrap();
        let suppressed = suppression_list(&l);
        // Each address with its number of events and the decision on it.
        let mut per_address = std::collections::BTreeMap::new();
        for e in &evs {
            per_address.entry(e.recipient.clone()).or_insert((0, None)).0 += 1;
        }
        for (a, (_, d)) in per_address.iter_mut() {
            *d = Some(l.decide(a, T0 + 40 * H).unwrap());
        }
        drop(l);

        // The same rows in a file with the old schema.
        write_old_ledger(&old, schema, version, &new);

        let mut l = Ledger::open(&old).unwrap();
        assert_eq!(l.schema_version().unwrap(), SCHEMA_VERSION, "from version {version}");
        assert_eq!(l.integrity_check().unwrap(), Ok(()));
        assert_eq!(l.event_count().unwrap(), 40);
        assert_eq!(suppression_list(&l), suppressed);
        assert!(suppressed.contains("u0@d0.example") && l.is_suppressed_at("u0@d0.example", T0 + 40 * H).unwrap());
        // Histories are found through the migrated address numbers.
        assert!(per_address.values().any(|(n, _)| *n > 1));
        for (a, (n, d)) in &per_address {
            assert_eq!(l.history(a).unwrap().len(), *n, "{a}");
            assert_eq!(Some(l.decide(a, T0 + 40 * H).unwrap()), *d, "{a}");
        }
        let fk: i64 = l.connection().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1, "foreign keys are back on after the migration");
        let key_indexes: i64 = l
            .connection()
            .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(key_indexes, 2, "(address number, key) and the domain failures; no index on key alone");
        let short_keys: i64 = l.connection().query_row("SELECT count(*) FROM events WHERE length(key) = 8", [], |r| r.get(0)).unwrap();
        assert_eq!(short_keys, 40);
        // Version 4's address summaries start empty: an address's next batch
        // reads its history (and writes its summary).
        let summaries = |l: &Ledger| -> i64 {
            l.connection().query_row("SELECT count(summary) FROM recipients", [], |r| r.get(0)).unwrap()
        };
        assert_eq!(summaries(&l), 0, "from version {version}");
        // Recording the same bounces again changes nothing.
        let s = l.record_batch(&evs).unwrap();
        assert_eq!((s.recorded, s.duplicates, s.suppressed), (0, 40, 0), "from version {version}");
        assert_eq!(l.event_count().unwrap(), 40);
        // A new bounce of a known address joins its history.
        let (a, (n, _)) = per_address.iter().next().unwrap();
        l.record(&Event::new(a.as_str(), T0 + 41 * H, Reason::MailboxFull)).unwrap();
        assert_eq!(l.history(a).unwrap().len(), n + 1);
        assert_eq!(summaries(&l), 1);
        assert_eq!(suppression_list(&l), suppressed, "from version {version}");
        let rids: i64 = l.connection().query_row("SELECT count(*) FROM recipients", [], |r| r.get(0)).unwrap();
        assert_eq!(rids as usize, per_address.len(), "one number per address");
    }
}

fn suppression_list(l: &Ledger) -> String {
    let mut out = Vec::new();
    l.export_at(&mut out, ExportFormat::Json, T0 + 40 * H).unwrap();
    String::from_utf8(out).unwrap()
}
