//! Files, directories, mbox files, Maildir folders and stdin -> a stream of
//! `(source, Result<Report, Error>)`, in input order.
//!
//! A scan is a pipeline: a reader thread splits the inputs into messages
//! (an mbox with large reads and memchr) and hands them on in chunks, parse
//! threads turn chunks into reports, and the caller gets the reports in
//! input order while the next chunks are read and parsed ([`Scan::for_each`];
//! the [`Iterator`] overlaps reading with parsing but parses on the caller's
//! turn, since it cannot lend its borrowed classifier to other threads).
//!
//! Memory stays bounded whatever the mailbox size: only a bounded number of
//! chunks (and bytes) is out between the reader and the caller at any time.
//! A message over [`Limits::max_message_size`] is not kept in memory: it
//! yields an [`Error::LimitExceeded`] and the scan goes on.

mod mbox;
#[cfg(test)]
mod mbox_reference;
mod pipeline;
mod sources;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

pub use mbox::MboxReader;

use crate::message::{Limits, Report};
use crate::{Classifier, Error};
use pipeline::Shared;
use sources::{Chunk, Chunker, Sources};

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

/// One scanned message: where it came from and what it gave.
type Item = (String, Result<Report, Error>);

/// A chunk is cut at this many bytes of messages (or at the chunk size).
const CHUNK_BYTES: usize = 1 << 20;

/// How far a scan has read: a handle that stays valid while the scan runs
/// on other threads (for a progress bar).
///
/// ```
/// let scan = bouncekit::scan::scan(["tests/fixtures/arf.eml"]);
/// let progress = scan.progress();
/// assert_eq!(scan.count(), 1);
/// assert_eq!(progress.bytes_read(), std::fs::metadata("tests/fixtures/arf.eml").unwrap().len());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Bytes of message data read so far.
    pub fn bytes_read(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

enum Feed {
    NotStarted(Vec<Input>),
    /// One thread: read on the caller's turn.
    Inline(Chunker),
    /// A reader thread fills the queue.
    Threaded(Arc<Shared>),
    Done,
}

/// A scan in progress: an iterator of `(source, Result<Report, Error>)`, in
/// input order; or, faster, [`Scan::for_each`].
///
/// ```
/// use bouncekit::scan::Scan;
/// use bouncekit::{Classifier, Limits};
///
/// let classifier = Classifier::new();
/// let scan = Scan::new(["tests/fixtures/dsn-two-recipients.eml", "tests/fixtures/arf.eml"], &classifier, Limits::default());
/// let kinds: Vec<_> = scan.map(|(source, report)| (source, report.unwrap().kind.as_str())).collect();
/// assert_eq!(kinds[0], ("tests/fixtures/dsn-two-recipients.eml".to_string(), "bounce"));
/// assert_eq!(kinds[1].1, "feedback");
/// ```
pub struct Scan<'c> {
    classifier: &'c Classifier,
    limits: Limits,
    chunk_messages: usize,
    threads: usize,
    progress: Progress,
    feed: Feed,
    ready: VecDeque<Item>,
}

impl<'c> Scan<'c> {
    /// A scan of `inputs` with a classifier and limits.
    pub fn new<I: Into<Input>>(inputs: impl IntoIterator<Item = I>, classifier: &'c Classifier, limits: Limits) -> Self {
        Scan {
            classifier,
            limits,
            chunk_messages: 64,
            threads: 0,
            progress: Progress::default(),
            feed: Feed::NotStarted(inputs.into_iter().map(Into::into).collect()),
            ready: VecDeque::new(),
        }
    }

    /// How many messages go to a parse thread at a time (default 64).
    /// Smaller chunks spread a short scan over more threads; the order of
    /// the results never depends on it.
    ///
    /// ```
    /// let scan = bouncekit::scan::scan(["tests/fixtures"]).chunk_size(2);
    /// let sources: Vec<String> = scan.map(|(source, _)| source).collect();
    /// let mut sorted = sources.clone();
    /// sorted.sort();
    /// assert_eq!(sources, sorted, "a directory is read in name order");
    /// assert!(sources.len() >= 9);
    /// ```
    pub fn chunk_size(mut self, n: usize) -> Self {
        self.chunk_messages = n.max(1);
        self
    }

