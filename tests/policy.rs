//! The decision policy: every rule, the TOML file, the documented defaults.

use std::time::Duration;

use bouncekit::policy::{format_duration, DomainFailure};
use bouncekit::{classify, Action, BounceType, DomainAction, HistoryEvent, Policy, Reason};

const H: i64 = 3600;
const D: i64 = 86_400;
const T0: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

fn ev(t: i64, r: Reason) -> HistoryEvent {
    HistoryEvent::new(t, r, r.info().bounce_type)
}

fn soft(t: i64, r: Reason) -> HistoryEvent {
    HistoryEvent::new(t, r, BounceType::Soft)
}

#[test]
fn hard_bounces_suppress_at_once() {
    let p = Policy::default();
    let d = p.decide_event(&ev(T0, Reason::UserUnknown), &[], None);
    assert_eq!(d.action, Action::Suppress);
    assert_eq!(d.retry_after, None);
    assert_eq!(d.why, "hard bounce (userunknown) suppresses at once");
    let c = classify("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table");
    assert_eq!(p.decide(&c, &[], T0).action, Action::Suppress);
}

#[test]
fn a_complaint_unsubscribes() {
    let p = Policy::default();
    let d = p.decide_event(&ev(T0, Reason::Feedback), &[], None);
    assert_eq!((d.action, d.why.as_str()), (Action::Suppress, "feedback suppresses at once"));
}

#[test]
fn vacation_and_delivered_are_ignored() {
    let p = Policy::default();
    for r in [Reason::Vacation, Reason::Delivered] {
        let d = p.decide_event(&ev(T0, r), &[], None);
        assert_eq!(d.action, Action::Ignore, "{r}");
        assert!(d.why.contains("not a failure"), "{}", d.why);
    }
}

#[test]
fn sender_side_reasons_never_suppress() {
    let p = Policy::default();
    let sender_side = [
        Reason::Blocked,
        Reason::BadReputation,
        Reason::AuthFailure,
        Reason::RequirePtr,
        Reason::SpamDetected,
        Reason::PolicyViolation,
        Reason::SecurityError,
        Reason::NoRelaying,
        Reason::RateLimited,
    ];
    for r in sender_side {
        // Even a hundred of them, even marked hard.
        let history: Vec<_> = (0..100).map(|i| HistoryEvent::new(T0 - i * H, r, BounceType::Hard)).collect();
        for bt in [BounceType::Soft, BounceType::Hard] {
            let d = p.decide_event(&HistoryEvent::new(T0, r, bt), &history, None);
            assert_eq!(d.action, Action::FixSender, "{r} {bt}");
            assert!(d.why.contains("the recipient is not suppressed"), "{}", d.why);
        }
        assert_eq!(p.first_suppression(&history, None), None, "{r}");
    }
    // And they don't count toward a recipient's soft bounces.
    let history = [ev(T0 - 2 * H, Reason::Blocked), ev(T0 - H, Reason::SpamDetected)];
    assert_eq!(p.decide_event(&ev(T0, Reason::MailboxFull), &history, None).action, Action::Retry);
    // The classifier's blocked verdict goes the same way.
    let c = classify("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org");
    assert_eq!(p.decide(&c, &[], T0).action, Action::FixSender);
}

#[test]
fn every_fix_sender_reason_of_the_vocabulary_is_in_the_default_set() {
    let p = Policy::default();
    for r in Reason::ALL {
        if r.info().action == Action::FixSender {
            assert!(p.fix_sender_reasons.contains(r), "{r}");
        }
    }
}

#[test]
fn rate_limits_say_when_to_retry() {
    let p = Policy::default();
    let d = p.decide_event(&ev(T0, Reason::RateLimited), &[], None);
    assert_eq!(d.action, Action::FixSender);
    assert_eq!(d.retry_after, Some(Duration::from_secs(1800)));
}

