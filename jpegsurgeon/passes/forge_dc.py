"""The constant-dc, row-dc and dc-guard passes: DCs against Lepton's DC prediction."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..challenge import LEPTON_DC_ERROR_LIMIT
from ..errors import JpegError
from ..forge.model import EDGE_COLS, EDGE_ROWS, dc_prediction
from ..model import JpegImage
from . import register
from .forge_edges import parse_numbers
from .randomize_signs import select_components
from .requantize import DC_HIGH, DC_LIMIT, DC_LOW


@register("constant-dc")
def constant_dc(
    image: JpegImage, rng: np.random.Generator, *, values: str = "0", components: str = "all"
) -> tuple[JpegImage, dict]:
    """Give every block of a component the same quantized DC.

    JPEG codes each DC as the difference from the previous block's, so a
    constant DC costs it one Huffman bit per block; Lepton instead codes each
    DC's error against a prediction from the edges, which a constant DC does
    not make any easier for it.

    Args:
        values: quantized DC per selected component, or one for all
        components: all, luma, chroma, or indexes such as 0,2
    """
    chosen = select_components(image, components)
    dcs = parse_numbers(values, len(chosen), "constant-dc values", int)
    if (np.abs(dcs) > DC_LIMIT).any():
        raise JpegError(f"constant-dc: values must lie in -{DC_LIMIT}..{DC_LIMIT}")
    arrays, changed = {}, 0
    for index, value in zip(chosen, dcs):
        coefficients = image.components[index].coefficients.copy()
        changed += int((coefficients[..., 0, 0] != value).sum())
        coefficients[..., 0, 0] = value
        arrays[index] = coefficients
    return image.with_coefficients(arrays), {"dcs_changed": changed}


def dc_bounds(q0: int) -> tuple[int, int]:
    """The quantized DCs 8-bit samples allow with DC quantizer q0 (-1024..1023 for 1):
    any two differ by at most 2047, what a baseline DC difference can code."""
    return -(-DC_LOW // q0), DC_HIGH // q0


@register("row-dc")
def row_dc(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    mode: Literal["alternate", "uniform"] = "alternate",
    run_length: int = 0,
    components: str = "all",
) -> tuple[JpegImage, dict]:
    """Give every block row of a component (or every run of blocks) its own random DC.

    JPEG codes a DC as the difference from the previous block's, so a DC that
    stays the same along a run costs it one bit a block plus one difference
    per run.  Lepton predicts each DC from the left and upper neighbours'
    edge pixels: the upper neighbour's different DC enters every prediction
    as an offset of half the difference, which its contexts do not foresee.
    Values cover the whole range the DC quantizer allows (-1024..1023 for 1).
    With mode=uniform each run's DC is drawn uniformly; with mode=alternate
    every other row takes one of the two extremes at random and the rows
    between are uniform, so that the offsets (half the difference of two
    rows) come out uniform too instead of peaking at 0.

    Args:
        mode: how the DCs are drawn
        run_length: blocks sharing a DC along a row (0: the whole row)
        components: all, luma, chroma, or indexes such as 0,2
    """
    if run_length < 0:
        raise JpegError(f"row-dc: run_length={run_length}: expected 0 (whole rows) or more")
    arrays, runs = {}, 0
    for index in select_components(image, components):
        component = image.components[index]
        coefficients = component.coefficients.copy()
        high, wide = coefficients.shape[:2]
        step = run_length or wide
        count = -(-wide // step)
        low, top = dc_bounds(int(component.quant_values.reshape(-1)[0]))
        values = rng.integers(low, top + 1, (high, count))
        if mode == "alternate":
            extremes = np.where(rng.random((high, count)) < 0.5, low, top)
            parity = int(rng.integers(0, 2))
            values[parity::2] = extremes[parity::2]
        coefficients[..., 0, 0] = np.repeat(values, step, axis=1)[:, :wide]
        arrays[index] = coefficients
        runs += high * count
    return image.with_coefficients(arrays), {"runs": runs}


@register("dc-guard")
def dc_guard(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    limit: int = LEPTON_DC_ERROR_LIMIT,
    rounds: int = 30,
    components: str = "all",
) -> tuple[JpegImage, dict]:
    """Keep Lepton's DC prediction errors within a limit, so Lepton accepts the file.

    Recomputes Lepton's DC prediction for every block (its integer IDCT, both
    neighbours, and every row taken as the start of a thread band). Where an
    error exceeds `limit`, the largest edge coefficient (by dequantized size)
    of the block and of its left and upper neighbours shrinks by one step;
    blocks with no edge left to shrink have their DC moved toward the
    prediction instead. Rounds repeat until no error exceeds the limit.

    Args:
        limit: largest DC prediction error allowed (Lepton accepts up to 4096)
        rounds: repair rounds before giving up
        components: all, luma, chroma, or indexes such as 0,2
    """
    if not 0 < limit <= 2 * LEPTON_DC_ERROR_LIMIT:
        raise JpegError(f"dc-guard: limit={limit}: expected 1..{2 * LEPTON_DC_ERROR_LIMIT}")
    arrays = {}
    shrunk = moved = 0
    worst_before = worst_after = 0
    for index in select_components(image, components):
        component = image.components[index]
        coefficients = component.coefficients.copy()
        quant = component.quant_values.astype(np.int64)
        edge_q = quant.reshape(8, 8)[EDGE_ROWS, EDGE_COLS]
        worst = dc_prediction(coefficients, quant).worst
        worst_before = max(worst_before, int(worst.max()))
        for round_number in range(rounds + 1):
            bad = worst > limit
            if not bad.any():
                break
            if round_number == rounds:
                raise JpegError(
                    f"dc-guard: {int(bad.sum())} blocks of component {component.component_id} "
                    f"still exceed {limit} after {rounds} rounds (largest {int(worst.max())})"
                )
            targets = bad.copy()
            targets[:, :-1] |= bad[:, 1:]  # left neighbour of an offender
            targets[:-1, :] |= bad[1:, :]  # upper neighbour
            rows, cols = np.nonzero(targets)
            edges = coefficients[rows, cols][:, EDGE_ROWS, EDGE_COLS].astype(np.int64)
            size = np.abs(edges) * edge_q
            largest = size.argmax(axis=1)
            has_edge = size.max(axis=1) > 0
            r, c, k = rows[has_edge], cols[has_edge], largest[has_edge]
            values = coefficients[r, c, EDGE_ROWS[k], EDGE_COLS[k]]
            coefficients[r, c, EDGE_ROWS[k], EDGE_COLS[k]] = values - np.sign(values)
            shrunk += len(r)
            # Offenders with nothing to shrink around them: move their DC instead.
            stuck = bad & ~_has_edge_around(coefficients)
            if stuck.any():
                error = np.zeros(bad.shape, np.int64)
                stuck_rows = np.unique(np.nonzero(stuck)[0])
                error[stuck_rows] = dc_prediction(coefficients, quant, stuck_rows).error
                step = np.sign(error[stuck]) * np.minimum(np.abs(error[stuck]), 256)
                dc = coefficients[..., 0, 0]
                dc[stuck] = np.clip(dc[stuck] - step, -DC_LIMIT, DC_LIMIT)
                moved += int(stuck.sum())
            # Only the changed rows and the rows below them can have new errors.
            changed = np.unique(np.concatenate([rows, np.nonzero(stuck)[0]]))
            again = np.unique(np.concatenate([changed, changed + 1]))
            again = again[again < len(worst)]
            worst[again] = dc_prediction(coefficients, quant, again).worst
        worst_after = max(worst_after, int(worst.max()))
        arrays[index] = coefficients
    return image.with_coefficients(arrays), {
        "limit": limit,
        "worst_before": worst_before,
        "worst_after": worst_after,
        "edges_shrunk": shrunk,
        "dcs_moved": moved,
    }


def _has_edge_around(coefficients: np.ndarray) -> np.ndarray:
    """Blocks that have, or whose left or upper neighbour has, an edge coefficient."""
    own = (coefficients[:, :, EDGE_ROWS, EDGE_COLS] != 0).any(axis=-1)
    around = own.copy()
    around[:, 1:] |= own[:, :-1]
    around[1:, :] |= own[:-1, :]
    return around
