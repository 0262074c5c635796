//! Diagnostic-text rules: loaded from TOML (the built-in files under
//! `data/rules/`, and any the user adds), compiled once into one
//! Aho-Corasick automaton for plain phrases and one `RegexSet` for patterns.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::OnceLock;

use regex::{RegexSet, RegexSetBuilder};
use regex_automata::{Anchored, Input};
use smallvec::SmallVec;

use crate::text::{collapse, copy_marks, BREAKS};
use crate::{BounceType, Error, Reason, StatusCode};

mod key_list;
mod key_lookup;
mod keys;
mod literals;
mod matcher;
mod raw;
use key_list::{Hit, KEY_LEN};
use keys::Keys;
use literals::Keyed;
use matcher::Matcher;
use raw::{RawRule, RulesFile};

/// The build-time reading of the built-in rules files (see `build.rs`).
mod generated {
    use super::literals::Keyed;
    use super::StaticRule;
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
    /// The built-in rules' key automaton, with the key list it was built for.
    pub(crate) static KEYS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/keys.bin"));
    /// The built-in rules' key list (`key_list::to_bytes`).
    pub(crate) static RULE_KEYS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/rule_keys.bin"));
}

/// Rules under this priority are *weak*: they only decide when the text
/// carries no specific enhanced status code (`X.Y.0` and `X.7.1` are not).
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
    /// Only applies when the codes found are of this class (2, 4 or 5); a
    /// class 2 rule also applies to a text without codes. A rule for a
    /// reason that is no failure (bounce type `none`: delivered, vacation,
    /// feedback) is of class 2 unless it says otherwise: a failure code in
    /// the text rules it out ("550 5.7.1 out of office replies refused").
    /// A success reply (class 2) is read by class 2 rules only; a failure
    /// rule sets `class = 2` to read one that reports a failure all the
    /// same (amavis's "250 2.7.0 Ok, discarded, ... - INFECTED").
    pub class: Option<u8>,
    /// The reason inside a bounce or delay report, where it differs: there
    /// the sender's mailer has been retrying, so a host that timed out at
    /// every attempt means the message expired in the queue.
    pub in_report: Option<Reason>,
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

/// A built-in rule as `build.rs` read it: a [`RawRule`] in statics.
pub(crate) struct StaticRule {
    id: &'static str,
    reason: &'static str,
    priority: u8,
    phrases: &'static [&'static str],
    patterns: &'static [&'static str],
    status: Option<&'static str>,
    bounce_type: Option<&'static str>,
    class: Option<u8>,
    in_report: Option<&'static str>,
    examples: &'static [&'static str],
}

impl StaticRule {
    fn to_raw(&self) -> RawRule {
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        RawRule {
            id: self.id.into(),
            reason: self.reason.into(),
            priority: self.priority,
            phrases: strings(self.phrases),
            patterns: strings(self.patterns),
            status: self.status.map(str::to_string),
            bounce_type: self.bounce_type.map(str::to_string),
            class: self.class,
            in_report: self.in_report.map(str::to_string),
            examples: strings(self.examples),
        }
    }
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
    parse_rules_checked(text, source, true)
}

/// [`parse_rules`], with the pattern syntax check optional: the built-in
/// files skip it (tests/rules.rs compiles every built-in pattern), since a
/// case-insensitive parse of every pattern was a third of start-up.
fn parse_rules_checked(text: &str, source: &str, check_patterns: bool) -> Result<Vec<Rule>, Error> {
    let file: RulesFile = toml::from_str(text).map_err(|e| Error::Rules { source: source.to_string(), message: e.to_string() })?;
    file.rule.into_iter().map(|r| checked_rule(r, source, check_patterns)).collect()
}

/// Checks every field of one rule as read from a file.
fn checked_rule(r: RawRule, source: &str, check_patterns: bool) -> Result<Rule, Error> {
    let err = |message: String| Error::Rules { source: source.to_string(), message };
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
    // Syntax only: the rule set compiles each pattern once, with its size
    // limit, when it is built.
    for p in r.patterns.iter().filter(|_| check_patterns) {
        regex_syntax::ParserBuilder::new()
            .case_insensitive(true)
            .build()
            .parse(p)
            .map_err(|e| ctx(format!("pattern {p:?}: {e}")))?;
    }
    let status = r.status.as_deref().map(str::parse::<StatusCode>).transpose().map_err(|e| ctx(e.to_string()))?;
    let bounce_type = r.bounce_type.as_deref().map(str::parse::<BounceType>).transpose().map_err(|e| ctx(e.to_string()))?;
    if let Some(c) = r.class {
        if !matches!(c, 2 | 4 | 5) {
            return Err(ctx(format!("class {c} is not 2, 4 or 5")));
        }
    }
    let in_report = r.in_report.as_deref().map(str::parse::<Reason>).transpose().map_err(|e| ctx(format!("in_report: {e}")))?;
    Ok(Rule {
        id: r.id,
        reason,
        priority: r.priority,
        phrases: r.phrases,
        patterns: r.patterns,
        status,
        bounce_type,
        class: r.class,
        in_report,
        examples: r.examples,
        source: source.to_string(),
    })
}

