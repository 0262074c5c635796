//! The Arrow PyCapsule interface, both ways, on arrow-rs's C Data
//! Interface structs: importing any producer's array or stream (pyarrow,
//! polars, nanoarrow, arro3, DuckDB, ...) and exporting a record batch that
//! any consumer takes (`pyarrow.record_batch(obj)`).
//!
//! The capsule protocol: `__arrow_c_array__()` returns an `arrow_schema`
//! and an `arrow_array` capsule, `__arrow_c_stream__()` one
//! `arrow_array_stream` capsule. The consumer *moves* the struct out of the
//! capsule (the capsule's copy is left marked released) and later calls its
//! `release` callback itself; a capsule that is dropped unconsumed releases
//! its struct. <https://arrow.apache.org/docs/format/CDataInterface/PyCapsuleInterface.html>

use std::ffi::{c_char, CStr};
use std::ptr::NonNull;

use arrow_array::ffi::{from_ffi, from_ffi_and_data_type, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{make_array, Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{ArrowError, DataType, Field};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";
const STREAM: &CStr = c"arrow_array_stream";

fn arrow_err(e: ArrowError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The pointer a capsule holds, checked against the protocol's name.
fn capsule_pointer(obj: &Bound<'_, PyAny>, name: &CStr) -> PyResult<NonNull<std::ffi::c_void>> {
    let capsule = obj.cast::<PyCapsule>().map_err(|_| {
        PyTypeError::new_err(format!("expected a PyCapsule named {name:?}, got {}", crate::convert::type_name(obj)))
    })?;
    capsule.pointer_checked(Some(name))
}

/// Imports an Arrow array (`__arrow_c_array__`, preferred) or stream
/// (`__arrow_c_stream__`): its field and its chunks, zero-copy. The chunks
/// hold the producer's buffers until they are dropped.
pub fn import(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<(Field, Vec<ArrayRef>)> {
    if obj.hasattr(intern!(py, "__arrow_c_array__"))? {
        let pair = obj.call_method0(intern!(py, "__arrow_c_array__"))?;
        let pair = pair
            .cast::<PyTuple>()
            .map_err(|_| PyTypeError::new_err("__arrow_c_array__ must return a (schema, array) tuple of capsules"))?;
        if pair.len() != 2 {
            return Err(PyTypeError::new_err("__arrow_c_array__ must return a (schema, array) tuple of capsules"));
        }
        let schema = capsule_pointer(&pair.get_item(0)?, SCHEMA)?.cast::<FFI_ArrowSchema>();
        let array = capsule_pointer(&pair.get_item(1)?, ARRAY)?.cast::<FFI_ArrowArray>();
        // SAFETY: the capsules are named by the protocol, so they hold an
        // ArrowSchema and an ArrowArray; the array is moved out (its capsule
        // keeps a released husk) and the schema only read, while `pair`
        // keeps both capsules alive.
        let (field, data) = unsafe {
            let schema = schema.as_ref();
            if schema.release.is_none() {
                return Err(PyValueError::new_err("the Arrow schema capsule was already released"));
            }
            let array = FFI_ArrowArray::from_raw(array.as_ptr());
            if array.is_released() {
                return Err(PyValueError::new_err("the Arrow array capsule was already consumed"));
            }
            (Field::try_from(schema).map_err(arrow_err)?, from_ffi(array, schema).map_err(arrow_err)?)
        };
        return Ok((field, vec![checked(data)?]));
    }
    let capsule = obj.call_method0(intern!(py, "__arrow_c_stream__"))?;
    let raw = capsule_pointer(&capsule, STREAM)?.cast::<FFI_ArrowArrayStream>();
    // SAFETY: the capsule holds an ArrowArrayStream (checked by name); it is
    // moved out, and released when `stream` drops.
    let mut stream = unsafe { FFI_ArrowArrayStream::from_raw(raw.as_ptr()) };
    let (Some(get_schema), Some(get_next)) = (stream.get_schema, stream.get_next) else {
        return Err(PyValueError::new_err("the Arrow stream capsule was already consumed"));
    };
    let mut schema = FFI_ArrowSchema::empty();
    // SAFETY: a live stream's callbacks, called as the C stream interface says.
    if unsafe { get_schema(&mut stream, &mut schema) } != 0 {
        return Err(PyValueError::new_err(stream_error(&mut stream, "get_schema")));
    }
    let field = Field::try_from(&schema).map_err(arrow_err)?;
    let mut chunks = Vec::new();
    loop {
        let mut array = FFI_ArrowArray::empty();
        // SAFETY: as above; a released array marks the end of the stream.
        if unsafe { get_next(&mut stream, &mut array) } != 0 {
            return Err(PyValueError::new_err(stream_error(&mut stream, "get_next")));
        }
        if array.is_released() {
            break;
        }
        // SAFETY: the array the stream just gave, of the stream's type.
        let data = unsafe { from_ffi_and_data_type(array, field.data_type().clone()) }.map_err(arrow_err)?;
        chunks.push(checked(data)?);
    }
    Ok((field, chunks))
}

/// An imported array, once its buffers are known to agree with its type
/// (offsets in bounds, UTF-8 where it says so, dictionary keys in range):
/// the C Data Interface trusts the producer, and reading a malformed array
/// would panic or worse.
fn checked(data: arrow_data::ArrayData) -> PyResult<ArrayRef> {
    data.validate_full().map_err(|e| PyValueError::new_err(format!("invalid Arrow data from the producer: {e}")))?;
    Ok(make_array(data))
}

/// The stream's own message for its last failure.
fn stream_error(stream: &mut FFI_ArrowArrayStream, call: &str) -> String {
    let message = stream.get_last_error.and_then(|f| {
        // SAFETY: the stream's callback; the string it returns stays valid
        // until the next call on the stream, and is copied at once.
        let p: *const c_char = unsafe { f(stream) };
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    });
    format!("Arrow stream: {call} failed: {}", message.as_deref().unwrap_or("no message"))
}

/// A record batch that any Arrow consumer can take through
/// `__arrow_c_array__` (e.g. `pyarrow.record_batch(batch)`).
#[pyclass(module = "bouncekit._bouncekit", name = "_ArrowBatch", frozen)]
pub struct ArrowBatch {
    batch: RecordBatch,
}

impl ArrowBatch {
    pub fn new(batch: RecordBatch) -> Self {
        ArrowBatch { batch }
    }
}

#[pymethods]
impl ArrowBatch {
    /// The batch as a struct array: a schema and an array capsule. The
    /// requested schema, if any, is not applied (the columns' types are
    /// fixed), which the protocol allows.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema;
        let data = StructArray::from(self.batch.clone()).into_data();
        let (array, schema) = to_ffi(&data).map_err(arrow_err)?;
        let schema = PyCapsule::new_with_value(py, schema, SCHEMA)?;
        let array = PyCapsule::new_with_value(py, array, ARRAY)?;
        PyTuple::new(py, [schema.into_any(), array.into_any()])
    }

    /// The batch's schema as an `arrow_schema` capsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema =
            FFI_ArrowSchema::try_from(&DataType::Struct(self.batch.schema().fields().clone())).map_err(arrow_err)?;
        PyCapsule::new_with_value(py, schema, SCHEMA)
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    fn __repr__(&self) -> String {
        format!("<bouncekit Arrow batch: {} rows, {} columns>", self.batch.num_rows(), self.batch.num_columns())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::StringArray;
    use std::sync::Arc;

    /// What goes out through the C Data Interface comes back the same.
    #[test]
    fn exported_struct_round_trips() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec![Some("550 5.1.1"), None, Some("452 4.2.2")]));
        let batch = RecordBatch::try_from_iter([("text", texts)]).unwrap();
        let data = StructArray::from(batch.clone()).into_data();
        let (array, schema) = to_ffi(&data).unwrap();
        let back = make_array(unsafe { from_ffi(array, &schema) }.unwrap());
        let back = RecordBatch::from(back.as_struct().clone());
        assert_eq!(back, batch);
    }
}
