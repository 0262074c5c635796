//! The suppression ledger (`bk_ledger`): record events and reports, decide,
//! list, export, release, statistics. Also `bk_string`, the owned text that
//! exports come back in.

use std::sync::{Mutex, MutexGuard};

use bouncekit::ledger::{record_rows, Event, ExportFormat, Ledger, LedgerOptions, RowOptions, ScanRow};
use bouncekit::{BounceType, Reason};

use crate::enums::{bk_bounce_type, bk_reason};
use crate::ffi::{
    bk_result, bytes_arg, free_handle, guard, guard_value, handle_arg, into_handle, out_arg,
    path_arg, str_arg, Failure, FfiResult,
};
use crate::policy::{bk_decision, bk_policy, decision_handle};
use crate::report::bk_report;

/// An open suppression ledger: an SQLite file (or memory) of bounce
/// events, the suppression list they lead to under a policy, and domain
/// health. Opaque; open with `bk_ledger_open` or `bk_ledger_open_in_memory`,
/// close with `bk_ledger_free`.
///
/// Safe to share between threads (calls on one handle are serialized) and
/// between processes (each opens the file; SQLite's WAL and locks keep
/// them apart). Every recording call is one transaction: all of it is
/// recorded, or (on any error) none of it.
pub struct bk_ledger {
    inner: Mutex<Ledger>,
}

fn lock(l: &bk_ledger) -> MutexGuard<'_, Ledger> {
    // A panic mid-call rolled its transaction back (the Batch was dropped).
    l.inner.lock().unwrap_or_else(|e| e.into_inner())
}

/// One bounce event to record with `bk_ledger_record`. Text fields are
/// (pointer, length) pairs, UTF-8, no NUL needed; a length of 0 means
/// "none" for the optional ones.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bk_event {
    /// The recipient address (required; stored lowercased, without angle brackets).
    pub recipient: *const u8,
    /// Length of `recipient` in bytes.
    pub recipient_len: usize,
    /// When it bounced, unix seconds (1990-01-01 to 2100-01-01).
    pub time: i64,
    /// A `bk_reason` value.
    pub reason: u32,
    /// A `bk_bounce_type` value (`bk_reason_get_info` gives the reason's default).
    pub bounce_type: u32,
    /// The bounce message's own Message-ID (optional): with the recipient,
    /// the event's identity, so the same bounce recorded twice counts once.
    /// Without it the identity is a hash of recipient, time and diagnostic.
    pub message_id: *const u8,
    /// Length of `message_id`; 0 for none.
    pub message_id_len: usize,
    /// Where it came from: a path, a log name (optional).
    pub source: *const u8,
    /// Length of `source`; 0 for none.
    pub source_len: usize,
    /// The diagnostic text (optional; cut at 4,096 bytes).
    pub diagnostic: *const u8,
    /// Length of `diagnostic`; 0 for none.
    pub diagnostic_len: usize,
}

/// What a recording call did.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bk_batch_stats {
    /// Events given.
    pub events: u64,
    /// New events recorded.
    pub recorded: u64,
    /// Events the ledger already had (the same bounce recorded again).
    pub duplicates: u64,
    /// Addresses newly suppressed.
    pub suppressed: u64,
    /// Domains whose flag was raised or extended.
    pub domains_flagged: u64,
    /// Recipients not recorded because they are delay notices ("still
    /// trying"; the final failure, if any, is the event).
    pub skipped: u64,
}

impl From<bouncekit::ledger::BatchStats> for bk_batch_stats {
    fn from(s: bouncekit::ledger::BatchStats) -> Self {
        bk_batch_stats {
            events: s.events,
            recorded: s.recorded,
            duplicates: s.duplicates,
            suppressed: s.suppressed,
            domains_flagged: s.domains_flagged,
            skipped: s.skipped,
        }
    }
}

