//! Arrow in, Arrow out: a column of diagnostic texts (any object with
//! `__arrow_c_array__` or `__arrow_c_stream__`: pyarrow, polars, nanoarrow,
//! arro3, ...) to a record batch of classifications, through the Arrow
//! PyCapsule interface (pyo3-arrow does the capsule handling).

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::{Int32Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use bouncekit::{Classification, Classifier};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3_arrow::input::AnyArray;
use pyo3_arrow::PyRecordBatch;
use rayon::prelude::*;

use crate::types::status_source_str;

/// The output columns, in order. `reply_code` is int32, the rest utf8; all nullable.
pub const COLUMNS: [&str; 10] = [
    "status",
    "status_source",
    "reply_code",
    "reason",
    "bounce_type",
    "category",
    "action",
    "description",
    "rule",
    "note",
];

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|&c| {
                Field::new(
                    c,
                    if c == "reply_code" {
                        DataType::Int32
                    } else {
                        DataType::Utf8
                    },
                    true,
                )
            })
            .collect::<Vec<_>>(),
    ))
}

fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::Null => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

/// The texts of one chunk (binary values are decoded lossily).
fn texts<'a>(a: &'a dyn Array, out: &mut Vec<Option<Cow<'a, str>>>) -> Result<(), String> {
    match a.data_type() {
        DataType::Utf8 => out.extend(a.as_string::<i32>().iter().map(|s| s.map(Cow::Borrowed))),
        DataType::LargeUtf8 => {
            out.extend(a.as_string::<i64>().iter().map(|s| s.map(Cow::Borrowed)))
        }
        DataType::Utf8View => out.extend(a.as_string_view().iter().map(|s| s.map(Cow::Borrowed))),
        DataType::Binary => out.extend(
            a.as_binary::<i32>()
                .iter()
                .map(|b| b.map(String::from_utf8_lossy)),
        ),
        DataType::LargeBinary => out.extend(
            a.as_binary::<i64>()
                .iter()
                .map(|b| b.map(String::from_utf8_lossy)),
        ),
        DataType::BinaryView => out.extend(
            a.as_binary_view()
                .iter()
                .map(|b| b.map(String::from_utf8_lossy)),
        ),
        DataType::Null => out.extend(std::iter::repeat_n(None, a.len())),
        t => return Err(format!("expected an Arrow array of strings, got {t}")),
    }
    Ok(())
}

