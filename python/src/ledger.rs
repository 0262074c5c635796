//! The policy and the suppression ledger: `_Policy` and `_Ledger`, which
//! the package wraps in `bouncekit.Policy` and `bouncekit.Ledger`. Values
//! cross as tuples and dicts; the package turns them into frozen classes.
//!
//! A `_Ledger` holds its SQLite connection behind a mutex (a connection is
//! not `Sync`); every call takes the lock and does its work without the GIL,
//! so one ledger can be shared between threads and other threads run while
//! a batch is written.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use bouncekit::ledger::{
    self as lg, BatchStats, Durability, ExportFormat, Ledger, LedgerError, LedgerOptions,
    NumOrText, ScanRow, Suppression, SuppressionScope,
};
use bouncekit::{BounceType, Decision, DomainFlag, HistoryEvent, Policy, Reason};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyString};

use crate::convert::{registry, to_pyerr, type_name, word_arg};

/// The Python exception for a ledger error.
fn ledger_err(py: Python<'_>, e: LedgerError) -> PyErr {
    let reg = match registry(py) {
        Ok(r) => r,
        Err(err) => return err,
    };
    let msg = e.to_string();
    match e {
        LedgerError::InvalidEvent { row, error } => {
            let err = PyErr::from_type(reg.invalid_event.bind(py).clone(), msg);
            let v = err.value(py);
            // Attributes for programs: which row, which field.
            let _ = v.setattr("row", row);
            let _ = v.setattr("field", error.field);
            err
        }
        LedgerError::InvalidAddress { .. } => {
            PyErr::from_type(reg.invalid_address.bind(py).clone(), msg)
        }
        LedgerError::InvalidPolicy(_) => PyErr::from_type(reg.policy.bind(py).clone(), msg),
        _ => PyErr::from_type(reg.ledger.bind(py).clone(), msg),
    }
}

// ------------------------------------------------------------------ policy

/// A decision policy (`bouncekit.Policy` wraps it).
#[pyclass(module = "bouncekit._bouncekit", name = "_Policy", frozen)]
pub struct PyPolicy {
    pub inner: Policy,
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

fn decision_tuple(d: Decision) -> (&'static str, Option<u64>, String) {
    (d.action.as_str(), d.retry_after.map(secs), d.why)
}

fn words<'a, I: IntoIterator<Item = &'a str>>(it: I) -> Vec<&'a str> {
    it.into_iter().collect()
}

#[pymethods]
impl PyPolicy {
    /// `_Policy()` is the default policy; `_Policy(text, source)` loads TOML.
    #[new]
    #[pyo3(signature = (toml_text=None, source=None))]
    fn new(py: Python<'_>, toml_text: Option<&str>, source: Option<&str>) -> PyResult<Self> {
        let inner = match toml_text {
            None => Policy::default(),
            Some(t) => Policy::from_toml(t).map_err(|e| {
                // Name the file in the message when there is one.
                let e = match (e, source) {
                    (bouncekit::Error::Policy { message, .. }, Some(s)) => {
                        bouncekit::Error::Policy {
                            source: s.to_string(),
                            message,
                        }
                    }
                    (e, _) => e,
                };
                to_pyerr(py, e)
            })?,
        };
        inner
            .validate()
            .map_err(|m| ledger_err(py, LedgerError::InvalidPolicy(m)))?;
        Ok(PyPolicy { inner })
    }

