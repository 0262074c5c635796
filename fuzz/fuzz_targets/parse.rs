//! Parsing arbitrary bytes as a raw message, with tight limits as well as
//! the defaults so the limit paths are exercised. The MIME walk
//! (src/message/mime/) is bouncekit's own and has no known panic: any panic
//! here is a bug.
#![no_main]

use bouncekit::{parse, parse_with, Classifier, Limits};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();

// Build the rule sets before the clock starts: a one-time cost, not an input's.
fuzz_target!(init: warm(), |data: &[u8]| {
    if let Ok(report) = parse(data) {
        for row in report.rows("fuzz") {
            let _ = row.values();
        }
        let _ = report.failed().count();
    }
    let classifier = CLASSIFIER.get_or_init(Classifier::new);
    let tight = Limits { max_message_size: 4096, max_mime_depth: 3, max_parts: 8, max_recipients: 4, max_diagnostic_len: 16 };
    if let Ok(report) = parse_with(classifier, data, &tight) {
        assert!(report.recipients.len() <= tight.max_recipients);
        for b in &report.recipients {
            assert!(b.diagnostic.len() <= tight.max_diagnostic_len, "diagnostic over the limit: {} bytes", b.diagnostic.len());
        }
    }
});

fn warm() {
    let _ = bouncekit::classify("550 5.1.1 user unknown");
    let _ = CLASSIFIER.get_or_init(Classifier::new);
}
