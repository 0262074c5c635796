//! Python bindings (pyo3) for bouncekit: conversions only, no logic.
//!
//! The compiled module is `bouncekit._bouncekit`; the package
//! `python/bouncekit/` re-exports it, defines the enums and exceptions (and
//! registers them here through `_init`), and adds the pandas/Arrow helpers.
//!
//! Threads: every class is frozen (immutable) and `Send + Sync`, so objects
//! can be shared between threads; batch calls copy their inputs out of
//! Python, release the GIL (`Python::detach`) and use all cores (rayon).

use std::sync::{Arc, OnceLock};

use bouncekit::{Classifier, FoundCodes};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

// mimalloc for the module's own (Rust) allocations: a parsed message makes
// some forty of them on the pool's threads and more while its objects are
// built; glibc's allocator spent ~12K instructions a message on them
// (callgrind). Python's objects stay with Python's allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod arrow;
mod arrow_ffi;
mod batch;
mod convert;
mod ledger;
mod domain;
mod message;
mod report_objects;
mod types;

use convert::{text_arg, texts_arg, to_pyerr};
use types::{
    parse_reply, parse_status, PyClassification, PyExplanation, PyFoundCodes, PyReasonInfo, PyRule,
};

/// Texts per chunk of a classify batch (a few hundred microseconds of
/// work: big enough to dwarf handing it out, small enough that nobody waits
/// long for the last one).
pub(crate) const CLASSIFY_CHUNK: usize = 64;
/// Messages per chunk of a parse batch (same reasoning; a message costs
/// some 15x a diagnostic).
pub(crate) const PARSE_CHUNK: usize = 4;

/// The built-in classifier, shared by the module-level functions.
fn default_classifier() -> &'static Arc<Classifier> {
    static C: OnceLock<Arc<Classifier>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Classifier::new()))
}

fn hints(py: Python<'_>, status: Option<&str>, reply_code: Option<u16>) -> PyResult<FoundCodes> {
    Ok(FoundCodes {
        status: parse_status(py, status)?,
        reply: parse_reply(py, reply_code)?,
    })
}

fn classify_one(
    py: Python<'_>,
    clf: &Classifier,
    text: &Bound<'_, PyAny>,
    status: Option<&str>,
    reply_code: Option<u16>,
) -> PyResult<PyClassification> {
    let text = text_arg(text, "text")?;
    let h = hints(py, status, reply_code)?;
    // Long texts are classified without the GIL (copying is cheap next to
    // the matching); short ones are not worth the round trip.
    let c = if text.len() > 64 * 1024 {
        let owned = text.into_owned();
        py.detach(|| clf.classify_with(&owned, h))
    } else {
        clf.classify_with(&text, h)
    };
    Ok(PyClassification(c))
}

fn classify_batch<'py>(
    py: Python<'py>,
    clf: &Arc<Classifier>,
    texts: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let texts = texts_arg(texts, "texts")?;
    let n = texts.len();
    let clf = Arc::clone(clf);
    // Verdicts become Python objects (with the GIL) while the next ones
    // are worked out (without it).
    let mut objs = Vec::with_capacity(n);
    let (outcome, _texts) = py.detach(|| {
        let classify = move |t: &Vec<String>, i: usize| clf.classify(&t[i]);
        batch::map_in_order(texts, n, CLASSIFY_CHUNK, classify, |verdicts| {
            Python::attach(|py| {
                for c in verdicts {
                    objs.push(Py::new(py, PyClassification(c))?);
                }
                Ok::<_, PyErr>(())
            })
        })
    });
    outcome.map_err(PyRuntimeError::new_err)??;
    PyList::new(py, objs)
}

/// Classifies one diagnostic text (an SMTP reply, a DSN Diagnostic-Code, a
/// log line) with the built-in rules.
///
/// ``text`` is a ``str`` or ``bytes`` (invalid UTF-8 is replaced). The
/// optional ``status`` and ``reply_code`` are codes known from elsewhere (a
/// DSN's ``Status:`` field): they fill in what the text lacks.
///
/// >>> bouncekit.classify("550 5.1.1 <a@example.com>: User unknown").reason
/// <Reason.USERUNKNOWN: 'userunknown'>
#[pyfunction]
#[pyo3(signature = (text, *, status=None, reply_code=None))]
fn classify(
    py: Python<'_>,
    text: &Bound<'_, PyAny>,
    status: Option<&str>,
    reply_code: Option<u16>,
) -> PyResult<PyClassification> {
    classify_one(py, default_classifier(), text, status, reply_code)
}

