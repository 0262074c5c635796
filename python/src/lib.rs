//! Python bindings (pyo3): conversions only, no logic.
