//! The keys of a rule set, and what each stands for: every phrase's head,
//! the literals each pattern is found by, and the text's copy marks.
//!
//! Shared with `build.rs` (through `#[path]`), which builds the built-in
//! rules' key automaton from exactly this list and embeds it.

use super::keys::{put_bytes, put_count, Reader};
use super::literals::Keyed;

/// Keys in the automaton are literals cut to this many bytes: thousands of
/// literals share far fewer short keys (regex expansions differ late), so
/// the automaton stays small enough to live in cache, and the rest of a
/// literal is checked only where its key occurs.
pub(crate) const KEY_LEN: usize = 16;

/// What an Aho-Corasick hit on a key stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hit {
    /// Rule `.0`'s phrase `.1` (an index into `RuleSet::phrases`) may start
    /// here: the rule matches when the whole phrase does.
    Phrase(u32, u32),
    /// A literal that every match of pattern `n` starts with: run its regex
    /// anchored where the literal starts (once one of its confirming
    /// literals has occurred too, when it has some: `.1`).
    Prefix(u32, bool),
    /// A literal that every match of pattern `n` ends with, where `n` is
    /// keyed by its prefixes: without one of these its regex need not run.
    Confirm(u32),
    /// A literal that every match of pattern `n` contains (ends with, or
    /// has inside): run its regex over the whole text.
    Within(u32),
    /// A mark that the text needs [`normalize_diagnostic`](crate::normalize_diagnostic)'s copy.
    Reshape,
    /// Pattern `.0` is exactly a set of ASCII literals, and `.1` (an index
    /// into `RuleSet::phrases`, numbered after the rule's own phrases) is
    /// one of them, starting here: on an ASCII text, comparing it decides
    /// what the regex would.
    Literal(u32, u32),
}

/// Keys in byte order, each once, with what each stands for.
pub(crate) type KeyHits = Vec<(Vec<u8>, Vec<Hit>)>;

/// What [`rule_keys`] finds: the keys, the patterns (by number) that have
/// none and so always run, and the phrases that `Phrase` and `Literal` hits
/// number (ASCII-lower-cased; each rule's own, then its exact patterns' literals).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RuleKeys {
    pub(crate) by_key: KeyHits,
    pub(crate) always: Vec<u32>,
    pub(crate) phrases: Vec<Box<[u8]>>,
}

/// Every key (ASCII-lower-cased, in byte order, each once) with what it
/// stands for, the patterns that have no key, and the phrases the hits number.
///
/// `rules` gives each rule's phrases and how many patterns it has;
/// `patterns` is how each pattern is found, numbered across the rules in
/// order; `marks` are the copy marks.
pub(crate) fn rule_keys<P: AsRef<str>>(
    rules: impl IntoIterator<Item = (impl IntoIterator<Item = P>, usize)>,
    patterns: &[Keyed<Vec<&str>>],
    marks: impl IntoIterator<Item = Vec<u8>>,
) -> RuleKeys {
    // Keys are matched ASCII-case-insensitively: keys that differ only in
    // ASCII case (a non-ASCII literal's case forms) are one key. Collected
    // first and grouped by one sort: a map updated per key cost ~7 million
    // instructions for the built-in rules.
    let mut all: Vec<(Vec<u8>, Hit)> = Vec::new();
    let mut add = |key: &[u8], hit: Hit| all.push((key.to_ascii_lowercase(), hit));
    let (mut phrases, mut n, mut always) = (Vec::<Box<[u8]>>::new(), 0usize, Vec::new());
    for (i, (own, count)) in rules.into_iter().enumerate() {
        for p in own {
            let p = p.as_ref().as_bytes();
            add(&p[..p.len().min(KEY_LEN)], Hit::Phrase(i as u32, phrases.len() as u32));
            phrases.push(p.to_ascii_lowercase().into_boxed_slice());
        }
        for keyed in &patterns[n..n + count] {
            if let Keyed::Exact(lits) = keyed {
                // Compared like phrases: numbered after the rule's own.
                for l in lits {
                    add(&l.as_bytes()[..l.len().min(KEY_LEN)], Hit::Literal(n as u32, phrases.len() as u32));
                    phrases.push(l.as_bytes().into());
                }
            } else if !add_pattern_keys(keyed, n as u32, &mut add) {
                always.push(n as u32);
            }
            n += 1;
        }
    }
    // Scanning a raw text also tells whether it needs normalising.
    for mark in marks {
        add(&mark, Hit::Reshape);
    }
    // Stable: a key's hits keep the order they were added in, each once.
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut by_key: KeyHits = Vec::new();
    for (key, hit) in all {
        match by_key.last_mut() {
            Some((last, hits)) if *last == key => {
                if !hits.contains(&hit) {
                    hits.push(hit);
                }
            }
            _ => by_key.push((key, vec![hit])),
        }
    }
    RuleKeys { by_key, always, phrases }
}

