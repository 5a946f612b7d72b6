"""The rebuild-huffman pass."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np

from ..errors import JpegError
from ..model import JpegImage
from . import register

PLANS = ("per-class", "shared", "original")


@register("rebuild-huffman")
def rebuild_huffman(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    tables: Literal["per-class", "shared", "original"] = "per-class",
) -> tuple[JpegImage, dict]:
    """Choose the Huffman tables of the strict output: optimal for the data or the input's.

    per-class (the default of strict output) builds optimal tables (T.81 K.2),
    one pair for luma and one for chroma, the most baseline allows; shared
    builds one optimal pair for all components; original keeps the input's
    tables, which must still hold a code for every symbol the data needs.
    Coefficients are untouched. Preserve mode always keeps each scan's tables.

    Args:
        tables: per-class, shared, or original (keep the input's)
    """
    if tables not in PLANS:
        raise JpegError(f"rebuild-huffman: tables={tables!r}: expected one of {', '.join(PLANS)}")
    return replace(image, huffman_plan=tables), {"tables": tables}
