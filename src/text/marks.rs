//! What makes a text need normalising, as byte strings the rules' key scan
//! can look for. Shared with `build.rs` (through `#[path]`), which builds
//! the built-in rules' key automaton with these among its keys.

/// The line breaks and tab, each a reason to copy.
pub(crate) const BREAKS: &[u8] = b"\n\r\t";

/// Byte strings one of which occurs in a text exactly when
/// [`normalize_diagnostic`](crate::normalize_diagnostic) copies it: a line
/// break or tab ([`BREAKS`]), a double space, a continuation prefix after a
/// space (` 550-`). The rules' key scan looks for these with the rule keys,
/// so a text that needs no copy is not searched for them a second time.
pub(crate) fn copy_marks() -> impl Iterator<Item = Vec<u8>> {
    let prefixes = (b'2'..=b'5').flat_map(|a| (b'0'..=b'9').flat_map(move |b| (b'0'..=b'9').map(move |c| vec![b' ', a, b, c, b'-'])));
    BREAKS.iter().map(|&b| vec![b]).chain(std::iter::once(b"  ".to_vec())).chain(prefixes)
}
