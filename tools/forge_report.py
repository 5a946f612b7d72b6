"""Run the forge and the experiments behind it; print markdown for the README.

    python tools/forge_report.py [--seeds 1,2,3,4,5] [--budgets 12,48]
                                 [--skip-forge] [--skip-experiments] [--lepton-cpp PATH]

Every figure printed is measured by this run.  Forge runs: JPEG bytes,
lepton-rust bytes and ratio, C++ Lepton bytes and ratio, size, trials and
wall time, for each seed at the first budget and for the first seed at the
others.  Experiments: the designs tried on the way, dead ends included, each
built at 4096 x 4096 with the density (weight of blocks without edge
coefficients) fitted so the file lands just above 524,288 bytes, and measured
with both Leptons.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace

import jpegsurgeon
from jpegsurgeon.challenge import MAX_SIDE, MIN_BYTES
from jpegsurgeon.codecs import get_codec
from jpegsurgeon.forge import (
    DEFAULT_BUDGET,
    DEFAULT_DESIGN,
    Design,
    fit_factor,
    forge,
    lepton_cpp_binary,
)
from jpegsurgeon.model import blank_image
from jpegsurgeon.passes import PassCall, resolve, run_pipeline
from jpegsurgeon.passes.forge_edges import format_numbers

SEED = 1
PLACEHOLDER = blank_image(8, 8, ((1, 1),))
TARGET = (MIN_BYTES + 160, MIN_BYTES + 640)  # as the forge aims

# The design the first forge landed with (ratio about 2.32): one DC per component.
LANDED = Design(
    edges=(189, 234, 140, 228, 232, 158, 124, 247, 251, 171, 187, 109, 121, 220),
    counts=(0.49, 0.32, 0.36),
    positions=(1.24, 0, 0, 0, 0, 0, 0, 0.77, 0.09, 0, 0, 0, 0, 0),
    magnitudes=(0.33, 0.87, 1.06),
    run_length=0,
    choices=1,
).normalized()
LANDED_DCS = "479,17,72"
OLD_GUARD = 2800  # the landed guard, below the stale bound of 3073 it assumed


def _edges_255(design: Design, *slots: int) -> Design:
    edges = list(design.edges)
    for slot in slots:
        edges[slot] = 255
    return replace(design, edges=tuple(edges))


def _calls(design: Design, dc: str = "alternate", wavefront: bool = True,
           guard: int | None = None) -> Callable[[float], list[PassCall]]:  # fmt: skip
    """The pipeline of a design at a density factor, with the variations the
    experiments need: how DCs are drawn, whether the wavefront runs."""

    def make(factor: float) -> list[PassCall]:
        calls = design.with_density(factor).calls(
            resolve("forge-synthesize", {"width": MAX_SIDE, "height": MAX_SIDE})
        )
        if dc == "constant":
            calls[2] = resolve("constant-dc", {"values": LANDED_DCS})
        elif dc == "uniform":
            calls[2] = resolve("row-dc", {"mode": "uniform", "run_length": design.run_length})
        if not wavefront:
            del calls[4]
        if guard is not None:
            calls[-1] = resolve("dc-guard", {"limit": guard})
        return calls

    return make


# (what was tried, the pipeline at a density factor); ordered as the forge grew.
BASE = replace(LANDED, run_length=256, choices=16)  # the landed mixture, new mechanisms
CAT3 = replace(BASE, magnitudes=(0, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2))
SEARCHED = replace(DEFAULT_DESIGN, run_length=256)  # the mixture the search settled on
EXPERIMENTS: list[tuple[str, Callable[[float], list[PassCall]]]] = [
    ("landed forge: one DC per component, edge-scatter, dc-guard at 2800",
     _calls(LANDED, dc="constant", wavefront=False, guard=OLD_GUARD)),
    ("a random DC per block row (row-dc uniform), dc-guard at 4096",
     _calls(replace(LANDED, run_length=0), dc="uniform", wavefront=False)),
    ("row-dc alternate: every other row at an extreme",
     _calls(replace(LANDED, run_length=0), wavefront=False)),
    ("+ edge-wavefront, 4 choices", _calls(replace(BASE, run_length=0, choices=4))),
    ("+ 16 choices", _calls(replace(BASE, run_length=0))),
    ("+ DC runs of 256 blocks (two a row)", _calls(BASE)),
    ("dead end: DC runs of 64 blocks (JPEG pays a difference a run)",
     _calls(replace(BASE, run_length=64))),
    ("dead end: 24 choices", _calls(replace(BASE, choices=24))),
    ("dead end: wavefront without its per-row term (row_weight 0)",
     _calls(replace(BASE, row_weight=0.0))),
    ("dead end: uniform rows under the wavefront", _calls(BASE, dc="uniform")),
    ("magnitudes 4-7 (JPEG category 3) in 80% of coefficients", _calls(CAT3)),
    ("magnitudes 4-7 in all coefficients",
     _calls(replace(BASE, magnitudes=(0, 0, 0, 1, 1, 1, 1)))),
    ("dead end: magnitudes up to 15 (category 4 in half): errors past 4096, repaired",
     _calls(replace(BASE, magnitudes=(0, 0, 0) + (0.125,) * 4 + (0.0625,) * 8))),
    ("+ quantizer 255 on (0,1), (1,0), (2,0)", _calls(_edges_255(CAT3, 0, 7, 8))),
    ("dead end: one coefficient in (almost) every block, at (0,1) or (1,0)",
     _calls(replace(CAT3, counts=(0.05, 1), positions=(1,) + (0,) * 6 + (1,) + (0,) * 6))),
    ("searched mixture: blocks with none or two edge coefficients", _calls(SEARCHED)),
    ("forge default: + DC runs of 128 blocks", _calls(DEFAULT_DESIGN)),
    ("dead end: the default with DC runs of 64 blocks",
     _calls(replace(DEFAULT_DESIGN, run_length=64))),
    ("dead end: the default with (0,2) among the positions",
     _calls(replace(DEFAULT_DESIGN, positions=(0.55, 0.06) + (0,) * 5 + (0.34, 0.05) + (0,) * 5))),
]  # fmt: skip


def _cpp_bytes(binary: str | None, data: bytes) -> int | None:
    """The C++ Lepton's compressed size, None when absent or when it fails to round-trip."""
    if binary is None:
        return None
    packed = subprocess.run([binary, "-", "-"], input=data, capture_output=True)
    if packed.returncode != 0:
        return None
    restored = subprocess.run([binary, "-", "-"], input=packed.stdout, capture_output=True)
    return len(packed.stdout) if restored.stdout == data else None


