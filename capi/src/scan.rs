//! Scanning files, directories, mbox files and Maildir folders: the
//! `bk_scanner` handle, which yields one `bk_report` per message.

use std::ffi::CString;
use std::sync::{Arc, Mutex, OnceLock};

use bouncekit::scan::{Input, Scan};
use bouncekit::{Classifier, Limits};

use crate::classify::bk_classifier;
use crate::ffi::{
    bk_result, cstring, free_handle, guard, guard_value, handle_arg, into_handle, out_arg,
    path_arg, Failure,
};
use crate::limits::bk_limits;
use crate::report::bk_report;

/// A scan of files, directories (recursively), mbox files and Maildir
/// folders, yielding one `bk_report` per message in input order. Opaque;
/// create with `bk_scanner_new`, add inputs with `bk_scanner_add_path`,
/// read with `bk_scanner_next`, release with `bk_scanner_free`.
///
/// Memory stays bounded whatever the mailbox size: messages are read and
/// parsed in chunks (in parallel on every core). Calls on one scanner are
/// serialized (it is safe to share, but each message goes to one caller).
pub struct bk_scanner {
    state: Mutex<ScanState>,
}

struct ScanState {
    // Declared before `classifier`, so it is dropped first: it borrows it.
    scan: Option<Scan<'static>>,
    classifier: Arc<Classifier>,
    limits: Limits,
    inputs: Vec<Input>,
    /// Parse threads; 0: one per core.
    threads: usize,
    /// The source of the last item `bk_scanner_next` returned.
    source: Option<CString>,
}

fn builtin() -> Arc<Classifier> {
    static C: OnceLock<Arc<Classifier>> = OnceLock::new();
    Arc::clone(C.get_or_init(|| Arc::new(Classifier::new())))
}

impl ScanState {
    fn scan(&mut self) -> &mut Scan<'static> {
        if self.scan.is_none() {
            // SAFETY: the classifier lives in an Arc this state holds, and
            // `scan` is declared (so dropped) before it: the reference never
            // outlives the classifier, and an Arc's contents do not move.
            let cl: &'static Classifier = unsafe { &*Arc::as_ptr(&self.classifier) };
            let inputs = std::mem::take(&mut self.inputs);
            self.scan = Some(Scan::new(inputs, cl, self.limits.clone()).threads(self.threads));
        }
        self.scan.as_mut().expect("just set")
    }
}

fn lock(s: &bk_scanner) -> std::sync::MutexGuard<'_, ScanState> {
    // A panic while the lock was held left the scan where it was; go on.
    s.state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Creates a scanner. `classifier` decides each recipient's verdict; NULL
/// means the built-in rules. `limits` are the parser's limits; NULL means
/// `bk_limits_default()`. On success `*out` receives a scanner with no
/// inputs yet, to release with `bk_scanner_free`. The scanner keeps what
/// it needs of the classifier: the classifier may be freed first.
///
/// Returns `BK_RESULT_INVALID_PARAMETER` when a limit is 0,
/// `BK_RESULT_NULL_PARAMETER` when `out` is NULL.
///
/// # Safety
/// `classifier` must be NULL or a live handle; `limits` NULL or a pointer
/// to a `bk_limits`.
#[no_mangle]
pub unsafe extern "C" fn bk_scanner_new(
    classifier: *const bk_classifier,
    limits: *const bk_limits,
    out: *mut *mut bk_scanner,
) -> bk_result {
    guard("bk_scanner_new", || {
        let out = out_arg(out, "out")?;
        // SAFETY: the caller's contract (NULL or live).
        let classifier = unsafe { classifier.as_ref() }.map_or_else(builtin, |c| c.shared());
        // SAFETY: the caller's contract (NULL or valid).
        let limits = match unsafe { limits.as_ref() } {
            Some(l) => l.checked()?,
            None => Limits::default(),
        };
        *out = into_handle(bk_scanner {
            state: Mutex::new(ScanState {
                scan: None,
                classifier,
                limits,
                inputs: Vec::new(),
                threads: 0,
                source: None,
            }),
        });
        Ok(())
    })
}

/// Adds an input: a file (one message, or an mbox), or a directory (read
/// recursively in name order; a Maildir's `cur/` and `new/` are read,
/// `tmp/` and hidden files are skipped). `path` is `len` bytes, no NUL
/// needed (any bytes on Unix). Inputs are read in the order added; add
/// them all before the first `bk_scanner_next`.
///
/// Returns `BK_RESULT_IO_ERROR` when the path does not exist or cannot be
/// read, `BK_RESULT_INVALID_PARAMETER` for an empty path or when the scan
/// has started, `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `scanner` must be a live handle; `path` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn bk_scanner_add_path(
    scanner: *mut bk_scanner,
    path: *const u8,
    len: usize,
) -> bk_result {
    guard("bk_scanner_add_path", || {
        let s = handle_arg(scanner.cast_const(), "scanner")?;
        let p = unsafe { path_arg(path, len)? };
        std::fs::metadata(&p)
            .map_err(|e| Failure::new(bk_result::IoError, format!("{}: {e}", p.display())))?;
        let mut st = lock(s);
        if st.scan.is_some() {
            return Err(Failure::new(
                bk_result::InvalidParameter,
                "the scan has started: add every path before the first bk_scanner_next",
            ));
        }
        st.inputs.push(Input::Path(p));
        Ok(())
    })
}

