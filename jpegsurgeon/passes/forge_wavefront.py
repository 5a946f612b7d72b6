"""The edge-wavefront pass: edge content chosen block by block against Lepton's DC coder."""

from __future__ import annotations

import numpy as np

from ..challenge import LEPTON_DC_ERROR_LIMIT
from ..errors import JpegError
from ..forge.model import (
    EDGE_COLS,
    EDGE_ROWS,
    bit_length,
    distinct_rows,
    edge_pixels,
    fold,
    predict,
    to_i16,
)
from ..model import Component, JpegImage
from . import register
from .randomize_signs import select_components

_EXPONENT_CONTEXTS = (12, 17)  # bit lengths of |uncertainty| (clamped to 11) and |uncertainty2|
_ROW_BINS = 32  # per-row histogram of coded errors, over -2048..2048
# Largest set of candidate edge vectors worked out in advance for a component;
# beyond it (photos: every block differs) candidates are drawn wave by wave.
_LIBRARY_LIMIT = 1 << 18


@register("edge-wavefront")
def edge_wavefront(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    choices: int = 16,
    row_weight: float = 1.0,
    limit: int = LEPTON_DC_ERROR_LIMIT,
    components: str = "all",
) -> tuple[JpegImage, dict]:
    """Re-choose every block's edge coefficients so Lepton's coded DC errors cost it most.

    Blocks are visited in anti-diagonal waves (left and upper neighbours
    first, as Lepton's DC prediction needs them).  Each block gets `choices`
    candidates: its own edge coefficients, then redraws of each nonzero one
    with a random sign and magnitude from the same JPEG category, so that
    JPEG codes every candidate in the same number of bits.  Each candidate's
    DC prediction error and Lepton contexts are computed exactly, and the
    block takes the one whose error Lepton would code most expensively given
    the errors chosen so far (per exponent context, sign context and block
    row), among those whose error, in every layout Lepton's threads may use,
    stays within `limit`.  When none does, the block's edges are cleared;
    when even that fails the block keeps the candidate with the smallest
    error and the pass reports it (run dc-guard after).  Interior
    coefficients and DCs are never changed.

    Args:
        choices: candidates per block (1 keeps the edges, clearing only where needed)
        row_weight: weight of spreading the errors within each block row
        limit: largest DC prediction error allowed (Lepton refuses more than 4096)
        components: all, luma, chroma, or indexes such as 0,2
    """
    if choices < 1:
        raise JpegError(f"edge-wavefront: choices={choices}: expected at least 1")
    if not 0 < limit <= LEPTON_DC_ERROR_LIMIT:
        raise JpegError(f"edge-wavefront: limit={limit}: expected 1..{LEPTON_DC_ERROR_LIMIT}")
    if row_weight < 0:
        raise JpegError(f"edge-wavefront: row_weight={row_weight}: expected a value >= 0")
    chooser = _Chooser(row_weight)
    totals = {"blocks": 0, "cleared": 0, "over_limit": 0, "worst": 0}
    # Components with the same block grid advance through their waves together.
    groups: dict[tuple[int, int], list[int]] = {}
    for index in select_components(image, components):
        groups.setdefault(image.components[index].coefficients.shape[:2], []).append(index)
    arrays: dict[int, np.ndarray] = {}
    for indexes in groups.values():
        planes = [_Plane(index, image.components[index], choices) for index in indexes]
        _run_waves(planes, choices, limit, chooser, rng, totals)
        arrays.update({plane.index: plane.coefficients for plane in planes})
    return image.with_coefficients(arrays), totals


