//! The knowledge base: every entry of the IANA SMTP Enhanced Status Codes
//! registry, explained, with class- and subject-level answers for codes the
//! registry does not list. The text lives in `data/registry/*.toml`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::embedded::{QUICK_CODES, QUICK_SUBJECTS, REGISTRY_FILES};
use crate::{Action, BounceType, Category, Error, Reason, StatusClass, StatusCode, MAX_SUBJECT};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    class: BTreeMap<String, ClassEntry>,
    #[serde(default)]
    subject: BTreeMap<String, Entry>,
    #[serde(default)]
    code: BTreeMap<String, Entry>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ClassEntry {
    name: String,
    permanence: String,
    meaning: String,
}

/// One registry entry (or subject-level fallback) as written in the data.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    rfc: Option<u32>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    deprecated: bool,
    category: Category,
    #[serde(default)]
    summary: String,
    meaning: String,
    #[serde(default)]
    success_note: Option<String>,
    #[serde(default)]
    temporary_note: Option<String>,
    #[serde(default)]
    permanent_note: Option<String>,
    // Read from build.rs's statics at run time; here they are checked
    // (as reasons) and compared with those statics by a test.
    #[cfg_attr(not(test), allow(dead_code))]
    reason_permanent: Reason,
    #[cfg_attr(not(test), allow(dead_code))]
    reason_temporary: Reason,
    #[serde(default)]
    #[cfg_attr(not(test), allow(dead_code))]
    reason_in_report: Option<Reason>,
    #[serde(default)]
    causes: Vec<String>,
    #[serde(default)]
    senders: Vec<String>,
    #[serde(default)]
    developers: Vec<String>,
    #[serde(default)]
    investigation: Vec<String>,
    #[serde(default)]
    best_practices: Vec<String>,
    #[serde(default)]
    examples: Vec<String>,
}

/// Used only if the data lacks a subject table (tests make sure it doesn't).
fn blank_entry(code: StatusCode) -> Entry {
    Entry {
        name: format!("Subject {}", code.subject()),
        rfc: None,
        reference: None,
        deprecated: false,
        category: Category::of_subject(code.subject()),
        summary: String::new(),
        meaning: String::new(),
        success_note: None,
        temporary_note: None,
        permanent_note: None,
        reason_permanent: Reason::Undefined,
        reason_temporary: Reason::Undefined,
        reason_in_report: None,
        causes: vec![],
        senders: vec![],
        developers: vec![],
        investigation: vec![],
        best_practices: vec![],
        examples: vec![],
    }
}

struct Registry {
    classes: BTreeMap<u8, ClassEntry>,
    subjects: BTreeMap<u16, Entry>,
    codes: BTreeMap<(u16, u16), Entry>,
}

/// The part of an entry a verdict needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Quick {
    name: Box<str>,
    reason_permanent: Reason,
    reason_temporary: Reason,
    /// The reason inside a bounce or delay report, where it differs.
    reason_in_report: Option<Reason>,
}

impl Quick {
    #[cfg(test)]
    fn of(e: &Entry) -> Quick {
        Quick {
            name: e.name.as_str().into(),
            reason_permanent: e.reason_permanent,
            reason_temporary: e.reason_temporary,
            reason_in_report: e.reason_in_report,
        }
    }
}

/// What a verdict reads of every code, indexed `[subject][detail]`; the
/// subject's own entry when the code is not registered. Classifying reads
/// this on every call, so it is an array look-up, not a search. Codes past
/// the highest registered detail of their subject fall back to the
/// subject's entry, as unregistered ones do (the row's extra last slot).
fn quick_index(subjects: &BTreeMap<u16, Quick>, codes: &BTreeMap<(u16, u16), Quick>) -> Vec<Vec<Option<Quick>>> {
    (0..=MAX_SUBJECT)
        .map(|subject| {
            let fallback = subjects.get(&subject);
            let len = codes.range((subject, 0)..=(subject, u16::MAX)).next_back().map_or(0, |((_, d), _)| usize::from(*d) + 1);
            (0..=len).map(|d| codes.get(&(subject, d as u16)).or(fallback).cloned()).collect()
        })
        .collect()
}

