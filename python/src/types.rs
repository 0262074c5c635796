//! The result classes: frozen wrappers around the core's values, with typed
//! attributes, `to_dict()`, `__repr__`, equality and hashing, pickling and a
//! Jupyter view. Values are converted when an attribute is read.

use std::hash::{Hash, Hasher};

use bouncekit::{
    Action, BounceType, Category, Classification, Explanation, FoundCodes, Reason, ReplyCode, Rule,
    StatusCode, StatusSource,
};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::convert::{py_word, to_pyerr, word_arg};

// ---------------------------------------------------------------- helpers

/// Python's `repr()` of a string (quotes and escapes as Python writes them).
fn r(py: Python<'_>, s: &str) -> String {
    PyString::new(py, s)
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| format!("{s:?}"))
}

fn r_opt(py: Python<'_>, s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_string(), |s| r(py, s))
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A small two-column HTML table for Jupyter.
fn html_table(title: &str, rows: &[(&str, String)]) -> String {
    let mut h = String::from("<table class=\"bouncekit\" style=\"text-align:left\">");
    h.push_str(&format!(
        "<caption style=\"text-align:left\"><b>{}</b></caption>",
        esc(title)
    ));
    for (k, v) in rows {
        if v.is_empty() {
            continue;
        }
        h.push_str(&format!(
            "<tr><th style=\"text-align:left\">{}</th><td style=\"text-align:left\">{}</td></tr>",
            esc(k),
            v
        ));
    }
    h.push_str("</table>");
    h
}

fn html_list(items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut h = String::from("<ul style=\"margin:0\">");
    for i in items {
        h.push_str(&format!("<li>{}</li>", esc(i)));
    }
    h.push_str("</ul>");
    h
}

pub fn status_source_str(s: StatusSource) -> &'static str {
    match s {
        StatusSource::Found => "found",
        StatusSource::Derived => "derived",
        StatusSource::None => "none",
    }
}

pub fn parse_status(py: Python<'_>, s: Option<&str>) -> PyResult<Option<StatusCode>> {
    s.map(|s| s.parse::<StatusCode>().map_err(|e| to_pyerr(py, e)))
        .transpose()
}

pub fn parse_reply(py: Python<'_>, r: Option<u16>) -> PyResult<Option<ReplyCode>> {
    r.map(|r| ReplyCode::new(r).map_err(|e| to_pyerr(py, e)))
        .transpose()
}

// ---------------------------------------------------------- Classification

/// The verdict on one diagnostic text.
///
/// Attributes: ``status`` (enhanced status code or None), ``status_source``
/// ("found", "derived" or "none"), ``reply_code`` (int or None), ``reason``
/// (:class:`Reason`), ``bounce_type`` (:class:`BounceType`), ``category``
/// (:class:`Category`), ``action`` (:class:`Action`), ``description``,
/// ``rule`` (what decided: a rule id, ``status:X.s.d``, ``reply:NNN`` or
/// ``none``) and ``note``.
#[pyclass(module = "bouncekit", name = "Classification", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyClassification(pub Classification);