/// A [`Hit`] with what deciding needs of its rule, in one record: the scan
/// reads this alone for every key occurrence.
#[derive(Clone, Copy, Debug)]
struct PackedHit {
    /// The rule's precedence ([`RuleInfo::rank`]), never 0.
    rank: u64,
    rule: u32,
    /// The phrase (an index into `RuleSet::phrases`) or the pattern.
    item: u32,
    /// The pattern of a `Literal` hit.
    pattern: u32,
    kind: HitKind,
    /// The class the rule is limited to; 0 for any.
    class: u8,
    weak: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HitKind {
    Phrase,
    Prefix,
    /// A prefix whose pattern also needs one of its confirming literals.
    PrefixToConfirm,
    Within,
    Confirm,
    /// The text is not in normal form: when scanning a raw text, stop and
    /// scan its normalised copy instead.
    Reshape,
    /// One literal of a pattern that is exactly a set of ASCII literals:
    /// compared like a phrase on an ASCII text, a `Prefix` on any other.
    Literal,
}

/// The embedded keys of a built-in pattern (`None` for any other).
fn builtin_keys(pattern: &str) -> Option<&'static Keyed<&'static [&'static str]>> {
    let table = generated::BUILTIN_PATTERN_KEYS;
    table.binary_search_by(|(p, _)| (*p).cmp(pattern)).ok().map(|i| &table[i].1)
}

/// [`key_list::rule_keys`] of `rules`. Built-in patterns' literals are embedded.
fn keys_of(rules: &[Rule]) -> key_list::RuleKeys {
    // The built-in rules alone (no user rules before them): as build.rs
    // worked them out, from these same rules.
    is_builtin(rules).then(|| key_list::from_bytes(generated::RULE_KEYS)).flatten().unwrap_or_else(|| work_out_keys(rules))
}

/// Whether `rules` are the built-in rules, in their order, as far as their
/// keys go (ids, phrases, patterns).
fn is_builtin(rules: &[Rule]) -> bool {
    let mut given = rules.iter();
    generated::BUILTIN_RULES.iter().flat_map(|(_, rs)| rs.iter()).all(|s| {
        given.next().is_some_and(|r| {
            r.id == s.id && r.phrases.iter().map(String::as_str).eq(s.phrases.iter().copied()) && r.patterns.iter().map(String::as_str).eq(s.patterns.iter().copied())
        })
    }) && given.next().is_none()
}

/// [`keys_of`], worked out from the rules themselves.
fn work_out_keys(rules: &[Rule]) -> key_list::RuleKeys {
    let patterns = || rules.iter().flat_map(|r| r.patterns.iter());
    let worked_out: Vec<Option<Keyed<Vec<String>>>> = patterns().map(|p| builtin_keys(p).is_none().then(|| literals::pattern_keys(p))).collect();
    let keyed: Vec<Keyed<Vec<&str>>> = patterns()
        .zip(&worked_out)
        .map(|(p, own)| own.as_ref().map_or_else(|| builtin_keys(p).map_or(Keyed::Always, |k| k.view()), |k| k.view()))
        .collect();
    key_list::rule_keys(rules.iter().map(|r| (&r.phrases, r.patterns.len())), &keyed, copy_marks())
}

/// Compiles one rule pattern as the rule set runs it: case-insensitive,
/// size-limited so a hostile user pattern cannot take the memory.
///
/// Only `is_match` is ever asked, so only the engines that answer it are
/// built (see [`Matcher`]): no capture groups, no one-pass DFA or
/// backtracker, no reverse automata. Every process pays that compile for
/// each pattern it reaches.
fn compile(pattern: &str) -> Result<Matcher, String> {
    compile_with(pattern, true)
}

/// [`compile`], with Unicode classes and case folding (`unicode`), or with
/// their ASCII forms, which match exactly the same ASCII texts: on an ASCII
/// text `\S`, `.`, `\w`, `\b` or `(?i)k` cannot tell the two apart, but the
/// Unicode forms compile to far larger automata (`\S{1,255}` cost ~40 times
/// as much). A pattern that names a non-ASCII character has no ASCII form
/// (an error): `K` (Kelvin) matches a `k`.
fn compile_with(pattern: &str, unicode: bool) -> Result<Matcher, String> {
    if !unicode && !names_only_ascii(pattern) {
        return Err("not an ASCII pattern".into());
    }
    Matcher::new(pattern, unicode)
}

/// Whether `pattern` is ASCII, hex escapes included (`\x27`, not
/// `\x{212A}`). Any `\u` counts as non-ASCII, and an escaped backslash
/// before an `x` is read as an escape: at worst, that costs the ASCII form.
fn names_only_ascii(pattern: &str) -> bool {
    let ascii_hex = |rest: &str| matches!(rest.as_bytes(), [b'0'..=b'7', h, ..] if h.is_ascii_hexdigit());
    pattern.is_ascii() && !pattern.contains("\\u") && !pattern.contains("\\U") && pattern.split("\\x").skip(1).all(ascii_hex)
}

/// A rule pattern, compiled when a text first needs it: in its ASCII form
/// for ASCII texts (most of them), in its Unicode form for the others.
///
/// Building every built-in pattern's automata up front cost ~1.6 billion
/// instructions (a third of a second) in every process, though a run reaches
/// few of them. Only patterns known to compile (the built-in ones, checked
/// by a test) wait; any other pattern is compiled when loaded, so its error
/// shows there.
#[derive(Debug)]
struct LazyRegex {
    pattern: Box<str>,
    re: OnceLock<Option<Matcher>>,
    /// The ASCII form; `None` for a pattern that has none.
    ascii: OnceLock<Option<Matcher>>,
}

impl LazyRegex {
    fn new(pattern: &str) -> Result<LazyRegex, String> {
        let re = OnceLock::new();
        if builtin_keys(pattern).is_none() {
            let _ = re.set(Some(compile(pattern)?));
        }
        Ok(LazyRegex { pattern: pattern.into(), re, ascii: OnceLock::new() })
    }

    /// The compiled pattern for a text that is all ASCII or not; `None` only
    /// if a built-in one failed to compile, which the rules tests rule out.
    fn get(&self, ascii_text: bool) -> Option<&Matcher> {
        if ascii_text {
            if let Some(re) = self.ascii.get_or_init(|| compile_with(&self.pattern, false).ok()) {
                return Some(re);
            }
        }
        self.re.get_or_init(|| compile(&self.pattern).ok()).as_ref()
    }
}

/// Every built-in rule id: a verdict names its rule by borrowing from here
/// instead of allocating a copy on every call.
fn builtin_ids() -> &'static HashSet<&'static str> {
    static I: OnceLock<HashSet<&'static str>> = OnceLock::new();
    I.get_or_init(|| generated::BUILTIN_RULES.iter().flat_map(|(_, rules)| rules.iter().map(|r| r.id)).collect())
}

/// The built-in rules, made from what build.rs read of the files (no
/// parse; tests/rules.rs checks every field, and a test below that this
/// equals a run-time read of the files).
fn builtin() -> Vec<Rule> {
    let mut all = Vec::with_capacity(generated::BUILTIN_RULES.iter().map(|(_, rules)| rules.len()).sum());
    for (name, rules) in generated::BUILTIN_RULES {
        all.extend(rules.iter().map(|r| checked_rule(r.to_raw(), name, false).unwrap_or_else(|e| panic!("{e}"))));
    }
    all
}

/// A compiled set of rules.
///
/// Speed comes from never running most regexes: one Aho-Corasick automaton
/// holds every phrase *and* a literal each pattern's matches must contain
/// (its required prefixes, else suffixes, else the literals of one of its
/// concatenated parts); only patterns whose literal occurs
/// are run. Patterns with no usable literal go in one small `RegexSet` that
/// always runs.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Each rule's id, borrowed from the built-in rules where it is one.
    ids: Vec<Cow<'static, str>>,
    keys: Keys,
    /// `hits[key_hits[k].0..key_hits[k].1]` is what key `k` stands for.
    key_hits: Vec<(u32, u32)>,
    hits: Vec<PackedHit>,
    /// Every phrase, ASCII-lower-cased.
    phrases: Vec<Box<[u8]>>,
    regexes: Vec<LazyRegex>,
    pattern_rule: Vec<u32>,
    always: RegexSet,
    always_pattern: Vec<u32>,
    /// The highest-ranked rule among `always_pattern`'s.
    always_top: Option<u32>,
    /// The first `user_count` rules are the user's: they beat every built-in rule.
    user_count: usize,
    /// What matching needs of each rule, packed (the rules themselves are big).
    info: Vec<RuleInfo>,
    /// [`Rule::in_report`] by rule id, for the few rules that have one.
    in_report: HashMap<String, Reason>,
}

/// The part of a rule that deciding between matches reads.
#[derive(Clone, Copy, Debug)]
struct RuleInfo {
    /// Precedence, higher wins: user rules first, then priority, then order.
    rank: u64,
    weak: bool,
    /// The class the rule is limited to ([`Rule::class`]); 0 for any.
    class: u8,
}

