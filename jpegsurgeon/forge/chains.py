"""The forge against every recompressor: symbol chains, searched on the codecs' smallest ratio.

The Lepton-DC design (search.py) makes both Leptons pay for DC predictions
that miss, but JPEG XL predicts DC its own way and stores that design for
about 0.8 of its size.  What costs all three is the AC coding itself: JPEG's
Huffman symbols code each zero run with the size of the coefficient after
it, while Lepton and JPEG XL code position by position (forge-chains).

A chain design is a mixture of (run, size) symbols.  Every block's cost is
the same in expectation, so the file's size follows its block count: the
image is made just tall enough to clear the window's floor (a small image
leaves the codecs least to learn from).  Each trial is measured at that
full size with every target codec, and scored by the smallest ratio.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..challenge import MAX_SIDE, MIN_SIDE
from ..codecs import Codec
from ..errors import CheckFailed
from ..model import JpegImage, blank_image
from ..passes import PassCall, resolve, run_pipeline
from ..passes.forge_chains import format_symbols

Progress = Callable[[str], None]
Symbols = tuple[tuple[int, int, float], ...]

# Bytes above the window's floor the file aims for: the height moves in steps
# of one block row (a few kilobytes at 1500 pixels wide), so less would miss.
FLOOR_MARGIN = 600
_MARGIN = 0.002  # a mutation must win by this much (trials differ by noise too)
# Trials a run makes by default: each builds and steers a full-size file
# (about 15 s), and the default design rarely loses to a mutation.
DEFAULT_BUDGET = 2


@dataclass(frozen=True)
class ChainDesign:
    """The forge-chains mixture, and the canvas width (the height is fitted)."""

    symbols: Symbols
    stop: float = 0.0
    width: int = 1560
    draw: int = 0  # which random draw of the mixture (the pass's `draw`)
    steer: int = 0  # jxl-steer's candidates per block (0: no steering)

    def calls(self, height: int, steered: bool = True) -> list[PassCall]:
        """The pipeline; without `steered`, the blocks before jxl-steer
        reorders them (the same JPEG size: it keeps every symbol)."""
        canvas = {"width": self.width, "height": height, "sampling": "444"}
        calls = [
            resolve("forge-synthesize", canvas),
            resolve(
                "forge-chains",
                {"symbols": format_symbols(self.symbols), "stop": self.stop, "draw": self.draw},
            ),
        ]
        if steered and self.steer:
            calls.append(resolve("jxl-steer", {"candidates": self.steer}))
        return calls

    def normalized(self) -> ChainDesign:
        """Weights summing to 1 and rounded as the recipe carries them, one
        entry per (run, size), so a trial replays exactly."""
        merged: dict[tuple[int, int], float] = {}
        for run, size, weight in self.symbols:
            key = (int(np.clip(run, 0, 15)), int(np.clip(size, 1, 10)))
            merged[key] = merged.get(key, 0.0) + abs(float(weight))
        total = sum(merged.values()) or 1.0
        symbols = tuple(
            (run, size, round(weight / total, 4))
            for (run, size), weight in sorted(merged.items())
            if round(weight / total, 4) > 0
        )
        stop = round(float(np.clip(self.stop, 0.0, 0.5)), 4)
        return replace(self, symbols=symbols or ((0, 1, 1.0),), stop=stop)

    def mutate(self, rng: np.random.Generator) -> ChainDesign:
        """Reweight the symbols or move the stop; sometimes move a symbol's run
        or size, add or drop one."""
        symbols = [list(s) for s in self.symbols]
        stop = self.stop
        roll = rng.random()
        if roll < 0.15:
            stop = max(0.0, stop + rng.normal(0, 0.01))
        elif roll < 0.5 or len(symbols) == 1 and roll < 0.8:
            for symbol in symbols:
                symbol[2] *= math.exp(rng.normal(0, 0.25))
        elif roll < 0.8:
            symbol = symbols[rng.integers(len(symbols))]
            if rng.random() < 0.7:
                symbol[0] += int(rng.choice([-2, -1, 1, 2]))
            else:
                symbol[1] += int(rng.choice([-1, 1]))
        elif roll < 0.9 or len(symbols) <= 2:
            symbols.append([int(rng.integers(16)), int(rng.integers(1, 4)), 0.05])
        else:
            symbols.pop(int(rng.integers(len(symbols))))
        return replace(self, symbols=tuple(tuple(s) for s in symbols), stop=stop).normalized()

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": "chains",
            "symbols": format_symbols(self.symbols),
            "stop": self.stop,
            "width": self.width,
            "draw": self.draw,
            "steer": self.steer,
        }


# The best mixture offline searches found (README, forge section): runs of 0,
# 6 and 11 zeros, each tied to its own size, a 3% chance of stopping, and
# every block's pairs reordered against JPEG XL (32 candidates each).
DEFAULT_CHAINS = ChainDesign(
    symbols=((0, 1, 0.65), (6, 3, 0.1), (11, 2, 0.25)), stop=0.03, steer=32
)


@dataclass
class ChainTrial:
    design: ChainDesign
    calls: list[PassCall]
    image: JpegImage
    data: bytes
    ratios: dict[str, float]  # codec name: compressed / JPEG bytes (0 when refused)
    refused: dict[str, str]

    @property
    def score(self) -> float:
        return min(self.ratios.values())


def build(design: ChainDesign, seed: int, floor: int) -> tuple[list[PassCall], JpegImage, bytes]:
    """The design at the smallest height (whole block rows) that clears `floor`
    bytes: estimated from a first build's bytes per block row, then corrected,
    on the blocks before steering (steering keeps the JPEG's size, and costs
    ten times the rest); then the steered build, a row taller in the rare case
    that byte stuffing took it under the floor."""
    from .. import write

    def made(height: int, steered: bool) -> tuple[list[PassCall], JpegImage, bytes]:
        calls = design.calls(height, steered)
        image, _ = run_pipeline(base, calls, seed)
        return calls, image, write(image)

    base = blank_image(8, 8, ((1, 1),))
    height = max(MIN_SIDE, min(MAX_SIDE, design.width))
    sizes: dict[int, int] = {}
    for _ in range(6):
        if height not in sizes:
            sizes[height] = len(made(height, steered=False)[2])
        size = sizes[height]
        per_row = size / (height / 8)  # bytes one more row of blocks adds, about
        if size < floor:
            step = math.ceil((floor - size) / per_row)
        else:
            step = -math.floor((size - floor) / per_row)  # rows that can go
        moved = max(MIN_SIDE, min(MAX_SIDE, height + 8 * step))
        if moved == height or (step < 0 and moved in sizes):
            break
        height = moved
    fitting = [h for h, size in sizes.items() if size >= floor]
    height = min(fitting) if fitting else max(sizes)
    built = made(height, steered=True)
    while design.steer and len(built[2]) < floor and height + 8 <= MAX_SIDE:
        height += 8
        built = made(height, steered=True)
    return built


def measure(design: ChainDesign, seed: int, floor: int, codecs: Sequence[Codec]) -> ChainTrial:
    """One trial at full size: build, then every codec's compression."""
    calls, image, data = build(design, seed, floor)
    ratios, refused = {}, {}
    for codec in codecs:
        try:
            ratios[codec.name] = len(codec.compress(data)) / len(data)
        except Exception as error:  # each binding raises its own; a refusal scores 0
            ratios[codec.name] = 0.0
            refused[codec.name] = str(error).strip().splitlines()[0] if str(error) else "refused"
    return ChainTrial(design, calls, image, data, ratios, refused)


