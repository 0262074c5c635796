//! The package's `Report` and `Bounce` (frozen dataclasses of
//! `bouncekit/_message.py`) built here, directly, from the core's `Report`.
//!
//! A batch converts every message on the one thread that holds the GIL, so
//! this is the part of `parse_many` that does not scale with cores. It
//! therefore does as little as it can there:
//! - the output rows (`Report::rows`: copies, date parsing) are computed
//!   with the parse, on the pool's threads ([`Prepared`]);
//! - instances get their fields the way the dataclass's `__init__` sets
//!   them (`object.__setattr__`), without an intermediate dict per object;
//! - a row's value that equals one of the record's is the same `str`
//!   object, vocabulary words are the enums' own `str` values, and short
//!   repeated values (status codes, rule ids, `decoded_by`) come from a
//!   per-batch cache.
//!
//! The instances are complete before anyone sees them and never change, so
//! they are safe to share between threads.

use bouncekit::{Bounce, Report, Row};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyInt, PyString, PyTuple, PyType};
use rustc_hash::FxHashMap;

use crate::convert::py_word;
use crate::types::PyClassification;

/// `Report`'s fields, in the dataclass's order (checked at registration).
const REPORT_FIELDS: [&str; 12] = [
    "source",
    "kind",
    "reporting_mta",
    "sender",
    "subject",
    "date",
    "original_message_id",
    "original_from",
    "original_to",
    "original_subject",
    "recipients",
    "_rows",
];

/// `Bounce`'s fields, in the dataclass's order (checked at registration).
const BOUNCE_FIELDS: [&str; 14] = [
    "recipient",
    "original_recipient",
    "dsn_action",
    "status",
    "reply_code",
    "diagnostic",
    "remote_mta",
    "reporting_mta",
    "smtp_command",
    "arrival_date",
    "last_attempt_date",
    "decoded_by",
    "feedback_type",
    "classification",
];

/// What `_init_report` registers, once per process.
struct Classes {
    report: Py<PyType>,
    bounce: Py<PyType>,
    object_new: Py<PyAny>,
    report_names: Vec<Py<PyString>>,
    bounce_names: Vec<Py<PyString>>,
    empty: Py<PyString>,
    /// False on a free-threaded interpreter running without its GIL.
    gil: bool,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

fn names(py: Python<'_>, cls: &Bound<'_, PyType>, want: &[&str]) -> PyResult<Vec<Py<PyString>>> {
    let fields = py.import("dataclasses")?.getattr("fields")?.call1((cls,))?;
    let have = fields
        .try_iter()?
        .map(|f| f?.getattr("name")?.extract::<String>())
        .collect::<PyResult<Vec<_>>>()?;
    if have != want {
        return Err(PyTypeError::new_err(format!(
            "_init_report: {} has fields {have:?}, the compiled module sets {want:?}",
            cls.name()?
        )));
    }
    Ok(want.iter().map(|n| PyString::intern(py, n).unbind()).collect())
}

/// `_init_report(Report, Bounce)`: called once by `bouncekit/_message.py`.
pub fn init(py: Python<'_>, report: &Bound<'_, PyType>, bounce: &Bound<'_, PyType>) -> PyResult<()> {
    let classes = Classes {
        report_names: names(py, report, &REPORT_FIELDS)?,
        bounce_names: names(py, bounce, &BOUNCE_FIELDS)?,
        report: report.clone().unbind(),
        bounce: bounce.clone().unbind(),
        object_new: py.import("builtins")?.getattr("object")?.getattr("__new__")?.unbind(),
        empty: PyString::intern(py, "").unbind(),
        gil: {
            let sys = py.import("sys")?;
            match sys.getattr("_is_gil_enabled") {
                Ok(f) => f.call0()?.is_truthy()?,
                Err(_) => true,
            }
        },
    };
    // A second call (a reload) keeps the first registration.
    let _ = CLASSES.set(py, classes);
    Ok(())
}

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    if let Some(c) = CLASSES.get(py) {
        return Ok(c);
    }
    // Importing the package registers the classes.
    py.import("bouncekit")?;
    CLASSES.get(py).ok_or_else(|| {
        pyo3::exceptions::PyImportError::new_err("bouncekit was not initialised (import bouncekit)")
    })
}

/// A parsed message with its output rows, both made without the GIL.
pub struct Prepared {
    report: Report,
    rows: Vec<Row>,
}

impl Prepared {
    /// `source` is the rows' `source` (`""` when there is none).
    pub fn new(report: Report, source: &str) -> Self {
        let rows = report.rows(source);
        Prepared { report, rows }
    }
}

/// The garbage collector's automatic runs paused while a batch's objects
/// are made, then restored (if they were on). Each run walks the objects
/// of the batch made so far again, so a batch of N messages paid for
/// O(N) runs; after the pause one run takes them all, at the next
/// allocation. Only with the GIL: no other thread runs Python (nor sees
/// the pause) while this thread holds it and runs no Python code, which
/// `Builder` never does. Without a GIL (free-threaded), nothing is paused.
pub struct GcPause<'py> {
    /// Holds the GIL's token: the pause cannot outlive the GIL hold.
    _py: Python<'py>,
    on: bool,
}

