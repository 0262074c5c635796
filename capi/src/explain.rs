//! The knowledge base: `bk_explain` and the `bk_explanation` handle.

use std::ffi::{c_char, CString};

use bouncekit::Explanation;

use crate::enums::{bk_action, bk_bounce_type, bk_category, bk_level, bk_reason};
use crate::ffi::{
    bk_result, cstring, free_handle, guard, guard_value, into_handle, opt_ptr, out_arg, str_arg,
};

/// Which list of an explanation `bk_explanation_list_len` and
/// `bk_explanation_list_item` read.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bk_explanation_list {
    /// Common causes.
    Causes = 0,
    /// How to resolve, for email marketers and list owners.
    ForSenders = 1,
    /// How to resolve, for developers and operators.
    ForDevelopers = 2,
    /// Investigation steps.
    Investigation = 3,
    /// Best practices.
    BestPractices = 4,
    /// Realistic server replies carrying the code.
    Examples = 5,
}

const LISTS: usize = 6;

/// What the knowledge base says about one enhanced status code: the
/// reference page for that code. Opaque; returned by `bk_explain`, read
/// with the `bk_explanation_*` accessors, released with
/// `bk_explanation_free`. Its strings are owned by it and valid until
/// `bk_explanation_free`. Immutable: may be read from several threads.
pub struct bk_explanation {
    code: CString,
    registry_key: CString,
    level: bk_level,
    name: CString,
    rfc: u32,
    reference: Option<CString>,
    deprecated: bool,
    permanence: CString,
    class_name: CString,
    class_meaning: CString,
    reason: bk_reason,
    bounce_type: bk_bounce_type,
    category: bk_category,
    action: bk_action,
    summary: CString,
    meaning: CString,
    class_note: Option<CString>,
    lists: [Vec<CString>; LISTS],
}

fn list(v: &[String]) -> Vec<CString> {
    v.iter().map(|s| cstring(s)).collect()
}

impl From<Explanation> for bk_explanation {
    fn from(e: Explanation) -> Self {
        bk_explanation {
            code: cstring(&e.code),
            registry_key: cstring(&e.registry_key),
            level: e.level.into(),
            name: cstring(&e.name),
            rfc: e.rfc.unwrap_or(0),
            reference: e.reference.as_deref().map(cstring),
            deprecated: e.deprecated,
            permanence: cstring(e.permanence),
            class_name: cstring(&e.class_name),
            class_meaning: cstring(&e.class_meaning),
            reason: e.reason.into(),
            bounce_type: e.bounce_type.into(),
            category: e.category.into(),
            action: e.action.into(),
            summary: cstring(&e.summary),
            meaning: cstring(&e.meaning),
            class_note: e.class_note.as_deref().map(cstring),
            lists: [
                list(&e.causes),
                list(&e.for_senders),
                list(&e.for_developers),
                list(&e.investigation),
                list(&e.best_practices),
                list(&e.examples),
            ],
        }
    }
}

/// Explains an enhanced status code (`code`, `len` bytes of UTF-8, e.g.
/// `"5.4.1"`), as a reference page would. Codes not in the IANA registry
/// but well-formed get the subject-level answer (`BK_LEVEL_SUBJECT`).
/// On success `*out` receives a new handle to release with
/// `bk_explanation_free`.
///
/// Returns `BK_RESULT_INVALID_CODE` when `code` is not a status code,
/// `BK_RESULT_INVALID_UTF8`, `BK_RESULT_NULL_PARAMETER`. Thread-safe.
///
/// # Safety
/// `code` must point to `len` readable bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_explain(
    code: *const u8,
    len: usize,
    out: *mut *mut bk_explanation,
) -> bk_result {
    guard("bk_explain", || {
        let out = out_arg(out, "out")?;
        let s = unsafe { str_arg(code, len, "code")? };
        let e = bouncekit::explain(s)?;
        *out = into_handle(bk_explanation::from(e));
        Ok(())
    })
}

/// Releases an explanation. NULL is a no-op. Its strings die with it.
///
/// # Safety
/// `explanation` must be NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_free(explanation: *mut bk_explanation) {
    guard_value("bk_explanation_free", (), || unsafe {
        free_handle(explanation)
    })
}

const NULL: *const c_char = std::ptr::null();

/// The code asked about, e.g. `"5.4.1"`. Owned by the explanation; NULL only for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_code(explanation: *const bk_explanation) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_code", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| e.code.as_ptr())
    })
}

/// Its registry key, e.g. `"X.4.1"`. Owned by the explanation; NULL only for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_registry_key(
    explanation: *const bk_explanation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_registry_key", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| e.registry_key.as_ptr())
    })
}

