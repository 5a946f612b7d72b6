"""Fuzz target: decode, write strict JFIF, decode again; coefficients must survive.

The decoder's symbol counts, when it gives them, must make the same file as
the writer's own counting pass.

python tools/fuzz/fuzz_roundtrip.py CORPUS_DIR -max_total_time=1800 -timeout=2 -rss_limit_mb=512
"""

from __future__ import annotations

import sys

import atheris
import numpy as np
from harness import check_message, import_package

with atheris.instrument_imports(include=["jpegsurgeon"]):
    import_package()
    import jpegsurgeon
    from jpegsurgeon.errors import JpegError
    from jpegsurgeon.reader import read_source
    from jpegsurgeon.writer import write_strict


def test_one_input(data: bytes) -> None:
    try:
        image, counts = read_source(data, with_counts=True)
        written = jpegsurgeon.write(image)
    except JpegError as error:
        check_message(error)
        return
    if counts is not None and write_strict(image, counts=counts) != written:
        raise AssertionError("the decoder's symbol counts make another file")
    again = jpegsurgeon.read(written)
    for before, after in zip(image.components, again.components, strict=True):
        if not np.array_equal(before.visible_coefficients, after.visible_coefficients):
            raise AssertionError("coefficients changed through write and read")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
