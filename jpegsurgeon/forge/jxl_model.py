"""How JPEG XL codes a recompressed JPEG's AC coefficients, as far as the forge needs it.

libjxl (lib/jxl/enc_entropy_coder.cc, ac_context.h, enc_coeff_order.cc)
codes each block's count of nonzero AC coefficients, then walks the block
in a coefficient order of its own until the nonzeros run out, coding each
coefficient as a token in a context made of the nonzeros still to come,
the position and whether the previous coefficient was nonzero.  The order
is one per channel, the natural order stably sorted by how often each
position is zero.  Histograms are static: one per context, over the image.

This module holds those tables and rules, with positions as JPEG zigzag
indices, and the cost of candidate blocks under running token counts.
"""

from __future__ import annotations

import numpy as np

from ..model import NATURAL_TO_ZIGZAG

# ac_context.h: a context is (NONZERO[nonzeros left] + FREQUENCY[k]) * 2 + previous
FREQUENCY_CONTEXT = np.array(
    [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19,
     19, 20, 20, 21, 21, 22, 22, 23, 23, 23, 23, 24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26,
     26, 27, 27, 27, 27, 28, 28, 28, 28, 29, 29, 29, 29, 30, 30, 30, 30]
)  # fmt: skip
NONZERO_CONTEXT = np.array(
    [0, 0, 31, 62, 62, 93, 93, 93, 93, 123, 123, 123, 123] + [152] * 8 + [180] * 12 + [206] * 32
)
CONTEXTS = 2 * (int(NONZERO_CONTEXT.max()) + int(FREQUENCY_CONTEXT.max()) + 1)
TOKENS = 16  # small values are whole tokens (signed values packed: 2v, -2v - 1)


def _natural_order() -> np.ndarray:
    """libjxl's natural order of an 8x8 DCT block (diagonals, alternating),
    as JPEG zigzag indices: JPEG XL's (x, y) is JPEG's (row, column)."""
    cells = []
    for diagonal in range(15):
        cells_here = [(j, diagonal - j) for j in range(diagonal + 1) if j < 8 and diagonal - j < 8]
        for x, y in cells_here:
            if diagonal % 2:
                x, y = y, x
            cells.append((x, y))
    return np.array([NATURAL_TO_ZIGZAG[x * 8 + y] for x, y in cells])


NATURAL_ORDER = _natural_order()


def coefficient_order(zeros: np.ndarray) -> np.ndarray:
    """The order libjxl derives from per-position zero counts (zigzag-indexed):
    its natural order, stably sorted by floor(zeros / 8 + 0.1), DC first."""
    key = np.floor(np.asarray(zeros, np.float64) / 8.0 + 0.1)
    key[0] = -1
    return NATURAL_ORDER[np.argsort(key[NATURAL_ORDER], kind="stable")]


def tokens(
    zigzag: np.ndarray, counts: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Context, token and whether JPEG XL codes it, for every AC position of
    blocks (..., 64) with `counts` nonzeros each, walked in `order`."""
    walked = zigzag[..., order[1:]]
    nonzero = walked != 0
    left = counts[..., None] - (np.cumsum(nonzero, axis=-1) - nonzero)
    previous = np.empty_like(nonzero)
    previous[..., 0] = counts <= 4  # the first position's "previous": a sparse block
    previous[..., 1:] = nonzero[..., :-1]
    context = (NONZERO_CONTEXT[np.clip(left, 0, 63)] + FREQUENCY_CONTEXT[1:]) * 2 + previous
    token = np.minimum(np.where(walked >= 0, 2 * walked, -2 * walked - 1), TOKENS - 1)
    return context, token, left > 0


def code_lengths(token_counts: np.ndarray, alpha: float) -> np.ndarray:
    """Bits per (context, token) under counts smoothed by `alpha`."""
    smoothed = token_counts + alpha
    return -np.log2(smoothed / smoothed.sum(axis=1, keepdims=True))
