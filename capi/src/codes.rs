//! Enhanced status codes and SMTP reply codes: parsing, finding them in
//! free text, and the list of registered codes.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use bouncekit::{FoundCodes, ReplyCode, StatusCode};

use crate::ffi::{bk_result, bytes_arg, cstring, guard, guard_value, out_arg, str_arg, FfiResult};

/// An enhanced status code `class.subject.detail` (RFC 3463), e.g. 5.1.1.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bk_status_code {
    /// The class digit: 2 (success), 4 (temporary) or 5 (permanent).
    pub class_digit: u8,
    /// The subject, 0..7 (addressing, mailbox, mail system, ...).
    pub subject: u16,
    /// The detail, 0..999.
    pub detail: u16,
}

impl From<StatusCode> for bk_status_code {
    fn from(s: StatusCode) -> Self {
        bk_status_code {
            class_digit: s.class().digit(),
            subject: s.subject(),
            detail: s.detail(),
        }
    }
}

impl bk_status_code {
    pub(crate) fn to_core(self) -> FfiResult<StatusCode> {
        Ok(StatusCode::new(
            self.class_digit,
            self.subject,
            self.detail,
        )?)
    }
}

/// The codes found in a diagnostic text (`bk_find_codes`), or given as
/// hints to `bk_classifier_classify_with`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bk_found_codes {
    /// Whether `status` holds a code.
    pub has_status: bool,
    /// The enhanced status code (all zero when `has_status` is false).
    pub status: bk_status_code,
    /// The SMTP reply code (e.g. 550), or 0 when there is none.
    pub reply_code: u16,
}

impl From<FoundCodes> for bk_found_codes {
    fn from(f: FoundCodes) -> Self {
        bk_found_codes {
            has_status: f.status.is_some(),
            status: f.status.map(Into::into).unwrap_or_default(),
            reply_code: f.reply.map_or(0, |r| r.get()),
        }
    }
}

impl bk_found_codes {
    pub(crate) fn to_core(self) -> FfiResult<FoundCodes> {
        let status = if self.has_status {
            Some(self.status.to_core()?)
        } else {
            None
        };
        let reply = if self.reply_code == 0 {
            None
        } else {
            Some(ReplyCode::new(self.reply_code)?)
        };
        Ok(FoundCodes { status, reply })
    }
}

/// Parses a whole enhanced status code (`text`, `len` bytes, e.g.
/// `"5.7.26"`; surrounding whitespace allowed) into `*out`.
///
/// Returns `BK_RESULT_INVALID_CODE` when the text is not a valid code
/// (class 2, 4 or 5; subject 0-7; detail 0-999), `BK_RESULT_INVALID_UTF8`,
/// or `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `text` must point to `len` readable bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_status_code_parse(
    text: *const u8,
    len: usize,
    out: *mut bk_status_code,
) -> bk_result {
    guard("bk_status_code_parse", || {
        let out = out_arg(out, "out")?;
        let s = unsafe { str_arg(text, len, "text")? };
        let code: StatusCode = s.parse()?;
        *out = code.into();
        Ok(())
    })
}

/// Checks an SMTP reply code (2xx-5xx with a second digit 0-5).
///
/// Returns `BK_RESULT_OK` for a valid code, `BK_RESULT_INVALID_CODE`
/// otherwise.
#[no_mangle]
pub extern "C" fn bk_reply_code_check(code: u16) -> bk_result {
    guard("bk_reply_code_check", || {
        ReplyCode::new(code)?;
        Ok(())
    })
}

/// Finds the SMTP reply code and the enhanced status code in free text
/// (`text`, `len` bytes, any encoding; invalid UTF-8 is replaced), as the
/// classifier does: multi-line replies, Exchange's `#5.1.1`, `smtp; 550 ...`,
/// and no false hits on IP addresses or version numbers. Writes `*out`.
///
/// Returns `BK_RESULT_NULL_PARAMETER` if `out` is NULL (or `text` is NULL
/// with `len > 0`).
///
/// # Safety
/// `text` must point to `len` readable bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_find_codes(
    text: *const u8,
    len: usize,
    out: *mut bk_found_codes,
) -> bk_result {
    guard("bk_find_codes", || {
        let out = out_arg(out, "out")?;
        let b = unsafe { bytes_arg(text, len, "text")? };
        let f = bouncekit::find_codes(&String::from_utf8_lossy(b));
        *out = f.into();
        Ok(())
    })
}

fn registered() -> &'static [CString] {
    static CODES: OnceLock<Vec<CString>> = OnceLock::new();
    CODES.get_or_init(|| {
        bouncekit::registered_codes()
            .iter()
            .map(|s| cstring(s))
            .collect()
    })
}

/// The number of codes in the IANA registry that `bk_explain` knows.
#[no_mangle]
pub extern "C" fn bk_registered_code_count() -> usize {
    guard_value("bk_registered_code_count", 0, || registered().len())
}

/// The registry key of the `index`-th registered code, in order
/// (`"X.0.0"` .. `"X.7.30"`): a static NUL-terminated string, or NULL when
/// `index >= bk_registered_code_count()`.
#[no_mangle]
pub extern "C" fn bk_registered_code(index: usize) -> *const c_char {
    guard_value("bk_registered_code", std::ptr::null(), || {
        registered()
            .get(index)
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}