    /// `(action, retry_after seconds or None, why)` for a bounce of `reason`
    /// and `bounce_type` at `now` given the address's earlier events
    /// (`(time, reason, bounce_type)` tuples).
    fn decide(
        &self,
        py: Python<'_>,
        reason: &Bound<'_, PyAny>,
        bounce_type: &Bound<'_, PyAny>,
        now: i64,
        history: Vec<(i64, Bound<'_, PyAny>, Bound<'_, PyAny>)>,
    ) -> PyResult<(&'static str, Option<u64>, String)> {
        let current = HistoryEvent::new(
            now,
            word_arg::<Reason>(py, reason, "reason")?,
            word_arg::<BounceType>(py, bounce_type, "bounce_type")?,
        );
        let history = history
            .iter()
            .enumerate()
            .map(|(i, (t, r, b))| {
                Ok(HistoryEvent::new(
                    *t,
                    word_arg::<Reason>(py, r, &format!("history[{i}].reason"))?,
                    word_arg::<BounceType>(py, b, &format!("history[{i}].bounce_type"))?,
                ))
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(decision_tuple(
            self.inner.decide_event(&current, &history, None),
        ))
    }

    /// How long to wait before retrying after a soft bounce of `reason` (seconds).
    fn retry_after(&self, py: Python<'_>, reason: &Bound<'_, PyAny>) -> PyResult<u64> {
        Ok(secs(
            self.inner
                .retry_after(word_arg::<Reason>(py, reason, "reason")?),
        ))
    }

    /// The settings as plain values (durations in seconds).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.inner;
        let d = PyDict::new(py);
        d.set_item(
            "suppress_bounce_types",
            words(p.suppress_bounce_types.iter().map(|b| b.as_str())),
        )?;
        d.set_item(
            "suppress_reasons",
            words(p.suppress_reasons.iter().map(|r| r.as_str())),
        )?;
        d.set_item(
            "fix_sender_reasons",
            words(p.fix_sender_reasons.iter().map(|r| r.as_str())),
        )?;
        d.set_item(
            "ignore_reasons",
            words(p.ignore_reasons.iter().map(|r| r.as_str())),
        )?;
        let soft = PyDict::new(py);
        soft.set_item("threshold", p.soft.threshold)?;
        soft.set_item("window", secs(p.soft.window))?;
        soft.set_item("retry_after", secs(p.soft.retry_after))?;
        d.set_item("soft", soft)?;
        let reasons = PyDict::new(py);
        for (r, rule) in &p.reasons {
            let x = PyDict::new(py);
            x.set_item("threshold", rule.threshold)?;
            x.set_item("window", rule.window.map(secs))?;
            x.set_item("retry_after", rule.retry_after.map(secs))?;
            reasons.set_item(r.as_str(), x)?;
        }
        d.set_item("reasons", reasons)?;
        let dom = PyDict::new(py);
        dom.set_item("threshold", p.domain.threshold)?;
        dom.set_item("window", secs(p.domain.window))?;
        dom.set_item(
            "reasons",
            words(p.domain.reasons.iter().map(|r| r.as_str())),
        )?;
        dom.set_item(
            "expired_needs_connect_error",
            p.domain.expired_needs_connect_error,
        )?;
        dom.set_item("action", p.domain.action.as_str())?;
        dom.set_item("flag_for", secs(p.domain.flag_for))?;
        d.set_item("domain", dom)?;
        Ok(d)
    }
}

// ------------------------------------------------------------------ ledger

/// An open ledger (`bouncekit.Ledger` wraps it).
#[pyclass(module = "bouncekit._bouncekit", name = "_Ledger", frozen)]
pub struct PyLedger {
    inner: Mutex<Option<Ledger>>,
    path: Option<String>,
}

impl PyLedger {
    /// Runs `f` on the open ledger, without the GIL.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Ledger) -> Result<T, LedgerError> + Send,
    ) -> PyResult<T> {
        let r = py.detach(|| {
            let mut g: MutexGuard<'_, Option<Ledger>> =
                self.inner.lock().unwrap_or_else(|p| p.into_inner());
            g.as_mut().map(f)
        });
        match r {
            None => Err(closed(py)),
            Some(r) => r.map_err(|e| ledger_err(py, e)),
        }
    }
}

fn closed(py: Python<'_>) -> PyErr {
    match registry(py) {
        Ok(reg) => PyErr::from_type(reg.ledger.bind(py).clone(), "the ledger is closed"),
        Err(e) => e,
    }
}

fn now_or(t: Option<i64>) -> i64 {
    t.unwrap_or_else(lg::now)
}

fn stats_dict<'py>(py: Python<'py>, s: &BatchStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("events", s.events)?;
    d.set_item("recorded", s.recorded)?;
    d.set_item("duplicates", s.duplicates)?;
    d.set_item("suppressed", s.suppressed)?;
    d.set_item("domains_flagged", s.domains_flagged)?;
    d.set_item("skipped", s.skipped)?;
    Ok(d)
}