class _Plane:
    """One component being rewritten: its candidates and what its chosen blocks hand on."""

    def __init__(self, index: int, component: Component, choices: int) -> None:
        self.index = index
        self.color = 0 if index == 0 else 1  # Lepton's models: luma, and chroma together
        self.coefficients = component.coefficients.copy()
        self.quant = component.quant_values.astype(np.int64).reshape(8, 8)
        self.q0 = int(self.quant[0, 0])
        high, wide = self.coefficients.shape[:2]
        self.right = np.zeros((high, wide, 8), np.int32)  # chosen right edges, DC added
        self.bottom = np.zeros((high, wide, 8), np.int32)
        self.row_counts = np.ones((high, _ROW_BINS))  # coded errors chosen, per block row
        flat = self.coefficients.reshape(-1, 64)
        rest = flat.copy()
        rest[:, 0] = 0
        rest.reshape(-1, 8, 8)[:, EDGE_ROWS, EDGE_COLS] = 0
        if rest.any():
            first, inverse = distinct_rows(rest)
        else:  # forged images: no interior at all
            first, inverse = np.zeros(1, np.int64), np.zeros(len(rest), np.int64)
        self.interiors = rest[first]  # distinct non-edge AC contents
        self.interior = inverse.reshape(high, wide)
        edges = flat.reshape(-1, 8, 8)[:, EDGE_ROWS, EDGE_COLS]
        self.library = _Library.build(self, edges, choices)

    def candidates(
        self, rows: np.ndarray, cols: np.ndarray, choices: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate edges (n, choices + 1, 14) of the blocks given and their edge
        pixels (n, choices + 1, 4, 8): own edges first, cleared edges last."""
        if self.library is not None:
            return self.library.candidates(rows, cols, choices, rng)
        edges = self.coefficients[rows, cols][:, EDGE_ROWS, EDGE_COLS]
        drawn = _redraw(edges, choices, rng)
        interior = np.repeat(self.interior[rows, cols], choices + 1)
        pixels = self.pixels(interior, drawn.reshape(-1, 14))
        return drawn, pixels.reshape(len(rows), choices + 1, 4, 8)

    def pixels(self, interior: np.ndarray, edges: np.ndarray) -> np.ndarray:
        """(n, 4, 8) left, top, right and bottom edge pixels of blocks made of the
        interiors (ids) and edges given, one IDCT per distinct block."""
        first, inverse = distinct_rows(np.concatenate([interior[:, None], edges], axis=1))
        blocks = self.interiors[interior[first]].reshape(-1, 8, 8).copy()
        blocks[:, EDGE_ROWS, EDGE_COLS] = edges[first]
        found = edge_pixels(blocks, self.quant)
        stacked = np.stack([found.left, found.top, found.right, found.bottom], 1)
        return stacked.astype(np.int32)[inverse]


def _category_low(edges: np.ndarray) -> np.ndarray:
    """Smallest magnitude of each coefficient's JPEG category (0 for zero)."""
    magnitude = np.abs(edges.astype(np.int64))
    return np.where(magnitude > 0, 1 << np.maximum(bit_length(magnitude) - 1, 0), 0)


def _redraw(edges: np.ndarray, choices: int, rng: np.random.Generator) -> np.ndarray:
    """(n, choices + 1, 14): the edges, `choices - 1` redraws of every nonzero one
    within its category with a random sign, and cleared edges."""
    n = len(edges)
    low = _category_low(edges)
    out = np.zeros((n, choices + 1, 14), np.int64)
    out[:, 0] = edges
    if choices > 1:
        draw = rng.random((n, choices - 1, 14))
        sign = rng.integers(0, 2, (n, choices - 1, 14)) * 2 - 1
        redrawn = low[:, None, :] + (draw * low[:, None, :]).astype(np.int64)
        out[:, 1:choices] = np.where(low[:, None, :] > 0, sign * redrawn, 0)
    return out


class _Library:
    """Every edge vector a component's candidates can take, worked out in advance.

    Blocks with the same interior and the same JPEG categories at the same
    edge positions (a "shape") share their candidates: every combination of
    sign and magnitude within those categories.  Forged images have a few
    hundred shapes, so the edge pixels of all candidates come from one IDCT
    pass and each wave only draws combination numbers.
    """

    def __init__(
        self,
        shape_of: np.ndarray,
        own: np.ndarray,
        offsets: np.ndarray,
        sizes: np.ndarray,
        cleared: np.ndarray,
        vectors: np.ndarray,
        pixels: np.ndarray,
    ) -> None:
        self.shape_of = shape_of  # (high, wide) shape of each block
        self.own = own  # (high, wide) the library entry of each block's own edges
        self.offsets = offsets  # first entry of each shape
        self.sizes = sizes  # combinations of each shape
        self.cleared = cleared  # entry of each shape's interior with edges cleared
        self.vectors = vectors  # (entries, 14)
        self.pixels = pixels  # (entries, 4, 8)

    @classmethod
    def build(cls, plane: _Plane, edges: np.ndarray, choices: int) -> _Library | None:
        high, wide = plane.interior.shape
        low = _category_low(edges)
        keys = np.concatenate([plane.interior.reshape(-1, 1), low], axis=1)
        first, shape_of = distinct_rows(keys)
        shape_low = low[first]  # (shapes, 14)
        values = np.where(shape_low > 0, 2 * shape_low, 1)  # choices per slot
        if choices <= 1:
            return None  # nothing to draw: the wave by wave path is as quick
        with np.errstate(over="ignore"):
            sizes = np.prod(values.astype(np.float64), axis=1)
        if sizes.sum() + len(first) > _LIBRARY_LIMIT:
            return None
        sizes = sizes.astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        total = int(sizes.sum())
        # Entry e of shape s: mixed-radix digits of e - offset over the slots.
        entry_shape = np.repeat(np.arange(len(sizes)), sizes)
        digits = np.arange(total) - offsets[entry_shape]
        vectors = np.zeros((total, 14), np.int64)
        for slot in range(14):
            radix = values[entry_shape, slot]
            digit = digits % radix
            digits //= radix
            slot_low = shape_low[entry_shape, slot]
            magnitude = slot_low + digit // 2
            vectors[:, slot] = np.where(slot_low > 0, np.where(digit % 2, -1, 1) * magnitude, 0)
        interiors = plane.interior.reshape(-1)[first]
        # one extra entry per shape: its interior with the edges cleared
        cleared = np.arange(total, total + len(first))
        vectors = np.concatenate([vectors, np.zeros((len(first), 14), np.int64)])
        entry_interior = np.concatenate([interiors[entry_shape], interiors])
        pixels = plane.pixels(entry_interior, vectors)
        # each block's own edges, as an entry of its shape
        own = _own_entries(edges, shape_low, shape_of, offsets, values)
        return cls(
            shape_of.reshape(high, wide),
            own.reshape(high, wide),
            offsets,
            sizes,
            cleared,
            vectors,
            pixels,
        )

    def candidates(
        self, rows: np.ndarray, cols: np.ndarray, choices: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        shape = self.shape_of[rows, cols]
        entries = np.empty((len(rows), choices + 1), np.int64)
        entries[:, 0] = self.own[rows, cols]
        if choices > 1:
            draw = rng.random((len(rows), choices - 1))
            combos = (draw * self.sizes[shape][:, None]).astype(np.int64)
            entries[:, 1:choices] = self.offsets[shape][:, None] + combos
        entries[:, choices] = self.cleared[shape]
        return self.vectors[entries], self.pixels[entries]


def _own_entries(
    edges: np.ndarray,
    shape_low: np.ndarray,
    shape_of: np.ndarray,
    offsets: np.ndarray,
    values: np.ndarray,
) -> np.ndarray:
    """The library entry holding each block's own edge vector."""
    low = shape_low[shape_of]
    radix = values[shape_of]
    magnitude = np.abs(edges.astype(np.int64))
    digit = np.where(low > 0, 2 * (magnitude - low) + (edges < 0), 0)
    place = np.cumprod(np.concatenate([np.ones((len(radix), 1), np.int64), radix[:, :-1]], 1), 1)
    return offsets[shape_of] + (digit * place).sum(1)


class _Chooser:
    """Running statistics of the errors chosen, in Lepton's DC contexts."""

    def __init__(self, row_weight: float) -> None:
        self.exponents = np.ones((*_EXPONENT_CONTEXTS, 12))  # counts of coded bit lengths
        self.exponent_totals = self.exponents.sum(-1)
        self.signs = np.ones((2, 3, 2))  # color, sign of uncertainty2, sign of the error
        self.row_weight = row_weight

    def score(
        self,
        coded: np.ndarray,
        uncertainty: np.ndarray,
        uncertainty2: np.ndarray,
        colors: np.ndarray,
        row_counts: np.ndarray,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """Bits Lepton's DC coder would spend on each candidate's error, about:
        its bit length in its exponent context, its sign in its sign context,
        the residual bits as they are, and how rare it is in its block row."""
        exponent_context = np.minimum(bit_length(uncertainty), 11)
        second_context = np.minimum(bit_length(uncertainty2), 16)
        length = np.minimum(bit_length(coded), 11)
        seen = self.exponents[exponent_context, second_context, length]
        bits = -np.log2(seen / self.exponent_totals[exponent_context, second_context])
        bits += np.maximum(length - 1, 0)  # residual bits: as good as random
        sign_context = np.sign(uncertainty2) + 1
        positive = (coded > 0).astype(np.int64)
        signs = self.signs[colors, sign_context]
        sign_share = self.signs[colors, sign_context, positive] / signs.sum(-1)
        bits += np.where(coded != 0, -np.log2(sign_share), 0.0)
        spread = np.clip((coded + 2048) * _ROW_BINS // 4097, 0, _ROW_BINS - 1)
        if self.row_weight:
            in_row = np.take_along_axis(row_counts, spread, -1)
            bits -= self.row_weight * np.log2(in_row / row_counts.sum(-1, keepdims=True))
        return bits, (exponent_context, second_context, length, sign_context, positive, spread)

    def record(self, keys: tuple[np.ndarray, ...], colors: np.ndarray, coded: np.ndarray) -> None:
        exponent_context, second_context, length, sign_context, positive, _ = keys
        np.add.at(self.exponents, (exponent_context, second_context, length), 1)
        np.add.at(self.exponent_totals, (exponent_context, second_context), 1)
        nonzero = coded != 0
        np.add.at(self.signs, (colors[nonzero], sign_context[nonzero], positive[nonzero]), 1)


def _run_waves(
    planes: list[_Plane],
    choices: int,
    limit: int,
    chooser: _Chooser,
    rng: np.random.Generator,
    totals: dict[str, int],
) -> None:
    """Visit the planes' blocks wave by wave, all planes of a wave at once."""
    high, wide = planes[0].coefficients.shape[:2]
    width = choices + 1
    count = len(planes)
    colors = np.array([plane.color for plane in planes])
    q0 = np.array([plane.q0 for plane in planes], np.int32)[:, None]
    for wave in range(high + wide - 1):
        rows = np.arange(max(0, wave - wide + 1), min(high, wave + 1))
        cols = wave - rows
        n = len(rows)
        drawn = [plane.candidates(rows, cols, choices, rng) for plane in planes]
        candidates = np.stack([d[0] for d in drawn])  # (count, n, width, 14)
        pixels = np.stack([d[1] for d in drawn])  # (count, n, width, 4, 8)
        left_cols, upper_rows = np.maximum(cols - 1, 0), np.maximum(rows - 1, 0)
        from_left = np.stack([p.right[rows, left_cols] for p in planes])[:, :, None, :]
        from_above = np.stack([p.bottom[upper_rows, cols] for p in planes])[:, :, None, :]
        horiz = to_i16(from_left - pixels[..., 0, :])
        vert = to_i16(from_above - pixels[..., 1, :])
        dc = np.stack([p.coefficients[rows, cols, 0, 0] for p in planes]).astype(np.int32)
        found = predict(horiz, vert, (cols > 0)[None, :, None], (rows > 0)[None, :, None],
                        q0[..., None])  # fmt: skip
        error = dc[..., None] - found.prediction
        worst = np.maximum(np.abs(error), np.abs(dc[..., None] - found.band_start))
        coded = fold(error)
        color = np.broadcast_to(colors[:, None, None], coded.shape)
        row_counts = np.stack([p.row_counts[rows] for p in planes])  # (count, n, bins)
        bits, keys = chooser.score(coded, found.uncertainty, found.uncertainty2, color,
                                   row_counts)  # fmt: skip
        bits += rng.random(bits.shape) * 1e-3  # ties go by chance, not by position
        allowed = worst <= limit
        bits[..., -1] = -1e6  # cleared edges: only when nothing else is allowed
        bits = np.where(allowed, bits, -np.inf)
        pick = bits.argmax(-1)
        stuck = ~allowed.any(-1)
        if stuck.any():  # nothing allowed: the smallest error, for dc-guard to repair
            pick[stuck] = worst[stuck].argmin(-1)
        take = (np.arange(count)[:, None], np.arange(n)[None, :], pick)
        totals["blocks"] += count * n
        totals["cleared"] += int(((pick == width - 1) & ~stuck).sum())
        totals["over_limit"] += int(stuck.sum())
        totals["worst"] = max(totals["worst"], int(worst[take].max(initial=0)))
        chooser.record(tuple(k[take] for k in keys), color[take], coded[take])
        chosen = candidates[take]
        spread = keys[-1][take]
        dc_value = (dc * q0)[..., None]
        right = to_i16(pixels[take][..., 2, :] + dc_value)
        bottom = to_i16(pixels[take][..., 3, :] + dc_value)
        for k, plane in enumerate(planes):
            np.add.at(plane.row_counts, (rows, spread[k]), 1)
            block = plane.coefficients[rows, cols]
            block[:, EDGE_ROWS, EDGE_COLS] = chosen[k]
            plane.coefficients[rows, cols] = block
            plane.right[rows, cols] = right[k]
            plane.bottom[rows, cols] = bottom[k]