impl<'py> GcPause<'py> {
    pub fn new(py: Python<'py>) -> Self {
        // SAFETY: with the GIL held (`py`); returns the previous state.
        let on = classes(py).is_ok_and(|c| c.gil) && unsafe { pyo3::ffi::PyGC_Disable() } == 1;
        GcPause { _py: py, on }
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if self.on {
            // SAFETY: the GIL is still held (the `Python` token).
            unsafe { pyo3::ffi::PyGC_Enable() };
        }
    }
}

/// Builds `Report` objects; keeps the cache of short repeated strings.
#[derive(Default)]
pub struct Builder {
    short: FxHashMap<Box<str>, Py<PyString>>,
}

/// Values longer than this are not cached (they rarely repeat).
const SHORT: usize = 64;
/// The cache is emptied when it reaches this many entries (memory stays bounded).
const CACHE_CAP: usize = 4096;

/// A fresh instance of `cls` with `values` set as its fields, as the
/// dataclass's `__init__` (`object.__setattr__`) would set them.
fn instance<'py>(
    py: Python<'py>,
    c: &Classes,
    cls: &Py<PyType>,
    names: &[Py<PyString>],
    values: &[Bound<'py, PyAny>],
) -> PyResult<Bound<'py, PyAny>> {
    let obj = c.object_new.bind(py).call1((cls.bind(py),))?;
    for (name, value) in names.iter().zip(values) {
        // SAFETY: three valid object pointers, held for the call; this is
        // `object.__setattr__`, which bypasses the frozen dataclass's
        // `__setattr__` exactly as its generated `__init__` does.
        let rc = unsafe {
            pyo3::ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr())
        };
        if rc != 0 {
            return Err(PyErr::fetch(py));
        }
    }
    Ok(obj)
}

/// A tuple of `str`, `int` and None (or of such tuples), untracked by the
/// garbage collector: it cannot be part of a cycle. CPython does the same
/// to such tuples at their first collection; doing it now spares the
/// collections a batch triggers from walking every row.
fn atomic_tuple<'py>(
    py: Python<'py>,
    values: impl IntoIterator<Item = Bound<'py, PyAny>, IntoIter: ExactSizeIterator>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = PyTuple::new(py, values)?;
    // SAFETY: a valid tuple we hold; untracking an object whose items are
    // never tracked objects is what the interpreter itself does.
    unsafe { pyo3::ffi::PyObject_GC_UnTrack(t.as_ptr().cast()) };
    Ok(t.into_any())
}

