//! Raw bytes -> the [`Mail`](super::Mail) the extractors read.
//!
//! bouncekit's own MIME walker: header blocks split with memchr
//! ([`headers`]), multipart bodies split on their boundaries with memmem and
//! walked without recursion ([`walk`]), base64 and quoted-printable decoded
//! in [`decode`]. mail-parser is kept only where decoding is subtle and the
//! input is one header field: RFC 2047 encoded words, address lists, dates,
//! message ids, Content-Type parameters, and the charset tables.

mod boundary;
mod decode;
mod headers;
mod iso2022jp;
#[cfg(test)]
mod reference;
mod search;
mod single_byte;
mod walk;

pub(crate) use headers::{value, Field};
pub(crate) use walk::collect;
