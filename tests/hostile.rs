//! Hostile input: messages built to crash, stall or mislead the parser.
//! Every one must give a clear result or a typed error, never a panic.
//! Inputs are generated in memory; time and memory growth are measured in
//! `benches/hostile.rs`, not asserted here.

use std::io::Cursor;

use bouncekit::scan::MboxReader;
use bouncekit::{classify, classify_bytes, parse, parse_with, Classifier, DsnAction, Error, Limits, MessageKind, Reason};

/// A small deterministic generator (xorshift64*): the same bytes every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 56) as u8).collect()
    }
}

/// A DSN for `n` recipients, the i-th being `user{i}@example.org`.
fn dsn(n: usize, diagnostic: &str) -> Vec<u8> {
    let mut m = String::from(
        "From: MAILER-DAEMON@mx.example.net\r\nTo: sender@example.com\r\nSubject: Undelivered Mail\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"BB\"\r\n\r\n\
         --BB\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n\
         --BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n",
    );
    for i in 0..n {
        m.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; user{i}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; {diagnostic}\r\n"
        ));
    }
    m.push_str("\r\n--BB--\r\n");
    m.into_bytes()
}

fn limit_of(r: Result<bouncekit::Report, Error>) -> &'static str {
    match r {
        Err(Error::LimitExceeded { limit, .. }) => limit,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn empty_input_is_not_a_message() {
    assert_eq!(parse(b""), Err(Error::NotAMessage));
    let c = classify("");
    assert_eq!(c.reason, Reason::Undefined);
    assert_eq!(c.rule, "none");
}

#[test]
fn random_binary_never_panics_and_never_invents_recipients_from_noise() {
    let mut rng = Rng(0x5eed);
    for size in [1, 7, 100, 4096, 1 << 20] {
        let data = rng.bytes(size);
        match parse(&data) {
            Ok(r) => {
                // Noise has no `@`-addressed DSN fields: whatever is found must at least be an address.
                for b in &r.recipients {
                    assert!(b.recipient.contains('@'), "{:?}", b.recipient);
                }
            }
            Err(e) => assert_eq!(e, Error::NotAMessage),
        }
        let _ = classify_bytes(&data);
    }
}

#[test]
fn a_50_mb_header_line_is_accepted_and_does_not_hide_the_body() {
    let mut m = Vec::with_capacity(51 << 20);
    m.extend_from_slice(b"From: MAILER-DAEMON@example.net\r\nX-Junk: ");
    m.resize(m.len() + (50 << 20), b'a');
    m.extend_from_slice(b"\r\nSubject: Undeliverable\r\n\r\n<someone@example.org>: 550 5.1.1 User unknown\r\n");
    let r = parse(&m).expect("under the default 64 MB size limit");
    assert_eq!(r.subject.as_deref(), Some("Undeliverable"));
    // Over a caller's size limit, the message is refused before any parsing.
    let small = Limits { max_message_size: 1 << 20, ..Limits::default() };
    assert_eq!(limit_of(parse_with(&Classifier::new(), &m, &small)), "max_message_size");
}

#[test]
fn a_50_mb_diagnostic_is_cut_to_the_kept_length() {
    let huge = format!("550 5.1.1 User unknown {}", "x".repeat(50 << 20));
    let r = parse(&dsn(1, &huge)).unwrap();
    let b = &r.recipients[0];
    assert_eq!(b.diagnostic.len(), Limits::default().max_diagnostic_len);
    assert_eq!(b.classification.reason, Reason::UserUnknown);
}

#[test]
fn a_hundred_thousand_mime_parts_hit_the_part_limit() {
    let mut m = String::from("From: a@example.net\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
    for i in 0..100_000 {
        m.push_str(&format!("--p\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"));
    }
    m.push_str("--p--\r\n");
    let r = parse(m.as_bytes());
    match r {
        Err(Error::LimitExceeded { limit, max, actual }) => {
            assert_eq!(limit, "max_parts");
            assert_eq!(max, Limits::default().max_parts);
            assert!(actual > 100_000, "{actual}");
        }
        other => panic!("{other:?}"),
    }
    // A caller who expects such mail raises the limit and gets an answer.
    let wide = Limits { max_parts: 200_000, ..Limits::default() };
    let r = parse_with(&Classifier::new(), m.as_bytes(), &wide).unwrap();
    assert_eq!(r.kind, MessageKind::NotBounce);
}

fn nested(depth: usize, inner: &str) -> Vec<u8> {
    let mut m = String::from("From: MAILER-DAEMON@example.net\r\n");
    for i in 0..depth {
        m.push_str(&format!("Content-Type: multipart/mixed; boundary=\"n{i}\"\r\n\r\n--n{i}\r\n"));
    }
    m.push_str("Content-Type: text/plain\r\n\r\n");
    m.push_str(inner);
    m.push_str("\r\n");
    for i in (0..depth).rev() {
        m.push_str(&format!("--n{i}--\r\n"));
    }
    m.into_bytes()
}

#[test]
fn mime_nesting_ten_thousand_deep_is_refused_without_overflow() {
    let m = nested(10_000, "<gone@example.org>: 550 5.1.1 User unknown");
    // 10,001 parts: the part count is checked first.
    assert_eq!(limit_of(parse(&m)), "max_parts");
    // With room for the parts, the depth refuses it; even a caller's huge
    // depth limit stops at the ceiling that keeps the walk off the stack's end.
    let c = Classifier::new();
    let wide = Limits { max_parts: 100_000, ..Limits::default() };
    match parse_with(&c, &m, &wide) {
        Err(Error::LimitExceeded { limit: "max_mime_depth", max, .. }) => assert_eq!(max, Limits::default().max_mime_depth),
        other => panic!("{other:?}"),
    }
    let huge = Limits { max_parts: 100_000, max_mime_depth: usize::MAX, ..Limits::default() };
    match parse_with(&c, &m, &huge) {
        Err(Error::LimitExceeded { limit: "max_mime_depth", max, .. }) => assert_eq!(max, Limits::MIME_DEPTH_CEILING),
        other => panic!("{other:?}"),
    }
    // Within the limit the innermost text is read.
    let r = parse(&nested(10, "<gone@example.org>: 550 5.1.1 User unknown")).unwrap();
    assert!(r.recipients.iter().any(|b| b.recipient == "gone@example.org"), "{r:?}");
    let tight = Limits { max_mime_depth: 4, ..Limits::default() };
    assert_eq!(limit_of(parse_with(&c, &nested(10, "x"), &tight)), "max_mime_depth");
    // At the ceiling itself, the walk completes.
    let at = Limits { max_mime_depth: usize::MAX, ..Limits::default() };
    let r = parse_with(&c, &nested(Limits::MIME_DEPTH_CEILING - 1, "<gone@example.org>: 550 5.1.1 User unknown"), &at).unwrap();
    assert!(r.recipients.iter().any(|b| b.recipient == "gone@example.org"), "{r:?}");
}

fn rfc822_nested(depth: usize) -> Vec<u8> {
    let mut m = String::new();
    for _ in 0..depth {
        m.push_str("From: a@example.net\r\nContent-Type: message/rfc822\r\n\r\n");
    }
    m.push_str("From: b@example.net\r\nSubject: innermost\r\n\r\nhello\r\n");
    m.into_bytes()
}

#[test]
fn message_rfc822_nesting_ten_thousand_deep() {
    // Found by this suite: freeing such a tree recursed once per level and
    // overflowed the stack. Now it is refused, and freed without recursion.
    match parse(&rfc822_nested(10_000)) {
        Err(Error::LimitExceeded { limit, max, actual }) => {
            assert_eq!((limit, max), ("max_mime_depth", Limits::default().max_mime_depth));
            assert_eq!(actual, 10_000);
        }
        other => panic!("{other:?}"),
    }
    // A caller who lifts the limit still meets the ceiling, and the refused
    // tree is freed level by level.
    let deep = Limits { max_mime_depth: usize::MAX, ..Limits::default() };
    assert_eq!(limit_of(parse_with(&Classifier::new(), &rfc822_nested(10_000), &deep)), "max_mime_depth");
    let r = parse_with(&Classifier::new(), &rfc822_nested(Limits::MIME_DEPTH_CEILING), &deep).unwrap();
    assert!(r.recipients.is_empty(), "{r:?}");
    assert!(parse(&rfc822_nested(5)).is_ok());
}

#[test]
fn invalid_base64_and_quoted_printable_decode_to_something_readable() {
    let m = b"From: MAILER-DAEMON@example.net\r\nContent-Type: multipart/mixed; boundary=\"q\"\r\n\r\n\
--q\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!@@@@====****not base64 at all\xff\r\n\
--q\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=4=\r\n<gone@example.org>: 550 5.1.1 =55ser unknown=\r\n\r\n\
--q--\r\n";
    let r = parse(m).unwrap();
    let gone = r.recipients.iter().find(|b| b.recipient == "gone@example.org").expect("the QP part is still read");
    assert_eq!(gone.classification.reason, Reason::UserUnknown);
}

#[test]
fn unknown_and_lying_charsets() {
    for charset in ["x-no-such-charset", "utf-16", "utf-7", "iso-2022-jp", "shift_jis", ""] {
        let m = format!(
            "From: MAILER-DAEMON@example.net\r\nSubject: =?{charset}?B?/////w==?=\r\nContent-Type: text/plain; charset=\"{charset}\"\r\n\r\n\
             <gone@example.org>: 550 5.1.1 User unknown\r\n"
        );
        let mut bytes = m.into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\x00\xd8 \x1b$B broken\r\n");
        let r = parse(&bytes).unwrap_or_else(|e| panic!("{charset}: {e}"));
        assert!(r.subject.is_some(), "{charset}");
        for b in &r.recipients {
            assert!(!b.recipient.is_empty());
        }
    }
}

#[test]
fn truncated_multiparts_and_boundaries_keep_what_was_read() {
    let full = dsn(3, "550 5.1.1 User unknown");
    // Cut everywhere: at each line end, and inside the closing boundary.
    let text = String::from_utf8(full.clone()).unwrap();
    let cuts: Vec<usize> = text.match_indices("\r\n").map(|(i, _)| i).chain([full.len() - 3, full.len() - 1]).collect();
    for cut in cuts {
        match parse(&full[..cut]) {
            Ok(r) => assert!(r.recipients.len() <= 3),
            Err(e) => assert_eq!(e, Error::NotAMessage, "cut at {cut}"),
        }
    }
    // Without its closing boundary, every recipient is still there.
    let open = &full[..full.len() - "\r\n--BB--\r\n".len()];
    assert_eq!(parse(open).unwrap().recipients.len(), 3);
    // A boundary that never appears: the body is read as text.
    let m = b"From: MAILER-DAEMON@example.net\r\nContent-Type: multipart/report; boundary=\"never\"\r\n\r\n<gone@example.org>: 550 5.1.1 User unknown\r\n";
    let r = parse(m).unwrap();
    assert!(r.recipients.iter().any(|b| b.recipient == "gone@example.org"), "{r:?}");
}

#[test]
fn mbox_with_from_lines_inside_bodies() {
    let mbox = b"From MAILER-DAEMON Mon Jan  5 10:00:00 2026\n\
Subject: one\n\n\
From here on it is body text.\n\
>From a quoted line\n\
From\n\
\n\
From nobody\n\
\n\
From MAILER-DAEMON Tue Jan  6 10:00:00 2026\n\
Subject: two\n\nsecond\n";
    let msgs: Vec<_> = MboxReader::new(Cursor::new(&mbox[..]), "box", 1 << 20).map(|(s, r)| (s, r.unwrap())).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].0, "box#1");
    let first = String::from_utf8(msgs[0].1.clone()).unwrap();
    assert!(first.contains("\nFrom here on it is body text.\n"), "{first}");
    assert!(first.contains("\nFrom a quoted line\n"), "mboxrd quoting undone: {first}");
    assert!(first.contains("\nFrom nobody\n"), "a `From ` line without a date is body: {first}");
    assert!(String::from_utf8_lossy(&msgs[1].1).contains("Subject: two"));
}

