"""Scale-out: classify a partitioned dataset on a real multi-process Dask
cluster and compare with the single-process result."""

from __future__ import annotations

import pytest

import bouncekit

distributed = pytest.importorskip("distributed")
dask_bag = pytest.importorskip("dask.bag")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

pytestmark = pytest.mark.slow

RULES = '[[rule]]\nid = "mine.vip"\nreason = "filtered"\npriority = 100\nphrases = ["vip list only"]\nexamples = ["550 5.1.1 vip list only"]\n'


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def _classify_part(texts: list[str], clf: bouncekit.Classifier) -> list[bouncekit.Classification]:
    return clf.classify_many(texts)


def test_classify_many_on_a_cluster(client, corpus: list[str]) -> None:  # type: ignore[no-untyped-def]
    texts = corpus + ["550 5.1.1 vip list only"]
    clf = bouncekit.Classifier(rules_text=RULES, source="mine")
    # Objects cross process boundaries both ways: the classifier (with its
    # rules) goes to the workers, Classification objects come back.
    bag = dask_bag.from_sequence(texts, npartitions=8)
    got = bag.map_partitions(_classify_part, clf).compute()
    assert got == clf.classify_many(texts)
    assert got[-1].reason is bouncekit.Reason.FILTERED
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2


def _classify_frame(pdf: pd.DataFrame) -> pd.DataFrame:
    out = bouncekit.classify_arrow(pa.array(pdf["diagnostic"].tolist(), pa.string())).to_pandas()
    out.index = pdf.index
    return out


def test_classify_arrow_on_a_cluster(client, corpus: list[str]) -> None:  # type: ignore[no-untyped-def]
    pdf = pd.DataFrame({"diagnostic": corpus})
    ddf = dd.from_pandas(pdf, npartitions=6)
    meta = _classify_frame(pdf.head(0))
    got = ddf.map_partitions(_classify_frame, meta=meta).compute()
    single = bouncekit.classify_arrow(pa.array(corpus, pa.string())).to_pandas()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), single, check_dtype=False)
