"""Run the fuzz targets one after another and keep what they found.

    python tools/fuzz/run.py [--seconds 1800] [--targets decode,roundtrip,audit,layouts,geometry]

Each target gets a working corpus under .fuzz/<target>/ (seeded from
fixtures/ and ../shared/corpus; the targets that take choices from the end
of the input, layouts and geometry, also get each seed with random choice
bytes after it), libFuzzer's limits of the robustness issue (-timeout=2 s
per input, -rss_limit_mb=512), and its crash, timeout and out-of-memory
inputs under .fuzz/<target>/artifacts/.  A summary line per target gives
executions and findings.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from harness import ROOT, prepare_corpus

HERE = Path(__file__).resolve().parent
TARGETS = ("decode", "roundtrip", "audit", "layouts", "geometry")
# Seeds with random choice bytes appended, per target that reads them.
CHOICE_VARIANTS = {"layouts": 4, "geometry": 4}


def run_target(name: str, seconds: int) -> dict:
    work = ROOT / ".fuzz" / name
    corpus = prepare_corpus(work / "corpus", CHOICE_VARIANTS.get(name, 0))
    artifacts = work / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    log = work / "log.txt"
    command = [
        sys.executable, str(HERE / f"fuzz_{name}.py"), str(corpus),
        f"-max_total_time={seconds}", "-timeout=2", "-rss_limit_mb=512",
        f"-artifact_prefix={artifacts}/", "-print_final_stats=1", "-max_len=1048576",
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=HERE)
    wall = time.monotonic() - started
    text = log.read_text(errors="replace")
    executions = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    return {
        "target": name,
        "exit": result.returncode,
        "executions": int(executions[-1]) if executions else None,
        "wall_seconds": round(wall),
        "findings": sorted(p.name for p in artifacts.iterdir()),
        "log": str(log),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=1800)
    parser.add_argument("--targets", default=",".join(TARGETS))
    args = parser.parse_args()
    names = args.targets.split(",")
    for name in names:
        if name not in TARGETS:
            parser.error(f"unknown target {name!r} (targets: {', '.join(TARGETS)})")
    for name in names:
        summary = run_target(name, args.seconds)
        print(f"{summary['target']}: {summary['executions']} executions in "
              f"{summary['wall_seconds']} s (limit {args.seconds} s), "
              f"exit {summary['exit']}, findings: {summary['findings'] or 'none'} "
              f"(log {summary['log']})", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
