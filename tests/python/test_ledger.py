"""Ledger: recording (idempotent, all or nothing), decisions, the suppression
list and its exports, releases, statistics, domain health, files, threads
and processes."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import pickle
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

import bouncekit
from bouncekit import Action, BounceType, Event, Ledger, Policy, Reason

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DAY = 86_400
T0 = 1_714_557_600  # 2024-05-01T10:00:00Z


def test_record_decide_and_list() -> None:
    with Ledger() as ledger:
        s = ledger.record(
            [
                Event("Bob@Example.com", T0, Reason.USERUNKNOWN, message_id="m1@mx"),
                Event("ann@example.com", T0, Reason.MAILBOXFULL, message_id="m2@mx"),
                Event("cid@example.org", T0, Reason.BLOCKED, message_id="m3@mx"),
            ]
        )
        assert (s.events, s.recorded, s.duplicates, s.suppressed) == (3, 3, 0, 1)
        assert ledger.is_suppressed("bob@example.com", now=T0)
        assert "<bob@example.com>" in ledger  # addresses are normalised
        assert "ann@example.com" not in ledger
        assert ledger.decide("bob@example.com", now=T0).action is Action.SUPPRESS
        d = ledger.decide("ann@example.com", now=T0)
        assert d.action is Action.RETRY and d.retry_after == 12 * 3600
        assert ledger.decide("cid@example.org", now=T0).action is Action.FIX_SENDER
        assert ledger.decide("new@example.net", now=T0).action is Action.IGNORE
        [sup] = ledger.suppressed(now=T0)
        assert (sup.address, sup.domain, sup.scope, sup.reason, sup.since) == (
            "bob@example.com", "example.com", "address", Reason.USERUNKNOWN, T0,
        )  # fmt: skip
        assert ledger.suppression("BOB@example.com") == sup
        assert ledger.suppression("ann@example.com") is None
        assert [h.reason for h in ledger.history("ann@example.com")] == [Reason.MAILBOXFULL]


def test_recording_twice_counts_once() -> None:
    events = [Event(f"u{i}@example.com", T0 + i, Reason.MAILBOXFULL, diagnostic="452 4.2.2 full") for i in range(50)]
    with Ledger() as ledger:
        first = ledger.record(events)
        again = ledger.record(events)
        assert (first.recorded, first.duplicates) == (50, 0)
        assert (again.recorded, again.duplicates) == (0, 50)
        assert ledger.event_count() == 50


def test_soft_bounces_accumulate_to_a_suppression() -> None:
    with Ledger() as ledger:
        for k in range(3):
            ledger.record([Event("ann@example.com", T0 + k * DAY, "mailboxfull", message_id=f"m{k}")])
        d = ledger.decide("ann@example.com", now=T0 + 2 * DAY)
        assert d.action is Action.SUPPRESS
        assert "3 soft bounces" in d.why


def test_an_invalid_event_refuses_its_whole_batch() -> None:
    with Ledger() as ledger:
        good = [Event(f"u{i}@example.com", T0, "userunknown") for i in range(5)]
        rows = [*good, {"recipient": "x@example.com", "reason": "mailboxfool", "timestamp": T0}]
        with pytest.raises(bouncekit.InvalidEventError, match="mailboxfool") as e:
            ledger.record(rows)
        assert (e.value.row, e.value.field) == (6, "reason")
        assert ledger.event_count() == 0
        for bad, field in [
            ({"recipient": "not an address", "reason": "userunknown", "timestamp": T0}, "recipient"),
            ({"recipient": "a@example.com", "reason": "userunknown", "timestamp": 0}, "time"),
            ({"recipient": "a@example.com", "reason": "userunknown", "timestamp": "soon"}, "timestamp"),
            ({"recipient": "a@example.com", "reason": "userunknown", "timestamp": T0, "status": "9.9"}, "status"),
            ({"recipient": "a@example.com", "reason": "userunknown"}, "timestamp"),
        ]:
            with pytest.raises(bouncekit.InvalidEventError) as e:
                ledger.record([bad])
            assert e.value.field == field, bad
        assert ledger.event_count() == 0
        # skip_invalid counts them instead; default_time fills a missing time.
        s = ledger.record(rows + [{"recipient": "t@example.com", "reason": "userunknown"}], skip_invalid=True, default_time=T0)
        assert (s.recorded, s.skipped) == (6, 1)


def test_bad_arguments_raise_clean_errors() -> None:
    with pytest.raises(bouncekit.UnknownNameError):
        Event("a@example.com", T0, "mailboxfool")
    with pytest.raises(bouncekit.UnknownNameError):
        Event("a@example.com", T0, "userunknown", bounce_type="squishy")
    with pytest.raises(TypeError):
        Event("a@example.com", T0, None)  # type: ignore[arg-type]
    assert Event("a@example.com", T0, "UserUnknown").reason is Reason.USERUNKNOWN
    with Ledger() as ledger:
        with pytest.raises(TypeError):
            ledger.record(Event("a@example.com", T0, "userunknown"))  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            ledger.record([42])  # type: ignore[list-item]
        with pytest.raises(TypeError):
            ledger.record([{"recipient": b"a@example.com", "reason": "userunknown", "timestamp": T0}])
        with pytest.raises(TypeError):
            ledger.record([{"recipient": "a@example.com", "reason": "userunknown", "timestamp": [T0]}])
        with pytest.raises(ValueError):
            ledger.record([], batch_size=-1)
        with pytest.raises(bouncekit.InvalidAddressError):
            ledger.decide("nobody")
        with pytest.raises(bouncekit.InvalidAddressError):
            ledger.release_domain("a b")
        with pytest.raises(TypeError):
            ledger.decide(None)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            ledger.is_suppressed("a@example.com", now="now")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            Ledger(durability="sometimes")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            Ledger(policy="strict")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            pickle.dumps(ledger)


def test_release_lifts_a_suppression() -> None:
    with Ledger() as ledger:
        ledger.record([Event("bob@example.com", T0, "userunknown")])
        assert ledger.release("bob@example.com", at=T0 + 60)
        assert not ledger.release("bob@example.com", at=T0 + 120)
        assert not ledger.is_suppressed("bob@example.com", now=T0 + 180)
        assert ledger.suppressed(now=T0 + 180) == []
        # Only bounces after the release count again.
        ledger.record([Event("bob@example.com", T0 + DAY, "userunknown")])
        assert ledger.is_suppressed("bob@example.com", now=T0 + DAY)


def test_export_csv_and_json(tmp_path: Path) -> None:
    with Ledger() as ledger:
        ledger.record(
            [
                Event("bob@example.com", T0, "userunknown", diagnostic="550 5.1.1 unknown"),
                Event("eve@example.org", T0 + 5, "feedback"),
            ]
        )
        text = ledger.export_csv(now=T0 + 10)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["address"] for r in rows] == ["bob@example.com", "eve@example.org"]
        assert rows[0]["reason"] == "userunknown" and rows[0]["since"] == "2024-05-01T10:00:00Z"
        assert rows[1]["reason"] == "feedback"
        out = tmp_path / "list.json"
        j = json.loads(ledger.export_json(out, now=T0 + 10))
        assert j == json.loads(out.read_text(encoding="utf-8"))
        assert [(x["address"], x["since_unix"]) for x in j] == [("bob@example.com", T0), ("eve@example.org", T0 + 5)]
        buf = io.StringIO()
        ledger.export_csv(buf, now=T0 + 10)
        assert buf.getvalue() == text


def test_domain_health_flags_a_failing_domain() -> None:
    failures = [
        Event(f"user{i}@down.example", T0 + i * 60, "hostunknown", diagnostic="Host or domain name not found")
        for i in range(5)
    ]
    with Ledger() as ledger:
        s = ledger.record(failures)
        assert s.domains_flagged == 1
        [flag] = ledger.flags()
        assert flag.domain == "down.example" and flag.addresses == 5
        assert flag.is_active(T0 + 600) and not flag.is_active(flag.expires_at)
        # The default policy holds the domain's other addresses: retry later.
        d = ledger.decide("someone@down.example", now=T0 + 600)
        assert d.action is Action.RETRY and d.retry_after and d.retry_after > 0
        [top, *_] = ledger.domains(now=T0 + 600)
        assert (top.domain, top.flagged, top.recipients, top.domain_failures) == ("down.example", True, 5, 5)
        assert top.flag == flag
        assert ledger.stats(now=T0 + 600).flagged_domains == 1
        assert ledger.release_domain("down.example", at=T0 + 700)
        assert ledger.flags() == []
        assert ledger.stats(now=T0 + 800).flagged_domains == 0


def test_a_suppressing_domain_policy_lists_the_domain() -> None:
    policy = Policy.from_toml('[domain]\naction = "suppress"\nthreshold = 2\n')
    with Ledger(policy=policy) as ledger:
        assert ledger.policy == policy
        ledger.record([Event(f"u{i}@down.example", T0 + i, "networkerror") for i in range(2)])
        assert ledger.is_suppressed("other@down.example", now=T0 + 10)
        assert [s.address for s in ledger.suppressed(now=T0 + 10) if s.scope == "domain"] == ["*@down.example"]


def test_stats() -> None:
    with Ledger() as ledger:
        ledger.record(
            [Event(f"u{i}@example.com", T0 + i, "userunknown") for i in range(3)]
            + [Event("v@example.org", T0 + 10, "mailboxfull", bounce_type=BounceType.SOFT)]
        )
        st = ledger.stats(now=T0 + 20)
        assert (st.events, st.recipients, st.domains, st.suppressed) == (4, 4, 2, 3)
        assert (st.first_event, st.last_event) == (T0, T0 + 10)
        assert st.by_reason == (("userunknown", 3), ("mailboxfull", 1))
        assert dict(st.by_bounce_type) == {"hard": 3, "soft": 1}
        assert st.schema_version == ledger.schema_version() >= 1
        assert pickle.loads(pickle.dumps(st)) == st
        assert st.to_dict()["events"] == 4
        assert [d.domain for d in ledger.domains()] == ["example.com", "example.org"]
        assert len(ledger.domains(limit=1)) == 1


def test_datetimes_are_unix_seconds() -> None:
    when = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
    with Ledger() as ledger:
        ledger.record([Event("bob@example.com", when, "userunknown")])
        ledger.record([{"recipient": "ann@example.com", "reason": "userunknown", "timestamp": when.replace(tzinfo=None)}])
        assert [s.since for s in ledger.suppressed()] == [T0, T0]


def test_scanned_reports_record_once(tmp_path: Path) -> None:
    paths = sorted(FIXTURES.glob("*.eml"))
    assert paths, "tests/fixtures holds sample bounces"
    reports = list(bouncekit.scan(*paths, errors="skip"))
    failed = sum(1 for r in reports for b in r.recipients if b.dsn_action != "delayed")
    db = tmp_path / "bounces.db"
    with Ledger(db) as ledger:
        first = ledger.record_reports(reports, now=T0)
        assert first.recorded > 0
        assert first.recorded + first.duplicates + first.skipped >= failed > 0
        n = ledger.event_count()
    # Reopened: the same reports again change nothing.
    with Ledger(db) as ledger:
        again = ledger.record_reports(bouncekit.scan(*paths, errors="return"), now=T0 + DAY)
        assert again.recorded == 0
        assert ledger.event_count() == n
        assert ledger.integrity_check() == []
        hard = {b.recipient.lower() for r in reports for b in r.recipients if b.bounce_type is BounceType.HARD}
        listed = {s.address for s in ledger.suppressed()}
        assert listed and listed <= {a.strip("<>") for a in hard} | listed


def test_closed_ledger_raises_and_close_is_idempotent(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "x.db")
    assert repr(ledger).endswith("open)")
    with ledger:
        pass
    assert ledger.closed
    ledger.close()
    with pytest.raises(bouncekit.LedgerError, match="closed"):
        ledger.event_count()


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("PRAGMA application_id = 12345")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(bouncekit.LedgerError):
        Ledger(other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(bouncekit.LedgerError):
        Ledger(junk)


def test_threads_share_one_ledger() -> None:
    with Ledger() as ledger:

        def work(k: int) -> None:
            ledger.record([Event(f"t{k}-{i}@example.com", T0 + i, "mailboxfull") for i in range(200)])
            for i in range(0, 200, 20):
                ledger.decide(f"t{k}-{i}@example.com", now=T0 + 300)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert ledger.event_count() == 800


def _writer(path: str, k: int, n: int) -> None:
    with Ledger(path, durability="normal") as ledger:
        for start in range(0, n, 250):
            ledger.record([Event(f"p{k}-{i}@example.com", T0 + i, "mailboxfull") for i in range(start, start + 250)])


def test_processes_write_one_file_and_lose_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.db")
    Ledger(db).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(db, k, 1000)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    with Ledger(db) as ledger:
        assert ledger.event_count() == 3000
        assert ledger.integrity_check() == []
