"""Run `jpegsurgeon ratios` on ../shared/corpus; print markdown for the README.

    python tools/ratios_report.py [--corpus ../shared/corpus] [--codec NAME]...
                                  [--lepton-cpp PATH] [--cycles N] [--jobs N]

Runs the command itself (`--json --plot docs/ratios-corpus.png`), so every
figure printed and the picture written come from that one run: the summary
per codec, the picture's path, a table of ratios per file and the failures
with each codec's reason.  Needs matplotlib (pip install 'jpegsurgeon[plot]')
and, for lepton-cpp, the C++ Lepton (../shared/tools/build-lepton-cpp.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PICTURE = "docs/ratios-corpus.png"
CODECS = ("lepton", "lepton-cpp", "jxl")
# a hint codecs.py appends for transform (an option to change the layout), not a reason
HINT = re.compile(r" \([^()]*--[^()]*\)$")


def _default_lepton_cpp() -> str | None:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    built = cache / "lepton-cpp" / "lepton"
    return os.environ.get("JPEGSURGEON_LEPTON_CPP") or (str(built) if built.is_file() else None)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="../shared/corpus", help="relative to the repository")
    parser.add_argument("--codec", action="append", dest="codecs", choices=[*CODECS, "all"])
    parser.add_argument("--lepton-cpp", default=_default_lepton_cpp())
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    codecs = args.codecs or list(CODECS)
    shown = ["jpegsurgeon", "ratios", args.corpus]
    for name in codecs:
        shown += ["--codec", name]
    shown += ["--cycles", str(args.cycles), "--plot", PICTURE]
    command = [sys.executable, "-m", "jpegsurgeon", *shown[1:], "--json"]
    if args.lepton_cpp and ("lepton-cpp" in codecs or "all" in codecs):
        command += ["--lepton-cpp", args.lepton_cpp]
    if args.jobs:
        command += ["--jobs", str(args.jobs)]
    (ROOT / "docs").mkdir(exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: some codec failed some file, which is reported
        sys.stderr.write(done.stderr)
        return done.returncode
    document = json.loads(done.stdout)
    files, summary = document["files"], document["summary"]
    names = list(summary)

    print("### Ratios on the corpus (`tools/ratios_report.py`)\n")
    print(f"Made by `{' '.join(shown)}` ({len(files)} files, {elapsed:.1f} s with "
          f"{args.jobs or os.cpu_count()} jobs). A ratio is compressed bytes / JPEG bytes, and "
          "counts only when the codec gave the JPEG back bit for bit; bytes are those of the "
          "files each codec verified.\n")  # fmt: skip
    print("| codec | files | failures | JPEG bytes | compressed bytes | total ratio "
          "| mean ratio | median ratio |")  # fmt: skip
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for name, s in summary.items():
        print(f"| {name} | {s['files']} | {s['failures']} | {s['jpeg_bytes']:,} | "
              f"{s['compressed_bytes']:,} | {_ratio(s['total_ratio'])} | "
              f"{_ratio(s['mean_ratio'])} | {_ratio(s['median_ratio'])} |")  # fmt: skip
    print(f"\n![Ratio per codec on ../shared/corpus]({PICTURE})\n")
    print("| file | JPEG bytes | " + " | ".join(names) + " |")
    print("|---|--:|" + "--:|" * len(names))
    for f in files:
        cells = [_ratio(c["ratio"]) if c["verified"] else "fails" for c in f["codecs"].values()]
        print(f"| {Path(f['path']).name} | {f['jpeg_bytes']:,} | " + " | ".join(cells) + " |")
    failed = [(Path(f["path"]).name, name, HINT.sub("", c["error"]))
              for f in files for name, c in f["codecs"].items() if not c["verified"]]  # fmt: skip
    if failed:
        print("\nFailures, with each codec's reason:\n")
        for file, name, reason in failed:
            print(f"- {file}, {name}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
