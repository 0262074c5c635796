//! The key automaton: finds every rule key in a text with one table look-up
//! a byte, from a table small enough to stay near the core.
//!
//! The table has 32 columns of u16 state ids, one 64-byte cache line a
//! state: the 30 key bytes commonest in the rules' examples get a column
//! each (both cases of an ASCII letter share one; 29 when `apart` bytes,
//! such as line breaks, take one for themselves), the rarer key bytes
//! share the last, and bytes in no key go to column 0. Where a shared
//! column may have stood in for another byte, a reached key is compared
//! with the text before it is reported. With 137
//! columns of u32 the built-in keys took ~11 MB; this takes 1.3 MB. Fewer
//! instructions it is not (false hits on the shared column cost checks),
//! but on a loaded machine its look-ups miss the caches less often.
//!
//! Should the states outgrow u16 ids (a huge user rules file), the
//! automaton holds only each key's last few bytes (its tail) and compares
//! the rest at every occurrence. Tails end where their keys end, so
//! occurrences come out in the order a full automaton gives.
//!
//! Built here rather than by the aho-corasick crate: its DFA cost ~420
//! million instructions to build (every process paid it on its first text),
//! and its NFA is slower to scan. The classic construction (a trie, then
//! failure links breadth-first, each missing transition copied from the
//! failure state's row) fills the table in a few million.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use smallvec::SmallVec;

use super::key_lookup::{LongLists, LOOKUP_OVER};

/// Byte classes, a power of two: a state's row is `CLASSES` u16s (64 bytes).
const CLASSES: usize = 32;
const SHIFT: u32 = CLASSES.trailing_zeros();
/// The column the rarest key bytes share.
const SHARED: u8 = CLASSES as u8 - 1;
/// Cells for every u16 state id, and one byte's worth past the last row:
/// then `(state << SHIFT) + class` is in bounds for any u8 class, so the
/// scan needs neither a bounds check nor a mask (classes are all below
/// `CLASSES`; the padding is never read).
const TABLE: usize = (u16::MAX as usize + 1) * CLASSES + 256;
/// The longest text walked as two halves (diagnostics are far shorter).
const PAIRED_MAX: usize = 1 << 16;
/// A cache line, in bytes and in cells.
const LINE_BYTES: usize = 64;
const LINE_CELLS: usize = LINE_BYTES / 2;

/// Tail lengths tried, longest first, until the states fit u16 ids. A
/// tail shorter than the keys costs a check at every false occurrence, and
/// short tails occur all the time (4 bytes: ~33 checks a diagnostic, twice
/// the instructions); the built-in keys (at most 16 bytes) fit whole. Three
/// bytes over 31 key classes always fit (1 + 31 + 31^2 + 31^3 < 2^16).
const TAILS: [usize; 4] = [16, 8, 4, 3];

/// A table-driven automaton over ASCII-case-folded keys.
#[derive(Debug)]
pub(super) struct Keys {
    /// Byte -> column of `trans`: 0 for bytes in no tail, ASCII letters
    /// fold to one column, the rarest tail bytes share the last column.
    classes: [u8; 256],
    /// `cells[row0..][state << SHIFT | class]` is the next state, with
    /// `row0` the first cell on a cache-line boundary, so that a state's row
    /// is one line, not the ends of two (the allocator aligns to 16 bytes
    /// only). Sized for every u16 state, so that no index can be out of
    /// bounds and the scan pays no bounds check; rows past the last state
    /// are never touched (the zeroed pages are not even mapped in).
    cells: Box<[u16]>,
    row0: usize,
    start: u16,
    /// The longest tail the automaton holds: the state after a byte depends
    /// on this many bytes before it, no more.
    depth: usize,
    /// States below this one have matches (match states are numbered first,
    /// so one comparison a byte tells whether there is anything to check).
    match_limit: u16,
    /// Per match state: its range of `matches`.
    match_ranges: Vec<(u32, u32)>,
    /// The keys to check where a match state is reached, longest first.
    matches: Vec<Check>,
    /// The bytes of keys longer than 16 (their middles are checked from here).
    long: Vec<u8>,
    /// The long lists of `matches`, by their keys' last bytes.
    long_lists: LongLists,
    /// How many of each key's last bytes the automaton holds (tests check it).
    #[cfg_attr(not(test), allow(dead_code))]
    tail: usize,
}

/// One key, ready to be compared with the text that ends where its tail
/// ended: its first and last eight (or four) bytes as words, each with the
/// mask that folds ASCII case (0x20 on the bytes that are letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Check {
    key: u32,
    len: u32,
    head: u64,
    head_mask: u64,
    tail: u64,
    tail_mask: u64,
    /// Where the key's bytes start in `Keys::long` (keys over 16 bytes only).
    long_at: u32,
    /// The whole key is in the automaton, each byte in a column of its own:
    /// reaching its state is proof enough.
    exact: bool,
}

impl Check {
    fn new(key: u32, k: &[u8], long: &mut Vec<u8>, exact: bool) -> Check {
        let w = if k.len() >= 8 { 8 } else { k.len().min(4) };
        let (head, head_mask) = word(&k[..w]);
        let (tail, tail_mask) = word(&k[k.len() - w..]);
        let long_at = long.len() as u32;
        if k.len() > 16 {
            long.extend_from_slice(k);
        }
        Check { key, len: k.len() as u32, head, head_mask, tail, tail_mask, long_at, exact }
    }

