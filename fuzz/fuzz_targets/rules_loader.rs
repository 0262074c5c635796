//! A user rules file (TOML) from arbitrary text: loading either gives rules
//! that compile into a matcher, or a typed error.
#![no_main]

use bouncekit::{parse_rules, RuleSet};
use libfuzzer_sys::fuzz_target;

// Build the rule sets before the clock starts: a one-time cost, not an input's.
fuzz_target!(init: warm(), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Only the user's rules are compiled: the built-in ones are not input,
    // and compiling them again for every input would leave no time to fuzz.
    if let Ok(rules) = parse_rules(text, "fuzz") {
        let examples: Vec<String> = rules.iter().flat_map(|r| r.examples.clone()).collect();
        if let Ok(set) = RuleSet::new(rules) {
            for e in &examples {
                let _ = set.best_match(e, Some(5), false);
            }
            let _ = set.best_match("550 5.1.1 user unknown", None, true);
        }
    }
});

fn warm() {
    let _ = bouncekit::classify("550 5.1.1 user unknown");
}
