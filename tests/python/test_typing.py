"""The stubs agree with the compiled module (mypy.stubtest) and with the
vocabulary the core exports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import bouncekit

HERE = Path(__file__).resolve().parent
ALLOWLIST = HERE / "stubtest-allowlist.txt"


def test_stubtest() -> None:
    pytest.importorskip("mypy")
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "bouncekit", "--allowlist", str(ALLOWLIST)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_stub_enums_match_the_core() -> None:
    stub = Path(bouncekit.__file__).with_name("_vocab.pyi")
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in {"Reason", "BounceType", "Category", "Action", "MessageKind", "DsnAction"}:
            members = [
                (t.targets[0].id, t.value.value)  # type: ignore[attr-defined]
                for t in node.body
                if isinstance(t, ast.Assign)
            ]
            runtime = [(m.name, m.value) for m in getattr(bouncekit, node.name)]
            assert members == runtime, node.name


def test_py_typed_is_installed() -> None:
    assert Path(bouncekit.__file__).with_name("py.typed").exists()


def test_mypy_accepts_typical_use(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    code = tmp_path / "use.py"
    code.write_text(
        "from datetime import datetime, timezone\n"
        "import bouncekit\n"
        "c = bouncekit.classify('550 5.1.1 user unknown')\n"
        "r: bouncekit.Reason = c.reason\n"
        "s: str | None = c.status\n"
        "n: int | None = c.reply_code\n"
        "e = bouncekit.explain('5.1.1')\n"
        "names: list[str] = e.causes\n"
        "many: list[bouncekit.Classification] = bouncekit.classify_many(['a', b'b'])\n"
        "k = bouncekit.Classifier(rules_text='')\n"
        "x: int = bouncekit.reason_info(bouncekit.Reason.BLOCKED).sparkpost or 0\n"
        "with bouncekit.Ledger(policy=bouncekit.Policy()) as ledger:\n"
        "    st: bouncekit.BatchStats = ledger.record([bouncekit.Event('a@example.com', 1714557600, 'userunknown')])\n"
        "    d: bouncekit.Decision = ledger.decide('a@example.com')\n"
        "    a: bouncekit.Action = d.action\n"
        "    sup: list[bouncekit.Suppression] = ledger.suppressed()\n"
        "ev = bouncekit.Event('b@example.com', datetime(2024, 5, 1, tzinfo=timezone.utc), bouncekit.Reason.BLOCKED)\n"
        "secs: int = ev.time\n"
        "lim = bouncekit.Limits(max_parts=10)\n"
        "k2: bouncekit.MessageKind = bouncekit.parse(b'x', limits=lim).kind\n"
        "bad: int = c.rule  # E: incompatible\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(code)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = r.stdout
    assert "use.py:21: error: Incompatible types in assignment" in out, out
    assert out.count("error:") == 1, out