    /// How many threads parse: 0 (the default) means as many as rayon's
    /// pool has (`RAYON_NUM_THREADS`, else one per core); 1 runs the whole
    /// scan, reading included, on the calling thread. [`Scan::for_each`]
    /// starts that many parse threads besides the reader; the iterator,
    /// which parses on the caller's turn, spreads each chunk over rayon's
    /// pool whenever this is more than 1.
    ///
    /// ```
    /// use bouncekit::scan::Scan;
    /// use bouncekit::{Classifier, Limits};
    ///
    /// let classifier = Classifier::new();
    /// let inputs = ["tests/fixtures/arf.eml", "tests/fixtures/delivered.eml"];
    /// let one: Vec<_> = Scan::new(inputs, &classifier, Limits::default()).threads(1).collect();
    /// let mut four = Vec::new();
    /// Scan::new(inputs, &classifier, Limits::default()).threads(4).for_each(|s, r| -> Result<(), ()> {
    ///     four.push((s, r));
    ///     Ok(())
    /// }).unwrap();
    /// assert_eq!(one, four);
    /// ```
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }

    /// Bytes of message data read so far (see [`Progress`]).
    pub fn bytes_read(&self) -> u64 {
        self.progress.bytes_read()
    }

    /// A handle on [`Scan::bytes_read`] that can be read while
    /// [`Scan::for_each`] runs.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    fn thread_count(&self) -> usize {
        if self.threads == 0 {
            rayon::current_num_threads()
        } else {
            self.threads
        }
    }

    fn chunker(&self, inputs: Vec<Input>) -> Chunker {
        let sources = Sources::new(inputs, self.limits.max_message_size);
        Chunker::new(sources, self.chunk_messages, CHUNK_BYTES, Arc::clone(&self.progress.0))
    }

    /// Runs the scan to the end, calling `f` with each `(source, result)` in
    /// input order on the calling thread, while a reader thread and the
    /// parse threads work ahead. Stops at the first error `f` returns and
    /// returns it; the threads are stopped (a parse in progress finishes).
    ///
    /// ```
    /// use bouncekit::scan::Scan;
    /// use bouncekit::{Classifier, Limits};
    ///
    /// let classifier = Classifier::new();
    /// let mut recipients = Vec::new();
    /// Scan::new(["tests/fixtures/dsn-two-recipients.eml", "/no/such/file"], &classifier, Limits::default())
    ///     .for_each(|source, report| -> Result<(), std::io::Error> {
    ///         match report {
    ///             Ok(r) => recipients.extend(r.recipients.into_iter().map(|b| b.recipient)),
    ///             Err(e) => assert_eq!(source, "/no/such/file", "{e}"),
    ///         }
    ///         Ok(())
    ///     })
    ///     .unwrap();
    /// assert_eq!(recipients.len(), 2);
    /// ```
    pub fn for_each<E>(self, mut f: impl FnMut(String, Result<Report, Error>) -> Result<(), E>) -> Result<(), E> {
        self.map_for_each(|source, result| (source, result), |(source, result)| f(source, result))
    }

    /// [`Scan::for_each`] with a first step, `map`, that runs on the parse
    /// threads (in no particular order); `f` gets what `map` made, in input
    /// order, on the calling thread. Work that does not depend on order,
    /// such as rendering output rows, goes in `map`, where it runs on every
    /// core.
    ///
    /// ```
    /// use bouncekit::scan::Scan;
    /// use bouncekit::{Classifier, Limits};
    ///
    /// let classifier = Classifier::new();
    /// let mut lines = String::new();
    /// Scan::new(["tests/fixtures/dsn-two-recipients.eml", "tests/fixtures/arf.eml"], &classifier, Limits::default())
    ///     .map_for_each(
    ///         |source, report| match report {
    ///             Ok(r) => r.rows(&source).iter().map(|row| format!("{} {}\n", row.recipient, row.reason)).collect(),
    ///             Err(e) => format!("{source}: {e}\n"),
    ///         },
    ///         |text: String| -> Result<(), ()> {
    ///             lines.push_str(&text);
    ///             Ok(())
    ///         },
    ///     )
    ///     .unwrap();
    /// assert_eq!(lines.lines().count(), 3);
    /// assert!(lines.ends_with("feedback\n"));
    /// ```
    pub fn map_for_each<T: Send, E>(
        mut self,
        map: impl Fn(String, Result<Report, Error>) -> T + Sync,
        mut f: impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        let threads = self.thread_count();
        match std::mem::replace(&mut self.feed, Feed::Done) {
            Feed::NotStarted(inputs) if threads > 1 => {
                let chunker = self.chunker(inputs);
                pipeline::run(chunker, self.classifier, &self.limits, threads, pipeline::BUDGET_BYTES, &map, f)
            }
            feed => {
                // One thread, or an iteration already under way: go on with it.
                self.feed = feed;
                for (source, result) in &mut self {
                    f(map(source, result))?;
                }
                Ok(())
            }
        }
    }

    /// The next chunk to parse, and whether its budget must be released.
    fn next_chunk(&mut self) -> Option<(Chunk, Option<Arc<Shared>>)> {
        loop {
            match &mut self.feed {
                Feed::NotStarted(inputs) => {
                    let inputs = std::mem::take(inputs);
                    let chunker = self.chunker(inputs);
                    self.feed = if self.thread_count() > 1 {
                        let shared = Shared::new(8, pipeline::BUDGET_BYTES);
                        pipeline::spawn_reader(chunker, Arc::clone(&shared));
                        Feed::Threaded(shared)
                    } else {
                        Feed::Inline(chunker)
                    };
                }
                Feed::Inline(chunker) => return chunker.next_chunk().map(|c| (c, None)),
                Feed::Threaded(shared) => {
                    let shared = Arc::clone(shared);
                    return match shared.pop() {
                        Some(c) => Some((c, Some(shared))),
                        None => {
                            if shared.reader_panicked() {
                                panic!("bouncekit: the scan's reader thread panicked");
                            }
                            None
                        }
                    };
                }
                Feed::Done => return None,
            }
        }
    }
}

