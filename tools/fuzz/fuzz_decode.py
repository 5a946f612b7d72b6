"""Fuzz target: parse + entropy-decode arbitrary bytes.

python tools/fuzz/fuzz_decode.py CORPUS_DIR -max_total_time=1800 -timeout=2 -rss_limit_mb=512
"""

from __future__ import annotations

import sys

import atheris
from harness import check_message, import_package

with atheris.instrument_imports(include=["jpegsurgeon"]):
    import_package()
    import jpegsurgeon
    from jpegsurgeon.errors import JpegError


def test_one_input(data: bytes) -> None:
    try:
        jpegsurgeon.read(data)
    except JpegError as error:
        check_message(error)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
