"""What the fuzz targets share: the allowed outcomes and the seed corpus.

Allowed: a parsed image, or the package's own JpegError with a one-line
message.  Anything else is a bug, and so is a hang (libFuzzer's -timeout)
or memory past -rss_limit_mb.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_SOURCES = [ROOT / "fixtures", ROOT.parent / "shared" / "corpus"]
# Files up to this size seed the corpus; the rules say inputs under 1 MB must not hang.
SEED_LIMIT = 1 << 20


def prepare_corpus(directory: Path) -> Path:
    """Copy the seed JPEGs into a working corpus directory the fuzzer may grow."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in SEED_SOURCES:
        for path in sorted(source.glob("*.jpg")) if source.is_dir() else []:
            if path.stat().st_size <= SEED_LIMIT and not (directory / path.name).exists():
                shutil.copy(path, directory / path.name)
    return directory


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