#[pymethods]
impl PyClassification {
    #[new]
    #[pyo3(signature = (reason, bounce_type, category, action, status=None, status_source=None, reply_code=None, description=String::new(), rule=String::from("none"), note=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        reason: &Bound<'_, PyAny>,
        bounce_type: &Bound<'_, PyAny>,
        category: &Bound<'_, PyAny>,
        action: &Bound<'_, PyAny>,
        status: Option<&str>,
        status_source: Option<&str>,
        reply_code: Option<u16>,
        description: String,
        rule: String,
        note: Option<String>,
    ) -> PyResult<Self> {
        let status = parse_status(py, status)?;
        let status_source = match status_source {
            Some("found") => StatusSource::Found,
            Some("derived") => StatusSource::Derived,
            Some("none") => StatusSource::None,
            None if status.is_some() => StatusSource::Found,
            None => StatusSource::None,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "status_source: expected 'found', 'derived' or 'none', got {other:?}"
                )))
            }
        };
        Ok(PyClassification(Classification {
            status,
            status_source,
            reply_code: parse_reply(py, reply_code)?,
            reason: word_arg::<Reason>(py, reason, "reason")?,
            bounce_type: word_arg::<BounceType>(py, bounce_type, "bounce_type")?,
            category: word_arg::<Category>(py, category, "category")?,
            action: word_arg::<Action>(py, action, "action")?,
            description: description.into(),
            rule: rule.into(),
            note,
        }))
    }

    /// The enhanced status code (``"5.1.1"``), found in the text or derived
    /// from the verdict (see ``status_source``); None when there is none.
    #[getter]
    fn status(&self) -> Option<String> {
        self.0.status.map(|s| s.to_string())
    }

    /// ``"found"`` (in the text or given as a hint), ``"derived"`` (from the
    /// verdict) or ``"none"``.
    #[getter]
    fn status_source(&self) -> &'static str {
        status_source_str(self.0.status_source)
    }

    /// The SMTP reply code (550), or None.
    #[getter]
    fn reply_code(&self) -> Option<u16> {
        self.0.reply_code.map(|r| r.get())
    }

    /// Why the message failed: a word of the reason vocabulary.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.reason)
    }

    /// ``hard`` (the address is bad), ``soft`` (may work later) or ``none``.
    #[getter]
    fn bounce_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.bounce_type)
    }

    /// The status subject's area (addressing, mailbox, ...).
    #[getter]
    fn category<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.category)
    }

    /// What the sender should do: suppress, retry, fix_sender or ignore.
    #[getter]
    fn action<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.action)
    }

    /// The knowledge base's short meaning of the status (or of the reason).
    #[getter]
    fn description(&self) -> &str {
        &self.0.description
    }

    /// What decided: a rule id, ``status:X.s.d``, ``reply:NNN`` or ``none``.
    #[getter]
    fn rule(&self) -> &str {
        &self.0.rule
    }

    /// A remark on the decision (e.g. reply and enhanced code disagree), or None.
    #[getter]
    fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// The fields as a dict of plain values (enums as their string values),
    /// with the output contract's names.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let c = &self.0;
        d.set_item(intern!(py, "status"), self.status())?;
        d.set_item(intern!(py, "status_source"), self.status_source())?;
        d.set_item(intern!(py, "reply_code"), self.reply_code())?;
        d.set_item(intern!(py, "reason"), c.reason.as_str())?;
        d.set_item(intern!(py, "bounce_type"), c.bounce_type.as_str())?;
        d.set_item(intern!(py, "category"), c.category.as_str())?;
        d.set_item(intern!(py, "action"), c.action.as_str())?;
        d.set_item(intern!(py, "description"), &c.description)?;
        d.set_item(intern!(py, "rule"), &c.rule)?;
        d.set_item(intern!(py, "note"), c.note.as_deref())?;
        Ok(d)
    }

    /// The knowledge base's page for ``status`` (None when there is no status).
    fn explain(&self) -> Option<PyExplanation> {
        self.0
            .status
            .map(|s| PyExplanation(bouncekit::explain_code(s)))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let c = &self.0;
        let mut s = format!(
            "Classification(reason={}, bounce_type={}, category={}, action={}, status={}, status_source={}, reply_code={}, description={}, rule={}",
            r(py, c.reason.as_str()),
            r(py, c.bounce_type.as_str()),
            r(py, c.category.as_str()),
            r(py, c.action.as_str()),
            r_opt(py, self.status().as_deref()),
            r(py, self.status_source()),
            c.reply_code.map_or_else(|| "None".into(), |x| x.to_string()),
            r(py, &c.description),
            r(py, &c.rule),
        );
        if let Some(n) = &c.note {
            s.push_str(&format!(", note={}", r(py, n)));
        }
        s.push(')');
        s
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let c = &slf.get().0;
        let args = (
            c.reason.as_str(),
            c.bounce_type.as_str(),
            c.category.as_str(),
            c.action.as_str(),
            c.status.map(|s| s.to_string()),
            status_source_str(c.status_source),
            c.reply_code.map(|r| r.get()),
            c.description.to_string(),
            c.rule.to_string(),
            c.note.clone(),
        )
            .into_pyobject(py)?;
        Ok((slf.get_type(), args))
    }

    fn _repr_html_(&self) -> String {
        let c = &self.0;
        let status = match (&c.status, c.status_source) {
            (Some(s), StatusSource::Derived) => format!("{s} (derived)"),
            (Some(s), _) => s.to_string(),
            (None, _) => String::new(),
        };
        html_table(
            "Classification",
            &[
                ("reason", esc(c.reason.as_str())),
                ("bounce_type", esc(c.bounce_type.as_str())),
                ("action", esc(c.action.as_str())),
                ("category", esc(c.category.as_str())),
                ("status", esc(&status)),
                (
                    "reply_code",
                    c.reply_code.map(|r| r.to_string()).unwrap_or_default(),
                ),
                ("description", esc(&c.description)),
                ("rule", format!("<code>{}</code>", esc(&c.rule))),
                ("note", esc(c.note.as_deref().unwrap_or(""))),
            ],
        )
    }
}

