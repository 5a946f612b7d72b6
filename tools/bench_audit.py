"""Audit throughput without Lepton, against libjpeg reading the same coefficients.

    python tools/bench_audit.py [--rounds N]

Measures, on the readable photos of ../shared/corpus:
- in-process MB/s of `audit_path(..., lepton=False)` on one core (target: at
  least 50 MB of JPEG per second), beside libjpeg's `jpeglib.read_dct` on the
  same files as the named reference;
- whole-command MB/s of `jpegsurgeon audit --no-lepton` over a directory of
  many copies with --jobs 1 and --jobs 2, and the speed-up between them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jpegsurgeon.compliance import audit_path  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
PHOTOS = ["iphone.jpg", "grayscale.jpg", "iphonecrop.jpg", "android.jpg",
          "androidprogressive.jpg", "iphoneprogressive.jpg"]  # fmt: skip
TARGET_MB_PER_S = 50.0


def throughput(function, files: list[Path], rounds: int) -> float:
    total = sum(p.stat().st_size for p in files) * rounds
    function(files[0])  # warm-up
    start = time.perf_counter()
    for _ in range(rounds):
        for path in files:
            function(path)
    return total / 1e6 / (time.perf_counter() - start)


def command_throughput(directory: Path, jobs: int) -> float:
    total = sum(p.stat().st_size for p in directory.iterdir())
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "jpegsurgeon", "audit", str(directory), "--no-lepton",
         "--jsonl", "--jobs", str(jobs)],
        stdout=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    return total / 1e6 / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--copies", type=int, default=120, help="files in the --jobs directory")
    args = parser.parse_args()
    files = [CORPUS / name for name in PHOTOS if (CORPUS / name).is_file()]
    if not files:
        sys.exit(f"no corpus photos under {CORPUS}")
    import jpeglib

    ours = throughput(lambda p: audit_path(str(p), "lepton-challenge", False, 1),
                      files, args.rounds)  # fmt: skip
    libjpeg = throughput(lambda p: jpeglib.read_dct(str(p)), files, args.rounds)
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        for n in range(args.copies):
            source = files[n % len(files)]
            os.symlink(source, directory / f"{n:04d}-{source.name}")
        one = command_throughput(directory, 1)
        two = command_throughput(directory, 2)
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    print(f"Command: `python tools/bench_audit.py --rounds {args.rounds} --copies {args.copies}`")
    print(
        f"Files: {', '.join(p.name for p in files)} ({megabytes:.1f} MB), {os.cpu_count()} cores\n"
    )
    print("| measurement | MB/s | reference | ratio | target | result |")
    print("|---|---:|---|---:|---|---|")
    verdict = "PASS" if ours >= TARGET_MB_PER_S else "FAIL"
    print(
        f"| audit --no-lepton, in-process, 1 core | {ours:.1f} | libjpeg read_dct "
        f"{libjpeg:.1f} MB/s | {ours / libjpeg:.2f} | >= {TARGET_MB_PER_S:.0f} MB/s | {verdict} |"
    )
    print(
        f"| `jpegsurgeon audit --no-lepton --jobs 1`, {args.copies} files | {one:.1f} | - | - "
        "| - | INFO |"
    )
    print(
        f"| `jpegsurgeon audit --no-lepton --jobs 2`, {args.copies} files | {two:.1f} | "
        f"--jobs 1: {one:.1f} MB/s | {two / one:.2f} | scales with cores | "
        f"{'PASS' if two / one > 1.3 else 'FAIL'} |"
    )


if __name__ == "__main__":
    main()
