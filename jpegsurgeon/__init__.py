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
    from collections.abc import Sequence

    from .limits import Limits
    from .model import JpegImage
    from .scan_script import ScanSpec


def read(source: str | os.PathLike | bytes, limits: Limits | None = None) -> JpegImage:
    """Parse and entropy-decode a JPEG given as a path or as bytes.

    Raises JpegError (with the file name and byte offset) for input that
    cannot be read, or that asks for more than `limits` allow.
    """
    from .errors import JpegError
    from .limits import DEFAULT_LIMITS
    from .reader import read_image

    limits = limits or DEFAULT_LIMITS
    if isinstance(source, (bytes, bytearray, memoryview)):
        return read_image(bytes(source), limits)
    name = os.fspath(source)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise JpegError(f"cannot read: {error.strerror or error}", source=name) from None
    try:
        return read_image(data, limits)
    except JpegError as error:
        raise error.located(name) from None


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


def __getattr__(name: str):
    if name in ("JpegError", "UnsupportedJpeg"):
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'jpegsurgeon' has no attribute {name!r}")
