"""The requantize pass."""

from __future__ import annotations

import math

import numpy as np

from ..errors import JpegError
from ..model import JpegImage
from . import register

# T.81 Annex K, Tables K.1 and K.2, natural order: the tables IJG's quality scales.
STANDARD_LUMA = np.array(
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ],
    dtype=np.int64,
).reshape(8, 8)  # fmt: skip
STANDARD_CHROMA = np.array(
    [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    ] + [99] * 32,
    dtype=np.int64,
).reshape(8, 8)  # fmt: skip

# What a baseline Huffman coder can hold (T.81 F.1.2): AC magnitudes up to
# category 10; DC values within what 8-bit samples produce, so that every DC
# difference stays within category 11.
AC_LIMIT = 1023
DC_LOW, DC_HIGH = -1024, 1023  # what 8-bit samples can produce
DC_LIMIT = DC_HIGH  # the largest DC magnitude safe in both directions


def ijg_table(base: np.ndarray, quality: int) -> np.ndarray:
    """libjpeg's jpeg_quality_scaling and jpeg_add_quant_table with force_baseline."""
    quality = min(max(quality, 1), 100)
    scale = 5000 // quality if quality < 50 else 200 - quality * 2
    return np.clip((base * scale + 50) // 100, 1, 255)


def requantize_coefficients(
    coefficients: np.ndarray, old: np.ndarray, new: np.ndarray
) -> np.ndarray:
    """round(c * q_old / q_new), halves away from zero, in exact integer arithmetic."""
    scaled = coefficients.astype(np.int64) * old.astype(np.int64)
    divisor = new.astype(np.int64)
    magnitude = (np.abs(scaled) * 2 + divisor) // (2 * divisor)
    return np.sign(scaled) * magnitude


@register("requantize")
def requantize(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    quality: int = 0,
    scale: float = 0.0,
    table: str = "",
    clamp: bool = False,
) -> tuple[JpegImage, dict]:
    """Replace the quantization tables and rescale the coefficients to match.

    Give exactly one of quality=Q (IJG scaling of the standard tables, as cjpeg
    -quality Q), scale=F (multiply the current tables, entries kept in 1..255)
    or table=ones. Each coefficient becomes round(c * q_old / q_new). Where
    every new entry divides the old one the pass is exact: the output decodes
    to the same pixels, and the report says so. Coefficients that would leave
    the baseline range are refused unless clamp=true.

    Args:
        quality: IJG quality 1..100 applied to the standard tables
        scale: multiply the current tables by this factor
        table: 'ones' for a table of all ones
        clamp: clamp coefficients past the baseline range instead of refusing
    """
    chosen = [quality != 0, scale != 0.0, table != ""]
    if sum(chosen) != 1:
        raise JpegError("requantize: give exactly one of quality=, scale= or table=ones")
    if table and table != "ones":
        raise JpegError(f"requantize: table={table!r}: only 'ones' is known")
    if scale and not (math.isfinite(scale) and scale > 0):
        raise JpegError(f"requantize: scale={scale}: expected a finite positive factor")
    if quality and not 1 <= quality <= 100:
        raise JpegError(f"requantize: quality={quality}: expected 1..100")
    arrays, tables = {}, []
    exact = True
    changed = clamped = 0
    for index, component in enumerate(image.components):
        old = component.quant_values.astype(np.int64)
        if quality:
            new = ijg_table(STANDARD_LUMA if index == 0 else STANDARD_CHROMA, quality)
        elif scale:
            new = np.clip(np.rint(old * scale), 1, 255).astype(np.int64)
        else:
            new = np.ones((8, 8), np.int64)
        exact &= bool(np.all(old % new == 0))
        values = requantize_coefficients(component.coefficients, old, new)
        high = np.full((8, 8), AC_LIMIT)
        low = -high
        low[0, 0], high[0, 0] = DC_LOW, DC_HIGH
        outside = (values < low) | (values > high)
        if outside.any():
            if not clamp:
                worst = int(np.abs(values).max())
                raise JpegError(
                    f"requantize: {int(outside.sum())} coefficients of component "
                    f"{component.component_id} would exceed the baseline range (largest {worst}); "
                    "use coarser tables or clamp=true"
                )
            clamped += int(outside.sum())
            values = np.clip(values, low, high)
        arrays[index] = values.astype(np.int16)
        changed += int((arrays[index] != component.coefficients).sum())
        tables.append(new.astype(np.uint16))
    result = image.with_coefficients(arrays)
    for component, new in zip(result.components, tables):
        component.quant_values = new
    return result, {
        "exact": exact and not clamped,
        "coefficients_changed": changed,
        "coefficients_clamped": clamped,
        "tables": [t.reshape(64).tolist() for t in tables],
    }
