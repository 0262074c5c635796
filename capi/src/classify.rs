//! Classifying diagnostic text: the default classifier, classifiers with
//! user rules, and the `bk_classification` result handle.

use std::ffi::{c_char, CString};
use std::sync::Arc;

use bouncekit::{Classification, Classifier};

use crate::codes::{bk_found_codes, bk_status_code};
use crate::enums::{bk_action, bk_bounce_type, bk_category, bk_reason, bk_status_source};
use crate::ffi::{
    bk_result, bytes_arg, cstring, free_handle, guard, guard_value, handle_arg, into_handle,
    opt_ptr, out_arg, str_arg,
};

/// A classifier: the built-in rules, optionally with the user's rules
/// first. Opaque; create with `bk_classifier_new` or
/// `bk_classifier_new_with_rules`, release with `bk_classifier_free`.
///
/// A classifier is immutable: one `const bk_classifier *` may be used by
/// any number of threads at once.
pub struct bk_classifier {
    // Shared, so a scanner made from the classifier may outlive the handle.
    inner: Arc<Classifier>,
    rule_ids: Vec<CString>,
}

impl bk_classifier {
    pub(crate) fn inner(&self) -> &Classifier {
        &self.inner
    }

    pub(crate) fn shared(&self) -> Arc<Classifier> {
        Arc::clone(&self.inner)
    }

    fn new(inner: Classifier) -> Self {
        let rule_ids = inner.rules().iter().map(|r| cstring(&r.id)).collect();
        bk_classifier {
            inner: Arc::new(inner),
            rule_ids,
        }
    }
}

/// The verdict on one diagnostic text. Opaque; returned by `bk_classify`
/// and `bk_classifier_classify`, read with the `bk_classification_*`
/// accessors, released with `bk_classification_free`.
///
/// Its strings are owned by it: valid until `bk_classification_free`. It
/// is immutable, so it may be read from several threads at once.
pub struct bk_classification {
    status: Option<bk_status_code>,
    status_text: Option<CString>,
    status_source: bk_status_source,
    reply_code: u16,
    reason: bk_reason,
    bounce_type: bk_bounce_type,
    category: bk_category,
    action: bk_action,
    description: CString,
    rule: CString,
    note: Option<CString>,
}

impl From<Classification> for bk_classification {
    fn from(c: Classification) -> Self {
        bk_classification {
            status: c.status.map(Into::into),
            status_text: c.status.map(|s| cstring(&s.to_string())),
            status_source: c.status_source.into(),
            reply_code: c.reply_code.map_or(0, |r| r.get()),
            reason: c.reason.into(),
            bounce_type: c.bounce_type.into(),
            category: c.category.into(),
            action: c.action.into(),
            description: cstring(&c.description),
            rule: cstring(&c.rule),
            note: c.note.as_deref().map(cstring),
        }
    }
}

/// Classifies one diagnostic text with the built-in rules.
///
/// `text` is `len` bytes in any encoding (invalid UTF-8 is replaced, NULs
/// are fine, no terminating NUL is needed; `len == 0` is the empty text).
/// On success `*out` receives a new `bk_classification` that the caller
/// must release with `bk_classification_free`.
///
/// Returns `BK_RESULT_NULL_PARAMETER` if `out` is NULL or `text` is NULL
/// with `len > 0`. Thread-safe.
///
/// # Safety
/// `text` must point to `len` readable bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_classify(
    text: *const u8,
    len: usize,
    out: *mut *mut bk_classification,
) -> bk_result {
    guard("bk_classify", || {
        let out = out_arg(out, "out")?;
        let b = unsafe { bytes_arg(text, len, "text")? };
        let c = bouncekit::classify_bytes(b);
        *out = into_handle(bk_classification::from(c));
        Ok(())
    })
}

/// Creates a classifier with the built-in rules only (the one `bk_classify`
/// uses). On success `*out` receives a handle to release with
/// `bk_classifier_free`.
#[no_mangle]
pub extern "C" fn bk_classifier_new(out: *mut *mut bk_classifier) -> bk_result {
    guard("bk_classifier_new", || {
        let out = out_arg(out, "out")?;
        *out = into_handle(bk_classifier::new(Classifier::new()));
        Ok(())
    })
}

