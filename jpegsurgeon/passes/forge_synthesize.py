"""The forge-synthesize and forge-tile passes: the canvas a forge paints on."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..challenge import MAX_SIDE
from ..errors import JpegError
from ..model import JpegImage, blank_image, block_grid
from . import register

SAMPLINGS = {
    "444": ((1, 1), (1, 1), (1, 1)),
    "422": ((2, 1), (1, 1), (1, 1)),
    "440": ((1, 2), (1, 1), (1, 1)),
    "420": ((2, 2), (1, 1), (1, 1)),
    "gray": ((1, 1),),
}


def _check_size(width: int, height: int) -> None:
    if not (1 <= width <= 65535 and 1 <= height <= 65535):
        raise JpegError(f"{width}x{height}: width and height must lie in 1..65535")


@register("forge-synthesize")
def forge_synthesize(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    width: int = MAX_SIDE,
    height: int = MAX_SIDE,
    sampling: Literal["444", "422", "440", "420", "gray"] = "444",
) -> tuple[JpegImage, dict]:
    """Replace the input by a blank baseline canvas: all coefficients zero, tables all ones.

    The input's coefficients, tables and size are ignored, so a pipeline that
    starts with this pass makes the same output from any input file. Later
    passes paint the canvas (edge-quantizers, row-dc, edge-scatter, ...).

    Args:
        width: image width in pixels
        height: image height in pixels
        sampling: the components and their sampling factors
    """
    if sampling not in SAMPLINGS:
        raise JpegError(
            f"forge-synthesize: sampling={sampling!r}: expected one of " + ", ".join(SAMPLINGS)
        )
    _check_size(width, height)
    canvas = blank_image(width, height, SAMPLINGS[sampling])
    blocks = sum(c.coefficients.shape[0] * c.coefficients.shape[1] for c in canvas.components)
    return canvas, {"width": width, "height": height, "sampling": sampling, "blocks": blocks}


@register("forge-tile")
def forge_tile(
    image: JpegImage, rng: np.random.Generator, *, width: int = 0, height: int = 0
) -> tuple[JpegImage, dict]:
    """Resize the canvas by repeating (or cutting) the input's blocks, tables kept.

    Every component's block grid is tiled from its top-left corner to the new
    size, so the input's coefficients and zero pattern recur across a larger
    image (or are cropped to a smaller one). Sampling factors, quantization
    tables and Huffman plan stay the input's.

    Args:
        width: new width in pixels (0: keep)
        height: new height in pixels (0: keep)
    """
    width = width or image.width
    height = height or image.height
    _check_size(width, height)
    sampling = [(c.h, c.v) for c in image.components]
    canvas = blank_image(
        width, height, tuple(sampling), tuple(c.quant_values for c in image.components)
    )
    arrays = {}
    for index, (old, (_, _, coded)) in enumerate(
        zip(image.components, block_grid(width, height, sampling))
    ):
        source = old.visible_coefficients
        reps = (-(-coded[0] // source.shape[0]), -(-coded[1] // source.shape[1]), 1, 1)
        arrays[index] = np.tile(source, reps)[: coded[0], : coded[1]].copy()
    result = canvas.with_coefficients(arrays)
    for new, old in zip(result.components, image.components):
        new.component_id, new.quant_table_id = old.component_id, old.quant_table_id
    result.huffman_plan = image.huffman_plan
    return result, {"width": width, "height": height, "from": f"{image.width}x{image.height}"}
