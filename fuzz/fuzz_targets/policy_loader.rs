//! A policy file (TOML) from arbitrary text: a valid policy or a typed error,
//! and a loaded policy answers without panicking.
#![no_main]

use bouncekit::{classify, HistoryEvent, Policy};
use libfuzzer_sys::fuzz_target;

// Build the rule sets before the clock starts: a one-time cost, not an input's.
fuzz_target!(init: warm(), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Policy::from_toml(text) {
        let c = classify("452 4.2.2 Mailbox full");
        let h: Vec<HistoryEvent> = (0..4).map(|i| HistoryEvent::of(&c, i * 86_400)).collect();
        let _ = p.decide(&c, &h, 5 * 86_400);
        let _ = p.max_window();
        let _ = p.first_suppression(&h, None);
    }
});

fn warm() {
    let _ = bouncekit::classify("550 5.1.1 user unknown");
}