/// Creates a classifier whose user rules (the text of a TOML rules file,
/// `len` bytes of UTF-8, the format of `data/rules/`) go before the
/// built-in ones. On success `*out` receives a handle to release with
/// `bk_classifier_free`.
///
/// Returns `BK_RESULT_RULES_ERROR` when the rules do not load (the message
/// says which rule and why), `BK_RESULT_INVALID_UTF8`,
/// `BK_RESULT_NULL_PARAMETER`.
///
/// # Safety
/// `rules` must point to `len` readable bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_classifier_new_with_rules(
    rules: *const u8,
    len: usize,
    out: *mut *mut bk_classifier,
) -> bk_result {
    guard("bk_classifier_new_with_rules", || {
        let out = out_arg(out, "out")?;
        let text = unsafe { str_arg(rules, len, "rules")? };
        let c = Classifier::with_user_rules(text, "(user rules)")?;
        *out = into_handle(bk_classifier::new(c));
        Ok(())
    })
}

/// Releases a classifier. NULL is a no-op. The handle must not be used
/// afterwards (nor concurrently with this call); classifications it made
/// stay valid.
///
/// # Safety
/// `classifier` must be NULL or a live handle from `bk_classifier_new*`.
#[no_mangle]
pub unsafe extern "C" fn bk_classifier_free(classifier: *mut bk_classifier) {
    guard_value("bk_classifier_free", (), || unsafe {
        free_handle(classifier)
    })
}

/// Classifies one diagnostic text with `classifier` (see `bk_classify`
/// for `text`). On success `*out` receives a new `bk_classification` to
/// release with `bk_classification_free`. Thread-safe.
///
/// # Safety
/// `classifier` must be a live handle; `text` must point to `len` readable
/// bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_classifier_classify(
    classifier: *const bk_classifier,
    text: *const u8,
    len: usize,
    out: *mut *mut bk_classification,
) -> bk_result {
    guard("bk_classifier_classify", || {
        let cl = handle_arg(classifier, "classifier")?;
        let out = out_arg(out, "out")?;
        let b = unsafe { bytes_arg(text, len, "text")? };
        let c = cl.inner.classify(&String::from_utf8_lossy(b));
        *out = into_handle(bk_classification::from(c));
        Ok(())
    })
}

/// Classifies a diagnostic with codes known from elsewhere (a DSN's
/// `Status:` field, say): `hints` may be NULL (no hints). Codes in the text
/// win, except that a hint fills a missing code and replaces a text code
/// whose detail is 0 (`5.0.0`) with a more specific one.
///
/// Returns `BK_RESULT_INVALID_CODE` when a hint is not a valid code, else
/// as `bk_classifier_classify`.
///
/// # Safety
/// As `bk_classifier_classify`; `hints` must be NULL or point to a
/// `bk_found_codes`.
#[no_mangle]
pub unsafe extern "C" fn bk_classifier_classify_with(
    classifier: *const bk_classifier,
    text: *const u8,
    len: usize,
    hints: *const bk_found_codes,
    out: *mut *mut bk_classification,
) -> bk_result {
    guard("bk_classifier_classify_with", || {
        let cl = handle_arg(classifier, "classifier")?;
        let out = out_arg(out, "out")?;
        let b = unsafe { bytes_arg(text, len, "text")? };
        // SAFETY: NULL is allowed and means no hints; otherwise the caller's contract.
        let hints = match unsafe { hints.as_ref() } {
            Some(h) => h.to_core()?,
            None => Default::default(),
        };
        let c = cl.inner.classify_with(&String::from_utf8_lossy(b), hints);
        *out = into_handle(bk_classification::from(c));
        Ok(())
    })
}

/// The number of rules of a classifier, user rules first; 0 for NULL.
///
/// # Safety
/// `classifier` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classifier_rule_count(classifier: *const bk_classifier) -> usize {
    guard_value("bk_classifier_rule_count", 0, || {
        // SAFETY: the caller's contract.
        unsafe { classifier.as_ref() }.map_or(0, |c| c.rule_ids.len())
    })
}

/// The id of the `index`-th rule (user rules first), e.g.
/// `"generic.user_unknown"`: NUL-terminated, owned by the classifier,
/// valid until `bk_classifier_free`. NULL for a NULL handle or an index
/// past the end.
///
/// # Safety
/// `classifier` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classifier_rule_id(
    classifier: *const bk_classifier,
    index: usize,
) -> *const c_char {
    guard_value("bk_classifier_rule_id", std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { classifier.as_ref() }
            .and_then(|c| c.rule_ids.get(index))
            .map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// Releases a classification. NULL is a no-op. Its strings die with it.
///
/// # Safety
/// `classification` must be NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_free(classification: *mut bk_classification) {
    guard_value("bk_classification_free", (), || unsafe {
        free_handle(classification)
    })
}

/// The reason; `BK_REASON_UNDEFINED` for NULL.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_reason(
    classification: *const bk_classification,
) -> bk_reason {
    // SAFETY: the caller's contract.
    guard_value("bk_classification_reason", bk_reason::Undefined, || {
        unsafe { classification.as_ref() }.map_or(bk_reason::Undefined, |c| c.reason)
    })
}

