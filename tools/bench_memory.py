"""Peak memory of a 4096x4096 4:4:4 rewrite, against jpegtran on the same file.

    python tools/bench_memory.py

Synthesizes a 4096x4096 4:4:4 baseline JPEG (the challenge's largest frame,
three full-resolution components: 786,432 blocks) into a temporary file,
then measures the maximum resident set size, as `/usr/bin/time -v` reports
it, of `jpegsurgeon transform --no-verify` and of `jpegtran -optimize` on
it.  Target: under 400 MB for jpegsurgeon.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jpegsurgeon  # noqa: E402
from jpegsurgeon.model import blank_image  # noqa: E402

TARGET_MB = 400.0


def synthesize(path: Path) -> None:
    image = blank_image(4096, 4096, ((1, 1), (1, 1), (1, 1)))
    rng = np.random.default_rng(7)
    for component in image.components:
        shape = component.coefficients.shape
        values = np.rint(rng.laplace(0, 2.0, size=shape)).astype(np.int16)
        values[rng.random(shape) < 0.6] = 0
        values[..., 0, 0] = rng.integers(-200, 200, size=shape[:2])
        component.coefficients[...] = values
    path.write_bytes(jpegsurgeon.write(image))


def peak_rss_mb(command: list[str]) -> float:
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {result.stderr.strip()[-500:]}")
    kilobytes = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return int(kilobytes.group(1)) / 1024


def main() -> None:
    if not Path("/usr/bin/time").exists():
        sys.exit("/usr/bin/time is missing: apt-get install time")
    jpegtran = shutil.which("jpegtran")
    with tempfile.TemporaryDirectory() as temporary:
        source = Path(temporary) / "4096x4096-444.jpg"
        synthesize(source)
        ours = peak_rss_mb([sys.executable, "-m", "jpegsurgeon", "transform", str(source),
                            str(Path(temporary) / "out.jpg"), "--no-verify"])  # fmt: skip
        reference = peak_rss_mb([jpegtran, "-optimize", "-outfile", str(Path(temporary) / "t.jpg"),
                                 str(source)]) if jpegtran else None  # fmt: skip
        size = source.stat().st_size
    coefficients = 3 * 512 * 512 * 64 * 2 / 2**20
    print("Command: `python tools/bench_memory.py`\n")
    print(f"Input: synthesized 4096x4096 4:4:4 baseline, {size:,} bytes, "
          f"coefficient arrays {coefficients:.0f} MiB\n")  # fmt: skip
    print("| measurement | peak RSS | reference | ratio | target | result |")
    print("|---|---:|---|---:|---|---|")
    ref = f"jpegtran -optimize {reference:.1f} MB" if reference else "jpegtran missing"
    ratio = f"{ours / reference:.2f}" if reference else "-"
    verdict = "PASS" if ours < TARGET_MB else "FAIL"
    print(f"| transform --no-verify | {ours:.1f} MB | {ref} | {ratio} | < {TARGET_MB:.0f} MB | "
          f"{verdict} |")  # fmt: skip


if __name__ == "__main__":
    main()