/// A ledger's totals, from `bk_ledger_stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bk_ledger_totals {
    /// Events recorded.
    pub events: u64,
    /// Distinct recipients.
    pub recipients: u64,
    /// Distinct recipient domains.
    pub domains: u64,
    /// Addresses on the suppression list.
    pub suppressed: u64,
    /// Domains flagged at the time asked about.
    pub flagged_domains: u64,
    /// The earliest event's time (unix seconds); 0 when there is none.
    pub first_event: i64,
    /// The latest event's time (unix seconds); 0 when there is none.
    pub last_event: i64,
    /// The schema version of the file.
    pub schema_version: i64,
}

/// The format of `bk_ledger_export`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_export_format {
    /// `address,domain,scope,reason,bounce_type,since,until,why` with a
    /// header line; RFC 4180 quoting; times in RFC 3339.
    Csv = 0,
    /// A JSON array of objects with the same fields (plus `since_unix`).
    Json = 1,
}

/// Owned text (UTF-8, NUL-terminated) returned by the export calls. Opaque;
/// read with `bk_string_data` and `bk_string_len`, release with
/// `bk_string_free`.
pub struct bk_string {
    /// The bytes and a terminating NUL.
    bytes: Vec<u8>,
}

fn string_handle(mut bytes: Vec<u8>) -> *mut bk_string {
    bytes.push(0);
    into_handle(bk_string { bytes })
}

/// The text: NUL-terminated, `bk_string_len` bytes before the NUL. Owned
/// by the string, valid until `bk_string_free`; NULL for NULL.
///
/// # Safety
/// `s` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_string_data(s: *const bk_string) -> *const std::ffi::c_char {
    guard_value("bk_string_data", std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { s.as_ref() }.map_or(std::ptr::null(), |s| s.bytes.as_ptr().cast())
    })
}

/// The length of the text in bytes, without the NUL; 0 for NULL.
///
/// # Safety
/// `s` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_string_len(s: *const bk_string) -> usize {
    guard_value("bk_string_len", 0, || {
        // SAFETY: the caller's contract.
        unsafe { s.as_ref() }.map_or(0, |s| s.bytes.len() - 1)
    })
}

/// Releases a string. NULL is a no-op.
///
/// # Safety
/// `s` must be NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn bk_string_free(s: *mut bk_string) {
    guard_value("bk_string_free", (), || unsafe { free_handle(s) })
}

fn options(policy: &bk_policy) -> LedgerOptions {
    LedgerOptions {
        policy: policy.inner().clone(),
        ..LedgerOptions::default()
    }
}

/// Opens (creating it when missing) the ledger file `path` (`len` bytes, no
/// NUL needed; any bytes on Unix), deciding with `policy` (the ledger keeps its own
/// copy). The schema is created or migrated; the file is put in WAL mode.
/// On success `*out` receives a handle to close with `bk_ledger_free`.
///
/// Returns `BK_RESULT_LEDGER_ERROR` when the file is not an SQLite
/// database, not a bouncekit ledger, or of a newer schema;
/// `BK_RESULT_POLICY_ERROR`; `BK_RESULT_INVALID_PARAMETER` for an empty
/// path; `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `path` must point to `len` readable bytes; `policy` must be a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_open(
    path: *const u8,
    len: usize,
    policy: *const bk_policy,
    out: *mut *mut bk_ledger,
) -> bk_result {
    guard("bk_ledger_open", || {
        let out = out_arg(out, "out")?;
        let p = unsafe { path_arg(path, len)? };
        let policy = handle_arg(policy, "policy")?;
        let l = Ledger::open_with(&p, options(policy))
            .map_err(|e| prefix(Failure::from(e), &p.display().to_string()))?;
        *out = into_handle(bk_ledger {
            inner: Mutex::new(l),
        });
        Ok(())
    })
}

fn prefix(f: Failure, p: &str) -> Failure {
    Failure::new(f.code, format!("{p}: {}", f.message))
}

/// Opens a ledger in memory (tests, one-off runs): gone at `bk_ledger_free`.
///
/// # Safety
/// `policy` must be a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_open_in_memory(
    policy: *const bk_policy,
    out: *mut *mut bk_ledger,
) -> bk_result {
    guard("bk_ledger_open_in_memory", || {
        let out = out_arg(out, "out")?;
        let policy = handle_arg(policy, "policy")?;
        let l = Ledger::open_in_memory_with(options(policy))?;
        *out = into_handle(bk_ledger {
            inner: Mutex::new(l),
        });
        Ok(())
    })
}

