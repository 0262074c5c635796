//! The reason vocabulary: complete, consistent with DESIGN.md, and mapped
//! into values that exist in each target taxonomy.

use std::collections::BTreeMap;

use bouncekit::{Action, BounceType, Reason};

#[derive(serde::Deserialize)]
struct Taxonomies {
    ses: Ses,
    sparkpost: SparkPost,
    kumomta: Kumo,
    sendgrid: SendGrid,
    postmark: Postmark,
}
#[derive(serde::Deserialize)]
struct Ses {
    types: Vec<String>,
    subtypes: BTreeMap<String, Vec<String>>,
}
#[derive(serde::Deserialize)]
struct SparkPost {
    class: BTreeMap<String, toml::Table>,
}
#[derive(serde::Deserialize)]
struct Kumo {
    classes: Vec<String>,
}
#[derive(serde::Deserialize)]
struct SendGrid {
    classifications: Vec<String>,
}
#[derive(serde::Deserialize)]
struct Postmark {
    #[serde(rename = "type")]
    types: BTreeMap<String, toml::Table>,
}

fn taxonomies() -> Taxonomies {
    toml::from_str(include_str!("../data/taxonomies.toml")).unwrap()
}

#[test]
fn vocabulary_has_the_34_words_of_the_design() {
    let design = "authfailure, badreputation, blocked, contenterror, delivered, emailtoolarge, \
        expired, failedstarttls, feedback, filtered, hasmoved, hostunknown, mailboxfull, mailererror, \
        networkerror, norelaying, notaccept, notcompliantrfc, onhold, policyviolation, ratelimited, \
        rejected, requireptr, securityerror, spamdetected, suppressed, suspend, syntaxerror, systemerror, \
        systemfull, undefined, userunknown, vacation, virusdetected";
    let words: Vec<&str> = design.split(',').map(str::trim).collect();
    assert_eq!(words.len(), 34);
    assert_eq!(Reason::ALL.len(), 34);
    for w in words {
        let r: Reason = w.parse().unwrap();
        assert!(r.info().definition.len() > 20, "{w}: definition");
    }
    assert!("nosuch".parse::<Reason>().is_err());
}

#[test]
fn bounce_types_and_actions_follow_the_design() {
    for &r in Reason::ALL {
        let i = r.info();
        let hard = matches!(r, Reason::UserUnknown | Reason::HostUnknown | Reason::HasMoved | Reason::NotAccept);
        let none = matches!(r, Reason::Delivered | Reason::Vacation | Reason::Feedback);
        let want = if hard { BounceType::Hard } else if none { BounceType::None } else { BounceType::Soft };
        assert_eq!(i.bounce_type, want, "{r}");
        if hard || r == Reason::Feedback {
            assert_eq!(i.action, Action::Suppress, "{r}");
        }
        if matches!(r, Reason::Delivered | Reason::Vacation) {
            assert_eq!(i.action, Action::Ignore, "{r}");
        }
        if matches!(r, Reason::Blocked | Reason::BadReputation | Reason::AuthFailure | Reason::RequirePtr) {
            assert_eq!(i.action, Action::FixSender, "{r}");
        }
    }
    assert_eq!(Reason::NotAccept.bounce_type_for(Some(4)), BounceType::Soft);
    assert_eq!(Reason::NotAccept.bounce_type_for(Some(5)), BounceType::Hard);
}

#[test]
fn every_mapping_names_a_real_value() {
    let t = taxonomies();
    for &r in Reason::ALL {
        let i = r.info();
        if let Some(ses) = &i.ses {
            assert!(t.ses.types.contains(&ses.bounce_type), "{r}: SES type {}", ses.bounce_type);
            assert!(t.ses.subtypes[&ses.bounce_type].contains(&ses.subtype), "{r}: SES subtype {}", ses.subtype);
        }
        if let Some(sp) = i.sparkpost {
            assert!(t.sparkpost.class.contains_key(&sp.to_string()), "{r}: SparkPost class {sp}");
        }
        if let Some(k) = &i.kumomta {
            assert!(t.kumomta.classes.contains(k), "{r}: KumoMTA class {k}");
        }
        if let Some(s) = &i.sendgrid {
            assert!(t.sendgrid.classifications.contains(s), "{r}: SendGrid {s}");
        }
        if let Some(p) = &i.postmark {
            assert!(t.postmark.types.contains_key(p), "{r}: Postmark {p}");
        }
        if i.bounce_type != BounceType::None {
            assert!(i.ses.is_some() && i.sparkpost.is_some() && i.kumomta.is_some() && i.postmark.is_some(), "{r}: a mapping is missing");
            // SendGrid reports an already-suppressed address as a "dropped" event, not a bounce.
            assert!(i.sendgrid.is_some() || r == Reason::Suppressed, "{r}: no SendGrid classification");
        }
    }
}

#[test]
fn mapping_tables_agree_with_what_users_of_each_service_expect() {
    let ses = |r: Reason| r.info().ses.clone().map(|s| (s.bounce_type, s.subtype));
    assert_eq!(ses(Reason::UserUnknown), Some(("Permanent".into(), "NoEmail".into())));
    assert_eq!(ses(Reason::MailboxFull), Some(("Transient".into(), "MailboxFull".into())));
    assert_eq!(ses(Reason::EmailTooLarge), Some(("Transient".into(), "MessageTooLarge".into())));
    assert_eq!(Reason::UserUnknown.info().sparkpost, Some(10));
    assert_eq!(Reason::MailboxFull.info().sparkpost, Some(22));
    assert_eq!(Reason::EmailTooLarge.info().sparkpost, Some(23));
    assert_eq!(Reason::NoRelaying.info().sparkpost, Some(54));
    assert_eq!(Reason::VirusDetected.info().kumomta.as_deref(), Some("VirusRelated"));
    assert_eq!(Reason::UserUnknown.info().kumomta.as_deref(), Some("InvalidRecipient"));
    assert_eq!(Reason::UserUnknown.info().postmark.as_deref(), Some("HardBounce"));
    assert_eq!(Reason::Feedback.info().postmark.as_deref(), Some("SpamComplaint"));
    assert_eq!(Reason::UserUnknown.info().sendgrid.as_deref(), Some("Invalid Address"));
    assert_eq!(Reason::BadReputation.info().sendgrid.as_deref(), Some("Reputation"));
}
