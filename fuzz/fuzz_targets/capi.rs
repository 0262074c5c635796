//! The C ABI entry points, called the way a C program would: classify (with
//! the status-code helpers), parse with every accessor on every recipient,
//! explain with every accessor, a user rules file, a classifier with user
//! rules (classify, classify with hints, parse, parse with caller limits), a
//! policy (load and decide), and the last-error message after a failure. The
//! first byte picks the entry point; the rest is the input (pointer + length,
//! not NUL-terminated). ASan sees every handle freed.
//!
//! Every classifier with user rules also compiles the built-in rules, which
//! takes seconds under ASan: the one such classifier is built once, before the
//! clock starts, and a fuzzed rules file reaches `bk_classifier_new_with_rules`
//! only when it fails on its own (those calls stop before the built-in rules);
//! a file whose rules load on their own is compiled alone, as the C call would.
#![no_main]

use bouncekit_capi::*;
use libfuzzer_sys::fuzz_target;
use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::OnceLock;

/// Reads a borrowed string the way C would (up to its NUL).
fn read(p: *const c_char) {
    if !p.is_null() {
        // SAFETY: the ABI promises NUL-terminated strings that live as long as their handle.
        let _ = unsafe { CStr::from_ptr(p) }.to_bytes().len();
    }
}

unsafe fn classification(c: *const bk_classification) {
    let _ = bk_classification_reason(c);
    let _ = bk_classification_bounce_type(c);
    let _ = bk_classification_category(c);
    let _ = bk_classification_action(c);
    let _ = bk_classification_status_source(c);
    let _ = bk_classification_reply_code(c);
    read(bk_classification_status(c));
    read(bk_classification_description(c));
    read(bk_classification_rule(c));
    read(bk_classification_note(c));
    let mut code = std::mem::zeroed::<bk_status_code>();
    let _ = bk_classification_status_code(c, &mut code);
}

unsafe fn last_error() {
    let n = bk_last_error_length();
    let mut buf = vec![0 as c_char; n + 1];
    let mut written = 0usize;
    let r = bk_last_error_message(buf.as_mut_ptr(), buf.len(), &mut written);
    assert!(matches!(r, bk_result::Ok));
    assert_eq!(written, n);
}

unsafe fn parse(data: &[u8]) {
    let mut report: *mut bk_report = ptr::null_mut();
    let r = bk_parse(data.as_ptr(), data.len(), &mut report);
    if !matches!(r, bk_result::Ok) {
        assert!(report.is_null(), "outputs are written only on success");
        last_error();
        return;
    }
    report_calls(report);
}

/// Every accessor of a report and of each of its recipients, then the free.
unsafe fn report_calls(report: *mut bk_report) {
    let _ = bk_report_kind(report);
    for f in [bk_report_reporting_mta, bk_report_from, bk_report_subject, bk_report_date, bk_report_original_message_id, bk_report_original_from, bk_report_original_to, bk_report_original_subject] {
        read(f(report));
    }
    let n = bk_report_recipient_count(report);
    for i in 0..=n {
        let b = bk_report_recipient(report, i);
        if i == n {
            assert!(b.is_null(), "an index past the end gives NULL");
            continue;
        }
        for f in [bk_bounce_recipient, bk_bounce_original_recipient, bk_bounce_status, bk_bounce_diagnostic, bk_bounce_remote_mta, bk_bounce_reporting_mta, bk_bounce_smtp_command, bk_bounce_arrival_date, bk_bounce_last_attempt_date, bk_bounce_decoded_by, bk_bounce_feedback_type] {
            read(f(b));
        }
        let _ = bk_bounce_dsn_action(b);
        let _ = bk_bounce_reply_code(b);
        classification(bk_bounce_classification(b));
    }
    bk_report_free(report);
}

