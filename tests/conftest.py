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
