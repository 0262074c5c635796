//! Property tests: no panics on arbitrary input, status codes round-trip,
//! pathological inputs stay linear (checked by completing at all; timings
//! live in the benchmarks).

use bouncekit::{classify, classify_bytes, find_codes, StatusCode};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn classify_never_panics(s in ".{0,400}") {
        let c = classify(&s);
        // A found status is always one that is also in the text.
        if c.status_source == bouncekit::StatusSource::Found {
            prop_assert!(s.contains(&c.status.unwrap().to_string()));
        }
    }

    #[test]
    fn classify_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = classify_bytes(&b);
    }

    #[test]
    fn status_round_trips(class in prop::sample::select(vec![2u8, 4, 5]), subject in 0u16..=7, detail in 0u16..=999) {
        let code = StatusCode::new(class, subject, detail).unwrap();
        let text = code.to_string();
        prop_assert_eq!(text.parse::<StatusCode>().unwrap(), code);
        let embedded = format!("550 {text} some words");
        prop_assert_eq!(find_codes(&embedded).status, Some(code));
    }

    #[test]
    fn out_of_range_never_parses(class in 0u8..=9, subject in 8u16..=999, detail in 0u16..=999) {
        let s = format!("{class}.{subject}.{detail}");
        prop_assert!(s.parse::<StatusCode>().is_err());
        prop_assert_eq!(find_codes(&s).status, None);
    }

    #[test]
    fn ipv4_addresses_are_not_codes(a in 0u8..=255, b in 0u8..=9, c in 0u8..=9, d in 0u8..=255) {
        let s = format!("host {a}.{b}.{c}.{d} refused");
        if let Some(st) = find_codes(&s).status {
            // Only an address whose first three parts end a longer number could look like
            // a code; a full dotted quad must never be reported.
            prop_assert!(false, "{} found in {}", st, s);
        }
    }
}

#[test]
fn pathological_inputs_complete() {
    let ten_mb = "x".repeat(10 << 20);
    assert_eq!(classify(&ten_mb).reason, bouncekit::Reason::Undefined);
    let digits = "5".repeat(100_000);
    let _ = classify(&digits);
    let dots = "5.".repeat(100_000);
    let _ = classify(&dots);
    let brackets = format!("{}550 5.1.1 user unknown{}", "[(<".repeat(100_000), ">)]".repeat(100_000));
    assert_eq!(classify(&brackets).status.unwrap().to_string(), "5.1.1");
    let spaces = format!("550{}5.1.1", " ".repeat(1 << 20));
    let _ = classify(&spaces);
}
