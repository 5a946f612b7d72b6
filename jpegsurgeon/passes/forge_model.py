"""A numpy model of how Lepton predicts and codes each block's DC.

Not a pass: the forge passes and `jpegsurgeon.forge` share it.  Lepton codes
a block's DC last, as the error of a prediction made from the block's edge
pixels (computed from its AC coefficients with the DC left out) continued
across the border into its left and upper neighbours' edge pixels.  This
module recomputes that prediction exactly, with the same integer IDCT, so a
forge can keep every prediction error inside the range Lepton accepts
without running Lepton.  Written from a reading of microsoft/lepton_jpeg_rust
(structs/idct.rs, probability_tables.rs, model.rs, neighbor_summary.rs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The integer IDCT's constants: 2048 * sqrt(2) * cos(k * pi / 16), and 256 / sqrt(2).
_W1, _W2, _W3, _W5, _W6, _W7 = 2841, 2676, 2408, 1609, 1108, 565
_R2 = 181

# Lepton's coded DC error lies in -WRAP_HALF..WRAP_HALF: errors further out are
# folded by 2 * WRAP_HALF + 1, and past about 3 * WRAP_HALF the fold no longer
# brings them back, so the encoder refuses the file (CoefficientOutOfRange).
WRAP_HALF = 1024
LEPTON_LIMIT = 3 * WRAP_HALF + 1  # 3073
SAFE_LIMIT = 2800  # what the forge allows itself: a margin below LEPTON_LIMIT

# Blocks per chunk when computing pixels: bounds memory on 4096 x 4096 images.
_CHUNK = 1 << 16


def _idct_pass(t: list[np.ndarray], first: bool) -> list[np.ndarray]:
    """One 1-D pass of Lepton's integer IDCT (run_idct), over 8 input arrays."""
    if first:
        x0, x4 = (t[0] << 11) + 128, t[4] << 11
    else:
        x0, x4 = (t[0] << 8) + 8192, t[4] << 8
    x1, x2, x3, x5, x6, x7 = t[1], t[2], t[3], t[5], t[6], t[7]
    if first:
        x8 = _W7 * (x1 + x7)
        x1, x7 = x8 + (_W1 - _W7) * x1, x8 - (_W1 + _W7) * x7
        x8 = _W3 * (x5 + x3)
        x5, x3 = x8 - (_W3 - _W5) * x5, x8 - (_W3 + _W5) * x3
    else:
        x8 = _W7 * (x1 + x7) + 4
        x1, x7 = (x8 + (_W1 - _W7) * x1) >> 3, (x8 - (_W1 + _W7) * x7) >> 3
        x8 = _W3 * (x5 + x3) + 4
        x5, x3 = (x8 - (_W3 - _W5) * x5) >> 3, (x8 - (_W3 + _W5) * x3) >> 3
    x8, x0 = x0 + x4, x0 - x4
    if first:
        x4 = _W6 * (x2 + x6)
        x6, x2 = x4 - (_W2 + _W6) * x6, x4 + (_W2 - _W6) * x2
    else:
        x4 = _W6 * (x2 + x6) + 4
        x6, x2 = (x4 - (_W2 + _W6) * x6) >> 3, (x4 + (_W2 - _W6) * x2) >> 3
    x4, x1 = x1 + x5, x1 - x5
    x5, x7 = x7 + x3, x7 - x3
    x3, x8 = x8 + x2, x8 - x2
    x2, x0 = x0 + x6, x0 - x6
    x6 = (_R2 * (x1 + x7) + 128) >> 8
    x1 = (_R2 * (x1 - x7) + 128) >> 8
    shift = 8 if first else 11
    return [
        (x3 + x4) >> shift, (x2 + x6) >> shift, (x0 + x1) >> shift, (x8 + x5) >> shift,
        (x8 - x5) >> shift, (x0 - x1) >> shift, (x2 - x6) >> shift, (x3 - x4) >> shift,
    ]  # fmt: skip


def _to_i16(values: np.ndarray) -> np.ndarray:
    return ((values + 32768) & 0xFFFF) - 32768


