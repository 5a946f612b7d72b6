"""The edge-quantizers and edge-scatter passes: Lepton's DC lever.

Lepton predicts each DC from the block's 14 edge coefficients (first row and
first column) and its neighbours' edges.  With a DC quantizer of 1 and large
edge quantizers, a small edge coefficient moves that prediction by hundreds
of DC steps: JPEG pays for the coefficient once, Lepton pays again for the
DC error the coefficient causes, in its own block and its right or lower
neighbour.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import JpegError
from ..forge.model import EDGE_COLS, EDGE_ROWS
from ..model import JpegImage
from . import register
from .randomize_signs import select_components
from .requantize import AC_LIMIT, DC_LIMIT, requantize_coefficients


def parse_numbers(text: str, count: int | None, name: str, kind: type = float) -> np.ndarray:
    """Comma-separated numbers; a single number stands for `count` copies."""
    try:
        values = [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise JpegError(f"{name}={text!r}: expected comma-separated numbers") from None
    if count is not None and len(values) == 1:
        values *= count
    if not values or (count is not None and len(values) != count):
        want = f"1 or {count}" if count is not None else "at least 1"
        raise JpegError(f"{name}={text!r}: expected {want} values, got {len(values)}")
    return np.array(values)


def format_numbers(values: Iterable[float]) -> str:
    """The comma-separated form parse_numbers reads back."""
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


@register("edge-quantizers")
def edge_quantizers(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    dc: int = 1,
    edges: str = "255",
    interior: int = 0,
    components: str = "all",
    rescale: bool = True,
) -> tuple[JpegImage, dict]:
    """Set the DC and edge quantizers (and optionally the interior ones).

    The DC quantizer becomes `dc`, the 14 edge positions take `edges`, the
    interior keeps its table unless `interior` is given. With rescale=true
    each coefficient becomes round(c * q_old / q_new), clamped to what
    baseline can hold, so a photo keeps roughly its look; with rescale=false
    the quantized values stay and only the tables change.

    Args:
        dc: DC quantizer (1 makes every DC step count)
        edges: 14 quantizers (row (0,1)..(0,7), column (1,0)..(7,0)) or one
        interior: quantizer for the 49 interior positions (0: keep)
        components: all, luma, chroma, or indexes such as 0,2
        rescale: map coefficients to the new tables (false: keep values)
    """
    edge_values = parse_numbers(edges, 14, "edge-quantizers edges", int)
    for value in (dc, interior or 1, *edge_values):
        if not 1 <= value <= 255:
            raise JpegError(f"edge-quantizers: quantizer {value} outside baseline's 1..255")
    arrays, tables = {}, {}
    changed = clamped = 0
    limit = np.full((8, 8), AC_LIMIT)
    limit[0, 0] = DC_LIMIT
    for index in select_components(image, components):
        component = image.components[index]
        old = component.quant_values.astype(np.int64)
        new = old.copy()
        if interior:
            new[1:, 1:] = interior
        new[0, 0] = dc
        new[EDGE_ROWS, EDGE_COLS] = edge_values
        values = component.coefficients.copy()
        moved = old != new  # only positions whose quantizer changes need rescaling
        if rescale and moved.any() and values[..., moved].any():
            scaled = requantize_coefficients(values[..., moved], old[moved], new[moved])
            outside = np.abs(scaled) > limit[moved]
            clamped += int(outside.sum())
            scaled = np.clip(scaled, -limit[moved], limit[moved])
            changed += int((scaled != values[..., moved]).sum())
            values[..., moved] = scaled
        arrays[index] = values
        tables[index] = new.astype(np.uint16)
    result = image.with_coefficients(arrays)
    for index, table in tables.items():
        result.components[index].quant_values = table
    return result, {
        "components": sorted(tables),
        "coefficients_changed": changed,
        "coefficients_clamped": clamped,
    }


@register("edge-scatter")
def edge_scatter(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    counts: str = "0.4,0.3,0.3",
    positions: str = "1",
    magnitudes: str = "1",
    components: str = "all",
    replace: bool = True,
) -> tuple[JpegImage, dict]:
    """Draw a few random edge coefficients in every block.

    Each block draws how many edge coefficients it gets from `counts`, then
    for each one a position (weights `positions`), a magnitude (weights
    `magnitudes`) and a fair sign. A draw landing on an occupied position
    replaces it. Interior coefficients and DCs are left alone. Run
    dc-guard (or edge-wavefront) afterwards so that Lepton's DC prediction
    stays in range.

    Args:
        counts: probabilities of 0, 1, 2, ... edge coefficients
        positions: 14 weights of the edge positions (or one for all)
        magnitudes: weights of the magnitudes 1, 2, 3, ...
        components: all, luma, chroma, or indexes such as 0,2
        replace: clear the existing edge coefficients first
    """
    count_p = _probabilities(counts, None, "counts")
    position_p = _probabilities(positions, 14, "positions")
    magnitude_p = _probabilities(magnitudes, None, "magnitudes")
    if len(magnitude_p) > AC_LIMIT:
        raise JpegError(f"edge-scatter: magnitudes beyond {AC_LIMIT} cannot be coded")
    arrays = {}
    drawn = 0
    for index in select_components(image, components):
        coefficients = image.components[index].coefficients.copy()
        high, wide = coefficients.shape[:2]
        if replace:
            coefficients[:, :, EDGE_ROWS, EDGE_COLS] = 0
        number = rng.choice(len(count_p), (high, wide), p=count_p)
        for k in range(len(count_p) - 1):
            where = number > k
            position = rng.choice(14, (high, wide), p=position_p)
            magnitude = rng.choice(len(magnitude_p), (high, wide), p=magnitude_p) + 1
            sign = rng.integers(0, 2, (high, wide)) * 2 - 1
            rows, cols = np.nonzero(where)
            chosen = position[where]
            coefficients[rows, cols, EDGE_ROWS[chosen], EDGE_COLS[chosen]] = (sign * magnitude)[
                where
            ]
            drawn += int(where.sum())
        arrays[index] = coefficients
    return image.with_coefficients(arrays), {"coefficients_drawn": drawn}


def _probabilities(text: str, count: int | None, name: str) -> np.ndarray:
    weights = parse_numbers(text, count, f"edge-scatter {name}")
    if (weights < 0).any() or weights.sum() <= 0:
        raise JpegError(f"edge-scatter: {name}={text!r}: weights must be >= 0, not all zero")
    return weights / weights.sum()