// ------------------------------------------------------------- Explanation

/// What the knowledge base says about one enhanced status code: the
/// reference page for it. ``Explanation("5.4.1")`` is ``explain("5.4.1")``.
#[pyclass(module = "bouncekit", name = "Explanation", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub struct PyExplanation(pub Explanation);

impl Hash for PyExplanation {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Equal explanations have equal codes.
        self.0.code.hash(state)
    }
}

fn level_str(l: bouncekit::Level) -> &'static str {
    match l {
        bouncekit::Level::Registered => "registered",
        bouncekit::Level::Subject => "subject",
    }
}

impl PyExplanation {
    pub fn from_code(py: Python<'_>, code: &str) -> PyResult<Self> {
        bouncekit::explain(code)
            .map(PyExplanation)
            .map_err(|e| to_pyerr(py, e))
    }
}

#[pymethods]
impl PyExplanation {
    #[new]
    fn new(py: Python<'_>, code: &str) -> PyResult<Self> {
        Self::from_code(py, code)
    }

    /// The code asked about, e.g. ``"5.4.1"``.
    #[getter]
    fn code(&self) -> &str {
        &self.0.code
    }
    /// Its registry key, e.g. ``"X.4.1"``.
    #[getter]
    fn registry_key(&self) -> &str {
        &self.0.registry_key
    }
    /// ``"registered"`` (the code's own entry) or ``"subject"`` (not in the
    /// IANA registry: the subject's and the class's answer).
    #[getter]
    fn level(&self) -> &'static str {
        level_str(self.0.level)
    }
    /// The registry name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// The defining RFC number, or None.
    #[getter]
    fn rfc(&self) -> Option<u32> {
        self.0.rfc
    }
    /// Another defining document (a draft), or None.
    #[getter]
    fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// True for deprecated registry entries.
    #[getter]
    fn deprecated(&self) -> bool {
        self.0.deprecated
    }
    /// ``"success"``, ``"temporary"`` or ``"permanent"``.
    #[getter]
    fn permanence(&self) -> &'static str {
        self.0.permanence
    }
    /// The class's name, e.g. "Permanent Failure".
    #[getter]
    fn class_name(&self) -> &str {
        &self.0.class_name
    }
    /// What the class means.
    #[getter]
    fn class_meaning(&self) -> &str {
        &self.0.class_meaning
    }
    /// The verdict a classifier gives for this code alone.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.reason)
    }
    /// Hard, soft or none.
    #[getter]
    fn bounce_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.bounce_type)
    }
    /// The subject's area.
    #[getter]
    fn category<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.category)
    }
    /// What the sender should do.
    #[getter]
    fn action<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.action)
    }
    /// One sentence.
    #[getter]
    fn summary(&self) -> &str {
        &self.0.summary
    }
    /// What the code says and how servers use it.
    #[getter]
    fn meaning(&self) -> &str {
        &self.0.meaning
    }
    /// What this class of the code means for the sender, or None.
    #[getter]
    fn class_note(&self) -> Option<&str> {
        self.0.class_note.as_deref()
    }
    /// Common causes.
    #[getter]
    fn causes(&self) -> Vec<String> {
        self.0.causes.clone()
    }
    /// How to resolve, for email marketers and list owners.
    #[getter]
    fn for_senders(&self) -> Vec<String> {
        self.0.for_senders.clone()
    }
    /// How to resolve, for developers and operators.
    #[getter]
    fn for_developers(&self) -> Vec<String> {
        self.0.for_developers.clone()
    }
    /// Investigation steps.
    #[getter]
    fn investigation(&self) -> Vec<String> {
        self.0.investigation.clone()
    }
    /// Best practices.
    #[getter]
    fn best_practices(&self) -> Vec<String> {
        self.0.best_practices.clone()
    }
    /// Realistic server replies carrying the code.
    #[getter]
    fn examples(&self) -> Vec<String> {
        self.0.examples.clone()
    }

    /// The fields as a dict of plain values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let e = &self.0;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "code"), &e.code)?;
        d.set_item(intern!(py, "registry_key"), &e.registry_key)?;
        d.set_item(intern!(py, "level"), level_str(e.level))?;
        d.set_item(intern!(py, "name"), &e.name)?;
        d.set_item(intern!(py, "rfc"), e.rfc)?;
        d.set_item(intern!(py, "reference"), e.reference.as_deref())?;
        d.set_item(intern!(py, "deprecated"), e.deprecated)?;
        d.set_item(intern!(py, "permanence"), e.permanence)?;
        d.set_item(intern!(py, "class_name"), &e.class_name)?;
        d.set_item(intern!(py, "class_meaning"), &e.class_meaning)?;
        d.set_item(intern!(py, "reason"), e.reason.as_str())?;
        d.set_item(intern!(py, "bounce_type"), e.bounce_type.as_str())?;
        d.set_item(intern!(py, "category"), e.category.as_str())?;
        d.set_item(intern!(py, "action"), e.action.as_str())?;
        d.set_item(intern!(py, "summary"), &e.summary)?;
        d.set_item(intern!(py, "meaning"), &e.meaning)?;
        d.set_item(intern!(py, "class_note"), e.class_note.as_deref())?;
        d.set_item(intern!(py, "causes"), &e.causes)?;
        d.set_item(intern!(py, "for_senders"), &e.for_senders)?;
        d.set_item(intern!(py, "for_developers"), &e.for_developers)?;
        d.set_item(intern!(py, "investigation"), &e.investigation)?;
        d.set_item(intern!(py, "best_practices"), &e.best_practices)?;
        d.set_item(intern!(py, "examples"), &e.examples)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let e = &self.0;
        format!(
            "Explanation(code={}, name={}, permanence={}, reason={}, level={})",
            r(py, &e.code),
            r(py, &e.name),
            r(py, e.permanence),
            r(py, e.reason.as_str()),
            r(py, level_str(e.level))
        )
    }

    /// The page as plain text.
    fn __str__(&self) -> String {
        let e = &self.0;
        let mut s = format!("{} {}: {}\n", e.code, e.class_name, e.name);
        let rfc = e.rfc.map(|n| format!(" (RFC {n})")).unwrap_or_default();
        s.push_str(&format!(
            "{}; reason {}, {} bounce, action {}{rfc}\n\n{}\n",
            e.permanence, e.reason, e.bounce_type, e.action, e.summary
        ));
        if !e.meaning.is_empty() {
            s.push_str(&format!("\n{}\n", e.meaning));
        }
        if let Some(n) = &e.class_note {
            s.push_str(&format!("\n{n}\n"));
        }
        for (title, items) in [
            ("Common causes", &e.causes),
            ("For senders", &e.for_senders),
            ("For developers", &e.for_developers),
            ("Investigation", &e.investigation),
            ("Best practices", &e.best_practices),
            ("Examples", &e.examples),
        ] {
            if !items.is_empty() {
                s.push_str(&format!("\n{title}:\n"));
                for i in items {
                    s.push_str(&format!("  - {i}\n"));
                }
            }
        }
        s
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (String,))> {
        Ok((slf.get_type(), (slf.get().0.code.clone(),)))
    }

    fn _repr_html_(&self) -> String {
        let e = &self.0;
        let rfc = match (e.rfc, &e.reference) {
            (Some(n), _) => format!("RFC {n}"),
            (None, Some(r)) => esc(r),
            _ => String::new(),
        };
        html_table(
            &format!("{} {}", e.code, e.name),
            &[
                (
                    "class",
                    esc(&format!("{} ({})", e.class_name, e.permanence)),
                ),
                ("reason", esc(e.reason.as_str())),
                ("bounce_type", esc(e.bounce_type.as_str())),
                ("action", esc(e.action.as_str())),
                ("category", esc(e.category.as_str())),
                ("summary", esc(&e.summary)),
                ("meaning", esc(&e.meaning)),
                ("class note", esc(e.class_note.as_deref().unwrap_or(""))),
                ("causes", html_list(&e.causes)),
                ("for senders", html_list(&e.for_senders)),
                ("for developers", html_list(&e.for_developers)),
                ("investigation", html_list(&e.investigation)),
                ("best practices", html_list(&e.best_practices)),
                ("examples", html_list(&e.examples)),
                ("defined by", rfc),
            ],
        )
    }
}