    /// Whether the text's bytes before `end` are this key, ASCII case aside.
    #[inline(always)]
    fn matches(&self, hay: &[u8], end: usize, long: &[u8]) -> bool {
        let len = self.len as usize;
        let Some(w) = end.checked_sub(len).and_then(|start| hay.get(start..end)) else { return false };
        let same = |bytes: &[u8], word: u64, mask: u64| load(bytes) | mask == word;
        if len >= 8 {
            same(&w[..8], self.head, self.head_mask)
                && same(&w[len - 8..], self.tail, self.tail_mask)
                && (len <= 16 || {
                    let k = &long[self.long_at as usize..self.long_at as usize + len];
                    w[8..len - 8].eq_ignore_ascii_case(&k[8..len - 8])
                })
        } else {
            let n = len.min(4);
            same(&w[..n], self.head, self.head_mask) && same(&w[len - n..], self.tail, self.tail_mask)
        }
    }
}

/// Up to eight bytes as a little-endian word: one load for 8 or 4 bytes.
#[inline(always)]
fn load(b: &[u8]) -> u64 {
    match b.len() {
        8 => u64::from_le_bytes(b.try_into().unwrap_or_default()),
        4 => u64::from(u32::from_le_bytes(b.try_into().unwrap_or_default())),
        _ => b.iter().rev().fold(0, |acc, &x| acc << 8 | u64::from(x)),
    }
}

/// A key's bytes (lower-cased) as a word, and its case-folding mask.
fn word(k: &[u8]) -> (u64, u64) {
    let lower: Vec<u8> = k.iter().map(u8::to_ascii_lowercase).collect();
    let mask: Vec<u8> = lower.iter().map(|b| if b.is_ascii_lowercase() { 0x20 } else { 0 }).collect();
    (load(&lower), load(&mask))
}

/// Where [`Keys::scan`]'s walks are: the first half's walk `a` (then the
/// only one), the second half's `b` while both run, and the second half's
/// matches met while the first half's were still coming.
struct Walk {
    a: (usize, u16),
    b: (usize, u16),
    half: usize,
    both: bool,
    later: SmallVec<[(usize, u16); 8]>,
    taken: usize,
}

impl Walk {
    fn new(keys: &Keys, len: usize) -> Walk {
        let half = len / 2;
        // Short texts in one walk: the second walk's lead-in would cost more
        // than the overlap gains. Huge ones too: the second half's matches
        // are held until the first half ends, and that must stay small.
        let both = half >= 2 * keys.depth && len <= PAIRED_MAX;
        let b = (half.saturating_sub(keys.depth), keys.start);
        Walk { a: (0, keys.start), b, half, both, later: SmallVec::new(), taken: 0 }
    }

    /// The next match state reached and where, in order of where they end.
    #[inline(always)]
    fn next(&mut self, keys: &Keys, trans: &[u16; TABLE], hay: &[u8]) -> Option<(usize, u16)> {
        if self.both {
            while let Some(first) = keys.next_match_pair(trans, hay, &mut self.a, self.half, &mut self.b) {
                if first {
                    return Some(self.a);
                }
                // Matches ending by `half` are the first walk's.
                if self.b.0 > self.half {
                    self.later.push(self.b);
                }
            }
            if let Some(&m) = self.later.get(self.taken) {
                self.taken += 1;
                return Some(m);
            }
            // The first walk is done; the second goes on alone. Unless it
            // never passed the half: it waits a byte for each match the
            // first reports, and a text with a match at most bytes (one in
            // another script) holds it back. Then the first walk, at the
            // half, goes on instead: the second would report its matches again.
            self.both = false;
            if self.b.0 > self.half {
                self.a = self.b;
            }
        }
        self.a = keys.next_match(trans, hay, self.a.0, self.a.1)?;
        Some(self.a)
    }
}

/// Keys the table cannot hold (no key may be empty).
#[derive(Debug)]
pub(super) struct TooBig;

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the rule keys make an automaton too big to build (or a key is empty)")
    }
}

