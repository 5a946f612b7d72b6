"""The forge-chains pass: AC blocks that JPEG codes cheaply and position coders do not.

JPEG codes a nonzero AC coefficient together with the zero run before it, one
Huffman symbol (run, size) per pair.  JPEG XL codes AC position by position
(contexts: nonzeros still to come, the position, the previous coefficient)
and Lepton by position and magnitude; neither remembers runs.  A block made
as a chain of a few (run, size) symbols, drawn from a mixture, costs JPEG
about the mixture's entropy per symbol, and costs the position coders the
positions and categories that the runs tie together but they see apart.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import JpegError
from ..model import ZIGZAG_TO_NATURAL, JpegImage
from . import register
from .randomize_signs import select_components

_SYMBOL = re.compile(r"^\s*(\d+)/(\d+):([0-9.eE+-]+)\s*$")


def parse_symbols(text: str) -> tuple[tuple[int, int, float], ...]:
    """`run/size:weight,...` (run 0..15, size 1..10, weights > 0) as tuples."""
    symbols = []
    for part in text.split(","):
        match = _SYMBOL.match(part)
        if match is None:
            raise JpegError(f"forge-chains symbols={text!r}: expected run/size:weight, ...")
        run, size, weight = int(match[1]), int(match[2]), float(match[3])
        if not (0 <= run <= 15 and 1 <= size <= 10 and weight > 0):
            raise JpegError(
                f"forge-chains symbols={text!r}: {part.strip()}: run must lie in 0..15, "
                "size in 1..10 and the weight above 0"
            )
        symbols.append((run, size, weight))
    return tuple(symbols)


def format_symbols(symbols: tuple[tuple[int, int, float], ...]) -> str:
    """The text parse_symbols reads back."""
    return ",".join(f"{run}/{size}:{weight:g}" for run, size, weight in symbols)


def chain_blocks(
    count: int,
    symbols: tuple[tuple[int, int, float], ...],
    rng: np.random.Generator,
    stop: float = 0.0,
) -> np.ndarray:
    """`count` blocks (natural order, DC 0), each a chain of symbols drawn from
    the mixture until the next would pass position 63, or until the chain
    stops early (after each symbol, with probability `stop`); then EOB."""
    runs, sizes, weights = (np.array(column) for column in zip(*symbols))
    draws = rng.choice(len(symbols), size=(count, 63), p=weights / weights.sum())
    # the k-th coefficient of a block sits at zigzag position sum(run_j + 1, j <= k)
    positions = np.cumsum(runs[draws] + 1, axis=1)
    if stop > 0:  # symbols past a geometric length count as past the block's end
        lengths = rng.geometric(stop, size=count)
        positions[np.arange(63)[None, :] >= lengths[:, None]] = 64
    bits = sizes[draws]
    low = np.left_shift(1, bits - 1)
    magnitudes = low + (rng.random((count, 63)) * low).astype(np.int64)  # within the size
    signs = np.where(rng.random((count, 63)) < 0.5, -1, 1)
    block, k = np.nonzero(positions <= 63)
    zigzag = np.zeros((count, 64), np.int16)
    zigzag[block, positions[block, k]] = (magnitudes * signs)[block, k]
    natural = np.empty_like(zigzag)
    natural[:, ZIGZAG_TO_NATURAL] = zigzag
    return natural.reshape(count, 8, 8)


@register("forge-chains")
def forge_chains(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    symbols: str = "0/1:0.65,11/2:0.25,6/3:0.1",
    stop: float = 0.03,
    draw: int = 0,
    components: str = "all",
) -> tuple[JpegImage, dict]:
    """Fill every block's AC with a chain of (run, size) symbols; DC becomes 0.

    Each block of each chosen component, independently: symbols drawn from
    the mixture, each placing a coefficient of that size (a random magnitude
    and sign) after that many zeros, until the next would pass position 63
    or the chain stops early.  Blocks of varied lengths cost JPEG nothing
    more (one EOB each) but make JPEG XL pay for each block's count of
    nonzeros, which it predicts from the neighbours'.  Quantizers are left
    as they are (the forge's canvas has all ones).

    Args:
        symbols: the mixture, run/size:weight comma-separated (weights relative)
        stop: the chance, after each symbol, that the block ends there (0..1)
        draw: which random draw of the same mixture (0: the pipeline's own)
        components: all, luma, chroma, or indexes such as 0,2
    """
    mixture = parse_symbols(symbols)
    if not 0 <= stop < 1:
        raise JpegError(f"forge-chains stop={stop}: expected a probability in 0..1 (1 excluded)")
    if draw < 0:
        raise JpegError(f"forge-chains draw={draw}: expected 0 or more")
    if draw:  # another draw, as reproducible from the seed as the first
        rng = np.random.default_rng([int(rng.integers(2**63)), draw])
    arrays = {}
    nonzero = blocks = 0
    for index in select_components(image, components):
        grid = image.components[index].coefficients.shape[:2]
        painted = chain_blocks(grid[0] * grid[1], mixture, rng, stop).reshape(*grid, 8, 8)
        arrays[index] = painted
        nonzero += int(np.count_nonzero(painted))
        blocks += grid[0] * grid[1]
    result = image.with_coefficients(arrays)
    return result, {"blocks": blocks, "nonzero_per_block": round(nonzero / max(blocks, 1), 3)}