/// Classifies many texts at once, in order, on all cores without the GIL.
///
/// ``texts`` is any iterable of ``str`` or ``bytes``; returns a list of
/// :class:`Classification`.
#[pyfunction]
fn classify_many<'py>(py: Python<'py>, texts: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    classify_batch(py, default_classifier(), texts)
}

/// Column-at-a-time classification (see ``bouncekit.classify_arrow``):
/// returns an object exporting an Arrow record batch (``__arrow_c_array__``).
#[pyfunction]
#[pyo3(signature = (data, classifier=None))]
fn _classify_arrow<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    classifier: Option<PyRef<'py, PyClassifier>>,
) -> PyResult<Bound<'py, PyAny>> {
    match classifier {
        Some(c) => arrow::classify_arrow(py, &c.inner, data),
        None => arrow::classify_arrow(py, default_classifier(), data),
    }
}

fn classifier_or_default(c: &Option<PyRef<'_, PyClassifier>>) -> Arc<Classifier> {
    match c {
        Some(c) => c.inner.clone(),
        None => default_classifier().clone(),
    }
}

/// Parses one raw message into a ``Report``.
#[pyfunction]
#[pyo3(signature = (raw, classifier=None, limits=None))]
fn _parse<'py>(
    py: Python<'py>,
    raw: &Bound<'py, PyAny>,
    classifier: Option<PyRef<'py, PyClassifier>>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = message::limits_arg(limits)?;
    message::parse_one(py, &classifier_or_default(&classifier), raw, limits)
}

/// Parses many raw messages on all cores: ``(reports, errors)``, each
/// error an exception object in place, ``errors`` their number.
#[pyfunction]
#[pyo3(signature = (raws, classifier=None, limits=None))]
fn _parse_many<'py>(
    py: Python<'py>,
    raws: &Bound<'py, PyAny>,
    classifier: Option<PyRef<'py, PyClassifier>>,
    limits: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyList>, usize)> {
    let limits = message::limits_arg(limits)?;
    message::parse_batch(py, &classifier_or_default(&classifier), raws, limits)
}

/// Scans files, directories, mbox files and Maildirs: an iterator of
/// ``(source, Report or exception)``.
/// ``threads``: parse threads, at least 1 (``None``: one per core).
#[pyfunction]
#[pyo3(signature = (paths, classifier=None, limits=None, threads=None))]
fn _scan(
    paths: Vec<std::path::PathBuf>,
    classifier: Option<PyRef<'_, PyClassifier>>,
    limits: Option<&Bound<'_, PyAny>>,
    threads: Option<usize>,
) -> PyResult<message::PyScan> {
    let limits = message::limits_arg(limits)?;
    if threads == Some(0) {
        return Err(pyo3::exceptions::PyValueError::new_err("scan: threads must be at least 1"));
    }
    let paths = paths
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    message::PyScan::start(classifier_or_default(&classifier), paths, limits, threads.unwrap_or(0))
}

/// Arrow column of raw messages -> a record batch of output-contract rows
/// (see ``bouncekit.parse_arrow``); failed messages raise or come back per
/// ``errors``.
#[pyfunction]
#[pyo3(signature = (data, classifier=None, limits=None, errors="raise"))]
fn _parse_arrow<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    classifier: Option<PyRef<'py, PyClassifier>>,
    limits: Option<&Bound<'py, PyAny>>,
    errors: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = message::limits_arg(limits)?;
    arrow::parse_arrow(py, &classifier_or_default(&classifier), data, &limits, errors)
}

/// Seconds the core takes, on this thread and without Python objects, to
/// classify every text (``what="classify"``) or parse every message
/// (``"parse"``) of ``items``, ``rounds`` times over: the yardstick
/// ``benches/python_bench.py`` measures the bindings against, in the same
/// process and under the same load.
#[pyfunction]
fn _time_core(py: Python<'_>, what: &str, items: &Bound<'_, PyAny>, rounds: usize) -> PyResult<f64> {
    use std::hint::black_box;
    use std::time::Instant;
    let clf = default_classifier();
    match what {
        "classify" => {
            let texts = texts_arg(items, "items")?;
            Ok(py.detach(|| {
                let start = Instant::now();
                for _ in 0..rounds {
                    for t in &texts {
                        black_box(clf.classify(black_box(t)));
                    }
                }
                start.elapsed().as_secs_f64()
            }))
        }
        "parse" => {
            let raws = items
                .try_iter()?
                .map(|m| message::raw_arg(&m?, "items[]"))
                .collect::<PyResult<Vec<_>>>()?;
            let limits = bouncekit::Limits::default();
            Ok(py.detach(|| {
                let start = Instant::now();
                for _ in 0..rounds {
                    for m in &raws {
                        let _ = black_box(bouncekit::parse_with(clf, black_box(m), &limits));
                    }
                }
                start.elapsed().as_secs_f64()
            }))
        }
        _ => Err(PyValueError::new_err(format!(
            "what: expected 'classify' or 'parse', got {what:?}"
        ))),
    }
}

