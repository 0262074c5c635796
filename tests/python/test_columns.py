"""classify_arrow (pyarrow, polars, any PyCapsule producer), pandas helpers."""

from __future__ import annotations

import pytest

import bouncekit

pa = pytest.importorskip("pyarrow")


def rows(batch) -> list[dict]:  # type: ignore[no-untyped-def]
    return batch.to_pylist()


def expected(texts: list[str | None]) -> list[dict | None]:
    return [None if t is None else bouncekit.classify(t).to_dict() for t in texts]


def as_dicts(batch) -> list[dict | None]:  # type: ignore[no-untyped-def]
    out: list[dict | None] = []
    for r in batch.to_pylist():
        out.append(None if r["reason"] is None else r)
    return out


def test_schema() -> None:
    s = bouncekit.arrow_schema()
    assert tuple(s.names) == bouncekit.ARROW_COLUMNS
    assert s.field("reply_code").type == pa.int32()
    assert s.field("reason").type == pa.string()


@pytest.mark.parametrize("typ", ["string", "large_string", "string_view", "binary", "large_binary"])
def test_string_types(corpus: list[str], typ: str) -> None:
    texts = corpus[:500]
    arr = pa.array(texts, type=getattr(pa, typ)())
    out = bouncekit.classify_arrow(arr)
    assert isinstance(out, pa.RecordBatch)
    assert out.num_rows == len(texts)
    assert as_dicts(out) == expected(texts)


def test_nulls_and_empty() -> None:
    texts = ["550 5.1.1 user unknown", None, "", None]
    out = bouncekit.classify_arrow(pa.array(texts))
    assert as_dicts(out) == expected(texts)
    assert out.column("reason").null_count == 2
    assert bouncekit.classify_arrow(pa.array([], pa.string())).num_rows == 0
    allnull = bouncekit.classify_arrow(pa.array([None, None]))
    assert allnull.num_rows == 2 and allnull.column("reason").null_count == 2


def test_chunked_and_dictionary(sample: list[str]) -> None:
    chunked = pa.chunked_array([sample[:5], sample[5:], []])
    assert as_dicts(bouncekit.classify_arrow(chunked)) == expected(sample)
    dictionary = pa.array(sample + sample).dictionary_encode()
    assert as_dicts(bouncekit.classify_arrow(dictionary)) == expected(sample + sample)


def test_invalid_utf8_binary() -> None:
    arr = pa.array([b"550 5.1.1 \xff\xfe unknown"], type=pa.binary())
    out = bouncekit.classify_arrow(arr)
    assert out.column("status")[0].as_py() == "5.1.1"


def test_wrong_types() -> None:
    with pytest.raises(TypeError, match="strings"):
        bouncekit.classify_arrow(pa.array([1, 2, 3]))
    with pytest.raises(TypeError):
        bouncekit.classify_arrow(["550 5.1.1"])
    with pytest.raises(TypeError):
        bouncekit.classify_arrow(None)
    with pytest.raises(TypeError):
        bouncekit.classify_arrow(pa.array([[1]]))


class _Producer:
    """An Arrow producer that hands over what it is given (to test the
    capsule checks)."""

    def __init__(self, array: object = None, stream: object = None) -> None:
        if array is not None:
            self.__arrow_c_array__ = lambda requested_schema=None: array
        if stream is not None:
            self.__arrow_c_stream__ = lambda requested_schema=None: stream


def test_broken_producers_raise_clean_errors() -> None:
    texts = pa.array(["550 5.1.1 user unknown", None])
    schema, array = texts.__arrow_c_array__()
    # Capsules swapped, a non-tuple, a non-capsule: typed errors, no crash.
    with pytest.raises(ValueError):
        bouncekit.classify_arrow(_Producer(array=(array, schema)))
    with pytest.raises(TypeError):
        bouncekit.classify_arrow(_Producer(array="not a tuple"))
    with pytest.raises(TypeError):
        bouncekit.classify_arrow(_Producer(array=(1, 2)))
    with pytest.raises(ValueError):
        bouncekit.classify_arrow(_Producer(stream=texts.__arrow_c_array__()[0]))
    # A capsule can be consumed once: the second use is refused.
    schema, array = texts.__arrow_c_array__()
    assert bouncekit.classify_arrow(_Producer(array=(schema, array))).num_rows == 2
    with pytest.raises(ValueError, match="consumed"):
        bouncekit.classify_arrow(_Producer(array=(schema, array)))
    stream = pa.chunked_array([texts, texts]).__arrow_c_stream__()
    assert bouncekit.classify_arrow(_Producer(stream=stream)).num_rows == 4
    with pytest.raises(ValueError, match="consumed"):
        bouncekit.classify_arrow(_Producer(stream=stream))


