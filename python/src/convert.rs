//! Conversions between Python objects and the core's types: text arguments,
//! the vocabulary enums (Python `enum.Enum` classes defined in
//! `bouncekit/_vocab.py` and registered here), and the exception hierarchy
//! (`bouncekit/_errors.py`).

use std::borrow::Cow;

use bouncekit::{Action, BounceType, Category, DsnAction, Error, MessageKind, Reason};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString, PyType};

/// The Python side registered by `bouncekit/__init__.py` through `_init`.
pub struct Registry {
    reason: Vec<Py<PyAny>>,
    bounce_type: Vec<Py<PyAny>>,
    category: Vec<Py<PyAny>>,
    action: Vec<Py<PyAny>>,
    message_kind: Vec<Py<PyAny>>,
    dsn_action: Vec<Py<PyAny>>,
    base_error: Py<PyType>,
    invalid_code: Py<PyType>,
    unknown_name: Py<PyType>,
    rules: Py<PyType>,
    file: Py<PyType>,
    parse: Py<PyType>,
    limit: Py<PyType>,
    pub policy: Py<PyType>,
    pub ledger: Py<PyType>,
    pub invalid_event: Py<PyType>,
    pub invalid_address: Py<PyType>,
}

static REGISTRY: PyOnceLock<Registry> = PyOnceLock::new();

fn members(
    cls: &Bound<'_, PyAny>,
    names: impl Iterator<Item = &'static str>,
) -> PyResult<Vec<Py<PyAny>>> {
    // `Enum(value)` looks the member up by value: once per word, at import.
    names.map(|n| cls.call1((n,)).map(|m| m.unbind())).collect()
}

fn error_type(d: &Bound<'_, PyDict>, name: &str) -> PyResult<Py<PyType>> {
    let v = d
        .get_item(name)?
        .ok_or_else(|| PyValueError::new_err(format!("_init: missing exception class {name}")))?;
    Ok(v.cast_into::<PyType>()?.unbind())
}

/// `_init(enums, errors)`: called once by `bouncekit/__init__.py`.
pub fn init(py: Python<'_>, enums: &Bound<'_, PyDict>, errors: &Bound<'_, PyDict>) -> PyResult<()> {
    let get = |name: &str| -> PyResult<Bound<'_, PyAny>> {
        enums
            .get_item(name)?
            .ok_or_else(|| PyValueError::new_err(format!("_init: missing enum {name}")))
    };
    let reg = Registry {
        reason: members(&get("Reason")?, Reason::ALL.iter().map(|r| r.as_str()))?,
        bounce_type: members(
            &get("BounceType")?,
            BounceType::ALL.iter().map(|r| r.as_str()),
        )?,
        category: members(&get("Category")?, Category::ALL.iter().map(|r| r.as_str()))?,
        action: members(&get("Action")?, Action::ALL.iter().map(|r| r.as_str()))?,
        message_kind: members(
            &get("MessageKind")?,
            MessageKind::ALL.iter().map(|r| r.as_str()),
        )?,
        dsn_action: members(&get("DsnAction")?, DsnAction::ALL.iter().map(|r| r.as_str()))?,
        base_error: error_type(errors, "BounceKitError")?,
        invalid_code: error_type(errors, "InvalidCodeError")?,
        unknown_name: error_type(errors, "UnknownNameError")?,
        rules: error_type(errors, "RulesError")?,
        file: error_type(errors, "FileError")?,
        parse: error_type(errors, "ParseError")?,
        limit: error_type(errors, "LimitError")?,
        policy: error_type(errors, "PolicyError")?,
        ledger: error_type(errors, "LedgerError")?,
        invalid_event: error_type(errors, "InvalidEventError")?,
        invalid_address: error_type(errors, "InvalidAddressError")?,
    };
    // A second call (a reload) keeps the first registration.
    let _ = REGISTRY.set(py, reg);
    Ok(())
}