fn suppression_dict<'py>(py: Python<'py>, s: &Suppression) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("address", &s.address)?;
    d.set_item("domain", &s.domain)?;
    d.set_item(
        "scope",
        match s.scope {
            SuppressionScope::Address => "address",
            SuppressionScope::Domain => "domain",
        },
    )?;
    d.set_item("reason", s.reason.map(|r| r.as_str()))?;
    d.set_item("bounce_type", s.bounce_type.map(|b| b.as_str()))?;
    d.set_item("since", s.since)?;
    d.set_item("until", s.until)?;
    d.set_item("why", &s.why)?;
    Ok(d)
}

fn flag_dict<'py>(py: Python<'py>, f: &DomainFlag) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("domain", &f.domain)?;
    d.set_item("first_failure", f.first_failure)?;
    d.set_item("since", f.since)?;
    d.set_item("last_failure", f.last_failure)?;
    d.set_item("addresses", f.addresses)?;
    d.set_item("expires_at", f.expires_at)?;
    d.set_item("why", &f.why)?;
    Ok(d)
}

/// A string field of a row dict: None, or a str (anything else is a TypeError).
fn row_str(d: &Bound<'_, PyDict>, key: &str, row: usize) -> PyResult<Option<String>> {
    match d.get_item(key)? {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => match v.cast::<PyString>() {
            Ok(s) => Ok(Some(s.to_string_lossy().into_owned())),
            Err(_) => Err(PyTypeError::new_err(format!(
                "rows[{row}].{key}: expected str, got {}",
                type_name(&v)
            ))),
        },
    }
}

/// A number-or-text field (reply codes and times come either way).
fn row_num_or_text(d: &Bound<'_, PyDict>, key: &str, row: usize) -> PyResult<Option<NumOrText>> {
    let Some(v) = d.get_item(key)? else {
        return Ok(None);
    };
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(NumOrText::Text(s.to_string_lossy().into_owned())));
    }
    if v.is_instance_of::<PyInt>() {
        // Beyond f64's exact range is beyond any valid time or code anyway.
        let n: i128 = v.extract().map_err(|_| {
            PyValueError::new_err(format!("rows[{row}].{key}: integer out of range"))
        })?;
        return Ok(Some(NumOrText::Num(n as f64)));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(Some(NumOrText::Num(v.extract()?)));
    }
    Err(PyTypeError::new_err(format!(
        "rows[{row}].{key}: expected int, float or str, got {}",
        type_name(&v)
    )))
}

/// A row dict (the output contract's fields; others are ignored) -> `ScanRow`.
fn scan_row(obj: &Bound<'_, PyAny>, row: usize) -> PyResult<ScanRow> {
    let d = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "rows[{row}]: expected a dict, got {}",
            type_name(obj)
        ))
    })?;
    let timestamp = match row_num_or_text(d, "timestamp", row)? {
        None => row_num_or_text(d, "time", row)?,
        t => t,
    };
    Ok(ScanRow {
        recipient: row_str(d, "recipient", row)?.unwrap_or_default(),
        reason: row_str(d, "reason", row)?.unwrap_or_default(),
        bounce_type: row_str(d, "bounce_type", row)?,
        status: row_str(d, "status", row)?,
        reply_code: row_num_or_text(d, "reply_code", row)?,
        action: row_str(d, "action", row)?,
        timestamp,
        message_id: row_str(d, "message_id", row)?,
        source: row_str(d, "source", row)?,
        diagnostic: row_str(d, "diagnostic", row)?,
        message_kind: row_str(d, "message_kind", row)?,
        dsn_action: row_str(d, "dsn_action", row)?,
    })
}