impl RuleInfo {
    fn new(i: usize, r: &Rule, user_count: usize) -> RuleInfo {
        let rank = (u64::from(i < user_count) << 40) | (u64::from(r.priority) << 32) | u64::from(u32::MAX - i as u32);
        let no_failure = r.reason.info().bounce_type == BounceType::None;
        let class = r.class.unwrap_or(if no_failure { 2 } else { 0 });
        RuleInfo { rank, weak: r.is_weak(), class }
    }
}

/// Whether a rule limited to `rule_class` (0: none) applies to a text whose
/// codes are of `class` (0: no code): class 2 also takes a text without one.
/// A success reply is read only by class 2 rules: a failure wording in it
/// ("250 2.1.5 ok, no user unknown") is no verdict unless a rule says so.
fn class_applies(rule_class: u8, class: u8) -> bool {
    rule_class == class || (rule_class == 0 && class != 2) || (rule_class == 2 && class == 0)
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
        let cells = keys::Cells::new();
        let user_count = user.len();
        let mut all = user;
        all.extend(rules);
        let rules = all;
        let mut seen = HashSet::new();
        let (mut regexes, mut pattern_rule) = (vec![], vec![]);
        for (i, r) in rules.iter().enumerate() {
            if !seen.insert(r.id.as_str()) {
                return Err(Error::Rules { source: r.source.clone(), message: format!("duplicate rule id {:?}", r.id) });
            }
            for p in &r.patterns {
                let err = |m: String| Error::Rules { source: r.source.clone(), message: format!("rule {:?}: pattern {p:?}: {m}", r.id) };
                regexes.push(LazyRegex::new(p).map_err(err)?);
                pattern_rule.push(i as u32);
            }
        }
        let key_list::RuleKeys { by_key, always: always_pattern, phrases } = keys_of(&rules);
        let patterns: Vec<&str> = rules.iter().flat_map(|r| r.patterns.iter().map(String::as_str)).collect();
        let always: Vec<&str> = always_pattern.iter().map(|&n| patterns[n as usize]).collect();
        let info: Vec<RuleInfo> = rules.iter().enumerate().map(|(i, r)| RuleInfo::new(i, r, user_count)).collect();
        let pack = |hit: Hit| {
            let (kind, rule, item) = match hit {
                // Above every rank: never skipped as unable to win.
                Hit::Reshape => return PackedHit { rank: u64::MAX, rule: 0, item: 0, pattern: 0, kind: HitKind::Reshape, class: 0, weak: false },
                Hit::Phrase(r, p) => (HitKind::Phrase, r, p),
                Hit::Literal(n, p) => {
                    let rule = pattern_rule[n as usize];
                    let i = &info[rule as usize];
                    return PackedHit { rank: i.rank, rule, item: p, pattern: n, kind: HitKind::Literal, class: i.class, weak: i.weak };
                }
                Hit::Prefix(n, false) => (HitKind::Prefix, pattern_rule[n as usize], n),
                Hit::Prefix(n, true) => (HitKind::PrefixToConfirm, pattern_rule[n as usize], n),
                Hit::Within(n) => (HitKind::Within, pattern_rule[n as usize], n),
                Hit::Confirm(n) => (HitKind::Confirm, pattern_rule[n as usize], n),
            };
            let i = &info[rule as usize];
            PackedHit { rank: i.rank, rule, item, pattern: item, kind, class: i.class, weak: i.weak }
        };
        let (mut keys, mut key_hits, mut hits) = (Vec::with_capacity(by_key.len()), Vec::with_capacity(by_key.len()), vec![]);
        for (k, v) in by_key {
            keys.push(k);
            key_hits.push((hits.len() as u32, (hits.len() + v.len()) as u32));
            // Best rank first (stable: ties keep rule order), so that the scan
            // stops at the first hit that cannot win.
            let mut v: Vec<PackedHit> = v.into_iter().map(pack).collect();
            v.sort_by_key(|h| std::cmp::Reverse(h.rank));
            hits.extend(v);
        }
        // The built-in rules' automaton is built by build.rs; any other key
        // list (a user's rules) is built here.
        let ac = match Keys::from_bytes_into(cells, generated::KEYS, &keys) {
            Some(ac) => ac,
            None => {
                let sample = rules.iter().flat_map(|r| r.examples.iter().map(|e| e.as_bytes()));
                Keys::build(&keys, sample, BREAKS).map_err(|e| Error::Rules { source: "(phrases)".into(), message: e.to_string() })?
            }
        };
        let set = RegexSetBuilder::new(&always)
            .case_insensitive(true)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| Error::Rules { source: "(patterns)".into(), message: e.to_string() })?;
        let always_top = always_pattern.iter().map(|&n| pattern_rule[n as usize]).max_by_key(|&r| info[r as usize].rank);
        let ids = rules
            .iter()
            .map(|r| builtin_ids().get(r.id.as_str()).map_or_else(|| Cow::Owned(r.id.clone()), |&id| Cow::Borrowed(id)))
            .collect();
        let in_report = rules.iter().filter_map(|r| Some((r.id.clone(), r.in_report?))).collect();
        Ok(RuleSet {
            info,
            in_report,
            ids,
            rules,
            keys: ac,
            key_hits,
            hits,
            phrases,
            regexes,
            pattern_rule,
            always: set,
            always_pattern,
            always_top,
            user_count,
        })
    }

    /// The built-in rules (every file of `data/rules/`, in name order).
    pub fn builtin_rules() -> Vec<Rule> {
        builtin()
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
        self.best_index(text, class, specific_status).map(|i| &self.rules[i])
    }

    /// The [`Rule::in_report`] reason of the rule with this id.
    pub(crate) fn in_report(&self, id: &str) -> Option<Reason> {
        self.in_report.get(id).copied()
    }

    /// The rule at `i` of [`RuleSet::rules`] and its id, ready to hand out.
    pub(crate) fn rule_and_id(&self, i: usize) -> (&Rule, &Cow<'static, str>) {
        (&self.rules[i], &self.ids[i])
    }

    /// [`RuleSet::best_match`] as an index into [`RuleSet::rules`].
    pub(crate) fn best_index(&self, text: &str, class: Option<u8>, specific_status: bool) -> Option<usize> {
        self.search(text, class, specific_status, false).unwrap_or(None)
    }

    /// [`RuleSet::best_index`] of [`normalize_diagnostic`](crate::normalize_diagnostic)`(text)`. The key
    /// scan of the raw text sees whether it needs the copy (the copy marks
    /// are keys too): most texts do not, and are then read once, not twice.
    pub(crate) fn best_index_normalized(&self, text: &str, class: Option<u8>, specific_status: bool) -> Option<usize> {
        match self.search(text, class, specific_status, true) {
            Ok(best) => best,
            // A mark occurred, so normalize_diagnostic would copy: no need to
            // ask it whether to.
            Err(NeedsCopy) => self.best_index(&collapse(text), class, specific_status),
        }
    }

    /// The best rule for `text`; with `raw`, `Err` as soon as a key shows
    /// that the text is not in normal form.
    fn search(&self, text: &str, class: Option<u8>, specific_status: bool, raw: bool) -> Result<Option<usize>, NeedsCopy> {
        let class = class.unwrap_or(0);
        // The best so far, by rank (0: none yet; every rank is above 0).
        let (mut best_rank, mut best) = (0u64, None::<u32>);
        let mut cands = Noted::default();
        // Made at the first confirming literal: most texts have none.
        let mut confirmed: Option<PatternSet> = None;
        let bytes = text.as_bytes();
        // Asked at the first hit that needs it: most texts are ASCII.
        let mut ascii: Option<bool> = None;
        // Phrases are settled during the scan (a byte comparison); regex
        // candidates are only noted, then run best-first after it.
        let scanned = self.keys.scan(bytes, |start, key| {
            let (a, b) = self.key_hits[key];
            // The pattern last noted for a `Literal` on a non-ASCII text: one
            // note per pattern per occurrence, as a `Prefix` key gives.
            let mut noted = u32::MAX;
            for h in &self.hits[a as usize..b as usize] {
                // Best first: no later hit of this key can win either.
                if h.rank <= best_rank {
                    break;
                }
                if (specific_status && h.weak) || !class_applies(h.class, class) {
                    continue;
                }
                match h.kind {
                    HitKind::Phrase => {
                        if self.phrase_at(bytes, start, h.item) {
                            (best_rank, best) = (h.rank, Some(h.rule));
                        }
                    }
                    HitKind::Literal => {
                        if *ascii.get_or_insert_with(|| text.is_ascii()) {
                            if self.phrase_at(bytes, start, h.item) {
                                (best_rank, best) = (h.rank, Some(h.rule));
                            }
                        } else if noted != h.pattern {
                            noted = h.pattern;
                            cands.note(h.pattern, h.rule, h.rank, Seen::Start(start as u32, false));
                        }
                    }
                    HitKind::Prefix => cands.note(h.item, h.rule, h.rank, Seen::Start(start as u32, false)),
                    HitKind::PrefixToConfirm => cands.note(h.item, h.rule, h.rank, Seen::Start(start as u32, true)),
                    HitKind::Within => cands.note(h.item, h.rule, h.rank, Seen::Within),
                    HitKind::Confirm => confirmed.get_or_insert_with(|| PatternSet::new(self.regexes.len())).insert(h.item),
                    HitKind::Reshape if raw => return ControlFlow::Break(()),
                    HitKind::Reshape => {}
                }
            }
            ControlFlow::Continue(())
        });
        if scanned.is_break() {
            return Err(NeedsCopy);
        }
        // Best-first: the first candidate that matches beats every later one.
        // A confirming literal is only required of an ASCII text: the key
        // scan folds ASCII case, the regex folds Unicode case too (`ſ`, `K`).
        while let Some(c) = cands.take_best(best_rank) {
            let unconfirmed = c.flags & Candidate::TO_CONFIRM != 0 && !confirmed.as_ref().is_some_and(|set| set.contains(c.pattern));
            if (c.flags & Candidate::WITHIN == 0 && c.starts_len == 0) || (unconfirmed && *ascii.get_or_insert_with(|| text.is_ascii())) {
                continue;
            }
            if self.candidate_matches(text, *ascii.get_or_insert_with(|| text.is_ascii()), &c) {
                best = Some(c.rule);
                break;
            }
        }
        // The literal-less patterns run only when one of them could still win.
        if self.always_top.is_some_and(|top| self.beats(top, best)) {
            let eligible = |i: u32| {
                let r = &self.info[i as usize];
                !(specific_status && r.weak) && class_applies(r.class, class)
            };
            for p in self.always.matches(text).iter() {
                let r = self.pattern_rule[self.always_pattern[p] as usize];
                if eligible(r) && self.beats(r, best) {
                    best = Some(r);
                }
            }
        }
        Ok(best.map(|i| i as usize))
    }

    /// Whether phrase `p` is in `bytes` at `start`, ASCII case aside. Its key
    /// (its first KEY_LEN bytes) matched there already: only the rest is compared.
    #[inline(always)]
    fn phrase_at(&self, bytes: &[u8], start: usize, p: u32) -> bool {
        let p = &self.phrases[p as usize];
        let k = p.len().min(KEY_LEN);
        bytes.get(start + k..start + p.len()).is_some_and(|t| t.eq_ignore_ascii_case(&p[k..]))
    }

    /// Whether rule `i` would win over the current best.
    fn beats(&self, i: u32, best: Option<u32>) -> bool {
        best.is_none_or(|b| self.info[i as usize].rank > self.info[b as usize].rank)
    }

    /// Runs a candidate pattern's regex. The key scan folds ASCII case in
    /// place, so its offsets are the text's: a prefix-literal match can only
    /// start where its literal starts: an anchored check there usually fails within a few bytes.
    /// After [`ANCHORED_TRIES`] starts one unanchored search from the next
    /// settles it, so a text full of the literal stays linear. `ascii`: the
    /// text is all ASCII (the pattern's ASCII form may run).
    fn candidate_matches(&self, text: &str, ascii: bool, c: &Candidate) -> bool {
        let Some(re) = self.regexes[c.pattern as usize].get(ascii) else { return false };
        if c.flags & Candidate::WITHIN != 0 {
            return re.is_match(text);
        }
        let n = c.starts_len as usize;
        let anchored = n.min(ANCHORED_TRIES);
        c.starts[..anchored]
            .iter()
            .any(|&s| re.is_match(Input::new(text).range(s as usize..).anchored(Anchored::Yes)))
            || (n > ANCHORED_TRIES && re.is_match(Input::new(text).range(c.starts[ANCHORED_TRIES] as usize..)))
    }
}