/// Closes a ledger. Everything recorded was committed by its call; NULL
/// is a no-op.
///
/// # Safety
/// `ledger` must be NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_free(ledger: *mut bk_ledger) {
    guard_value("bk_ledger_free", (), || unsafe { free_handle(ledger) })
}

/// The text of an optional (ptr, len) field: None when len is 0.
unsafe fn opt_text(ptr: *const u8, len: usize, what: &str) -> FfiResult<Option<String>> {
    if len == 0 {
        return Ok(None);
    }
    Ok(Some(unsafe { str_arg(ptr, len, what)? }.to_string()))
}

fn invalid_event(i: usize, message: String) -> Failure {
    Failure::new(
        bk_result::InvalidEvent,
        format!("events[{i}]: {message}; nothing was recorded"),
    )
}

unsafe fn event_of(e: &bk_event, i: usize) -> FfiResult<Event> {
    let reason = bk_reason::from_u32(e.reason)
        .ok_or_else(|| invalid_event(i, format!("reason: {} is not a bk_reason", e.reason)))?;
    let bt = bk_bounce_type::from_u32(e.bounce_type).ok_or_else(|| {
        invalid_event(i, format!("bounce_type: {} is not a bk_bounce_type", e.bounce_type))
    })?;
    let field = |ptr, len, name: &str| {
        // SAFETY: the caller's contract on bk_event's fields.
        unsafe { opt_text(ptr, len, &format!("events[{i}].{name}")) }
    };
    let recipient = field(e.recipient, e.recipient_len, "recipient")?.unwrap_or_default();
    let mut ev = Event::new(recipient, e.time, Reason::from(reason)).bounce_type(BounceType::from(bt));
    ev.message_id = field(e.message_id, e.message_id_len, "message_id")?;
    ev.source = field(e.source, e.source_len, "source")?;
    ev.diagnostic = field(e.diagnostic, e.diagnostic_len, "diagnostic")?;
    ev.validate().map_err(|err| invalid_event(i, err.to_string()))?;
    Ok(ev)
}

/// Records `count` events in one transaction: every event is checked
/// first, and one invalid event refuses them all (nothing is written).
/// The same bounce recorded twice counts once. The policy then decides
/// which addresses are suppressed and which domains flagged, in the same
/// transaction. On success `*stats` (may be NULL) says what happened.
///
/// Returns `BK_RESULT_INVALID_EVENT` (the message names the event and the
/// field: an invalid address, a time out of range, an unknown reason, an
/// over-long field), `BK_RESULT_INVALID_UTF8`, `BK_RESULT_LEDGER_ERROR`
/// (busy beyond the timeout, disk full), `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `ledger` must be a live handle; `events` must point to `count` events
/// whose pointers satisfy their lengths (any pointer when `count` is 0);
/// `stats` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_record(
    ledger: *const bk_ledger,
    events: *const bk_event,
    count: usize,
    stats: *mut bk_batch_stats,
) -> bk_result {
    guard("bk_ledger_record", || {
        let l = handle_arg(ledger, "ledger")?;
        let bytes = count.saturating_mul(std::mem::size_of::<bk_event>());
        unsafe { bytes_arg(events.cast::<u8>(), bytes, "events")? };
        let evs: &[bk_event] = if count == 0 {
            &[]
        } else {
            // SAFETY: non-NULL and in range (checked above); the caller's contract.
            unsafe { std::slice::from_raw_parts(events, count) }
        };
        let parsed = evs
            .iter()
            .enumerate()
            .map(|(i, e)| unsafe { event_of(e, i) })
            .collect::<FfiResult<Vec<Event>>>()?;
        let s = lock(l).record_batch(&parsed)?;
        if let Some(out) = unsafe { stats.as_mut() } {
            *out = s.into();
        }
        Ok(())
    })
}

