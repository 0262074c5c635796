//! Diagnostic-text rules: loaded from TOML (the built-in files under
//! `data/rules/`, and any the user adds), compiled once into one
//! Aho-Corasick automaton for plain phrases and one `RegexSet` for patterns.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{RegexSet, RegexSetBuilder};
use regex::bytes::{Regex as BytesRegex, RegexBuilder as BytesRegexBuilder};
use serde::Deserialize;

use crate::embedded::RULE_FILES;
use crate::{BounceType, Error, Reason, StatusCode};

/// Rules under this priority are *weak*: they only decide when the text
/// carries no specific enhanced status code.
pub const WEAK_BELOW: u8 = 50;

/// One diagnostic-text rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Unique id, `<file>.<slug>`.
    pub id: String,
    /// The verdict.
    pub reason: Reason,
    /// 0..=100; the highest matching rule wins.
    pub priority: u8,
    /// Plain substrings, matched ASCII-case-insensitively.
    pub phrases: Vec<String>,
    /// Regular expressions (`regex` syntax), matched case-insensitively.
    pub patterns: Vec<String>,
    /// The status to report when the text has none.
    pub status: Option<StatusCode>,
    /// Overrides the reason's default bounce type.
    pub bounce_type: Option<BounceType>,
    /// Only applies when the codes found are of this class (4 or 5).
    pub class: Option<u8>,
    /// Real diagnostics that must classify to `reason`.
    pub examples: Vec<String>,
    /// The file (stem) the rule came from.
    pub source: String,
}

impl Rule {
    /// Whether this rule only decides in the absence of a specific code.
    pub fn is_weak(&self) -> bool {
        self.priority < WEAK_BELOW
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    #[allow(dead_code)]
    meta: Option<toml::Table>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    reason: String,
    #[serde(default = "default_priority")]
    priority: u8,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    bounce_type: Option<String>,
    #[serde(default)]
    class: Option<u8>,
    #[serde(default)]
    examples: Vec<String>,
}

fn default_priority() -> u8 {
    50
}

/// Parses one rules file (TOML) into rules, checking every field.
///
/// ```
/// let rules = bouncekit::parse_rules(r#"
/// [[rule]]
/// id = "acme.gone"
/// reason = "userunknown"
/// phrases = ["no such acme user"]
/// examples = ["550 no such acme user here"]
/// "#, "acme").unwrap();
/// assert_eq!(rules[0].priority, 50);
/// assert!(bouncekit::parse_rules("[[rule]]\nid = 1", "bad").is_err());
/// ```
pub fn parse_rules(text: &str, source: &str) -> Result<Vec<Rule>, Error> {
    let err = |message: String| Error::Rules { source: source.to_string(), message };
    let file: RulesFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let mut out = Vec::with_capacity(file.rule.len());
    for r in file.rule {
        let ctx = |m: String| err(format!("rule {:?}: {m}", r.id));
        let reason: Reason = r.reason.parse().map_err(|e: Error| ctx(e.to_string()))?;
        if r.priority > 100 {
            return Err(ctx(format!("priority {} is over 100", r.priority)));
        }
        if r.phrases.is_empty() && r.patterns.is_empty() {
            return Err(ctx("has neither phrases nor patterns".into()));
        }
        if r.phrases.iter().any(|p| p.trim().len() < 3) {
            return Err(ctx("a phrase shorter than 3 characters would match almost anything".into()));
        }
        for p in &r.patterns {
            regex::RegexBuilder::new(p)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| ctx(format!("pattern {p:?}: {e}")))?;
        }
        let status = r.status.as_deref().map(str::parse::<StatusCode>).transpose().map_err(|e| ctx(e.to_string()))?;
        let bounce_type = r.bounce_type.as_deref().map(str::parse::<BounceType>).transpose().map_err(|e| ctx(e.to_string()))?;
        if let Some(c) = r.class {
            if !matches!(c, 2 | 4 | 5) {
                return Err(ctx(format!("class {c} is not 2, 4 or 5")));
            }
        }
        out.push(Rule {
            id: r.id,
            reason,
            priority: r.priority,
            phrases: r.phrases,
            patterns: r.patterns,
            status,
            bounce_type,
            class: r.class,
            examples: r.examples,
            source: source.to_string(),
        });
    }
    Ok(out)
}

