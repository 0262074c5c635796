//! Splitting an mbox stream into messages.
//!
//! Lines are found with memchr in the reader's own buffer and copied from
//! there; only a line that runs past the end of the buffer is gathered in a
//! side buffer. A line is taken in pieces of at most `max_size + 1` bytes, so
//! a stream with no newline cannot grow memory past the limit (a piece that
//! long puts its message over the limit anyway).

use std::io::{self, BufRead};
use std::ops::Range;

use super::Raw;
use crate::Error;

/// A message's place in a buffer, and where it came from.
pub(super) type Placed = (String, Result<Range<usize>, Error>);

/// Splits an mbox stream into messages, one at a time.
///
/// A separator is a line starting with `From ` that opens the stream or
/// follows a blank line and looks like an envelope line (`From addr date`).
/// `>From ` lines (mboxrd quoting) lose one `>`.
///
/// ```
/// use bouncekit::scan::MboxReader;
///
/// let mbox = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n\nFrom c@d Mon Jan  1 00:00:01 2024\nSubject: two\n\nx\n";
/// let msgs: Vec<_> = MboxReader::new(&mbox[..], "box", 1 << 20).collect();
/// assert_eq!(msgs.len(), 2);
/// assert_eq!(msgs[0].0, "box#1");
/// assert_eq!(msgs[0].1.as_deref().unwrap(), b"Subject: one\n\nFrom here\n");
/// assert_eq!(msgs[1].1.as_deref().unwrap(), b"Subject: two\n\nx\n");
/// ```
pub struct MboxReader<R: BufRead> {
    reader: R,
    name: String,
    max_size: usize,
    index: usize,
    /// A line (or piece) that ran past the end of the reader's buffer.
    spill: Vec<u8>,
    /// The separator that opens the next message has been read.
    started: bool,
    done: bool,
    /// The last piece ended inside an overlong line.
    mid_line: bool,
    /// The size of the last message: the next one starts with room for it.
    last_len: usize,
    from_finder: memchr::memmem::Finder<'static>,
}

