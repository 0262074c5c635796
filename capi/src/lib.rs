//! The C ABI of bouncekit: `libbouncekit.a` / `libbouncekit.so` and the
//! header `include/bouncekit.h` that cbindgen generates from this crate.
//!
//! Conventions (after rustls-ffi), the same for every function:
//!
//! - Every fallible call returns a `bk_result` (0 = `BK_RESULT_OK`) and
//!   writes its out-parameters only on success. On failure the message is
//!   kept per thread for `bk_last_error_message`.
//! - Every pointer argument is checked for NULL; text comes in as
//!   `(const uint8_t *ptr, size_t len)`, need not be NUL-terminated, and
//!   `len == 0` means the empty text whatever `ptr` is.
//! - Every entry point runs inside `catch_unwind`: a panic becomes
//!   `BK_RESULT_PANIC` (or the accessor's default value), never an abort.
//! - Handles (`bk_classifier`, `bk_classification`, `bk_explanation`,
//!   `bk_report`, `bk_scanner`, `bk_policy`, `bk_decision`, `bk_ledger`, `bk_string`)
//!   are owned by the caller and released with their `_free`; strings they
//!   return are borrowed from them and live until that `_free`. Strings
//!   marked static live for the whole process.

#![allow(non_camel_case_types)]
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::c_char;

mod classify;
mod codes;
mod enums;
mod explain;
mod ffi;
mod ledger;
mod limits;
mod policy;
mod reason;
mod report;
mod scan;

pub use classify::*;
pub use codes::*;
pub use enums::*;
pub use explain::*;
pub use ffi::bk_result;
pub use ledger::*;
pub use limits::*;
pub use policy::*;
pub use reason::*;
pub use report::*;
pub use scan::*;

use ffi::{guard, guard_value, out_arg, with_last_error, Failure};

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string.
///
/// It equals `BK_VERSION_STRING` when the header and the library match;
/// compare them at start-up to catch a stale shared library.
#[no_mangle]
pub extern "C" fn bk_version() -> *const c_char {
    static V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    guard_value("bk_version", std::ptr::null(), || V.as_ptr().cast())
}

/// The name of a `bk_result` value, e.g. `"null_parameter"`: a static
/// NUL-terminated string, or NULL for a value that is not a `bk_result`.
#[no_mangle]
pub extern "C" fn bk_result_name(result: u32) -> *const c_char {
    static NAMES: std::sync::OnceLock<Vec<std::ffi::CString>> = std::sync::OnceLock::new();
    guard_value("bk_result_name", std::ptr::null(), || {
        let names = NAMES.get_or_init(|| {
            bk_result::ALL
                .iter()
                .map(|r| ffi::cstring(r.name()))
                .collect()
        });
        names
            .get(result as usize)
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// The length in bytes (without the terminating NUL) of the message of
/// the last failed `bk_*` call on this thread; 0 when there is none.
///
/// Every function that returns `bk_result` (except
/// `bk_last_error_message`) clears the message on entry and sets it when
/// it fails, so the message always belongs to the latest such call.
#[no_mangle]
pub extern "C" fn bk_last_error_length() -> usize {
    guard_value("bk_last_error_length", 0, || {
        with_last_error(|e| e.map_or(0, |c| c.as_bytes().len()))
    })
}

/// Copies the message of the last failed `bk_*` call on this thread into
/// `buf` (capacity `len` bytes), NUL-terminated, and stores in `*written`
/// the number of bytes copied, not counting the NUL.
///
/// A message longer than `len - 1` bytes is truncated (compare `*written`
/// with `bk_last_error_length()`); no message gives the empty string. The
/// message is per thread, so a call on another thread never sees or
/// changes it. This call leaves the message in place.
///
/// Returns `BK_RESULT_NULL_PARAMETER` if `buf` or `written` is NULL,
/// `BK_RESULT_INSUFFICIENT_SIZE` if `len` is 0 (not even room for the NUL).
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes; `written` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bk_last_error_message(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> bk_result {
    let r = std::panic::catch_unwind(|| {
        if buf.is_null() || written.is_null() {
            return bk_result::NullParameter;
        }
        if len == 0 {
            return bk_result::InsufficientSize;
        }
        with_last_error(|e| {
            let msg = e.map_or(&[][..], |c| c.as_bytes());
            let n = msg.len().min(len - 1);
            // SAFETY: buf has room for len >= n + 1 bytes (the caller's contract);
            // written is non-NULL.
            unsafe {
                std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n);
                *buf.add(n) = 0;
                *written = n;
            }
        });
        bk_result::Ok
    });
    r.unwrap_or(bk_result::Panic)
}

/// TEST-ONLY: panics inside the library, to prove the panic boundary.
///
/// Always returns `BK_RESULT_PANIC` (the process does not abort) and sets
/// the last error to a message containing `"bk_test_panic"`. Writes
/// nothing to `out`, which may be NULL. Applications have no use for it;
/// the test suites call it. (The default Rust panic hook prints one line
/// to stderr when it runs.)
#[no_mangle]
pub extern "C" fn bk_test_panic(out: *mut u32) -> bk_result {
    guard("bk_test_panic", || {
        let out = if out.is_null() {
            None
        } else {
            Some(out_arg(out, "out")?)
        };
        let value: u32 = std::hint::black_box(None::<u32>).expect("deliberate panic (test only)");
        if let Some(o) = out {
            *o = value;
        }
        Ok::<(), Failure>(())
    })
}