/// A compiled set of rules.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    phrases: AhoCorasick,
    phrase_rule: Vec<u32>,
    /// Pure-ASCII patterns, compiled without Unicode classes: ASCII case
    /// folding and word boundaries keep the lazy DFA usable (a Unicode-aware
    /// set of hundreds of `.{0,40}` patterns falls back to the slow PikeVM).
    ///
    /// Each is tried only when one of its required literals occurs in the
    /// text (one Aho-Corasick pass finds them all), or always when it has none.
    ascii: Vec<BytesRegex>,
    ascii_rule: Vec<u32>,
    ascii_literals: AhoCorasick,
    ascii_literal_pattern: Vec<u32>,
    ascii_always: Vec<u32>,
    patterns: RegexSet,
    pattern_rule: Vec<u32>,
    /// The first `user_count` rules are the user's: they beat every built-in rule.
    user_count: usize,
}

impl RuleSet {
    /// Compiles rules; earlier rules win ties. Ids must be unique.
    pub fn new(rules: Vec<Rule>) -> Result<RuleSet, Error> {
        Self::with_user_rules(Vec::new(), rules)
    }

    /// Compiles the user's rules ahead of `rules`: a matching user rule wins
    /// over any other rule, whatever the priorities; among user rules (and
    /// among the others) priority decides, then order.
    pub fn with_user_rules(user: Vec<Rule>, rules: Vec<Rule>) -> Result<RuleSet, Error> {
        let user_count = user.len();
        let mut all = user;
        all.extend(rules);
        let rules = all;
        let mut seen = HashSet::new();
        let (mut phrases, mut phrase_rule, mut patterns, mut pattern_rule) = (vec![], vec![], vec![], vec![]);
        let (mut ascii, mut ascii_rule): (Vec<&str>, Vec<u32>) = (vec![], vec![]);
        for (i, r) in rules.iter().enumerate() {
            if !seen.insert(r.id.as_str()) {
                return Err(Error::Rules { source: r.source.clone(), message: format!("duplicate rule id {:?}", r.id) });
            }
            for p in &r.phrases {
                phrases.push(p.as_str());
                phrase_rule.push(i as u32);
            }
            for p in &r.patterns {
                if p.is_ascii() {
                    ascii.push(p.as_str());
                    ascii_rule.push(i as u32);
                } else {
                    patterns.push(p.as_str());
                    pattern_rule.push(i as u32);
                }
            }
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .map_err(|e| Error::Rules { source: "(phrases)".into(), message: e.to_string() })?;
        let set = RegexSetBuilder::new(&patterns)
            .case_insensitive(true)
            .size_limit(64 << 20)
            .dfa_size_limit(16 << 20)
            .build()
            .map_err(|e| Error::Rules { source: "(patterns)".into(), message: e.to_string() })?;
        let mut ascii_set = Vec::with_capacity(ascii.len());
        let (mut lits, mut lit_pattern, mut always) = (Vec::new(), Vec::new(), Vec::new());
        for (k, p) in ascii.iter().enumerate() {
            let re = BytesRegexBuilder::new(p)
                .case_insensitive(true)
                .unicode(false)
                .size_limit(8 << 20)
                .build()
                .map_err(|e| Error::Rules { source: "(patterns)".into(), message: e.to_string() })?;
            ascii_set.push(re);
            match required_literals(p) {
                Some(ls) => {
                    for l in ls {
                        lits.push(l);
                        lit_pattern.push(k as u32);
                    }
                }
                None => always.push(k as u32),
            }
        }
        let ascii_literals = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&lits)
            .map_err(|e| Error::Rules { source: "(patterns)".into(), message: e.to_string() })?;
        Ok(RuleSet {
            rules,
            phrases: ac,
            phrase_rule,
            ascii: ascii_set,
            ascii_rule,
            ascii_literals,
            ascii_literal_pattern: lit_pattern,
            ascii_always: always,
            patterns: set,
            pattern_rule,
            user_count,
        })
    }

