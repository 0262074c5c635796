//! Parsing: raw messages -> the core's `Report`, converted to plain dicts
//! (the package wraps them in frozen `Report`/`Bounce` classes). Each
//! recipient's verdict is a `Classification`; the flat output-contract rows
//! come from the core's `Report::rows`.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

use bouncekit::{Classifier, Error, Limits, Report};
use pyo3::exceptions::{PyRuntimeError, PyStopIteration, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::batch;
use crate::convert::{py_word, to_pyerr, type_name};
use crate::types::PyClassification;
use crate::PARSE_CHUNK;

/// The limits' fields, in the order of `bouncekit.Limits`.
pub const LIMIT_FIELDS: [&str; 5] = [
    "max_message_size",
    "max_mime_depth",
    "max_parts",
    "max_recipients",
    "max_diagnostic_len",
];

fn limit_slots(l: &mut Limits) -> [&mut usize; 5] {
    [
        &mut l.max_message_size,
        &mut l.max_mime_depth,
        &mut l.max_parts,
        &mut l.max_recipients,
        &mut l.max_diagnostic_len,
    ]
}

/// The core's default limits, by field name.
pub fn default_limits() -> Vec<(&'static str, usize)> {
    let mut l = Limits::default();
    LIMIT_FIELDS.into_iter().zip(limit_slots(&mut l).map(|v| *v)).collect()
}

/// Limits from a `bouncekit.Limits` (any object with the five attributes);
/// None gives the defaults. Each must be a positive int.
pub fn limits_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Limits> {
    let mut l = Limits::default();
    let Some(o) = obj.filter(|o| !o.is_none()) else {
        return Ok(l);
    };
    for (name, slot) in LIMIT_FIELDS.into_iter().zip(limit_slots(&mut l)) {
        let v = o.getattr(name).map_err(|_| {
            PyTypeError::new_err(format!("limits: expected a bouncekit.Limits, got {}", type_name(o)))
        })?;
        match v.extract::<usize>() {
            Ok(n) if n > 0 => *slot = n,
            _ => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "limits.{name}: expected a positive int, got {}",
                    v.repr().map(|r| r.to_string()).unwrap_or_default()
                )))
            }
        }
    }
    Ok(l)
}

/// Raw message bytes from `bytes`, `bytearray` or `str` (UTF-8 encoded).
pub fn raw_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(match s.to_str() {
            Ok(t) => t.as_bytes().to_vec(),
            Err(_) => s.to_string_lossy().into_owned().into_bytes(),
        });
    }
    Err(PyTypeError::new_err(format!(
        "{what}: expected bytes or str, got {}",
        type_name(obj)
    )))
}

/// The report as a dict of the `Report` dataclass's fields (the package
/// sets them on the instance as they are): `kind` and each `dsn_action` are
/// already enum members, `recipients` a tuple of `Bounce` field dicts and
/// `_rows` a tuple of value tuples in `Row::FIELDS` order.
pub fn report_dict<'py>(
    py: Python<'py>,
    r: &Report,
    source: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "source"), source)?;
    d.set_item(intern!(py, "kind"), py_word(py, r.kind)?)?;
    d.set_item(intern!(py, "reporting_mta"), r.reporting_mta.as_deref())?;
    d.set_item(intern!(py, "sender"), r.from.as_deref())?;
    d.set_item(intern!(py, "subject"), r.subject.as_deref())?;
    d.set_item(intern!(py, "date"), r.date.as_deref())?;
    d.set_item(
        intern!(py, "original_message_id"),
        r.original.message_id.as_deref(),
    )?;
    d.set_item(intern!(py, "original_from"), r.original.from.as_deref())?;
    d.set_item(intern!(py, "original_to"), r.original.to.as_deref())?;
    d.set_item(
        intern!(py, "original_subject"),
        r.original.subject.as_deref(),
    )?;
    let mut recipients = Vec::with_capacity(r.recipients.len());
    for b in &r.recipients {
        let x = PyDict::new(py);
        x.set_item(intern!(py, "recipient"), &b.recipient)?;
        x.set_item(
            intern!(py, "original_recipient"),
            b.original_recipient.as_deref(),
        )?;
        x.set_item(intern!(py, "dsn_action"), py_word(py, b.dsn_action)?)?;
        x.set_item(intern!(py, "status"), b.status.map(|s| s.to_string()))?;
        x.set_item(intern!(py, "reply_code"), b.reply_code.map(|c| c.get()))?;
        x.set_item(intern!(py, "diagnostic"), &b.diagnostic)?;
        x.set_item(intern!(py, "remote_mta"), b.remote_mta.as_deref())?;
        x.set_item(intern!(py, "reporting_mta"), b.reporting_mta.as_deref())?;
        x.set_item(intern!(py, "smtp_command"), b.smtp_command.as_deref())?;
        x.set_item(intern!(py, "arrival_date"), b.arrival_date.as_deref())?;
        x.set_item(
            intern!(py, "last_attempt_date"),
            b.last_attempt_date.as_deref(),
        )?;
        x.set_item(intern!(py, "decoded_by"), &b.decoded_by)?;
        x.set_item(intern!(py, "feedback_type"), b.feedback_type.as_deref())?;
        x.set_item(
            intern!(py, "classification"),
            Bound::new(py, PyClassification(b.classification.clone()))?,
        )?;
        recipients.push(x);
    }
    d.set_item(intern!(py, "recipients"), PyTuple::new(py, recipients)?)?;
    let rows = r
        .rows(source.unwrap_or(""))
        .iter()
        .map(|row| PyTuple::new(py, row_values(row)))
        .collect::<PyResult<Vec<_>>>()?;
    d.set_item(intern!(py, "_rows"), PyTuple::new(py, rows)?)?;
    Ok(d)
}

