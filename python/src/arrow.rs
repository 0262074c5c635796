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

/// Classifies every text of an Arrow array (or stream of arrays) of strings;
/// one output row per input row, null inputs give all-null rows.
pub fn classify_arrow<'py>(
    py: Python<'py>,
    clf: &Classifier,
    obj: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    if !(obj.hasattr(intern!(py, "__arrow_c_array__"))?
        || obj.hasattr(intern!(py, "__arrow_c_stream__"))?)
    {
        return Err(PyTypeError::new_err(format!(
            "classify_arrow: expected an Arrow array of strings (an object with __arrow_c_array__ or __arrow_c_stream__), got {}",
            crate::convert::type_name(obj)
        )));
    }
    let any: AnyArray = obj.extract()?;
    let reader = any.into_reader()?;
    let field = reader.field();
    if !is_text(field.data_type()) {
        return Err(PyTypeError::new_err(format!(
            "classify_arrow: expected an Arrow array of strings, got {}",
            field.data_type()
        )));
    }
    // Importing the chunks is zero-copy; they are read without the GIL and
    // dropped (released to their producer) with it.
    let mut chunks: Vec<ArrayRef> = reader
        .collect::<Result<_, _>>()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    for c in chunks.iter_mut() {
        if let DataType::Dictionary(_, v) = c.data_type() {
            let v = (**v).clone();
            *c = arrow_cast::cast(c, &v).map_err(|e| PyValueError::new_err(e.to_string()))?;
        }
    }
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
