//! The literals a rule pattern is found by: the keys the rule set's
//! automaton searches for before any regex runs.
//!
//! Shared with `build.rs` (through `#[path]`), which runs it over every
//! built-in pattern and embeds the answers: parsing each pattern to extract
//! them was ~42 million instructions in every process. It uses only std and
//! regex-syntax, so that both can compile it.

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};

/// Prefix literals shorter than this are common words (`user `, `ofr`):
/// a pattern keyed by them also gets confirming literals, its suffixes.
/// Longer prefixes seldom occur without a match, and confirming them would
/// cost more key hits than it saves regex runs.
pub(crate) const CONFIRM_BELOW: usize = 8;

/// How a pattern is found, over literal lists `L` (owned when computed,
/// static slices when embedded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Keyed<L> {
    /// Every match starts with one of these; with the second list, it also
    /// ends with one of those (the confirming literals).
    Prefix(L, Option<L>),
    /// Every match ends with one of these.
    Suffix(L),
    /// Every match contains one of these (the prefixes of one concatenated part).
    Inner(L),
    /// No usable literal: the pattern always runs.
    Always,
    /// The pattern is exactly this set of ASCII literals (lower-cased): on
    /// an ASCII text, comparing them decides what the regex would.
    Exact(L),
}

/// How `pattern` is found ([`Keyed::Always`] also when it does not parse).
pub(crate) fn pattern_keys(pattern: &str) -> Keyed<Vec<String>> {
    let Some(hir) = parse_case_sensitive(pattern) else { return Keyed::Always };
    if let Some(lits) = exact_literals(&hir, pattern) {
        Keyed::Exact(lits)
    } else if let Some(lits) = literals_of(&hir, ExtractKind::Prefix) {
        // Its suffixes too, when they say more than the prefixes: a prefix
        // that occurs without any of them (`user ` in `user unknown` for
        // `user is (disabled|suspended)`) then costs no regex run.
        let shortest = |l: &[String]| l.iter().map(String::len).min().unwrap_or(0);
        let confirm = (shortest(&lits) < CONFIRM_BELOW)
            .then(|| literals_of(&hir, ExtractKind::Suffix))
            .flatten()
            .filter(|c| *c != lits && shortest(c) >= shortest(&lits) && c.iter().all(|l| l.is_ascii()));
        Keyed::Prefix(lits, confirm)
    } else if let Some(lits) = literals_of(&hir, ExtractKind::Suffix) {
        Keyed::Suffix(lits)
    } else if let Some(lits) = inner_literals(&hir) {
        Keyed::Inner(lits)
    } else {
        Keyed::Always
    }
}

/// The literals `pattern` matches exactly, when it is nothing but a set of
/// ASCII literals (`mail ?box (?:is )?full`): compared ASCII-case-
/// insensitively, they match an ASCII text exactly where the regex does (on
/// ASCII, Unicode simple case folding is ASCII's). `None` for anything
/// else: classes too big to list, repetitions, look-arounds (`\b`, `^`;
/// literal extraction passes over them), inline flags (`(?-i)`), or a
/// literal shorter than 3 bytes (a key that would occur everywhere).
pub(crate) fn exact_literals(hir: &Hir, pattern: &str) -> Option<Vec<String>> {
    if pattern.replace("(?:", "").contains("(?") || !hir.properties().look_set().is_empty() {
        return None;
    }
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix).limit_class(4).limit_repeat(4).limit_literal_len(64).limit_total(64);
    let seq = ex.extract(hir);
    if !seq.is_exact() {
        return None;
    }
    let mut out = Vec::new();
    for l in seq.literals()? {
        let text = std::str::from_utf8(l.as_bytes()).ok().filter(|t| t.is_ascii() && t.len() >= 3)?;
        out.push(text.to_ascii_lowercase());
    }
    out.sort();
    out.dedup();
    (!out.is_empty()).then_some(out)
}

/// Parses case-sensitively: the case-insensitive HIR would expand every letter.
pub(crate) fn parse_case_sensitive(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new().build().parse(pattern).ok()
}

/// Literals one of which occurs somewhere in every match of `pattern`: the
/// required prefixes of one of the parts it concatenates (`^\s*loop detected`
/// has neither a prefix nor a suffix literal, but every match contains
/// `loop detected`). The part with the longest shortest literal is taken.
pub(crate) fn inner_literals(hir: &Hir) -> Option<Vec<String>> {
    let mut hir = hir;
    while let HirKind::Capture(c) = hir.kind() {
        hir = &c.sub;
    }
    let HirKind::Concat(parts) = hir.kind() else { return None };
    parts
        .iter()
        .filter_map(|p| literals_of(p, ExtractKind::Prefix))
        .max_by_key(|lits| (lits.iter().map(String::len).min().unwrap_or(0), std::cmp::Reverse(lits.len())))
}

/// Literals one of which occurs in every match of `hir` (its required
/// prefixes, or its required suffixes, as `kind` says), ready for a
/// case-insensitive key search; `None` when there are none worth searching for.
pub(crate) fn literals_of(hir: &Hir, kind: ExtractKind) -> Option<Vec<String>> {
    let mut ex = Extractor::new();
    let prefix = matches!(kind, ExtractKind::Prefix);
    ex.kind(kind).limit_class(4).limit_repeat(4).limit_literal_len(64).limit_total(64);
    let seq = ex.extract(hir);
    let lits = seq.literals()?;
    if lits.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(lits.len());
    for l in lits {
        let text = std::str::from_utf8(l.as_bytes()).ok()?;
        if text.is_ascii() {
            if text.len() < 3 {
                return None;
            }
            out.push(text.to_ascii_lowercase());
            continue;
        }
        // The search folds ASCII case only: keep an ASCII part when it is long
        // enough, else the literal in its usual case forms.
        let ascii: &str = if prefix {
            &text[..text.find(|c: char| !c.is_ascii()).unwrap_or(text.len())]
        } else {
            &text[text.rfind(|c: char| !c.is_ascii()).map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8))..]
        };
        if ascii.len() >= 3 {
            out.push(ascii.to_ascii_lowercase());
        } else {
            // lower, UPPER and Capitalised: the case forms real texts use.
            let lower = text.to_lowercase();
            let mut chars = lower.chars();
            let capitalised: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
            out.extend([lower, text.to_uppercase(), capitalised]);
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

impl<L> Keyed<L> {
    /// The same answer over borrowed literals, whatever `L` holds them in.
    pub(crate) fn view<'a, S: AsRef<str> + 'a>(&'a self) -> Keyed<Vec<&'a str>>
    where
        L: AsRef<[S]>,
    {
        fn v<'a, S: AsRef<str> + 'a>(l: &'a [S]) -> Vec<&'a str> {
            l.iter().map(AsRef::as_ref).collect()
        }
        match self {
            Keyed::Prefix(l, c) => Keyed::Prefix(v(l.as_ref()), c.as_ref().map(|c| v(c.as_ref()))),
            Keyed::Suffix(l) => Keyed::Suffix(v(l.as_ref())),
            Keyed::Inner(l) => Keyed::Inner(v(l.as_ref())),
            Keyed::Always => Keyed::Always,
            Keyed::Exact(l) => Keyed::Exact(v(l.as_ref())),
        }
    }
}