/// The core's default parsing limits: ``[(field, value), ...]``.
#[pyfunction]
fn _default_limits() -> Vec<(&'static str, usize)> {
    message::default_limits()
}

/// The knowledge base's reference page for an enhanced status code: name,
/// meaning, permanence, causes, how to resolve, investigation steps, RFC.
///
/// Unknown but well-formed codes (``5.7.606``) get the subject-level answer;
/// malformed ones raise :class:`InvalidCodeError`.
#[pyfunction]
fn explain(py: Python<'_>, code: &str) -> PyResult<PyExplanation> {
    PyExplanation::from_code(py, code)
}

/// Finds the SMTP reply code and the enhanced status code in a text.
#[pyfunction]
fn find_codes(text: &Bound<'_, PyAny>) -> PyResult<PyFoundCodes> {
    let text = text_arg(text, "text")?;
    Ok(PyFoundCodes(bouncekit::find_codes(&text)))
}

/// Every reason of the vocabulary, in order, with its metadata and mappings.
#[pyfunction]
fn reasons() -> Vec<PyReasonInfo> {
    bouncekit::Reason::ALL
        .iter()
        .map(|&r| PyReasonInfo(r))
        .collect()
}

/// The metadata and mappings of one reason (a :class:`Reason` or its value).
#[pyfunction]
fn reason_info(py: Python<'_>, reason: &Bound<'_, PyAny>) -> PyResult<PyReasonInfo> {
    convert::word_arg(py, reason, "reason").map(PyReasonInfo)
}

/// The registry keys of every code in the IANA registry (``X.0.0`` ..).
#[pyfunction]
fn registered_codes() -> Vec<String> {
    bouncekit::registered_codes()
}

/// The words of one vocabulary, in order (used to build the enums).
#[pyfunction]
fn _vocabulary(name: &str) -> PyResult<Vec<&'static str>> {
    use bouncekit::{Action, BounceType, Category, Reason};
    Ok(match name {
        "Reason" => Reason::ALL.iter().map(|x| x.as_str()).collect(),
        "BounceType" => BounceType::ALL.iter().map(|x| x.as_str()).collect(),
        "Category" => Category::ALL.iter().map(|x| x.as_str()).collect(),
        "Action" => Action::ALL.iter().map(|x| x.as_str()).collect(),
        "MessageKind" => bouncekit::MessageKind::ALL.iter().map(|x| x.as_str()).collect(),
        "DsnAction" => bouncekit::DsnAction::ALL.iter().map(|x| x.as_str()).collect(),
        _ => return Err(PyValueError::new_err(format!("no vocabulary {name:?}"))),
    })
}

/// Registers the package's enums and exceptions (called once by ``bouncekit``).
#[pyfunction]
fn _init(py: Python<'_>, enums: &Bound<'_, PyDict>, errors: &Bound<'_, PyDict>) -> PyResult<()> {
    convert::init(py, enums, errors)
}

/// Registers the ``Report`` and ``Bounce`` classes that ``_parse``,
/// ``_parse_many`` and ``_scan`` build (called once by ``bouncekit``).
#[pyfunction]
fn _init_report(py: Python<'_>, report: &Bound<'_, PyType>, bounce: &Bound<'_, PyType>) -> PyResult<()> {
    report_objects::init(py, report, bounce)
}

/// A classifier: the built-in rules, with the user's rules first.
///
/// ``Classifier()`` has the built-in rules only; ``Classifier(rules_path)``
/// or ``Classifier(rules_text=toml_text)`` adds a rules file (the TOML
/// format of ``data/rules/``). Rule errors raise :class:`RulesError`, a
/// file that cannot be read :class:`FileError`. Instances are immutable,
/// safe to share between threads, and pickle (with their rules' text).
#[pyclass(module = "bouncekit", name = "Classifier", frozen)]
struct PyClassifier {
    inner: Arc<Classifier>,
    /// The user rules' text and source name, to pickle.
    user: Option<(String, String)>,
}

