//! The mbox splitter: arbitrary bytes as an mbox stream, every message
//! parsed. Nothing the splitter yields may exceed the size cap.
#![no_main]

use bouncekit::scan::MboxReader;
use bouncekit::{parse_with, Classifier, Error, Limits};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();
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