#[test]
fn soft_bounces_retry_until_the_threshold() {
    let p = Policy::default();
    let d = p.decide_event(&ev(T0, Reason::MailboxFull), &[], None);
    assert_eq!(d.action, Action::Retry);
    assert_eq!(d.retry_after, Some(Duration::from_secs(12 * 3600)));
    assert_eq!(d.why, "soft bounce (mailboxfull), 1 of 3 in 14 days: retry in 12 hours");

    let two = [ev(T0 - 5 * D, Reason::MailboxFull)];
    let d = p.decide_event(&ev(T0, Reason::MailboxFull), &two, None);
    assert_eq!(d.action, Action::Retry);
    assert!(d.why.contains("2 of 3"), "{}", d.why);

    let three = [ev(T0 - 10 * D, Reason::MailboxFull), ev(T0 - 5 * D, Reason::MailboxFull)];
    let d = p.decide_event(&ev(T0, Reason::MailboxFull), &three, None);
    assert_eq!(d.action, Action::Suppress);
    assert_eq!(d.why, "3 soft bounces (mailboxfull ×3) in 14 days");
}

#[test]
fn the_window_is_fourteen_days() {
    let p = Policy::default();
    // 14 days and one second ago is outside; exactly 14 days ago is outside too (the window is (now-14d, now]).
    let old = [ev(T0 - 14 * D - 1, Reason::MailboxFull), ev(T0 - 14 * D, Reason::MailboxFull), ev(T0 - D, Reason::MailboxFull)];
    let d = p.decide_event(&ev(T0, Reason::MailboxFull), &old, None);
    assert_eq!(d.action, Action::Retry, "{}", d.why);
    let inside = [ev(T0 - 14 * D + 1, Reason::MailboxFull), ev(T0 - D, Reason::MailboxFull)];
    assert_eq!(p.decide_event(&ev(T0, Reason::MailboxFull), &inside, None).action, Action::Suppress);
    // Events after `now` are not history.
    let future = [ev(T0 + D, Reason::MailboxFull), ev(T0 + 2 * D, Reason::MailboxFull)];
    assert_eq!(p.decide_event(&ev(T0, Reason::MailboxFull), &future, None).action, Action::Retry);
}

#[test]
fn different_soft_reasons_share_the_default_count() {
    let p = Policy::default();
    let h = [ev(T0 - 3 * D, Reason::NetworkError), ev(T0 - 2 * D, Reason::SystemError)];
    let d = p.decide_event(&ev(T0, Reason::MailboxFull), &h, None);
    assert_eq!(d.action, Action::Suppress);
    assert_eq!(d.why, "3 soft bounces (mailboxfull, networkerror, systemerror) in 14 days");
}

#[test]
fn per_reason_overrides_count_on_their_own() {
    let p = Policy::from_toml(
        r#"
        [reason.mailboxfull]
        threshold = 5
        window = "30d"
        "#,
    )
    .unwrap();
    let four: Vec<_> = (1..=4).map(|i| ev(T0 - i * 5 * D, Reason::MailboxFull)).collect();
    let d = p.decide_event(&ev(T0, Reason::MailboxFull), &four[..3], None);
    assert_eq!(d.action, Action::Retry);
    assert!(d.why.contains("4 of 5 in 30 days"), "{}", d.why);
    let d = p.decide_event(&ev(T0, Reason::MailboxFull), &four, None);
    assert_eq!((d.action, d.why.as_str()), (Action::Suppress, "5 soft bounces (mailboxfull ×5) in 30 days"));
    // Its retry delay is still the default one of the reason.
    assert_eq!(p.retry_after(Reason::MailboxFull), Duration::from_secs(12 * 3600));
    // mailboxfull no longer counts toward the shared count, nor others toward it.
    let mixed = [ev(T0 - D, Reason::MailboxFull), ev(T0 - 2 * D, Reason::MailboxFull)];
    assert_eq!(p.decide_event(&ev(T0, Reason::SystemError), &mixed, None).action, Action::Retry);
    let others = [ev(T0 - D, Reason::SystemError), ev(T0 - 2 * D, Reason::NetworkError), ev(T0 - 3 * D, Reason::Expired), ev(T0 - 4 * D, Reason::Filtered)];
    assert_eq!(p.decide_event(&ev(T0, Reason::MailboxFull), &others, None).action, Action::Retry);
}

