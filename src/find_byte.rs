//! Finding the first byte of a kind eight bytes at a time (SWAR): one word
//! test a step where a byte loop takes eight compares and branches. Most
//! bytes of a diagnostic are letters, so these searches mostly skip.

/// Bytes in each lane of a word.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);

/// The index of the first byte of `b` at or after `from` that is in
/// `lo..=hi` (both below 0x80), or `None`.
///
/// Each lane is tested on its own (the lanes' top bits are masked off
/// before any arithmetic, so no carry crosses a lane): the lowest flagged
/// lane is the first such byte.
#[inline]
pub(crate) fn first_in_range(b: &[u8], from: usize, lo: u8, hi: u8) -> Option<usize> {
    debug_assert!(lo <= hi && hi < 0x80);
    let rest = b.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    // A lane is flagged when lo <= byte <= hi: (byte & 0x7f) + (0x80 - lo)
    // has its top bit set when byte & 0x7f >= lo, (0x80 + hi) - (byte & 0x7f)
    // when byte & 0x7f <= hi, and !byte when the byte is below 0x80. No sum
    // leaves its lane (each stays within 0..=0xff).
    let above = ONES * (0x80 - u64::from(lo));
    let below = ONES * (0x80 + u64::from(hi));
    for c in &mut chunks {
        let x = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let low = x & LOWS;
        let hit = (low + above) & (below - low) & !x & HIGHS;
        if hit != 0 {
            return Some(at + (hit.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks.remainder().iter().position(|&c| (lo..=hi).contains(&c)).map(|n| at + n)
}

/// The index of the first ASCII whitespace byte (`\t \n \x0c \r` or space)
/// of `b` at or after `from`, or `b.len()`.
#[inline]
pub(crate) fn next_whitespace(b: &[u8], from: usize) -> usize {
    let mut i = from;
    // Every whitespace byte is at most a space: find those, then look closer
    // (other control bytes are rare).
    while let Some(j) = first_in_range(b, i, 0, b' ') {
        if b[j].is_ascii_whitespace() {
            return j;
        }
        i = j + 1;
    }
    b.len()
}

/// The index of the first byte of `b` at or after `from` that is not ASCII
/// (0x80 or above), or `b.len()`: eight bytes at a time, then one by one.
#[inline]
pub(crate) fn first_non_ascii(b: &[u8], from: usize) -> usize {
    let Some(rest) = b.get(from..) else { return b.len() };
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    for c in &mut chunks {
        let high = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) & HIGHS;
        if high != 0 {
            return at + (high.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    chunks.remainder().iter().position(|&c| c >= 0x80).map_or(b.len(), |n| at + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every range, every start, on text with bytes of all values (the
    /// ones at and around the range edges and lane boundaries above all):
    /// what a byte loop finds.
    #[test]
    fn finds_what_a_byte_loop_finds() {
        let bytes: Vec<u8> = (0..=255u8).chain([b'2', b'5', b'1', b'6', 0x80, 0xb2, b' ', b'\t']).collect();
        // Texts of every length to 40 built from a mixing walk over the bytes.
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let mut seed = 7usize;
        for len in 0..40 {
            for _ in 0..30 {
                texts.push(
                    (0..len)
                        .map(|_| {
                            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                            bytes[(seed >> 33) % bytes.len()]
                        })
                        .collect(),
                );
            }
        }
        texts.push(b"abcdefghijklmnop5".to_vec());
        texts.push(b"abcdefg\xff\xb3abcdefg1".to_vec());
        let mut hits = 0;
        for t in &texts {
            for (lo, hi) in [(b'2', b'5'), (0, b' '), (b'0', b'9'), (0x7f, 0x7f), (0, 0), (b'a', b'a')] {
                for from in 0..=t.len() + 1 {
                    let want = t.get(from..).and_then(|r| r.iter().position(|c| (lo..=hi).contains(c)).map(|n| from + n));
                    assert_eq!(first_in_range(t, from, lo, hi), want, "{t:?} {lo}..={hi} from {from}");
                    hits += usize::from(want.is_some());
                }
            }
            for from in 0..=t.len() {
                let want = t[from..].iter().position(u8::is_ascii_whitespace).map_or(t.len(), |n| from + n);
                assert_eq!(next_whitespace(t, from), want, "{t:?} from {from}");
                let want = t[from..].iter().position(|&c| c >= 0x80).map_or(t.len(), |n| from + n);
                assert_eq!(first_non_ascii(t, from), want, "{t:?} from {from}");
            }
            assert_eq!(first_non_ascii(t, t.len() + 1), t.len());
        }
        assert!(hits > 10_000, "{hits}");
    }

    #[test]
    fn the_first_byte_up_to_a_space_or_not_ascii_is_found_by_every_byte_and_neighbour() {
        // Every byte value at every place of a 20-byte text, next to each
        // other byte value before it (a borrow comes from a lower byte).
        for v in 0..=255u8 {
            for w in [0x00, 0x20, 0x21, 0x7f, 0x80, 0xff] {
                for at in 0..20 {
                    let mut b = [b'x'; 20];
                    b[at] = v;
                    if at > 0 {
                        b[at - 1] = w;
                    }
                    for from in 0..=b.len() {
                        let naive = (from..b.len()).find(|&k| b[k] <= 0x20).unwrap_or(b.len());
                        assert_eq!(first_in_range(&b, from, 0, b' ').unwrap_or(b.len()), naive, "{b:?} {from}");
                        let naive = (from..b.len()).find(|&k| b[k] >= 0x80).unwrap_or(b.len());
                        assert_eq!(first_non_ascii(&b, from), naive, "{b:?} {from}");
                    }
                }
            }
        }
    }
}