/// Whether the answer is the code's own (`BK_LEVEL_REGISTERED`) or the
/// subject's (`BK_LEVEL_SUBJECT`, also for NULL).
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_level(explanation: *const bk_explanation) -> bk_level {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_level", bk_level::Subject, || {
        unsafe { explanation.as_ref() }.map_or(bk_level::Subject, |e| e.level)
    })
}

/// The registry name (the subject's name for unregistered codes).
/// Owned by the explanation; NULL only for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_name(explanation: *const bk_explanation) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_name", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| e.name.as_ptr())
    })
}

/// The defining RFC's number, or 0 when there is none.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_rfc(explanation: *const bk_explanation) -> u32 {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_rfc", 0, || {
        unsafe { explanation.as_ref() }.map_or(0, |e| e.rfc)
    })
}

/// Another defining document (a draft), or NULL. Owned by the explanation.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_reference(
    explanation: *const bk_explanation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_reference", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| opt_ptr(&e.reference))
    })
}

/// True for deprecated registry entries (X.6.10).
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_deprecated(explanation: *const bk_explanation) -> bool {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_deprecated", false, || {
        unsafe { explanation.as_ref() }.is_some_and(|e| e.deprecated)
    })
}

/// `"success"`, `"temporary"` or `"permanent"`. Owned by the explanation; NULL only for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_permanence(
    explanation: *const bk_explanation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_permanence", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| e.permanence.as_ptr())
    })
}

/// The class's name, e.g. `"Permanent Failure"`. Owned by the explanation; NULL only for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_class_name(
    explanation: *const bk_explanation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_class_name", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| e.class_name.as_ptr())
    })
}

/// What the class means. Owned by the explanation; NULL only for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_class_meaning(
    explanation: *const bk_explanation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_class_meaning", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| e.class_meaning.as_ptr())
    })
}

/// The verdict a classifier gives for this code alone; `BK_REASON_UNDEFINED` for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_reason(explanation: *const bk_explanation) -> bk_reason {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_reason", bk_reason::Undefined, || {
        unsafe { explanation.as_ref() }.map_or(bk_reason::Undefined, |e| e.reason)
    })
}

/// Hard, soft or none; `BK_BOUNCE_TYPE_NONE` for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_bounce_type(
    explanation: *const bk_explanation,
) -> bk_bounce_type {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_bounce_type", bk_bounce_type::None, || {
        unsafe { explanation.as_ref() }.map_or(bk_bounce_type::None, |e| e.bounce_type)
    })
}

/// The subject's area; `BK_CATEGORY_OTHER` for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_category(
    explanation: *const bk_explanation,
) -> bk_category {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_category", bk_category::Other, || {
        unsafe { explanation.as_ref() }.map_or(bk_category::Other, |e| e.category)
    })
}

/// What the sender should do; `BK_ACTION_IGNORE` for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_action(explanation: *const bk_explanation) -> bk_action {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_action", bk_action::Ignore, || {
        unsafe { explanation.as_ref() }.map_or(bk_action::Ignore, |e| e.action)
    })
}

/// One sentence. Owned by the explanation; NULL only for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_summary(
    explanation: *const bk_explanation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_summary", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| e.summary.as_ptr())
    })
}

/// What the code says and how servers use it. Owned by the explanation; NULL only for NULL.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_meaning(
    explanation: *const bk_explanation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_meaning", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| e.meaning.as_ptr())
    })
}

/// What this class of the code means for the sender, or NULL. Owned by the explanation.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_class_note(
    explanation: *const bk_explanation,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_explanation_class_note", NULL, || {
        unsafe { explanation.as_ref() }.map_or(NULL, |e| opt_ptr(&e.class_note))
    })
}

/// The number of items in one list of an explanation (`list` is a
/// `bk_explanation_list` value); 0 for NULL or an unknown list.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_list_len(
    explanation: *const bk_explanation,
    list: u32,
) -> usize {
    guard_value("bk_explanation_list_len", 0, || {
        // SAFETY: the caller's contract.
        unsafe { explanation.as_ref() }
            .and_then(|e| e.lists.get(list as usize))
            .map_or(0, Vec::len)
    })
}

/// The `index`-th item of one list of an explanation (`list` is a
/// `bk_explanation_list` value): NUL-terminated, owned by the
/// explanation, valid until `bk_explanation_free`. NULL for NULL, an
/// unknown list or an index past the end.
///
/// # Safety
/// `explanation` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_explanation_list_item(
    explanation: *const bk_explanation,
    list: u32,
    index: usize,
) -> *const c_char {
    guard_value("bk_explanation_list_item", NULL, || {
        // SAFETY: the caller's contract.
        unsafe { explanation.as_ref() }
            .and_then(|e| e.lists.get(list as usize))
            .and_then(|l| l.get(index))
            .map_or(NULL, |s| s.as_ptr())
    })
}