def pixels_sans_dc(dequantized: np.ndarray) -> np.ndarray:
    """Lepton's IDCT of (n, 8, 8) dequantized blocks with the DC zeroed: 8x pixel values.

    In int32, which wraps on overflow exactly as Lepton's i32 arithmetic does.
    """
    d = dequantized.astype(np.int32)
    d[:, 0, 0] = 0
    rows = _idct_pass([d[:, :, k] for k in range(8)], True)  # each (n, 8 rows v), per column x
    inter = np.stack(rows, axis=-1)  # (n, v, x)
    cols = _idct_pass([inter[:, v, :] for v in range(8)], False)  # each (n, x), per output row y
    return _to_i16(np.stack(cols, axis=1)).astype(np.int64)  # (n, y, x)


def _extrapolate(a1: np.ndarray, a2: np.ndarray) -> np.ndarray:
    """a1 + (a1 - a2) / 2 with the halving rounded toward zero, as calc_pred."""
    delta = a1 - a2
    half = np.where(delta < 0, -((-delta) >> 1), delta >> 1)
    return _to_i16(a1 + half)


@dataclass
class EdgeSummary:
    """Per block (rows, blocks_wide, 8): the block's own extrapolated edges
    and those it hands to its right and lower neighbours (DC not yet added)."""

    left: np.ndarray  # h_pred: column 0 continued leftwards
    top: np.ndarray  # v_pred: row 0 continued upwards
    right: np.ndarray  # next_edge_pixels_h: column 7 continued rightwards
    bottom: np.ndarray  # next_edge_pixels_v: row 7 continued downwards


def edge_summary(coefficients: np.ndarray, quant: np.ndarray) -> EdgeSummary:
    """Extrapolated edge pixels of every block of one component (or of some rows)."""
    high, wide = coefficients.shape[:2]
    flat = coefficients.reshape(-1, 8, 8)
    q = quant.astype(np.int32).reshape(8, 8)
    shaped = {k: np.zeros((len(flat), 8), np.int64) for k in ("left", "top", "right", "bottom")}
    # Blocks with no AC have flat pixels: nothing to extrapolate, all zeros.
    busy = np.flatnonzero(flat.reshape(-1, 64)[:, 1:].any(axis=1))
    # Forged images repeat a few block patterns: run the IDCT once per distinct block.
    distinct, inverse = np.unique(
        np.ascontiguousarray(flat[busy].astype(np.int16).reshape(-1, 64))
        .view(np.dtype((np.void, 128)))
        .ravel(),
        return_inverse=True,
    )
    blocks = distinct.view(np.int16).reshape(-1, 8, 8)
    for start in range(0, len(blocks), _CHUNK):
        pixels = pixels_sans_dc(blocks[start : start + _CHUNK] * q)
        part = {
            "top": _extrapolate(pixels[:, 0, :], pixels[:, 1, :]),
            "left": _extrapolate(pixels[:, :, 0], pixels[:, :, 1]),
            "bottom": _extrapolate(pixels[:, 7, :], pixels[:, 6, :]),
            "right": _extrapolate(pixels[:, :, 7], pixels[:, :, 6]),
        }
        chosen = (inverse >= start) & (inverse < start + _CHUNK)
        for key, values in part.items():
            shaped[key][busy[chosen]] = values[inverse[chosen] - start]
    return EdgeSummary(**{k: v.reshape(high, wide, 8) for k, v in shaped.items()})


@dataclass
class DcPrediction:
    """Lepton's DC prediction for every block of one component."""

    error: np.ndarray  # (high, wide) DC minus prediction, before folding, in Lepton's layout
    worst: np.ndarray  # largest |error| over the layouts Lepton may use (thread starts)
    uncertainty: np.ndarray  # spread of the 16 border estimates, >> 3 (an exponent context)
    uncertainty2: np.ndarray  # the estimate furthest from the mean, >> 3 (sign/exponent)
    rows: np.ndarray  # the block rows these arrays cover

    @property
    def coded(self) -> np.ndarray:
        """The error as Lepton codes it, folded into -1024..1024."""
        return fold(self.error)


