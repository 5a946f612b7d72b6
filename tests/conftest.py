"""Shared test data: the project's fixtures and, when present, ../shared/corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"

FIXTURE_FILES = sorted(FIXTURES.glob("*.jpg"))
CORPUS_FILES = sorted(CORPUS.glob("*.jpg")) if CORPUS.is_dir() else []

# zigzag index -> (row, column), from T.81 figure A.6, for tests that walk
# blocks independently of the code under test
ZIGZAG_CELLS = [(0, 0)]
for _diagonal in range(1, 15):
    _cells = [(i, _diagonal - i) for i in range(_diagonal + 1) if i < 8 and _diagonal - i < 8]
    ZIGZAG_CELLS += _cells if _diagonal % 2 else _cells[::-1]

# What the corpus README says of its files: jpeglib's libjpeg reads neither
# arithmetic coding (ours does; jpegtran's transcoding is the oracle there)
# nor 12-bit samples.
ARITHMETIC = {"arithmetic.jpg", "libjpeg-turbo-testimgari.jpg"} | {
    p.name for p in FIXTURE_FILES if p.name.startswith("arithmetic")
}
TWELVE_BIT = {"libjpeg-turbo-monkey12.jpg"}


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (../shared/corpus is not beside this clone)")
    return path


def needs_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package libjpeg-turbo-progs)")
    return path


def file_id(path: Path) -> str:
    return path.name


def lepton_cpp() -> str:
    """The reference C++ Lepton: $JPEGSURGEON_LEPTON_CPP, `lepton` on PATH, or
    where ../shared/tools/build-lepton-cpp.sh puts it (.ci/run builds it)."""
    import os

    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lepton-cpp"
    for candidate in (os.environ.get("JPEGSURGEON_LEPTON_CPP"), shutil.which("lepton"),
                      str(default / "lepton")):  # fmt: skip
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("the C++ Lepton is absent (build it with ../shared/tools/build-lepton-cpp.sh)")


def lepton_cpp_round_trip(data: bytes) -> tuple[bool, str]:
    """(whether the C++ Lepton gives the JPEG back bit for bit, its complaint)."""
    import subprocess

    binary = lepton_cpp()
    packed = subprocess.run([binary, "-", "-"], input=data, capture_output=True)
    if packed.returncode != 0:
        return False, packed.stderr.decode(errors="replace")[-300:]
    restored = subprocess.run([binary, "-", "-"], input=packed.stdout, capture_output=True)
    return restored.stdout == data, restored.stderr.decode(errors="replace")[-300:]