/// [`quick_index`] of the names and reasons build.rs read from the
/// registry files: a verdict needs no parse of the whole knowledge base.
fn quick_table() -> &'static [Vec<Option<Quick>>] {
    static Q: OnceLock<Vec<Vec<Option<Quick>>>> = OnceLock::new();
    Q.get_or_init(|| {
        // The names are checked against the full registry by a test.
        let reason = |r: &str| r.parse().unwrap_or_else(|e| panic!("data/registry: {e}"));
        let quick = |name: &str, p: &str, t: &str, r: &str| Quick {
            name: name.into(),
            reason_permanent: reason(p),
            reason_temporary: reason(t),
            reason_in_report: Some(r).filter(|r| !r.is_empty()).map(reason),
        };
        let subjects = QUICK_SUBJECTS.iter().map(|&(s, n, p, t, r)| (s, quick(n, p, t, r))).collect();
        let codes = QUICK_CODES.iter().map(|&(s, d, n, p, t, r)| ((s, d), quick(n, p, t, r))).collect();
        quick_index(&subjects, &codes)
    })
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| {
        let mut r = Registry { classes: BTreeMap::new(), subjects: BTreeMap::new(), codes: BTreeMap::new() };
        for (name, text) in REGISTRY_FILES {
            // Embedded at build time and checked by tests/registry.rs.
            let f: RegistryFile =
                toml::from_str(text).unwrap_or_else(|e| panic!("data/registry/{name}.toml: {e}"));
            for (k, v) in f.class {
                let digit: u8 = k.parse().expect("class key is a digit");
                let class = StatusClass::from_digit(digit).expect("class is 2, 4 or 5");
                assert_eq!(v.permanence, class.as_str(), "data/registry/{name}.toml: class {digit} permanence");
                r.classes.insert(digit, v);
            }
            for (k, v) in f.subject {
                r.subjects.insert(k.parse().expect("subject key is a number"), v);
            }
            for (k, v) in f.code {
                let code: StatusCode = k.replacen('X', "5", 1).parse().expect("registry key X.s.d");
                r.codes.insert((code.subject(), code.detail()), v);
            }
        }
        r
    })
}

/// The quick entry of a code: its own, else its subject's.
fn quick(code: StatusCode) -> Option<&'static Quick> {
    let row = quick_table().get(usize::from(code.subject()))?;
    row.get(usize::from(code.detail())).or_else(|| row.last())?.as_ref()
}

/// How specific an [`Explanation`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The code is in the IANA registry.
    Registered,
    /// Not registered: the answer is the subject's (X.s.*) and the class's.
    Subject,
}

/// What the knowledge base says about one enhanced status code: the
/// reference page for that code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The code asked about, e.g. `5.4.1`.
    pub code: String,
    /// Its registry key, e.g. `X.4.1`.
    pub registry_key: String,
    /// Whether the answer is the code's own or the subject's.
    pub level: Level,
    /// The registry name (or the subject's name for unregistered codes).
    pub name: String,
    /// The defining RFC, when there is one.
    pub rfc: Option<u32>,
    /// Another defining document (a draft), when there is one.
    pub reference: Option<String>,
    /// True for deprecated registry entries (X.6.10).
    pub deprecated: bool,
    /// `success`, `temporary` or `permanent`.
    pub permanence: &'static str,
    /// The class's name, e.g. "Permanent Failure".
    pub class_name: String,
    /// What the class means.
    pub class_meaning: String,
    /// The verdict a classifier gives for this code alone.
    pub reason: Reason,
    /// Hard, soft, or none.
    pub bounce_type: BounceType,
    /// The subject's area.
    pub category: Category,
    /// What the sender should do.
    pub action: Action,
    /// One sentence.
    pub summary: String,
    /// What the code says and how servers use it.
    pub meaning: String,
    /// What this class of the code means for the sender.
    pub class_note: Option<String>,
    /// Common causes.
    pub causes: Vec<String>,
    /// How to resolve, for email marketers and list owners.
    pub for_senders: Vec<String>,
    /// How to resolve, for developers and operators.
    pub for_developers: Vec<String>,
    /// Investigation steps.
    pub investigation: Vec<String>,
    /// Best practices.
    pub best_practices: Vec<String>,
    /// Realistic server replies carrying the code.
    pub examples: Vec<String>,
}

/// Explains an enhanced status code, as a reference page would.
///
/// ```
/// let e = bouncekit::explain("5.4.1").unwrap();
/// assert_eq!(e.name, "No answer from host");
/// assert_eq!(e.permanence, "permanent");
/// assert_eq!(e.category, bouncekit::Category::NetworkRouting);
///
/// // Not in the registry: the subject-level answer, and it says so.
/// let e = bouncekit::explain("5.7.606").unwrap();
/// assert_eq!(e.level, bouncekit::Level::Subject);
///
/// assert!(bouncekit::explain("5.9.1").is_err());
/// ```
pub fn explain(code: &str) -> Result<Explanation, Error> {
    let code: StatusCode = code.parse()?;
    Ok(explain_code(code))
}

