//! The knowledge base covers the whole IANA registry, every answer is
//! complete, and unregistered codes get the subject-level answer.

use std::collections::BTreeSet;

use bouncekit::{explain, registered_codes, Action, BounceType, Category, Level};

fn iana() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference/iana-enhanced-status-codes.tsv"))
        .expect("../shared/reference/iana-enhanced-status-codes.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

#[test]
fn every_iana_entry_is_explained_for_every_class() {
    let entries = iana();
    assert_eq!(entries.len(), 81);
    let ours: BTreeSet<String> = registered_codes().into_iter().collect();
    let theirs: BTreeSet<String> = entries.iter().map(|e| e.0.clone()).collect();
    assert_eq!(ours, theirs, "knowledge base keys differ from the IANA registry");
    for (key, name, rfc) in &entries {
        for class in ['2', '4', '5'] {
            let code = key.replacen('X', &class.to_string(), 1);
            let e = explain(&code).unwrap();
            assert_eq!(e.level, Level::Registered, "{code}");
            assert_eq!(&e.name, name, "{code}: registry name");
            match rfc.parse::<u32>() {
                Ok(n) => assert_eq!(e.rfc, Some(n), "{code}: rfc"),
                Err(_) => assert_eq!(e.reference.as_deref(), Some(rfc.as_str()), "{code}: reference"),
            }
            assert_eq!(e.deprecated, key == "X.6.10", "{code}: deprecated");
            assert_eq!(e.permanence, match class { '2' => "success", '4' => "temporary", _ => "permanent" });
            if key == "X.6.10" {
                continue;
            }
            for (what, list) in [
                ("causes", &e.causes),
                ("for_senders", &e.for_senders),
                ("for_developers", &e.for_developers),
                ("investigation", &e.investigation),
                ("best_practices", &e.best_practices),
                ("examples", &e.examples),
            ] {
                assert!(!list.is_empty() && list.iter().all(|s| s.trim().len() > 10), "{code}: {what} is thin");
            }
            assert!(e.summary.len() > 20 && e.meaning.len() > 80, "{code}: summary/meaning too short");
            if class != '2' {
                assert!(e.class_note.as_deref().is_some_and(|n| n.len() > 20), "{code}: no class note");
            }
        }
    }
}

#[test]
fn categories_follow_the_subject() {
    for key in registered_codes() {
        let e = explain(&key.replacen('X', "5", 1)).unwrap();
        let subject: u16 = key.split('.').nth(1).unwrap().parse().unwrap();
        assert_eq!(e.category, Category::of_subject(subject), "{key}");
    }
}

#[test]
fn the_reference_page_code() {
    let e = explain("5.4.1").unwrap();
    assert_eq!(e.name, "No answer from host");
    assert_eq!(e.rfc, Some(3463));
    assert_eq!((e.bounce_type, e.action, e.category), (BounceType::Hard, Action::Suppress, Category::NetworkRouting));
    let t = explain("4.4.1").unwrap();
    assert_eq!((t.bounce_type, t.permanence), (BounceType::Soft, "temporary"));
    assert_ne!(t.class_note, e.class_note);
    let s = explain("2.0.0").unwrap();
    assert_eq!((s.bounce_type, s.action), (BounceType::None, Action::Ignore));
}

#[test]
fn unregistered_codes_get_the_subject_answer() {
    for code in ["5.7.606", "5.1.351", "4.7.650", "5.4.316", "5.3.99"] {
        let e = explain(code).unwrap();
        assert_eq!(e.level, Level::Subject, "{code}");
        assert!(e.summary.contains("not in the IANA registry"), "{code}: {}", e.summary);
        assert!(!e.causes.is_empty() && !e.for_developers.is_empty(), "{code}");
    }
}

#[test]
fn bad_codes_are_refused_with_a_clear_error() {
    for bad in ["", "5.9.1", "6.1.1", "5.1", "5.1.1.1", "hello", "X.1.1", "5.1.1000"] {
        let e = explain(bad).unwrap_err().to_string();
        assert!(e.contains("invalid enhanced status code"), "{bad}: {e}");
    }
}