/// Records every recipient of a parsed report (from `bk_parse` or
/// `bk_scanner_next`) in one transaction, as `bouncekit scan --ledger`
/// does: its time is the recipient's last attempt, else its arrival, else
/// the report's date, else `default_time` (unix seconds, e.g. now); delay
/// notices are skipped (counted in `skipped`). A report recorded again
/// counts once. A recipient the ledger refuses (an invalid address, a date
/// out of range) refuses the whole report: nothing is written.
///
/// Returns `BK_RESULT_INVALID_EVENT` (the message names the recipient and
/// field), `BK_RESULT_LEDGER_ERROR`, `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `ledger` and `report` must be live handles; `stats` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_record_report(
    ledger: *const bk_ledger,
    report: *const bk_report,
    default_time: i64,
    stats: *mut bk_batch_stats,
) -> bk_result {
    guard("bk_ledger_record_report", || {
        let l = handle_arg(ledger, "ledger")?;
        let r = handle_arg(report, "report")?;
        let rows: Vec<ScanRow> = r.inner().rows(r.source_str()).iter().map(ScanRow::from).collect();
        let opts = RowOptions {
            batch_size: 0,
            default_time: Some(default_time),
        };
        let s = record_rows(&mut lock(l), &rows, &opts)?;
        if let Some(out) = unsafe { stats.as_mut() } {
            *out = s.into();
        }
        Ok(())
    })
}

/// Decides on an address (`len` bytes of UTF-8) at `now` (unix seconds):
/// its suppression, else its domain's flag, else the policy on its latest
/// event and the history before it; an address with no events is
/// `BK_ACTION_IGNORE`. On success `*out` receives a `bk_decision` to
/// release with `bk_decision_free`.
///
/// Returns `BK_RESULT_INVALID_EVENT` for a string that is not an address,
/// `BK_RESULT_LEDGER_ERROR`, `BK_RESULT_INVALID_UTF8`, `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `ledger` must be a live handle; `address` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_decide(
    ledger: *const bk_ledger,
    address: *const u8,
    len: usize,
    now: i64,
    out: *mut *mut bk_decision,
) -> bk_result {
    guard("bk_ledger_decide", || {
        let l = handle_arg(ledger, "ledger")?;
        let out = out_arg(out, "out")?;
        let a = unsafe { str_arg(address, len, "address")? };
        let d = lock(l).decide(a, now)?;
        *out = decision_handle(d);
        Ok(())
    })
}

/// Stores in `*out` whether the address is suppressed at `now`: on the
/// suppression list, or of a flagged domain when the policy suppresses
/// flagged domains. Errors as for `bk_ledger_decide`.
///
/// # Safety
/// `ledger` must be a live handle; `address` must point to `len` readable
/// bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_is_suppressed(
    ledger: *const bk_ledger,
    address: *const u8,
    len: usize,
    now: i64,
    out: *mut bool,
) -> bk_result {
    guard("bk_ledger_is_suppressed", || {
        let l = handle_arg(ledger, "ledger")?;
        let out = out_arg(out, "out")?;
        let a = unsafe { str_arg(address, len, "address")? };
        *out = lock(l).is_suppressed_at(a, now)?;
        Ok(())
    })
}

/// The address came back: takes it off the suppression list, and its
/// events up to `at` (unix seconds) no longer count. Stores in `*released`
/// whether it was suppressed. Errors as for `bk_ledger_decide`.
///
/// # Safety
/// `ledger` must be a live handle; `address` must point to `len` readable
/// bytes; `released` writable.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_release(
    ledger: *const bk_ledger,
    address: *const u8,
    len: usize,
    at: i64,
    released: *mut bool,
) -> bk_result {
    guard("bk_ledger_release", || {
        let l = handle_arg(ledger, "ledger")?;
        let out = out_arg(released, "released")?;
        let a = unsafe { str_arg(address, len, "address")? };
        *out = lock(l).release_at(a, at)?;
        Ok(())
    })
}

