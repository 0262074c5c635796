//! The scan's threads: a reader that splits the inputs into chunks, parse
//! workers, and the caller, who gets the results in input order.
//!
//! Memory is bounded by a budget on the chunks between the reader and the
//! caller (read, queued, being parsed or parsed and waiting for their turn):
//! the reader waits while that many chunks or bytes are out. A chunk is
//! always let through when none is out, so one message larger than the
//! budget (up to the size limit) still goes.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::sources::{Chunk, Chunker};
use super::Item;
use crate::message::{parse_with, Limits};
use crate::Classifier;

/// Bytes of raw messages allowed out at once (see the module comment).
pub(super) const BUDGET_BYTES: usize = 16 << 20;

#[derive(Default)]
struct State {
    queue: VecDeque<Chunk>,
    /// Chunks and bytes taken by the reader and not yet released.
    out_chunks: usize,
    out_bytes: usize,
    reader_done: bool,
    /// The reader stopped by a panic (a bug): the caller reports it.
    reader_panicked: bool,
    /// The caller stopped (early or by a panic): everyone stops.
    closed: bool,
    /// The reader is waiting for the budget (the tests watch it).
    reader_waiting: bool,
}

/// The queue of read chunks and the memory budget, shared by all threads.
pub(super) struct Shared {
    state: Mutex<State>,
    /// Signalled when a chunk is queued, the reader ends, or the scan closes.
    work: Condvar,
    /// Signalled when a chunk is released or the scan closes.
    room: Condvar,
    max_chunks: usize,
    max_bytes: usize,
}

impl Shared {
    pub(super) fn new(max_chunks: usize, max_bytes: usize) -> Arc<Self> {
        Arc::new(Shared { state: Mutex::default(), work: Condvar::new(), room: Condvar::new(), max_chunks: max_chunks.max(1), max_bytes })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; a poisoned one is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a chunk once the budget has room; false when the scan is closed.
    fn push(&self, chunk: Chunk) -> bool {
        let mut s = self.lock();
        while !s.closed && s.out_chunks > 0 && (s.out_chunks >= self.max_chunks || s.out_bytes + chunk.bytes() > self.max_bytes) {
            s.reader_waiting = true;
            s = self.room.wait(s).unwrap_or_else(|e| e.into_inner());
            s.reader_waiting = false;
        }
        if s.closed {
            return false;
        }
        s.out_chunks += 1;
        s.out_bytes += chunk.bytes();
        s.queue.push_back(chunk);
        self.work.notify_one();
        true
    }

    /// The next queued chunk; None once the reader is done and the queue
    /// empty, or the scan is closed.
    pub(super) fn pop(&self) -> Option<Chunk> {
        let mut s = self.lock();
        loop {
            if s.closed {
                return None;
            }
            if let Some(c) = s.queue.pop_front() {
                return Some(c);
            }
            if s.reader_done {
                return None;
            }
            s = self.work.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A chunk's results have reached the caller: its budget is free again.
    pub(super) fn release(&self, bytes: usize) {
        let mut s = self.lock();
        s.out_chunks -= 1;
        s.out_bytes -= bytes;
        self.room.notify_one();
    }

    /// Stops the reader and the workers (they finish the chunk in hand).
    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.work.notify_all();
        self.room.notify_all();
    }

    pub(super) fn reader_panicked(&self) -> bool {
        self.lock().reader_panicked
    }
}

/// Marks the reader done however it ends, so no worker waits forever.
struct ReaderDone<'a>(&'a Shared);

impl Drop for ReaderDone<'_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.reader_done = true;
        s.reader_panicked = std::thread::panicking();
        self.0.work.notify_all();
    }
}

/// Starts the reader thread. It owns its inputs and is not joined: a
/// caller that stops early does not wait for a blocking read (a terminal
/// on stdin) to return; the reader stops at its next chunk.
pub(super) fn spawn_reader(chunker: Chunker, shared: Arc<Shared>) {
    // The chunker comes back through this slot if no thread can be started.
    let slot = Arc::new(Mutex::new(Some(chunker)));
    let read = |chunker: &mut Chunker, shared: &Shared| {
        let _done = ReaderDone(shared);
        while let Some(chunk) = chunker.next_chunk() {
            if !shared.push(chunk) {
                return;
            }
        }
    };
    let spawned = std::thread::Builder::new().name("bouncekit-scan-read".into()).spawn({
        let (shared, slot) = (Arc::clone(&shared), Arc::clone(&slot));
        move || {
            let taken = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(mut chunker) = taken {
                read(&mut chunker, &shared);
            }
        }
    });
    if spawned.is_err() {
        // No thread to be had: read everything now, still in order (memory
        // is then bounded by the inputs, not the budget; it only happens
        // when the system is out of threads).
        let taken = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut chunker) = taken {
            let _done = ReaderDone(&shared);
            while let Some(chunk) = chunker.next_chunk() {
                let mut s = shared.lock();
                s.out_chunks += 1;
                s.out_bytes += chunk.bytes();
                s.queue.push_back(chunk);
            }
        }
    }
}

