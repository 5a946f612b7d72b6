"""The forge against every recompressor (`forge --target all`): runs and experiments, as markdown.

    python tools/forge_targets_report.py [--seeds 1,2,3] [--budget N] [--lepton-cpp PATH]
                                         [--skip-forge] [--skip-experiments]

Every figure is measured by this run.  Forge runs: for each seed,
`jpegsurgeon.forge(targets=["all"])` (every codec installed: lepton-rust,
the C++ Lepton when found, JPEG XL through imagecodecs), with its size, each
codec's ratio, the smallest, and the wall time.  Experiments: symbol-chain
designs tried on the way, dead ends included, each built 1560 pixels wide
and just tall enough to clear 524,288 + 600 bytes (as the forge builds),
seed 1, and measured with every codec (the mixture's variants before
jxl-steer, then with it); and, for comparison, the Lepton-DC
forge (`forge` with its default target, 1 trial, seed 1) measured the same way.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from jpegsurgeon.challenge import MIN_BYTES
from jpegsurgeon.codecs import resolve_codecs
from jpegsurgeon.forge import forge, lepton_cpp_binary
from jpegsurgeon.forge.chains import DEFAULT_CHAINS, FLOOR_MARGIN, ChainDesign, measure

# The chains alone, before jxl-steer reorders each block's pairs.
CHAINS = replace(DEFAULT_CHAINS, steer=0)
# name: the design (symbols as run, size, weight)
EXPERIMENTS: dict[str, ChainDesign] = {
    "issue's recipe: 0/1 60%, 11/2 30%, 6/3 10%, no stop": ChainDesign(
        ((0, 1, 0.6), (11, 2, 0.3), (6, 3, 0.1))
    ),
    "weights 65/25/10, no stop": ChainDesign(((0, 1, 0.65), (11, 2, 0.25), (6, 3, 0.1))),
    "65/25/10, stop 3%": CHAINS,
    "stop 1%": replace(CHAINS, stop=0.01),
    "stop 6%": replace(CHAINS, stop=0.06),
    "stop 10%": replace(CHAINS, stop=0.10),
    "dyadic weights 50/25/25": replace(CHAINS, symbols=((0, 1, 0.5), (11, 2, 0.25), (6, 3, 0.25))),
    "two symbols: 0/1 and 11/2": replace(CHAINS, symbols=((0, 1, 0.7), (11, 2, 0.3))),
    "a rare fourth symbol, 1/1 at 5%": replace(
        CHAINS, symbols=((0, 1, 0.6), (1, 1, 0.05), (11, 2, 0.25), (6, 3, 0.1))
    ),
    "all size 1: 0/1, 11/1, 6/1": replace(
        CHAINS, symbols=((0, 1, 0.65), (11, 1, 0.25), (6, 1, 0.1))
    ),
    "width 4096 (576 rows)": replace(CHAINS, width=4096),
    "+ jxl-steer, 8 candidates a block": replace(CHAINS, steer=8),
    "+ jxl-steer, 32 candidates a block (the default)": DEFAULT_CHAINS,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3", help="seeds of the forge runs")
    parser.add_argument("--budget", type=int, default=None,
                        help="trials per forge run (default: the forge's)")  # fmt: skip
    parser.add_argument("--lepton-cpp", default=None, help="the reference C++ Lepton binary")
    parser.add_argument("--skip-forge", action="store_true", help="only the experiments")
    parser.add_argument("--skip-experiments", action="store_true", help="only the forge runs")
    options = parser.parse_args()
    binary = lepton_cpp_binary(options.lepton_cpp)
    codecs = resolve_codecs(["all"], lepton_cpp=binary)
    names = [c.name for c in codecs]
    print(f"Codecs: {', '.join(c.description for c in codecs)}\n")
    if not options.skip_forge:
        print(f"| seed | size | bytes | {' | '.join(names)} | smallest | trials | seconds |")
        print("|---:|---|---:|" + "---:|" * len(names) + "---:|---:|---:|")
        for seed in (int(s) for s in options.seeds.split(",")):
            result = forge(None, seed, budget=options.budget, targets=["all"], lepton_cpp=binary)
            ratios = " | ".join(f"{result.ratios[n]:.4f}" for n in names)
            print(f"| {seed} | {result.width}x{result.height} | {result.jpeg_bytes:,} | {ratios} "
                  f"| **{result.smallest_ratio:.4f}** | {result.trials} | "
                  f"{result.seconds:.1f} |", flush=True)  # fmt: skip
        print()
    if not options.skip_experiments:
        print(f"| design (seed 1) | size | bytes | {' | '.join(names)} | smallest | seconds |")
        print("|---|---|---:|" + "---:|" * len(names) + "---:|---:|")
        for name, design in EXPERIMENTS.items():
            started = time.perf_counter()
            trial = measure(design.normalized(), 1, MIN_BYTES + FLOOR_MARGIN, codecs)
            ratios = " | ".join(f"{trial.ratios[n]:.4f}" for n in names)
            print(f"| {name} | {trial.image.width}x{trial.image.height} | {len(trial.data):,} | "
                  f"{ratios} | {trial.score:.4f} | {time.perf_counter() - started:.1f} |",
                  flush=True)  # fmt: skip
        started = time.perf_counter()
        lepton_dc = forge(None, 1, budget=1, lepton_cpp=binary).data
        ratios = []
        for codec in codecs:
            try:
                ratios.append(len(codec.compress(lepton_dc)) / len(lepton_dc))
            except Exception:  # a codec that refuses the file scores 0
                ratios.append(0.0)
        print(f"| the Lepton-DC forge (default target) | 4096x4096 | {len(lepton_dc):,} | "
              f"{' | '.join(f'{r:.4f}' for r in ratios)} | {min(ratios):.4f} | "
              f"{time.perf_counter() - started:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