#[test]
fn threshold_zero_never_suppresses_by_count() {
    let p = Policy::from_toml("[soft]\nthreshold = 0\n").unwrap();
    let many: Vec<_> = (1..50).map(|i| ev(T0 - i * H, Reason::MailboxFull)).collect();
    let d = p.decide_event(&ev(T0, Reason::MailboxFull), &many, None);
    assert_eq!(d.action, Action::Retry);
    assert_eq!(d.why, "soft bounce (mailboxfull): retry in 12 hours");
    assert_eq!(p.first_suppression(&many, None), None);
}

#[test]
fn first_suppression_is_order_independent() {
    let p = Policy::default();
    let mut events = vec![
        ev(T0, Reason::MailboxFull),
        ev(T0 + 20 * D, Reason::MailboxFull),
        ev(T0 + 25 * D, Reason::SystemFull),
        ev(T0 + 30 * D, Reason::MailboxFull),
        ev(T0 + 31 * D, Reason::Vacation),
    ];
    let want = p.first_suppression(&events, None).unwrap();
    assert_eq!(want.0.time, T0 + 30 * D);
    assert_eq!(want.1.why, "3 soft bounces (mailboxfull ×2, systemfull) in 14 days");
    events.reverse();
    assert_eq!(p.first_suppression(&events, None).unwrap(), want);
    events.swap(0, 3);
    assert_eq!(p.first_suppression(&events, None).unwrap(), want);
    // A hard bounce earlier than the threshold wins.
    events.push(ev(T0 + D, Reason::HasMoved));
    assert_eq!(p.first_suppression(&events, None).unwrap().0.time, T0 + D);
}

#[test]
fn suppress_and_bounce_type_sets_are_configurable() {
    let p = Policy::from_toml(
        r#"
        [suppress]
        bounce_types = []
        reasons = ["feedback", "userunknown"]
        "#,
    )
    .unwrap();
    assert_eq!(p.decide_event(&ev(T0, Reason::HostUnknown), &[], None).action, Action::Retry);
    assert_eq!(p.decide_event(&ev(T0, Reason::UserUnknown), &[], None).action, Action::Suppress);
    let p = Policy::from_toml("[fix_sender]\nreasons = []\n[ignore]\nreasons = [\"delivered\"]\n").unwrap();
    assert_eq!(p.decide_event(&ev(T0, Reason::Blocked), &[], None).action, Action::Retry);
    // vacation is bounce type none: still nothing to do.
    assert_eq!(p.decide_event(&ev(T0, Reason::Vacation), &[], None).action, Action::Ignore);
}