// -------------------------------------------------------------- ReasonInfo

/// One word of the reason vocabulary with its metadata and its mappings to
/// other taxonomies (Amazon SES, SparkPost/Momentum, KumoMTA, SendGrid,
/// Postmark). ``ReasonInfo("mailboxfull")`` is ``reason_info("mailboxfull")``.
#[pyclass(module = "bouncekit", name = "ReasonInfo", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyReasonInfo(pub Reason);

#[pymethods]
impl PyReasonInfo {
    #[new]
    fn new(py: Python<'_>, reason: &Bound<'_, PyAny>) -> PyResult<Self> {
        word_arg::<Reason>(py, reason, "reason").map(PyReasonInfo)
    }
    /// The reason.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0)
    }
    /// What the reason means.
    #[getter]
    fn definition(&self) -> &'static str {
        &self.0.info().definition
    }
    /// The default bounce type.
    #[getter]
    fn bounce_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.info().bounce_type)
    }
    /// The default action.
    #[getter]
    fn action<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.info().action)
    }
    /// The area the reason belongs to.
    #[getter]
    fn category<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.info().category)
    }
    /// The typical enhanced status, reported when a text carries none.
    #[getter]
    fn status(&self) -> Option<&'static str> {
        self.0.info().status.as_deref()
    }
    /// Amazon SES bounceType (``Permanent``, ``Transient``, ``Undetermined``).
    #[getter]
    fn ses_bounce_type(&self) -> Option<&'static str> {
        self.0.info().ses.as_ref().map(|s| s.bounce_type.as_str())
    }
    /// Amazon SES bounceSubType (``NoEmail``, ``MailboxFull``, ...).
    #[getter]
    fn ses_bounce_subtype(&self) -> Option<&'static str> {
        self.0.info().ses.as_ref().map(|s| s.subtype.as_str())
    }
    /// SparkPost/Momentum bounce class (1..100).
    #[getter]
    fn sparkpost(&self) -> Option<u8> {
        self.0.info().sparkpost
    }
    /// KumoMTA bounce class.
    #[getter]
    fn kumomta(&self) -> Option<&'static str> {
        self.0.info().kumomta.as_deref()
    }
    /// SendGrid bounce classification.
    #[getter]
    fn sendgrid(&self) -> Option<&'static str> {
        self.0.info().sendgrid.as_deref()
    }
    /// Postmark bounce type.
    #[getter]
    fn postmark(&self) -> Option<&'static str> {
        self.0.info().postmark.as_deref()
    }

    /// The fields as a dict of plain values.
    #[allow(clippy::wrong_self_convention)] // a pyo3 method takes &self, Copy or not
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let i = self.0.info();
        let d = PyDict::new(py);
        d.set_item(intern!(py, "reason"), self.0.as_str())?;
        d.set_item(intern!(py, "definition"), &i.definition)?;
        d.set_item(intern!(py, "bounce_type"), i.bounce_type.as_str())?;
        d.set_item(intern!(py, "action"), i.action.as_str())?;
        d.set_item(intern!(py, "category"), i.category.as_str())?;
        d.set_item(intern!(py, "status"), self.status())?;
        d.set_item(intern!(py, "ses_bounce_type"), self.ses_bounce_type())?;
        d.set_item(intern!(py, "ses_bounce_subtype"), self.ses_bounce_subtype())?;
        d.set_item(intern!(py, "sparkpost"), i.sparkpost)?;
        d.set_item(intern!(py, "kumomta"), self.kumomta())?;
        d.set_item(intern!(py, "sendgrid"), self.sendgrid())?;
        d.set_item(intern!(py, "postmark"), self.postmark())?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let i = self.0.info();
        format!(
            "ReasonInfo(reason={}, bounce_type={}, action={}, category={})",
            r(py, self.0.as_str()),
            r(py, i.bounce_type.as_str()),
            r(py, i.action.as_str()),
            r(py, i.category.as_str())
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (&'static str,))> {
        Ok((slf.get_type(), (slf.get().0.as_str(),)))
    }

    fn _repr_html_(&self) -> String {
        let i = self.0.info();
        let o = |s: Option<&str>| esc(s.unwrap_or(""));
        html_table(
            self.0.as_str(),
            &[
                ("definition", esc(&i.definition)),
                ("bounce_type", esc(i.bounce_type.as_str())),
                ("action", esc(i.action.as_str())),
                ("category", esc(i.category.as_str())),
                ("status", o(self.status())),
                (
                    "Amazon SES",
                    i.ses
                        .as_ref()
                        .map(|s| esc(&format!("{} / {}", s.bounce_type, s.subtype)))
                        .unwrap_or_default(),
                ),
                (
                    "SparkPost class",
                    i.sparkpost.map(|n| n.to_string()).unwrap_or_default(),
                ),
                ("KumoMTA", o(self.kumomta())),
                ("SendGrid", o(self.sendgrid())),
                ("Postmark", o(self.postmark())),
            ],
        )
    }
}