def test_malformed_arrow_data_is_refused() -> None:
    # Buffers that disagree with their type, which pyarrow's cheap checks let
    # through: offsets that go backwards, bytes that are not UTF-8 in a
    # string array, dictionary keys past the dictionary.
    import struct

    backwards = pa.Array.from_buffers(
        pa.string(), 2, [None, pa.py_buffer(struct.pack("<3i", 0, 8, 4)), pa.py_buffer(b"550 5.1.1")]
    )
    not_utf8 = pa.Array.from_buffers(
        pa.string(), 1, [None, pa.py_buffer(struct.pack("<2i", 0, 3)), pa.py_buffer(b"\xff\xfe\xfd")]
    )
    bad_keys = pa.DictionaryArray.from_arrays(pa.array([0, 5], pa.int32()), pa.array(["550 5.1.1"]), safe=False)
    for bad in (backwards, not_utf8, bad_keys):
        with pytest.raises(ValueError, match="invalid Arrow data"):
            bouncekit.classify_arrow(bad)
    with pytest.raises(ValueError, match="invalid Arrow data"):
        bouncekit.parse_arrow(backwards)


def test_output_is_an_arrow_producer() -> None:
    # What classify_arrow wraps: any consumer takes it, once or many times.
    out = bouncekit._bouncekit._classify_arrow(pa.array(["550 5.1.1 user unknown"]), None)
    assert len(out) == 1
    first, second = pa.record_batch(out), pa.record_batch(out)
    assert first.equals(second)
    assert first.column("reason").to_pylist() == ["userunknown"]
    assert pa.schema(out).names == list(bouncekit.ARROW_COLUMNS)


def test_with_classifier() -> None:
    rules = '[[rule]]\nid = "mine.vip"\nreason = "filtered"\npriority = 100\nphrases = ["vip list only"]\nexamples = ["550 5.1.1 vip list only"]\n'
    c = bouncekit.Classifier(rules_text=rules)
    out = bouncekit.classify_arrow(pa.array(["550 5.1.1 vip list only"]), classifier=c)
    assert out.column("reason")[0].as_py() == "filtered"


def test_polars(corpus: list[str]) -> None:
    pl = pytest.importorskip("polars")
    s = pl.Series("diagnostic", corpus[:300] + [None])
    out = bouncekit.classify_arrow(s)
    assert as_dicts(out) == expected(corpus[:300] + [None])
    want = [bouncekit.classify(t).reason.value for t in corpus[:50]]
    df = pl.DataFrame({"diagnostic": corpus[:50], "n": range(50)})
    got = df.with_columns(bouncekit.classify_polars("diagnostic").alias("verdict")).unnest("verdict")
    assert got["reason"].to_list() == want
    assert got.columns == ["diagnostic", "n", *bouncekit.ARROW_COLUMNS]
    lazy = df.lazy().select(bouncekit.classify_polars(pl.col("diagnostic")).struct.field("reason")).collect()
    assert lazy["reason"].to_list() == want
    frame = bouncekit.classify_polars(df["diagnostic"])
    assert isinstance(frame, pl.DataFrame) and frame["reason"].to_list() == want
    with pytest.raises(TypeError):
        bouncekit.classify_polars(42)


def test_pandas_helpers(sample: list[str]) -> None:
    pd = pytest.importorskip("pandas")
    s = pd.Series(sample, index=range(100, 100 + len(sample)))
    df = bouncekit.classify_pandas(s)
    assert list(df.index) == list(s.index)
    assert list(df.columns) == list(bouncekit.ARROW_COLUMNS)
    assert list(df["reason"]) == [bouncekit.classify(t).reason.value for t in sample]
    with_none = bouncekit.classify_pandas(pd.Series(["550 5.1.1 x", None]))
    assert with_none["reason"].isna().tolist() == [False, True]
    assert len(bouncekit.classify_pandas(sample)) == len(sample)
    with pytest.raises(TypeError):
        bouncekit.classify_pandas("one string")
    with pytest.raises(TypeError):
        bouncekit.classify_pandas([1, 2])
    # classify_arrow takes a pandas Series too.
    assert bouncekit.classify_arrow(s).num_rows == len(sample)

    frame = bouncekit.to_pandas(bouncekit.classify_many(sample))
    assert len(frame) == len(sample) and "reason" in frame.columns
    reasons = bouncekit.to_pandas(bouncekit.reasons())
    assert len(reasons) == len(bouncekit.Reason)
    with pytest.raises(TypeError):
        bouncekit.to_pandas([1])
