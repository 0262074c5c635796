"""Column-at-a-time helpers: Arrow in and out, pandas DataFrames.

pyarrow and pandas are optional: ``pip install 'bouncekit[arrow]'`` or
``'bouncekit[pandas]'``. The input side of :func:`classify_arrow` needs
neither (any object with ``__arrow_c_array__``/``__arrow_c_stream__`` is read
through the Arrow PyCapsule interface in Rust); the output is a
``pyarrow.RecordBatch``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import _bouncekit

if TYPE_CHECKING:  # pragma: no cover
    import pandas  # type: ignore[import-untyped,unused-ignore]
    import pyarrow  # type: ignore[import-untyped,unused-ignore]

    from ._bouncekit import Classifier
    from ._message import Errors, Limits

#: The columns of :func:`classify_arrow`'s output, in order (``reply_code``
#: is int32, every other column a string; all nullable).
ARROW_COLUMNS: tuple[str, ...] = tuple(_bouncekit.ARROW_COLUMNS)


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as e:  # pragma: no cover - exercised without pyarrow only
        raise ImportError("this needs pyarrow: pip install 'bouncekit[arrow]'") from e
    return pyarrow


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:  # pragma: no cover
        raise ImportError("this needs pandas: pip install 'bouncekit[pandas]'") from e
    return pandas


def _is_arrow(obj: object) -> bool:
    return hasattr(obj, "__arrow_c_array__") or hasattr(obj, "__arrow_c_stream__")


def classify_arrow(data: Any, *, classifier: Classifier | None = None) -> pyarrow.RecordBatch:
    """Classifies a column of diagnostic texts, on all cores without the GIL.

    ``data`` is any Arrow array or stream of strings (``utf8``,
    ``large_utf8``, ``string_view``, binary or dictionary-encoded strings):
    a ``pyarrow.Array``/``ChunkedArray``, a ``polars.Series``, anything with
    ``__arrow_c_array__`` or ``__arrow_c_stream__``; a ``pandas.Series`` is
    converted through pyarrow. Returns a ``pyarrow.RecordBatch`` with one row
    per input row (null inputs give null rows) and the columns
    :data:`ARROW_COLUMNS`. ``classifier`` defaults to the built-in rules.
    """
    pa = _pyarrow()
    if not _is_arrow(data):
        mod = type(data).__module__.split(".")[0]
        if mod == "pandas":
            data = pa.array(data, from_pandas=True)
            if not pa.types.is_string(data.type) and not pa.types.is_large_string(data.type) and len(data):
                raise TypeError(f"classify_arrow: expected a Series of strings, got {data.type}")
            if pa.types.is_null(data.type):
                data = data.cast(pa.string())
    out = _bouncekit._classify_arrow(data, classifier)
    return pa.record_batch(out)


#: The columns of :func:`parse_arrow`'s output, in order: ``index`` (int64,
#: the input row), the output contract's row fields (:data:`ROW_FIELDS`;
#: ``reply_code`` int32, the others strings) and ``error``.
PARSE_ARROW_COLUMNS: tuple[str, ...] = tuple(_bouncekit.PARSE_ARROW_COLUMNS)


def parse_arrow(
    data: Any,
    *,
    classifier: Classifier | None = None,
    limits: Limits | None = None,
    errors: Errors = "raise",
) -> pyarrow.RecordBatch:
    """Parses a column of raw messages on all cores without the GIL.

    ``data`` is any Arrow array or stream of ``binary``/``large_binary``/
    ``binary_view`` or strings (a ``pyarrow.Array``/``ChunkedArray``, a
    ``polars.Series``, anything with ``__arrow_c_array__`` or
    ``__arrow_c_stream__``); the messages are read in place from the Arrow
    buffers. Returns a ``pyarrow.RecordBatch`` with one row per recipient
    and the columns :data:`PARSE_ARROW_COLUMNS`: ``index`` is the input row
    (``source`` holds it as text), null inputs give no row.

    ``errors``: ``"raise"`` (the first failed message raises its
    :class:`BounceKitError`, naming its row), ``"skip"`` (it gives no row)
    or ``"return"`` (one row with its ``index`` and the message in
    ``error``, the other fields null)."""
    from ._message import _limits

    pa = _pyarrow()
    if not _is_arrow(data):
        mod = type(data).__module__.split(".")[0]
        if mod == "pandas":
            data = pa.array(data, from_pandas=True)
    out = _bouncekit._parse_arrow(data, classifier, _limits(limits), errors)
    return pa.record_batch(out)


def arrow_schema() -> pyarrow.Schema:
    """The schema of :func:`classify_arrow`'s output (e.g. to declare a Spark
    ``mapInArrow`` output)."""
    pa = _pyarrow()
    return classify_arrow(pa.array([], pa.string())).schema


def classify_pandas(texts: Any, *, classifier: Classifier | None = None) -> pandas.DataFrame:
    """Classifies a ``pandas.Series`` (or any iterable) of texts into a
    DataFrame with the columns :data:`ARROW_COLUMNS`, keeping the Series'
    index."""
    pd = _pandas()
    pa = _pyarrow()
    if isinstance(texts, pd.Series):
        index = texts.index
        arr = pa.array(texts.astype(object).where(texts.notna(), None), type=pa.large_string())
    else:
        if isinstance(texts, (str, bytes)):
            raise TypeError("classify_pandas: expected a Series or an iterable of str, got a single str")
        items = list(texts)
        for i, t in enumerate(items):
            if t is not None and not isinstance(t, str):
                raise TypeError(f"classify_pandas: item {i} is {type(t).__name__}, expected str")
        index = None
        arr = pa.array(items, type=pa.large_string())
    frame = classify_arrow(arr, classifier=classifier).to_pandas()
    if index is not None:
        frame.index = index
    return frame


def classify_polars(data: Any, *, classifier: Classifier | None = None) -> Any:
    """Classification in polars.

    With a column name or a ``polars.Expr``, returns an expression giving a
    Struct column with the fields :data:`ARROW_COLUMNS` (for
    ``with_columns``/``select``; ``.struct.unnest()`` or
    ``DataFrame.unnest`` spreads it). With a ``polars.Series``, returns a
    ``polars.DataFrame`` with those columns.

    >>> df.with_columns(bouncekit.classify_polars("diagnostic").alias("verdict")).unnest("verdict")
    """
    import polars as pl

    def run(s: Any) -> Any:
        return pl.Series(s.name, classify_arrow(s, classifier=classifier).to_struct_array())

    if isinstance(data, pl.Series):
        return run(data).struct.unnest()
    if isinstance(data, str):
        data = pl.col(data)
    if not isinstance(data, pl.Expr):
        raise TypeError(f"classify_polars: expected a column name, polars.Expr or polars.Series, got {type(data).__name__}")
    dtype = pl.Struct({c: (pl.Int32 if c == "reply_code" else pl.String) for c in ARROW_COLUMNS})
    return data.map_batches(run, return_dtype=dtype)


def to_pandas(items: Iterable[Any]) -> pandas.DataFrame:
    """A DataFrame of bouncekit objects (anything with ``to_dict()``:
    classifications, explanations, reason infos, rules, ...), one row each."""
    pd = _pandas()
    rows = []
    for i, x in enumerate(items):
        to_dict = getattr(x, "to_dict", None)
        if to_dict is None:
            raise TypeError(f"to_pandas: item {i} is {type(x).__name__}, which has no to_dict()")
        rows.append(to_dict())
    return pd.DataFrame.from_records(rows)
