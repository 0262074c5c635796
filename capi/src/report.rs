//! Parsing raw email: `bk_parse` and the `bk_report` / `bk_bounce` handles.

use std::ffi::{c_char, CString};

use bouncekit::{Bounce, Limits, Report};

use crate::classify::{bk_classification, bk_classifier};
use crate::enums::{bk_dsn_action, bk_message_kind};
use crate::ffi::{
    bk_result, bytes_arg, cstring, free_handle, guard, guard_value, handle_arg, into_handle,
    opt_ptr, out_arg,
};

/// One parsed message: its kind, its own headers, and one `bk_bounce` per
/// recipient. Opaque; returned by `bk_parse` and `bk_classifier_parse`,
/// released with `bk_report_free`. Everything it hands out (strings and
/// `bk_bounce` pointers) is owned by it and valid until `bk_report_free`.
/// Immutable: may be read from several threads at once.
pub struct bk_report {
    kind: bk_message_kind,
    reporting_mta: Option<CString>,
    from: Option<CString>,
    subject: Option<CString>,
    date: Option<CString>,
    original_message_id: Option<CString>,
    original_from: Option<CString>,
    original_to: Option<CString>,
    original_subject: Option<CString>,
    recipients: Vec<bk_bounce>,
    /// Where it came from (a scanner's path or `path#N`), or None.
    source: Option<CString>,
    /// The core report, kept for `bk_ledger_record_report`.
    inner: Report,
}

/// What happened to one recipient of a report. Borrowed from its
/// `bk_report` (from `bk_report_recipient`): valid until `bk_report_free`,
/// never freed on its own.
pub struct bk_bounce {
    recipient: CString,
    original_recipient: Option<CString>,
    dsn_action: bk_dsn_action,
    status: Option<CString>,
    reply_code: u16,
    diagnostic: CString,
    remote_mta: Option<CString>,
    reporting_mta: Option<CString>,
    smtp_command: Option<CString>,
    arrival_date: Option<CString>,
    last_attempt_date: Option<CString>,
    decoded_by: CString,
    feedback_type: Option<CString>,
    classification: bk_classification,
}

fn opt(s: &Option<String>) -> Option<CString> {
    s.as_deref().map(cstring)
}

impl From<Bounce> for bk_bounce {
    fn from(b: Bounce) -> Self {
        bk_bounce {
            recipient: cstring(&b.recipient),
            original_recipient: opt(&b.original_recipient),
            dsn_action: b.dsn_action.into(),
            status: b.status.map(|s| cstring(&s.to_string())),
            reply_code: b.reply_code.map_or(0, |r| r.get()),
            diagnostic: cstring(&b.diagnostic),
            remote_mta: opt(&b.remote_mta),
            reporting_mta: opt(&b.reporting_mta),
            smtp_command: opt(&b.smtp_command),
            arrival_date: opt(&b.arrival_date),
            last_attempt_date: opt(&b.last_attempt_date),
            decoded_by: cstring(&b.decoded_by),
            feedback_type: opt(&b.feedback_type),
            classification: b.classification.into(),
        }
    }
}

impl bk_report {
    /// A report handle; `source` is where a scanner found the message.
    pub(crate) fn new(r: Report, source: Option<&str>) -> Self {
        bk_report {
            source: source.map(cstring),
            kind: r.kind.into(),
            reporting_mta: opt(&r.reporting_mta),
            from: opt(&r.from),
            subject: opt(&r.subject),
            date: opt(&r.date),
            original_message_id: opt(&r.original.message_id),
            original_from: opt(&r.original.from),
            original_to: opt(&r.original.to),
            original_subject: opt(&r.original.subject),
            recipients: r.recipients.iter().cloned().map(Into::into).collect(),
            inner: r,
        }
    }

    /// The core report.
    pub(crate) fn inner(&self) -> &Report {
        &self.inner
    }

    /// Where it came from, as text ("" when not from a scanner).
    pub(crate) fn source_str(&self) -> &str {
        self.source.as_ref().and_then(|c| c.to_str().ok()).unwrap_or("")
    }
}

