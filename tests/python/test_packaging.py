"""What was installed: one abi3 extension, stripped of debug information,
with the typing marker and stubs beside it."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

import bouncekit
from bouncekit import _bouncekit

EXT = Path(_bouncekit.__file__)


def elf_section_names(path: Path) -> list[str]:
    """The section names of a 64-bit little-endian ELF file."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not a 64-bit little-endian ELF file"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    def header(i: int) -> tuple[int, int, int]:
        name, _type, _flags, _addr, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size
    _, stroff, strsize = header(shstrndx)
    names = data[stroff : stroff + strsize]
    return [names[n : names.index(b"\0", n)].decode() for n, _, _ in (header(i) for i in range(shnum))]


def test_the_extension_is_abi3() -> None:
    assert EXT.name.endswith(".abi3.so") or EXT.suffix == ".pyd", EXT.name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF only")
def test_the_extension_is_stripped() -> None:
    names = elf_section_names(EXT)
    assert ".text" in names
    assert not [n for n in names if n.startswith(".debug")], "the wheel carries debug information"
    assert not [n for n in names if n == ".symtab"], "the wheel carries a symbol table"


def test_typing_files_are_installed() -> None:
    here = Path(bouncekit.__file__).parent
    for name in ("py.typed", "_bouncekit.pyi", "_vocab.pyi"):
        assert (here / name).is_file(), name
