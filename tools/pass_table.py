"""Lepton ratios of corpus photos before and after each pass: the README's pass table.

For each photo: JPEG bytes, Lepton bytes and the ratio Lepton / JPEG (the
challenge's score; higher means Lepton compresses worse) for the original
file, its strict re-emission, each pass alone and the passes chained.
Every output is verified by a Lepton round trip.

    python tools/pass_table.py [--seed N] [FILE...]

Prints a markdown table.  Default files: the baseline phone photos of
../shared/corpus.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jpegsurgeon  # noqa: E402
from jpegsurgeon.lepton import round_trip  # noqa: E402
from jpegsurgeon.passes import parse_spec, run_pipeline  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_FILES = ["android.jpg", "iphonecrop.jpg", "iphone.jpg"]

PIPELINES = [
    ("strict re-emission (optimal tables)", []),
    ("randomize-signs", ["randomize-signs"]),
    ("scramble-ac", ["scramble-ac"]),
    ("randomize-signs + scramble-ac", ["randomize-signs", "scramble-ac"]),
    ("requantize quality=50", ["requantize:quality=50"]),
    ("requantize table=ones", ["requantize:table=ones"]),
    ("rebuild-huffman tables=shared", ["rebuild-huffman:tables=shared"]),
]


def measure(data: bytes) -> tuple[int, int | None, str]:
    result = round_trip(data, cycles=1)
    if not result.verified:
        return len(data), None, result.error or "rejected"
    return len(data), result.lepton_bytes, f"{result.ratio:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    files = args.files or [CORPUS / name for name in DEFAULT_FILES]
    print(f"Command: `python tools/pass_table.py --seed {args.seed}`\n")
    print("| file | pipeline | JPEG bytes | Lepton bytes | ratio |")
    print("|---|---|---:|---:|---:|")
    for path in files:
        original = path.read_bytes()
        jpeg, lepton, ratio = measure(original)
        print(f"| {path.name} | original file | {jpeg} | {lepton} | {ratio} |")
        image = jpegsurgeon.read(original)
        for label, specs in PIPELINES:
            try:
                result, _ = run_pipeline(image, [parse_spec(s) for s in specs], args.seed)
                jpeg, lepton, ratio = measure(jpegsurgeon.write(result))
            except jpegsurgeon.JpegError as error:
                jpeg, lepton, ratio = "-", "-", f"refused: {error.message}"
            print(f"| {path.name} | {label} | {jpeg} | {lepton} | {ratio} |")


if __name__ == "__main__":
    main()