/// Sets how many threads parse the messages (by default one per core, or
/// `RAYON_NUM_THREADS`). The reports come in input order whatever the count.
/// Call it before the first `bk_scanner_next`.
///
/// Returns `BK_RESULT_INVALID_PARAMETER` when `threads` is 0 or the scan
/// has started, `BK_RESULT_NULL_PARAMETER` when `scanner` is NULL.
///
/// # Safety
/// `scanner` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_scanner_set_threads(scanner: *mut bk_scanner, threads: usize) -> bk_result {
    guard("bk_scanner_set_threads", || {
        let s = handle_arg(scanner.cast_const(), "scanner")?;
        if threads == 0 {
            return Err(Failure::new(bk_result::InvalidParameter, "threads must be at least 1"));
        }
        let mut st = lock(s);
        if st.scan.is_some() {
            return Err(Failure::new(
                bk_result::InvalidParameter,
                "the scan has started: set the threads before the first bk_scanner_next",
            ));
        }
        st.threads = threads;
        Ok(())
    })
}

/// Reads the next message. On success `*out` receives a new `bk_report`
/// (release it with `bk_report_free`; `bk_report_source` says where it
/// came from), or NULL when every input has been read.
///
/// A message that fails returns its error and the scan goes on with the
/// next call: `BK_RESULT_IO_ERROR` (a file that cannot be read),
/// `BK_RESULT_LIMIT_EXCEEDED` (a message over the limits: it is skipped
/// without being held in memory), `BK_RESULT_PARSE_ERROR` (not an email
/// message). The last error's message and `bk_scanner_source` name the
/// file. `*out` is not written on failure. `BK_RESULT_NULL_PARAMETER` when
/// `scanner` or `out` is NULL.
///
/// # Safety
/// `scanner` must be a live handle; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn bk_scanner_next(
    scanner: *mut bk_scanner,
    out: *mut *mut bk_report,
) -> bk_result {
    guard("bk_scanner_next", || {
        let s = handle_arg(scanner.cast_const(), "scanner")?;
        let out = out_arg(out, "out")?;
        let mut st = lock(s);
        let Some((source, result)) = st.scan().next() else {
            st.source = None;
            *out = std::ptr::null_mut();
            return Ok(());
        };
        st.source = Some(cstring(&source));
        match result {
            Ok(report) => {
                *out = into_handle(bk_report::new(report, Some(&source)));
                Ok(())
            }
            Err(e) => {
                let f = Failure::from(e);
                // The core's I/O errors already name the path.
                let message = if f.message.starts_with(&source) {
                    f.message
                } else {
                    format!("{source}: {}", f.message)
                };
                Err(Failure::new(f.code, message))
            }
        }
    })
}

/// The source (path, or `path#N` for the N-th message of an mbox) of the
/// item the last `bk_scanner_next` returned, report or error; NULL before
/// the first call, at the end, and for NULL. Owned by the scanner: valid
/// until the next `bk_scanner_next` or `bk_scanner_free`. When threads
/// share a scanner, each gets the source of a failure in its own last
/// error message instead (this pointer belongs to whichever call was last).
///
/// # Safety
/// `scanner` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_scanner_source(scanner: *const bk_scanner) -> *const std::ffi::c_char {
    guard_value("bk_scanner_source", std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { scanner.as_ref() }.map_or(std::ptr::null(), |s| {
            lock(s).source.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
        })
    })
}

/// The bytes of message data read so far (0 for NULL).
///
/// # Safety
/// `scanner` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_scanner_bytes_read(scanner: *const bk_scanner) -> u64 {
    guard_value("bk_scanner_bytes_read", 0, || {
        // SAFETY: the caller's contract.
        unsafe { scanner.as_ref() }.map_or(0, |s| lock(s).scan.as_ref().map_or(0, |x| x.bytes_read()))
    })
}

/// Releases a scanner (its open files included). Reports it returned are
/// independent and stay valid. NULL is a no-op.
///
/// # Safety
/// `scanner` must be NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn bk_scanner_free(scanner: *mut bk_scanner) {
    guard_value("bk_scanner_free", (), || unsafe { free_handle(scanner) })
}