#[test]
fn mbox_message_over_the_size_limit_is_an_error_and_the_next_one_still_comes() {
    let mut mbox = b"From a@b Mon Jan  5 10:00:00 2026\nSubject: big\n\n".to_vec();
    mbox.extend(std::iter::repeat_n(b'z', 10_000));
    mbox.extend_from_slice(b"\n\nFrom a@b Mon Jan  5 10:00:01 2026\nSubject: small\n\nok\n");
    let got: Vec<_> = MboxReader::new(Cursor::new(mbox), "box", 1_000).collect();
    assert_eq!(got.len(), 2);
    assert!(matches!(got[0].1, Err(Error::LimitExceeded { limit: "max_message_size", .. })), "{:?}", got[0].1);
    assert!(got[1].1.as_ref().unwrap().ends_with(b"ok\n"));
}

#[test]
fn a_dsn_with_a_hundred_thousand_recipients() {
    let m = dsn(100_000, "550 5.1.1 User unknown");
    match parse(&m) {
        Err(Error::LimitExceeded { limit, max, actual }) => {
            assert_eq!(limit, "max_recipients");
            assert_eq!(max, Limits::default().max_recipients);
            assert_eq!(actual, 100_000);
        }
        other => panic!("{other:?}"),
    }
    let wide = Limits { max_recipients: 100_000, ..Limits::default() };
    let r = parse_with(&Classifier::new(), &m, &wide).unwrap();
    assert_eq!(r.recipients.len(), 100_000);
    assert_eq!(r.recipients[99_999].recipient, "user99999@example.org");
    assert!(r.recipients.iter().all(|b| b.classification.reason == Reason::UserUnknown));
}

