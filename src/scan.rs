//! Files, directories, mbox files, Maildir folders and stdin -> a stream of
//! `(source, Result<Report, Error>)`, in input order.
//!
//! Memory stays bounded whatever the mailbox size: an mbox is read line by
//! line and split on its `From ` separator lines, messages are parsed in
//! chunks (in parallel with rayon, order preserved), and only one chunk is
//! held at a time. A message over [`Limits::max_message_size`] is not kept in
//! memory: it yields an [`Error::LimitExceeded`] and the scan goes on.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::message::{parse_with, Limits, Report};
use crate::{Classifier, Error};

/// Where to read messages from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file (one message, or an mbox), or a directory (recursive; Maildir's
    /// `cur/` and `new/` are read, `tmp/` is skipped).
    Path(PathBuf),
    /// Standard input (one message, or an mbox).
    Stdin,
}

impl From<&str> for Input {
    fn from(s: &str) -> Self {
        if s == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(s))
        }
    }
}

impl From<PathBuf> for Input {
    fn from(p: PathBuf) -> Self {
        Input::Path(p)
    }
}

impl From<&Path> for Input {
    fn from(p: &Path) -> Self {
        Input::Path(p.to_path_buf())
    }
}

/// One raw message and where it came from.
type Raw = (String, Result<Vec<u8>, Error>);

/// Splits an mbox stream into messages, one at a time.
///
/// A separator is a line starting with `From ` that opens the stream or
/// follows a blank line and looks like an envelope line (`From addr date`).
/// `>From ` lines (mboxrd quoting) lose one `>`.
pub struct MboxReader<R: BufRead> {
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
    pub fn new(reader: R, name: impl Into<String>, max_size: usize) -> Self {
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

enum Current {
    None,
    Mbox(MboxReader<Box<dyn BufRead + Send>>),
    One(Raw),
}

/// The raw messages of a list of inputs, in order.
struct Sources {
    pending: VecDeque<Input>,
    current: Current,
    max_size: usize,
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

impl Sources {
    fn open(&mut self, input: Input) -> io::Result<()> {
        match input {
            Input::Stdin => {
                let r: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(1 << 16, io::stdin()));
                self.open_stream(r, "-".into(), None)
            }
            Input::Path(p) => {
                let meta = std::fs::metadata(&p)?;
                if meta.is_dir() {
                    let mut entries: Vec<PathBuf> = std::fs::read_dir(&p)?
                        .filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|q| {
                            let name = q.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                            // Hidden files and Maildir's tmp/ (messages being written) are skipped.
                            !(name.starts_with('.') || name == "tmp" && p.join("cur").is_dir())
                        })
                        .collect();
                    entries.sort();
                    for e in entries.into_iter().rev() {
                        self.pending.push_front(Input::Path(e));
                    }
                    return Ok(());
                }
                let f = File::open(&p)?;
                let r: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(1 << 16, f));
                self.open_stream(r, display(&p), Some(meta.len()))
            }
        }
    }

    fn open_stream(&mut self, mut r: Box<dyn BufRead + Send>, name: String, len: Option<u64>) -> io::Result<()> {
        let head = r.fill_buf()?;
        if head.starts_with(b"From ") {
            self.current = Current::Mbox(MboxReader::new(r, name, self.max_size));
            return Ok(());
        }
        if let Some(n) = len {
            if n as usize > self.max_size {
                self.current = Current::One((name, Err(Error::LimitExceeded { limit: "max_message_size", max: self.max_size, actual: n as usize })));
                return Ok(());
            }
        }
        let mut buf = Vec::new();
        let got = (&mut r).take(self.max_size as u64 + 1).read_to_end(&mut buf)?;
        if got > self.max_size {
            // Count the rest without keeping it.
            let rest = io::copy(&mut r, &mut io::sink())? as usize;
            self.current = Current::One((name, Err(Error::LimitExceeded { limit: "max_message_size", max: self.max_size, actual: got + rest })));
        } else {
            self.current = Current::One((name, Ok(buf)));
        }
        Ok(())
    }
}

