//! One rule pattern, compiled for the only question the rules ask of it:
//! does it match in this text (from here)? A forward lazy DFA answers, and
//! the PikeVM answers the searches the lazy DFA gives up on (a Unicode word
//! boundary next to a non-ASCII byte, a cache that keeps filling up).
//!
//! A `meta::Regex` would also build the reverse automata it needs to tell
//! where a match starts: compiling those was about a third of a pattern's
//! first-use cost, and the rules never ask where.

use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use regex_automata::hybrid::dfa::{self as lazy, DFA};
use regex_automata::nfa::thompson::{self, pikevm, pikevm::PikeVM, WhichCaptures};
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::Input;

struct Engines {
    dfa: DFA,
    pike: PikeVM,
}

/// A thread's scratch space for both engines.
struct Caches {
    dfa: lazy::Cache,
    pike: pikevm::Cache,
}

type MakeCaches = Box<dyn Fn() -> Caches + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// A compiled pattern: ASCII case folded, with Unicode classes and case
/// folding or with their ASCII forms (`unicode`).
pub(super) struct Matcher {
    engines: Arc<Engines>,
    caches: Pool<Caches, MakeCaches>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher").finish_non_exhaustive()
    }
}

impl Matcher {
    pub(super) fn new(pattern: &str, unicode: bool) -> Result<Matcher, String> {
        let nfa = thompson::Compiler::new()
            .syntax(syntax::Config::new().case_insensitive(true).unicode(unicode).utf8(unicode))
            // The PikeVM needs the implicit group; it costs two states.
            .configure(thompson::Config::new().nfa_size_limit(Some(1 << 20)).shrink(false).which_captures(WhichCaptures::Implicit))
            .build(pattern)
            .map_err(|e| e.to_string())?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    // Searches the lazy DFA cannot do correctly make it quit
                    // rather than fail to build; the PikeVM takes those.
                    .unicode_word_boundary(true)
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10)),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| e.to_string())?;
        let pike = PikeVM::new_from_nfa(nfa).map_err(|e| e.to_string())?;
        let engines = Arc::new(Engines { dfa, pike });
        let make: MakeCaches = {
            let engines = Arc::clone(&engines);
            Box::new(move || Caches { dfa: engines.dfa.create_cache(), pike: engines.pike.create_cache() })
        };
        Ok(Matcher { engines, caches: Pool::new(make) })
    }

    /// Whether the pattern matches in `input` (its span, anchoring and the
    /// text around the span for look-around, as the caller set them).
    pub(super) fn is_match<'h, I: Into<Input<'h>>>(&self, input: I) -> bool {
        let input = input.into().earliest(true);
        let mut caches = self.caches.get();
        match self.engines.dfa.try_search_fwd(&mut caches.dfa, &input) {
            Ok(found) => found.is_some(),
            Err(_) => self.engines.pike.is_match(&mut caches.pike, input),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Matcher;
    use regex_automata::{Anchored, Input};

    #[test]
    fn a_unicode_word_boundary_next_to_non_ascii_text_falls_back_to_the_pikevm() {
        // The lazy DFA quits on the non-ASCII bytes; the answer must still be Unicode's.
        let m = Matcher::new(r"\bfoo\b", true).unwrap();
        assert!(m.is_match("é foo"));
        assert!(!m.is_match("éfoo"), "é is a word character, so there is no boundary before foo");
        assert!(m.is_match("FOO bar"), "case is folded");
        // ASCII form: é is not a word character there.
        let ascii = Matcher::new(r"\bfoo\b", false).unwrap();
        assert!(ascii.is_match("a-foo"));
        assert!(!ascii.is_match("afoo"));
    }

    #[test]
    fn anchored_searches_start_where_asked_and_see_the_text_before() {
        let m = Matcher::new(r"\buser unknown", false).unwrap();
        let text = "550 5.1.1 user unknown";
        assert!(m.is_match(Input::new(text).range(10..).anchored(Anchored::Yes)));
        assert!(!m.is_match(Input::new(text).range(9..).anchored(Anchored::Yes)));
        // The byte before the span counts for \b: "xuser" has no boundary at 1.
        assert!(!m.is_match(Input::new("xuser unknown").range(1..).anchored(Anchored::Yes)));
    }

    #[test]
    fn a_bad_pattern_is_an_error_and_one_matcher_serves_many_threads() {
        assert!(Matcher::new("(unclosed", true).is_err());
        let m = Matcher::new(r"mailbox (?:is )?full", true).unwrap();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        assert!(m.is_match("452 4.2.2 Mailbox is full"));
                        assert!(!m.is_match("550 5.1.1 user unknown"));
                    }
                });
            }
        });
    }
}