fn none(py: Python<'_>) -> Bound<'_, PyAny> {
    py.None().into_bound(py)
}

impl Builder {
    fn text<'py>(&self, py: Python<'py>, s: &str) -> Bound<'py, PyAny> {
        PyString::new(py, s).into_any()
    }

    fn opt<'py>(&self, py: Python<'py>, s: Option<&str>) -> Bound<'py, PyAny> {
        s.map_or_else(|| none(py), |s| self.text(py, s))
    }

    /// A short value that repeats across messages, from the cache.
    fn short<'py>(&mut self, py: Python<'py>, s: &str) -> Bound<'py, PyAny> {
        if s.len() > SHORT {
            return self.text(py, s);
        }
        if let Some(v) = self.short.get(s) {
            return v.bind(py).clone().into_any();
        }
        if self.short.len() >= CACHE_CAP {
            self.short.clear();
        }
        let v = PyString::new(py, s);
        self.short.insert(s.into(), v.clone().unbind());
        v.into_any()
    }

    fn short_opt<'py>(&mut self, py: Python<'py>, s: Option<&str>) -> Bound<'py, PyAny> {
        s.map_or_else(|| none(py), |s| self.short(py, s))
    }

    /// The report object; `source` is `Report.source` (None outside a scan).
    pub fn report<'py>(
        &mut self,
        py: Python<'py>,
        p: Prepared,
        source: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let Prepared { report: r, rows } = p;
        let source_obj = self.opt(py, source);
        let reporting_mta = self.opt(py, r.reporting_mta.as_deref());
        let date = self.opt(py, r.date.as_deref());
        let mut recipients = Vec::with_capacity(r.recipients.len());
        let mut row_objs = Vec::with_capacity(rows.len());
        // What a row's source, reporting MTA and timestamp may repeat.
        let empty = c.empty.bind(py).clone().into_any();
        let row_source = match source {
            Some(s) => (Some(s), &source_obj),
            None => (Some(""), &empty),
        };
        let report_values = [
            row_source,
            (r.reporting_mta.as_deref(), &reporting_mta),
            (r.date.as_deref(), &date),
        ];
        let mut rows = rows.into_iter();
        for b in r.recipients {
            let row = rows.next();
            recipients.push(self.bounce(py, c, b, row.as_ref(), report_values, &mut row_objs)?);
        }
        // `rows()` gives one row per recipient; any other would still show.
        for row in rows {
            row_objs.push(self.row(py, &row, &report_values, (None, &empty))?);
        }
        let values = [
            source_obj,
            py_word(py, r.kind)?,
            reporting_mta,
            self.opt(py, r.from.as_deref()),
            self.opt(py, r.subject.as_deref()),
            date,
            self.opt(py, r.original.message_id.as_deref()),
            self.opt(py, r.original.from.as_deref()),
            self.opt(py, r.original.to.as_deref()),
            self.opt(py, r.original.subject.as_deref()),
            PyTuple::new(py, recipients)?.into_any(),
            atomic_tuple(py, row_objs)?,
        ];
        instance(py, c, &c.report, &c.report_names, &values)
    }

    /// One recipient's `Bounce`, and its row (pushed to `rows`), which
    /// shares the bounce's values where they are equal.
    #[allow(clippy::too_many_arguments)]
    fn bounce<'py>(
        &mut self,
        py: Python<'py>,
        c: &Classes,
        b: Bounce,
        row: Option<&Row>,
        report: [(Option<&str>, &Bound<'py, PyAny>); 3],
        rows: &mut Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let status = b.status.map(|s| s.to_string());
        let recipient = self.text(py, &b.recipient);
        let status_obj = self.short_opt(py, status.as_deref());
        let reply = b.reply_code.map(|r| r.get());
        let reply_obj = reply.map_or_else(|| none(py), |r| PyInt::new(py, r).into_any());
        let diagnostic = self.text(py, &b.diagnostic);
        let remote_mta = self.opt(py, b.remote_mta.as_deref());
        let reporting_mta = self.opt(py, b.reporting_mta.as_deref());
        let smtp_command = self.short_opt(py, b.smtp_command.as_deref());
        let arrival = self.opt(py, b.arrival_date.as_deref());
        let last_attempt = self.opt(py, b.last_attempt_date.as_deref());
        let decoded_by = self.short(py, &b.decoded_by);
        let feedback_type = self.short_opt(py, b.feedback_type.as_deref());
        if let Some(row) = row {
            // The values a row field may repeat: the record's, then the report's.
            let [source, report_mta, report_date] = report;
            let same = [
                (Some(b.recipient.as_str()), &recipient),
                (status.as_deref(), &status_obj),
                (Some(b.diagnostic.as_str()), &diagnostic),
                (b.remote_mta.as_deref(), &remote_mta),
                (b.reporting_mta.as_deref(), &reporting_mta),
                (b.smtp_command.as_deref(), &smtp_command),
                (b.last_attempt_date.as_deref(), &last_attempt),
                (b.arrival_date.as_deref(), &arrival),
                (Some(b.decoded_by.as_str()), &decoded_by),
                (b.feedback_type.as_deref(), &feedback_type),
                source,
                report_mta,
                report_date,
            ];
            let reply = (reply, &reply_obj);
            rows.push(self.row(py, row, &same, reply)?);
        }
        let values = [
            recipient,
            self.opt(py, b.original_recipient.as_deref()),
            py_word(py, b.dsn_action)?,
            status_obj,
            reply_obj,
            diagnostic,
            remote_mta,
            reporting_mta,
            smtp_command,
            arrival,
            last_attempt,
            decoded_by,
            feedback_type,
            Bound::new(py, PyClassification(b.classification))?.into_any(),
        ];
        instance(py, c, &c.bounce, &c.bounce_names, &values)
    }

    /// A row as a tuple in `Row::FIELDS` order. Each value is a new object
    /// unless an equal one is among `same` (or the reply code's), or cached.
    fn row<'py>(
        &mut self,
        py: Python<'py>,
        row: &Row,
        same: &[(Option<&str>, &Bound<'py, PyAny>)],
        reply: (Option<u16>, &Bound<'py, PyAny>),
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = |s: &str| -> Bound<'py, PyAny> {
            same.iter()
                .find(|(t, _)| *t == Some(s))
                .map_or_else(|| PyString::new(py, s).into_any(), |(_, v)| (*v).clone())
        };
        let opt = |s: &Option<String>| s.as_deref().map_or_else(|| none(py), text);
        let reply_code = match row.reply_code {
            None => none(py),
            Some(r) if reply.0 == Some(r) => reply.1.clone(),
            Some(r) => PyInt::new(py, r).into_any(),
        };
        let values = [
            text(&row.source),
            self.short(py, row.message_kind),
            text(&row.recipient),
            self.short(py, row.dsn_action),
            row.status.as_deref().map_or_else(|| none(py), |s| self.short(py, s)),
            reply_code,
            self.short(py, row.reason),
            self.short(py, row.bounce_type),
            self.short(py, row.category),
            self.short(py, row.action),
            text(&row.diagnostic),
            opt(&row.remote_mta),
            opt(&row.reporting_mta),
            opt(&row.smtp_command),
            opt(&row.timestamp),
            text(&row.decoded_by),
            self.short(py, &row.rule),
            opt(&row.feedback_type),
        ];
        atomic_tuple(py, values)
    }
}
