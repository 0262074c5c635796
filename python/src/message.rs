//! Parsing: raw messages -> the core's `Report`, converted to the package's
//! frozen `Report`/`Bounce` classes (`report_objects`). Each recipient's
//! verdict is a `Classification`; the flat output-contract rows come from
//! the core's `Report::rows`.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

use bouncekit::{Classifier, Error, Limits};
use pyo3::exceptions::{PyRuntimeError, PyStopIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString};

use crate::batch;
use crate::convert::{to_pyerr, type_name};
use crate::report_objects::{Builder, GcPause, Prepared};
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

/// The `Report` object, or the exception object for an error.
fn result_obj<'py>(
    py: Python<'py>,
    builder: &mut Builder,
    r: Result<Prepared, Error>,
    source: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    match r {
        Ok(p) => builder.report(py, p, source),
        Err(e) => Ok(to_pyerr(py, e).into_value(py).into_bound(py).into_any()),
    }
}

pub fn parse_one<'py>(
    py: Python<'py>,
    clf: &Classifier,
    raw: &Bound<'py, PyAny>,
    limits: Limits,
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = raw_arg(raw, "raw")?;
    let p = py
        .detach(|| bouncekit::parse_with(clf, &bytes, &limits).map(|r| Prepared::new(r, "")))
        .map_err(|e| to_pyerr(py, e))?;
    Builder::default().report(py, p, None)
}

/// Every message parsed on all cores, as `(objects, errors)`: errors come
/// back as exception objects in place, and are counted.
pub fn parse_batch<'py>(
    py: Python<'py>,
    clf: &Arc<Classifier>,
    raws: &Bound<'py, PyAny>,
    limits: Limits,
) -> PyResult<(Bound<'py, PyList>, usize)> {
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
    let mut errors = 0;
    let mut builder = Builder::default();
    let (outcome, _msgs) = py.detach(|| {
        // The rows are made here too, on the pool's threads.
        let parse = move |m: &Vec<Vec<u8>>, i: usize| {
            bouncekit::parse_with(&clf, &m[i], &limits).map(|r| Prepared::new(r, ""))
        };
        batch::map_in_order(msgs, n, PARSE_CHUNK, parse, |reports| {
            Python::attach(|py| {
                let _pause = GcPause::new(py);
                for r in reports {
                    errors += usize::from(r.is_err());
                    objs.push(result_obj(py, &mut builder, r, None)?.unbind());
                }
                Ok::<_, PyErr>(())
            })
        })
    });
    outcome.map_err(PyRuntimeError::new_err)??;
    Ok((PyList::new(py, objs)?, errors))
}

type Item = (String, Result<Prepared, Error>);

/// A scan running on its own thread (the core's `Scan` borrows its
/// classifier, which this thread owns), handing reports over a bounded
/// channel: memory stays bounded and reading and parsing (on the core's
/// threads) overlap the Python consumer.
#[pyclass(module = "bouncekit._bouncekit", name = "_Scan", frozen)]
pub struct PyScan {
    rx: Mutex<Receiver<Item>>,
}

impl PyScan {
    /// `threads`: parse threads; 0 for the scan's default (one per core).
    pub fn start(clf: Arc<Classifier>, paths: Vec<String>, limits: Limits, threads: usize) -> PyResult<Self> {
        let (tx, rx) = sync_channel::<Item>(256);
        std::thread::Builder::new()
            .name("bouncekit-scan".into())
            .spawn(move || {
                let scan = bouncekit::scan::Scan::new(
                    paths.into_iter().map(std::path::PathBuf::from),
                    &clf,
                    limits,
                )
                .threads(threads);
                // The core's pipeline: read and parse threads work ahead of
                // this one, which hands reports over in input order. An
                // error means the iterator was dropped: the scan stops.
                // The rows are made here, without the GIL.
                let _ = scan.for_each(|source, result| {
                    let result = result.map(|r| Prepared::new(r, &source));
                    tx.send((source, result)).map_err(|_| ())
                });
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

    /// `(source, Report or exception object)`.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<(String, Bound<'py, PyAny>)> {
        // Lock and wait without the GIL (another thread may hold the lock).
        let item = py.detach(|| self.rx.lock().ok().and_then(|rx| rx.recv().ok()));
        match item {
            None => Err(PyStopIteration::new_err(())),
            Some((source, r)) => {
                let obj = result_obj(py, &mut Builder::default(), r, Some(&source))?;
                Ok((source, obj))
            }
        }
    }
}