impl Keys {
    /// Builds the automaton of `keys`, matched ASCII-case-insensitively.
    /// `sample` is text like the texts to be scanned (the rules' examples):
    /// the key bytes it uses most get the columns of their own. The
    /// `apart` bytes (rare in texts, but keys of their own) share a column
    /// kept for them: in the shared column, a one-byte key would stop the
    /// scan at every rare byte.
    pub(super) fn build<'a>(keys: &[Vec<u8>], sample: impl IntoIterator<Item = &'a [u8]>, apart: &[u8]) -> Result<Keys, TooBig> {
        if keys.iter().any(|k| k.is_empty()) || u32::try_from(keys.len()).is_err() {
            return Err(TooBig);
        }
        let mut in_text = [0usize; 256];
        for b in sample.into_iter().flatten() {
            in_text[usize::from(b.to_ascii_lowercase())] += 1;
        }
        TAILS.iter().find_map(|&tail| Self::build_with(keys, tail, &in_text, apart)).ok_or(TooBig)
    }

    /// The automaton of the keys' last `tail` bytes; `None` when its states
    /// do not fit u16 ids.
    fn build_with(keys: &[Vec<u8>], tail: usize, in_text: &[usize; 256], apart: &[u8]) -> Option<Keys> {
        let tail_of = |k: &[u8]| -> Vec<u8> { k[k.len().saturating_sub(tail)..].to_ascii_lowercase() };
        // The tail bytes by how often texts use them (then keys): the 30
        // commonest get a column each, the others share column 31, bytes in
        // no tail go to column 0. A text byte read through the shared column
        // can stand in for another and cost a check: rare ones seldom do.
        // (Ranked by keys alone, the digits 2-9, `:`, `<`, `>` shared it.)
        let mut count = [0usize; 256];
        for k in keys {
            for b in tail_of(k) {
                count[usize::from(b)] += 1;
            }
        }
        let mut used: Vec<u8> = (0..=255u8).filter(|&b| count[usize::from(b)] > 0).collect();
        used.sort_by_key(|&b| (std::cmp::Reverse((in_text[usize::from(b)], count[usize::from(b)])), b));
        let mut classes = [0u8; 256];
        // The column before the shared one, when an `apart` byte is in a tail.
        let apart_column = used.iter().any(|b| apart.contains(b)).then_some(SHARED - 1);
        let own = usize::from(apart_column.unwrap_or(SHARED));
        for (n, &b) in used.iter().filter(|b| !apart.contains(b)).enumerate() {
            classes[usize::from(b)] = if n + 1 < own { n as u8 + 1 } else { SHARED };
        }
        for &b in apart.iter().filter(|&&b| count[usize::from(b)] > 0) {
            classes[usize::from(b)] = apart_column.unwrap_or(SHARED);
        }
        for b in b'A'..=b'Z' {
            classes[usize::from(b)] = classes[usize::from(b.to_ascii_lowercase())];
        }

        // Keys grouped by their tail's classes: the automaton's own keys.
        let mut by_tail: BTreeMap<Vec<u8>, Vec<u32>> = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            let c: Vec<u8> = tail_of(k).iter().map(|&b| classes[usize::from(b)]).collect();
            by_tail.entry(c).or_default().push(i as u32);
        }

        // The trie: `MISSING` marks a transition it does not have.
        const MISSING: u32 = u32::MAX;
        let mut trans = vec![MISSING; CLASSES];
        let mut own: Vec<Option<usize>> = vec![None];
        let tails: Vec<(&Vec<u8>, &Vec<u32>)> = by_tail.iter().collect();
        for (t, (classes_of_tail, _)) in tails.iter().enumerate() {
            let mut s = 0usize;
            for &c in classes_of_tail.iter() {
                let cell = s * CLASSES + usize::from(c);
                if trans[cell] == MISSING {
                    trans[cell] = own.len() as u32;
                    trans.resize(trans.len() + CLASSES, MISSING);
                    own.push(None);
                }
                s = trans[cell] as usize;
            }
            own[s] = Some(t);
        }
        let states = own.len();
        if states > usize::from(u16::MAX) + 1 {
            return None;
        }

        // Failure links breadth-first: a missing transition goes where the
        // failure state's goes; a state's matches are its own tail, then its
        // failure state's (longest first, as an overlapping search reports),
        // so they are read by walking the failure links, not copied into
        // every state. `order` is the breadth-first queue itself.
        let mut fail = vec![0u32; states];
        let mut has_out = vec![false; states];
        let mut order = vec![0u32];
        for cell in &mut trans[..CLASSES] {
            match *cell {
                MISSING => *cell = 0,
                t => order.push(t),
            }
        }
        let mut next_in_queue = 1;
        while let Some(&s) = order.get(next_in_queue) {
            next_in_queue += 1;
            let s = s as usize;
            let f = fail[s] as usize;
            has_out[s] = own[s].is_some() || has_out[f];
            // Rows of one state at a time: the failure state's is read
            // whole first (it may be the same row's neighbour in memory).
            let failure_row: [u32; CLASSES] = trans[f * CLASSES..][..CLASSES].try_into().ok()?;
            for (cell, &fc) in trans[s * CLASSES..][..CLASSES].iter_mut().zip(&failure_row) {
                if *cell == MISSING {
                    *cell = fc;
                } else {
                    // Depth-one states fail to the root (their 0 is set).
                    fail[*cell as usize] = fc;
                    order.push(*cell);
                }
            }
        }

        // Match states first, then the rest, each in breadth-first order.
        let mut number = vec![0u16; states];
        let mut next = 0u16;
        let mut by_number = Vec::with_capacity(states);
        for matching in [true, false] {
            for &s in &order {
                if has_out[s as usize] == matching {
                    number[s as usize] = next;
                    by_number.push(s as usize);
                    next = next.wrapping_add(1);
                }
            }
        }
        // Each tail's keys longest first: tails of one length end together,
        // so the keys behind them come out longest first overall.
        let longest_first: Vec<Vec<u32>> = tails
            .iter()
            .map(|(_, ks)| {
                let mut ks = ks.to_vec();
                ks.sort_by_key(|&k| std::cmp::Reverse(keys[k as usize].len()));
                ks
            })
            .collect();
        let exact: Vec<bool> = keys
            .iter()
            .map(|key| key.len() <= tail && key.iter().all(|&b| classes[usize::from(b)] != SHARED && Some(classes[usize::from(b)]) != apart_column))
            .collect();
        let Cells(mut cells, row0) = Cells::new();
        let table = &mut cells[row0..row0 + TABLE];
        let (mut match_ranges, mut matches, mut long) = (Vec::new(), Vec::<Check>::new(), Vec::new());
        for (row, &s) in table.chunks_exact_mut(CLASSES).zip(&by_number) {
            for (cell, &t) in row.iter_mut().zip(&trans[s * CLASSES..][..CLASSES]) {
                *cell = number[t as usize];
            }
            if has_out[s] {
                let first = matches.len() as u32;
                let mut x = s;
                while x != 0 {
                    for &k in own[x].map_or(&[][..], |t| &longest_first[t]) {
                        matches.push(Check::new(k, &keys[k as usize], &mut long, exact[k as usize]));
                    }
                    x = fail[x] as usize;
                }
                match_ranges.push((first, matches.len() as u32));
            }
        }
        let long_lists = LongLists::sort(&match_ranges, &mut matches, |m| &keys[m.key as usize]);
        Some(Keys {
            classes,
            cells,
            row0,
            start: number[0],
            depth: keys.iter().map(|k| k.len().min(tail)).max().unwrap_or(0),
            match_limit: match_ranges.len() as u16,
            long_lists,
            match_ranges,
            matches,
            long,
            tail,
        })
    }

    /// Calls `f(start, key)` for every occurrence of every key, overlapping
    /// ones included, in order of where they end (longest first where
    /// several end together), until `f` breaks.
    ///
    /// A long text is walked as two halves at once, a byte of each in turn:
    /// each byte's look-up waits for the one before it, so one walk leaves
    /// the core idle while a row comes from memory; two walks overlap their
    /// waits. The second half's walk starts `depth` bytes early, from the
    /// root, so that it is in the right state by the half's first byte; its
    /// matches wait until the first half's are reported.
    #[inline(always)]
    pub(super) fn scan(&self, hay: &[u8], mut f: impl FnMut(usize, usize) -> ControlFlow<()>) -> ControlFlow<()> {
        let Ok(trans) = <&[u16; TABLE]>::try_from(self.table()) else {
            return ControlFlow::Continue(());
        };
        let mut walk = Walk::new(self, hay.len());
        // One place calls `f`, so that it is inlined here.
        while let Some((end, state)) = walk.next(self, trans, hay) {
            let (mut a, mut e) = self.match_ranges[usize::from(state)];
            if e - a > LOOKUP_OVER {
                (a, e) = self.long_lists.run((a, e), hay, end);
            }
            for m in &self.matches[a as usize..e as usize] {
                if m.exact || m.matches(hay, end, &self.long) {
                    f(end - m.len as usize, m.key as usize)?;
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// Walks `a` up to `a_end` and `b` a byte each in turn, until `a` ends
    /// (`None`) or one of them reaches a match state (`Some(true)` for `a`).
    /// Each is left where it stopped. `b` has at least as far to go as `a`
    /// (it starts nearer the text's end than `a`'s end is from `a`).
    #[inline(never)]
    fn next_match_pair(&self, trans: &[u16; TABLE], hay: &[u8], a: &mut (usize, u16), a_end: usize, b: &mut (usize, u16)) -> Option<bool> {
        let (classes, limit) = (&self.classes, self.match_limit);
        let step = |s: u16, x: u8| trans[(usize::from(s) << SHIFT) + usize::from(classes[usize::from(x)])];
        let ((ia, mut sa), (ib, mut sb)) = (*a, *b);
        let left = a_end.checked_sub(ia)?;
        let (ha, hb) = (hay.get(ia..a_end)?, hay.get(ib..ib + left)?);
        for (k, (&x, &y)) in ha.iter().zip(hb).enumerate() {
            sa = step(sa, x);
            if sa < limit {
                (*a, *b) = ((ia + k + 1, sa), (ib + k, sb));
                return Some(true);
            }
            sb = step(sb, y);
            if sb < limit {
                (*a, *b) = ((ia + k + 1, sa), (ib + k + 1, sb));
                return Some(false);
            }
        }
        (*a, *b) = ((a_end, sa), (ib + left, sb));
        None
    }

    /// Runs from `i` in state `s` to the end of the next tail: a loop of
    /// its own, so that what the caller does with matches does not crowd
    /// the registers of the per-byte work. Four bytes a round: the loop's
    /// own bookkeeping is paid once for four look-ups.
    #[inline(never)]
    fn next_match(&self, trans: &[u16; TABLE], hay: &[u8], i: usize, mut s: u16) -> Option<(usize, u16)> {
        let (classes, limit) = (&self.classes, self.match_limit);
        let step = |s: u16, b: u8| trans[(usize::from(s) << SHIFT) + usize::from(classes[usize::from(b)])];
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

/// The automaton as bytes, so that build.rs can build the built-in rules'
/// once and the crate read it back: building it was most of a process's
/// start. Little-endian fields, counts before lists; the key list it was
/// built for comes first, so that it is only ever used for those keys.
impl Keys {
    // Called by build.rs and the tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) fn to_bytes(&self, keys: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        put_count(&mut out, keys.len());
        for k in keys {
            put_bytes(&mut out, k);
        }
        out.extend_from_slice(&self.classes);
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.match_limit.to_le_bytes());
        put_count(&mut out, self.tail);
        // Rows up to the highest state any row (or the start) names: every
        // state is the target of a transition but the start.
        let trans = self.table();
        let rows = usize::from(trans.iter().copied().max().unwrap_or(0).max(self.start)) + 1;
        put_count(&mut out, rows);
        trans[..rows * CLASSES].iter().for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
        put_count(&mut out, self.match_ranges.len());
        for &(a, b) in &self.match_ranges {
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
        put_count(&mut out, self.matches.len());
        for m in &self.matches {
            for w in [m.key, m.len, m.long_at] {
                out.extend_from_slice(&w.to_le_bytes());
            }
            for w in [m.head, m.head_mask, m.tail, m.tail_mask] {
                out.extend_from_slice(&w.to_le_bytes());
            }
            out.push(u8::from(m.exact));
        }
        put_bytes(&mut out, &self.long);
        out
    }

    /// What [`Keys::to_bytes`] wrote, if it was written for exactly `keys`
    /// (`None` for any other key list, or bytes that do not read back).
    #[cfg(test)]
    pub(super) fn from_bytes_for(bytes: &[u8], keys: &[Vec<u8>]) -> Option<Keys> {
        Keys::from_bytes_into(Cells::new(), bytes, keys)
    }

    /// [`Keys::from_bytes_for`] into a table allocated beforehand.
    pub(super) fn from_bytes_into(cells: Cells, bytes: &[u8], keys: &[Vec<u8>]) -> Option<Keys> {
        let mut r = Reader(bytes);
        if r.count()? != keys.len() {
            return None;
        }
        for k in keys {
            if r.bytes()? != &k[..] {
                return None;
            }
        }
        let classes: [u8; 256] = r.take(256)?.try_into().ok()?;
        if classes.iter().any(|&c| usize::from(c) >= CLASSES) {
            return None;
        }
        let (start, match_limit) = (r.u16()?, r.u16()?);
        let tail = r.count()?;
        let rows = r.count()?;
        let Cells(mut cells, row0) = cells;
        let read = r.take(rows.checked_mul(CLASSES * 2)?)?;
        if rows > usize::from(u16::MAX) + 1 {
            return None;
        }
        for (cell, b) in cells[row0..row0 + TABLE].iter_mut().zip(read.chunks_exact(2)) {
            *cell = u16::from_le_bytes([b[0], b[1]]);
        }
        let ranges = r.count()?;
        let match_ranges: Vec<(u32, u32)> = (0..ranges).map(|_| Some((r.u32()?, r.u32()?))).collect::<Option<_>>()?;
        let checks = r.count()?;
        let mut matches = Vec::with_capacity(checks.min(bytes.len()));
        for _ in 0..checks {
            let (key, len, long_at) = (r.u32()?, r.u32()?, r.u32()?);
            let (head, head_mask, tail, tail_mask) = (r.u64()?, r.u64()?, r.u64()?, r.u64()?);
            let exact = r.take(1)?[0] != 0;
            matches.push(Check { key, len, head, head_mask, tail, tail_mask, long_at, exact });
        }
        let long = r.bytes()?.to_vec();
        // What the scan indexes must be in bounds: a match state's range,
        // a long key's bytes. (Any state's row is: the table has a row for
        // every u16.)
        let in_bounds = usize::from(start) < rows
            && match_ranges.len() == usize::from(match_limit)
            && match_ranges.iter().all(|&(a, b)| a <= b && b as usize <= matches.len())
            && matches.iter().all(|m| (m.key as usize) < keys.len() && (m.len <= 16 || (m.long_at as usize + m.len as usize) <= long.len()));
        if !(r.0.is_empty() && in_bounds) {
            return None;
        }
        // Sorted already: this finds the tails again.
        let long_lists = LongLists::sort(&match_ranges, &mut matches, |m| &keys[m.key as usize]);
        Some(Keys {
            classes,
            cells,
            row0,
            start,
            depth: keys.iter().map(|k| k.len().min(tail)).max().unwrap_or(0),
            match_limit,
            long_lists,
            match_ranges,
            matches,
            long,
            tail,
        })
    }
}

/// A zeroed table with room to start it on a cache line, and where it
/// starts. The rule set takes the one it reads before its other
/// allocations: then the allocator hands out fresh pages, which are zero
/// already, instead of clearing a freed 4 MB block (1.5-2 ms a process).
pub(super) struct Cells(Box<[u16]>, usize);

impl Cells {
    pub(super) fn new() -> Cells {
        let cells = vec![0u16; TABLE + LINE_CELLS].into_boxed_slice();
        let row0 = cells.as_ptr().align_offset(LINE_BYTES).min(LINE_CELLS);
        Cells(cells, row0)
    }
}

impl Keys {
    /// The table proper, from its first aligned cell (empty only if the
    /// cells were too short, which `Cells::new` rules out).
    fn table(&self) -> &[u16] {
        self.cells.get(self.row0..self.row0 + TABLE).unwrap_or_default()
    }
}

/// Two automata are equal when they walk alike: where each table happens
/// to start in its allocation does not matter.
impl PartialEq for Keys {
    fn eq(&self, o: &Keys) -> bool {
        self.classes == o.classes
            && self.table() == o.table()
            && self.start == o.start
            && self.depth == o.depth
            && self.match_limit == o.match_limit
            && self.match_ranges == o.match_ranges
            && self.matches == o.matches
            && self.long == o.long
            && self.long_lists == o.long_lists
            && self.tail == o.tail
    }
}

impl Eq for Keys {}

/// Writes a count as [`Reader::count`] reads it.
#[cfg_attr(not(test), allow(dead_code))]
pub(super) fn put_count(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

/// Writes `b` after its length, as [`Reader::bytes`] reads it.
#[cfg_attr(not(test), allow(dead_code))]
pub(super) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_count(out, b.len());
    out.extend_from_slice(b);
}

/// Reads [`Keys::to_bytes`]'s fields (and `key_list::to_bytes`'s), each
/// `None` past the end.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    pub(super) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub(super) fn count(&mut self) -> Option<usize> {
        self.u32().map(|n| n as usize)
    }
    /// Bytes written after their length ([`put_bytes`]).
    pub(super) fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.count()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occurrences(table: &Keys, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut got = Vec::new();
        let _ = table.scan(hay, |start, key| {
            got.push((start, key));
            ControlFlow::Continue(())
        });
        got
    }

    /// The crate's overlapping matches as (start, key), in the order the
    /// scan reports them: by end, longest first.
    fn in_scan_order(ac: &aho_corasick::AhoCorasick, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut m: Vec<(usize, usize, usize)> = ac.find_overlapping_iter(hay).map(|m| (m.end(), m.len(), m.pattern().as_usize())).collect();
        m.sort_by_key(|&(end, len, _)| (end, std::cmp::Reverse(len)));
        m.into_iter().map(|(end, len, k)| (end - len, k)).collect()
    }

    /// The table finds what the crate's own overlapping search finds, in
    /// the same order (by end, longest first).
    #[test]
    fn finds_every_overlapping_match_like_the_crate() {
        let keys: Vec<Vec<u8>> = [
            "user unknown",
            "unknown",
            "known user",
            "über",
            "no such user",
            "nos",
            "550 5.1.1",
            "a key longer than sixteen bytes",
            "than sixteen bytes",
            "x#~",
            "mailbox unavailable",
        ]
        .iter()
        .map(|k| k.as_bytes().to_ascii_lowercase())
        .collect();
        let ac = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&keys).unwrap();
        let table = Keys::build(&keys, [], &[]).unwrap();
        for hay in [
            "User Unknown, KNOWN USER über nos such user",
            "550 5.1.1 <NoS@x> No Such User",
            "",
            "ÜBER über",
            "A KEY LONGER THAN SIXTEEN BYTES, a key longer than sixteen bites",
            "x#~ x#= X#~~ 550 5.1.2 550 5.1.1",
            "Mailbox Unavailable mailbox-unavailable",
        ] {
            assert_eq!(occurrences(&table, hay.as_bytes()), in_scan_order(&ac, hay.as_bytes()), "{hay}");
        }
    }

    /// Long texts are walked as two halves at once: every prefix of a text
    /// full of keys (so keys straddle every split point, and the halves'
    /// matches interleave) still gives the crate's matches in the crate's
    /// order, by end, longest first.
    #[test]
    fn two_walks_report_what_one_walk_reports() {
        let keys: Vec<Vec<u8>> = ["user unknown", "unknown", "known user", "no such user", "nos", "550 5.1.1", "a key longer than sixteen bytes", "than sixteen bytes", "x", "\n", "mailbox unavailable", "n u"]
            .iter()
            .map(|k| k.as_bytes().to_vec())
            .collect();
        let ac = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&keys).unwrap();
        let table = Keys::build(&keys, [], b"\n").unwrap();
        assert_eq!(table.depth, 16);
        let text = "550 5.1.1 User Unknown, known user\nno such USER: x A KEY LONGER THAN SIXTEEN BYTES mailbox unavailable nos-x \
                    mailbox unavailable; user unknownknown user xx a key longer than sixteen bytes than sixteen bytes\n550 5.1.1 nos";
        let mut split_walks = 0;
        for n in 0..=text.len() {
            let hay = &text.as_bytes()[..n];
            assert_eq!(occurrences(&table, hay), in_scan_order(&ac, hay), "{n}");
            split_walks += usize::from(n / 2 >= 2 * table.depth);
        }
        assert!(split_walks > 100);
        // A key at every byte of the first half: the second walk, which
        // waits a byte for each of the first's matches, never reaches the
        // half; what it walked is not reported twice.
        for n in [64, 65, 100, 200, 301] {
            let hay: Vec<u8> = b"x".repeat(n / 2).into_iter().chain(text.bytes()).take(n).collect();
            assert_eq!(occurrences(&table, &hay), in_scan_order(&ac, &hay), "{n}");
        }
        // A break stops the scan in either half.
        let total = occurrences(&table, text.as_bytes()).len();
        assert!(total > 20);
        for stop in 0..total {
            let mut seen = 0;
            let _ = table.scan(text.as_bytes(), |_, _| {
                seen += 1;
                if seen > stop { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            });
            assert_eq!(seen, stop + 1);
        }
    }

    /// Every (start, key) the table reports is what the aho-corasick
    /// crate's overlapping, ASCII-case-insensitive search finds.
    fn assert_finds_what_the_crate_finds(table: &Keys, keys: &[Vec<u8>], hay: &[u8]) {
        let ac = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(keys).unwrap();
        let mut expected: Vec<(usize, usize)> =
            ac.find_overlapping_iter(hay).map(|m| (m.start(), m.pattern().as_usize())).collect();
        let mut got = occurrences(table, hay);
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
    }

    /// 3,000 keys over 60 distinct middle bytes, more than the classes:
    /// some share one.
    fn keys_over_many_bytes() -> Vec<Vec<u8>> {
        (0..3000u32)
            .map(|n| format!("k{}{}{}", n % 7, char::from(b'!' + (n % 60) as u8), n).into_bytes().to_ascii_lowercase())
            .collect()
    }

    /// The automaton reads back from its bytes as it was, only for the
    /// keys it was built for; cut or altered bytes give `None` or an
    /// automaton whose look-ups stay in bounds, never a panic.
    #[test]
    fn bytes_read_back_only_for_their_keys() {
        let keys = keys_over_many_bytes();
        let table = Keys::build(&keys, [&b"k1!0 k2#3"[..]], b"\n").unwrap();
        let bytes = table.to_bytes(&keys);
        assert!(Keys::from_bytes_for(&bytes, &keys) == Some(Keys::build(&keys, [&b"k1!0 k2#3"[..]], b"\n").unwrap()));
        assert!(Keys::from_bytes_for(&bytes, &keys[1..]).is_none());
        let mut other = keys.clone();
        other[7].push(b'x');
        assert!(Keys::from_bytes_for(&bytes, &other).is_none());
        for cut in (0..bytes.len()).step_by(997) {
            assert!(Keys::from_bytes_for(&bytes[..cut], &keys).is_none());
        }
        let hay: Vec<u8> = keys.iter().step_by(13).flat_map(|k| k.iter().copied().chain(*b" ")).collect();
        let mut seed = 3u64;
        for _ in 0..300 {
            let mut bad = bytes.clone();
            for _ in 0..4 {
                let seed = crate::test_rng::xorshift(&mut seed);
                let at = (seed % bad.len() as u64) as usize;
                bad[at] ^= (seed >> 32) as u8 | 1;
            }
            if let Some(t) = Keys::from_bytes_for(&bad, &keys) {
                let _ = occurrences(&t, &hay);
            }
        }
    }

    /// Tails shared by many keys, and classes shared by rare bytes, still
    /// report only real occurrences.
    #[test]
    fn shared_tails_and_classes_report_only_real_keys() {
        let keys = keys_over_many_bytes();
        let table = Keys::build(&keys, [], &[]).unwrap();
        // The scan indexes rows without a mask: every class must fit a row.
        assert!(table.classes.iter().all(|&c| usize::from(c) < CLASSES));
        // Each state's row is one cache line.
        assert_eq!(table.cells[table.row0..].as_ptr() as usize % LINE_BYTES, 0);
        let hay: Vec<u8> = keys.iter().step_by(13).flat_map(|k| k.iter().copied().chain(*b" ")).collect();
        assert_finds_what_the_crate_finds(&table, &keys, &hay);
        assert!(Keys::build(&[b"ok".to_vec(), Vec::new()], [], &[]).is_err());
    }

    /// One-byte keys of `apart` bytes get a column of their own, shared by
    /// those bytes only, and still report exactly the real occurrences.
    #[test]
    fn apart_bytes_share_a_column_of_their_own() {
        let mut keys = keys_over_many_bytes();
        keys.extend([b"\n".to_vec(), b"\r".to_vec(), b"\t".to_vec(), b"x\ty".to_vec()]);
        let table = Keys::build(&keys, [], b"\n\r\t").unwrap();
        let column = |b: u8| table.classes[usize::from(b)];
        assert_eq!((column(b'\n'), column(b'\r'), column(b'\t')), (SHARED - 1, SHARED - 1, SHARED - 1));
        assert!((0..=255u8).filter(|b| !b"\n\r\t".contains(b)).all(|b| column(b) != SHARED - 1));
        assert!((0..=255u8).any(|b| column(b) == SHARED));
        let hay: Vec<u8> = keys.iter().step_by(11).flat_map(|k| k.iter().copied().chain(*b" \r\n")).chain(*b"x\ty x\ny\t").collect();
        assert_finds_what_the_crate_finds(&table, &keys, &hay);
    }

    /// Generated texts (pieces of keys, cut, joined, cased and altered at
    /// random; many long enough for two walks, with rare bytes in the
    /// shared column and line breaks in the `apart` one) give exactly the
    /// crate's matches, in the crate's order.
    #[test]
    fn generated_texts_find_what_the_crate_finds() {
        let mut keys = keys_over_many_bytes();
        keys.extend(["user unknown", "unknown user", "mailbox unavailable", "mailbox full", "no such user here", "user", "\n"].map(|k| k.as_bytes().to_vec()));
        let table = Keys::build(&keys, [&b"user unknown k1!"[..]], b"\n").unwrap();
        let ac = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&keys).unwrap();
        let mut seed = 17u64;
        let mut rand = |n: usize| (crate::test_rng::xorshift(&mut seed) % n as u64) as usize;
        let mut two_walks = 0;
        for _ in 0..400 {
            let mut hay = Vec::new();
            while hay.len() < 40 + rand(300) {
                let k = &keys[rand(keys.len())];
                let piece = &k[rand(k.len() / 2 + 1)..k.len() - rand(k.len() / 3 + 1)];
                hay.extend(piece.iter().map(|&b| if rand(4) == 0 { b.to_ascii_uppercase() } else { b }));
                match rand(6) {
                    0 => hay.push(b' '),
                    1 => hay.push(rand(256) as u8),
                    2 => hay.push(b'\n'),
                    _ => {}
                }
            }
            two_walks += usize::from(hay.len() / 2 >= 2 * table.depth);
            assert_eq!(occurrences(&table, &hay), in_scan_order(&ac, &hay), "{}", String::from_utf8_lossy(&hay));
        }
        assert!(two_walks > 100, "{two_walks}");
    }

    /// The built-in rules' keys and their automaton, and texts that walk
    /// into its long match lists: the non-ASCII rule examples (Japanese,
    /// Chinese, Cyrillic, ...), runs of rare bytes, and both cut, joined and
    /// cased at random.
    fn builtin_with_rare_texts() -> (Vec<Vec<u8>>, Keys, Vec<Vec<u8>>) {
        let rules = crate::rules::RuleSet::builtin_rules();
        let keys: Vec<Vec<u8>> = crate::rules::keys_of(&rules).by_key.into_iter().map(|(k, _)| k).collect();
        let table = Keys::from_bytes_for(crate::rules::generated::KEYS, &keys).unwrap();
        let examples: Vec<&[u8]> = rules.iter().flat_map(|r| r.examples.iter()).filter(|e| !e.is_ascii()).map(|e| e.as_bytes()).collect();
        assert!(examples.len() > 50, "{} non-ASCII examples", examples.len());
        let rare: Vec<u8> = (0..=255u8).filter(|&b| table.classes[usize::from(b)] == SHARED).collect();
        let mut seed = 29u64;
        let mut rand = |n: usize| (crate::test_rng::xorshift(&mut seed) % n as u64) as usize;
        let mut texts: Vec<Vec<u8>> = examples.iter().map(|e| e.to_vec()).collect();
        for _ in 0..300 {
            let mut hay = Vec::new();
            while hay.len() < 20 + rand(400) {
                match rand(3) {
                    0 => hay.extend((0..1 + rand(24)).map(|_| rare[rand(rare.len())])),
                    _ => {
                        let e = examples[rand(examples.len())];
                        let from = rand(e.len());
                        hay.extend(e[from..e.len().min(from + 1 + rand(60))].iter().map(|&b| if rand(5) == 0 { b.to_ascii_uppercase() } else { b }));
                    }
                }
            }
            texts.push(hay);
        }
        (keys, table, texts)
    }

    /// Those texts give exactly the crate's matches, in the crate's order.
    #[test]
    fn long_match_lists_report_what_the_crate_finds() {
        let (keys, table, texts) = builtin_with_rare_texts();
        let ac = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&keys).unwrap();
        let long = table.match_ranges.iter().filter(|&&(a, e)| e - a > LOOKUP_OVER).count();
        assert!(long > 10, "{long} long lists");
        let mut found = 0;
        for hay in &texts {
            let got = occurrences(&table, hay);
            assert_eq!(got, in_scan_order(&ac, hay), "{}", String::from_utf8_lossy(hay));
            found += got.len();
        }
        assert!(found > 800, "{found} occurrences");
    }

    /// A long list's look-up leaves out no key that ends where the text
    /// is: checked against every key of every long list at every end of
    /// those texts. Its run is in list order: by length, longest first.
    #[test]
    fn long_list_lookups_keep_every_key_that_ends_there() {
        let (keys, table, texts) = builtin_with_rare_texts();
        let (mut looked, mut kept) = (0, 0);
        for hay in texts.iter().take(120) {
            for end in 0..=hay.len() {
                for &(a, e) in table.match_ranges.iter().filter(|&&(a, e)| e - a > LOOKUP_OVER) {
                    let (from, to) = table.long_lists.run((a, e), hay, end);
                    let got: Vec<usize> = (from as usize..to as usize).collect();
                    assert!(got.iter().all(|i| (a as usize..e as usize).contains(i)));
                    assert!(got.windows(2).all(|w| table.matches[w[0]].len >= table.matches[w[1]].len));
                    for i in a as usize..e as usize {
                        let k = &keys[table.matches[i].key as usize];
                        let ends_here = end >= k.len() && hay[end - k.len()..end].eq_ignore_ascii_case(k);
                        assert!(!ends_here || got.contains(&i), "key {:?} at {end}", String::from_utf8_lossy(k));
                    }
                    looked += 1;
                    kept += got.len();
                }
            }
        }
        // The look-up keeps few: that is its point.
        assert!(looked > 100_000 && kept * 20 < looked * LOOKUP_OVER as usize, "{kept} kept in {looked} look-ups");
    }

    /// Keys too many for whole-key states fall back to shorter tails, and
    /// still find exactly what the crate's search finds.
    #[test]
    fn too_many_states_fall_back_to_shorter_tails() {
        let keys: Vec<Vec<u8>> = (0..8000u32).map(|n| format!("{n:05}{}-{:05}-ab", n % 7, n * 7919 % 100_000).into_bytes()).collect();
        let table = Keys::build(&keys, [], &[]).unwrap();
        assert!(table.tail < 16, "tail {}", table.tail);
        let hay: Vec<u8> = keys.iter().step_by(97).flat_map(|k| k.iter().copied().chain(*b"-ab ")).collect();
        assert_finds_what_the_crate_finds(&table, &keys, &hay);
    }
}
