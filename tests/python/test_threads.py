"""Objects shared between threads; batch calls release the GIL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import bouncekit


def test_shared_classifier_across_threads(corpus: list[str]) -> None:
    rules = '[[rule]]\nid = "mine.vip"\nreason = "filtered"\npriority = 100\nphrases = ["vip list only"]\nexamples = ["550 5.1.1 vip list only"]\n'
    clf = bouncekit.Classifier(rules_text=rules)
    expect = clf.classify_many(corpus)
    shared = bouncekit.classify(corpus[0])

    def work(i: int) -> bool:
        ok = clf.classify_many(corpus) == expect
        ok &= [clf.classify(t) for t in corpus[i::8]] == expect[i::8]
        ok &= hash(shared) == hash(bouncekit.classify(corpus[0]))
        return ok

    with ThreadPoolExecutor(8) as ex:
        assert all(ex.map(work, range(8)))
