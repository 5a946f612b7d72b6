"""Run the forge and the experiments behind it; print markdown for the README.

    python tools/forge_report.py [--budgets 60,180] [--seeds 1,2,3] [--skip-forge]

Every figure printed is measured by this run: forge results (JPEG bytes,
Lepton bytes, ratio, size, seed, wall time) and a table of the designs tried
on the way, dead ends included, each built at 1024 x 1024 through the same
passes and measured with the real Lepton.
"""

from __future__ import annotations

import argparse
import time

import jpegsurgeon
from jpegsurgeon.forge import DEFAULT_DESIGN, design_calls, forge
from jpegsurgeon.lepton import round_trip
from jpegsurgeon.model import blank_image
from jpegsurgeon.passes import registry, resolve, run_pipeline

ONLY = [0.0] * 14


def _positions(*indexes: int) -> list[float]:
    weights = list(ONLY)
    for index in indexes:
        weights[index] = 1.0
    return weights


def _design(**changes) -> dict:
    base = {"edges": [255] * 14, "positions": [1.0] * 14, "counts": [0, 1],
            "magnitudes": [1], "dcs": [0, 0, 0]}  # fmt: skip
    return {**base, **changes}


# (what was tried, design, dc-guard limit); a limit of 6146 is no guard in effect.
EXPERIMENTS = [
    ("DC only: every block empty (EOB after a constant DC)", _design(counts=[1]), 2800),
    ("one +-1 at (0,1) per block, edge q 255", _design(positions=_positions(0)), 2800),
    ("one +-1 at (0,1) or (1,0), edge q 255", _design(positions=_positions(0, 7)), 2800),
    ("one +-1 at any of the 14 edges, edge q 255", _design(), 2800),
    ("two +-1 at any edges, edge q 255", _design(counts=[0, 0, 1]), 2800),
    ("one edge coefficient, magnitudes 2..3", _design(magnitudes=[0, 1, 1]), 2800),
    (
        "one edge coefficient, magnitudes 1..8, no guard",
        _design(magnitudes=[1] * 8),
        6146,
    ),  # fmt: skip
    ("one edge coefficient, magnitudes 1..8, dc-guard 2800", _design(magnitudes=[1] * 8), 2800),
    (
        "(0,1)/(1,0), q and DC tuned (150 random trials, best)",
        _design(
            edges=[230] + [255] * 6 + [222] + [255] * 6, positions=_positions(0, 7), dcs=[-380] * 3
        ),
        2800,
    ),  # fmt: skip
    ("forge default design (evolved: 0-2 coefficients, magnitudes 1-3)", DEFAULT_DESIGN, 2800),
    ("forge default design, dc-guard limit 2000", DEFAULT_DESIGN, 2000),
]


def measure(design: dict, limit: int, side: int = 1024, seed: int = 1) -> str:
    registry()
    canvas = resolve("forge-synthesize", {"width": side, "height": side, "sampling": "444"})
    image, _ = run_pipeline(blank_image(8, 8, ((1, 1),)), [canvas, *design_calls(design, limit)],
                            seed)  # fmt: skip
    data = jpegsurgeon.write(image)
    result = round_trip(data, cycles=1)
    blocks = sum(c.coefficients.shape[0] * c.coefficients.shape[1] for c in image.components)
    bits = f"{len(data) * 8 / blocks:.2f}"
    if not result.verified:
        return f"| {len(data)} | {result.error} | - | {bits} |"
    return f"| {len(data)} | {result.lepton_bytes} | {result.ratio:.4f} | {bits} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", default="60,180", help="forge budgets in seconds")
    parser.add_argument("--seeds", default="1,2,3", help="seeds for the default budget")
    parser.add_argument("--skip-forge", action="store_true", help="only the experiments")
    args = parser.parse_args()
    budgets = [float(b) for b in args.budgets.split(",") if b]
    seeds = [int(s) for s in args.seeds.split(",") if s]

    if not args.skip_forge:
        print("## Forge runs\n")
        print("| budget s | seed | JPEG bytes | Lepton bytes | ratio | size | time s |")
        print("|---:|---:|---:|---:|---:|---|---:|")
        runs = [(budgets[0], s) for s in seeds] + [(b, seeds[0]) for b in budgets[1:]]
        for budget, seed in runs:
            started = time.monotonic()
            result = forge(None, seed, budget=budget)
            elapsed = time.monotonic() - started
            print(f"| {budget:g} | {seed} | {result.jpeg_bytes} | {result.lepton_bytes} | "
                  f"{result.ratio:.4f} | {result.width}x{result.height} | {elapsed:.1f} |",
                  flush=True)  # fmt: skip

    print("\n## Experiments (1024 x 1024, 4:4:4, DC quantizer 1, constant DC, seed 1)\n")
    print("| design | JPEG bytes | Lepton bytes | ratio | JPEG bits/block |")
    print("|---|---:|---:|---:|---:|")
    for name, design, limit in EXPERIMENTS:
        print(f"| {name} " + measure(design, limit), flush=True)


if __name__ == "__main__":
    main()
