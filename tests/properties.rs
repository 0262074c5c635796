//! Property tests: no panics on arbitrary input, status codes round-trip,
//! pathological inputs stay linear (checked by completing at all; timings
//! live in the benchmarks).

use bouncekit::{classify, classify_bytes, find_codes, parse_with, Classifier, Error, Limits, StatusCode};
use proptest::prelude::*;

/// Pieces MIME structure is made of, for messages the walker must survive:
/// boundaries (closed, unclosed, mid-line, prefixes of each other), part
/// headers, transfer encodings, nested messages, line endings of every kind.
const MIME_PIECES: [&[u8]; 24] = [
    b"Content-Type: multipart/mixed; boundary=b\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n",
    b"Content-Type: multipart/digest; boundary=b\n",
    b"Content-Type: message/rfc822\n",
    b"Content-Type: message/delivery-status\n",
    b"Content-Type: text/plain; charset=iso-2022-jp\n",
    b"Content-Type: text/html; charset*=utf-8''x\n",
    b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n",
    b"From: MAILER-DAEMON@example.net\n",
    b"\n",
    b"\r\n",
    b"\r",
    b"--b\n",
    b"--b--\n",
    b"--b1\r\n",
    b"--b1--",
    b"--",
    b"Final-Recipient: rfc822; a@example.org\nStatus: 5.1.1\n",
    b"<gone@example.org>: 550 5.1.1 User unknown\n",
    b"NTUwIDUuMS4x=\n",
    b"=3D=\n=ZZ==",
    b"\x1b$B$3\x1b(B\xff\xfe",
    b" folded: line\n\t",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any arrangement of MIME pieces parses to a report or a typed error,
    /// within the limits, never a panic.
    #[test]
    fn mime_shaped_messages_never_panic(pieces in proptest::collection::vec(0..MIME_PIECES.len(), 0..60)) {
        static CLASSIFIER: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
        let raw: Vec<u8> = pieces.iter().flat_map(|&i| MIME_PIECES[i].iter().copied()).collect();
        let tight = Limits { max_mime_depth: 3, max_parts: 8, ..Limits::default() };
        for limits in [Limits::default(), tight] {
            match parse_with(CLASSIFIER.get_or_init(Classifier::new), &raw, &limits) {
                Ok(r) => prop_assert!(r.recipients.iter().all(|b| !b.recipient.is_empty())),
                Err(Error::NotAMessage | Error::LimitExceeded { .. }) => {}
                Err(e) => prop_assert!(false, "unexpected error {e:?}"),
            }
        }
    }

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
