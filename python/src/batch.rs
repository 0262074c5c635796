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
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

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
        while self.work_one() {}
    }

    /// Takes one chunk and works it; false when none is left.
    fn work_one(&self) -> bool {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        if k >= self.chunks() {
            return false;
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
        // The caller of `map_in_order` waits for chunks one at a time.
        self.finished.notify_all();
        true
    }

    /// Waits until `ready` holds of the finished chunks.
    fn wait_until(
        &self,
        ready: impl Fn(&(usize, Vec<Slot<T>>)) -> bool,
    ) -> MutexGuard<'_, (usize, Vec<Slot<T>>)> {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        while !ready(&done) {
            done = self.finished.wait(done).unwrap_or_else(|e| e.into_inner());
        }
        done
    }

    /// The inputs back, once no thread reads them any more.
    fn take_items(&self) -> I {
        self.items
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("only the caller takes the inputs")
    }
}

/// Starts the pool's helpers on `shared` (as many as could use a chunk).
fn spawn_helpers<I, T, F>(shared: &Arc<Shared<I, T, F>>)
where
    I: Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(&I, usize) -> T + Send + Sync + 'static,
{
    let helpers = rayon::current_num_threads()
        .saturating_sub(1)
        .min(shared.chunks().saturating_sub(1));
    for _ in 0..helpers {
        let s = Arc::clone(shared);
        rayon::spawn(move || s.work());
    }
}

fn new_shared<I, T, F>(items: I, len: usize, chunk: usize, f: F) -> Arc<Shared<I, T, F>> {
    let chunk = chunk.max(1);
    Arc::new(Shared {
        items: RwLock::new(Some(items)),
        len,
        chunk,
        f,
        next: AtomicUsize::new(0),
        done: Mutex::new((0, (0..len.div_ceil(chunk)).map(|_| None).collect())),
        finished: Condvar::new(),
    })
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
    let mut out = Vec::with_capacity(len);
    let (outcome, items) = map_in_order(items, len, chunk, f, |v| {
        out.extend(v);
        Ok::<(), std::convert::Infallible>(())
    });
    (outcome.map(|_| out), items)
}

const PANIC: &str = "bouncekit: internal error (a panic) in a batch";

/// [`map`], except that the results go to `take` in order, on the calling
/// thread, while the pool's threads work on later chunks: `take` (turning
/// results into Python objects, with the GIL) overlaps the work instead of
/// following it. The caller hands over the finished chunks at the front
/// once there are at least a quarter of them, or half as many as are left
/// to start (so that little is left to hand over once the pool's threads
/// are done), and otherwise works on a chunk itself; so `take`, which may wait
/// for the GIL while other Python threads run, is called a few times per
/// batch, not once per chunk. Stops at the first error `take` returns,
/// once the chunks being worked on are done; `Err(message)` when `f`
/// panicked.
pub fn map_in_order<I, T, F, E>(
    items: I,
    len: usize,
    chunk: usize,
    f: F,
    mut take: impl FnMut(Vec<T>) -> Result<(), E>,
) -> (Result<Result<(), E>, &'static str>, I)
where
    I: Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(&I, usize) -> T + Send + Sync + 'static,
{
    let shared = new_shared(items, len, chunk, f);
    spawn_helpers(&shared);
    let chunks = shared.chunks();
    let enough = chunks.div_ceil(4);
    let (mut next, mut outcome) = (0, Ok(Ok(())));
    while next < chunks {
        let unstarted = chunks.saturating_sub(shared.next.load(Ordering::Relaxed));
        let left = unstarted > 0;
        // Fewer hand-overs as the end nears: what is not yet taken when the
        // last chunk is done, this thread takes alone while the pool's
        // threads have nothing left to do.
        let want = enough.min(unstarted / 2).max(1);
        let mut ready = Vec::new();
        {
            let mut done = shared.done.lock().unwrap_or_else(|e| e.into_inner());
            let run = done.1[next..].iter().take_while(|s| s.is_some()).count();
            if run > 0 && run >= want {
                for slot in &mut done.1[next..next + run] {
                    match slot.take() {
                        Some(Ok(v)) => ready.push(v),
                        _ => outcome = Err(PANIC),
                    }
                }
                next += run;
            }
        }
        if outcome.is_err() {
            break;
        }
        if !ready.is_empty() {
            let v = if ready.len() == 1 {
                ready.pop().unwrap_or_default()
            } else {
                ready.into_iter().flatten().collect()
            };
            if let Err(e) = take(v) {
                outcome = Ok(Err(e));
                break;
            }
        } else if !(left && shared.work_one()) {
            // Nothing to start: wait for the next chunk in order.
            drop(shared.wait_until(|d| d.1[next].is_some()));
        }
    }
    // Stopped early: no new chunk is started, and the ones in progress,
    // which read the inputs, are waited for.
    let started = shared
        .next
        .swap(usize::MAX / 2, Ordering::Relaxed)
        .min(chunks);
    drop(shared.wait_until(|d| d.0 >= started));
    (outcome, shared.take_items())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    /// Every result, in input order, for batch sizes around the chunk size
    /// and on one to four threads; the inputs come back whole.
    #[test]
    fn results_come_in_order_on_any_thread_count() {
        for threads in 1..=4 {
            for len in [0, 1, 6, 7, 8, 100, 1001] {
                let items: Vec<usize> = (0..len).collect();
                let (out, back) = pool(threads).install(|| map(items, len, 7, |v: &Vec<usize>, i| v[i] * 3));
                assert_eq!(out.unwrap(), (0..len).map(|i| i * 3).collect::<Vec<_>>(), "{threads} threads, {len}");
                assert_eq!(back.len(), len);
            }
        }
    }

    /// An error from `take` ends the batch: it is returned, `take` is not
    /// called again, the inputs come back, and (on one thread, where it is
    /// deterministic) no chunk is worked after it.
    #[test]
    fn an_error_from_take_stops_the_batch() {
        for threads in 1..=3 {
            let calls = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&calls);
            let f = move |_: &Vec<u8>, i: usize| {
                counted.fetch_add(1, Ordering::Relaxed);
                i
            };
            let (mut takes, mut seen) = (0, 0);
            let (outcome, back) = pool(threads).install(|| {
                map_in_order(vec![0u8; 10_000], 10_000, 10, f, |v: Vec<usize>| {
                    takes += 1;
                    seen += v.len();
                    Err("stop")
                })
            });
            assert_eq!(outcome, Ok(Err("stop")), "{threads} threads");
            assert_eq!(takes, 1);
            assert!(seen > 0);
            // On one thread nothing runs beside the caller, so no chunk is
            // worked after the one handed over; with helpers, what they
            // finished before the hand-over may be anything up to the whole.
            if threads == 1 {
                assert!(seen < 10_000);
                assert_eq!(calls.load(Ordering::Relaxed), seen, "a chunk was worked after the error");
            }
            assert_eq!(back.len(), 10_000);
        }
    }

    /// A panic in `f` becomes the batch's error (no hang, no abort), and the
    /// inputs still come back.
    #[test]
    fn a_panic_in_f_is_the_batch_error() {
        for threads in 1..=3 {
            let (outcome, back) = pool(threads).install(|| {
                map(vec![1u32; 500], 500, 16, |v: &Vec<u32>, i| {
                    assert!(i != 321, "boom");
                    v[i]
                })
            });
            assert_eq!(outcome, Err(PANIC), "{threads} threads");
            assert_eq!(back.len(), 500);
        }
    }
}