def fold(error: np.ndarray) -> np.ndarray:
    """adv_predict_or_unpredict_dc: one fold by 2049 into -1024..1024."""
    folded = error.copy()
    folded[folded < -WRAP_HALF] += 2 * WRAP_HALF + 1
    folded[folded > WRAP_HALF] -= 2 * WRAP_HALF + 1
    return folded


def _trunc_div(a: np.ndarray, b: int) -> np.ndarray:
    return np.sign(a) * (np.abs(a) // b)


def dc_prediction(
    coefficients: np.ndarray, quant: np.ndarray, rows: np.ndarray | None = None
) -> DcPrediction:
    """Recompute adv_predict_dc_pix for one component (or for some of its block rows).

    The first row has only left neighbours, the first column only upper ones,
    the first block none.  Lepton's threads each start a band of rows as if
    it were the first row, so `worst` also takes every row as a first row.
    With `rows`, the arrays returned cover those rows only, in increasing order.
    """
    high, wide = coefficients.shape[:2]
    target = np.arange(high) if rows is None else np.unique(np.asarray(rows))
    need = np.unique(np.concatenate([target, target[target > 0] - 1]))
    summary = edge_summary(coefficients[need], quant)
    here = np.searchsorted(need, target)
    above = np.searchsorted(need, np.maximum(target - 1, 0))
    q0 = int(quant.reshape(8, 8)[0, 0])
    dc_need = coefficients[need, :, 0, 0].astype(np.int64)
    right = _to_i16(summary.right + (dc_need * q0)[..., None])  # handed to the right neighbour
    bottom = _to_i16(summary.bottom + (dc_need * q0)[..., None])
    dc = dc_need[here]

    horiz = np.zeros((len(target), wide, 8), np.int64)
    vert = np.zeros((len(target), wide, 8), np.int64)
    horiz[:, 1:] = _to_i16(right[here][:, :-1] - summary.left[here][:, 1:])
    vert[:] = _to_i16(bottom[above] - summary.top[here])
    first_row = target == 0
    vert[first_row] = 0
    sum_h, sum_v = horiz.sum(-1), vert.sum(-1)

    def predict(avg_h: np.ndarray, avg_v: np.ndarray) -> np.ndarray:
        avgmed = (avg_v + avg_h) >> 1
        return (_trunc_div(avgmed, q0) + 4) >> 3

    both = predict(sum_h, sum_v)
    left_only = predict(sum_h, sum_h)
    above_only = predict(sum_v, sum_v)
    prediction = both.copy()
    prediction[first_row, :] = left_only[first_row, :]
    prediction[:, 0] = above_only[:, 0]
    prediction[first_row, 0] = 0
    error = dc - prediction

    # Layout where every row starts a thread band: left only (first column: none).
    band_start = left_only.copy()
    band_start[:, 0] = 0
    worst = np.maximum(np.abs(error), np.abs(dc - band_start))

    # Contexts: spread of the 16 estimates, and how far the further side is from the mean.
    only_h = np.zeros((len(target), wide), bool)
    only_h[first_row, :] = True
    only_v = np.zeros((len(target), wide), bool)
    only_v[:, 0] = True
    estimates = np.concatenate([horiz, vert], axis=-1)
    spread = estimates.max(-1) - estimates.min(-1)
    spread = np.where(only_h & ~only_v, horiz.max(-1) - horiz.min(-1), spread)
    spread = np.where(only_v & ~only_h, vert.max(-1) - vert.min(-1), spread)
    avgmed = (sum_v + sum_h) >> 1
    far = np.where(np.abs(sum_h - avgmed) < np.abs(sum_v - avgmed), sum_h - avgmed, sum_v - avgmed)
    far = np.where(only_h | only_v, 0, far)
    uncertainty = spread >> 3
    uncertainty2 = far >> 3
    uncertainty[only_h & only_v] = 0
    uncertainty2[only_h & only_v] = 0
    return DcPrediction(error, worst, uncertainty, uncertainty2, target)
