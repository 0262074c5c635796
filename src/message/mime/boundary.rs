//! Finding `--boundary` in a multipart body.
//!
//! A message has one or two boundaries and each is sought a few times, so
//! setting up a full substring searcher (memmem's two-way tables) costs
//! more than the searches. This one starts with a packed-pair prefilter
//! (memchr for the needle's rarest byte, a check of a second one), which
//! costs next to nothing to build, and verifies each candidate. Should the
//! prefilter keep proposing false candidates (text crafted against it),
//! the search moves to memmem's finder for good, so the time stays linear.
//! Where AVX2 is there (x86-64), the pair is checked 32 bytes at a time, so
//! a byte of the pair that is common in the body costs no extra call.

use memchr::arch::all::packedpair::{self, Pair};
#[cfg(target_arch = "x86_64")]
use memchr::arch::x86_64::avx2::packedpair as wide;
use memchr::memmem;
use std::borrow::Cow;

/// False candidates allowed before the search switches to memmem.
const MISSES: usize = 64;
/// Needles longer than this go to memmem at once (the pair's offsets are
/// bytes, and a long needle would make each false candidate costly).
const LONGEST: usize = 255;

pub(crate) struct Finder<'a> {
    /// The boundary without its `--`: borrowed from the Content-Type, so
    /// a finder costs no allocation (the needle is only built for memmem).
    boundary: Cow<'a, [u8]>,
    /// The pair of bytes of the boundary, so candidates are where a
    /// boundary would start (two bytes after the needle's start).
    pair: Option<packedpair::Finder>,
    /// The same pair checked with vectors (for haystacks long enough).
    #[cfg(target_arch = "x86_64")]
    wide: Option<wide::Finder>,
    full: Option<memmem::Finder<'static>>,
    misses: usize,
}

impl<'a> Finder<'a> {
    /// A finder for `--` followed by `boundary`.
    pub fn new(boundary: Cow<'a, [u8]>) -> Self {
        let bytes = (boundary.len() + 2 <= LONGEST).then(|| pair_of(&boundary)).flatten();
        let pair = bytes.and_then(|p| packedpair::Finder::with_pair(&boundary, p));
        let full = pair.is_none().then(|| full_finder(&boundary));
        #[cfg(target_arch = "x86_64")]
        let wide = bytes.and_then(|p| wide::Finder::with_pair(&boundary, p));
        Finder {
            boundary,
            pair,
            #[cfg(target_arch = "x86_64")]
            wide,
            full,
            misses: 0,
        }
    }

    /// The length of `--boundary`.
    pub fn len(&self) -> usize {
        self.boundary.len() + 2
    }

    /// Where `--boundary` first occurs in `hay`.
    pub fn find(&mut self, hay: &[u8]) -> Option<usize> {
        let mut at = 0;
        while let Some(pair) = &self.pair {
            // The pair's candidates are boundary starts, two bytes after the needle's.
            let c = at + self.candidate(pair, hay.get(at + 2..)?)?;
            if hay[c..].starts_with(b"--") && hay[c + 2..].starts_with(&self.boundary) {
                return Some(c);
            }
            at = c + 1;
            self.misses += 1;
            if self.misses > MISSES {
                self.pair = None;
                #[cfg(target_arch = "x86_64")]
                {
                    self.wide = None;
                }
                self.full = Some(full_finder(&self.boundary));
            }
        }
        self.full.as_ref()?.find(&hay[at..]).map(|i| at + i)
    }

    /// The first place in `hay` where the pair's two bytes sit.
    fn candidate(&self, pair: &packedpair::Finder, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(w) = self.wide.as_ref().filter(|w| hay.len() >= w.min_haystack_len()) {
            return w.find_prefilter(hay);
        }
        pair.find_prefilter(hay)
    }
}

/// memmem's finder for `--boundary`.
fn full_finder(boundary: &[u8]) -> memmem::Finder<'static> {
    memmem::Finder::new(&[b"--", boundary].concat()).into_owned()
}

/// The two bytes the prefilter looks for: the boundary's last and one from
/// the middle of `--boundary`, never the leading `--` (dashes are common
/// in text). Ranking the needle's bytes by frequency (memchr's `Pair::new`)
/// costs more than it saves here: the vector check matches both bytes at
/// once, so a common byte costs little, and text crafted against the pair
/// ends in memmem. `None` for a one-byte boundary. Indices are into the
/// boundary.
fn pair_of(boundary: &[u8]) -> Option<Pair> {
    let n = boundary.len();
    let last = u8::try_from(n.checked_sub(1)?).ok()?;
    let middle = u8::try_from(n.saturating_sub(1) / 2).ok()?;
    Pair::with_indices(boundary, last, middle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_memmem_finds() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || crate::test_rng::xorshift(&mut seed);
        // Few distinct bytes, so partial matches and false candidates abound.
        const BYTES: &[u8] = b"--=_ab\n";
        for _ in 0..5_000 {
            let blen = 1 + (next() % 6) as usize;
            let boundary: Vec<u8> = (0..blen).map(|_| BYTES[(next() % BYTES.len() as u64) as usize]).collect();
            let needle = [b"--", &boundary[..]].concat();
            let mut f = Finder::new(Cow::Borrowed(&boundary));
            assert_eq!(f.len(), needle.len());
            // Several searches with one finder, as a multipart makes.
            for _ in 0..4 {
                let hlen = (next() % 200) as usize;
                let hay: Vec<u8> = (0..hlen).map(|_| BYTES[(next() % BYTES.len() as u64) as usize]).collect();
                assert_eq!(f.find(&hay), memmem::find(&hay, &needle), "{boundary:?} in {hay:?}");
            }
        }
    }

    #[test]
    fn text_crafted_against_the_prefilter_moves_to_memmem() {
        let boundary = [b"x".repeat(40), b"y".to_vec()].concat();
        let mut f = Finder::new(Cow::Borrowed(&boundary));
        let needle = [b"--", &boundary[..]].concat();
        // Each unit differs from the needle in one byte the pair does not
        // look at (its indices are into the boundary, two bytes in): every
        // one is a candidate, and none is a match.
        let p = *f.pair.as_ref().unwrap().pair();
        let k = (2..).find(|&k| k != usize::from(p.index1()) + 2 && k != usize::from(p.index2()) + 2).unwrap();
        let mut unit = needle.clone();
        unit[k] = b'z';
        let hay = unit.repeat(200);
        assert_eq!(f.find(&hay), None);
        assert!(f.pair.is_none() && f.full.is_some());
        let hit = [hay.clone(), needle].concat();
        assert_eq!(f.find(&hit), Some(hay.len()));
        // A one-byte boundary has no pair, and goes to memmem at once too.
        let short = Finder::new(Cow::Borrowed(b"x"));
        assert!(short.pair.is_none() && short.full.is_some());
        assert_eq!(Finder::new(Cow::Borrowed(b"x")).find(b"a-x --y --x"), Some(8));
        // A needle too long for the pair goes to memmem at once.
        let long = Finder::new(Cow::Borrowed(&[b'q'; 300]));
        assert!(long.pair.is_none() && long.full.is_some());
    }
}
