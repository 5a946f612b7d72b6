"""A JPEG file or its bytes to a fully decoded image model: parse, then entropy-decode."""

from __future__ import annotations

import os

from .decoder import BaselineCounts, decode
from .errors import JpegError
from .fileio import read_input
from .limits import DEFAULT_LIMITS, Limits
from .model import JpegImage
from .parser import parse


def read_source(
    source: str | os.PathLike | bytes,
    limits: Limits = DEFAULT_LIMITS,
    *,
    with_counts: bool = False,
) -> tuple[JpegImage, BaselineCounts | None]:
    """A JPEG given as bytes or as a path ("-": stdin), read within `limits`;
    the errors of a file name it.  With `with_counts`, also the symbol counts
    of its baseline re-encoding when the decoder could take them (a writer of
    the unchanged image then skips counting; see BaselineCounts), else None."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = None
    else:
        name = os.fspath(source)
        data = read_input(name, limits)
    try:
        image = parse(data, limits)
        return image, decode(image, data, with_counts=with_counts)
    except JpegError as error:
        if name is None:
            raise
        raise error.located("<stdin>" if name == "-" else name) from None
