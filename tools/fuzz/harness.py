"""What the fuzz targets share: the allowed outcomes and the seed corpus.

Allowed: a parsed image, or the package's own JpegError with a one-line
message.  Anything else is a bug, and so is a hang (libFuzzer's -timeout)
or memory past -rss_limit_mb.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_SOURCES = [ROOT / "fixtures", ROOT.parent / "shared" / "corpus"]
# Files up to this size seed the corpus; the rules say inputs under 1 MB must not hang.
SEED_LIMIT = 1 << 20
# Targets that do more than read (a layout, a pass) take their choices from
# the input's last CHOICE_BYTES bytes; the whole input is still the JPEG (bytes
# after EOI are kept apart by the reader and never written in strict output).
CHOICE_BYTES = 64


def prepare_corpus(directory: Path, variants: int = 0) -> Path:
    """Copy the seed JPEGs into a working corpus directory the fuzzer may grow.

    With `variants`, each seed also comes that many times with CHOICE_BYTES
    random bytes (a fixed stream per seed) after it, so that the targets that
    read choices from the end start from many choices, not only the bytes
    around EOI."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in SEED_SOURCES:
        for path in sorted(source.glob("*.jpg")) if source.is_dir() else []:
            if path.stat().st_size <= SEED_LIMIT and not (directory / path.name).exists():
                shutil.copy(path, directory / path.name)
            draw = random.Random(path.name)
            for number in range(variants):
                target = directory / f"{path.stem}.choices{number}.jpg"
                if path.stat().st_size + CHOICE_BYTES <= SEED_LIMIT and not target.exists():
                    target.write_bytes(path.read_bytes() + draw.randbytes(CHOICE_BYTES))
    return directory


def choices(data: bytes) -> bytes:
    """The bytes a target draws its choices from: the end of the input."""
    return data[-CHOICE_BYTES:]


def import_package() -> None:
    """Import every module of the package, so that atheris instruments them all
    (the package itself imports most of them lazily, on first use)."""
    import importlib
    import pkgutil

    import jpegsurgeon

    for module in pkgutil.walk_packages(jpegsurgeon.__path__, "jpegsurgeon."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)


def check_message(error: Exception) -> None:
    text = str(error)
    if not text or "\n" in text:
        raise AssertionError(f"error message is not one line: {text!r}")


def read_or_refuse(data: bytes):
    """The image the input holds, or None when the package refuses it with
    its own error, which must be one line."""
    import jpegsurgeon
    from jpegsurgeon.errors import JpegError

    try:
        return jpegsurgeon.read(data)
    except JpegError as error:
        check_message(error)
        return None


def check_same_image(expected, written: bytes) -> None:
    """`written` must read back, intact, as `expected`'s frame and visible coefficients."""
    import numpy as np

    import jpegsurgeon

    again = jpegsurgeon.read(written)
    if again.warnings or again.truncated:
        problems = [str(w) for w in again.warnings] or ["truncated"]
        raise AssertionError(f"written file reads back damaged: {problems}")
    if (again.width, again.height) != (expected.width, expected.height):
        raise AssertionError(
            f"size changed through write and read: {expected.width}x{expected.height} "
            f"became {again.width}x{again.height}"
        )
    # a lone component's sampling factors mean nothing: the writer makes them 1x1
    single = len(expected.components) == 1
    before_ids = [(c.component_id, single or (c.h, c.v)) for c in expected.components]
    after_ids = [(c.component_id, single or (c.h, c.v)) for c in again.components]
    if before_ids != after_ids:
        raise AssertionError(f"components changed through write and read: {before_ids} {after_ids}")
    for index, (before, after) in enumerate(zip(expected.components, again.components)):
        a, b = before.visible_coefficients, after.visible_coefficients
        if a.shape != b.shape or not np.array_equal(a, b):
            raise AssertionError(f"coefficients of component {index} changed through write, read")
        if before.quant_values is not None and not np.array_equal(
            before.quant_values, after.quant_values
        ):
            raise AssertionError(f"quantization table of component {index} changed")