unsafe fn classify(data: &[u8]) {
    let mut c: *mut bk_classification = ptr::null_mut();
    let r = bk_classify(data.as_ptr(), data.len(), &mut c);
    assert!(matches!(r, bk_result::Ok), "classify takes any bytes");
    classification(c);
    bk_classification_free(c);
    let mut found = std::mem::zeroed::<bk_found_codes>();
    assert!(matches!(bk_find_codes(data.as_ptr(), data.len(), &mut found), bk_result::Ok));
    let mut code = std::mem::zeroed::<bk_status_code>();
    let r = bk_status_code_parse(data.as_ptr(), data.len(), &mut code);
    assert!(matches!(r, bk_result::Ok | bk_result::InvalidCode | bk_result::InvalidUtf8), "typed error, got {r:?}");
}

unsafe fn explain(data: &[u8]) {
    let mut e: *mut bk_explanation = ptr::null_mut();
    let r = bk_explain(data.as_ptr(), data.len(), &mut e);
    if !matches!(r, bk_result::Ok) {
        assert!(e.is_null());
        last_error();
        return;
    }
    for f in [bk_explanation_code, bk_explanation_registry_key, bk_explanation_name, bk_explanation_reference, bk_explanation_permanence, bk_explanation_class_name, bk_explanation_class_meaning, bk_explanation_summary, bk_explanation_meaning, bk_explanation_class_note] {
        read(f(e));
    }
    let _ = bk_explanation_level(e);
    let _ = bk_explanation_rfc(e);
    let _ = bk_explanation_deprecated(e);
    let _ = bk_explanation_reason(e);
    let _ = bk_explanation_bounce_type(e);
    let _ = bk_explanation_category(e);
    let _ = bk_explanation_action(e);
    // List numbers past the known ones must be refused, not read.
    for list in 0..8u32 {
        let len = bk_explanation_list_len(e, list);
        for i in 0..=len {
            read(bk_explanation_list_item(e, list, i));
        }
    }
    bk_explanation_free(e);
}

unsafe fn user_rules(data: &[u8]) {
    // What the C call would decide, from the user's rules alone: cheap.
    let alone = std::str::from_utf8(data)
        .map_err(|_| ())
        .and_then(|t| bouncekit::parse_rules(t, "fuzz").map_err(|_| ()))
        .and_then(|rules| {
            let examples: Vec<String> = rules.iter().flat_map(|r| r.examples.clone()).collect();
            bouncekit::RuleSet::new(rules).map(|set| (set, examples)).map_err(|_| ())
        });
    match alone {
        Ok((set, examples)) => {
            for e in &examples {
                let _ = set.best_match(e, Some(5), false);
            }
        }
        Err(()) => {
            let mut cl: *mut bk_classifier = ptr::null_mut();
            let r = bk_classifier_new_with_rules(data.as_ptr(), data.len(), &mut cl);
            assert!(!matches!(r, bk_result::Ok), "rules that fail alone fail with the built-in ones");
            assert!(matches!(r, bk_result::InvalidUtf8 | bk_result::RulesError), "typed error, got {r:?}");
            assert!(cl.is_null());
            last_error();
        }
    }
}

/// The classifier with user rules, built once (see the top of the file).
struct Shared(*mut bk_classifier);
// SAFETY: a bk_classifier is immutable and documented as usable from any thread.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}
static CLASSIFIER: OnceLock<Shared> = OnceLock::new();

const USER_RULES: &str = r#"
[[rule]]
id = "fuzz.quota"
reason = "mailboxfull"
priority = 90
phrases = ["over quota"]
patterns = ['mailbox [a-z]+ is full']
examples = ["552 mailbox kijitora is full"]
"#;

fn shared_classifier() -> *const bk_classifier {
    CLASSIFIER
        .get_or_init(|| {
            let mut cl: *mut bk_classifier = ptr::null_mut();
            // SAFETY: a live slice and an out pointer this function owns.
            let r = unsafe { bk_classifier_new_with_rules(USER_RULES.as_ptr(), USER_RULES.len(), &mut cl) };
            assert!(matches!(r, bk_result::Ok), "the target's own rules load");
            Shared(cl)
        })
        .0
}

