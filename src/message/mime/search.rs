//! The short searches the MIME layer makes many of (a few per header
//! field, one per run of quoted-printable text).
//!
//! memchr's AVX2 searchers, made once and called directly, skip the
//! dispatch that `memchr::memchr` goes through on every call (an indirect
//! call through an atomic pointer, outside the inlined short-haystack
//! paths): on searches of a few dozen bytes that is a good part of the
//! cost. Where AVX2 is missing, memchr's own functions.

#[cfg(target_arch = "x86_64")]
use memchr::arch::x86_64::avx2::memchr as x86;

/// The searchers, copied out of a process-wide cell (a pointer).
#[derive(Clone, Copy)]
pub(crate) struct Search {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<&'static Avx2>,
}

#[cfg(target_arch = "x86_64")]
struct Avx2 {
    lf: x86::One,
    colon_or_lf: x86::Two,
    qp: x86::Three,
}

impl Search {
    pub fn get() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            static AVX2: std::sync::OnceLock<Option<Avx2>> = std::sync::OnceLock::new();
            let make = || Some(Avx2 { lf: x86::One::new(b'\n')?, colon_or_lf: x86::Two::new(b':', b'\n')?, qp: x86::Three::new(b'=', b'\n', b'\r')? });
            Search { avx2: AVX2.get_or_init(make).as_ref() }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Search {}
    }

    /// The first LF.
    #[inline]
    pub fn lf(self, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = self.avx2 {
            return s.lf.find(hay);
        }
        memchr::memchr(b'\n', hay)
    }

    /// The first colon or LF.
    #[inline]
    pub fn colon_or_lf(self, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = self.avx2 {
            return s.colon_or_lf.find(hay);
        }
        memchr::memchr2(b':', b'\n', hay)
    }

    /// The first byte quoted-printable decoding stops at: `=`, LF or CR.
    #[inline]
    pub fn qp(self, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(s) = self.avx2 {
            return s.qp.find(hay);
        }
        memchr::memchr3(b'=', b'\n', b'\r', hay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_searches_find_what_memchr_finds() {
        // Every length around the 16- and 32-byte paths, the bytes sought at
        // every place, often several of them.
        let mut seed = 0x6a09_e667_f3bc_c908u64;
        let mut next = || crate::test_rng::xorshift(&mut seed);
        let find = Search::get();
        for _ in 0..30_000 {
            let len = (next() % 140) as usize;
            let hay: Vec<u8> = (0..len).map(|_| b"a=:\n\rxyz"[(next() % 40).min(7) as usize]).collect();
            assert_eq!(find.lf(&hay), memchr::memchr(b'\n', &hay), "{hay:?}");
            assert_eq!(find.colon_or_lf(&hay), memchr::memchr2(b':', b'\n', &hay), "{hay:?}");
            assert_eq!(find.qp(&hay), memchr::memchr3(b'=', b'\n', b'\r', &hay), "{hay:?}");
        }
    }
}