/// Parses one chunk's messages, in order.
pub(super) fn parse_chunk(chunk: Chunk, classifier: &Classifier, limits: &Limits) -> Vec<Item> {
    let Chunk { buf, raws, .. } = chunk;
    raws.into_iter().map(|(source, at)| (source, at.and_then(|at| parse_with(classifier, &buf[at], limits)))).collect()
}

type Done<T> = (u64, usize, std::thread::Result<Vec<T>>);

/// Runs the scan on `workers` parse threads, which also apply `map` to each
/// item; `f` gets the mapped items in input order on the calling thread
/// while the next chunks are read and parsed. Stops at the first error `f`
/// returns.
pub(super) fn run<T: Send, E>(
    chunker: Chunker,
    classifier: &Classifier,
    limits: &Limits,
    workers: usize,
    max_bytes: usize,
    map: &(impl Fn(String, Result<crate::Report, crate::Error>) -> T + Sync),
    f: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    // Enough chunks out to keep every worker busy while the caller catches up.
    run_with(chunker, classifier, limits, workers, Shared::new(4 * workers + 4, max_bytes), map, f)
}

/// `run` with a given queue and budget.
pub(super) fn run_with<T: Send, E>(
    chunker: Chunker,
    classifier: &Classifier,
    limits: &Limits,
    workers: usize,
    shared: Arc<Shared>,
    map: &(impl Fn(String, Result<crate::Report, crate::Error>) -> T + Sync),
    mut f: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    spawn_reader(chunker, Arc::clone(&shared));
    let (done_tx, done_rx) = mpsc::channel::<Done<T>>();
    std::thread::scope(|scope| {
        let mut started = 0;
        for _ in 0..workers {
            let (shared, done_tx) = (&shared, done_tx.clone());
            let work = move || {
                while let Some(chunk) = shared.pop() {
                    let (seq, bytes) = (chunk.seq, chunk.bytes());
                    // A panic (a bug) must not leave the caller waiting for
                    // this chunk: it goes to the caller, who re-raises it.
                    let out = catch_unwind(AssertUnwindSafe(|| {
                        let parsed = parse_chunk(chunk, classifier, limits);
                        parsed.into_iter().map(|(source, result)| map(source, result)).collect::<Vec<T>>()
                    }));
                    if done_tx.send((seq, bytes, out)).is_err() {
                        return;
                    }
                }
            };
            // Named for profilers; if no thread can be had, the ones started do the work.
            if std::thread::Builder::new().name("bouncekit-scan-parse".into()).spawn_scoped(scope, work).is_ok() {
                started += 1;
            }
        }
        drop(done_tx);
        // Done, stopped early, or unwinding from a panic in `f`: either way
        // the reader and the workers stop, so the scope can join them.
        let _close = CloseOnDrop(&shared);
        if started == 0 {
            // Not one parse thread: parse here, chunk by chunk (they come in order).
            while let Some(chunk) = shared.pop() {
                let bytes = chunk.bytes();
                let parsed = parse_chunk(chunk, classifier, limits);
                shared.release(bytes);
                for (source, result) in parsed {
                    f(map(source, result))?;
                }
            }
            return Ok(());
        }
        deliver(&shared, done_rx, &mut f)
    })
}

/// Hands the parsed chunks to `f` in order.
fn deliver<T, E>(shared: &Shared, done_rx: mpsc::Receiver<Done<T>>, f: &mut impl FnMut(T) -> Result<(), E>) -> Result<(), E> {
    let mut waiting: BTreeMap<u64, (usize, Vec<T>)> = BTreeMap::new();
    let mut next = 0u64;
    loop {
        while let Some((bytes, items)) = waiting.remove(&next) {
            shared.release(bytes);
            next += 1;
            for item in items {
                f(item)?;
            }
        }
        match done_rx.recv() {
            Ok((seq, bytes, Ok(items))) => {
                waiting.insert(seq, (bytes, items));
            }
            Ok((_, _, Err(panic))) => {
                shared.close();
                resume_unwind(panic);
            }
            Err(_) => break, // every worker is done
        }
    }
    if shared.reader_panicked() {
        panic!("bouncekit: the scan's reader thread panicked");
    }
    debug_assert!(waiting.is_empty(), "chunks numbered without a gap");
    Ok(())
}

struct CloseOnDrop<'a>(&'a Shared);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
impl Shared {
    /// (reader waiting for the budget, reader done, chunks out, bytes out).
    pub(super) fn watch(&self) -> (bool, bool, usize, usize) {
        let s = self.lock();
        (s.reader_waiting, s.reader_done, s.out_chunks, s.out_bytes)
    }
}
