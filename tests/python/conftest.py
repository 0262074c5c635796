"""Shared fixtures: the sample diagnostics and the Sisimai corpus' Diagnostic-Code lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("BOUNCEKIT_SHARED", ROOT.parent / "shared"))


def corpus_diagnostics() -> list[str]:
    """Every Diagnostic-Code value (unfolded) of ../shared/corpus/sisimai/bsd,
    the mix the Rust benchmark uses; the bundled sample when it is absent."""
    out: list[str] = []
    d = SHARED / "corpus" / "sisimai" / "bsd"
    if d.is_dir():
        for p in sorted(d.iterdir()):
            lines = p.read_bytes().decode("utf-8", "replace").splitlines()
            i = 0
            while i < len(lines):
                line = lines[i]
                i += 1
                if line.startswith("Diagnostic-Code:"):
                    v = line[len("Diagnostic-Code:") :].strip()
                    while i < len(lines) and lines[i][:1] in (" ", "\t"):
                        v += " " + lines[i].strip()
                        i += 1
                    out.append(v)
    return out or sample_diagnostics()


def sample_diagnostics() -> list[str]:
    text = (ROOT / "examples" / "diagnostics.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def sample() -> list[str]:
    return sample_diagnostics()


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    return corpus_diagnostics()