#[test]
fn nul_bytes_everywhere() {
    let m = dsn(2, "550 5.1.1 User\0 unknown\0");
    let r = parse(&m).unwrap();
    assert_eq!(r.recipients.len(), 2);
    assert_eq!(r.recipients[0].classification.reason, Reason::UserUnknown);
    // A NUL in every line's middle.
    let text = String::from_utf8(m).unwrap();
    let salted: String = text.split("\r\n").map(|l| { let mut l = l.to_string(); l.insert(l.len() / 2, '\0'); l }).collect::<Vec<_>>().join("\r\n");
    let _ = parse(salted.as_bytes());
    let c = classify("\u{0}\u{0}550\u{0} 5.1.1\u{0} user unknown\u{0}");
    assert_eq!(c.reply_code.map(|r| r.get()), None, "`\\0550` is not a reply code on its own");
    let c = classify("550 5.1.1 user\0unknown");
    assert_eq!(c.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
}

#[test]
fn overlong_encoded_words() {
    let word = format!("=?utf-8?B?{}?=", "QUJD".repeat(250_000)); // a 1 MB encoded word
    let m = format!("From: MAILER-DAEMON@example.net\r\nSubject: {word}\r\nTo: {word}\r\n\r\n<gone@example.org>: 550 5.1.1 User unknown\r\n");
    let r = parse(m.as_bytes()).unwrap();
    let s = r.subject.unwrap();
    assert!(s.starts_with("ABCABC"), "{}", &s[..20]);
    assert_eq!(r.recipients.iter().filter(|b| b.recipient == "gone@example.org").count(), 1);
    // Thousands of small encoded words in one header.
    let many = "=?iso-8859-1?Q?=E9?= ".repeat(100_000);
    let r = parse(format!("Subject: {many}\r\n\r\nbody\r\n").as_bytes()).unwrap();
    assert!(r.subject.unwrap().starts_with('é'));
}

#[test]
fn invalid_utf8_in_every_field() {
    let bad = b"\xff\xc3\x28\xe2\x82\xf0\x28\x8c\xbc";
    let fields: [&[u8]; 10] = [
        b"Reporting-MTA: dns; ",
        b"Final-Recipient: rfc822; ",
        b"Original-Recipient: rfc822; ",
        b"Action: ",
        b"Status: ",
        b"Remote-MTA: dns; ",
        b"Diagnostic-Code: smtp; 550 5.1.1 ",
        b"Last-Attempt-Date: ",
        b"Arrival-Date: ",
        b"X-Postfix-Sender: rfc822; ",
    ];
    for i in 0..fields.len() {
        let mut m: Vec<u8> = b"From: MAILER-DAEMON@example.net\r\nSubject: ".to_vec();
        m.extend_from_slice(bad);
        m.extend_from_slice(b"\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: message/delivery-status\r\n\r\n");
        for (j, f) in fields.iter().enumerate() {
            m.extend_from_slice(f);
            let value: &[u8] = match *f {
                b"Final-Recipient: rfc822; " => b"gone@example.org",
                b"Action: " => b"failed",
                b"Status: " => b"5.1.1",
                _ => b"x",
            };
            if i == j {
                m.extend_from_slice(bad);
            }
            m.extend_from_slice(value);
            m.extend_from_slice(b"\r\n");
            if j == 0 {
                m.extend_from_slice(b"\r\n");
            }
        }
        m.extend_from_slice(b"\r\n--BB--\r\n");
        let r = parse(&m).unwrap_or_else(|e| panic!("field {i}: {e}"));
        assert_eq!(r.kind, MessageKind::Bounce, "field {i}");
        assert_eq!(r.recipients.len(), 1, "field {i}: {r:?}");
        let b = &r.recipients[0];
        // Strings out are always valid UTF-8 (Rust `String`), the bad bytes replaced.
        assert!(b.recipient.ends_with("gone@example.org") || b.recipient.contains('\u{fffd}'), "field {i}: {:?}", b.recipient);
        if i != 3 {
            assert_eq!(b.dsn_action, DsnAction::Failed, "field {i}");
        }
    }
    let c = classify_bytes(b"550 5.1.1 \xff\xfe user unknown \xc3");
    assert_eq!(c.reason, Reason::UserUnknown);
}

#[test]
fn every_limit_error_names_its_limit() {
    let e = Error::LimitExceeded { limit: "max_parts", max: 2, actual: 3 };
    assert_eq!(e.to_string(), "message over the max_parts limit (3 > 2)");
    let c = Classifier::new();
    let m = dsn(3, "550 5.1.1 User unknown");
    let tight = |f: fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        limit_of(parse_with(&c, &m, &l))
    };
    assert_eq!(tight(|l| l.max_message_size = 100), "max_message_size");
    assert_eq!(tight(|l| l.max_parts = 1), "max_parts");
    assert_eq!(tight(|l| l.max_mime_depth = 0), "max_mime_depth");
    assert_eq!(tight(|l| l.max_recipients = 2), "max_recipients");
    // The diagnostic length is a cut, not an error: the report still comes.
    let short = Limits { max_diagnostic_len: 9, ..Limits::default() };
    let r = parse_with(&c, &m, &short).unwrap();
    assert!(r.recipients.iter().all(|b| b.diagnostic == "550 5.1.1"), "{r:?}");
}