impl Drop for Scan<'_> {
    fn drop(&mut self) {
        if let Feed::Threaded(shared) = &self.feed {
            shared.close(); // the reader stops at its next chunk
        }
    }
}

impl Iterator for Scan<'_> {
    type Item = (String, Result<Report, Error>);
    fn next(&mut self) -> Option<Self::Item> {
        while self.ready.is_empty() {
            let Some((chunk, shared)) = self.next_chunk() else {
                self.feed = Feed::Done;
                return None;
            };
            let bytes = chunk.bytes();
            if shared.is_some() && chunk.raws.len() > 1 {
                let (classifier, limits, buf) = (self.classifier, &self.limits, &chunk.buf);
                let parsed: Vec<Item> = chunk
                    .raws
                    .into_par_iter()
                    .map(|(source, at)| (source, at.and_then(|at| crate::message::parse_with(classifier, &buf[at], limits))))
                    .collect();
                self.ready.extend(parsed);
            } else {
                self.ready.extend(pipeline::parse_chunk(chunk, self.classifier, &self.limits));
            }
            if let Some(s) = shared {
                s.release(bytes);
            }
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

    use crate::test_rng::Rng;

    /// An mbox-like stream built from the lines that matter to the splitter.
    fn stream(rng: &mut Rng) -> Vec<u8> {
        const LINES: &[&str] = &[
            "From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n",
            "From a@b Mon Jan  1 00:00:01 2024\r\n",
            "From a b 1\n",
            "From  a\tb  7\n",
            "From nobody\n",
            "From\n",
            ">From quoted 1 2\n",
            ">>From twice\n",
            ">\n",
            "\n",
            "\r\n",
            "  \n",
            "\t\r\n",
            "Subject: s\r\n",
            "body text\n",
            "\r",
        ];
        let mut out = Vec::new();
        for _ in 0..rng.below(40) {
            match rng.below(10) {
                0 => out.extend(std::iter::repeat_n(b'y', rng.below(400))),
                1 => {
                    out.extend(std::iter::repeat_n(b'z', rng.below(120)));
                    out.push(b'\n');
                }
                _ => out.extend_from_slice(LINES[rng.below(LINES.len())].as_bytes()),
            }
        }
        out
    }

    /// A reader that fails once `fail_at` bytes have been read.
    struct Failing<'a> {
        data: &'a [u8],
        pos: usize,
        fail_at: usize,
    }

    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pos >= self.fail_at {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.data.len() - self.pos).min(self.fail_at - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    /// One generated case: a stream, a message size cap, a read buffer size
    /// and, every fifth case, the byte at which reading fails.
    fn random_case(rng: &mut Rng, case: usize) -> (Vec<u8>, usize, usize, usize) {
        let data = stream(rng);
        let max = [8, 40, 100, 1000, 1 << 20][rng.below(5)];
        let capacity = [1, 3, 16, 64, 8192][rng.below(5)];
        let fail_at = if case % 5 == 0 { rng.below(data.len() + 1) } else { usize::MAX };
        (data, max, capacity, fail_at)
    }

    #[test]
    fn mbox_splits_exactly_as_the_line_reader_did() {
        use std::io::BufReader;
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut messages = 0;
        for case in 0..3000 {
            let (data, max, capacity, fail_at) = random_case(&mut rng, case);
            let reader = |d| BufReader::with_capacity(capacity, Failing { data: d, pos: 0, fail_at });
            let want: Vec<Raw> = mbox_reference::MboxReader::new(reader(&data), "m", max).collect();
            let got: Vec<Raw> = MboxReader::new(reader(&data), "m", max).collect();
            assert_eq!(got, want, "case {case}: max {max}, buffer {capacity}, fail at {fail_at}, stream {:?}", String::from_utf8_lossy(&data));
            messages += want.len();
        }
        assert!(messages > 3000, "the streams hold messages: {messages}");
    }

    #[test]
    fn mbox_messages_appended_to_one_buffer_are_the_line_readers_messages() {
        use std::io::BufReader;
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for case in 0..3000 {
            let (data, max, capacity, fail_at) = random_case(&mut rng, case);
            let reader = |d| BufReader::with_capacity(capacity, Failing { data: d, pos: 0, fail_at });
            let want: Vec<Raw> = mbox_reference::MboxReader::new(reader(&data), "m", max).collect();
            // What a chunk's buffer already holds stays; an error adds nothing.
            let mut buf = b"earlier messages".to_vec();
            let mut m = MboxReader::new(reader(&data), "m", max);
            let mut placed = Vec::new();
            while let Some(p) = m.next_into(&mut buf) {
                placed.push(p);
            }
            let got: Vec<Raw> = placed.into_iter().map(|(source, at)| (source, at.map(|at| buf[at].to_vec()))).collect();
            assert_eq!(got, want, "case {case}: max {max}, buffer {capacity}, fail at {fail_at}, stream {:?}", String::from_utf8_lossy(&data));
            let kept: usize = want.iter().filter_map(|(_, r)| r.as_ref().ok()).map(Vec::len).sum();
            assert_eq!(buf.len(), b"earlier messages".len() + kept, "case {case}");
            assert!(buf.starts_with(b"earlier messages"));
        }
    }

    #[test]
    fn chunks_hold_the_messages_of_every_input_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = Rng(0x0bad_cafe_f00d_d00d);
        let max = 300;
        for case in 0..40 {
            // Mailboxes, single messages (one over the limit, one empty), a missing file.
            let mut inputs = Vec::new();
            for i in 0..rng.below(6) + 1 {
                let path = dir.path().join(format!("{case}-{i}"));
                let data = match rng.below(4) {
                    0 => [b"From a@b Mon Jan  1 00:00:00 2024\n".as_slice(), &stream(&mut rng)].concat(),
                    1 => vec![b'x'; rng.below(2 * max)],
                    2 => Vec::new(),
                    _ => stream(&mut rng),
                };
                if rng.below(10) > 0 {
                    std::fs::write(&path, &data).unwrap();
                }
                inputs.push(path);
            }
            let want: Vec<Raw> = inputs
                .iter()
                .flat_map(|path| {
                    let name = path.display().to_string();
                    match std::fs::read(path) {
                        Err(e) => vec![(name.clone(), Err(Error::Io { path: name, message: e.to_string() }))],
                        Ok(data) if data.starts_with(b"From ") => mbox_reference::MboxReader::new(&data[..], name, max).collect(),
                        Ok(data) if data.len() > max => vec![(name, Err(Error::LimitExceeded { limit: "max_message_size", max, actual: data.len() }))],
                        Ok(data) => vec![(name, Ok(data))],
                    }
                })
                .collect();
            let (messages, bytes) = (rng.below(5) + 1, [1, 16, 200, 4096][rng.below(4)]);
            let read = Arc::new(AtomicU64::new(0));
            let mut chunker = Chunker::new(Sources::new(inputs.into_iter().map(Input::Path).collect(), max), messages, bytes, Arc::clone(&read));
            let mut got: Vec<Raw> = Vec::new();
            let mut seq = 0;
            while let Some(chunk) = chunker.next_chunk() {
                assert_eq!(chunk.seq, seq);
                assert!(chunk.raws.len() <= messages);
                seq += 1;
                got.extend(chunk.raws.into_iter().map(|(source, at)| (source, at.map(|at| chunk.buf[at].to_vec()))));
            }
            assert_eq!(got, want, "case {case}");
            let kept: usize = want.iter().filter_map(|(_, r)| r.as_ref().ok()).map(Vec::len).sum();
            assert_eq!(read.load(Ordering::Relaxed) as usize, kept);
        }
    }

    fn corpus_mbox(messages: usize) -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let mut mbox = Vec::new();
        for i in 0..messages {
            mbox.extend_from_slice(format!("From MAILER-DAEMON Mon Mar  3 10:00:00 2025 {i}\n").as_bytes());
            mbox.extend_from_slice(&std::fs::read(&files[i % files.len()]).unwrap());
            mbox.extend_from_slice(b"\n");
        }
        mbox
    }

    #[test]
    fn the_reader_waits_while_the_budget_is_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("box");
        let mbox = corpus_mbox(2000);
        std::fs::write(&path, &mbox).unwrap();
        let classifier = Classifier::new();
        let limits = Limits::default();
        let (budget, chunk_bytes) = (64 << 10, 16 << 10);
        let read = Arc::new(AtomicU64::new(0));
        let chunker = Chunker::new(Sources::new(vec![Input::Path(path)], limits.max_message_size), 8, chunk_bytes, Arc::clone(&read));
        let shared = Shared::new(1000, budget);
        let mut seen = 0usize;
        pipeline::run_with(chunker, &classifier, &limits, 2, Arc::clone(&shared), &|s, r| (s, r), |(_, r)| -> Result<(), ()> {
            r.unwrap();
            if seen == 0 {
                // The caller holds the first report: the reader must come
                // to a stop at the budget, long before the end of the box.
                let (mut waiting, mut done) = (false, false);
                while !waiting && !done {
                    std::thread::yield_now();
                    (waiting, done, _, _) = shared.watch();
                }
                assert!(!done, "the reader read the whole box ({} bytes) ahead of the caller", read.load(Ordering::Relaxed));
                let (_, _, _, out_bytes) = shared.watch();
                assert!(out_bytes <= budget, "{out_bytes} bytes out");
                // What is out, plus the chunk the reader holds.
                let ahead = read.load(Ordering::Relaxed) as usize;
                assert!(ahead <= budget + chunk_bytes + 8192, "{ahead} bytes read ahead");
            }
            seen += 1;
            Ok(())
        })
        .unwrap();
        let want: Vec<usize> = MboxReader::new(&mbox[..], "m", usize::MAX).map(|(_, r)| r.unwrap().len()).collect();
        assert_eq!(seen, want.len());
        assert_eq!(read.load(Ordering::Relaxed) as usize, want.iter().sum::<usize>(), "every byte was read in the end");
    }
}