/// A raw text turned out not to be in normal form.
struct NeedsCopy;

/// Anchored checks per prefix-literal pattern before one unanchored search.
const ANCHORED_TRIES: usize = 4;

/// A pattern whose literal occurred, with where (for prefix literals).
#[derive(Clone, Copy)]
struct Candidate {
    pattern: u32,
    rule: u32,
    rank: u64,
    /// The first starts of its prefix literal, in the order found; the last
    /// slot is where the unanchored search begins.
    starts: [u32; ANCHORED_TRIES + 1],
    /// How many of `starts` are set.
    starts_len: u8,
    /// `WITHIN`, `TO_CONFIRM`.
    flags: u8,
}

impl Candidate {
    /// A literal inside every match occurred: search the whole text.
    const WITHIN: u8 = 1;
    /// The pattern is keyed by prefixes and has confirming literals.
    const TO_CONFIRM: u8 = 2;
}

/// The regex candidates of one text as the scan meets them: a plain list in
/// scan order while it is short (a push a hit, nothing to set up); past
/// [`Noted::LIST`] entries, the per-pattern [`Candidates`], which keep a few
/// starts a pattern, so a text full of literals stays linear.
#[derive(Default)]
struct Noted {
    events: SmallVec<[Event; 8]>,
    many: Option<Box<Candidates>>,
}

