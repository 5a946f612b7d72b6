"""The jxl-steer pass: reorder each block's AC symbols so that JPEG XL pays the most.

A block's AC coefficients are, to JPEG, a list of (zero run, value) pairs.
Any reordering of that list keeps every Huffman symbol and the block's end,
so a sequential JPEG keeps exactly its size; but it moves the nonzero
positions, which JPEG XL codes one by one in contexts of its own
(forge/jxl_model.py).  Blocks are taken in raster order, a batch at a time;
each keeps, of a few random orders of its own pairs, the one whose tokens
cost most under the counts of the blocks placed so far, walked in the
coefficient order JPEG XL will derive from the finished channel's densities.
That makes JPEG XL's per-context statistics as flat as the pairs allow.
"""

from __future__ import annotations

import numpy as np

from ..errors import JpegError
from ..forge import jxl_model
from ..model import NATURAL_TO_ZIGZAG, ZIGZAG_TO_NATURAL, JpegImage
from . import register
from .randomize_signs import select_components


def block_pairs(zigzag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each block's (run, value) pairs in zigzag order, padded: runs and values
    (blocks, 63) and the count of pairs per block."""
    ac = zigzag[:, 1:]
    nonzero = ac != 0
    counts = nonzero.sum(axis=1)
    # the k-th nonzero of a block: its position, then the zeros before it
    slot = np.cumsum(nonzero, axis=1) - 1
    block, position = np.nonzero(nonzero)
    positions = np.zeros(ac.shape, np.int64)
    values = np.zeros(ac.shape, np.int64)
    positions[block, slot[block, position]] = position + 1
    values[block, slot[block, position]] = ac[block, position]
    previous = np.concatenate([np.zeros((len(ac), 1), np.int64), positions[:, :-1]], axis=1)
    runs = np.where(np.arange(63) < counts[:, None], positions - previous - 1, 0)
    return runs, values, counts


def place(runs: np.ndarray, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Zigzag blocks (..., 64) from pairs (..., m) of which `counts` are used."""
    used = np.arange(runs.shape[-1]) < counts[..., None]
    positions = np.where(used, np.cumsum(runs + 1, axis=-1), 0)
    zigzag = np.zeros((*runs.shape[:-1], 64), np.int64)
    np.put_along_axis(zigzag, positions, np.where(used, values, 0), axis=-1)
    zigzag[..., 0] = 0
    return zigzag


def steer(
    runs: np.ndarray,
    values: np.ndarray,
    counts: np.ndarray,
    rng: np.random.Generator,
    candidates: int,
    batch: int,
    alpha: float = 2.0,
) -> np.ndarray:
    """One channel's blocks (zigzag, DC 0), each pair list reordered to cost
    JPEG XL most: candidate 0 is the order as given."""
    total = len(runs)
    unsteered = (place(runs, values, counts) != 0).mean(axis=0)
    token_counts = np.zeros((jxl_model.CONTEXTS, jxl_model.TOKENS))
    placed = np.zeros(64)
    out = np.zeros((total, 64), np.int64)
    for start in range(0, total, batch):
        end = min(total, start + batch)
        size = end - start
        # the order JPEG XL will take from the whole channel: placed blocks as
        # they are, the rest at the density they had before steering
        order = jxl_model.coefficient_order(total - (placed + unsteered * (total - start)))
        here = counts[start:end]
        width = max(int(here.max()), 1)
        index = np.arange(width)
        keys = rng.random((size, candidates, width))
        keys[:, 0, :] = index  # the order as given
        keys = np.where(index < here[:, None, None], keys, 100.0 + index)  # padding stays last
        permutation = np.argsort(keys, axis=-1)
        shape = permutation.shape
        tried_runs = np.take_along_axis(np.broadcast_to(runs[start:end, None, :width], shape),
                                        permutation, axis=-1)  # fmt: skip
        tried_values = np.take_along_axis(np.broadcast_to(values[start:end, None, :width], shape),
                                          permutation, axis=-1)  # fmt: skip
        tried_counts = np.broadcast_to(here[:, None], (size, candidates))
        blocks = place(tried_runs, tried_values, tried_counts)
        context, token, coded = jxl_model.tokens(blocks, tried_counts, order)
        lengths = jxl_model.code_lengths(token_counts, alpha)
        choice = np.argmax((lengths[context, token] * coded).sum(axis=-1), axis=1)
        rows = np.arange(size)
        out[start:end] = blocks[rows, choice]
        placed += (out[start:end] != 0).sum(axis=0)
        kept = coded[rows, choice]
        cells = context[rows, choice][kept] * jxl_model.TOKENS + token[rows, choice][kept]
        token_counts += np.bincount(cells, minlength=token_counts.size).reshape(token_counts.shape)
    return out


@register("jxl-steer")
def jxl_steer(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    candidates: int = 32,
    batch: int = 512,
    components: str = "all",
) -> tuple[JpegImage, dict]:
    """Reorder each block's AC (run, value) pairs so that JPEG XL codes them dearly.

    The same pairs in another order: a sequential JPEG keeps every Huffman
    symbol, so its size does not change (byte stuffing aside), while JPEG
    XL's statistics flatten.  Each block keeps the costliest of `candidates`
    random orders (the first is its own) under a running model of JPEG XL's
    AC contexts, blocks in raster order, `batch` at a time.  The image's
    content is scrambled as scramble-ac scrambles it; DC stays.

    Args:
        candidates: orders tried per block (1 keeps the image as it is)
        batch: blocks chosen together between model updates
        components: all, luma, chroma, or indexes such as 0,2
    """
    if candidates < 1 or batch < 1:
        raise JpegError(f"jxl-steer: candidates={candidates}, batch={batch}: expected 1 or more")
    arrays = {}
    moved = blocks = 0
    for index in select_components(image, components):
        coefficients = image.components[index].coefficients
        grid = coefficients.shape[:2]
        natural = coefficients.reshape(-1, 64).astype(np.int64)
        zigzag = natural[:, ZIGZAG_TO_NATURAL]
        runs, values, counts = block_pairs(zigzag)
        steered = steer(runs, values, counts, rng, candidates, batch)
        steered[:, 0] = zigzag[:, 0]
        moved += int((steered != zigzag).any(axis=1).sum())
        blocks += len(zigzag)
        natural = np.ascontiguousarray(steered[:, NATURAL_TO_ZIGZAG], dtype=np.int16)
        arrays[index] = natural.reshape(*grid, 8, 8)
    return image.with_coefficients(arrays), {"blocks": blocks, "blocks_reordered": moved}
