//! Inputs -> raw messages, in order, and raw messages -> numbered chunks.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::mbox::Placed;
use super::{Input, MboxReader};
use crate::Error;

/// Read buffer of an mbox or stdin: large reads, few system calls.
const STREAM_BUFFER: usize = 1 << 20;
/// Read buffer of a file that may be one message (most are a few KB).
const FILE_BUFFER: usize = 1 << 16;

enum Current {
    None,
    Mbox(Box<MboxReader<Box<dyn BufRead + Send>>>),
    /// A file or stdin read whole (into the buffer `next_into` was given).
    One(Placed),
}

/// The raw messages of a list of inputs, in order.
pub(super) struct Sources {
    pending: VecDeque<Input>,
    current: Current,
    max_size: usize,
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

impl Sources {
    pub(super) fn new(inputs: Vec<Input>, max_size: usize) -> Self {
        Sources { pending: inputs.into(), current: Current::None, max_size }
    }

    fn open(&mut self, input: Input, out: &mut Vec<u8>) -> io::Result<()> {
        match input {
            Input::Stdin => {
                let r: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(STREAM_BUFFER, io::stdin()));
                self.open_stream(r, "-".into(), None, out)
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
                let size = if meta.len() > FILE_BUFFER as u64 { STREAM_BUFFER } else { FILE_BUFFER };
                let r: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(size, f));
                self.open_stream(r, display(&p), Some(meta.len()), out)
            }
        }
    }

    /// Starts reading a stream: an mbox is split as it goes; anything else
    /// is one message, appended to `out` now.
    fn open_stream(&mut self, mut r: Box<dyn BufRead + Send>, name: String, len: Option<u64>, out: &mut Vec<u8>) -> io::Result<()> {
        let head = r.fill_buf()?;
        if head.starts_with(b"From ") {
            self.current = Current::Mbox(Box::new(MboxReader::new(r, name, self.max_size)));
            return Ok(());
        }
        if let Some(n) = len {
            if n as usize > self.max_size {
                self.current = Current::One((name, Err(Error::LimitExceeded { limit: "max_message_size", max: self.max_size, actual: n as usize })));
                return Ok(());
            }
        }
        let start = out.len();
        out.reserve(len.map_or(0, |n| n as usize + 1));
        let got = match (&mut r).take(self.max_size as u64 + 1).read_to_end(out) {
            Ok(got) => got,
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        };
        if got > self.max_size {
            out.truncate(start);
            // Count the rest without keeping it.
            let rest = io::copy(&mut r, &mut io::sink())? as usize;
            self.current = Current::One((name, Err(Error::LimitExceeded { limit: "max_message_size", max: self.max_size, actual: got + rest })));
        } else {
            self.current = Current::One((name, Ok(start..out.len())));
        }
        Ok(())
    }

    /// The next message, appended to `out`: where in `out` it is. A message
    /// that is an error leaves nothing in `out`.
    fn next_into(&mut self, out: &mut Vec<u8>) -> Option<Placed> {
        loop {
            match std::mem::replace(&mut self.current, Current::None) {
                Current::One(placed) => return Some(placed),
                Current::Mbox(mut m) => {
                    if let Some(placed) = m.next_into(out) {
                        self.current = Current::Mbox(m);
                        return Some(placed);
                    }
                }
                Current::None => {
                    let input = self.pending.pop_front()?;
                    let name = match &input {
                        Input::Stdin => "-".to_string(),
                        Input::Path(p) => display(p),
                    };
                    if let Err(e) = self.open(input, out) {
                        return Some((name.clone(), Err(Error::Io { path: name, message: e.to_string() })));
                    }
                }
            }
        }
    }
}

/// Raw messages in input order, numbered from 0.
pub(super) struct Chunk {
    pub seq: u64,
    /// The chunk's messages, one after another: one buffer, not one a message.
    pub buf: Vec<u8>,
    /// Each message's source and place in `buf` (or why there is none).
    pub raws: Vec<Placed>,
}

impl Chunk {
    /// Bytes of message data (what the memory budget counts).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }
}

/// Groups the raw messages of `Sources` into chunks.
pub(super) struct Chunker {
    sources: Sources,
    messages: usize,
    bytes: usize,
    seq: u64,
    /// The largest chunk so far (within reason): the next one starts with
    /// room for as much, so its buffer is seldom grown and copied.
    room: usize,
    /// Bytes of message data read so far (shared with `Progress`).
    read: Arc<AtomicU64>,
}

impl Chunker {
    /// Chunks of at most `messages` messages and about `bytes` bytes.
    pub(super) fn new(sources: Sources, messages: usize, bytes: usize, read: Arc<AtomicU64>) -> Self {
        Chunker { sources, messages: messages.max(1), bytes, seq: 0, room: 0, read }
    }

    /// The next chunk; None when the inputs are done.
    pub(super) fn next_chunk(&mut self) -> Option<Chunk> {
        let mut raws = Vec::new();
        let mut buf = Vec::with_capacity(self.room);
        while raws.len() < self.messages && buf.len() < self.bytes {
            let Some(placed) = self.sources.next_into(&mut buf) else { break };
            if placed.1.is_err() && buf.capacity() > 2 * (buf.len() + self.bytes) {
                // A message over the size limit grew the buffer before it
                // was dropped: give that room back rather than queue it.
                buf.shrink_to(buf.len() + self.bytes);
            }
            raws.push(placed);
        }
        if raws.is_empty() {
            return None;
        }
        let bytes = buf.len();
        self.room = self.room.max(bytes.min(self.bytes + self.bytes / 4));
        self.read.fetch_add(bytes as u64, Ordering::Relaxed);
        let seq = self.seq;
        self.seq += 1;
        Some(Chunk { seq, buf, raws })
    }
}