/// Limits from the first bytes of the input (some of them invalid, e.g. 0),
/// the rest is a message parsed by the shared classifier.
unsafe fn classifier_calls(data: &[u8]) {
    let cl = shared_classifier();
    let n = bk_classifier_rule_count(cl);
    assert!(n > 0);
    read(bk_classifier_rule_id(cl, 0));
    assert!(bk_classifier_rule_id(cl, n).is_null(), "an index past the end gives NULL");

    let mut c: *mut bk_classification = ptr::null_mut();
    assert!(matches!(bk_classifier_classify(cl, data.as_ptr(), data.len(), &mut c), bk_result::Ok));
    classification(c);
    bk_classification_free(c);
    let mut hints = std::mem::zeroed::<bk_found_codes>();
    assert!(matches!(bk_find_codes(data.as_ptr(), data.len(), &mut hints), bk_result::Ok));
    let mut c: *mut bk_classification = ptr::null_mut();
    assert!(matches!(bk_classifier_classify_with(cl, data.as_ptr(), data.len(), &hints, &mut c), bk_result::Ok));
    classification(c);
    bk_classification_free(c);

    let mut report: *mut bk_report = ptr::null_mut();
    if matches!(bk_classifier_parse(cl, data.as_ptr(), data.len(), &mut report), bk_result::Ok) {
        report_calls(report);
    } else {
        assert!(report.is_null());
        last_error();
    }

    let (head, raw) = data.split_at(data.len().min(3));
    let mut limits = bk_limits_default();
    let small = |i: usize| head.get(i).map_or(usize::MAX, |&b| b as usize);
    limits.max_mime_depth = small(0);
    limits.max_parts = small(1);
    limits.max_recipients = small(2);
    limits.max_diagnostic_len = small(2);
    let mut report: *mut bk_report = ptr::null_mut();
    match bk_classifier_parse_with_limits(cl, &limits, raw.as_ptr(), raw.len(), &mut report) {
        bk_result::Ok => report_calls(report),
        r => {
            assert!(report.is_null());
            assert!(matches!(r, bk_result::InvalidParameter | bk_result::ParseError | bk_result::LimitExceeded), "typed error, got {r:?}");
            last_error();
        }
    }
}

/// A policy file; when it loads, a few decisions on events built from its bytes.
unsafe fn policy(data: &[u8]) {
    let mut p: *mut bk_policy = ptr::null_mut();
    if !matches!(bk_policy_from_toml(data.as_ptr(), data.len(), &mut p), bk_result::Ok) {
        assert!(p.is_null());
        last_error();
        return;
    }
    let event = |i: usize| bk_history_event {
        time: 1_700_000_000 + 3_600 * i as i64,
        reason: data.get(i).map_or(0, |&b| u32::from(b) % 40),
        bounce_type: data.get(i + 1).map_or(0, |&b| u32::from(b) % 4),
    };
    let history: Vec<bk_history_event> = (0..4).map(event).collect();
    for k in 0..=history.len() {
        let mut d: *mut bk_decision = ptr::null_mut();
        let hist = if k == 0 { ptr::null() } else { history.as_ptr() };
        match bk_policy_decide(p, event(k + 1), hist, k, &mut d) {
            bk_result::Ok => {
                let _ = bk_decision_action(d);
                let mut secs = 0u64;
                let _ = bk_decision_retry_after(d, &mut secs);
                read(bk_decision_why(d));
                bk_decision_free(d);
            }
            r => {
                assert!(d.is_null());
                assert!(matches!(r, bk_result::InvalidParameter), "typed error, got {r:?}");
                last_error();
            }
        }
    }
    bk_policy_free(p);
}

// Build the rule sets before the clock starts: a one-time cost, not an input's.
fuzz_target!(init: warm(), |data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    // SAFETY: every pointer passed is a live slice or a handle this target owns.
    unsafe {
        match which % 6 {
            0 => parse(rest),
            1 => classify(rest),
            2 => explain(rest),
            3 => user_rules(rest),
            4 => classifier_calls(rest),
            _ => policy(rest),
        }
    }
});

fn warm() {
    let_known_parser_panic_unwind();
    let _ = bouncekit::classify("550 5.1.1 user unknown");
    let _ = shared_classifier();
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
