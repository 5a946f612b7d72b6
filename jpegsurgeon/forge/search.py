"""The forge's search: trials of designs with the real Lepton, then the full-size build.

A run is deterministic for a seed: its budget counts trials, not seconds, so
the same seed and budget give the same bytes on any machine under any load.
Only the optional time guard (`time_limit`) may end the search early, and
the result says when it did.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..challenge import BYTE_WINDOW, MAX_SIDE, MIN_SIDE
from ..codecs import resolve_codecs
from ..errors import CheckFailed, JpegError
from ..model import JpegImage, blank_image
from ..passes import PassCall, resolve, run_pipeline
from . import chains
from .chains import search_chains
from .recipe import DEFAULT_DESIGN, Design, ForgeResult

DEFAULT_BUDGET = 8  # trials of designs a run makes by default
TRIAL_SIDE = 1024  # trial images: a sixteenth of the full size, a second or so each
# A mutation must beat the best trial by this much to replace it: trials are
# paired (same seed) but small, and a design that only wins by noise at 1024
# pixels a side can lose at 4096.
_MARGIN = 0.002
# Bytes a file spends outside its scan data (markers, tables), about; and the
# JPEG bits one more DC run start costs (a difference of about 11 bits).
_HEADER_BYTES = 620
_RUN_BITS = 14.0
# The full-size build aims this many bytes above the window's floor: the
# wavefront and dc-guard may still take off a few.
_FLOOR_MARGIN = 160
_FLOOR_TOLERANCE = 480
# Mutation scale of each part of a design.
_STEP = {"edges": 20.0, "counts": 0.08, "positions": 0.08, "magnitudes": 0.08}

Progress = Callable[[str], None]


@dataclass
class Trial:
    """One design measured on a trial image."""

    design: Design
    score: float  # Lepton bits / max(JPEG bits, the floor's), both per block, at full size
    ratio: float  # Lepton bytes / JPEG bytes of the trial image itself
    jpeg_bits: float  # JPEG bits per block the full-size image should spend
    lepton_bits: float


def lepton_cpp_binary(explicit: str | None = None) -> str | None:
    """The reference C++ Lepton to check the output with, if there is one
    (codecs.lepton_cpp_path's search); a binary named explicitly must exist."""
    from ..codecs import CodecUnavailable, lepton_cpp_path

    try:
        return lepton_cpp_path(explicit)
    except CodecUnavailable:
        if explicit:
            raise
        return None


def _blocks(image: JpegImage) -> int:
    return sum(c.coefficients.shape[0] * c.coefficients.shape[1] for c in image.components)


def _runs(image: JpegImage, run_length: int) -> int:
    """DC runs (starts of a new DC) the row-dc pass makes in an image."""
    total = 0
    for c in image.components:
        high, wide = c.coefficients.shape[:2]
        total += high * math.ceil(wide / (run_length or wide))
    return total


class _Trials:
    """Designs measured on one trial canvas, with the run's seed: each at the
    density that would put the full-size file just above the window's floor."""

    def __init__(self, canvas: JpegImage, seed: int, full: JpegImage, low: int) -> None:
        self.canvas = canvas
        self.seed = seed
        self.blocks = _blocks(canvas)
        self.full = full  # the full-size canvas, for the bits its size allows
        self.full_blocks = _blocks(full)
        self.floor_bits = low * 8 / self.full_blocks
        self.target = (low + _FLOOR_MARGIN, low + _FLOOR_MARGIN + _FLOOR_TOLERANCE)
        self.rejected: list[str] = []

    def full_bits(self, size: int, design: Design) -> float:
        """JPEG bits a block the full-size file would spend, from a trial file's
        size: the full size's share of DC run starts and headers, not the trial's."""
        scan_bits = (size - _HEADER_BYTES) * 8 / self.blocks
        scan_bits -= _RUN_BITS * _runs(self.canvas, design.run_length) / self.blocks
        bits = scan_bits + _RUN_BITS * _runs(self.full, design.run_length) / self.full_blocks
        return bits + _HEADER_BYTES * 8 / self.full_blocks

    def measure(self, design: Design) -> Trial | None:
        from .. import write
        from ..codecs import get_codec

        # through the codec layer, which then knows the binding has run here
        # (it must not fork a process to check a file after that)
        lepton = get_codec("lepton")

        def projected(factor: float) -> int:
            calls = design.with_density(factor).calls(_identity())[1:4]
            image, _ = run_pipeline(self.canvas, calls, self.seed)
            return round(self.full_bits(len(write(image)), design) * self.full_blocks / 8)

        try:
            factor, _ = fit_factor(projected, *self.target)
            design = design.with_density(factor)
            image, _ = run_pipeline(self.canvas, design.calls(_identity())[1:], self.seed)
            data = write(image)
            packed = lepton.compress(data)
        except Exception as error:  # a design Lepton (or the writer) refuses simply loses
            text = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            self.rejected.append(text)
            return None
        jpeg_bits = self.full_bits(len(data), design)
        lepton_bits = len(packed) * 8 / self.blocks
        score = lepton_bits / max(jpeg_bits, self.floor_bits)
        return Trial(design, score, len(packed) / len(data), jpeg_bits, lepton_bits)


def _identity() -> PassCall:
    """A canvas step that changes nothing (trials start from a canvas already made)."""
    return resolve("forge-tile", {})


def _mutate(design: Design, rng: np.random.Generator) -> Design:
    parts = list(_STEP)
    values = {key: np.asarray(getattr(design, key), np.float64) for key in parts}
    for key in rng.choice(parts, rng.integers(1, 3), replace=False):
        array = values[key]
        mask = rng.random(array.shape) < max(0.2, 1 / len(array))
        values[key] = array + mask * rng.normal(0, _STEP[key], array.shape)
    return replace(design, **{k: tuple(v) for k, v in values.items()}).normalized()


def search(
    trials: _Trials,
    start: Design,
    budget: int,
    rng: np.random.Generator,
    say: Progress,
    deadline: float | None,
) -> tuple[Trial, Trial | None, int, bool]:
    """(1+1) evolution from `start` for `budget` trials.  Returns the best
    trial, the first (`start`'s), the number of trials run and whether the
    time guard cut the search short."""
    best = first = trials.measure(start.normalized())
    count, cut = 1, False
    for _ in range(budget - 1):
        if deadline is not None and time.monotonic() > deadline:
            cut = True
            break
        child = _mutate(best.design if best else start, rng)
        trial = trials.measure(child)
        count += 1
        if trial is not None and (best is None or trial.score > best.score + _MARGIN):
            best = trial
            say(f"trial {count}: score {trial.score:.4f} (ratio {trial.ratio:.4f} at "
                f"{trial.jpeg_bits:.3f} JPEG bits a block)")  # fmt: skip
    if best is None:
        reason = f" (last: {trials.rejected[-1]})" if trials.rejected else ""
        raise CheckFailed(f"forge: no trial design was accepted by Lepton{reason}")
    return best, first, count, cut


def _canvas(source: JpegImage | None, side: int) -> PassCall:
    if source is None:
        return resolve("forge-synthesize", {"width": side, "height": side, "sampling": "444"})
    return resolve("forge-tile", {"width": side, "height": side})


def _placeholder() -> JpegImage:
    return blank_image(8, 8, ((1, 1),))


def _size_before_wavefront(base: JpegImage, calls: list[PassCall], seed: int) -> int:
    """Bytes of the image the pipeline has made before edge-wavefront (which keeps
    every coefficient's JPEG category, and so the size, except where it clears)."""
    from .. import write

    image, _ = run_pipeline(base, calls[:4], seed)
    return len(write(image))


def fit_factor(size: Callable[[float], int], low: int, high: int) -> tuple[float, int]:
    """A density factor whose size lands in low..high, the size shrinking as the
    factor grows: bracketing by steps of 25%, then bisection on the logarithm.
    The closest factor found is returned when the target cannot be hit."""
    factor, measured = 1.0, size(1.0)
    if low <= measured <= high:
        return factor, measured
    step = 0.8 if measured < low else 1.25
    dense = sparse = None  # factors known to give too many bytes / too few
    for _ in range(40):
        if measured > high:
            dense = factor
        else:
            sparse = factor
        if dense is not None and sparse is not None:
            break
        if not 1e-4 <= factor * step <= 1e4:
            return factor, measured
        factor *= step
        measured = size(factor)
        if low <= measured <= high:
            return factor, measured
    if dense is None or sparse is None:  # the factor does not move the size enough
        return factor, measured
    for _ in range(40):
        if sparse / dense < 1 + 1e-5:
            break
        factor = math.sqrt(dense * sparse)
        measured = size(factor)
        if low <= measured <= high:
            break
        if measured > high:
            dense = factor
        else:
            sparse = factor
    return factor, measured


def fit_density(
    source: JpegImage | None,
    design: Design,
    side: int,
    seed: int,
    target: tuple[int, int],
) -> tuple[Design, int]:
    """The design with the density (the weight of blocks without edge
    coefficients, scaled) that brings the full-size file into `target` bytes,
    and the bytes it comes to before edge-wavefront."""
    base = source or _placeholder()
    canvas = _canvas(source, side)

    def size(factor: float) -> int:
        calls = design.with_density(factor).calls(canvas)
        return _size_before_wavefront(base, calls, seed)

    factor, measured = fit_factor(size, *target)
    return design.with_density(factor), measured


def _side_for(source: JpegImage, design: Design, side: int, seed: int, top: int) -> int:
    """The largest square side (a multiple of 16, at most `side`) at which the
    tiled photo, with as few edge coefficients as the design can have, stays
    under `top` bytes: its own interior content may be too much for 4096."""
    for _ in range(12):
        calls = design.with_density(1e4).calls(_canvas(source, side))
        smallest = _size_before_wavefront(source, calls, seed)
        if smallest <= top or side <= MIN_SIDE:
            return side
        shrunk = int(side * math.sqrt(top * 0.97 / smallest)) // 16 * 16
        side = max(MIN_SIDE, min(side - 16, shrunk))
    return side


@dataclass
class _Built:
    design: Design
    calls: list[PassCall]
    image: JpegImage
    data: bytes
    ratio: float  # lepton-rust's, to compare designs
    note: str


def _build(
    source: JpegImage | None,
    design: Design,
    side: int,
    seed: int,
    target: tuple[int, int],
    say: Progress,
) -> _Built:
    """A design at full size: its density fitted into `target`, then every pass."""
    from .. import write
    from ..codecs import get_codec

    low, high = target
    for _ in range(3):
        fitted, before = fit_density(source, design, side, seed, (low, high))
        say(f"density: {before} bytes before the wavefront ({side}x{side})")
        calls = fitted.calls(_canvas(source, side))
        image, reports = run_pipeline(source or _placeholder(), calls, seed)
        data = write(image)
        shortfall = target[0] - _FLOOR_MARGIN - len(data)
        if shortfall <= 0:
            break
        # dc-guard took off more than the margin: aim that much higher
        low, high = low + shortfall + _FLOOR_MARGIN, high + shortfall + _FLOOR_MARGIN
    design = fitted
    wave, guard = reports[4]["changes"], reports[5]["changes"]
    note = (
        f"built {side}x{side}: {len(data)} bytes; wavefront: {wave['cleared']} blocks cleared, "
        f"{wave['over_limit']} beyond Lepton's bound left to dc-guard ({guard['edges_shrunk']} "
        f"edge steps, {guard['dcs_moved']} DCs moved); largest DC error {guard['worst_after']}"
    )
    try:
        ratio = len(get_codec("lepton").compress(data)) / len(data)
    except Exception:  # refused: it loses to any design Lepton takes (the audit says why)
        ratio = 0.0
    return _Built(design, calls, image, data, ratio, note)


def _forge_lepton_dc(
    source: JpegImage | None,
    seed: int,
    budget: int,
    window: tuple[int, int],
    say: Progress,
    deadline: float | None,
    start: Design,
    side: int,
    notes: list[str],
    time_limit: float | None,
) -> tuple[Design, list[PassCall], JpegImage, bytes, int, bool]:
    """The Lepton-DC design: trials on a small canvas, then the best (or the
    starting design, when it wins at full size) built just above the floor.
    Returns the design, its pipeline, image and bytes, the trials run and
    whether the time guard cut the search short; appends to `notes`."""
    low, high = window
    if source is not None:
        start = replace(start, choices=min(start.choices, 4))  # a photo's blocks are all distinct
    # 0. From a photo: the largest side whose file can still come under the window's top.
    placeholder = source or _placeholder()
    if source is not None:
        side = _side_for(source, start, side, seed, high - _FLOOR_TOLERANCE)
    # 1. Trials on a small canvas, every one with the run's seed.
    trial_side = min(TRIAL_SIDE, side)
    canvas, _ = run_pipeline(placeholder, [_canvas(source, trial_side)], seed)
    full, _ = run_pipeline(placeholder, [_canvas(source, side)], seed)
    trials = _Trials(canvas, seed, full, low)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    say(f"search: {budget} trials on {trial_side}x{trial_side} with Lepton")
    best, first, count, cut = search(trials, start, budget, rng, say, deadline)
    notes.append(
        f"search: {count} of {budget} trials; best trial ratio {best.ratio:.4f}, "
        f"score {best.score:.4f} at {best.jpeg_bits:.3f} JPEG bits a block"
    )
    if cut:
        notes.append(f"the time guard ({time_limit:g} s) stopped the search after {count} trials")
    say(notes[-1])

    # 2. Full size: the density that lands just above the floor, then the whole
    # pipeline.  A design the search found only wins if it wins at full size too.
    target = (low + _FLOOR_MARGIN, min(high, low + _FLOOR_MARGIN + _FLOOR_TOLERANCE))
    contenders = [best.design] + ([first.design] if first and first is not best else [])
    built = [_build(source, design, side, seed, target, say) for design in contenders]
    if len(built) > 1:
        ratios = [b.ratio for b in built]
        notes.append(
            f"at full size the searched design gives {ratios[0]:.4f}, the starting one "
            f"{ratios[1]:.4f}: kept the {'searched' if ratios[0] >= ratios[1] else 'starting'} one"
        )
        say(notes[-1])
    chosen = max(built, key=lambda b: b.ratio)  # the first listed wins a tie
    notes.append(chosen.note)
    say(notes[-1])
    return chosen.design, chosen.calls, chosen.image, chosen.data, count, cut


def forge(
    source: JpegImage | None,
    seed: int,
    budget: int | None = None,
    size_window: tuple[int, int] = BYTE_WINDOW,
    progress: Progress | None = None,
    time_limit: float | None = None,
    start: Design = DEFAULT_DESIGN,
    lepton_cpp: str | None = None,
    side: int = MAX_SIDE,
    targets: Sequence[str] = ("lepton",),
    checks: Sequence[str] = (),
) -> ForgeResult:
    """Search designs, build the best at full size just above the window's
    floor, and audit it (lepton-challenge, 3 Lepton cycles, and the C++
    Lepton's round trip when one is found, and every target's).

    `targets` are the codecs whose smallest ratio the forge maximises
    (lepton, lepton-cpp, jxl, or all: every one installed); `checks` are
    further codecs that only check the output and report their ratios.  Against the
    Leptons alone the Lepton-DC design is searched on trial images; with
    JPEG XL among them, symbol chains (chains.py) at full size.  `budget`
    counts trials; `time_limit` (seconds), when given, may end the search
    early and the result says so (`cut_short`).  Raises CheckFailed when no
    compliant file comes out.
    """
    from ..compliance import audit_bytes
    from ..compliance.profiles import PROFILES

    started = time.monotonic()
    say = progress or (lambda _line: None)
    low, high = size_window
    if not 0 < low <= high:
        raise JpegError(f"forge: size window {low}..{high} is empty")
    if budget is not None and budget < 1:
        raise JpegError(f"forge: budget {budget}: expected at least 1 trial")
    if not MIN_SIDE <= side <= MAX_SIDE:
        raise JpegError(f"forge: side {side}: expected {MIN_SIDE}..{MAX_SIDE}")
    cpp = lepton_cpp_binary(lepton_cpp)
    chosen = resolve_codecs(targets, lepton_cpp=cpp)
    checking = resolve_codecs(checks, lepton_cpp=cpp) if checks else []  # before the search
    notes: list[str] = []
    deadline = None if time_limit is None else started + time_limit
    if any(codec.name == "jxl" for codec in chosen):
        budget = chains.DEFAULT_BUDGET if budget is None else budget
        if source is not None:
            raise JpegError(
                "forge --from: against JPEG XL the forge synthesizes every coefficient, "
                "so there is nothing of IN to keep; drop --from"
            )
        best, count, cut = search_chains(seed, chosen, low + chains.FLOOR_MARGIN, budget, say,
                                         deadline)  # fmt: skip
        design, calls, image, data = best.design, best.calls, best.image, best.data
        notes.append(f"search: {count} of {budget} trials of symbol chains at full size; "
                     f"best: {chains.describe(best)}")  # fmt: skip
        if cut:
            notes.append(f"the time guard ({time_limit:g} s) stopped the search after {count} "
                         "trials")  # fmt: skip
        say(notes[-1])
    else:
        budget = DEFAULT_BUDGET if budget is None else budget
        design, calls, image, data, count, cut = _forge_lepton_dc(
            source, seed, budget, (low, high), say, deadline, start, side, notes, time_limit
        )
    if not low <= len(data) <= high:
        raise CheckFailed(f"forge: the file came out at {len(data)} bytes, outside {low}..{high}")

    # 3. Audit, as `jpegsurgeon audit --profile lepton-challenge` would, with
    # both Leptons (when the C++ one is found) and every target.
    codecs = tuple(dict.fromkeys(["lepton", *(["lepton-cpp"] if cpp else []),
                                  *(c.name for c in [*chosen, *checking])]))  # fmt: skip
    say(f"audit: {len(data)} bytes, {', '.join(codecs)}, 3 cycles")
    profile = PROFILES["lepton-challenge"]
    if (low, high) != BYTE_WINDOW:  # the challenge's rules, with the window asked for
        profile = replace(profile, settings={**profile.settings, "min_bytes": low,
                                             "max_bytes": high})  # fmt: skip
    report = audit_bytes(data, profile, lepton=True, cycles=3, codecs=codecs, lepton_cpp=cpp)
    if not report.compliant:
        problems = "; ".join(str(f) for f in report.findings) or "not compliant"
        raise CheckFailed(f"forge: the file is not compliant: {problems}")
    failed = [f"{name}: {r['error']}" for name, r in report.codecs.items() if not r["verified"]]
    if failed:
        raise CheckFailed(f"forge: a codec does not round-trip the file: {'; '.join(failed)}")
    if cpp is None:
        notes.append("the C++ Lepton was not found: checked with lepton-rust only")
    cpp_bytes = report.codecs.get("lepton-cpp", {}).get("compressed_bytes")
    ratios = {name: r["ratio"] for name, r in report.codecs.items()}
    changed = _changes(source, image, calls, seed) if source is not None else {}
    elapsed = time.monotonic() - started
    return ForgeResult(
        data=data,
        jpeg_bytes=len(data),
        lepton_bytes=int(report.lepton_bytes),
        ratio=report.lepton_bytes / len(data),
        width=image.width,
        height=image.height,
        seed=seed,
        budget=budget,
        trials=count,
        recipe=[c.as_dict() for c in calls],
        design=design,
        lepton_cpp_bytes=cpp_bytes,
        ratios=ratios,
        targets=[c.name for c in chosen],
        seconds=elapsed,
        cut_short=cut,
        changed=changed,
        notes=notes,
    )


def _changes(
    source: JpegImage, image: JpegImage, calls: list[PassCall], seed: int
) -> dict[str, Any]:
    """How much of the (tiled) input survives in the forged image."""
    base, _ = run_pipeline(source, calls[:1], seed)
    total = kept = zero_kept = 0
    for old, new in zip(base.components, image.components):
        a, b = old.coefficients, new.coefficients
        total += a.size
        kept += int((a == b).sum())
        zero_kept += int(((a == 0) == (b == 0)).sum())
    return {
        "input_size": f"{source.width}x{source.height}",
        "output_size": f"{image.width}x{image.height}",
        "coefficients": total,
        "coefficients_kept": kept,
        "coefficients_changed": total - kept,
        "share_kept": round(kept / total, 4) if total else 1.0,
        "zero_pattern_kept": round(zero_kept / total, 4) if total else 1.0,
        "interior_tables_kept": True,
    }
