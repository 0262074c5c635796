//! The domain check for Python: options in, results out as JSON that
//! `bouncekit._domain` turns into frozen dataclasses. Conversion only.

use std::net::SocketAddr;
use std::time::Duration;

use bouncekit::domain::{check_domains, CheckOptions, ResolverChoice};
use bouncekit::Error;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyType};

use crate::convert::to_pyerr;

fn seconds(py: Python<'_>, name: &str, v: Option<f64>, default: Duration) -> PyResult<Duration> {
    match v {
        None => Ok(default),
        // Range checks are the core's (CheckOptions::validate); here only
        // what a Duration cannot hold.
        Some(s) if s.is_finite() && (0.0..=1e6).contains(&s) => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(option_error(py, name, &format!("{s} is not a number of seconds"))),
    }
}

fn option_error(py: Python<'_>, option: &str, message: &str) -> PyErr {
    domain_error(py, &format!("invalid option {option}: {message}"))
}

/// `bouncekit.DomainCheckError` (a `BounceKitError` and `ValueError`).
fn domain_error(py: Python<'_>, message: &str) -> PyErr {
    let cls = py.import("bouncekit._domain").and_then(|m| m.getattr("DomainCheckError"));
    match cls {
        Ok(cls) => match cls.cast_into::<PyType>() {
            Ok(cls) => PyErr::from_type(cls, message.to_string()),
            Err(e) => PyErr::from(e),
        },
        Err(e) => e,
    }
}

/// Checks `domains`; the GIL is released while the network is busy.
#[pyfunction]
#[pyo3(signature = (domains, *, resolver=None, port=25, timeout=None, dns_timeout=None, dns_attempts=2,
    connect_timeout=None, smtp_timeout=None, starttls=false, ehlo_name="localhost".to_string(),
    max_mx=5, max_addresses_per_mx=2, probe_all_mx=false, concurrency=8))]
#[allow(clippy::too_many_arguments)]
pub fn _check_domains(
    py: Python<'_>,
    domains: Vec<Bound<'_, PyAny>>,
    resolver: Option<&str>,
    port: u16,
    timeout: Option<f64>,
    dns_timeout: Option<f64>,
    dns_attempts: usize,
    connect_timeout: Option<f64>,
    smtp_timeout: Option<f64>,
    starttls: bool,
    ehlo_name: String,
    max_mx: usize,
    max_addresses_per_mx: usize,
    probe_all_mx: bool,
    concurrency: usize,
) -> PyResult<String> {
    let domains = domains
        .iter()
        .map(|d| {
            d.cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("domains: expected str items"))
                .and_then(|s| Ok(s.to_str()?.to_string()))
        })
        .collect::<PyResult<Vec<String>>>()?;
    let d = CheckOptions::default();
    let resolver = match resolver {
        None | Some("system") => ResolverChoice::System,
        Some(a) => ResolverChoice::At(
            a.parse::<SocketAddr>()
                .map_err(|_| option_error(py, "resolver", &format!("{a:?} is not ADDRESS:PORT (or \"system\")")))?,
        ),
    };
    let opts = CheckOptions {
        resolver,
        port,
        dns_timeout: seconds(py, "dns_timeout", dns_timeout.or(timeout), d.dns_timeout)?,
        dns_attempts,
        connect_timeout: seconds(py, "connect_timeout", connect_timeout.or(timeout), d.connect_timeout)?,
        smtp_timeout: seconds(py, "smtp_timeout", smtp_timeout.or(timeout), d.smtp_timeout)?,
        starttls,
        ehlo_name,
        max_mx,
        max_addresses_per_mx,
        probe_all_mx,
        concurrency,
    };
    let result = py.detach(|| check_domains(&domains, &opts).map(|c| serde_json::to_string(&c)));
    match result {
        Ok(Ok(json)) => Ok(json),
        Ok(Err(e)) => Err(PyErr::new::<pyo3::exceptions::PyRuntimeError, _>(e.to_string())),
        Err(e @ (Error::InvalidDomain { .. } | Error::InvalidOption { .. })) => Err(domain_error(py, &e.to_string())),
        Err(e) => Err(to_pyerr(py, e)),
    }
}
