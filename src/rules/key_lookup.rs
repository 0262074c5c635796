//! The key automaton's long match lists, looked up by their keys' last
//! bytes instead of compared one by one.
//!
//! A text byte read through the shared column stands for any of the rare
//! bytes that share it, so a text made of them walks into states whose
//! lists hold every key of such bytes. UTF-8 text in another script
//! (Japanese, Chinese, Cyrillic) is made of nothing else: it reached lists
//! of up to 131 keys at nearly every byte, and comparing them all cost
//! ~750 instructions a byte (a 2 KB Japanese diagnostic took a hundred times
//! as long to classify as an English one). A long list is kept sorted by
//! its keys' last three bytes, ASCII case folded: a look-up compares only
//! the keys that can end where the text is.
//!
//! Most places of such a text end in no key's last three bytes at all: a
//! 256-bit set of each long list's tails (hashed) turns those away before
//! the sorted tails are searched (a parse of Google Groups' Japanese
//! notice took 31 us with the binary searches alone, 13 us with the set).
//!
//! Sorted when an automaton is built, and again (which changes nothing)
//! when one is read back: the tails are not stored.

/// Lists longer than this are looked up; shorter ones are read whole.
pub(crate) const LOOKUP_OVER: u32 = 8;

/// The place of keys shorter than three bytes: after every three-byte tail.
const SHORT: u32 = u32::MAX;

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct LongLists {
    /// Beside the match list: in a long list, each key's last three bytes
    /// (or `SHORT`), ascending, since the list is sorted by them.
    tails: Vec<u32>,
    /// Per long list, the set of its tails' hashes ([`bit`]).
    filters: Vec<[u64; 4]>,
    /// At a long list's first place in the match list: its filter's index
    /// (`u32::MAX` elsewhere: no filter, every look-up searches).
    filter_of: Vec<u32>,
}

impl LongLists {
    /// Sorts each long list of `matches` (per match state, its range; see
    /// `ranges`) by its keys' last three bytes (`key_of`), keys of one tail
    /// in the order they had.
    ///
    /// The keys that can end at one place of a text are then one run, in
    /// list order (longest first). Keys shorter than three bytes were last
    /// already, and stay last.
    pub(crate) fn sort<'k, T>(ranges: &[(u32, u32)], matches: &mut [T], key_of: impl Fn(&T) -> &'k [u8]) -> LongLists {
        let mut tails = vec![0; matches.len()];
        let (mut filters, mut filter_of) = (Vec::new(), vec![u32::MAX; matches.len()]);
        for &(a, e) in ranges.iter().filter(|&&(a, e)| e - a > LOOKUP_OVER) {
            let (a, e) = (a as usize, e as usize);
            let tail = |m: &T| last_three(key_of(m)).unwrap_or(SHORT);
            matches[a..e].sort_by_key(tail);
            let mut filter = [0u64; 4];
            for (t, m) in tails[a..e].iter_mut().zip(&matches[a..e]) {
                *t = tail(m);
                let b = bit(*t);
                filter[b >> 6] |= 1 << (b & 63);
            }
            filter_of[a] = filters.len() as u32;
            filters.push(filter);
        }
        LongLists { tails, filters, filter_of }
    }

    /// The part of the long list at `a..e` whose keys may end at `end` of
    /// `hay`: the keys whose last three bytes are the text's. A list with
    /// keys shorter than that (sorted last) is read whole.
    #[inline]
    pub(crate) fn run(&self, (a, e): (u32, u32), hay: &[u8], end: usize) -> (u32, u32) {
        let Some(tails) = self.tails.get(a as usize..e as usize) else { return (a, e) };
        if tails.last() == Some(&SHORT) {
            return (a, e);
        }
        let Some(tail) = hay.get(..end).and_then(last_three) else { return (e, e) };
        let b = bit(tail);
        let filter = self.filter_of.get(a as usize).and_then(|&f| self.filters.get(f as usize));
        if filter.is_some_and(|f| f[b >> 6] >> (b & 63) & 1 == 0) {
            return (e, e);
        }
        let from = tails.partition_point(|&t| t < tail);
        // Keys sharing a tail are few: counted, not searched for.
        let to = from + tails[from..].iter().take_while(|&&t| t == tail).count();
        (a + from as u32, a + to as u32)
    }
}

/// A tail's place in a list's 256-bit filter (a multiplicative hash: the
/// tails of one script differ mostly in their low bytes).
#[inline]
fn bit(tail: u32) -> usize {
    (tail.wrapping_mul(0x9E37_79B1) >> 24) as usize
}

/// The last three bytes of `b`, ASCII-lower-cased, as one number; `None`
/// for fewer than three. A key occurs before `end` only if this is the
/// same for the key and the text up to `end` (keys are matched ASCII-case-
/// insensitively, other bytes exactly).
fn last_three(b: &[u8]) -> Option<u32> {
    let [x, y, z] = *b.last_chunk::<3>()?;
    Some(u32::from_le_bytes([x.to_ascii_lowercase(), y.to_ascii_lowercase(), z.to_ascii_lowercase(), 0]))
}