/// One candidate hit: its pattern and rule, the rule's rank, where the
/// prefix literal starts (for `Seen::Start`) and the `Candidate` flags.
#[derive(Clone, Copy)]
struct Event {
    rank: u64,
    pattern: u32,
    rule: u32,
    start: u32,
    flags: u8,
}

impl Noted {
    const LIST: usize = 32;

    fn note(&mut self, pattern: u32, rule: u32, rank: u64, seen: Seen) {
        if let Some(many) = &mut self.many {
            return many.note(pattern, rule, rank, seen);
        }
        if self.events.len() == Self::LIST {
            let mut many = Box::<Candidates>::default();
            for e in self.events.drain(..) {
                let seen = if e.flags & Candidate::WITHIN != 0 { Seen::Within } else { Seen::Start(e.start, e.flags & Candidate::TO_CONFIRM != 0) };
                many.note(e.pattern, e.rule, e.rank, seen);
            }
            many.note(pattern, rule, rank, seen);
            self.many = Some(many);
            return;
        }
        let (start, flags) = match seen {
            Seen::Start(s, false) => (s, 0),
            Seen::Start(s, true) => (s, Candidate::TO_CONFIRM),
            Seen::Within => (0, Candidate::WITHIN),
        };
        self.events.push(Event { rank, pattern, rule, start, flags });
    }

    /// Removes and returns the highest-ranked candidate, if it ranks above
    /// `floor`: what [`Candidates::take_best`] gives for the same notes.
    fn take_best(&mut self, floor: u64) -> Option<Candidate> {
        if let Some(many) = &mut self.many {
            return many.take_best(floor);
        }
        // Ties (two patterns of one rule) go to the one noted first.
        let mut top: Option<usize> = None;
        for (i, e) in self.events.iter().enumerate() {
            if e.rank > floor && top.is_none_or(|t| e.rank > self.events[t].rank) {
                top = Some(i);
            }
        }
        let first = self.events[top?];
        let mut c = Candidate { pattern: first.pattern, rule: first.rule, rank: first.rank, starts: [0; ANCHORED_TRIES + 1], starts_len: 0, flags: 0 };
        // Its starts in the order found, as many as a Candidate keeps.
        for e in self.events[top?..].iter_mut().filter(|e| e.pattern == first.pattern) {
            c.flags |= e.flags;
            if e.flags & Candidate::WITHIN == 0 && (c.starts_len as usize) < c.starts.len() {
                c.starts[c.starts_len as usize] = e.start;
                c.starts_len += 1;
            }
            e.rank = 0;
        }
        Some(c)
    }
}

/// A set of pattern numbers, on the stack for rule sets of up to 1024
/// patterns (the built-in set has about 860).
enum PatternSet {
    Inline([u64; 16]),
    Heap(Vec<u64>),
}

impl PatternSet {
    fn new(patterns: usize) -> PatternSet {
        if patterns <= 1024 {
            PatternSet::Inline([0; 16])
        } else {
            PatternSet::Heap(vec![0; patterns.div_ceil(64)])
        }
    }

    fn words(&self) -> &[u64] {
        match self {
            PatternSet::Inline(w) => w,
            PatternSet::Heap(w) => w,
        }
    }

    fn insert(&mut self, n: u32) {
        let w = match self {
            PatternSet::Inline(w) => &mut w[..],
            PatternSet::Heap(w) => &mut w[..],
        };
        if let Some(word) = w.get_mut(n as usize / 64) {
            *word |= 1 << (n % 64);
        }
    }

    fn contains(&self, n: u32) -> bool {
        self.words().get(n as usize / 64).is_some_and(|w| w & (1 << (n % 64)) != 0)
    }
}

/// What the scan saw of a candidate pattern.
#[derive(Clone, Copy)]
enum Seen {
    /// Its prefix literal, starting here; `true` when the pattern has
    /// confirming literals.
    Start(u32, bool),
    /// A literal inside every match.
    Within,
}

/// The regex candidates of one text: few, so they live on the stack and are
/// found by a linear look-up; a text that brings many spills them to the
/// heap, with an index by pattern.
struct Candidates {
    inline: [Candidate; Candidates::INLINE],
    inline_len: usize,
    spill: Vec<Candidate>,
    index: Vec<u32>,
}

impl Default for Candidates {
    fn default() -> Self {
        let empty = Candidate { pattern: 0, rule: 0, rank: 0, starts: [0; ANCHORED_TRIES + 1], starts_len: 0, flags: 0 };
        Candidates { inline: [empty; Self::INLINE], inline_len: 0, spill: Vec::new(), index: Vec::new() }
    }
}

impl Candidates {
    const INLINE: usize = 8;
    const LINEAR: usize = 16;

    /// Removes and returns the highest-ranked candidate, if it ranks above
    /// `floor` (a selection per call: the list is short).
    fn take_best(&mut self, floor: u64) -> Option<Candidate> {
        let list = self.list();
        // Ties (two patterns of one rule) go to the one noted first.
        let mut top: Option<usize> = None;
        for (i, c) in list.iter().enumerate() {
            if c.rank > floor && top.is_none_or(|t| c.rank > list[t].rank) {
                top = Some(i);
            }
        }
        let c = list[top?];
        list[top?].rank = 0;
        Some(c)
    }

    fn list(&mut self) -> &mut [Candidate] {
        if self.spill.is_empty() {
            &mut self.inline[..self.inline_len]
        } else {
            &mut self.spill
        }
    }

    /// Notes what the scan saw of `pattern`.
    fn note(&mut self, pattern: u32, rule: u32, rank: u64, seen: Seen) {
        let i = match self.position(pattern) {
            Some(i) => i,
            None => {
                let c = Candidate { pattern, rule, rank, starts: [0; ANCHORED_TRIES + 1], starts_len: 0, flags: 0 };
                if self.spill.is_empty() && self.inline_len < Self::INLINE {
                    self.inline[self.inline_len] = c;
                    self.inline_len += 1;
                } else {
                    if self.spill.is_empty() {
                        // One allocation for a text that brings many, not a
                        // copy and then a regrowth at once.
                        self.spill.reserve(4 * Self::INLINE);
                        self.spill.extend_from_slice(&self.inline[..self.inline_len]);
                    }
                    if !self.index.is_empty() {
                        self.index[pattern as usize] = self.spill.len() as u32;
                    }
                    self.spill.push(c);
                }
                self.list().len() - 1
            }
        };
        let c = &mut self.list()[i];
        match seen {
            Seen::Start(s, to_confirm) => {
                if to_confirm {
                    c.flags |= Candidate::TO_CONFIRM;
                }
                if (c.starts_len as usize) < c.starts.len() {
                    c.starts[c.starts_len as usize] = s;
                    c.starts_len += 1;
                }
            }
            Seen::Within => c.flags |= Candidate::WITHIN,
        }
    }