/// Parses one raw email message (`raw`, `len` bytes: a bounce, a delay or
/// delivery notice, an ARF complaint, an auto-reply, ...; any encoding,
/// no NUL needed) with the built-in rules and default limits: 64 MB, MIME
/// depth 32, 2,000 parts, 10,000 recipients. On success `*out` receives a
/// new `bk_report` to release with `bk_report_free`. A message that is not
/// a bounce still parses (kind `BK_MESSAGE_KIND_NOT_BOUNCE`, no
/// recipients).
///
/// Returns `BK_RESULT_PARSE_ERROR` when the input is not an email message
/// (no header block), `BK_RESULT_LIMIT_EXCEEDED` when it is over a limit,
/// `BK_RESULT_NULL_PARAMETER`. Thread-safe.
///
/// # Safety
/// `raw` must point to `len` readable bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_parse(
    raw: *const u8,
    len: usize,
    out: *mut *mut bk_report,
) -> bk_result {
    guard("bk_parse", || {
        let out = out_arg(out, "out")?;
        let b = unsafe { bytes_arg(raw, len, "raw")? };
        let report = bouncekit::parse(b)?;
        *out = into_handle(bk_report::new(report, None));
        Ok(())
    })
}

/// `bk_parse` with a classifier's rules (e.g. user rules from
/// `bk_classifier_new_with_rules`) deciding each recipient's verdict.
///
/// # Safety
/// `classifier` must be a live handle; `raw` must point to `len` readable
/// bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_classifier_parse(
    classifier: *const bk_classifier,
    raw: *const u8,
    len: usize,
    out: *mut *mut bk_report,
) -> bk_result {
    guard("bk_classifier_parse", || {
        let cl = handle_arg(classifier, "classifier")?;
        let out = out_arg(out, "out")?;
        let b = unsafe { bytes_arg(raw, len, "raw")? };
        let report = bouncekit::parse_with(cl.inner(), b, &Limits::default())?;
        *out = into_handle(bk_report::new(report, None));
        Ok(())
    })
}

/// Releases a report and every `bk_bounce` and string it handed out. NULL
/// is a no-op.
///
/// # Safety
/// `report` must be NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn bk_report_free(report: *mut bk_report) {
    guard_value("bk_report_free", (), || unsafe { free_handle(report) })
}

const NULL: *const c_char = std::ptr::null();

/// The kind of message; `BK_MESSAGE_KIND_NOT_BOUNCE` for NULL.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_kind(report: *const bk_report) -> bk_message_kind {
    // SAFETY: the caller's contract.
    guard_value("bk_report_kind", bk_message_kind::NotBounce, || {
        unsafe { report.as_ref() }.map_or(bk_message_kind::NotBounce, |r| r.kind)
    })
}

/// The MTA that wrote the report, or NULL when unknown. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_reporting_mta(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_reporting_mta", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.reporting_mta))
    })
}

/// Where the message came from: for a report from `bk_scanner_next`, the
/// file's path, or `path#N` for the N-th message of an mbox; NULL for a
/// report from `bk_parse`. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_source(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_source", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.source))
    })
}

/// The report's own `From`, or NULL. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_from(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_from", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.from))
    })
}

/// The report's own `Subject`, or NULL. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_subject(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_subject", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.subject))
    })
}

/// The report's own `Date` (RFC 3339 when parseable), or NULL. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_date(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_date", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.date))
    })
}

/// The returned original message's `Message-ID` (without angle brackets),
/// or NULL. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_original_message_id(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_original_message_id", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.original_message_id))
    })
}

/// The returned original message's `From`, or NULL. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_original_from(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_original_from", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.original_from))
    })
}

/// The returned original message's `To`, or NULL. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_original_to(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_original_to", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.original_to))
    })
}

/// The returned original message's `Subject`, or NULL. Owned by the report.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_original_subject(report: *const bk_report) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_report_original_subject", NULL, || {
        unsafe { report.as_ref() }.map_or(NULL, |r| opt_ptr(&r.original_subject))
    })
}

/// The number of recipients (`bk_bounce` records) in the report, in report
/// order; 0 for NULL.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_recipient_count(report: *const bk_report) -> usize {
    // SAFETY: the caller's contract.
    guard_value("bk_report_recipient_count", 0, || {
        unsafe { report.as_ref() }.map_or(0, |r| r.recipients.len())
    })
}

