//! The mbox splitter: arbitrary bytes as an mbox stream, every message
//! parsed. Nothing the splitter yields may exceed the size cap.
#![no_main]

use bouncekit::scan::MboxReader;
use bouncekit::{parse_with, Classifier, Error, Limits};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::sync::OnceLock;

static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();

// Build the rule sets before the clock starts: a one-time cost, not an input's.
fuzz_target!(init: warm(), |data: &[u8]| {
    let classifier = CLASSIFIER.get_or_init(Classifier::new);
    let max = 2048;
    let limits = Limits { max_message_size: max, ..Limits::default() };
    let mut total = 0usize;
    for (source, raw) in MboxReader::new(Cursor::new(data), "fuzz", max) {
        assert!(source.starts_with("fuzz#"));
        match raw {
            Ok(msg) => {
                assert!(msg.len() <= max);
                total += msg.len();
                let _ = parse_with(classifier, &msg, &limits);
            }
            Err(Error::LimitExceeded { limit, .. }) => assert_eq!(limit, "max_message_size"),
            Err(e) => panic!("unexpected error from an in-memory stream: {e}"),
        }
    }
    // Messages are cut out of the stream, never invented.
    assert!(total <= data.len());
});

fn warm() {
    let_known_parser_panic_unwind();
    let _ = bouncekit::classify("550 5.1.1 user unknown");
    let _ = CLASSIFIER.get_or_init(Classifier::new);
}

/// mail-parser 0.11 trips a `debug_assert!` on some crafted MIME shapes;
/// bouncekit catches that panic and answers "not a message" (see
/// src/message/mime.rs and tests/hostile.rs). libFuzzer's panic hook would
/// abort on it before the catch, so that one known panic is let through to
/// the catch; every other panic still aborts.
fn let_known_parser_panic_unwind() {
    let abort_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let known = info.location().is_some_and(|l| l.file().contains("mail-parser-0.11.9/src/parsers/message.rs"))
            && (info.payload().downcast_ref::<&str>().is_some_and(|m| m.starts_with("Invalid part ID"))
                || info.payload().downcast_ref::<String>().is_some_and(|m| m.starts_with("Invalid part ID")));
        if !known {
            abort_hook(info);
        }
    }));
}
