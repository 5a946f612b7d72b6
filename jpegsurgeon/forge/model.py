"""Lepton's DC prediction, recomputed exactly in numpy.

Lepton codes a block's DC last, as the error of a prediction made from the
block's edge pixels (its AC coefficients through Lepton's integer IDCT, DC
left out, continued one pixel past the border) and its left and upper
neighbours' edge pixels continued towards it.  The error is folded once by
2049 into -1024..1024 and coded in contexts drawn from the spread of the
sixteen border estimates (`uncertainty`) and from how far the horizontal and
vertical estimates disagree (`uncertainty2`).  This module recomputes all of
it bit for bit, so the forge passes can steer the errors, and keep every one
within the bound Lepton accepts, without running Lepton.  Written from a
reading of microsoft/lepton_jpeg_rust (structs/idct.rs, probability_tables.rs,
lepton_encoder.rs, model.rs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..challenge import LEPTON_DC_RANGE

# The integer IDCT's constants: 2048 * sqrt(2) * cos(k * pi / 16), and 256 / sqrt(2).
_W1, _W2, _W3, _W5, _W6, _W7 = 2841, 2676, 2408, 1609, 1108, 565
_R2 = 181

# The fold: errors beyond +-FOLD_HALF move by 2 * FOLD_HALF + 1 (once).
FOLD_HALF = LEPTON_DC_RANGE

# The 14 edge positions in the order the forge passes name them: first row
# (0,1)..(0,7), then first column (1,0)..(7,0).
EDGE_ROWS = np.array([0] * 7 + list(range(1, 8)))
EDGE_COLS = np.array(list(range(1, 8)) + [0] * 7)

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


def to_i16(values: np.ndarray) -> np.ndarray:
    """Wrap to a signed 16-bit value, as Lepton's i16 arithmetic does."""
    return ((values + 32768) & 0xFFFF) - 32768


def pixels_sans_dc(dequantized: np.ndarray) -> np.ndarray:
    """Lepton's IDCT of (n, 8, 8) dequantized blocks with the DC zeroed: 8x pixel values.

    In int32, which wraps on overflow exactly as Lepton's i32 arithmetic does.
    A block without AC still comes out as 4 everywhere (the rounding bias).
    """
    d = dequantized.astype(np.int32)
    d[:, 0, 0] = 0
    rows = _idct_pass([d[:, :, k] for k in range(8)], True)  # each (n, 8 rows v), per column x
    inter = np.stack(rows, axis=-1)  # (n, v, x)
    cols = _idct_pass([inter[:, v, :] for v in range(8)], False)  # each (n, x), per output row y
    return to_i16(np.stack(cols, axis=1)).astype(np.int64)  # (n, y, x)


def _extrapolate(a1: np.ndarray, a2: np.ndarray) -> np.ndarray:
    """a1 + (a1 - a2) / 2 with the halving rounded toward zero, as calc_pred."""
    delta = a1 - a2
    half = np.where(delta < 0, -((-delta) >> 1), delta >> 1)
    return to_i16(a1 + half)


@dataclass
class EdgeSummary:
    """Per block (..., 8): the block's own extrapolated edges and those it
    hands to its right and lower neighbours (DC not yet added)."""

    left: np.ndarray  # h_pred: column 0 continued leftwards
    top: np.ndarray  # v_pred: row 0 continued upwards
    right: np.ndarray  # next_edge_pixels_h: column 7 continued rightwards
    bottom: np.ndarray  # next_edge_pixels_v: row 7 continued downwards


def edge_pixels(blocks: np.ndarray, quant: np.ndarray) -> EdgeSummary:
    """Extrapolated edge pixels of (n, 8, 8) quantized blocks (their DC ignored)."""
    q = quant.astype(np.int64).reshape(8, 8)
    parts: dict[str, list[np.ndarray]] = {"left": [], "top": [], "right": [], "bottom": []}
    for start in range(0, max(len(blocks), 1), _CHUNK):
        pixels = pixels_sans_dc(blocks[start : start + _CHUNK].astype(np.int64) * q)
        parts["top"].append(_extrapolate(pixels[:, 0, :], pixels[:, 1, :]))
        parts["left"].append(_extrapolate(pixels[:, :, 0], pixels[:, :, 1]))
        parts["bottom"].append(_extrapolate(pixels[:, 7, :], pixels[:, 6, :]))
        parts["right"].append(_extrapolate(pixels[:, :, 7], pixels[:, :, 6]))
    return EdgeSummary(**{k: np.concatenate(v) for k, v in parts.items()})


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indexes of one representative per distinct row, inverse) of a 2-D int array."""
    if len(rows) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    values = np.ascontiguousarray(rows.astype(np.int64))
    # A polynomial hash; the check below falls back to an exact sort on a collision.
    key = np.zeros(len(values), np.uint64)
    with np.errstate(over="ignore"):
        for column in values.T:
            key = key * np.uint64(0x9E3779B97F4A7C15) + column.astype(np.uint64)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not (values[first][inverse] == values).all():
        packed = values.view(np.dtype((np.void, values.dtype.itemsize * values.shape[1])))
        _, first, inverse = np.unique(packed.ravel(), return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    return first, inverse


def edge_summary(coefficients: np.ndarray, quant: np.ndarray) -> EdgeSummary:
    """Extrapolated edge pixels of every block of one component (or of some rows)."""
    shape = coefficients.shape[:2]
    flat = coefficients.reshape(-1, 64)
    ac = flat.copy()
    ac[:, 0] = 0
    # Forged images repeat a few block patterns: run the IDCT once per distinct block.
    first, inverse = distinct_rows(ac)
    summary = edge_pixels(ac[first].reshape(-1, 8, 8), quant)
    sides = ("left", "top", "right", "bottom")
    return EdgeSummary(**{k: getattr(summary, k)[inverse].reshape(*shape, 8) for k in sides})


def fold(error: np.ndarray) -> np.ndarray:
    """adv_predict_or_unpredict_dc: one fold by 2049 into -1024..1024."""
    folded = np.array(error, copy=True)
    folded[folded < -FOLD_HALF] += 2 * FOLD_HALF + 1
    folded[folded > FOLD_HALF] -= 2 * FOLD_HALF + 1
    return folded


def bit_length(values: np.ndarray) -> np.ndarray:
    """Bits of |value| (0 for 0), as Lepton's u16_bit_length / u32_bit_length."""
    return np.frexp(np.abs(values).astype(np.float64))[1]


