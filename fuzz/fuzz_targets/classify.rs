//! Classifying arbitrary bytes as a diagnostic text.
#![no_main]

use bouncekit::{classify_bytes, normalize_diagnostic};
use libfuzzer_sys::fuzz_target;

// Build the rule sets before the clock starts: a one-time cost, not an input's.
fuzz_target!(init: warm(), |data: &[u8]| {
    let c = classify_bytes(data);
    // Every verdict names the rule, status or reply code that decided it.
    assert!(!c.rule.is_empty());
    let _ = normalize_diagnostic(&String::from_utf8_lossy(data));
});

fn warm() {
    let _ = bouncekit::classify("550 5.1.1 user unknown");
}
