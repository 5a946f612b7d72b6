"""Bytes to a fully decoded image model: parse, then entropy-decode."""

from __future__ import annotations

import os

from .decoder import BaselineCounts, decode
from .errors import JpegError
from .fileio import read_input
from .limits import DEFAULT_LIMITS, Limits
from .model import JpegImage
from .parser import parse


def read_image(data: bytes, limits: Limits = DEFAULT_LIMITS) -> JpegImage:
    return _decoded(data, limits, with_counts=False)[0]


def read_image_and_counts(
    data: bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[JpegImage, BaselineCounts | None]:
    """The image, and the symbol counts of its baseline re-encoding when the
    decoder could take them (a writer of the unchanged image skips counting)."""
    return _decoded(data, limits, with_counts=True)


def read_source(
    source: str | os.PathLike | bytes, limits: Limits, *, with_counts: bool = False
) -> tuple[JpegImage, BaselineCounts | None]:
    """A JPEG given as bytes or as a path ("-": stdin), read within `limits`;
    the errors of a file name it.  With `with_counts`, also the decoder's
    symbol counts (see read_image_and_counts)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decoded(bytes(source), limits, with_counts)
    name = os.fspath(source)
    data = read_input(name, limits)
    try:
        return _decoded(data, limits, with_counts)
    except JpegError as error:
        raise error.located("<stdin>" if name == "-" else name) from None


def _decoded(
    data: bytes, limits: Limits, with_counts: bool
) -> tuple[JpegImage, BaselineCounts | None]:
    image = parse(data, limits)
    return image, decode(image, data, with_counts=with_counts)
