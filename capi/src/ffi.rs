//! The machinery every entry point shares: result codes, the thread-local
//! last error, the panic boundary, and checked conversion of C arguments.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of every fallible `bk_*` call. `BK_RESULT_OK` (0) is success;
/// anything else is an error, whose message `bk_last_error_message` returns
/// on the same thread. Values are stable: new codes are only ever appended.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullParameter = 1,
    /// An argument is out of range: a length above `PTRDIFF_MAX`, an
    /// unknown enum value, an index past the end.
    InvalidParameter = 2,
    /// Text that must be UTF-8 (a rules file, a status code, a name) is not.
    InvalidUtf8 = 3,
    /// Not a valid enhanced status code or SMTP reply code.
    InvalidCode = 4,
    /// A user rules file that does not load (TOML error, bad field, bad regex).
    RulesError = 5,
    /// A name that is not in its vocabulary (e.g. an unknown reason).
    UnknownName = 6,
    /// The caller's buffer is too small (`bk_last_error_message` with length 0).
    InsufficientSize = 7,
    /// An I/O error.
    IoError = 8,
    /// Input that is not an email message (`bk_parse`: no header block).
    ParseError = 9,
    /// An error of a kind this version of the C API does not name.
    Other = 10,
    /// A panic inside the library was caught at the API boundary. The call
    /// had no effect; the library is still usable. Please report it.
    Panic = 11,
    /// A message over one of the parser's limits (size, MIME depth, parts,
    /// recipients); the message says which.
    LimitExceeded = 12,
    /// A policy (TOML text or file) that does not load or does not hold
    /// together; the message says which key and why.
    PolicyError = 13,
    /// An event or address the ledger refuses (an invalid address, a time
    /// out of range, an over-long field). Nothing of the call was recorded.
    InvalidEvent = 14,
    /// The ledger's database failed: not an SQLite file, not a bouncekit
    /// ledger, a schema newer than this library, busy beyond the timeout,
    /// disk full.
    LedgerError = 15,
}

impl bk_result {
    /// Every value, in order (the discriminants are 0..N).
    pub(crate) const ALL: &'static [bk_result] = &[
        bk_result::Ok,
        bk_result::NullParameter,
        bk_result::InvalidParameter,
        bk_result::InvalidUtf8,
        bk_result::InvalidCode,
        bk_result::RulesError,
        bk_result::UnknownName,
        bk_result::InsufficientSize,
        bk_result::IoError,
        bk_result::ParseError,
        bk_result::Other,
        bk_result::Panic,
        bk_result::LimitExceeded,
        bk_result::PolicyError,
        bk_result::InvalidEvent,
        bk_result::LedgerError,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            bk_result::Ok => "ok",
            bk_result::NullParameter => "null_parameter",
            bk_result::InvalidParameter => "invalid_parameter",
            bk_result::InvalidUtf8 => "invalid_utf8",
            bk_result::InvalidCode => "invalid_code",
            bk_result::RulesError => "rules_error",
            bk_result::UnknownName => "unknown_name",
            bk_result::InsufficientSize => "insufficient_size",
            bk_result::IoError => "io_error",
            bk_result::ParseError => "parse_error",
            bk_result::Other => "other",
            bk_result::Panic => "panic",
            bk_result::LimitExceeded => "limit_exceeded",
            bk_result::PolicyError => "policy_error",
            bk_result::InvalidEvent => "invalid_event",
            bk_result::LedgerError => "ledger_error",
        }
    }
}