/// Hard, soft or none; `BK_BOUNCE_TYPE_NONE` for NULL.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_bounce_type(
    classification: *const bk_classification,
) -> bk_bounce_type {
    // SAFETY: the caller's contract.
    guard_value(
        "bk_classification_bounce_type",
        bk_bounce_type::None,
        || unsafe { classification.as_ref() }.map_or(bk_bounce_type::None, |c| c.bounce_type),
    )
}

/// The status subject's area (the reason's when there is no status);
/// `BK_CATEGORY_OTHER` for NULL.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_category(
    classification: *const bk_classification,
) -> bk_category {
    // SAFETY: the caller's contract.
    guard_value("bk_classification_category", bk_category::Other, || {
        unsafe { classification.as_ref() }.map_or(bk_category::Other, |c| c.category)
    })
}

/// What the sender should do; `BK_ACTION_IGNORE` for NULL.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_action(
    classification: *const bk_classification,
) -> bk_action {
    // SAFETY: the caller's contract.
    guard_value("bk_classification_action", bk_action::Ignore, || {
        unsafe { classification.as_ref() }.map_or(bk_action::Ignore, |c| c.action)
    })
}

/// Whether the status was found in the text, derived from the verdict,
/// or absent; `BK_STATUS_SOURCE_NONE` for NULL.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_status_source(
    classification: *const bk_classification,
) -> bk_status_source {
    // SAFETY: the caller's contract.
    guard_value(
        "bk_classification_status_source",
        bk_status_source::None,
        || unsafe { classification.as_ref() }.map_or(bk_status_source::None, |c| c.status_source),
    )
}

/// The enhanced status code as text, e.g. `"5.1.1"`, or NULL when there
/// is none (or for NULL). Owned by the classification.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_status(
    classification: *const bk_classification,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_classification_status", std::ptr::null(), || {
        unsafe { classification.as_ref() }.map_or(std::ptr::null(), |c| opt_ptr(&c.status_text))
    })
}

/// The SMTP reply code found in the text (e.g. 550), or 0 when there is none.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_reply_code(
    classification: *const bk_classification,
) -> u16 {
    // SAFETY: the caller's contract.
    guard_value("bk_classification_reply_code", 0, || {
        unsafe { classification.as_ref() }.map_or(0, |c| c.reply_code)
    })
}

/// The knowledge base's short meaning of the status (or of the reason).
/// Owned by the classification; NULL only for NULL.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_description(
    classification: *const bk_classification,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_classification_description", std::ptr::null(), || {
        unsafe { classification.as_ref() }.map_or(std::ptr::null(), |c| c.description.as_ptr())
    })
}

/// What decided: a rule id, `status:X.s.d`, `reply:NNN` or `none`.
/// Owned by the classification; NULL only for NULL.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_rule(
    classification: *const bk_classification,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_classification_rule", std::ptr::null(), || {
        unsafe { classification.as_ref() }.map_or(std::ptr::null(), |c| c.rule.as_ptr())
    })
}

/// A remark on the decision (e.g. reply and enhanced code disagree), or
/// NULL when there is none. Owned by the classification.
///
/// # Safety
/// `classification` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_note(
    classification: *const bk_classification,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value("bk_classification_note", std::ptr::null(), || {
        unsafe { classification.as_ref() }.map_or(std::ptr::null(), |c| opt_ptr(&c.note))
    })
}

/// Writes the enhanced status code as numbers into `*out` and returns
/// true; returns false (writing nothing) when there is no status or an
/// argument is NULL.
///
/// # Safety
/// `classification` must be NULL or a live handle; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bk_classification_status_code(
    classification: *const bk_classification,
    out: *mut bk_status_code,
) -> bool {
    guard_value("bk_classification_status_code", false, || {
        // SAFETY: the caller's contract.
        match (unsafe { classification.as_ref() }, unsafe { out.as_mut() }) {
            (Some(c), Some(o)) => match c.status {
                Some(s) => {
                    *o = s;
                    true
                }
                None => false,
            },
            _ => false,
        }
    })
}