#[test]
fn mbox_line_longer_than_the_size_limit_is_read_in_pieces() {
    // A 5 MB line with no break, then a line that would be a separator were
    // it not the tail of that long line, then a real message.
    let mut mbox = b"From a@b Mon Jan  5 10:00:00 2026\nSubject: long\n\n".to_vec();
    mbox.extend(std::iter::repeat_n(b'y', 5 << 20));
    mbox.extend_from_slice(b"\nFrom x@y Mon Jan  5 10:00:01 2026 is text, not a separator\n");
    mbox.extend_from_slice(b"\nFrom a@b Mon Jan  5 10:00:02 2026\nSubject: short\n\nok\n");
    let got: Vec<_> = MboxReader::new(Cursor::new(mbox), "box", 1_000).collect();
    assert_eq!(got.len(), 2, "{:?}", got.iter().map(|g| &g.0).collect::<Vec<_>>());
    assert!(matches!(got[0].1, Err(Error::LimitExceeded { limit: "max_message_size", .. })));
    assert!(got[1].1.as_ref().unwrap().ends_with(b"ok\n"));
    // A line one byte over a piece: its newline comes as a piece of its own,
    // which is not a blank line, so the `From ` line after it is body text.
    let mut mbox = b"From a@b Mon Jan  5 10:00:00 2026\n".to_vec();
    mbox.extend(std::iter::repeat_n(b'y', 1_001));
    mbox.extend_from_slice(b"\nFrom a@b Mon Jan  5 10:00:02 2026\nSubject: same message\n");
    let got: Vec<_> = MboxReader::new(Cursor::new(mbox), "box", 1_000).collect();
    assert_eq!(got.len(), 1, "{:?}", got.iter().map(|g| &g.0).collect::<Vec<_>>());
}