fn build(results: &[Option<Classification>]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = results.len();
    let mut strings: Vec<StringBuilder> = (0..COLUMNS.len() - 1)
        .map(|_| StringBuilder::with_capacity(n, n * 8))
        .collect();
    let mut reply = Int32Builder::with_capacity(n);
    for r in results {
        match r {
            None => {
                strings.iter_mut().for_each(|b| b.append_null());
                reply.append_null();
            }
            Some(c) => {
                let [status, source, reason, bounce_type, category, action, description, rule, note] =
                    &mut strings[..]
                else {
                    unreachable!()
                };
                status.append_option(c.status.map(|s| s.to_string()));
                source.append_value(status_source_str(c.status_source));
                reply.append_option(c.reply_code.map(|r| i32::from(r.get())));
                reason.append_value(c.reason.as_str());
                bounce_type.append_value(c.bounce_type.as_str());
                category.append_value(c.category.as_str());
                action.append_value(c.action.as_str());
                description.append_value(&c.description);
                rule.append_value(&c.rule);
                note.append_option(c.note.as_deref());
            }
        }
    }
    let mut cols: Vec<ArrayRef> = strings
        .iter_mut()
        .map(|b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    cols.insert(2, Arc::new(reply.finish()));
    RecordBatch::try_new(schema(), cols)
}

/// Imports an Arrow array or stream of text/binary (zero-copy), with
/// dictionary-encoded chunks decoded; `who` and `expected` word the errors.
fn import_chunks(py: Python<'_>, obj: &Bound<'_, PyAny>, who: &str, expected: &str) -> PyResult<Vec<ArrayRef>> {
    if !(obj.hasattr(intern!(py, "__arrow_c_array__"))?
        || obj.hasattr(intern!(py, "__arrow_c_stream__"))?)
    {
        return Err(PyTypeError::new_err(format!(
            "{who}: expected {expected} (an object with __arrow_c_array__ or __arrow_c_stream__), got {}",
            crate::convert::type_name(obj)
        )));
    }
    let any: AnyArray = obj.extract()?;
    let reader = any.into_reader()?;
    let field = reader.field();
    if !is_text(field.data_type()) {
        return Err(PyTypeError::new_err(format!("{who}: expected {expected}, got {}", field.data_type())));
    }
    let mut chunks: Vec<ArrayRef> = reader
        .collect::<Result<_, _>>()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    for c in chunks.iter_mut() {
        if let DataType::Dictionary(_, v) = c.data_type() {
            let v = (**v).clone();
            *c = arrow_cast::cast(c, &v).map_err(|e| PyValueError::new_err(e.to_string()))?;
        }
    }
    Ok(chunks)
}

/// Classifies every text of an Arrow array (or stream of arrays) of strings;
/// one output row per input row, null inputs give all-null rows.
pub fn classify_arrow<'py>(
    py: Python<'py>,
    clf: &Classifier,
    obj: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    // Importing the chunks is zero-copy; they are read without the GIL and
    // dropped (released to their producer) with it.
    let chunks = import_chunks(py, obj, "classify_arrow", "an Arrow array of strings")?;
    let batch = py.detach(|| -> Result<RecordBatch, String> {
        let mut rows = Vec::new();
        for c in &chunks {
            texts(c.as_ref(), &mut rows)?;
        }
        let results: Vec<Option<Classification>> = if rows.len() >= crate::PAR_MIN {
            rows.par_iter()
                .map(|t| t.as_deref().map(|t| clf.classify(t)))
                .collect()
        } else {
            rows.iter()
                .map(|t| t.as_deref().map(|t| clf.classify(t)))
                .collect()
        };
        build(&results).map_err(|e| e.to_string())
    });
    drop(chunks);
    let batch = batch.map_err(PyTypeError::new_err)?;
    Ok(PyRecordBatch::new(batch).into_pyobject(py)?.into_any())
}

// ------------------------------------------------------------ parse_arrow

/// `parse_arrow`'s columns: `index` (int64, the input row), the output
/// contract's row fields (`reply_code` int32, the rest utf8) and `error`.
pub fn parse_columns() -> Vec<&'static str> {
    let mut c = vec!["index"];
    c.extend(bouncekit::Row::FIELDS);
    c.push("error");
    c
}

fn parse_schema() -> Arc<Schema> {
    Arc::new(Schema::new(
        parse_columns()
            .into_iter()
            .map(|c| {
                let t = match c {
                    "index" => DataType::Int64,
                    "reply_code" => DataType::Int32,
                    _ => DataType::Utf8,
                };
                Field::new(c, t, c != "index")
            })
            .collect::<Vec<_>>(),
    ))
}

/// The raw bytes of one chunk, borrowed from the Arrow buffers (no copy).
fn raws<'a>(a: &'a dyn Array, out: &mut Vec<Option<&'a [u8]>>) -> Result<(), String> {
    match a.data_type() {
        DataType::Binary => out.extend(a.as_binary::<i32>().iter()),
        DataType::LargeBinary => out.extend(a.as_binary::<i64>().iter()),
        DataType::BinaryView => out.extend(a.as_binary_view().iter()),
        DataType::Utf8 => out.extend(a.as_string::<i32>().iter().map(|s| s.map(str::as_bytes))),
        DataType::LargeUtf8 => out.extend(a.as_string::<i64>().iter().map(|s| s.map(str::as_bytes))),
        DataType::Utf8View => out.extend(a.as_string_view().iter().map(|s| s.map(str::as_bytes))),
        DataType::Null => out.extend(std::iter::repeat_n(None, a.len())),
        t => return Err(format!("expected an Arrow array of binary or strings, got {t}")),
    }
    Ok(())
}

type Parsed = Option<Result<bouncekit::Report, bouncekit::Error>>;

