//! The suppression policy (`bk_policy`) and its decisions (`bk_decision`).

use std::ffi::{c_char, CString};

use bouncekit::{BounceType, Decision, HistoryEvent, Policy, Reason};

use crate::enums::{bk_action, bk_bounce_type, bk_reason};
use crate::ffi::{
    bk_result, bytes_arg, cstring, free_handle, guard, guard_value, handle_arg, into_handle,
    out_arg, path_arg, str_arg, Failure, FfiResult,
};

/// A suppression policy: which reasons suppress at once, the soft-bounce
/// threshold and window (default 3 in 14 days, configurable per reason),
/// which reasons are the sender's problem, when a domain is flagged (see
/// docs/policy.md). Opaque; create with `bk_policy_new_default`,
/// `bk_policy_from_toml` or `bk_policy_from_file`, release with
/// `bk_policy_free`. Immutable: may be used from several threads at once.
pub struct bk_policy {
    inner: Policy,
}

impl bk_policy {
    pub(crate) fn inner(&self) -> &Policy {
        &self.inner
    }
}

/// One event of an address, for `bk_policy_decide`: when (unix seconds),
/// why (a `bk_reason` value) and how hard (a `bk_bounce_type` value).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bk_history_event {
    /// Unix seconds.
    pub time: i64,
    /// A `bk_reason` value.
    pub reason: u32,
    /// A `bk_bounce_type` value.
    pub bounce_type: u32,
}

impl bk_history_event {
    fn checked(&self, what: &str) -> FfiResult<HistoryEvent> {
        let reason = bk_reason::from_u32(self.reason).ok_or_else(|| {
            Failure::new(
                bk_result::InvalidParameter,
                format!("{what}.reason: {} is not a bk_reason", self.reason),
            )
        })?;
        let bt = bk_bounce_type::from_u32(self.bounce_type).ok_or_else(|| {
            Failure::new(
                bk_result::InvalidParameter,
                format!("{what}.bounce_type: {} is not a bk_bounce_type", self.bounce_type),
            )
        })?;
        Ok(HistoryEvent::new(self.time, Reason::from(reason), BounceType::from(bt)))
    }
}

/// What to do about an address, and why. Opaque; returned by
/// `bk_policy_decide` and `bk_ledger_decide`, read with the
/// `bk_decision_*` accessors, released with `bk_decision_free`. Its
/// strings are owned by it, valid until `bk_decision_free`. Immutable.
pub struct bk_decision {
    action: bk_action,
    retry_after: Option<u64>,
    why: CString,
}

impl From<Decision> for bk_decision {
    fn from(d: Decision) -> Self {
        bk_decision {
            action: d.action.into(),
            retry_after: d.retry_after.map(|r| r.as_secs()),
            why: cstring(&d.why),
        }
    }
}

/// Creates the default policy (docs/policy.md). On success `*out`
/// receives a handle to release with `bk_policy_free`.
#[no_mangle]
pub extern "C" fn bk_policy_new_default(out: *mut *mut bk_policy) -> bk_result {
    guard("bk_policy_new_default", || {
        let out = out_arg(out, "out")?;
        *out = into_handle(bk_policy {
            inner: Policy::default(),
        });
        Ok(())
    })
}

/// Creates a policy from TOML text (`len` bytes of UTF-8, the format of
/// docs/policy.md; keys left out keep their default, unknown keys are
/// errors). On success `*out` receives a handle to release with
/// `bk_policy_free`.
///
/// Returns `BK_RESULT_POLICY_ERROR` when the text does not load or does
/// not hold together (the message says where and why),
/// `BK_RESULT_INVALID_UTF8`, `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `toml` must point to `len` readable bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_policy_from_toml(
    toml: *const u8,
    len: usize,
    out: *mut *mut bk_policy,
) -> bk_result {
    guard("bk_policy_from_toml", || {
        let out = out_arg(out, "out")?;
        let text = unsafe { str_arg(toml, len, "toml")? };
        let inner = Policy::from_toml(text)?;
        inner
            .validate()
            .map_err(|m| Failure::new(bk_result::PolicyError, m))?;
        *out = into_handle(bk_policy { inner });
        Ok(())
    })
}