/// Adds the keys that find pattern `n` (cut to [`KEY_LEN`] bytes); `false`
/// when it has none, and so must always run.
fn add_pattern_keys(keyed: &Keyed<Vec<&str>>, n: u32, add: &mut impl FnMut(&[u8], Hit)) -> bool {
    fn head(l: &str) -> &[u8] {
        &l.as_bytes()[..l.len().min(KEY_LEN)]
    }
    fn tail(l: &str) -> &[u8] {
        &l.as_bytes()[l.len().saturating_sub(KEY_LEN)..]
    }
    match keyed {
        Keyed::Prefix(lits, confirm) => {
            for l in lits {
                add(head(l), Hit::Prefix(n, confirm.is_some()));
            }
            for l in confirm.iter().flatten() {
                add(tail(l), Hit::Confirm(n));
            }
        }
        Keyed::Suffix(lits) => lits.iter().for_each(|l| add(tail(l), Hit::Within(n))),
        Keyed::Inner(lits) => lits.iter().for_each(|l| add(head(l), Hit::Within(n))),
        // Keyed by `rule_keys` itself, as phrases.
        Keyed::Exact(_) => {}
        Keyed::Always => return false,
    }
    true
}

/// `keys` as bytes, read back by [`from_bytes`]: build.rs stores the
/// built-in rules' list, so that a process with those rules need not work
/// it out again at every start.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn to_bytes(keys: &RuleKeys) -> Vec<u8> {
    let mut out = Vec::new();
    put_count(&mut out, keys.by_key.len());
    for (key, hits) in &keys.by_key {
        put_bytes(&mut out, key);
        put_count(&mut out, hits.len());
        for hit in hits {
            let (tag, a, b) = match *hit {
                Hit::Phrase(r, p) => (0u8, r, p),
                Hit::Prefix(n, confirm) => (1, n, u32::from(confirm)),
                Hit::Confirm(n) => (2, n, 0),
                Hit::Within(n) => (3, n, 0),
                Hit::Reshape => (4, 0, 0),
                Hit::Literal(n, p) => (5, n, p),
            };
            out.push(tag);
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
    }
    put_count(&mut out, keys.always.len());
    for &a in &keys.always {
        out.extend_from_slice(&a.to_le_bytes());
    }
    put_count(&mut out, keys.phrases.len());
    for p in &keys.phrases {
        put_bytes(&mut out, p);
    }
    out
}

/// What [`to_bytes`] wrote; `None` for bytes that do not read.
pub(crate) fn from_bytes(bytes: &[u8]) -> Option<RuleKeys> {
    let mut r = Reader(bytes);
    let keys = r.count()?;
    let mut by_key = Vec::with_capacity(keys.min(bytes.len()));
    for _ in 0..keys {
        let key = r.bytes()?.to_vec();
        let count = r.count()?;
        let mut hits = Vec::with_capacity(count.min(bytes.len()));
        for _ in 0..count {
            let tag = r.take(1)?[0];
            let (a, b) = (r.u32()?, r.u32()?);
            hits.push(match tag {
                0 => Hit::Phrase(a, b),
                1 => Hit::Prefix(a, b != 0),
                2 => Hit::Confirm(a),
                3 => Hit::Within(a),
                4 => Hit::Reshape,
                5 => Hit::Literal(a, b),
                _ => return None,
            });
        }
        by_key.push((key, hits));
    }
    let n = r.count()?;
    let always = (0..n).map(|_| r.u32()).collect::<Option<Vec<u32>>>()?;
    let n = r.count()?;
    let mut phrases = Vec::with_capacity(n.min(bytes.len()));
    for _ in 0..n {
        phrases.push(r.bytes()?.into());
    }
    r.0.is_empty().then_some(RuleKeys { by_key, always, phrases })
}