    /// The built-in rules (every file of `data/rules/`, in name order).
    pub fn builtin_rules() -> Vec<Rule> {
        let mut all = Vec::new();
        for (name, text) in RULE_FILES {
            // Embedded at build time and checked by tests/rules.rs.
            all.extend(parse_rules(text, name).unwrap_or_else(|e| panic!("{e}")));
        }
        all
    }

    /// How many of [`RuleSet::rules`] are the user's (they come first).
    pub fn user_count(&self) -> usize {
        self.user_count
    }

    /// Every rule, in precedence order for ties.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The winning rule for `text`: the highest priority among the rules that
    /// match and whose conditions hold; ties go to the earlier rule.
    /// `class` is the class digit of the codes found; `specific_status` says
    /// whether the text carries a specific enhanced code (weak rules then
    /// stand aside).
    pub fn best_match(&self, text: &str, class: Option<u8>, specific_status: bool) -> Option<&Rule> {
        let mut best: Option<u32> = None;
        let key = |i: u32| ((i as usize) < self.user_count, self.rules[i as usize].priority, std::cmp::Reverse(i));
        let mut consider = |i: u32| {
            let r = &self.rules[i as usize];
            if specific_status && r.is_weak() {
                return;
            }
            if r.class.is_some() && r.class != class {
                return;
            }
            best = match best {
                Some(b) if key(b) >= key(i) => Some(b),
                _ => Some(i),
            };
        };
        for m in self.phrases.find_overlapping_iter(text) {
            consider(self.phrase_rule[m.pattern().as_usize()]);
        }
        if !self.ascii_rule.is_empty() {
            let mut candidates: Vec<u32> = self.ascii_always.clone();
            for m in self.ascii_literals.find_overlapping_iter(text) {
                candidates.push(self.ascii_literal_pattern[m.pattern().as_usize()]);
            }
            candidates.sort_unstable();
            candidates.dedup();
            for k in candidates {
                if self.ascii[k as usize].is_match(text.as_bytes()) {
                    consider(self.ascii_rule[k as usize]);
                }
            }
        }
        if !self.pattern_rule.is_empty() {
            for p in self.patterns.matches(text).iter() {
                consider(self.pattern_rule[p]);
            }
        }
        best.map(|i| &self.rules[i as usize])
    }
}

/// Literals one of which every match of `pattern` contains (lowercase), or
/// `None` when there is no useful set (then the pattern is always tried).
fn required_literals(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).ok()?;
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let mut ex = Extractor::new();
        ex.kind(kind).limit_total(64);
        let seq = ex.extract(&hir);
        let Some(lits) = seq.literals() else { continue };
        if lits.is_empty() || lits.iter().any(|l| l.as_bytes().len() < 3) {
            continue;
        }
        let mut out: Vec<String> =
            lits.iter().filter_map(|l| std::str::from_utf8(l.as_bytes()).ok()).map(|s| s.to_ascii_lowercase()).collect();
        if out.len() != lits.len() {
            continue;
        }
        out.sort();
        out.dedup();
        return Some(out);
    }
    None
}

#[cfg(test)]
mod literal_tests {
    use super::required_literals;

    #[test]
    fn literals_are_found_or_the_pattern_is_always_tried() {
        let l = required_literals("User (?:unknown|not found)").unwrap();
        assert!(!l.is_empty() && l.iter().all(|x| x.starts_with("user ")), "{l:?}");
        assert!(required_literals(r"(?:mailbox|account) .{0,40} full").is_some());
        assert!(required_literals(r".{0,40}x").is_none());
    }
}