fn failures<'a>(who: &'a [&'a str], t: i64, step: i64) -> Vec<DomainFailure<'a>> {
    who.iter().enumerate().map(|(i, r)| DomainFailure { time: t + i as i64 * step, recipient: r }).collect()
}

#[test]
fn domains_flag_on_distinct_addresses_within_the_window() {
    let p = Policy::default();
    let five = ["a@d.example", "b@d.example", "c@d.example", "d@d.example", "e@d.example"];
    // Four distinct addresses (one failing twice): no flag.
    let mut f = failures(&five[..4], T0, H);
    f.push(DomainFailure { time: T0 + 5 * H, recipient: "a@d.example" });
    assert_eq!(p.domain_flag("d.example", &f), None);
    // Five within a day: flagged, for 3 days after the last failure.
    let f = failures(&five, T0, H);
    let flag = p.domain_flag("d.example", &f).unwrap();
    assert_eq!(flag.since, T0 + 4 * H);
    assert_eq!(flag.first_failure, T0);
    assert_eq!(flag.addresses, 5);
    assert_eq!(flag.expires_at, T0 + 4 * H + 3 * D);
    assert_eq!(flag.why, "5 addresses failed with host/network errors within 1 day");
    assert!(flag.is_active(T0 + 3 * D) && !flag.is_active(T0 + 4 * H + 3 * D));
    // Five spread over five days: no flag.
    assert_eq!(p.domain_flag("d.example", &failures(&five, T0, D)), None);
    // Any order.
    let mut rev = failures(&five, T0, H);
    rev.reverse();
    assert_eq!(p.domain_flag("d.example", &rev), Some(flag));
}

#[test]
fn flags_expire_after_flag_for_past_the_last_failure() {
    let p = Policy::from_toml("[domain]\nthreshold = 2\nflag_for = \"6h\"\n").unwrap();
    let who = ["a@x.example", "b@x.example", "c@x.example"];
    let flag = p.domain_flag("x.example", &failures(&who, T0, H)).unwrap();
    assert_eq!(flag.last_failure, T0 + 2 * H);
    assert_eq!(flag.expires_at, T0 + 8 * H);
    assert!(flag.is_active(T0 + 8 * H - 1));
    assert!(!flag.is_active(T0 + 8 * H));
    // An expired flag decides nothing.
    let d = p.decide_event(&ev(T0 + 9 * H, Reason::MailboxFull), &[], Some(&flag));
    assert_eq!(d.action, Action::Retry);
    assert_eq!(d.retry_after, Some(Duration::from_secs(12 * 3600)));
}

#[test]
fn flagged_domains_hold_or_suppress_their_addresses() {
    let hold = Policy::default();
    let who = ["a@d.example", "b@d.example", "c@d.example", "d@d.example", "e@d.example"];
    let flag = hold.domain_flag("d.example", &failures(&who, T0, H)).unwrap();
    let now = T0 + 5 * H;
    let d = hold.decide_event(&ev(now, Reason::NetworkError), &[], Some(&flag));
    assert_eq!(d.action, Action::Retry);
    assert_eq!(d.retry_after, Some(Duration::from_secs((flag.expires_at - now) as u64)));
    assert!(d.why.starts_with("domain d.example is flagged (5 addresses failed"), "{}", d.why);
    assert!(d.why.contains("held until 2024-05-04T14:00:00Z"), "{}", d.why);
    // A hard bounce still suppresses; a block is still the sender's.
    assert_eq!(hold.decide_event(&ev(now, Reason::UserUnknown), &[], Some(&flag)).action, Action::Suppress);
    assert_eq!(hold.decide_event(&ev(now, Reason::Blocked), &[], Some(&flag)).action, Action::FixSender);

    let sup = Policy::from_toml("[domain]\naction = \"suppress\"\n").unwrap();
    assert_eq!(sup.domain.action, DomainAction::Suppress);
    let d = sup.decide_event(&ev(now, Reason::NetworkError), &[], Some(&flag));
    assert_eq!(d.action, Action::Suppress);
    assert!(d.why.contains("suppressed until"), "{}", d.why);
}

#[test]
fn host_failures_during_a_flag_dont_count_against_the_address() {
    let p = Policy::default();
    let who = ["a@d.example", "b@d.example", "c@d.example", "d@d.example", "e@d.example"];
    let flag = p.domain_flag("d.example", &failures(&who, T0, H)).unwrap();
    let h = [soft(T0, Reason::NetworkError), soft(T0 + H, Reason::NetworkError), soft(T0 + 2 * H, Reason::NetworkError)];
    assert!(p.first_suppression(&h, None).is_some());
    assert_eq!(p.first_suppression(&h, Some(&flag)), None);
    // After the flag lapsed, the address's own failures count again.
    let later = flag.expires_at + D;
    let d = p.decide_event(&soft(later, Reason::NetworkError), &h, Some(&flag));
    assert_eq!(d.action, Action::Retry, "{}", d.why);
}

#[test]
fn expired_is_a_domain_failure_only_on_connection_errors() {
    let p = Policy::default();
    let s = |t: &str| Some(t.parse().unwrap());
    assert!(p.is_domain_failure(Reason::HostUnknown, None, None));
    assert!(p.is_domain_failure(Reason::NetworkError, None, None));
    assert!(p.is_domain_failure(Reason::NotAccept, s("5.1.10"), None));
    assert!(!p.is_domain_failure(Reason::MailboxFull, None, Some("connection timed out")));
    assert!(!p.is_domain_failure(Reason::Expired, s("4.4.7"), Some("Delivery time expired")));
    assert!(p.is_domain_failure(Reason::Expired, s("4.4.1"), None));
    assert!(p.is_domain_failure(Reason::Expired, s("4.4.7"), Some("retry timeout exceeded: connect to mx.example.com[192.0.2.1]:25: Connection timed out")));
    let q = Policy::from_toml("[domain]\nexpired_needs_connect_error = false\n").unwrap();
    assert!(q.is_domain_failure(Reason::Expired, s("4.4.7"), None));
}

#[test]
fn domain_threshold_zero_never_flags() {
    let p = Policy::from_toml("[domain]\nthreshold = 0\n").unwrap();
    let who = ["a@d", "b@d", "c@d", "d@d", "e@d", "f@d"];
    assert_eq!(p.domain_flag("d", &failures(&who, T0, 1)), None);
}

#[test]
fn the_example_file_is_the_defaults() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policy.toml")).unwrap();
    assert_eq!(Policy::from_toml(&text).unwrap(), Policy::default());
    // ... spelled out: every value, not defaults by omission.
    let v: toml::Table = toml::from_str(&text).unwrap();
    for (section, keys) in [
        ("suppress", &["bounce_types", "reasons"][..]),
        ("fix_sender", &["reasons"]),
        ("ignore", &["reasons"]),
        ("soft", &["threshold", "window", "retry_after"]),
        ("domain", &["threshold", "window", "reasons", "expired_needs_connect_error", "action", "flag_for"]),
    ] {
        for k in keys {
            assert!(v[section].get(*k).is_some(), "examples/policy.toml lacks {section}.{k}");
        }
    }
    let reasons = v["reason"].as_table().unwrap();
    assert_eq!(reasons.len(), Policy::default().reasons.len());
    // The documentation names every key.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/policy.md")).unwrap();
    for key in [
        "suppress.bounce_types",
        "suppress.reasons",
        "fix_sender.reasons",
        "ignore.reasons",
        "soft.threshold",
        "soft.window",
        "soft.retry_after",
        "reason.NAME.threshold",
        "reason.NAME.window",
        "reason.NAME.retry_after",
        "domain.threshold",
        "domain.window",
        "domain.reasons",
        "domain.expired_needs_connect_error",
        "domain.action",
        "domain.flag_for",
    ] {
        assert!(doc.contains(&format!("`{key}`")), "docs/policy.md does not document {key}");
    }
}