// --------------------------------------------------------------- FoundCodes

/// The codes found in a text by :func:`find_codes`.
#[pyclass(module = "bouncekit", name = "FoundCodes", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PyFoundCodes(pub FoundCodes);

impl Hash for PyFoundCodes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0.status, self.0.reply).hash(state)
    }
}

#[pymethods]
impl PyFoundCodes {
    #[new]
    #[pyo3(signature = (status=None, reply_code=None))]
    fn new(py: Python<'_>, status: Option<&str>, reply_code: Option<u16>) -> PyResult<Self> {
        Ok(PyFoundCodes(FoundCodes {
            status: parse_status(py, status)?,
            reply: parse_reply(py, reply_code)?,
        }))
    }
    /// The enhanced status code, or None.
    #[getter]
    fn status(&self) -> Option<String> {
        self.0.status.map(|s| s.to_string())
    }
    /// The SMTP reply code, or None.
    #[getter]
    fn reply_code(&self) -> Option<u16> {
        self.0.reply.map(|r| r.get())
    }
    /// True when both codes were found and their classes differ (``550 4.2.2``).
    #[getter]
    fn classes_disagree(&self) -> bool {
        self.0.classes_disagree()
    }
    /// The fields as a dict.
    #[allow(clippy::wrong_self_convention)] // a pyo3 method takes &self, Copy or not
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "status"), self.status())?;
        d.set_item(intern!(py, "reply_code"), self.reply_code())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "FoundCodes(status={}, reply_code={})",
            r_opt(py, self.status().as_deref()),
            self.reply_code()
                .map_or_else(|| "None".into(), |x| x.to_string())
        )
    }
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<Reduced<'py, (Option<String>, Option<u16>)>> {
        let me = slf.get();
        Ok((slf.get_type(), (me.status(), me.reply_code())))
    }
    fn _repr_html_(&self) -> String {
        html_table(
            "FoundCodes",
            &[
                ("status", esc(self.status().as_deref().unwrap_or("-"))),
                (
                    "reply_code",
                    self.reply_code()
                        .map_or_else(|| "-".into(), |x| x.to_string()),
                ),
            ],
        )
    }
}

