"""bouncekit.check_domain / check_domains against a real DNS server and
real SMTP listeners on loopback (tests/python/loopback.py)."""

from __future__ import annotations

import pickle
import threading
from typing import Any, Iterator

import pytest

import bouncekit
from bouncekit import DomainCheck, DomainCheckError, Verdict

pytest.importorskip("dnslib")
from loopback import GREETS, REJECTS, SILENT, DnsServer, SmtpServers  # noqa: E402

ZONE = {
    "ok.test": [("mx", [(20, "mx-good.ok.test"), (10, "mx-dead.ok.test")])],
    "mx-good.ok.test": [("a", "127.0.0.2")],
    "mx-dead.ok.test": [("a", "127.0.0.5")],
    "nullmx.test": [("mx", [(0, ".")])],
    "bare.test": [("a", "127.0.0.2")],
    "empty.test": [("empty",)],
    "broken.test": [("servfail",)],
    "slow.test": [("slow", 3.0)],
    "reject.test": [("mx", [(10, "mx.reject.test")])],
    "mx.reject.test": [("a", "127.0.0.3")],
    "silent.test": [("mx", [(10, "mx.silent.test")])],
    "mx.silent.test": [("a", "127.0.0.4")],
    "refused.test": [("mx", [(10, "mx.refused.test")])],
    "mx.refused.test": [("a", "127.0.0.6")],
}


@pytest.fixture()
def net() -> Iterator[tuple[dict[str, Any], SmtpServers]]:
    dns = DnsServer(ZONE)  # type: ignore[arg-type]
    smtp = SmtpServers({2: GREETS, 3: REJECTS, 4: SILENT})
    opts: dict[str, Any] = {"resolver": dns.addr, "port": smtp.port, "timeout": 0.5, "dns_attempts": 1}
    try:
        yield opts, smtp
    finally:
        smtp.close()
        dns.close()


def test_every_verdict_from_a_real_exchange(net: tuple[dict[str, Any], SmtpServers]) -> None:
    opts, smtp = net
    domains = ["ok.test", "nullmx.test", "empty.test", "gone.test", "broken.test", "slow.test",
               "reject.test", "silent.test", "refused.test", "bare.test"]
    checks = bouncekit.check_domains(domains, concurrency=4, **opts)
    got = [(c.domain, c.verdict) for c in checks]
    assert got == [
        ("ok.test", Verdict.DELIVERABLE),
        ("nullmx.test", Verdict.NO_MAIL),
        ("empty.test", Verdict.NO_MAIL),
        ("gone.test", Verdict.NO_SUCH_DOMAIN),
        ("broken.test", Verdict.DNS_FAILURE),
        ("slow.test", Verdict.DNS_FAILURE),
        ("reject.test", Verdict.REJECTING),
        ("silent.test", Verdict.UNREACHABLE),
        ("refused.test", Verdict.UNREACHABLE),
        ("bare.test", Verdict.DELIVERABLE),
    ]
    by = {c.domain: c for c in checks}
    assert by["nullmx.test"].dns.source == "null_mx"
    assert by["gone.test"].dns.error == "NXDOMAIN"
    assert by["broken.test"].dns.error == "SERVFAIL"
    assert by["slow.test"].dns.error == "timeout"
    assert by["bare.test"].dns.source == "address"
    assert by["silent.test"].mx[0].outcome == "timeout"
    assert by["refused.test"].mx[0].outcome == "refused"
    assert by["reject.test"].mx[0].probes[0].banner.code == 554  # type: ignore[union-attr]
    # Only greetings, EHLO and QUIT: no mail.
    assert smtp.commands and set(smtp.commands) <= {"EHLO localhost", "QUIT"}


def test_result_objects(net: tuple[dict[str, Any], SmtpServers]) -> None:
    opts, _ = net
    c = bouncekit.check_domain("ok.test", starttls=True, **opts)
    assert isinstance(c, DomainCheck)
    assert [(m.host, m.preference, m.outcome) for m in c.mx] == [
        ("mx-dead.ok.test", 10, "refused"),
        ("mx-good.ok.test", 20, "accepted"),
    ]
    p = c.mx[1].probes[0]
    assert p.address.startswith("127.0.0.2:")
    assert p.banner is not None and p.banner.code == 220 and p.banner.text == "mx.loopback.test ESMTP ready"
    assert p.ehlo is not None and p.ehlo.code == 250
    assert p.starttls is True
    assert repr(c).startswith("DomainCheck(domain='ok.test', verdict='deliverable'")
    d = c.to_dict()
    assert d["verdict"] == "deliverable" and d["mx"][1]["probes"][0]["banner"]["code"] == 220
    assert pickle.loads(pickle.dumps(c)) == c
    assert "<table>" in c._repr_html_()
    with pytest.raises(Exception):
        c.verdict = Verdict.NO_MAIL  # type: ignore[misc]
    assert not c.verdict.is_temporary and Verdict.UNREACHABLE.is_temporary
    assert bouncekit.check_domain("ok.test", **opts).mx[1].probes[0].starttls is None


def test_bad_input_raises_before_any_traffic(net: tuple[dict[str, Any], SmtpServers]) -> None:
    opts, smtp = net
    with pytest.raises(DomainCheckError, match="invalid domain"):
        bouncekit.check_domains(["ok.test", "not a domain"], **opts)
    with pytest.raises(ValueError):
        bouncekit.check_domain("ok.test", **{**opts, "concurrency": 0})
    with pytest.raises(DomainCheckError, match="resolver"):
        bouncekit.check_domain("ok.test", **{**opts, "resolver": "nowhere"})
    with pytest.raises(DomainCheckError, match="ehlo_name"):
        bouncekit.check_domain("ok.test", **{**opts, "ehlo_name": "x\r\nMAIL FROM:<a@b>"})
    with pytest.raises(TypeError):
        bouncekit.check_domains("ok.test", **opts)
    with pytest.raises(TypeError):
        bouncekit.check_domain(b"ok.test", **opts)  # type: ignore[arg-type]
    assert smtp.commands == []
    assert issubclass(DomainCheckError, bouncekit.BounceKitError)


def test_the_gil_is_released_while_waiting(net: tuple[dict[str, Any], SmtpServers]) -> None:
    opts, _ = net
    result: list[DomainCheck] = []
    t = threading.Thread(target=lambda: result.append(bouncekit.check_domain("silent.test", **{**opts, "timeout": 1.0})))
    spins = 0
    t.start()
    # This thread keeps running Python while the other waits on the silent host.
    while t.is_alive():
        spins += 1
    t.join()
    assert result[0].verdict == Verdict.UNREACHABLE
    assert spins > 1000