#[test]
fn message_rfc822_inside_a_headers_only_message_inside_a_multipart() {
    // Found by fuzzing (fuzz/run.sh, target parse): mail-parser 0.11 tripped
    // a debug assertion on this shape. bouncekit's own MIME walk reads only
    // the returned message's header block, so the shape is an ordinary message.
    let m = b"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: message/rfc822\n\n\
To: x\nContent-Type: message/rfc822\n\nFrom: y\nSubject: z\n\nbody\n--b--\n";
    let r = parse(m).unwrap();
    assert!(r.recipients.is_empty(), "{r:?}");
    // The same shape inside a real bounce: the bounce is read.
    let mut bounce = dsn(1, "550 5.1.1 User unknown");
    bounce.truncate(bounce.len() - "\r\n--BB--\r\n".len());
    bounce.extend_from_slice(b"\r\n--BB\r\nContent-Type: message/rfc822\r\n\r\nTo: x\r\nContent-Type: message/rfc822\r\n\r\nFrom: y\r\n\r\nbody\r\n--BB--\r\n");
    assert_eq!(parse(&bounce).unwrap().recipients[0].recipient, "user0@example.org");
}

/// A user pattern that scans to the end of the text, and a text holding its
/// leading literal 200,000 times: each occurrence may start a match, but the
/// rule set must not run one full scan per occurrence (that would be 10^11
/// bytes here; the test would never end).
#[test]
fn a_text_full_of_a_pattern_literal_stays_linear() {
    let rules = r#"
[[rule]]
id = "user.greedy"
reason = "filtered"
patterns = ['acme-gateway-refused.*never-said-here']
examples = ["acme-gateway-refused it: never-said-here"]
"#;
    let c = Classifier::with_user_rules(rules, "user").unwrap();
    let text = "acme-gateway-refused ".repeat(200_000);
    assert_ne!(c.classify(&text).rule, "user.greedy");
    let hit = format!("{text}never-said-here");
    assert_eq!(c.classify(&hit).rule, "user.greedy");
    assert_eq!(c.classify(&hit).reason, Reason::Filtered);
}