#[test]
fn bad_policy_files_say_what_is_wrong() {
    let cases = [
        ("[soft]\nthreshhold = 3\n", "unknown field `threshhold`"),
        ("[sof]\n", "unknown field `sof`"),
        ("[reason.mailboxful]\nthreshold = 2\n", "mailboxful"),
        ("[soft]\nwindow = \"14 fortnights\"\n", "invalid duration \"14 fortnights\""),
        ("[soft]\nthreshold = -1\n", "threshold"),
        ("[fix_sender]\nreasons = [\"blocked\", \"feedback\"]\n", "\"feedback\" is in both suppress.reasons and fix_sender.reasons"),
        ("[domain]\naction = \"drop\"\n", "unknown variant `drop`"),
        ("[reason.blocked]\nthreshold = 2\n", "fix_sender reason"),
        ("[soft]\nwindow = 0\n", "soft.window must be longer than 0"),
        ("soft = 3\n", "soft"),
    ];
    for (text, want) in cases {
        let e = Policy::from_toml(text).unwrap_err().to_string();
        assert!(e.starts_with("policy (policy): "), "{e}");
        assert!(e.contains(want), "{text:?}: {e}");
    }
    let e = Policy::from_file("/nonexistent/policy.toml").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/policy.toml"), "{e}");
}

#[test]
fn durations_read_well() {
    assert_eq!(format_duration(Duration::from_secs(14 * 86_400)), "14 days");
    let p = Policy::from_toml("[soft]\nwindow = 1209600\nretry_after = \"1d 6h\"\n").unwrap();
    assert_eq!(p.soft.window, Duration::from_secs(14 * 86_400));
    assert_eq!(p.soft.retry_after, Duration::from_secs(30 * 3600));
}