pub fn registry(py: Python<'_>) -> PyResult<&Registry> {
    if let Some(r) = REGISTRY.get(py) {
        return Ok(r);
    }
    // `import bouncekit._bouncekit` always imports the package first, which
    // registers; this covers an embedding that skipped it.
    py.import("bouncekit")?;
    REGISTRY.get(py).ok_or_else(|| {
        pyo3::exceptions::PyImportError::new_err("bouncekit was not initialised (import bouncekit)")
    })
}

/// The Python enum member for a vocabulary word.
pub trait Word: Copy {
    fn index(self) -> usize;
    fn table(r: &Registry) -> &[Py<PyAny>];
}

macro_rules! word {
    ($t:ty, $field:ident) => {
        impl Word for $t {
            fn index(self) -> usize {
                // Fieldless enums: the discriminant is the position in `ALL`.
                self as usize
            }
            fn table(r: &Registry) -> &[Py<PyAny>] {
                &r.$field
            }
        }
    };
}
word!(Reason, reason);
word!(BounceType, bounce_type);
word!(Category, category);
word!(Action, action);

// The message enums are looked up by position in `ALL` (a handful of words).
macro_rules! word_by_position {
    ($t:ty, $field:ident) => {
        impl Word for $t {
            fn index(self) -> usize {
                <$t>::ALL.iter().position(|w| *w == self).unwrap_or(0)
            }
            fn table(r: &Registry) -> &[Py<PyAny>] {
                &r.$field
            }
        }
    };
}
word_by_position!(MessageKind, message_kind);
word_by_position!(DsnAction, dsn_action);

pub fn py_word<'py, W: Word>(py: Python<'py>, w: W) -> PyResult<Bound<'py, PyAny>> {
    Ok(W::table(registry(py)?)[w.index()].bind(py).clone())
}

/// A vocabulary word from Python: the enum member or its string value.
pub fn word_arg<T: std::str::FromStr<Err = Error>>(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<T> {
    let s = obj.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!("{what}: expected str, got {}", type_name(obj)))
    })?;
    s.to_str()?.parse::<T>().map_err(|e| to_pyerr(py, e))
}

/// The Python exception for a core error.
pub fn to_pyerr(py: Python<'_>, e: Error) -> PyErr {
    let reg = match registry(py) {
        Ok(r) => r,
        Err(err) => return err,
    };
    let ty = match &e {
        Error::InvalidStatusCode(_) | Error::InvalidReplyCode(_) => &reg.invalid_code,
        Error::UnknownName { .. } => &reg.unknown_name,
        Error::Rules { .. } => &reg.rules,
        Error::Io { .. } => &reg.file,
        Error::NotAMessage => &reg.parse,
        Error::LimitExceeded { .. } => &reg.limit,
        Error::Policy { .. } => &reg.policy,
        // The core's Error is non_exhaustive: new variants land here until
        // they get their own class.
        #[allow(unreachable_patterns)]
        _ => &reg.base_error,
    };
    PyErr::from_type(ty.bind(py).clone(), e.to_string())
}

pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// A text argument: `str` (lone surrogates replaced), or `bytes`/`bytearray`
/// (invalid UTF-8 replaced, as e-mail often is).
pub fn text_arg<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Cow<'a, str>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(match s.to_str() {
            Ok(t) => Cow::Borrowed(t),
            Err(_) => Cow::Owned(s.to_string_lossy().into_owned()),
        });
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(String::from_utf8_lossy(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Cow::Owned(
            String::from_utf8_lossy(&b.to_vec()).into_owned(),
        ));
    }
    Err(PyTypeError::new_err(format!(
        "{what}: expected str or bytes, got {}",
        type_name(obj)
    )))
}

/// Copies every text of an iterable out of Python (so the work can run
/// without the GIL).
pub fn texts_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected an iterable of str or bytes, got a single {} (wrap it in a list)",
            type_name(obj)
        )));
    }
    let iter = obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: expected an iterable of str or bytes, got {}",
            type_name(obj)
        ))
    })?;
    let mut out = Vec::with_capacity(obj.len().unwrap_or(0));
    for (i, item) in iter.enumerate() {
        let item = item?;
        out.push(text_arg(&item, &format!("{what}[{i}]"))?.into_owned());
    }
    Ok(out)
}
