//! The key automaton: every rule key in one Aho-Corasick automaton laid out
//! as a flat transition table, scanned with one table look-up a byte.
//!
//! Built here rather than by the aho-corasick crate: its DFA cost ~420
//! million instructions to build (every process paid it on its first text),
//! and its NFA is slower to scan. The classic construction (a trie, then
//! failure links breadth-first, each missing transition copied from the
//! failure state's row) fills the same table in a few million.

/// A table-driven automaton over ASCII-case-folded keys.
#[derive(Debug)]
pub(super) struct Keys {
    /// Byte -> column of `trans` (ASCII letters fold to one column).
    classes: [u8; 256],
    /// `trans[state + class]` is the next state; states are premultiplied
    /// by the row length (the number of classes).
    trans: Vec<u32>,
    stride: u32,
    start: u32,
    /// States below this one have matches (match states are numbered first,
    /// so one comparison a byte tells whether there is anything to report).
    match_limit: u32,
    /// Per match state (`state / stride`): its range of `matches`.
    match_ranges: Vec<(u32, u32)>,
    /// (key, key length) for every match of every match state.
    matches: Vec<(u32, u32)>,
}

/// Keys the table cannot hold (no key may be empty; at most 2^32 cells).
#[derive(Debug)]
pub(super) struct TooBig;

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the rule keys make an automaton too big to build (or a key is empty)")
    }
}

impl Keys {
    /// Builds the automaton of `keys`, matched ASCII-case-insensitively.
    pub(super) fn build(keys: &[Vec<u8>]) -> Result<Keys, TooBig> {
        // One column per distinct (case-folded) key byte, column 0 for the
        // bytes no key has: they all send every state to the same place.
        let mut classes = [0u8; 256];
        let mut stride = 1usize;
        for &b in keys.iter().flatten() {
            let b = b.to_ascii_lowercase();
            if classes[usize::from(b)] == 0 {
                classes[usize::from(b)] = stride as u8;
                stride += 1;
            }
        }
        for b in b'A'..=b'Z' {
            classes[usize::from(b)] = classes[usize::from(b.to_ascii_lowercase())];
        }
        if keys.iter().any(|k| k.is_empty()) {
            return Err(TooBig);
        }

        // The trie: `MISSING` marks a transition it does not have.
        const MISSING: u32 = u32::MAX;
        let mut trans = vec![MISSING; stride];
        let mut own: Vec<Option<u32>> = vec![None];
        for (key, k) in keys.iter().enumerate() {
            let mut s = 0usize;
            for &b in k {
                let cell = s * stride + usize::from(classes[usize::from(b)]);
                if trans[cell] == MISSING {
                    let n = own.len();
                    trans[cell] = u32::try_from(n).map_err(|_| TooBig)?;
                    trans.resize(trans.len() + stride, MISSING);
                    own.push(None);
                }
                s = trans[cell] as usize;
            }
            own[s] = Some(key as u32);
        }
        let states = own.len();
        if states.checked_mul(stride).is_none_or(|cells| cells > u32::MAX as usize) {
            return Err(TooBig);
        }

        // Failure links breadth-first: a missing transition goes where the
        // failure state's goes; a state's matches are its own key, then its
        // failure state's (longest first, as the overlapping search reports).
        let mut fail = vec![0u32; states];
        let mut outputs: Vec<Vec<u32>> = vec![Vec::new(); states];
        let mut queue = std::collections::VecDeque::new();
        for cell in &mut trans[..stride] {
            match *cell {
                MISSING => *cell = 0,
                t => queue.push_back(t),
            }
        }
        let mut order = vec![0u32];
        while let Some(s) = queue.pop_front() {
            let s = s as usize;
            order.push(s as u32);
            let f = fail[s] as usize;
            let mut out: Vec<u32> = own[s].into_iter().collect();
            out.extend_from_slice(&outputs[f]);
            outputs[s] = out;
            for c in 0..stride {
                let fc = trans[f * stride + c];
                let t = trans[s * stride + c];
                if t == MISSING {
                    trans[s * stride + c] = fc;
                } else {
                    // Depth-one states fail to the root (set above as 0).
                    fail[t as usize] = if s == 0 { 0 } else { fc };
                    queue.push_back(t);
                }
            }
        }

        // Match states first, then the rest, each in breadth-first order.
        let mut number = vec![0u32; states];
        let mut next = 0u32;
        for matching in [true, false] {
            for &s in &order {
                if outputs[s as usize].is_empty() != matching {
                    number[s as usize] = next;
                    next += 1;
                }
            }
        }
        let stride32 = stride as u32;
        let mut table = vec![0u32; states * stride];
        let mut match_ranges = Vec::new();
        let mut matches = Vec::new();
        let mut by_number = vec![0u32; states];
        for (s, &n) in number.iter().enumerate() {
            by_number[n as usize] = s as u32;
        }
        for (n, &s) in by_number.iter().enumerate() {
            let s = s as usize;
            for c in 0..stride {
                table[n * stride + c] = number[trans[s * stride + c] as usize] * stride32;
            }
            if !outputs[s].is_empty() {
                let first = matches.len() as u32;
                matches.extend(outputs[s].iter().map(|&k| (k, keys[k as usize].len() as u32)));
                match_ranges.push((first, matches.len() as u32));
            }
        }
        Ok(Keys {
            classes,
            trans: table,
            stride: stride32,
            start: number[0] * stride32,
            match_limit: match_ranges.len() as u32 * stride32,
            match_ranges,
            matches,
        })
    }

