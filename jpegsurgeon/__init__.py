"""jpegsurgeon: rewrite JPEG files at the bitstream level.

    image = jpegsurgeon.read("in.jpg")          # markers, tables, coefficients
    data = jpegsurgeon.write(image)             # strict baseline JFIF bytes

Submodules are imported on first use so that the command line starts fast.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

    from .compliance import FileReport
    from .limits import Limits
    from .model import JpegImage
    from .pipeline import TransformResult
    from .scan_script import ScanSpec


def read(source: str | os.PathLike | bytes, limits: Limits | None = None) -> JpegImage:
    """Parse and entropy-decode a JPEG given as a path or as bytes.

    Raises JpegError (with the file name and byte offset) for input that
    cannot be read, or that asks for more than `limits` allow.
    """
    from .limits import DEFAULT_LIMITS
    from .reader import read_source

    return read_source(source, limits or DEFAULT_LIMITS)[0]


def write(
    image: JpegImage,
    preserve: bool = False,
    *,
    progressive: bool = False,
    scans: str | Sequence[ScanSpec] | None = None,
    restart: str | int | None = None,
    arithmetic: bool = False,
    eob_runs: str = "libjpeg",
    copy: str = "none",
) -> bytes:
    """Encode the image model as strict JFIF with optimal Huffman tables, or
    with `preserve` as the original segments, tables and restart layout.

    The strict layout takes jpegtran's options as keywords: `progressive`
    (libjpeg's default progression), `scans` (a scan script's text in
    jpegtran's syntax, or ScanSpec objects), `restart` (N MCU rows, or "NB"
    for N MCUs), `arithmetic` coding, and `eob_runs="maximal"` for
    progressive files Lepton can store.  `copy` keeps metadata as jpegtran's
    -copy does: "none" (strict JFIF), "comments", "icc" or "all".  Raises
    ValueError for bad options and JpegError for what the layout cannot hold.
    """
    from .writer import Layout, write_preserved, write_strict

    layout = Layout.from_options(
        progressive=progressive, scans=scans, restart=restart, arithmetic=arithmetic,
        eob_runs=eob_runs,
    )  # fmt: skip
    if preserve:
        if layout != Layout() or copy != "none":
            raise ValueError("preserve mode keeps the file's own layout and segments")
        return write_preserved(image)
    return write_strict(image, layout, copy)


def transform(source: str | os.PathLike | bytes | JpegImage, **options: Any) -> TransformResult:
    """Read, apply passes, write and verify: `jpegsurgeon transform` as a call.

    `source` is a path ("-" for stdin), bytes or an image; `options` are
    passes=(specs "name:k=v", (name, params) pairs or functions), seed,
    verify, codecs, cycles, lepton_cpp, preserve, copy, strict, limits and the
    layout keywords of `write`.  Returns a result with `.data` (the output
    bytes), `.report` (the dict `--json` prints) and `.verified`.
    """
    from .pipeline import transform as run

    return run(source, **options)


def load_pipeline(path: str | os.PathLike) -> list:
    """The passes of a TOML pipeline file, resolved, for `transform(passes=...)`."""
    from .pipeline import load_pipeline as load

    return load(path)


def audit(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    profile: str = "lepton-challenge",
    recursive: bool = False,
    codecs: Sequence[str] = ("lepton",),
    lepton: bool = True,
    cycles: int = 3,
    lepton_cpp: str | None = None,
    limits: Limits | None = None,
) -> Iterator[FileReport]:
    """One audit report per file under `paths`, in path order; a malformed
    file is a finding in its report, never an exception."""
    from .compliance import audit_path
    from .compliance.runner import walk
    from .errors import JpegError
    from .limits import DEFAULT_LIMITS

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    missing: list[str] = []
    for path in sorted(walk([os.fspath(p) for p in paths], recursive, missing)):
        yield audit_path(path, profile, lepton, cycles, limits or DEFAULT_LIMITS, tuple(codecs),
                         lepton_cpp)  # fmt: skip
    for problem in missing:
        raise JpegError(problem)


def __getattr__(name: str):
    if name in ("JpegError", "UnsupportedJpeg"):
        from . import errors

        return getattr(errors, name)
    if name in ("passes", "batch", "codecs"):  # submodules, imported on first use
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'jpegsurgeon' has no attribute {name!r}")