/// A row's values in `Row::FIELDS` order, as Python values (None for none, reply_code an int).
fn row_values(r: &bouncekit::Row) -> [Option<RowValue<'_>>; 18] {
    use RowValue::{Int, Str};
    fn o(v: &Option<String>) -> Option<RowValue<'_>> {
        v.as_deref().map(Str)
    }
    [
        Some(Str(&r.source)),
        Some(Str(r.message_kind)),
        Some(Str(&r.recipient)),
        Some(Str(r.dsn_action)),
        r.status.as_deref().map(Str),
        r.reply_code.map(Int),
        Some(Str(r.reason)),
        Some(Str(r.bounce_type)),
        Some(Str(r.category)),
        Some(Str(r.action)),
        Some(Str(&r.diagnostic)),
        o(&r.remote_mta),
        o(&r.reporting_mta),
        o(&r.smtp_command),
        o(&r.timestamp),
        Some(Str(&r.decoded_by)),
        Some(Str(&r.rule)),
        o(&r.feedback_type),
    ]
}

#[derive(IntoPyObject)]
enum RowValue<'a> {
    Str(&'a str),
    Int(u16),
}

fn result_obj<'py>(
    py: Python<'py>,
    r: Result<Report, Error>,
    source: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    match r {
        Ok(rep) => Ok(report_dict(py, &rep, source)?.into_any()),
        Err(e) => Ok(to_pyerr(py, e).into_value(py).into_bound(py).into_any()),
    }
}

pub fn parse_one<'py>(
    py: Python<'py>,
    clf: &Classifier,
    raw: &Bound<'py, PyAny>,
    limits: Limits,
) -> PyResult<Bound<'py, PyDict>> {
    let bytes = raw_arg(raw, "raw")?;
    let r = py
        .detach(|| bouncekit::parse_with(clf, &bytes, &limits))
        .map_err(|e| to_pyerr(py, e))?;
    report_dict(py, &r, None)
}

/// Every message parsed on all cores; errors come back as exception objects in place.
pub fn parse_batch<'py>(
    py: Python<'py>,
    clf: &Arc<Classifier>,
    raws: &Bound<'py, PyAny>,
    limits: Limits,
) -> PyResult<Bound<'py, PyList>> {
    if raws.is_instance_of::<PyBytes>() || raws.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "raws: expected an iterable of messages, got a single message (wrap it in a list)",
        ));
    }
    let iter = raws.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "raws: expected an iterable of bytes, got {}",
            type_name(raws)
        ))
    })?;
    let mut msgs = Vec::new();
    for (i, m) in iter.enumerate() {
        msgs.push(raw_arg(&m?, &format!("raws[{i}]"))?);
    }
    let n = msgs.len();
    let clf = Arc::clone(clf);
    // Reports become Python objects (with the GIL) while the next ones
    // are parsed (without it).
    let mut objs = Vec::with_capacity(n);
    let (outcome, _msgs) = py.detach(|| {
        let parse = move |m: &Vec<Vec<u8>>, i: usize| bouncekit::parse_with(&clf, &m[i], &limits);
        batch::map_in_order(msgs, n, PARSE_CHUNK, parse, |reports| {
            Python::attach(|py| {
                for r in reports {
                    objs.push(result_obj(py, r, None)?.unbind());
                }
                Ok::<_, PyErr>(())
            })
        })
    });
    outcome.map_err(PyRuntimeError::new_err)??;
    PyList::new(py, objs)
}

type Item = (String, Result<Report, Error>);

/// A scan running on its own thread (the core's `Scan` borrows its
/// classifier, which this thread owns), handing reports over a bounded
/// channel: memory stays bounded and reading and parsing (on the core's
/// threads) overlap the Python consumer.
#[pyclass(module = "bouncekit._bouncekit", name = "_Scan", frozen)]
pub struct PyScan {
    rx: Mutex<Receiver<Item>>,
}

impl PyScan {
    pub fn start(clf: Arc<Classifier>, paths: Vec<String>, limits: Limits) -> PyResult<Self> {
        let (tx, rx) = sync_channel::<Item>(256);
        std::thread::Builder::new()
            .name("bouncekit-scan".into())
            .spawn(move || {
                let scan = bouncekit::scan::Scan::new(
                    paths.into_iter().map(std::path::PathBuf::from),
                    &clf,
                    limits,
                );
                // The core's pipeline: read and parse threads work ahead of
                // this one, which hands reports over in input order. An
                // error means the iterator was dropped: the scan stops.
                let _ = scan.for_each(|source, result| tx.send((source, result)).map_err(|_| ()));
            })
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        Ok(PyScan { rx: Mutex::new(rx) })
    }
}

#[pymethods]
impl PyScan {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// `(source, report dict or exception object)`.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<(String, Bound<'py, PyAny>)> {
        // Lock and wait without the GIL (another thread may hold the lock).
        let item = py.detach(|| self.rx.lock().ok().and_then(|rx| rx.recv().ok()));
        match item {
            None => Err(PyStopIteration::new_err(())),
            Some((source, r)) => {
                let obj = result_obj(py, r, Some(&source))?;
                Ok((source, obj))
            }
        }
    }
}