impl Iterator for Sources {
    type Item = Raw;
    fn next(&mut self) -> Option<Raw> {
        loop {
            match std::mem::replace(&mut self.current, Current::None) {
                Current::One(raw) => return Some(raw),
                Current::Mbox(mut m) => {
                    if let Some(raw) = m.next() {
                        self.current = Current::Mbox(m);
                        return Some(raw);
                    }
                }
                Current::None => {
                    let input = self.pending.pop_front()?;
                    let name = match &input {
                        Input::Stdin => "-".to_string(),
                        Input::Path(p) => display(p),
                    };
                    if let Err(e) = self.open(input) {
                        return Some((name.clone(), Err(Error::Io { path: name, message: e.to_string() })));
                    }
                }
            }
        }
    }
}

/// A scan in progress: an iterator of `(source, Result<Report, Error>)`.
pub struct Scan<'c> {
    sources: Sources,
    classifier: &'c Classifier,
    limits: Limits,
    ready: VecDeque<(String, Result<Report, Error>)>,
    chunk_messages: usize,
    chunk_bytes: usize,
    /// Bytes of messages handed out so far.
    bytes: u64,
}

impl<'c> Scan<'c> {
    /// A scan of `inputs` with a classifier and limits.
    pub fn new<I: Into<Input>>(inputs: impl IntoIterator<Item = I>, classifier: &'c Classifier, limits: Limits) -> Self {
        let max_size = limits.max_message_size;
        Scan {
            sources: Sources { pending: inputs.into_iter().map(Into::into).collect(), current: Current::None, max_size },
            classifier,
            limits,
            ready: VecDeque::new(),
            chunk_messages: 512,
            chunk_bytes: 64 << 20,
            bytes: 0,
        }
    }

    /// How many messages to parse together (default 512; 1 disables parallelism).
    pub fn chunk_size(mut self, n: usize) -> Self {
        self.chunk_messages = n.max(1);
        self
    }

    /// Bytes of message data read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn fill(&mut self) {
        let mut batch: Vec<Raw> = Vec::new();
        let mut bytes = 0usize;
        while batch.len() < self.chunk_messages && bytes < self.chunk_bytes {
            let Some(raw) = self.sources.next() else { break };
            if let Ok(b) = &raw.1 {
                bytes += b.len();
            }
            batch.push(raw);
        }
        self.bytes += bytes as u64;
        let (classifier, limits) = (self.classifier, &self.limits);
        let work = |(source, raw): Raw| {
            let result = raw.and_then(|b| parse_with(classifier, &b, limits));
            (source, result)
        };
        if batch.len() > 1 {
            let out: Vec<_> = batch.into_par_iter().map(work).collect();
            self.ready.extend(out);
        } else {
            self.ready.extend(batch.into_iter().map(work));
        }
    }
}

impl Iterator for Scan<'_> {
    type Item = (String, Result<Report, Error>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty() {
            self.fill();
        }
        self.ready.pop_front()
    }
}

/// Scans inputs with the built-in rules and default limits.
///
/// ```no_run
/// for (source, report) in bouncekit::scan::scan(["/var/mail/bounces"]) {
///     println!("{source}: {:?}", report.map(|r| r.kind));
/// }
/// ```
pub fn scan<I: Into<Input>>(inputs: impl IntoIterator<Item = I>) -> Scan<'static> {
    Scan::new(inputs, crate::classify::default_classifier(), Limits::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        MboxReader::new(s.as_bytes(), "m", 1 << 20).map(|(_, r)| String::from_utf8(r.unwrap()).unwrap()).collect()
    }

    #[test]
    fn mbox_split_and_unquote() {
        let m = "From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\nFrom here on, text\n>From quoted\n\nFrom c@d Mon Jan  1 00:00:01 2024\nSubject: two\n\nx\n";
        let v = split(m);
        assert_eq!(v.len(), 2);
        assert!(v[0].contains("From here on, text\nFrom quoted\n"), "{:?}", v[0]);
        assert!(v[1].starts_with("Subject: two"));
    }

    #[test]
    fn mbox_oversize_message_is_an_error_and_the_rest_goes_on() {
        let big = "x".repeat(300);
        let m = format!("From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n{big}\n\nFrom c@d Mon Jan  1 00:00:01 2024\nSubject: two\n\nx\n");
        let v: Vec<_> = MboxReader::new(m.as_bytes(), "m", 100).collect();
        assert!(matches!(v[0].1, Err(Error::LimitExceeded { .. })));
        assert!(v[1].1.is_ok());
        assert_eq!(v[1].0, "m#2");
    }
}