/// An error on its way out: the code and the message for `bk_last_error_message`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: bk_result,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(code: bk_result, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<bouncekit::Error> for Failure {
    fn from(e: bouncekit::Error) -> Self {
        use bouncekit::Error as E;
        let code = match &e {
            E::InvalidStatusCode(_) | E::InvalidReplyCode(_) => bk_result::InvalidCode,
            E::UnknownName { .. } => bk_result::UnknownName,
            E::Rules { .. } => bk_result::RulesError,
            E::Io { .. } => bk_result::IoError,
            E::NotAMessage => bk_result::ParseError,
            E::LimitExceeded { .. } => bk_result::LimitExceeded,
            E::Policy { .. } => bk_result::PolicyError,
            #[allow(unreachable_patterns)]
            _ => bk_result::Other,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

impl From<bouncekit::ledger::LedgerError> for Failure {
    fn from(e: bouncekit::ledger::LedgerError) -> Self {
        use bouncekit::ledger::LedgerError as L;
        let code = match &e {
            L::InvalidEvent { .. } | L::InvalidAddress { .. } => bk_result::InvalidEvent,
            L::InvalidPolicy(_) => bk_result::PolicyError,
            L::Io(_) => bk_result::IoError,
            _ => bk_result::LedgerError,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

pub(crate) type FfiResult<T> = Result<T, Failure>;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

pub(crate) fn set_last_error(message: &str) {
    let c = cstring(message);
    // try_with: a call made while the thread is being torn down just loses the message.
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = Some(c));
}

pub(crate) fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|e| e.borrow_mut().take());
}

pub(crate) fn with_last_error<R>(f: impl FnOnce(Option<&CString>) -> R) -> R {
    let mut f = Some(f);
    match LAST_ERROR.try_with(|e| (f.take().unwrap())(e.borrow().as_ref())) {
        Ok(r) => r,
        Err(_) => (f.take().unwrap())(None),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// The boundary of every `bk_result`-returning entry point: clears the last
/// error, runs `f`, turns its error or a panic into a code and a message.
pub(crate) fn guard(function: &'static str, f: impl FnOnce() -> FfiResult<()>) -> bk_result {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => bk_result::Ok,
        Ok(Err(failure)) => {
            set_last_error(&format!("{function}: {}", failure.message));
            failure.code
        }
        Err(payload) => {
            let msg = panic_message(&*payload);
            // Dropping a payload could itself panic; never let that unwind out.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            set_last_error(&format!("{function}: panic: {msg}"));
            bk_result::Panic
        }
    }
}

/// The boundary of an infallible accessor: a panic returns `default` (and
/// leaves its message for `bk_last_error_message`).
pub(crate) fn guard_value<T>(function: &'static str, default: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            let msg = panic_message(&*payload);
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            set_last_error(&format!("{function}: panic: {msg}"));
            default
        }
    }
}

/// A NUL-terminated copy of `s`; interior NULs (only possible in user
/// data) become U+FFFD so the string is never cut short silently.
pub(crate) fn cstring(s: &str) -> CString {
    match CString::new(s) {
        Ok(c) => c,
        Err(_) => CString::new(s.replace('\0', "\u{FFFD}")).expect("no NUL left"),
    }
}

pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// The bytes of a `(ptr, len)` argument. `len == 0` is the empty input
/// whatever `ptr` is (NULL included); otherwise `ptr` must not be NULL.
///
/// # Safety
/// When `len > 0`, `ptr` must point to `len` readable bytes that stay
/// valid and unmodified for the returned lifetime.
pub(crate) unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> FfiResult<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::new(
            bk_result::NullParameter,
            format!("{what} is NULL (with length {len})"),
        ));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            bk_result::InvalidParameter,
            format!("{what}: length {len} exceeds PTRDIFF_MAX"),
        ));
    }
    // SAFETY: checked non-NULL and in range; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// [`bytes_arg`] that must also be UTF-8.
///
/// # Safety
/// As for [`bytes_arg`].
pub(crate) unsafe fn str_arg<'a>(ptr: *const u8, len: usize, what: &str) -> FfiResult<&'a str> {
    let b = unsafe { bytes_arg(ptr, len, what)? };
    std::str::from_utf8(b).map_err(|e| {
        Failure::new(
            bk_result::InvalidUtf8,
            format!(
                "{what} is not valid UTF-8 (error at byte {})",
                e.valid_up_to()
            ),
        )
    })
}

/// Checks an out-parameter for NULL.
pub(crate) fn out_arg<'a, T>(out: *mut T, what: &str) -> FfiResult<&'a mut T> {
    // SAFETY: non-NULL is checked; that it points to writable memory is the caller's contract.
    unsafe { out.as_mut() }
        .ok_or_else(|| Failure::new(bk_result::NullParameter, format!("{what} is NULL")))
}

/// Borrows a handle argument, checking for NULL.
pub(crate) fn handle_arg<'a, T>(h: *const T, what: &str) -> FfiResult<&'a T> {
    // SAFETY: non-NULL is checked; that it is a live handle is the caller's contract.
    unsafe { h.as_ref() }
        .ok_or_else(|| Failure::new(bk_result::NullParameter, format!("{what} is NULL")))
}

/// Moves a value to the heap and hands the pointer to C.
pub(crate) fn into_handle<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Takes back and drops a handle; NULL is a no-op.
///
/// # Safety
/// `h` must be NULL or a pointer from [`into_handle`] of the same type, not yet freed.
pub(crate) unsafe fn free_handle<T>(h: *mut T) {
    if !h.is_null() {
        drop(unsafe { Box::from_raw(h) });
    }
}

/// A file path argument: `len` bytes, any bytes but NUL on Unix (paths
/// need not be UTF-8 there), UTF-8 elsewhere; not empty.
///
/// # Safety
/// As for [`bytes_arg`].
pub(crate) unsafe fn path_arg(ptr: *const u8, len: usize) -> FfiResult<std::path::PathBuf> {
    let b = unsafe { bytes_arg(ptr, len, "path")? };
    if b.is_empty() {
        return Err(Failure::new(bk_result::InvalidParameter, "path is empty"));
    }
    if b.contains(&0) {
        return Err(Failure::new(bk_result::InvalidParameter, "path contains a NUL byte"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(std::path::PathBuf::from(std::ffi::OsStr::from_bytes(b)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(b)
            .map(std::path::PathBuf::from)
            .map_err(|_| Failure::new(bk_result::InvalidUtf8, "path is not valid UTF-8"))
    }
}