/// The domain recovered: lifts its flag, and its host/network failures up
/// to `at` no longer count. Stores in `*released` whether it was flagged.
///
/// Returns `BK_RESULT_INVALID_PARAMETER` for an empty domain,
/// `BK_RESULT_LEDGER_ERROR`, `BK_RESULT_INVALID_UTF8`, `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `ledger` must be a live handle; `domain` must point to `len` readable
/// bytes; `released` writable.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_release_domain(
    ledger: *const bk_ledger,
    domain: *const u8,
    len: usize,
    at: i64,
    released: *mut bool,
) -> bk_result {
    guard("bk_ledger_release_domain", || {
        let l = handle_arg(ledger, "ledger")?;
        let out = out_arg(released, "released")?;
        let d = unsafe { str_arg(domain, len, "domain")? };
        if d.trim().is_empty() {
            return Err(Failure::new(bk_result::InvalidParameter, "domain is empty"));
        }
        *out = lock(l).release_domain_at(d, at)?;
        Ok(())
    })
}

/// Exports the suppression list at `now` (every suppressed address, with
/// reason and since when; then flagged domains as `*@domain` when the
/// policy suppresses them) as CSV or JSON (`format`: a
/// `bk_export_format` value). On success `*out` receives a `bk_string` to
/// release with `bk_string_free`, and `*count` (may be NULL) the number
/// of entries.
///
/// Returns `BK_RESULT_INVALID_PARAMETER` for an unknown format,
/// `BK_RESULT_LEDGER_ERROR`, `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `ledger` must be a live handle; `out` writable; `count` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_export(
    ledger: *const bk_ledger,
    format: u32,
    now: i64,
    out: *mut *mut bk_string,
    count: *mut usize,
) -> bk_result {
    guard("bk_ledger_export", || {
        let l = handle_arg(ledger, "ledger")?;
        let out = out_arg(out, "out")?;
        let fmt = match format {
            0 => ExportFormat::Csv,
            1 => ExportFormat::Json,
            _ => {
                return Err(Failure::new(
                    bk_result::InvalidParameter,
                    format!("{format} is not a bk_export_format"),
                ))
            }
        };
        let mut buf = Vec::new();
        let n = lock(l).export_at(&mut buf, fmt, now)?;
        *out = string_handle(buf);
        if let Some(c) = unsafe { count.as_mut() } {
            *c = n;
        }
        Ok(())
    })
}

/// Fills `*out` with the ledger's totals at `now` (flags are counted if
/// active then). Returns `BK_RESULT_LEDGER_ERROR`, `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `ledger` must be a live handle; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_stats(
    ledger: *const bk_ledger,
    now: i64,
    out: *mut bk_ledger_totals,
) -> bk_result {
    guard("bk_ledger_stats", || {
        let l = handle_arg(ledger, "ledger")?;
        let out = out_arg(out, "out")?;
        let s = lock(l).stats_at(now)?;
        *out = bk_ledger_totals {
            events: s.events,
            recipients: s.recipients,
            domains: s.domains,
            suppressed: s.suppressed,
            flagged_domains: s.flagged_domains,
            first_event: s.first_event.unwrap_or(0),
            last_event: s.last_event.unwrap_or(0),
            schema_version: s.schema_version,
        };
        Ok(())
    })
}

/// Per-domain health at `now` as a JSON array (the domains with the most
/// events first, flagged domains first of all; at most `limit`, 0 for
/// all). Each object has `domain`, `events`, `recipients`, `hard`,
/// `soft`, `domain_failures`, `suppressed`, `last_event`, `flagged` and
/// `flag` (null, or the flag: `since`, `expires_at`, `addresses`, `why`,
/// ...). On success `*out` receives a `bk_string` to release with
/// `bk_string_free`.
///
/// # Safety
/// `ledger` must be a live handle; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn bk_ledger_domains(
    ledger: *const bk_ledger,
    now: i64,
    limit: usize,
    out: *mut *mut bk_string,
) -> bk_result {
    guard("bk_ledger_domains", || {
        let l = handle_arg(ledger, "ledger")?;
        let out = out_arg(out, "out")?;
        let d = lock(l).domains_at(now, limit)?;
        let json = serde_json::to_vec(&d)
            .map_err(|e| Failure::new(bk_result::Other, format!("JSON: {e}")))?;
        *out = string_handle(json);
        Ok(())
    })
}