#[pymethods]
impl PyLedger {
    #[new]
    #[pyo3(signature = (path=None, policy=None, durability="full", busy_timeout=30.0, cache_mib=64))]
    fn new(
        py: Python<'_>,
        path: Option<std::path::PathBuf>,
        policy: Option<PyRef<'_, PyPolicy>>,
        durability: &str,
        busy_timeout: f64,
        cache_mib: u32,
    ) -> PyResult<Self> {
        let durability = match durability {
            "full" => Durability::Full,
            "normal" => Durability::Normal,
            other => {
                return Err(PyValueError::new_err(format!(
                    "durability: expected 'full' or 'normal', got {other:?}"
                )))
            }
        };
        if !(busy_timeout.is_finite() && (0.0..=86_400.0).contains(&busy_timeout)) {
            return Err(PyValueError::new_err(format!(
                "busy_timeout: expected seconds in [0, 86400], got {busy_timeout}"
            )));
        }
        let opts = LedgerOptions {
            policy: policy.map(|p| p.inner.clone()).unwrap_or_default(),
            busy_timeout: Duration::from_secs_f64(busy_timeout),
            durability,
            cache_mib,
        };
        let shown = path.as_ref().map(|p| p.display().to_string());
        let ledger = py
            .detach(|| match &path {
                Some(p) => Ledger::open_with(p, opts),
                None => Ledger::open_in_memory_with(opts),
            })
            .map_err(|e| ledger_err(py, e))?;
        Ok(PyLedger {
            inner: Mutex::new(Some(ledger)),
            path: shown,
        })
    }