/// The `index`-th recipient record, borrowed from the report (valid until
/// `bk_report_free`; never free it). NULL for NULL or an index past the end.
///
/// # Safety
/// `report` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_report_recipient(
    report: *const bk_report,
    index: usize,
) -> *const bk_bounce {
    // SAFETY: the caller's contract.
    guard_value("bk_report_recipient", std::ptr::null(), || {
        unsafe { report.as_ref() }
            .and_then(|r| r.recipients.get(index))
            .map_or(std::ptr::null(), |b| b as *const bk_bounce)
    })
}

/// The recipient's verdict, borrowed from the report: read it with the
/// `bk_classification_*` accessors; valid until `bk_report_free`; never
/// pass it to `bk_classification_free`. NULL for NULL.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_classification(
    bounce: *const bk_bounce,
) -> *const bk_classification {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_classification", std::ptr::null(), || {
        unsafe { bounce.as_ref() }.map_or(std::ptr::null(), |b| {
            &b.classification as *const bk_classification
        })
    })
}

/// The final recipient address. Owned by the report; NULL only for NULL.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_recipient(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_recipient", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| b.recipient.as_ptr())
    })
}

/// The original recipient (before aliasing or forwarding), or NULL. Owned by the report.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_original_recipient(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_original_recipient", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| opt_ptr(&b.original_recipient))
    })
}

/// The DSN action (derived from the kind of report when there is no DSN);
/// `BK_DSN_ACTION_FAILED` for NULL.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_dsn_action(bounce: *const bk_bounce) -> bk_dsn_action {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_dsn_action", bk_dsn_action::Failed, || {
        unsafe { bounce.as_ref() }.map_or(bk_dsn_action::Failed, |b| b.dsn_action)
    })
}

/// The enhanced status code as reported (the DSN `Status:` field, or found
/// in the text), e.g. `"5.1.1"`, or NULL. The verdict's status (found or
/// derived) is `bk_classification_status(bk_bounce_classification(b))`.
/// Owned by the report.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_status(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_status", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| opt_ptr(&b.status))
    })
}

/// The SMTP reply code as reported, or 0 when none.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_reply_code(bounce: *const bk_bounce) -> u16 {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_reply_code", 0, || {
        unsafe { bounce.as_ref() }.map_or(0, |b| b.reply_code)
    })
}

/// The diagnostic text, unfolded to one line (may be empty). Owned by the
/// report; NULL only for NULL.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_diagnostic(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_diagnostic", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| b.diagnostic.as_ptr())
    })
}

/// The remote MTA that answered, or NULL. Owned by the report.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_remote_mta(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_remote_mta", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| opt_ptr(&b.remote_mta))
    })
}

/// The MTA that wrote this record, or NULL. Owned by the report.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_reporting_mta(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_reporting_mta", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| opt_ptr(&b.reporting_mta))
    })
}

/// The SMTP command the failure answered (`RCPT`, `DATA`, ...), or NULL.
/// Owned by the report.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_smtp_command(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_smtp_command", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| opt_ptr(&b.smtp_command))
    })
}

/// When the message arrived at the reporting MTA (RFC 3339 when
/// parseable), or NULL. Owned by the report.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_arrival_date(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_arrival_date", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| opt_ptr(&b.arrival_date))
    })
}

/// The last delivery attempt (RFC 3339 when parseable), or NULL. Owned by the report.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_last_attempt_date(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_last_attempt_date", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| opt_ptr(&b.last_attempt_date))
    })
}

/// The format that decoded this record: `rfc3464`, `arf`, `rfc3834`,
/// `postfix`, `exim`, ... Owned by the report; NULL only for NULL.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_decoded_by(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_decoded_by", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| b.decoded_by.as_ptr())
    })
}

/// The ARF feedback type (`abuse`, `fraud`, `opt-out`, ...), or NULL.
/// Owned by the report.
///
/// # Safety
/// `bounce` must be NULL or a pointer from `bk_report_recipient` whose report is live.
#[no_mangle]
pub unsafe extern "C" fn bk_bounce_feedback_type(bounce: *const bk_bounce) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_bounce_feedback_type", NULL, || {
        unsafe { bounce.as_ref() }.map_or(NULL, |b| opt_ptr(&b.feedback_type))
    })
}
