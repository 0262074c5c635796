//! The small deterministic generator the unit tests share (xorshift64*): the
//! same generated inputs on every run, so a failure names a case that repeats.

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// A number below `n` (`n` > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// One step of xorshift64 (shifts 13, 7, 17): `state` moves on and its new
/// value is returned. The byte-level tests draw their inputs so.
pub(crate) fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