// --------------------------------------------------------------------- Rule

/// One diagnostic-text rule of a :class:`Classifier` (read-only).
#[pyclass(module = "bouncekit", name = "Rule", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub struct PyRule(pub Rule);

impl Hash for PyRule {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id.hash(state)
    }
}

#[pymethods]
impl PyRule {
    /// Unique id, ``<file>.<slug>``.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    /// The verdict.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_word(py, self.0.reason)
    }
    /// 0..100; the highest matching rule wins.
    #[getter]
    fn priority(&self) -> u8 {
        self.0.priority
    }
    /// Plain substrings, matched ASCII-case-insensitively.
    #[getter]
    fn phrases(&self) -> Vec<String> {
        self.0.phrases.clone()
    }
    /// Regular expressions, matched case-insensitively.
    #[getter]
    fn patterns(&self) -> Vec<String> {
        self.0.patterns.clone()
    }
    /// The status reported when the text has none, or None.
    #[getter]
    fn status(&self) -> Option<String> {
        self.0.status.map(|s| s.to_string())
    }
    /// Overrides the reason's default bounce type, or None.
    #[getter]
    fn bounce_type<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0.bounce_type.map(|b| py_word(py, b)).transpose()
    }
    /// Only applies to codes of this class (4 or 5), or None.
    #[getter]
    fn status_class(&self) -> Option<u8> {
        self.0.class
    }
    /// The reason inside a bounce or delay report where it differs from
    /// ``reason`` (a timeout there is a message that expired), or None.
    #[getter]
    fn in_report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0.in_report.map(|r| py_word(py, r)).transpose()
    }
    /// Real diagnostics that must classify to ``reason``.
    #[getter]
    fn examples(&self) -> Vec<String> {
        self.0.examples.clone()
    }
    /// The file (stem) the rule came from.
    #[getter]
    fn source(&self) -> &str {
        &self.0.source
    }
    /// The fields as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let x = &self.0;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "id"), &x.id)?;
        d.set_item(intern!(py, "reason"), x.reason.as_str())?;
        d.set_item(intern!(py, "priority"), x.priority)?;
        d.set_item(intern!(py, "phrases"), &x.phrases)?;
        d.set_item(intern!(py, "patterns"), &x.patterns)?;
        d.set_item(intern!(py, "status"), self.status())?;
        d.set_item(
            intern!(py, "bounce_type"),
            x.bounce_type.map(|b| b.as_str()),
        )?;
        d.set_item(intern!(py, "status_class"), x.class)?;
        d.set_item(intern!(py, "in_report"), x.in_report.map(|r| r.as_str()))?;
        d.set_item(intern!(py, "examples"), &x.examples)?;
        d.set_item(intern!(py, "source"), &x.source)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Rule(id={}, reason={}, priority={}, source={})",
            r(py, &self.0.id),
            r(py, self.0.reason.as_str()),
            self.0.priority,
            r(py, &self.0.source)
        )
    }
}

/// What `__reduce__` returns: the class and its constructor arguments.
type Reduced<'py, A> = (Bound<'py, PyType>, A);
