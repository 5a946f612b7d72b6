"""jpegsurgeon's decoder against libjpeg on image-rs/jpeg-decoder's damaged files.

    python tools/conformance_report.py [--versions 6b,turbo210] [--list]

Reads every file of ../shared/corpus-external/jpeg-decoder (reference,
crash-test and fuzz files, most damaged on purpose) with jpegsurgeon and with
libjpeg through jpeglib, one build per version (6b: jpeglib's default IJG
libjpeg; turbo210: libjpeg-turbo 2.1, the build jpegtran and djpeg are
here), and prints per build how many files get the same verdict (the same
coefficients, or refused by both), how many decode differently, and the
files only one side reads (`--list` names them).  jpeglib's turbo build
crashes on one fuzz file: libjpeg runs in a child process, restarted after
a crash, and the file is counted apart.  tests/test_conformance.py runs the
same comparison and checks the files against its lists of known ones.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = ROOT.parent / "shared" / "corpus-external" / "jpeg-decoder"


def files() -> list[Path]:
    return sorted(EXTERNAL.glob("*.jpg")) if EXTERNAL.is_dir() else []


def digests(arrays: list[np.ndarray]) -> str:
    """Every component's shape and coefficients, as one comparable line."""
    return " ".join(
        f"{a.shape}:" + hashlib.sha256(np.ascontiguousarray(a, "<i2").tobytes()).hexdigest()
        for a in arrays
    )


def _read_with_libjpeg(version: str, paths: list[str]) -> None:
    """In the child: one line per file, REFUSED or its digests."""
    import jpeglib

    with jpeglib.version(version):
        for path in paths:
            try:
                dct = jpeglib.read_dct(path)
            except Exception:  # jpeglib raises its own types for libjpeg's errors
                print("REFUSED", flush=True)
                continue
            arrays = [dct.Y] + ([dct.Cb, dct.Cr] if dct.Cb is not None else [])
            arrays += [dct.K] if getattr(dct, "K", None) is not None else []
            print(digests(arrays), flush=True)


def libjpeg_verdicts(version: str, paths: list[Path]) -> dict[str, str | None]:
    """Per path: None (refused), "CRASH" (jpeglib died on it), or the digests."""
    verdicts: dict[str, str | None] = {}
    remaining = [str(p) for p in paths]
    while remaining:
        done = subprocess.run([sys.executable, __file__, "--read", version, *remaining],
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        lines = done.stdout.splitlines()
        for path, line in zip(remaining, lines):
            verdicts[path] = None if line == "REFUSED" else line
        if done.returncode == 0:
            break
        verdicts[remaining[len(lines)]] = "CRASH"  # the file the child died on
        remaining = remaining[len(lines) + 1 :]
    return verdicts


def our_verdict(path: Path) -> str | None:
    import jpegsurgeon
    from jpegsurgeon.errors import JpegError

    try:
        return digests([c.visible_coefficients for c in jpegsurgeon.read(path).components])
    except JpegError:
        return None


@dataclass
class Comparison:
    agree: int = 0
    differ: list[str] = field(default_factory=list)
    we_refuse: set[str] = field(default_factory=set)
    libjpeg_refuses: set[str] = field(default_factory=set)
    crashed: set[str] = field(default_factory=set)  # jpeglib's build, no verdict of libjpeg's


def compare(version: str, paths: list[Path]) -> Comparison:
    verdicts = libjpeg_verdicts(version, paths)
    result = Comparison()
    for path in paths:
        reference, ours = verdicts[str(path)], our_verdict(path)
        if reference == "CRASH":
            result.crashed.add(path.name)
        elif reference == ours:  # the same coefficients, or refused by both
            result.agree += 1
        elif reference is None:
            result.libjpeg_refuses.add(path.name)
        elif ours is None:
            result.we_refuse.add(path.name)
        else:
            result.differ.append(path.name)
    return result


def main() -> None:
    if sys.argv[1:2] == ["--read"]:
        _read_with_libjpeg(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", default="6b,turbo210", help="jpeglib's libjpeg builds")
    parser.add_argument("--list", action="store_true", help="name the files that differ")
    options = parser.parse_args()
    paths = files()
    if not paths:
        sys.exit(f"conformance_report: {EXTERNAL} is absent")
    print(f"{len(paths)} files in {EXTERNAL}\n")
    print("| libjpeg | same verdict | decode differently | we refuse, libjpeg reads "
          "| libjpeg refuses, we read | jpeglib crashed |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    results = {version: compare(version, paths) for version in options.versions.split(",")}
    for version, r in results.items():
        print(f"| {version} | {r.agree} | {len(r.differ)} | {len(r.we_refuse)} "
              f"| {len(r.libjpeg_refuses)} | {len(r.crashed)} |")  # fmt: skip
    if options.list:
        for version, r in results.items():
            for kind in ("differ", "we_refuse", "libjpeg_refuses", "crashed"):
                for name in sorted(getattr(r, kind)):
                    print(f"{version} {kind}: {name}")


if __name__ == "__main__":
    main()
