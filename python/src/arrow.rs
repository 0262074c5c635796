//! Arrow in, Arrow out: a column of diagnostic texts (any object with
//! `__arrow_c_array__` or `__arrow_c_stream__`: pyarrow, polars, nanoarrow,
//! arro3, ...) to a record batch of classifications, through the Arrow
//! PyCapsule interface (`arrow_ffi` does the capsule handling).

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Int32Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{new_null_array, Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use bouncekit::{Classification, Classifier};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;

use crate::arrow_ffi::{self, ArrowBatch};
use crate::batch;
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

/// Row `i` of a text or binary chunk (binary values decoded lossily); None
/// for a null (the chunk's type was checked by `import_chunks`).
fn text_at(a: &dyn Array, i: usize) -> Option<Cow<'_, str>> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8 => Some(Cow::Borrowed(a.as_string::<i32>().value(i))),
        DataType::LargeUtf8 => Some(Cow::Borrowed(a.as_string::<i64>().value(i))),
        DataType::Utf8View => Some(Cow::Borrowed(a.as_string_view().value(i))),
        _ => raw_at(a, i).map(String::from_utf8_lossy),
    }
}

/// Row `i` of a text or binary chunk as bytes, borrowed from the Arrow
/// buffers (no copy); None for a null.
fn raw_at(a: &dyn Array, i: usize) -> Option<&[u8]> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Binary => Some(a.as_binary::<i32>().value(i)),
        DataType::LargeBinary => Some(a.as_binary::<i64>().value(i)),
        DataType::BinaryView => Some(a.as_binary_view().value(i)),
        DataType::Utf8 => Some(a.as_string::<i32>().value(i).as_bytes()),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(i).as_bytes()),
        DataType::Utf8View => Some(a.as_string_view().value(i).as_bytes()),
        _ => None,
    }
}

/// The imported chunks, addressed by row of the whole column.
struct Column {
    chunks: Vec<ArrayRef>,
    /// Where each chunk starts.
    starts: Vec<usize>,
    len: usize,
}

impl Column {
    fn new(chunks: Vec<ArrayRef>) -> Self {
        let mut starts = Vec::with_capacity(chunks.len());
        let mut len = 0;
        for c in &chunks {
            starts.push(len);
            len += c.len();
        }
        Column { chunks, starts, len }
    }

    /// The chunk holding row `i` and the row within it (an empty chunk
    /// shares its start with the next one: the last chunk starting at or
    /// before `i` is the one that holds it).
    fn at(&self, i: usize) -> (&dyn Array, usize) {
        let c = self.starts.partition_point(|&s| s <= i) - 1;
        (self.chunks[c].as_ref(), i - self.starts[c])
    }
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
    let (field, mut chunks) = arrow_ffi::import(py, obj)?;
    if !is_text(field.data_type()) {
        return Err(PyTypeError::new_err(format!("{who}: expected {expected}, got {}", field.data_type())));
    }
    for c in chunks.iter_mut() {
        if matches!(c.data_type(), DataType::Dictionary(..)) {
            *c = decode_dictionary(c.as_ref());
        }
    }
    Ok(chunks)
}

/// A dictionary-encoded chunk of text or binary as a plain one (its values
/// copied out, row by row).
fn decode_dictionary(c: &dyn Array) -> ArrayRef {
    let dict = c.as_any_dictionary();
    let (keys, values) = (dict.normalized_keys(), dict.values().as_ref());
    match values.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let mut b = StringBuilder::with_capacity(c.len(), 0);
            for (i, &k) in keys.iter().enumerate() {
                b.append_option(if c.is_null(i) { None } else { text_at(values, k) });
            }
            Arc::new(b.finish())
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let mut b = BinaryBuilder::with_capacity(c.len(), 0);
            for (i, &k) in keys.iter().enumerate() {
                b.append_option(if c.is_null(i) { None } else { raw_at(values, k) });
            }
            Arc::new(b.finish())
        }
        _ => new_null_array(&DataType::Utf8, c.len()),
    }
}

/// Classifies every text of an Arrow array (or stream of arrays) of strings;
/// one output row per input row, null inputs give all-null rows.
pub fn classify_arrow<'py>(
    py: Python<'py>,
    clf: &Arc<Classifier>,
    obj: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    // Importing the chunks is zero-copy; they are read without the GIL and
    // dropped (released to their producer) with it.
    let col = Column::new(import_chunks(py, obj, "classify_arrow", "an Arrow array of strings")?);
    let n = col.len;
    let clf = Arc::clone(clf);
    let (results, col) = py.detach(move || {
        batch::map(col, n, crate::CLASSIFY_CHUNK, move |col: &Column, i| {
            let (a, i) = col.at(i);
            text_at(a, i).map(|t| clf.classify(&t))
        })
    });
    drop(col);
    let results = results.map_err(PyRuntimeError::new_err)?;
    let batch = py
        .detach(|| build(&results))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(Bound::new(py, ArrowBatch::new(batch))?.into_any())
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
    clf: &Arc<Classifier>,
    obj: &Bound<'py, PyAny>,
    limits: &bouncekit::Limits,
    errors: &str,
) -> PyResult<Bound<'py, PyAny>> {
    if !matches!(errors, "raise" | "skip" | "return") {
        return Err(PyValueError::new_err(format!(
            "errors: expected 'raise', 'skip' or 'return', got {errors:?}"
        )));
    }
    let col = Column::new(import_chunks(py, obj, "parse_arrow", "an Arrow array of binary or strings")?);
    let n = col.len;
    let clf = Arc::clone(clf);
    let limits = limits.clone();
    // Messages are read in place from the imported buffers, without the
    // GIL; the buffers go back to their producer with it.
    let (parsed, col) = py.detach(move || {
        batch::map(col, n, crate::PARSE_CHUNK, move |col: &Column, i| {
            let (a, i) = col.at(i);
            raw_at(a, i).map(|m| bouncekit::parse_with(&clf, m, &limits))
        })
    });
    drop(col);
    let mut parsed = parsed.map_err(PyRuntimeError::new_err)?;
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
    Ok(Bound::new(py, ArrowBatch::new(batch))?.into_any())
}
