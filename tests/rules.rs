//! The rules test themselves: every example of every built-in rule must
//! classify to that rule's reason through the full classifier, and the rule
//! set must be large and broad enough.

use std::collections::{BTreeMap, HashSet};

use bouncekit::{classify, Classifier, RuleSet};

#[test]
fn every_rule_example_classifies_to_its_reason() {
    let rules = RuleSet::builtin_rules();
    let mut failures = Vec::new();
    for r in &rules {
        assert!(!r.examples.is_empty(), "rule {} has no example", r.id);
        for ex in &r.examples {
            let c = classify(ex);
            if c.reason != r.reason {
                failures.push(format!("{} ({}): {:?}\n    -> {} by {}", r.id, r.reason, ex, c.reason, c.rule));
            } else if let Some(bt) = r.bounce_type {
                if c.bounce_type != bt {
                    failures.push(format!("{}: {:?} -> bounce_type {} not {}", r.id, ex, c.bounce_type, bt));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} rule examples misclassified:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_rule_matches_its_own_examples() {
    // Each rule, compiled alone, must fire on at least one of its examples:
    // otherwise the example passes by accident through another rule.
    let mut bad = Vec::new();
    for r in RuleSet::builtin_rules() {
        let id = r.id.clone();
        let examples = r.examples.clone();
        let alone = RuleSet::new(vec![r]).unwrap();
        let fires = |e: &String| {
            let class = bouncekit::find_codes(e).class_digit();
            alone.best_match(&bouncekit::normalize_diagnostic(e), class, false).is_some()
        };
        if !examples.iter().any(fires) {
            bad.push(id);
        }
    }
    assert!(bad.is_empty(), "rules that match none of their examples: {bad:?}");
}

#[test]
fn rule_ids_are_unique_and_prefixed_by_their_file() {
    let mut seen = HashSet::new();
    for r in RuleSet::builtin_rules() {
        assert!(seen.insert(r.id.clone()), "duplicate id {}", r.id);
        assert!(r.id.starts_with(&format!("{}.", r.source)), "rule {} is in file {}", r.id, r.source);
    }
}

#[test]
fn rule_set_is_broad() {
    let rules = RuleSet::builtin_rules();
    assert!(rules.len() >= 300, "only {} rules", rules.len());
    let files: BTreeMap<&str, usize> = rules.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.source.as_str()).or_default() += 1;
        m
    });
    for must in [
        "google", "microsoft", "yahoo", "apple", "comcast", "verizon", "gmx", "orange", "mailru", "yandex",
        "tencent", "zoho", "naver", "proofpoint", "mimecast", "barracuda", "cisco", "trendmicro", "dnsbl",
        "postfix", "exim", "sendmail", "qmail", "exchange", "lang-de", "lang-fr", "lang-es", "lang-it",
        "lang-pt", "lang-nl", "lang-ja",
    ] {
        assert!(files.get(must).copied().unwrap_or(0) >= 1, "no rules file {must}.toml");
    }
}

#[test]
fn user_rules_go_first_and_bad_files_are_refused() {
    let user = r#"
[[rule]]
id = "mine.quota"
reason = "filtered"
priority = 50
phrases = ["mailbox is full"]
examples = ["552 5.2.2 mailbox is full"]
"#;
    let c = Classifier::with_user_rules(user, "mine").unwrap();
    assert_eq!(c.rules()[0].id, "mine.quota");
    assert_eq!(c.classify("552 5.2.2 mailbox is full").rule, "mine.quota");

    for (bad, why) in [
        ("[[rule]]\nid='x.a'\nreason='nosuch'\nphrases=['abcd']", "unknown reason"),
        ("[[rule]]\nid='x.a'\nreason='blocked'\npatterns=['(unclosed']", "pattern"),
        ("[[rule]]\nid='x.a'\nreason='blocked'", "neither phrases nor patterns"),
        ("[[rule]]\nid='x.a'\nreason='blocked'\nphrases=['a']", "shorter than 3"),
        ("[[rule]]\nid='x.a'\nreason='blocked'\nphrases=['abcd']\npriority=101", "over 100"),
        ("[[rule]]\nid='x.a'\nreason='blocked'\nphrases=['abcd']\nstatus='5.9.1'", "invalid enhanced status"),
        ("[[rule]]\nid='google.user-unknown'\nreason='blocked'\nphrases=['abcd']\n[[rule]]\nid='google.user-unknown'\nreason='blocked'\nphrases=['abcd']", "duplicate"),
        ("not toml at all [", "rules"),
    ] {
        let e = Classifier::with_user_rules(bad, "x").unwrap_err().to_string();
        assert!(e.contains(why), "{bad:?}: error {e:?} lacks {why:?}");
    }
}