    /// Calls `f(start, key)` for every occurrence of every key, overlapping
    /// ones included, in order of where they end.
    #[inline(always)]
    pub(super) fn scan(&self, hay: &[u8], mut f: impl FnMut(usize, usize)) {
        let (mut i, mut s) = (0, self.start);
        while let Some((end, state)) = self.next_match(hay, i, s) {
            (i, s) = (end, state);
            let (a, e) = self.match_ranges[(s / self.stride) as usize];
            for &(key, len) in &self.matches[a as usize..e as usize] {
                f(end - len as usize, key as usize);
            }
        }
    }

    /// Runs from `i` in state `s` to the end of the next match: a loop of
    /// its own, so that what the caller does with matches does not crowd
    /// the registers of the per-byte work. Four bytes a round: the loop's
    /// own bookkeeping is paid once for four look-ups.
    #[inline(never)]
    fn next_match(&self, hay: &[u8], i: usize, mut s: u32) -> Option<(usize, u32)> {
        let (trans, classes, limit) = (&self.trans[..], &self.classes, self.match_limit);
        let step = |s: u32, b: u8| trans[(s + u32::from(classes[usize::from(b)])) as usize];
        let rest = hay.get(i..)?;
        let mut chunks = rest.chunks_exact(4);
        let mut at = i;
        for c in &mut chunks {
            for (k, &b) in c.iter().enumerate() {
                s = step(s, b);
                if s < limit {
                    return Some((at + k + 1, s));
                }
            }
            at += 4;
        }
        for (k, &b) in chunks.remainder().iter().enumerate() {
            s = step(s, b);
            if s < limit {
                return Some((at + k + 1, s));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table finds what the crate's own overlapping search finds.
    #[test]
    fn finds_every_overlapping_match_like_the_crate() {
        let keys: Vec<Vec<u8>> = ["user unknown", "unknown", "known user", "über", "no such user", "nos", "550 5.1.1"]
            .iter()
            .map(|k| k.as_bytes().to_ascii_lowercase())
            .collect();
        let ac = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&keys).unwrap();
        let table = Keys::build(&keys).unwrap();
        for hay in ["User Unknown, KNOWN USER über nos such user", "550 5.1.1 <NoS@x> No Such User", "", "ÜBER über"] {
            let mut expected: Vec<(usize, usize)> =
                ac.find_overlapping_iter(hay).map(|m| (m.start(), m.pattern().as_usize())).collect();
            let mut got = Vec::new();
            table.scan(hay.as_bytes(), |start, key| got.push((start, key)));
            expected.sort();
            got.sort();
            assert_eq!(got, expected, "{hay}");
        }
    }
}
