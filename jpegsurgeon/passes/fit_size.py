"""The fit-size pass."""

from __future__ import annotations

import math

import numpy as np

from ..challenge import MAX_BYTES as CHALLENGE_MAX
from ..challenge import MIN_BYTES as CHALLENGE_MIN
from ..errors import JpegError
from ..model import JpegImage
from ..writer import write_strict
from . import Parameter, register
from .requantize import requantize


def _size_at(image: JpegImage, rng: np.random.Generator, scale: float) -> tuple[int, JpegImage]:
    """Strict output size after `requantize scale=...`; infinite when baseline can't hold it."""
    try:
        scaled, _ = requantize(image, rng, quality=0, scale=scale, table="", clamp=False)
    except JpegError:
        return math.inf, image
    return len(write_strict(scaled)), scaled


@register(
    "fit-size",
    Parameter("min", int, CHALLENGE_MIN, "smallest acceptable strict output, in bytes"),
    Parameter("max", int, CHALLENGE_MAX, "largest acceptable strict output, in bytes"),
)
def fit_size(
    image: JpegImage, rng: np.random.Generator, min: int, max: int
) -> tuple[JpegImage, dict]:  # noqa: A002
    """Requantize by the scale that brings the strict output into a byte window.

    Searches the factor of `requantize scale=F` (coarser tables shrink the
    file, finer ones grow it) by bisection on its logarithm until the strict
    JPEG's size lands in min..max, by default the challenge's 524,288 to
    1,000,000 bytes. Reports the scale found, or says why the window cannot
    be reached (all-ones tables still too small, or all-255 tables too big).
    It measures strict output; passes after it can move the size again.
    """
    if not 0 < min <= max:
        raise JpegError(f"fit-size: window {min}..{max} is empty")
    size = len(write_strict(image))
    if min <= size <= max:
        return image, {"scale": 1.0, "bytes": size, "steps": 0}
    low, high = (-12.0, 0.0) if size < min else (0.0, 8.0)  # log2 of the scale
    edge_size, _ = _size_at(image, rng, 2.0 ** (low if size < min else high))
    if size < min and edge_size < min:  # an unrepresentable edge (inf) leaves room to search
        raise JpegError(f"fit-size: even the finest tables give only {edge_size} bytes (< {min})")
    if size > max and edge_size > max:
        raise JpegError(f"fit-size: even the coarsest tables give {edge_size} bytes (> {max})")
    sizes = {}
    for step in range(1, 40):
        middle = (low + high) / 2
        size, candidate = _size_at(image, rng, 2.0**middle)
        if min <= size <= max:
            return candidate, {"scale": round(2.0**middle, 6), "bytes": size, "steps": step}
        sizes["above" if size > max else "below"] = size
        if size > max:  # too big (or unrepresentable): coarser
            low = middle
        else:
            high = middle
    # Tables are integers, so the size moves in steps that can jump the window.
    raise JpegError(
        f"fit-size: the size jumps from {sizes.get('above')} to {sizes.get('below')} bytes "
        f"near scale {2.0**low:.4f}; no scale lands in {min}..{max}"
    )