/// [`explain`] for an already parsed code.
pub fn explain_code(code: StatusCode) -> Explanation {
    let r = registry();
    let class = code.class();
    let class_entry = r.classes.get(&class.digit()).cloned().unwrap_or_else(|| ClassEntry {
        name: class.as_str().into(),
        permanence: class.as_str().into(),
        meaning: String::new(),
    });
    let (entry, level) = match r.codes.get(&(code.subject(), code.detail())) {
        Some(e) => (e.clone(), Level::Registered),
        None => (r.subjects.get(&code.subject()).cloned().unwrap_or_else(|| blank_entry(code)), Level::Subject),
    };
    let reason = reason_for(code).unwrap_or(Reason::Undefined);
    let bounce_type = reason.bounce_type_for(Some(class.digit()));
    let action = default_action(reason, bounce_type);
    let class_note = match class {
        StatusClass::Success => entry.success_note.clone(),
        StatusClass::Transient => entry.temporary_note.clone(),
        StatusClass::Permanent => entry.permanent_note.clone(),
    };
    let summary = if level == Level::Subject {
        format!(
            "{code} is not in the IANA registry; this is the answer for its class ({}) and subject ({}).",
            class_entry.name, entry.name
        )
    } else {
        entry.summary.clone()
    };
    Explanation {
        code: code.to_string(),
        registry_key: code.registry_key(),
        level,
        name: entry.name,
        rfc: entry.rfc.filter(|&n| n != 0),
        reference: entry.reference,
        deprecated: entry.deprecated,
        permanence: class.as_str(),
        class_name: class_entry.name,
        class_meaning: class_entry.meaning,
        reason,
        bounce_type,
        category: entry.category,
        action,
        summary,
        meaning: entry.meaning,
        class_note,
        causes: entry.causes,
        for_senders: entry.senders,
        for_developers: entry.developers,
        investigation: entry.investigation,
        best_practices: entry.best_practices,
        examples: entry.examples,
    }
}

/// The reason a classifier gives when this code is all it knows: the
/// registry entry's, else the subject's. `None` for unknown subjects.
pub(crate) fn reason_for(code: StatusCode) -> Option<Reason> {
    if code.class() == StatusClass::Success {
        return Some(Reason::Delivered);
    }
    let e = quick(code)?;
    Some(match code.class() {
        StatusClass::Transient => e.reason_temporary,
        _ => e.reason_permanent,
    })
}

/// The reason [`reason_for`] gives way to for a class 4 code inside a
/// bounce or delay report, where the registry entry names one (a 4.4.1
/// there is a host that never answered while the queue retried: the
/// message expired).
pub(crate) fn report_reason_for(code: StatusCode) -> Option<Reason> {
    if code.class() != StatusClass::Transient {
        return None;
    }
    quick(code)?.reason_in_report
}

/// The short registry name of a code (the subject's name when unregistered).
pub(crate) fn short_name(code: StatusCode) -> Option<&'static str> {
    quick(code).map(|e| &*e.name)
}

/// The registry keys of every registered code, in order (`X.0.0` .. `X.7.30`).
pub fn registered_codes() -> Vec<String> {
    registry().codes.keys().map(|(s, d)| format!("X.{s}.{d}")).collect()
}

/// The action for a reason and bounce type: hard bounces suppress,
/// otherwise the reason's default.
pub(crate) fn default_action(reason: Reason, bounce_type: BounceType) -> Action {
    let info = reason.info();
    if bounce_type == BounceType::Hard {
        Action::Suppress
    } else if bounce_type == BounceType::Soft && info.bounce_type == BounceType::Hard {
        // A reason that suppresses because it is hard, met in a temporary
        // answer ("421 4.3.2 ... not accepting"): the address may work later.
        Action::Retry
    } else {
        info.action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names and reasons build.rs pulled out of the registry files are
    /// what the full run-time read of the same files gives: they cannot drift.
    #[test]
    fn quick_table_equals_the_full_registry() {
        let r = registry();
        let subjects = r.subjects.iter().map(|(&s, e)| (s, Quick::of(e))).collect();
        let codes = r.codes.iter().map(|(&k, e)| (k, Quick::of(e))).collect();
        let full = quick_index(&subjects, &codes);
        assert_eq!(quick_table(), &full[..]);
        assert!(full.iter().flatten().flatten().count() > 81);
    }
}