#[pymethods]
impl PyClassifier {
    #[new]
    #[pyo3(signature = (rules_path=None, rules_text=None, source=None))]
    fn new(
        py: Python<'_>,
        rules_path: Option<std::path::PathBuf>,
        rules_text: Option<String>,
        source: Option<String>,
    ) -> PyResult<Self> {
        let (text, source) = match (rules_path, rules_text) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "give rules_path or rules_text, not both",
                ))
            }
            (None, None) => {
                return Ok(PyClassifier {
                    inner: default_classifier().clone(),
                    user: None,
                })
            }
            (Some(p), None) => {
                let name = p.display().to_string();
                let text = std::fs::read_to_string(&p).map_err(|e| {
                    to_pyerr(
                        py,
                        bouncekit::Error::Io {
                            path: name.clone(),
                            message: e.to_string(),
                        },
                    )
                })?;
                (text, source.unwrap_or(name))
            }
            (None, Some(t)) => (t, source.unwrap_or_else(|| "user".into())),
        };
        // Compiling a rule set takes a while: not under the GIL.
        let inner = py
            .detach(|| Classifier::with_user_rules(&text, &source))
            .map_err(|e| to_pyerr(py, e))?;
        Ok(PyClassifier {
            inner: Arc::new(inner),
            user: Some((text, source)),
        })
    }

    /// Classifies one text (see :func:`bouncekit.classify`).
    #[pyo3(signature = (text, *, status=None, reply_code=None))]
    fn classify(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        status: Option<&str>,
        reply_code: Option<u16>,
    ) -> PyResult<PyClassification> {
        classify_one(py, &self.inner, text, status, reply_code)
    }

    /// Classifies many texts on all cores (see :func:`bouncekit.classify_many`).
    fn classify_many<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        classify_batch(py, &self.inner, texts)
    }

    /// Every rule, the user's first.
    #[getter]
    fn rules(&self) -> Vec<PyRule> {
        self.inner.rules().iter().cloned().map(PyRule).collect()
    }

    /// The number of rules given by the user (0 for the built-in classifier).
    #[getter]
    fn user_rule_count(&self) -> usize {
        self.inner.rules().len() - default_classifier().rules().len()
    }

    /// The source name of the user rules, or None.
    #[getter]
    fn source(&self) -> Option<&str> {
        self.user.as_ref().map(|(_, s)| s.as_str())
    }

    fn __len__(&self) -> usize {
        self.inner.rules().len()
    }

    fn __repr__(&self) -> String {
        match &self.user {
            None => format!("Classifier(rules={})", self.inner.rules().len()),
            Some((_, s)) => format!(
                "Classifier(source={s:?}, user_rules={}, rules={})",
                self.user_rule_count(),
                self.inner.rules().len()
            ),
        }
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let args = match &slf.get().user {
            None => PyTuple::empty(py),
            Some((text, source)) => {
                (None::<String>, text.as_str(), source.as_str()).into_pyobject(py)?
            }
        };
        Ok((slf.get_type(), args))
    }
}

/// bouncekit's compiled core (import ``bouncekit``, not this module).
#[pymodule(gil_used = false)]
fn _bouncekit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", bouncekit::VERSION)?;
    m.add("ARROW_COLUMNS", arrow::COLUMNS.to_vec())?;
    m.add_class::<PyClassification>()?;
    m.add_class::<PyExplanation>()?;
    m.add_class::<PyReasonInfo>()?;
    m.add_class::<PyFoundCodes>()?;
    m.add_class::<PyRule>()?;
    m.add_class::<PyClassifier>()?;
    m.add_function(wrap_pyfunction!(classify, m)?)?;
    m.add_function(wrap_pyfunction!(classify_many, m)?)?;
    m.add_function(wrap_pyfunction!(_classify_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(find_codes, m)?)?;
    m.add_function(wrap_pyfunction!(reasons, m)?)?;
    m.add_function(wrap_pyfunction!(reason_info, m)?)?;
    m.add_function(wrap_pyfunction!(registered_codes, m)?)?;
    m.add_function(wrap_pyfunction!(_vocabulary, m)?)?;
    m.add_function(wrap_pyfunction!(_init, m)?)?;
    m.add_function(wrap_pyfunction!(_init_report, m)?)?;
    m.add_class::<message::PyScan>()?;
    m.add_function(wrap_pyfunction!(_parse, m)?)?;
    m.add_function(wrap_pyfunction!(_parse_many, m)?)?;
    m.add_function(wrap_pyfunction!(_scan, m)?)?;
    m.add_function(wrap_pyfunction!(_parse_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(_default_limits, m)?)?;
    m.add_function(wrap_pyfunction!(_time_core, m)?)?;
    m.add("PARSE_ARROW_COLUMNS", arrow::parse_columns())?;
    m.add_class::<ledger::PyPolicy>()?;
    m.add_class::<ledger::PyLedger>()?;
    m.add_function(wrap_pyfunction!(domain::_check_domains, m)?)?;
    Ok(())
}