impl<R: BufRead> MboxReader<R> {
    /// A reader over an mbox stream; messages are named `name#N` (N from 1).
    pub fn new(reader: R, name: impl Into<String>, max_size: usize) -> Self {
        MboxReader {
            reader,
            name: name.into(),
            max_size,
            index: 0,
            spill: Vec::new(),
            started: false,
            done: false,
            mid_line: false,
            last_len: 0,
            from_finder: memchr::memmem::Finder::new(b"From ").into_owned(),
        }
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

/// Whether the last line of `lines` (whole lines, from a line start) is
/// `\n` or `\r\n`.
fn ends_with_blank_line(lines: &[u8]) -> bool {
    matches!(lines, [b'\n'] | [b'\r', b'\n'] | [.., b'\n', b'\n'] | [.., b'\n', b'\r', b'\n'])
}

/// The next line of a buffer that starts with `From ` or `>`s and `From `
/// (a separator or a quoted one), searched for once and then remembered
/// until the scan passes it. `From ` is rare in mail (the header is
/// `From:`), so one substring search finds both.
#[derive(Default)]
struct Interesting {
    /// The index of the `\n` before that line; `Some(None)`: there is none.
    next: Option<Option<usize>>,
}

impl Interesting {
    /// The index of the `\n` before the next such line in `buf[pos..end]`,
    /// `pos` being a line start that is not one.
    fn after(&mut self, finder: &memchr::memmem::Finder<'_>, buf: &[u8], pos: usize, end: usize) -> Option<usize> {
        match self.next {
            Some(Some(i)) if i >= pos => return Some(i),
            Some(None) => return None,
            _ => {}
        }
        let mut at = pos;
        let found = loop {
            let Some(h) = finder.find(&buf[at..end]).map(|h| at + h) else { break None };
            let start = h - buf[pos..h].iter().rev().take_while(|&&c| c == b'>').count();
            if start > pos && buf[start - 1] == b'\n' {
                break Some(start - 1);
            }
            at = h + 1;
        };
        self.next = Some(found);
        found
    }
}

/// What one line does to the message being gathered.
enum Step {
    /// Part of the message (or skipped before it): go on.
    More,
    /// The separator of the next message: this one is complete.
    End,
}

/// The state of one message being gathered: its bytes go to the end of
/// `out`, from `start` on.
struct Gather<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    size: usize,
    prev_blank: bool,
    any: bool,
}

impl Gather<'_> {
    /// Takes one line (or piece) of the stream; `at_line_start` is false for
    /// the second and later pieces of an overlong line.
    fn line(&mut self, line: &[u8], at_line_start: bool, started: &mut bool, max_size: usize) -> Step {
        if at_line_start && line.first() == Some(&b'F') && is_separator(line, self.prev_blank) {
            if !*started {
                *started = true;
                self.prev_blank = false;
                return Step::More;
            }
            if self.any {
                return Step::End; // the separator of the next message has been consumed
            }
            self.prev_blank = false;
            return Step::More;
        }
        if !*started && !self.any && line.iter().all(|c| c.is_ascii_whitespace()) {
            return Step::More;
        }
        *started = true;
        self.any = true;
        self.prev_blank = at_line_start && (line == b"\n" || line == b"\r\n");
        self.size += line.len();
        if self.size <= max_size {
            // mboxrd: `>From ` -> `From `, `>>From ` -> `>From `.
            let unq = line.first() == Some(&b'>') && line.iter().position(|&c| c != b'>').is_some_and(|i| line[i..].starts_with(b"From "));
            self.out.extend_from_slice(if unq { &line[1..] } else { line });
        } else if self.out.len() > self.start {
            self.out.truncate(self.start);
        }
        Step::More
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = Raw;

    fn next(&mut self) -> Option<Raw> {
        let mut msg = Vec::with_capacity(self.last_len.min(1 << 20));
        let (source, placed) = self.next_into(&mut msg)?;
        Some((source, placed.map(|at| {
            self.last_len = at.len();
            msg
        })))
    }
}

impl<R: BufRead> MboxReader<R> {
    /// The next message, appended to `out`: where in `out` it is. A message
    /// that is an error leaves `out` as it was (its length; not its
    /// capacity). The scan gathers a chunk's messages in one buffer so.
    pub(super) fn next_into(&mut self, out: &mut Vec<u8>) -> Option<Placed> {
        let start = out.len();
        let placed = self.gather(out);
        if !matches!(placed, Some((_, Ok(_)))) {
            out.truncate(start);
        }
        placed
    }

