"""Fuzz target: parse + entropy-decode arbitrary bytes.

python tools/fuzz/fuzz_decode.py CORPUS_DIR -max_total_time=1800 -timeout=2 -rss_limit_mb=512
"""

from __future__ import annotations

import sys

import atheris
from harness import import_package, read_or_refuse

with atheris.instrument_imports(include=["jpegsurgeon"]):
    import_package()


def test_one_input(data: bytes) -> None:
    read_or_refuse(data)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
