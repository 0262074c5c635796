//! Running a batch on the calling thread plus the pool's idle threads.
//!
//! `par_iter` from a Python thread hands the whole batch to rayon's workers
//! and blocks until they finish; on a busy machine a worker that is not
//! scheduled holds the caller up, so a batch could run slower than a loop
//! of single calls. Here the caller works through the batch itself, in
//! chunks taken from a shared counter, and pool threads that start in time
//! take chunks too. The caller only ever waits for chunks already being
//! worked on, never for a helper that has not started: a late one finds no
//! chunk left and exits without touching the inputs, which the caller gets
//! back (to drop them where it likes, e.g. Arrow buffers under the GIL).
//! With `RAYON_NUM_THREADS=1` the whole batch runs on the calling thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

/// What one chunk came back as: its results, or the panic that ended it.
type Slot<T> = Option<Result<Vec<T>, ()>>;

struct Shared<I, T, F> {
    /// Taken back by the caller once every chunk is done.
    items: RwLock<Option<I>>,
    len: usize,
    chunk: usize,
    f: F,
    next: AtomicUsize,
    done: Mutex<(usize, Vec<Slot<T>>)>,
    finished: Condvar,
}

impl<I, T, F> Shared<I, T, F>
where
    F: Fn(&I, usize) -> T,
{
    fn chunks(&self) -> usize {
        self.len.div_ceil(self.chunk)
    }

    /// Takes chunks until none is left.
    fn work(&self) {
        loop {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            if k >= self.chunks() {
                return;
            }
            let range = k * self.chunk..((k + 1) * self.chunk).min(self.len);
            // A panic in the core must not leave the caller waiting forever:
            // it is caught here and reported as an error for the batch.
            let out = catch_unwind(AssertUnwindSafe(|| {
                let items = self.items.read().unwrap_or_else(|e| e.into_inner());
                let items = items
                    .as_ref()
                    .expect("inputs are there until every chunk is done");
                range.map(|i| (self.f)(items, i)).collect::<Vec<T>>()
            }))
            .map_err(|_| ());
            let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
            done.1[k] = Some(out);
            done.0 += 1;
            if done.0 == self.chunks() {
                self.finished.notify_all();
            }
        }
    }
}

/// `f(&items, i)` for every `i` in `0..len`, in order, on the calling
/// thread and the idle threads of rayon's pool, `chunk` indices at a time.
/// Returns the results and `items` back; `Err` when `f` panicked.
pub fn map<I, T, F>(items: I, len: usize, chunk: usize, f: F) -> (Result<Vec<T>, &'static str>, I)
where
    I: Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(&I, usize) -> T + Send + Sync + 'static,
{
    let chunk = chunk.max(1);
    let shared = Arc::new(Shared {
        items: RwLock::new(Some(items)),
        len,
        chunk,
        f,
        next: AtomicUsize::new(0),
        done: Mutex::new((0, (0..len.div_ceil(chunk)).map(|_| None).collect())),
        finished: Condvar::new(),
    });
    let helpers = rayon::current_num_threads()
        .saturating_sub(1)
        .min(shared.chunks().saturating_sub(1));
    for _ in 0..helpers {
        let s = Arc::clone(&shared);
        rayon::spawn(move || s.work());
    }
    shared.work();
    let mut done = shared.done.lock().unwrap_or_else(|e| e.into_inner());
    while done.0 < shared.chunks() {
        done = shared
            .finished
            .wait(done)
            .unwrap_or_else(|e| e.into_inner());
    }
    let slots = std::mem::take(&mut done.1);
    drop(done);
    let items = shared
        .items
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .expect("only the caller takes the inputs");
    let mut out = Vec::with_capacity(len);
    for slot in slots {
        match slot {
            Some(Ok(v)) => out.extend(v),
            _ => return (Err("bouncekit: internal error (a panic) in a batch"), items),
        }
    }
    (Ok(out), items)
}