    fn gather(&mut self, out: &mut Vec<u8>) -> Option<Placed> {
        if self.done {
            return None;
        }
        let start = out.len();
        let mut g = Gather { out, start, size: 0, prev_blank: true, any: false };
        let cap = self.max_size.saturating_add(1);
        'lines: loop {
            let at_line_start = !self.mid_line;
            // The next line, from the reader's buffer when it is all there.
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(self.fail_placed(e)),
            };
            if buf.is_empty() {
                self.done = true;
                break;
            }
            if !self.mid_line {
                // Every whole line in the buffer, in one pass. A body line
                // that cannot open, end or unquote anything (the most of
                // them) is only counted; runs of them are copied at once.
                let (mut pos, mut run, mut end) = (0usize, 0usize, false);
                // Where the last whole line ends; with no line longer than a
                // piece possible in this buffer, lines that start with
                // neither `From ` nor `>` are skipped without finding each
                // line's end.
                let whole = if cap > buf.len() { memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1) } else { 0 };
                let mut next = Interesting::default();
                loop {
                    if g.any && pos < whole && !matches!(buf[pos], b'F' | b'>') {
                        // The next line that may matter, or the end of the whole lines.
                        let q = next.after(&self.from_finder, buf, pos, whole).map_or(whole, |i| i + 1);
                        if q > pos && g.size + (q - pos) <= self.max_size {
                            g.size += q - pos;
                            // Only the last skipped line can be a blank one before a separator.
                            g.prev_blank = ends_with_blank_line(&buf[pos..q]);
                            pos = q;
                            continue;
                        }
                    }
                    let Some(i) = memchr::memchr(b'\n', &buf[pos..buf.len().min(pos.saturating_add(cap))]) else { break };
                    let line = &buf[pos..=pos + i];
                    if g.any && !matches!(line[0], b'F' | b'>' | b'\n' | b'\r') && g.size + line.len() <= self.max_size {
                        g.size += line.len();
                        g.prev_blank = false;
                        pos += i + 1;
                        continue;
                    }
                    g.out.extend_from_slice(&buf[run..pos]);
                    let step = g.line(line, true, &mut self.started, self.max_size);
                    pos += i + 1;
                    run = pos;
                    if let Step::End = step {
                        end = true;
                        break;
                    }
                }
                g.out.extend_from_slice(&buf[run..pos]);
                self.reader.consume(pos);
                if end {
                    break;
                }
                if pos > 0 {
                    continue;
                }
                // The next line does not end in the buffer: one piece at a time.
            }
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(self.fail_placed(e)),
            };
            let window = &buf[..buf.len().min(cap)];
            if let Some(i) = memchr::memchr(b'\n', window) {
                self.mid_line = false;
                let step = g.line(&window[..=i], at_line_start, &mut self.started, self.max_size);
                self.reader.consume(i + 1);
                match step {
                    Step::More => continue,
                    Step::End => break,
                }
            }
            if window.len() == cap {
                // A piece of an overlong line.
                self.mid_line = true;
                let step = g.line(window, at_line_start, &mut self.started, self.max_size);
                self.reader.consume(cap);
                match step {
                    Step::More => continue,
                    Step::End => break,
                }
            }
            // The line runs past the buffer: gather it in `spill`.
            self.spill.clear();
            loop {
                let buf = match self.reader.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Some(self.fail_placed(e)),
                };
                if buf.is_empty() {
                    // The stream ends inside the line: it is the last piece.
                    self.mid_line = true;
                    break;
                }
                let room = cap - self.spill.len();
                let window = &buf[..buf.len().min(room)];
                if let Some(i) = memchr::memchr(b'\n', window) {
                    self.spill.extend_from_slice(&window[..=i]);
                    self.reader.consume(i + 1);
                    self.mid_line = false;
                    break;
                }
                let n = window.len();
                self.spill.extend_from_slice(window);
                self.reader.consume(n);
                if self.spill.len() == cap {
                    self.mid_line = true;
                    break;
                }
            }
            let spill = std::mem::take(&mut self.spill);
            let step = g.line(&spill, at_line_start, &mut self.started, self.max_size);
            self.spill = spill;
            if let Step::End = step {
                break 'lines;
            }
        }
        if self.spill.capacity() > 1 << 16 {
            self.spill = Vec::new(); // do not keep a long line's buffer
        }
        if !g.any {
            return None;
        }
        self.index += 1;
        let source = self.source_name();
        let (out, size) = (g.out, g.size);
        // The blank line before the next separator belongs to the mbox, not the message.
        if out[start..].ends_with(b"\r\n\r\n") {
            out.truncate(out.len() - 2);
        } else if out[start..].ends_with(b"\n\n") {
            out.pop();
        }
        if size > self.max_size {
            return Some((source, Err(Error::LimitExceeded { limit: "max_message_size", max: self.max_size, actual: size })));
        }
        Some((source, Ok(start..out.len())))
    }

    /// `name#N` for the current message, without the formatting machinery
    /// (a seventh of the splitting's instructions went to `format!`).
    fn source_name(&self) -> String {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(self.index);
        let mut s = String::with_capacity(self.name.len() + 1 + digits.len());
        s.push_str(&self.name);
        s.push('#');
        s.push_str(digits);
        s
    }

    /// A read error ends the stream; it is reported as the next message.
    fn fail_placed(&mut self, e: io::Error) -> Placed {
        self.done = true;
        self.index += 1;
        (self.source_name(), Err(Error::Io { path: self.name.clone(), message: e.to_string() }))
    }
}
