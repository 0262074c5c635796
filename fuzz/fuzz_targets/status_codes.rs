//! Status-code extraction from free text: `find_codes`, `StatusCode`'s
//! parser, and `explain` on whatever was found.
#![no_main]

use bouncekit::{explain, find_codes, StatusCode};
use libfuzzer_sys::fuzz_target;

// Build the rule sets before the clock starts: a one-time cost, not an input's.
fuzz_target!(init: warm(), |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let found = find_codes(&text);
    let _ = found.classes_disagree();
    let _ = found.class_digit();
    if let Ok(code) = text.trim().parse::<StatusCode>() {
        // A parsed code prints back to something that parses to itself.
        let again: StatusCode = code.to_string().parse().expect("a printed code parses");
        assert_eq!(again, code);
        let _ = code.registry_key();
    }
    let _ = explain(&text);
});

fn warm() {
    let _ = bouncekit::classify("550 5.1.1 user unknown");
}