    /// The file, or None in memory.
    #[getter]
    fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        py.detach(|| {
            self.inner
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_none()
        })
    }

    /// Closes the connection (idempotent).
    fn close(&self, py: Python<'_>) {
        let l = py.detach(|| self.inner.lock().unwrap_or_else(|p| p.into_inner()).take());
        py.detach(move || drop(l));
    }

    /// Records rows (dicts of the output contract's fields) in batches of
    /// `batch_size` (0: all in one transaction). Returns the batch stats.
    /// With `skip_invalid`, rows the ledger would refuse are counted as
    /// skipped instead of refusing their batch.
    #[pyo3(signature = (rows, default_time=None, batch_size=0, skip_invalid=false))]
    fn record_rows<'py>(
        &self,
        py: Python<'py>,
        rows: &Bound<'py, PyAny>,
        default_time: Option<i64>,
        batch_size: usize,
        skip_invalid: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        if rows.is_instance_of::<PyDict>() || rows.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "rows: expected an iterable of dicts, got a single one (wrap it in a list)",
            ));
        }
        let iter = rows.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "rows: expected an iterable of dicts, got {}",
                type_name(rows)
            ))
        })?;
        let mut got = Vec::new();
        for (i, r) in iter.enumerate() {
            got.push(scan_row(&r?, i)?);
        }
        let mut invalid = 0;
        if skip_invalid {
            got.retain(|r| {
                let ok = r.is_delay_notice() || r.to_event(default_time).is_ok();
                invalid += u64::from(!ok);
                ok
            });
        }
        let opts = lg::RowOptions {
            batch_size,
            default_time,
        };
        let mut s = self.with(py, |l| lg::record_rows(l, &got, &opts))?;
        s.skipped += invalid;
        stats_dict(py, &s)
    }

    /// `(action, retry_after seconds or None, why)` for an address at `now`.
    #[pyo3(signature = (address, now=None))]
    fn decide(
        &self,
        py: Python<'_>,
        address: String,
        now: Option<i64>,
    ) -> PyResult<(&'static str, Option<u64>, String)> {
        self.with(py, |l| l.decide(&address, now_or(now)))
            .map(decision_tuple)
    }

    /// Whether an address is suppressed at `now`.
    #[pyo3(signature = (address, now=None))]
    fn is_suppressed(&self, py: Python<'_>, address: String, now: Option<i64>) -> PyResult<bool> {
        self.with(py, |l| l.is_suppressed_at(&address, now_or(now)))
    }

    /// The suppression of one address, or None.
    fn suppression<'py>(
        &self,
        py: Python<'py>,
        address: String,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.with(py, |l| l.suppression(&address))?
            .map(|s| suppression_dict(py, &s))
            .transpose()
    }

    /// The suppression list at `now`.
    #[pyo3(signature = (now=None))]
    fn suppressed<'py>(
        &self,
        py: Python<'py>,
        now: Option<i64>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let list = self.with(py, |l| l.suppressed_at(now_or(now)))?;
        list.iter().map(|s| suppression_dict(py, s)).collect()
    }

    /// The suppression list as CSV or JSON text.
    #[pyo3(signature = (format, now=None))]
    fn export(&self, py: Python<'_>, format: &str, now: Option<i64>) -> PyResult<String> {
        let f = match format {
            "csv" => ExportFormat::Csv,
            "json" => ExportFormat::Json,
            other => {
                return Err(PyValueError::new_err(format!(
                    "format: expected 'csv' or 'json', got {other:?}"
                )))
            }
        };
        let buf = self.with(py, |l| {
            let mut buf = Vec::new();
            l.export_at(&mut buf, f, now_or(now))?;
            Ok(buf)
        })?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// Releases an address (it came back); True when it was suppressed.
    #[pyo3(signature = (address, at=None))]
    fn release(&self, py: Python<'_>, address: String, at: Option<i64>) -> PyResult<bool> {
        self.with(py, |l| l.release_at(&address, now_or(at)))
    }

    /// Releases a domain (it recovered); True when it was flagged.
    #[pyo3(signature = (domain, at=None))]
    fn release_domain(&self, py: Python<'_>, domain: String, at: Option<i64>) -> PyResult<bool> {
        self.with(py, |l| l.release_domain_at(&domain, now_or(at)))
    }

    /// Totals of the whole ledger.
    #[pyo3(signature = (now=None))]
    fn stats<'py>(&self, py: Python<'py>, now: Option<i64>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.with(py, |l| l.stats_at(now_or(now)))?;
        let d = PyDict::new(py);
        d.set_item("events", s.events)?;
        d.set_item("recipients", s.recipients)?;
        d.set_item("domains", s.domains)?;
        d.set_item("suppressed", s.suppressed)?;
        d.set_item("flagged_domains", s.flagged_domains)?;
        d.set_item("first_event", s.first_event)?;
        d.set_item("last_event", s.last_event)?;
        d.set_item("by_reason", s.by_reason)?;
        d.set_item("by_bounce_type", s.by_bounce_type)?;
        d.set_item("schema_version", s.schema_version)?;
        Ok(d)
    }

    /// Per-domain statistics, flagged domains first (`limit` 0: all).
    #[pyo3(signature = (limit=0, now=None))]
    fn domains<'py>(
        &self,
        py: Python<'py>,
        limit: usize,
        now: Option<i64>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let list = self.with(py, |l| l.domains_at(now_or(now), limit))?;
        list.iter()
            .map(|s| {
                let d = PyDict::new(py);
                d.set_item("domain", &s.domain)?;
                d.set_item("events", s.events)?;
                d.set_item("recipients", s.recipients)?;
                d.set_item("hard", s.hard)?;
                d.set_item("soft", s.soft)?;
                d.set_item("domain_failures", s.domain_failures)?;
                d.set_item("suppressed", s.suppressed)?;
                d.set_item("last_event", s.last_event)?;
                d.set_item("flagged", s.flagged)?;
                d.set_item(
                    "flag",
                    s.flag.as_ref().map(|f| flag_dict(py, f)).transpose()?,
                )?;
                Ok(d)
            })
            .collect()
    }

    /// Every domain flag (active or lapsed, until released).
    fn flags<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let list = self.with(py, |l| l.flags())?;
        list.iter().map(|f| flag_dict(py, f)).collect()
    }

    /// An address's events, oldest first: `(time, reason, bounce_type)`.
    fn history(
        &self,
        py: Python<'_>,
        address: String,
    ) -> PyResult<Vec<(i64, &'static str, &'static str)>> {
        let h = self.with(py, |l| l.history(&address))?;
        Ok(h.into_iter()
            .map(|e| (e.time, e.reason.as_str(), e.bounce_type.as_str()))
            .collect())
    }

    /// How many events are recorded.
    fn event_count(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |l| l.event_count())
    }

    /// The schema version of the file.
    fn schema_version(&self, py: Python<'_>) -> PyResult<i64> {
        self.with(py, |l| l.schema_version())
    }

    /// `PRAGMA integrity_check`: the problems found (empty: ok).
    fn integrity_check(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with(py, |l| l.integrity_check())
            .map(|r| r.err().unwrap_or_default())
    }
}