fn build_rows(parsed: &[Parsed]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    use arrow_array::builder::Int64Builder;
    let nfields = bouncekit::Row::FIELDS.len();
    let mut index = Int64Builder::new();
    let mut reply = Int32Builder::new();
    // Every utf8 column: the row fields but reply_code, then `error`.
    let mut cols: Vec<StringBuilder> = (0..nfields).map(|_| StringBuilder::new()).collect();
    let reply_at = bouncekit::Row::FIELDS
        .iter()
        .position(|f| *f == "reply_code")
        .expect("reply_code is a row field");
    for (i, p) in parsed.iter().enumerate() {
        match p {
            None => {}
            Some(Err(e)) => {
                index.append_value(i as i64);
                reply.append_null();
                for (k, b) in cols.iter_mut().enumerate() {
                    if k == reply_at {
                        continue;
                    }
                    b.append_null();
                }
                cols[reply_at].append_value(e.to_string());
            }
            Some(Ok(rep)) => {
                for row in rep.rows(&i.to_string()) {
                    index.append_value(i as i64);
                    reply.append_option(row.reply_code.map(i32::from));
                    let vals: [Option<&str>; 18] = [
                        Some(&row.source),
                        Some(row.message_kind),
                        Some(&row.recipient),
                        Some(row.dsn_action),
                        row.status.as_deref(),
                        None, // reply_code: its own column; this slot holds `error`
                        Some(row.reason),
                        Some(row.bounce_type),
                        Some(row.category),
                        Some(row.action),
                        Some(&row.diagnostic),
                        row.remote_mta.as_deref(),
                        row.reporting_mta.as_deref(),
                        row.smtp_command.as_deref(),
                        row.timestamp.as_deref(),
                        Some(&row.decoded_by),
                        Some(&row.rule),
                        row.feedback_type.as_deref(),
                    ];
                    for (b, v) in cols.iter_mut().zip(vals) {
                        b.append_option(v);
                    }
                }
            }
        }
    }
    let mut out: Vec<ArrayRef> = vec![Arc::new(index.finish())];
    let mut error = None;
    for (k, mut b) in cols.into_iter().enumerate() {
        if k == reply_at {
            out.push(Arc::new(reply.finish()));
            error = Some(b.finish());
        } else {
            out.push(Arc::new(b.finish()));
        }
    }
    out.push(Arc::new(error.expect("reply_at is in range")));
    RecordBatch::try_new(parse_schema(), out)
}

/// Parses every raw message of an Arrow array (or stream) of binary or
/// strings: one output row per recipient, `index` naming the input row.
/// Null inputs give no row. `errors`: "raise" (the first failure raises),
/// "skip" (failed messages give no row) or "return" (one row with `error`).
pub fn parse_arrow<'py>(
    py: Python<'py>,
    clf: &Classifier,
    obj: &Bound<'py, PyAny>,
    limits: &bouncekit::Limits,
    errors: &str,
) -> PyResult<Bound<'py, PyAny>> {
    if !matches!(errors, "raise" | "skip" | "return") {
        return Err(PyValueError::new_err(format!(
            "errors: expected 'raise', 'skip' or 'return', got {errors:?}"
        )));
    }
    let chunks = import_chunks(py, obj, "parse_arrow", "an Arrow array of binary or strings")?;
    // Messages are read in place from the imported buffers, without the GIL.
    let parsed = py.detach(|| -> Result<Vec<Parsed>, String> {
        let mut msgs = Vec::new();
        for c in &chunks {
            raws(c.as_ref(), &mut msgs)?;
        }
        let one = |m: &Option<&[u8]>| m.map(|m| bouncekit::parse_with(clf, m, limits));
        Ok(if msgs.len() >= crate::PAR_MIN / 16 {
            msgs.par_iter().map(one).collect()
        } else {
            msgs.iter().map(one).collect()
        })
    });
    let mut parsed = parsed.map_err(PyTypeError::new_err)?;
    match errors {
        "raise" => {
            if let Some(i) = parsed.iter().position(|p| matches!(p, Some(Err(_)))) {
                if let Some(Err(e)) = parsed.swap_remove(i) {
                    let err = crate::convert::to_pyerr(py, e);
                    let msg = format!("row {i}: {}", err.value(py));
                    return Err(PyErr::from_type(err.get_type(py), msg));
                }
            }
        }
        "skip" => parsed.iter_mut().for_each(|p| {
            if matches!(p, Some(Err(_))) {
                *p = None
            }
        }),
        _ => {}
    }
    let batch = py
        .detach(|| build_rows(&parsed))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    drop(chunks);
    Ok(PyRecordBatch::new(batch).into_pyobject(py)?.into_any())
}