def search_chains(
    seed: int,
    codecs: Sequence[Codec],
    floor: int,
    budget: int,
    say: Progress,
    deadline: float | None,
    start: ChainDesign = DEFAULT_CHAINS,
) -> tuple[ChainTrial, int, bool]:
    """(1+1) evolution on the smallest ratio over `codecs`, every trial at full
    size with the run's seed: trials alternate between a mutation of the best
    mixture (kept when it wins by a margin) and another random draw of it
    (kept when it scores higher at all: it is the same design, and the file
    is what counts).  Returns the best trial, the trials run and whether the
    time guard cut the search short."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    best = measure(start.normalized(), seed, floor, codecs)
    say(f"trial 1: {describe(best)}")
    count, cut = 1, False
    for _ in range(budget - 1):
        if deadline is not None and time.monotonic() > deadline:
            cut = True
            break
        count += 1
        if count % 2:
            candidate, margin = best.design.mutate(rng), _MARGIN
        else:
            candidate, margin = replace(best.design, draw=count), 0.0
        trial = measure(candidate, seed, floor, codecs)
        if trial.score > best.score + margin:
            best = trial
            say(f"trial {count}: {describe(trial)}")
    if best.score <= 0:
        raise CheckFailed(f"forge: no chain design was accepted: {best.refused}")
    return best, count, cut


def describe(trial: ChainTrial) -> str:
    ratios = ", ".join(f"{name} {ratio:.4f}" for name, ratio in trial.ratios.items())
    design = trial.design
    mixture = f"{format_symbols(design.symbols)}, stop {design.stop:g}, draw {design.draw}"
    return f"smallest ratio {trial.score:.4f} ({ratios}) with {mixture}"
