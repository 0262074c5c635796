//! The reason vocabulary: names, definitions, defaults and the mappings to
//! other taxonomies (Amazon SES, SparkPost, KumoMTA, SendGrid, Postmark).

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use bouncekit::Reason;

use crate::enums::{bk_action, bk_bounce_type, bk_category, bk_reason};
use crate::ffi::{bk_result, cstring, guard, guard_value, opt_ptr, out_arg, str_arg, Failure};

/// What the knowledge base says of one reason: its definition, defaults and
/// its equivalents in other taxonomies. Filled by `bk_reason_get_info`.
///
/// Every string is static: NUL-terminated, valid for the life of the
/// process, never to be freed. Optional strings are NULL when the reason
/// has no such mapping.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bk_reason_info {
    /// The reason described.
    pub reason: bk_reason,
    /// Its word, e.g. `"mailboxfull"`.
    pub name: *const c_char,
    /// What it means, in a sentence or two.
    pub definition: *const c_char,
    /// The default bounce type (`notaccept` is hard only with a 5xx code).
    pub bounce_type: bk_bounce_type,
    /// The default action.
    pub action: bk_action,
    /// The area the reason belongs to.
    pub category: bk_category,
    /// The typical enhanced status code, e.g. `"5.2.2"`, or NULL.
    pub status: *const c_char,
    /// Amazon SES bounceType: `"Permanent"`, `"Transient"`, `"Undetermined"`, or NULL.
    pub ses_type: *const c_char,
    /// Amazon SES bounceSubType, e.g. `"NoEmail"`, or NULL.
    pub ses_subtype: *const c_char,
    /// SparkPost/Momentum bounce class (1..100), or 0 when none.
    pub sparkpost_class: u8,
    /// KumoMTA bounce class, or NULL.
    pub kumomta: *const c_char,
    /// SendGrid bounce classification, or NULL.
    pub sendgrid: *const c_char,
    /// Postmark bounce type name, or NULL.
    pub postmark: *const c_char,
}

struct InfoStrings {
    name: CString,
    definition: CString,
    status: Option<CString>,
    ses_type: Option<CString>,
    ses_subtype: Option<CString>,
    kumomta: Option<CString>,
    sendgrid: Option<CString>,
    postmark: Option<CString>,
}

// SAFETY: the raw pointers point into `INFOS`' own CStrings, which live for
// the whole process and are never mutated.
struct Infos(Vec<(InfoStrings, bk_reason_info)>);
unsafe impl Send for Infos {}
unsafe impl Sync for Infos {}

fn infos() -> &'static Infos {
    static INFOS: OnceLock<Infos> = OnceLock::new();
    INFOS.get_or_init(|| {
        let mut v = Vec::new();
        for &r in bk_reason::ALL {
            let core: Reason = r.into();
            let i = core.info();
            let s = InfoStrings {
                name: cstring(core.as_str()),
                definition: cstring(&i.definition),
                status: i.status.as_deref().map(cstring),
                ses_type: i.ses.as_ref().map(|m| cstring(&m.bounce_type)),
                ses_subtype: i.ses.as_ref().map(|m| cstring(&m.subtype)),
                kumomta: i.kumomta.as_deref().map(cstring),
                sendgrid: i.sendgrid.as_deref().map(cstring),
                postmark: i.postmark.as_deref().map(cstring),
            };
            // The CStrings' heap buffers do not move when `s` moves into the Vec.
            let c = bk_reason_info {
                reason: r,
                name: s.name.as_ptr(),
                definition: s.definition.as_ptr(),
                bounce_type: i.bounce_type.into(),
                action: i.action.into(),
                category: i.category.into(),
                status: opt_ptr(&s.status),
                ses_type: opt_ptr(&s.ses_type),
                ses_subtype: opt_ptr(&s.ses_subtype),
                sparkpost_class: i.sparkpost.unwrap_or(0),
                kumomta: opt_ptr(&s.kumomta),
                sendgrid: opt_ptr(&s.sendgrid),
                postmark: opt_ptr(&s.postmark),
            };
            v.push((s, c));
        }
        Infos(v)
    })
}

/// The number of reasons: the `bk_reason` values are `0 .. bk_reason_count() - 1`.
#[no_mangle]
pub extern "C" fn bk_reason_count() -> usize {
    guard_value("bk_reason_count", 0, || bk_reason::ALL.len())
}

/// Fills `*out` with what the knowledge base says of `reason` (a
/// `bk_reason` value): definition, defaults, taxonomy mappings. The
/// strings in it are static.
///
/// Returns `BK_RESULT_INVALID_PARAMETER` for a value that is not a
/// `bk_reason`, `BK_RESULT_NULL_PARAMETER` if `out` is NULL.
#[no_mangle]
pub extern "C" fn bk_reason_get_info(reason: u32, out: *mut bk_reason_info) -> bk_result {
    guard("bk_reason_get_info", || {
        let out = out_arg(out, "out")?;
        let r = bk_reason::from_u32(reason).ok_or_else(|| {
            Failure::new(
                bk_result::InvalidParameter,
                format!("{reason} is not a bk_reason"),
            )
        })?;
        *out = infos().0[r as usize].1;
        Ok(())
    })
}

/// The definition of a reason (a `bk_reason` value): a static
/// NUL-terminated string, or NULL for a value that is not a `bk_reason`.
#[no_mangle]
pub extern "C" fn bk_reason_definition(reason: u32) -> *const c_char {
    guard_value("bk_reason_definition", std::ptr::null(), || {
        bk_reason::from_u32(reason).map_or(std::ptr::null(), |r| infos().0[r as usize].1.definition)
    })
}

/// The reason named by `name` (`len` bytes, e.g. `"userunknown"`;
/// exact, lowercase) into `*out`.
///
/// Returns `BK_RESULT_UNKNOWN_NAME` for a word outside the vocabulary,
/// `BK_RESULT_INVALID_UTF8` if the name is not UTF-8,
/// `BK_RESULT_NULL_PARAMETER` if `out` is NULL (or `name` is NULL with
/// `len > 0`).
///
/// # Safety
/// `name` must point to `len` readable bytes (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn bk_reason_from_name(
    name: *const u8,
    len: usize,
    out: *mut bk_reason,
) -> bk_result {
    guard("bk_reason_from_name", || {
        let out = out_arg(out, "out")?;
        let s = unsafe { str_arg(name, len, "name")? };
        let r: Reason = s.parse()?;
        *out = r.into();
        Ok(())
    })
}