def _trunc_div(a: np.ndarray, b: int) -> np.ndarray:
    return np.sign(a) * (np.abs(a) // b)


@dataclass
class Estimates:
    """What adv_predict_dc_pix makes of a block's 8 horizontal and 8 vertical
    border estimates (DC multiplied by its quantizer already in them)."""

    prediction: np.ndarray  # the predicted DC, in the layout Lepton uses here
    band_start: np.ndarray  # the prediction were this row the first of a thread band
    uncertainty: np.ndarray  # spread of the estimates >> 3 (the exponent context)
    uncertainty2: np.ndarray  # the horizontal/vertical disagreement >> 3 (its other context)


def predict(
    horiz: np.ndarray, vert: np.ndarray, has_left: np.ndarray, has_above: np.ndarray, q0: int
) -> Estimates:
    """Lepton's DC prediction from per-pixel estimates (..., 8).

    `has_left` and `has_above` broadcast against the estimates without their
    last axis; where a neighbour is absent its estimates are ignored.  A
    thread band's first row has no upper neighbour, so `band_start` is the
    left-only prediction (none in the first column).
    """
    sum_h = horiz.sum(-1)
    sum_v = vert.sum(-1)
    both = has_left & has_above
    has_left = np.broadcast_to(has_left, sum_h.shape)
    has_above = np.broadcast_to(has_above, sum_h.shape)
    both = np.broadcast_to(both, sum_h.shape)

    def divide(avgmed: np.ndarray) -> np.ndarray:
        return (_trunc_div(avgmed, q0) + 4) >> 3

    left_only = divide(sum_h)  # avgmed of (h, h)
    prediction = np.where(
        both,
        divide((sum_v + sum_h) >> 1),
        np.where(has_left, left_only, np.where(has_above, divide(sum_v), 0)),
    )
    band_start = np.where(has_left, left_only, 0)
    high_h, low_h = horiz.max(-1), horiz.min(-1)
    high_v, low_v = vert.max(-1), vert.min(-1)
    spread = np.where(
        both,
        np.maximum(high_h, high_v) - np.minimum(low_h, low_v),
        np.where(has_left, high_h - low_h, np.where(has_above, high_v - low_v, 0)),
    )
    avgmed = (sum_v + sum_h) >> 1
    far = np.where(np.abs(sum_h - avgmed) < np.abs(sum_v - avgmed), sum_h - avgmed, sum_v - avgmed)
    far = np.where(both, far, 0)
    return Estimates(prediction, band_start, spread >> 3, far >> 3)


@dataclass
class DcPrediction:
    """Lepton's DC prediction for every block of one component (or of some rows)."""

    error: np.ndarray  # (rows, wide) DC minus prediction, before folding
    worst: np.ndarray  # largest |error| over the layouts Lepton may use (thread starts)


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
    right = to_i16(summary.right + (dc_need * q0)[..., None])  # handed to the right neighbour
    bottom = to_i16(summary.bottom + (dc_need * q0)[..., None])
    horiz = np.zeros((len(target), wide, 8), np.int64)
    horiz[:, 1:] = to_i16(right[here][:, :-1] - summary.left[here][:, 1:])
    vert = to_i16(bottom[above] - summary.top[here])
    has_left = (np.arange(wide) > 0)[None, :]
    has_above = (target > 0)[:, None]
    found = predict(horiz, vert, has_left, has_above, q0)
    dc = dc_need[here]
    error = dc - found.prediction
    worst = np.maximum(np.abs(error), np.abs(dc - found.band_start))
    return DcPrediction(error, worst)