    fn position(&mut self, pattern: u32) -> Option<usize> {
        if self.spill.len() < Self::LINEAR {
            return self.list().iter().position(|c| c.pattern == pattern);
        }
        if self.index.is_empty() {
            // Patterns are numbered densely, so the index is as big as the
            // highest pattern number seen; it grows when a higher one comes.
            self.index = vec![u32::MAX; self.spill.iter().map(|c| c.pattern as usize + 1).max().unwrap_or(0)];
            for (i, c) in self.spill.iter().enumerate() {
                self.index[c.pattern as usize] = i as u32;
            }
        }
        if self.index.len() <= pattern as usize {
            self.index.resize(pattern as usize + 1, u32::MAX);
        }
        Some(self.index[pattern as usize]).filter(|&i| i != u32::MAX).map(|i| i as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::literals::{inner_literals, parse_case_sensitive};
    use super::*;

    /// The rules build.rs embedded are what reading the files at run time
    /// gives, field by field, in the same order: the two cannot drift.
    #[test]
    fn embedded_rules_equal_a_run_time_read_of_the_files() {
        let mut read = Vec::new();
        for (name, text) in crate::embedded::RULE_FILES {
            read.extend(parse_rules(text, name).unwrap_or_else(|e| panic!("{e}")));
        }
        assert!(read.len() > 300);
        assert_eq!(builtin(), read);
    }

    /// The key automaton build.rs embedded is the one a run-time build of
    /// the built-in rules gives, and only their key list gets it.
    #[test]
    fn embedded_automaton_equals_a_run_time_build() {
        let rules = builtin();
        let keys: Vec<Vec<u8>> = keys_of(&rules).by_key.into_iter().map(|(k, _)| k).collect();
        let sample = rules.iter().flat_map(|r| r.examples.iter().map(|e| e.as_bytes()));
        let built = Keys::build(&keys, sample, BREAKS).unwrap();
        assert!(Keys::from_bytes_for(generated::KEYS, &keys) == Some(built), "build.rs's automaton differs from a run-time build");
        let mut with_user = rules.clone();
        with_user.insert(0, rule(0, 50, "custom [a-z]+ refused".into()));
        let other: Vec<Vec<u8>> = keys_of(&with_user).by_key.into_iter().map(|(k, _)| k).collect();
        assert!(Keys::from_bytes_for(generated::KEYS, &other).is_none());
    }

    /// The key list build.rs embedded is the one the built-in rules give when
    /// worked out at run time, and only the built-in rules read it back (any
    /// change to an id, phrase or pattern, or a rule before them, does not).
    #[test]
    fn embedded_key_list_equals_a_run_time_one() {
        let rules = builtin();
        let worked = work_out_keys(&rules);
        assert!(worked.by_key.len() > 1000);
        assert_eq!(key_list::from_bytes(generated::RULE_KEYS).as_ref(), Some(&worked), "build.rs's key list differs");
        assert_eq!(keys_of(&rules), worked);
        // The bytes round-trip, and are refused cut short or with more after them.
        let bytes = key_list::to_bytes(&worked);
        assert_eq!(key_list::from_bytes(&bytes).as_ref(), Some(&worked));
        assert!(key_list::from_bytes(&bytes[..bytes.len() - 1]).is_none());
        assert!(key_list::from_bytes(&[&bytes[..], &[0]].concat()).is_none());
        let mut changed = rules.clone();
        changed[3].phrases.push("one more phrase".into());
        assert_eq!(keys_of(&changed), work_out_keys(&changed));
        assert_ne!(keys_of(&changed), worked);
        let mut with_user = rules.clone();
        with_user.insert(0, rule(0, 50, "custom [a-z]+ refused".into()));
        assert_eq!(keys_of(&with_user), work_out_keys(&with_user));
        assert!(is_builtin(&rules) && !is_builtin(&changed) && !is_builtin(&with_user) && !is_builtin(&rules[1..]));
    }

    /// The literals build.rs embedded for each built-in pattern are the ones
    /// a run-time extraction finds, and every built-in pattern has them.
    #[test]
    fn embedded_pattern_keys_equal_a_run_time_extraction() {
        let table = generated::BUILTIN_PATTERN_KEYS;
        assert!(table.windows(2).all(|w| w[0].0 < w[1].0), "sorted, for the binary search");
        let rules = builtin();
        let builtin_set: HashSet<&str> = rules.iter().flat_map(|r| r.patterns.iter().map(String::as_str)).collect();
        assert_eq!(table.iter().map(|(p, _)| *p).collect::<HashSet<_>>(), builtin_set);
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (mut prefix, mut exact, mut always) = (0, 0, 0);
        for (p, keyed) in table {
            let owned = match keyed {
                Keyed::Prefix(l, c) => Keyed::Prefix(strings(l), c.map(strings)),
                Keyed::Suffix(l) => Keyed::Suffix(strings(l)),
                Keyed::Inner(l) => Keyed::Inner(strings(l)),
                Keyed::Always => Keyed::Always,
                Keyed::Exact(l) => Keyed::Exact(strings(l)),
            };
            prefix += usize::from(matches!(owned, Keyed::Prefix(..)));
            exact += usize::from(matches!(owned, Keyed::Exact(..)));
            always += usize::from(owned == Keyed::Always);
            assert_eq!(owned, literals::pattern_keys(p), "{p}");
        }
        // Most are exactly literals; most of the rest are found by a prefix.
        assert!(exact > table.len() / 2 && prefix > (table.len() - exact) / 2 && always < 20, "{exact} exact, {prefix} prefix-keyed, {always} always run");
        assert!(builtin_keys("a pattern no rule has").is_none());
    }

    /// Built-in patterns compile when first needed; every one must compile,
    /// and every one written in ASCII has an ASCII form.
    #[test]
    fn every_builtin_pattern_compiles() {
        let set = RuleSet::new(RuleSet::builtin_rules()).unwrap();
        assert!(set.regexes.len() > 100);
        for r in &set.regexes {
            assert!(r.re.get().is_none() && r.ascii.get().is_none(), "{} was compiled up front", r.pattern);
            assert!(r.get(false).is_some(), "{} does not compile", r.pattern);
            assert!(r.get(true).is_some());
            assert_eq!(r.ascii.get().unwrap().is_some(), r.pattern.is_ascii(), "{}", r.pattern);
        }
    }

    /// A pattern that names a non-ASCII character, even by an escape, has
    /// no ASCII form: `(?i)\x{212A}` (Kelvin) matches a `k`.
    #[test]
    fn patterns_naming_non_ascii_characters_have_no_ascii_form() {
        for p in ["\\x{212A}elvin", "\\u{17f}", "\\U0000017F", "\\xe9", "é", "[aã]o"] {
            assert!(compile_with(p, false).is_err(), "{p}");
            let lazy = LazyRegex::new(p).unwrap();
            assert!(lazy.get(true).is_some() && matches!(lazy.ascii.get(), Some(None)), "{p}");
        }
        assert!(compile(r"\x{212A}").unwrap().is_match("k"));
        for p in ["\\x22", "e\\x27 piena", "\\x7f", "\\\\x7f", "plain [a-z]+ \\S{1,9}"] {
            assert!(compile_with(p, false).is_ok(), "{p}");
        }
    }

    /// An ASCII text with the rule examples' words and the bytes that tell
    /// ASCII and Unicode classes apart, if anything could: every control
    /// byte, space, `_`, digits, letters that fold (`k`, `s`), punctuation.
    fn ascii_mutation(rng: &mut crate::test_rng::Rng, base: &str, other: &str) -> String {
        const BYTES: &[u8] = b"\t\n\x0b\x0c\r\x00\x1c\x1f\x7f _-.@<>[]():;#0129kKsSaZ";
        let mut t = base.as_bytes().to_vec();
        for _ in 0..=rng.below(3) {
            let at = rng.below(t.len() + 1);
            match rng.below(6) {
                0 if at < t.len() => {
                    t.remove(at);
                }
                1 if at < t.len() => t[at] = BYTES[rng.below(BYTES.len())],
                2 => {
                    let n = rng.below(300);
                    t.splice(at..at, std::iter::repeat_n(BYTES[rng.below(BYTES.len())], n));
                }
                3 => {
                    let o = other.as_bytes();
                    let from = rng.below(o.len() + 1);
                    t.splice(at..at, o[from..o.len().min(from + rng.below(40))].iter().copied());
                }
                4 => t.make_ascii_uppercase(),
                _ => t.truncate(at),
            }
        }
        String::from_utf8(t).unwrap()
    }

    /// The ASCII form of every built-in pattern decides each ASCII text as
    /// the Unicode form does, unanchored and anchored: on the examples,
    /// mutations of them and splices with other examples.
    #[test]
    fn ascii_forms_match_like_the_unicode_forms_on_ascii_texts() {
        let rules = RuleSet::builtin_rules();
        let examples: Vec<&str> = rules.iter().flat_map(|r| r.examples.iter().map(String::as_str)).filter(|e| e.is_ascii()).collect();
        let mut rng = crate::test_rng::Rng(0x5eed_a5c1);
        let (mut checked, mut matched) = (0usize, 0usize);
        for r in &rules {
            for p in r.patterns.iter().filter(|p| p.is_ascii()) {
                let (ascii, unicode) = (compile_with(p, false).unwrap(), compile(p).unwrap());
                let own = r.examples.iter().map(String::as_str).filter(|e| e.is_ascii());
                let bases: Vec<&str> = own.chain((0..4).map(|_| examples[rng.below(examples.len())])).collect();
                for base in &bases {
                    for n in 0..12 {
                        let other = examples[rng.below(examples.len())];
                        let t = if n == 0 { base.to_string() } else { ascii_mutation(&mut rng, base, other) };
                        let want = unicode.is_match(&t);
                        assert_eq!(ascii.is_match(&t), want, "{p} on {t:?}");
                        matched += usize::from(want);
                        for s in (0..t.len()).step_by(1 + t.len() / 8) {
                            let input = || Input::new(&t).range(s..).anchored(Anchored::Yes);
                            assert_eq!(ascii.is_match(input()), unicode.is_match(input()), "{p} on {t:?} from {s}");
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 40_000 && matched > 4_000, "{checked} texts, {matched} matched");
    }

    /// A pattern that is not built in is compiled when loaded: its error
    /// shows then, not as a rule that silently never matches.
    #[test]
    fn other_patterns_compile_when_loaded() {
        let set = RuleSet::new(vec![rule(0, 50, "custom [a-z]+ refused".into())]).unwrap();
        assert!(set.regexes[0].re.get().is_some());
        let huge = RuleSet::new(vec![rule(0, 50, "(?:[a-z]{1,100}){1,100}x{1,1000}".into())]);
        assert!(huge.is_err());
    }

    fn rule(n: usize, priority: u8, pattern: String) -> Rule {
        Rule {
            id: format!("t.r{n}"),
            reason: Reason::Filtered,
            priority,
            phrases: vec![],
            patterns: vec![pattern],
            status: None,
            bounce_type: None,
            class: None,
            in_report: None,
            examples: vec![],
            source: "t".into(),
        }
    }

    /// A pattern with neither a prefix nor a suffix literal is still found
    /// by a literal inside it, and runs only where that literal occurs.
    #[test]
    fn inner_literals_key_patterns_without_prefix_or_suffix() {
        assert_eq!(parse_case_sensitive(r"^\s*loop detected\s*$").as_ref().and_then(inner_literals), Some(vec!["loop detected".to_string()]));
        assert_eq!(parse_case_sensitive(r"(^\s*unknown user: \S+@\S+)").as_ref().and_then(inner_literals), Some(vec!["unknown user: ".to_string()]));
        assert_eq!(parse_case_sensitive(r"^\s*\S+$").as_ref().and_then(inner_literals), None);
        let set = RuleSet::new(vec![rule(0, 50, r"^\s*loop detected\s*$".into())]).unwrap();
        assert!(set.always_pattern.is_empty());
        assert!(set.best_match("  Loop Detected ", None, false).is_some());
        assert!(set.best_match("a loop detected", None, false).is_none());
        // No literal at all: the pattern still runs, from the always-run set.
        let bare = RuleSet::new(vec![rule(0, 50, r"^\s*\S+$".into())]).unwrap();
        assert_eq!(bare.always_pattern.len(), 1);
        assert!(bare.best_match(" word", None, false).is_some());
    }

    /// A pattern keyed by a short prefix runs only when one of its
    /// suffixes occurred too, except on a non-ASCII text, where the regex
    /// folds case more widely than the key scan (`ſ` is an `s`).
    #[test]
    fn confirming_literals_decide_like_the_regex() {
        let pattern = r"(?:user|mailbox) \S*\s?(?:disabled|suspended)";
        let set = RuleSet::new(vec![rule(0, 50, pattern.into())]).unwrap();
        let n = set.hits.iter().filter(|h| h.kind == HitKind::Confirm).count();
        assert!(n >= 2, "{n} confirming keys");
        let re = compile(pattern).unwrap();
        for text in [
            "550 User is SUSPENDED",
            "550 user unknown, mailbox full",
            "suspended: user unknown",
            "mailbox disabled",
            "user is \u{17f}uspended",
            "user is su\u{17f}pended (\u{e9})",
            "user\u{e9} is suspended",
        ] {
            assert_eq!(set.best_match(text, None, false).is_some(), re.is_match(text), "{text}");
        }
    }

    /// Patterns that are exactly a set of ASCII literals are decided by
    /// comparing the literals on ASCII texts: that must agree with the
    /// regex. On other texts (`ſ` and `K` fold to ASCII letters) the regex
    /// still decides, run where a literal's key occurs, as for any pattern.
    #[test]
    fn exact_literal_patterns_decide_like_the_regex() {
        let builtin = RuleSet::builtin_rules();
        let exact: Vec<&str> = builtin
            .iter()
            .flat_map(|r| r.patterns.iter())
            .filter(|p| literals::parse_case_sensitive(p).is_some_and(|h| literals::exact_literals(&h, p).is_some()))
            .map(String::as_str)
            .collect();
        assert!(exact.len() > 300, "{} exact patterns", exact.len());
        let examples: Vec<&str> = builtin.iter().flat_map(|r| r.examples.iter().map(String::as_str)).collect();
        let (mut matched, mut unicode) = (0, 0);
        for (k, p) in exact.iter().enumerate() {
            let set = RuleSet::new(vec![rule(0, 50, p.to_string())]).unwrap();
            assert!(set.hits.iter().any(|h| h.kind == HitKind::Literal), "{p}");
            let re = compile(p).unwrap();
            let lits = literals::parse_case_sensitive(p).and_then(|h| literals::exact_literals(&h, p)).unwrap();
            // The pattern's own rule's examples, others, and their case and
            // Unicode-fold variants (ſ for s, K for k, é around).
            let own = builtin.iter().find(|r| r.patterns.iter().any(|q| q == p)).map(|r| r.examples.clone()).unwrap_or_default();
            let others = examples.iter().skip(k % 7).step_by(97).map(|e| e.to_string());
            for e in own.into_iter().chain(others) {
                for t in [e.clone(), e.to_uppercase(), e.replace('s', "\u{17f}"), e.replace('k', "\u{212a}"), format!("\u{e9} {e}"), e.replace(' ', "  ")] {
                    let got = set.best_match(&t, None, false).is_some();
                    let want = if t.is_ascii() {
                        re.is_match(&t)
                    } else {
                        let lower = t.as_bytes().to_ascii_lowercase();
                        (0..lower.len()).any(|s| {
                            lits.iter().any(|l| lower[s..].starts_with(&l.as_bytes()[..l.len().min(KEY_LEN)]))
                                && re.is_match(Input::new(&t).range(s..).anchored(Anchored::Yes))
                        })
                    };
                    assert_eq!(got, want, "{p} on {t:?}");
                    matched += usize::from(got);
                    unicode += usize::from(got && !t.is_ascii());
                }
            }
        }
        assert!(matched > 1000 && unicode > 300, "{matched} matched, {unicode} non-ASCII");
        // Look-arounds, inline flags and open classes keep the regex.
        for p in [r"\b550 : user unknown", "(?-i)User Unknown", "user [a-z]+ unknown", "^mailbox full"] {
            assert!(literals::parse_case_sensitive(p).is_some_and(|h| literals::exact_literals(&h, p).is_none()), "{p}");
        }
    }

    /// Scanning a raw text (and its copy only when a copy mark shows up)
    /// picks the rule that scanning the normalised text picks, also for the
    /// examples broken into continuation lines, tabs and double spaces.
    #[test]
    fn raw_scan_decides_like_the_normalised_text() {
        let set = RuleSet::new(RuleSet::builtin_rules()).unwrap();
        let (mut texts, mut copied) = (0, 0);
        for e in set.rules().iter().flat_map(|r| r.examples.iter()) {
            let words: Vec<&str> = e.split(' ').collect();
            let lines = |sep: &str| words.chunks(3).map(|c| c.join(" ")).collect::<Vec<_>>().join(sep);
            for t in [e.clone(), lines("\r\n550-5.1.1 "), lines(" 550-"), lines("\t"), lines("  "), format!("smtp; 550-{e}"), format!(" {e} ")] {
                for (class, specific) in [(None, false), (Some(5), true), (Some(4), false)] {
                    let want = set.best_index(&crate::normalize_diagnostic(&t), class, specific);
                    assert_eq!(set.best_index_normalized(&t, class, specific), want, "{t:?}");
                }
                texts += 1;
                copied += usize::from(matches!(crate::normalize_diagnostic(&t), Cow::Owned(_)));
            }
        }
        assert!(copied > 1000 && texts - copied > 1000, "{copied} of {texts} copied");
    }

    /// The short list gives the candidates the per-pattern list gives, in
    /// the same order, for note sequences short and long (past the list's
    /// length, where it hands over to the per-pattern list).
    #[test]
    fn noted_list_takes_what_candidates_take() {
        let mut seed = 1u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut taken = 0;
        for round in 0..3000 {
            let (mut list, mut per_pattern) = (Noted::default(), Candidates::default());
            let patterns = 1 + next(12);
            for start in 0..next(if round % 10 == 0 { 80 } else { 12 }) {
                let pattern = next(patterns) as u32;
                // Two patterns a rule: rules 0..=5, ranks by rule.
                let rule = pattern / 2;
                let rank = 100 + u64::from(rule * 7 % 5) * 10 + u64::from(rule);
                let seen = match (pattern % 3, next(4)) {
                    (0, _) => Seen::Within,
                    (_, 0) => Seen::Start(start as u32, true),
                    _ => Seen::Start(start as u32, pattern % 2 == 0),
                };
                list.note(pattern, rule, rank, seen);
                per_pattern.note(pattern, rule, rank, seen);
            }
            let floor = [0, 120, 135][round % 3];
            loop {
                let (a, b) = (list.take_best(floor), per_pattern.take_best(floor));
                let fields = |c: &Candidate| (c.pattern, c.rule, c.rank, c.starts[..c.starts_len as usize].to_vec(), c.flags);
                assert_eq!(a.as_ref().map(fields), b.as_ref().map(fields), "round {round}");
                if a.is_none() {
                    break;
                }
                taken += 1;
            }
        }
        assert!(taken > 5000, "{taken}");
    }

    /// Many regex candidates in one text (past the stack slots and the
    /// linear look-up): the winner is the one a rule-by-rule check picks.
    #[test]
    fn many_candidates_pick_the_best_matching_rule() {
        // Rule n's literal is `tokenNN`; odd rules need a digit after it,
        // which the text never has, so only even rules match.
        let rules: Vec<Rule> = (0..40)
            .map(|n| rule(n, (n * 7 % 70 + 20) as u8, if n % 2 == 0 { format!("token{n:02} [a-z]+") } else { format!("token{n:02} [0-9]+") }))
            .collect();
        let text: String = (0..40).rev().map(|n| format!("TOKEN{n:02} word ")).collect();
        let set = RuleSet::new(rules.clone()).unwrap();
        let expected = (0..40)
            .filter(|&n| RuleSet::new(vec![rules[n].clone()]).unwrap().best_match(&text, None, false).is_some())
            .max_by_key(|&n| (rules[n].priority, std::cmp::Reverse(n)))
            .unwrap();
        assert_eq!(expected % 2, 0);
        assert_eq!(set.best_match(&text, None, false).map(|r| r.id.as_str()), Some(rules[expected].id.as_str()));
        // Weak rules stand aside for a specific code: the best strong one wins.
        let strong = (0..40).filter(|&n| n % 2 == 0 && rules[n].priority >= WEAK_BELOW).max_by_key(|&n| (rules[n].priority, std::cmp::Reverse(n)));
        assert_eq!(set.best_match(&text, Some(5), true).map(|r| r.id.as_str()), strong.map(|n| rules[n].id.as_str()));
    }
}