def measure(make: Callable[[float], list[PassCall]], binary: str | None) -> str:
    """Fit the density, build, measure: the table cells after the design's name."""
    write = jpegsurgeon.write

    def size(factor: float) -> int:
        calls = [c for c in make(factor) if c.info.name not in ("edge-wavefront", "dc-guard")]
        image, _ = run_pipeline(PLACEHOLDER, calls, SEED)
        return len(write(image))

    factor, _ = fit_factor(size, *TARGET)
    image, _ = run_pipeline(PLACEHOLDER, make(factor), SEED)
    data = write(image)
    try:
        rust = len(get_codec("lepton").compress(data))
    except Exception as error:  # noqa: BLE001 - the row records the refusal
        return f"| {len(data)} | rejected: {str(error).splitlines()[0]} | - | - | - |"
    cpp = _cpp_bytes(binary, data)
    cpp_cells = f"{cpp} | {cpp / len(data):.4f}" if cpp else "- | -"
    return f"| {len(data)} | {rust} | {rust / len(data):.4f} | {cpp_cells} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3,4,5", help="seeds for the first budget")
    parser.add_argument("--budgets", default=f"{DEFAULT_BUDGET},48", help="budgets, in trials")
    parser.add_argument("--skip-forge", action="store_true", help="only the experiments")
    parser.add_argument("--skip-experiments", action="store_true", help="only the forge runs")
    parser.add_argument("--lepton-cpp", default=None, help="the reference C++ Lepton binary")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",") if b]
    seeds = [int(s) for s in args.seeds.split(",") if s]
    binary = lepton_cpp_binary(args.lepton_cpp)

    if not args.skip_forge:
        print("#### Forge runs\n")
        print("| budget | seed | JPEG bytes | lepton-rust bytes | ratio | C++ Lepton bytes | ratio "
              "| size | trials | time s |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
        runs = [(budgets[0], s) for s in seeds] + [(b, seeds[0]) for b in budgets[1:]]
        for budget, seed in runs:
            started = time.monotonic()
            result = forge(None, seed, budget=budget, lepton_cpp=binary)
            elapsed = time.monotonic() - started
            cpp = (f"{result.lepton_cpp_bytes} | {result.lepton_cpp_ratio:.4f}"
                   if result.lepton_cpp_bytes is not None else "- | -")  # fmt: skip
            print(f"| {budget} | {seed} | {result.jpeg_bytes} | {result.lepton_bytes} | "
                  f"{result.ratio:.4f} | {cpp} | {result.width}x{result.height} | "
                  f"{result.trials} | {elapsed:.1f} |", flush=True)  # fmt: skip

    if not args.skip_experiments:
        print(f"\n#### Experiments ({MAX_SIDE} x {MAX_SIDE}, 4:4:4, DC quantizer 1, seed {SEED}, "
              f"density fitted to {TARGET[0]}..{TARGET[1]} bytes)\n")  # fmt: skip
        print("| design | JPEG bytes | lepton-rust bytes | ratio | C++ Lepton bytes | ratio |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, make in EXPERIMENTS:
            print(f"| {name} " + measure(make, binary), flush=True)
        print(
            f"\nDefault design: {format_numbers(DEFAULT_DESIGN.edges)} edge quantizers; "
            f"counts {format_numbers(DEFAULT_DESIGN.counts)}; positions "
            f"{format_numbers(DEFAULT_DESIGN.positions)}; magnitudes "
            f"{format_numbers(DEFAULT_DESIGN.magnitudes)}; runs of "
            f"{DEFAULT_DESIGN.run_length} blocks; {DEFAULT_DESIGN.choices} choices."
        )


if __name__ == "__main__":
    main()
