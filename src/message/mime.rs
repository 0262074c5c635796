//! The calls into mail-parser, guarded against hostile input.
//!
//! - mail-parser 0.11 has a `debug_assert!` that crafted MIME structure
//!   reaches (a `message/rfc822` part inside a headers-only message inside
//!   a multipart): builds with debug assertions panic there. The call is
//!   made under `catch_unwind`, and such input is "not a message".
//! - It builds one `Message` inside another for each `message/*` level, and
//!   Rust's drop of such a tree recurses once per level: a message 10,000
//!   levels deep overflows the stack while being freed. So the depth is
//!   measured with a heap stack, and the tree is taken apart level by level
//!   before it is dropped.

use std::borrow::Cow;
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};

use mail_parser::{HeaderName, Message, MessageParser, PartType};

/// The MIME parser, built once: it parses the headers bouncekit reads into
/// structured values and skips `Received:` (the costliest to parse, and
/// never read); every other header stays raw text.
fn mime_parser() -> &'static MessageParser {
    static P: std::sync::OnceLock<MessageParser> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        MessageParser::new()
            .with_mime_headers()
            .with_date_headers()
            .with_address_headers()
            .with_message_ids()
            .header_text(HeaderName::Subject)
            .header_text(HeaderName::Comments)
            .ignore_header(HeaderName::Received)
    })
}

/// Parses a whole message; `None` when it is not one (or trips the parser).
pub(crate) fn parse(raw: &[u8]) -> Option<Flat<'_>> {
    catch_unwind(AssertUnwindSafe(|| mime_parser().parse(raw))).ok().flatten().map(Flat)
}

/// Parses a header block only; `None` when there is none.
pub(crate) fn parse_headers(raw: &[u8]) -> Option<Flat<'_>> {
    catch_unwind(AssertUnwindSafe(|| mime_parser().parse_headers(raw))).ok().flatten().map(Flat)
}

/// How many `message/*` levels sit below `msg` (0 for a flat message).
pub(crate) fn depth(msg: &Message<'_>) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(msg, 0usize)];
    while let Some((m, d)) = stack.pop() {
        deepest = deepest.max(d);
        for p in &m.parts {
            if let PartType::Message(inner) = &p.body {
                stack.push((inner, d + 1));
            }
        }
    }
    deepest
}

/// A parsed message whose drop takes nested messages apart one level at a
/// time, on the heap, instead of recursing.
pub(crate) struct Flat<'x>(pub(crate) Message<'x>);

impl<'x> Deref for Flat<'x> {
    type Target = Message<'x>;

    fn deref(&self) -> &Message<'x> {
        &self.0
    }
}

impl Drop for Flat<'_> {
    fn drop(&mut self) {
        let mut pending: Vec<Message<'_>> = Vec::new();
        detach(&mut self.0, &mut pending);
        // Each message popped has had its children moved out, so its own drop is shallow.
        while let Some(mut m) = pending.pop() {
            detach(&mut m, &mut pending);
        }
    }
}

/// Moves the messages nested directly in `m` onto `out`.
fn detach<'x>(m: &mut Message<'x>, out: &mut Vec<Message<'x>>) {
    for p in &mut m.parts {
        if matches!(p.body, PartType::Message(_)) {
            if let PartType::Message(inner) = std::mem::replace(&mut p.body, PartType::Text(Cow::Borrowed(""))) {
                out.push(inner);
            }
        }
    }
}
