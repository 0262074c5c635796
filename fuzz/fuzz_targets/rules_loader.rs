//! A user rules file (TOML) from arbitrary text: loading either gives rules
//! that compile into a classifier, or a typed error.
#![no_main]

use bouncekit::{parse_rules, Classifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rules) = parse_rules(text, "fuzz") {
        if let Ok(c) = Classifier::with_user_rules(text, "fuzz") {
            assert!(c.rules().len() >= rules.len());
            let _ = c.classify("550 5.1.1 user unknown");
            for r in &rules {
                for e in &r.examples {
                    let _ = c.classify(e);
                }
            }
        }
    }
});
