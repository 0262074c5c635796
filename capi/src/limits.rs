//! The parser's limits: `bk_limits` and parsing with them.

use bouncekit::Limits;

use crate::classify::bk_classifier;
use crate::ffi::{bk_result, bytes_arg, guard, handle_arg, into_handle, out_arg, Failure, FfiResult};
use crate::report::bk_report;

/// The parser's limits: what a message may hold before parsing refuses it
/// with `BK_RESULT_LIMIT_EXCEEDED` (bounded memory and time on hostile
/// input). A plain struct: start from `bk_limits_default()` and change the
/// fields you need. Every field must be at least 1.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct bk_limits {
    /// Largest message accepted, in bytes (default 64 MB).
    pub max_message_size: usize,
    /// Deepest MIME nesting accepted (default 32).
    pub max_mime_depth: usize,
    /// Most MIME parts accepted (default 2,000).
    pub max_parts: usize,
    /// Most recipients in one report (default 10,000).
    pub max_recipients: usize,
    /// Diagnostics longer than this many bytes are cut at a character
    /// boundary (default 4,096); not an error.
    pub max_diagnostic_len: usize,
}

impl From<Limits> for bk_limits {
    fn from(l: Limits) -> Self {
        bk_limits {
            max_message_size: l.max_message_size,
            max_mime_depth: l.max_mime_depth,
            max_parts: l.max_parts,
            max_recipients: l.max_recipients,
            max_diagnostic_len: l.max_diagnostic_len,
        }
    }
}

impl bk_limits {
    /// The core's limits, refusing a zero field (it would refuse every message).
    pub(crate) fn checked(&self) -> FfiResult<Limits> {
        let fields = [
            ("max_message_size", self.max_message_size),
            ("max_mime_depth", self.max_mime_depth),
            ("max_parts", self.max_parts),
            ("max_recipients", self.max_recipients),
            ("max_diagnostic_len", self.max_diagnostic_len),
        ];
        if let Some((name, _)) = fields.iter().find(|(_, v)| *v == 0) {
            return Err(Failure::new(
                bk_result::InvalidParameter,
                format!("limits.{name} is 0 (every limit must be at least 1)"),
            ));
        }
        Ok(Limits {
            max_message_size: self.max_message_size,
            max_mime_depth: self.max_mime_depth,
            max_parts: self.max_parts,
            max_recipients: self.max_recipients,
            max_diagnostic_len: self.max_diagnostic_len,
        })
    }
}

/// The default limits (those `bk_parse` uses): 64 MB, MIME depth 32,
/// 2,000 parts, 10,000 recipients, diagnostics cut at 4,096 bytes.
#[no_mangle]
pub extern "C" fn bk_limits_default() -> bk_limits {
    // Building the defaults cannot panic; no guard needed beyond the value.
    crate::ffi::guard_value("bk_limits_default", bk_limits::from(Limits::default()), || {
        bk_limits::from(Limits::default())
    })
}

/// `bk_classifier_parse` with limits of your own (`*limits`, e.g. a lower
/// size cap for an inbound service). On success `*out` receives a new
/// `bk_report` to release with `bk_report_free`.
///
/// Returns `BK_RESULT_LIMIT_EXCEEDED` when the message is over a limit
/// (the message names it), `BK_RESULT_INVALID_PARAMETER` when a limit is
/// 0, `BK_RESULT_PARSE_ERROR`, `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `classifier` must be a live handle; `limits` must point to a
/// `bk_limits`; `raw` must point to `len` readable bytes (any pointer when
/// `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_classifier_parse_with_limits(
    classifier: *const bk_classifier,
    limits: *const bk_limits,
    raw: *const u8,
    len: usize,
    out: *mut *mut bk_report,
) -> bk_result {
    guard("bk_classifier_parse_with_limits", || {
        let cl = handle_arg(classifier, "classifier")?;
        let limits = handle_arg(limits, "limits")?.checked()?;
        let out = out_arg(out, "out")?;
        let b = unsafe { bytes_arg(raw, len, "raw")? };
        let report = bouncekit::parse_with(cl.inner(), b, &limits)?;
        *out = into_handle(bk_report::new(report, None));
        Ok(())
    })
}