/// `bk_policy_from_toml` from a file (`path`: `len` bytes, no NUL needed;
/// any bytes on Unix). Returns `BK_RESULT_IO_ERROR` when the file cannot
/// be read, `BK_RESULT_INVALID_PARAMETER` for an empty path.
///
/// # Safety
/// `path` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn bk_policy_from_file(
    path: *const u8,
    len: usize,
    out: *mut *mut bk_policy,
) -> bk_result {
    guard("bk_policy_from_file", || {
        let out = out_arg(out, "out")?;
        let p = unsafe { path_arg(path, len)? };
        let inner = Policy::from_file(&p)?;
        inner
            .validate()
            .map_err(|m| Failure::new(bk_result::PolicyError, m))?;
        *out = into_handle(bk_policy { inner });
        Ok(())
    })
}

/// Releases a policy. NULL is a no-op. Ledgers opened with it keep their
/// own copy.
///
/// # Safety
/// `policy` must be NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn bk_policy_free(policy: *mut bk_policy) {
    guard_value("bk_policy_free", (), || unsafe { free_handle(policy) })
}

/// Decides on the event `current` (at `current.time`) of an address given
/// its earlier events (`history`, `history_len` of them, any order; NULL
/// when `history_len` is 0; events after `current.time` are not looked
/// at). Pure: no ledger, no I/O. On success `*out` receives a
/// `bk_decision` to release with `bk_decision_free`.
///
/// Returns `BK_RESULT_INVALID_PARAMETER` for a reason or bounce type that
/// is not a `bk_reason` / `bk_bounce_type` value (the message says which
/// event), `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `policy` must be a live handle; `history` must point to `history_len`
/// events (any pointer when `history_len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_policy_decide(
    policy: *const bk_policy,
    current: bk_history_event,
    history: *const bk_history_event,
    history_len: usize,
    out: *mut *mut bk_decision,
) -> bk_result {
    guard("bk_policy_decide", || {
        let p = handle_arg(policy, "policy")?;
        let out = out_arg(out, "out")?;
        let cur = current.checked("current")?;
        let raw = unsafe {
            bytes_arg(
                history.cast::<u8>(),
                history_len.saturating_mul(std::mem::size_of::<bk_history_event>()),
                "history",
            )?
        };
        let events: &[bk_history_event] = if raw.is_empty() {
            &[]
        } else {
            // SAFETY: checked non-NULL and in range by bytes_arg; the
            // caller's contract says it holds history_len events.
            unsafe { std::slice::from_raw_parts(history, history_len) }
        };
        let hist = events
            .iter()
            .enumerate()
            .map(|(i, e)| e.checked(&format!("history[{i}]")))
            .collect::<FfiResult<Vec<_>>>()?;
        *out = into_handle(bk_decision::from(p.inner.decide_event(&cur, &hist, None)));
        Ok(())
    })
}

/// Releases a decision. NULL is a no-op.
///
/// # Safety
/// `decision` must be NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn bk_decision_free(decision: *mut bk_decision) {
    guard_value("bk_decision_free", (), || unsafe { free_handle(decision) })
}

pub(crate) fn decision_handle(d: Decision) -> *mut bk_decision {
    into_handle(bk_decision::from(d))
}

/// What to do: suppress, retry, fix_sender or ignore;
/// `BK_ACTION_IGNORE` for NULL.
///
/// # Safety
/// `decision` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_decision_action(decision: *const bk_decision) -> bk_action {
    guard_value("bk_decision_action", bk_action::Ignore, || {
        // SAFETY: the caller's contract.
        unsafe { decision.as_ref() }.map_or(bk_action::Ignore, |d| d.action)
    })
}

/// For `retry` (and some `fix_sender`, e.g. rate limits): stores in
/// `*seconds` how long to wait first and returns true; returns false (and
/// leaves `*seconds` alone) when the decision has no delay, or for NULL.
///
/// # Safety
/// `decision` must be NULL or a live handle; `seconds` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bk_decision_retry_after(
    decision: *const bk_decision,
    seconds: *mut u64,
) -> bool {
    guard_value("bk_decision_retry_after", false, || {
        // SAFETY: the caller's contract.
        let (Some(d), Some(s)) = (unsafe { decision.as_ref() }, unsafe { seconds.as_mut() }) else {
            return false;
        };
        match d.retry_after {
            Some(r) => {
                *s = r;
                true
            }
            None => false,
        }
    })
}

/// Why, in a sentence a person can read, e.g. `"3 soft bounces
/// (mailboxfull ×3) in 14 days"` (UTF-8). Owned by the decision; NULL only
/// for NULL.
///
/// # Safety
/// `decision` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_decision_why(decision: *const bk_decision) -> *const c_char {
    guard_value("bk_decision_why", std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { decision.as_ref() }.map_or(std::ptr::null(), |d| d.why.as_ptr())
    })
}
