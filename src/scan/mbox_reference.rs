//! The line-at-a-time mbox splitter the scan used before `mbox.rs` (test
//! only): `mbox.rs` must split every stream exactly as this one does.

use std::io::{BufRead, Read};

use super::Raw;
use crate::Error;

pub(super) struct MboxReader<R: BufRead> {
    reader: R,
    name: String,
    max_size: usize,
    index: usize,
    line: Vec<u8>,
    /// The separator that opens the next message has been read.
    started: bool,
    done: bool,
    /// The last read stopped inside an overlong line (see `next`).
    mid_line: bool,
}

impl<R: BufRead> MboxReader<R> {
    /// A reader over an mbox stream; messages are named `name#N` (N from 1).
    pub(super) fn new(reader: R, name: impl Into<String>, max_size: usize) -> Self {
        MboxReader { reader, name: name.into(), max_size, index: 0, line: Vec::new(), started: false, done: false, mid_line: false }
    }
}

fn is_separator(line: &[u8], prev_blank: bool) -> bool {
    if !line.starts_with(b"From ") || !prev_blank {
        return false;
    }
    // `From sender date...`: at least three words and a digit (the date).
    let words = line.split(|&c| c == b' ' || c == b'\t').filter(|w| !w.is_empty() && *w != b"\r\n" && *w != b"\n").count();
    words >= 3 && line.iter().any(u8::is_ascii_digit)
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = Raw;

    fn next(&mut self) -> Option<Raw> {
        if self.done {
            return None;
        }
        let mut msg: Vec<u8> = Vec::new();
        let mut size = 0usize;
        let mut prev_blank = true;
        let mut any = false;
        loop {
            self.line.clear();
            // A line is read in pieces of at most max_size + 1 bytes, so a
            // stream with no newline cannot grow the buffer past the limit
            // (a piece that long puts its message over the limit anyway).
            let cap = self.max_size.saturating_add(1) as u64;
            let at_line_start = !self.mid_line;
            match self.reader.by_ref().take(cap).read_until(b'\n', &mut self.line) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => self.mid_line = !self.line.ends_with(b"\n"),
                Err(e) => {
                    self.done = true;
                    self.index += 1;
                    return Some((format!("{}#{}", self.name, self.index), Err(Error::Io { path: self.name.clone(), message: e.to_string() })));
                }
            }
            if at_line_start && is_separator(&self.line, prev_blank) {
                if !self.started {
                    self.started = true;
                    prev_blank = false;
                    continue;
                }
                if any {
                    break; // the separator of the next message has been consumed
                }
                prev_blank = false;
                continue;
            }
            if !self.started && !any && self.line.iter().all(|c| c.is_ascii_whitespace()) {
                continue;
            }
            self.started = true;
            any = true;
            prev_blank = at_line_start && (self.line == b"\n" || self.line == b"\r\n");
            size += self.line.len();
            if size <= self.max_size {
                // mboxrd: `>From ` -> `From `, `>>From ` -> `>From `.
                let l = &self.line[..];
                let unq = l.iter().position(|&c| c != b'>').is_some_and(|i| i > 0 && l[i..].starts_with(b"From "));
                msg.extend_from_slice(if unq { &l[1..] } else { l });
            } else if !msg.is_empty() {
                msg = Vec::new();
            }
        }
        if !any {
            return None;
        }
        self.index += 1;
        let source = format!("{}#{}", self.name, self.index);
        // The blank line before the next separator belongs to the mbox, not the message.
        if msg.ends_with(b"\r\n\r\n") {
            msg.truncate(msg.len() - 2);
        } else if msg.ends_with(b"\n\n") {
            msg.pop();
        }
        if size > self.max_size {
            return Some((source, Err(Error::LimitExceeded { limit: "max_message_size", max: self.max_size, actual: size })));
        }
        Some((source, Ok(msg)))
    }
}

