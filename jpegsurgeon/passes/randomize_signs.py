"""The randomize-signs pass."""

from __future__ import annotations

import numpy as np

from ..errors import JpegError
from ..model import JpegImage
from . import register


def select_components(image: JpegImage, spec: str) -> list[int]:
    """`all`, `luma`, `chroma`, or comma-separated component indexes (0 = first)."""
    count = len(image.components)
    named = {"all": range(count), "luma": range(min(1, count)), "chroma": range(1, count)}
    if spec in named:
        return list(named[spec])
    try:
        chosen = sorted({int(part) for part in spec.split(",")})
    except ValueError:
        raise JpegError(f"components={spec!r}: expected all, luma, chroma or indexes") from None
    if any(not 0 <= i < count for i in chosen):
        raise JpegError(f"components={spec!r}: the image has components 0..{count - 1}")
    return chosen


@register("randomize-signs")
def randomize_signs(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    fraction: float = 1.0,
    components: str = "all",
    dc: bool = False,
) -> tuple[JpegImage, dict]:
    """Redraw the signs of nonzero coefficients at random, magnitudes untouched.

    Each selected nonzero AC coefficient (DC too with dc=true) is chosen with
    probability `fraction` and its sign is then drawn fairly.  Signs are raw
    bits in JPEG, so the file size is unchanged with the same tables, while a
    predictor that relies on signs (as Lepton does) loses its footing.

    Args:
        fraction: share of nonzero coefficients whose sign is redrawn
        components: all, luma, chroma, or indexes such as 0,2
        dc: redraw DC signs too
    """
    if not 0.0 <= fraction <= 1.0:
        raise JpegError(f"randomize-signs: fraction={fraction}: expected a value from 0 to 1")
    arrays = {}
    touched = flipped = 0
    for index in select_components(image, components):
        coefficients = image.components[index].coefficients.copy()
        eligible = coefficients != 0
        if not dc:
            eligible[..., 0, 0] = False
        chosen = eligible & (rng.random(coefficients.shape) < fraction)
        flip = chosen & (rng.random(coefficients.shape) < 0.5)
        coefficients[flip] = -coefficients[flip]
        arrays[index] = coefficients
        touched += int(chosen.sum())
        flipped += int(flip.sum())
    return image.with_coefficients(arrays), {"signs_redrawn": touched, "signs_flipped": flipped}
