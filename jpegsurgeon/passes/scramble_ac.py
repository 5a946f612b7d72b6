"""The scramble-ac pass."""

from __future__ import annotations

import numpy as np

from ..errors import JpegError
from ..model import JpegImage
from . import register


def _groups(high: int, wide: int, scope: str) -> list[tuple[slice, slice]]:
    """The block regions within which AC vectors are permuted."""
    if scope == "component":
        return [(slice(0, high), slice(0, wide))]
    if scope == "row":
        return [(slice(r, r + 1), slice(0, wide)) for r in range(high)]
    if scope.startswith("tile:"):
        try:
            size = int(scope.removeprefix("tile:"))
        except ValueError:
            size = 0
        if size < 1:
            raise JpegError(f"scramble-ac: scope={scope!r}: expected tile:N with N >= 1")
        return [
            (slice(r, min(r + size, high)), slice(c, min(c + size, wide)))
            for r in range(0, high, size)
            for c in range(0, wide, size)
        ]
    raise JpegError(f"scramble-ac: scope={scope!r}: expected component, row or tile:N")


@register("scramble-ac")
def scramble_ac(
    image: JpegImage, rng: np.random.Generator, *, scope: str = "component"
) -> tuple[JpegImage, dict]:
    """Permute whole AC vectors among the blocks of each component; DC stays put.

    The 63 AC coefficients of each visible block move, as one vector, to
    another block of the same component chosen by a seeded permutation,
    within the whole component, one block row, or N x N tiles of blocks.
    The set of AC vectors, and so the JPEG's symbol statistics, is unchanged,
    while every prediction Lepton draws from neighbouring blocks goes astray.

    Args:
        scope: component, row, or tile:N (N x N blocks)
    """
    arrays = {}
    moved = 0
    for index, component in enumerate(image.components):
        coefficients = component.coefficients.copy()
        visible = coefficients[: component.height_in_blocks, : component.width_in_blocks]
        for rows, cols in _groups(visible.shape[0], visible.shape[1], scope):
            region = visible[rows, cols]
            flat = region.reshape(-1, 64)
            dc = flat[:, 0].copy()
            order = rng.permutation(flat.shape[0])
            shuffled = flat[order]
            shuffled[:, 0] = dc
            moved += int((order != np.arange(order.size)).sum())
            visible[rows, cols] = shuffled.reshape(region.shape)
        arrays[index] = coefficients
    return image.with_coefficients(arrays), {"blocks_moved": moved}
