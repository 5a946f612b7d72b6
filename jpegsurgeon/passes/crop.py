"""The crop pass."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from ..errors import JpegError
from ..model import JpegImage, block_grid
from . import register

_GEOMETRY = re.compile(r"^(\d+)x(\d+)(?:\+(\d+)\+(\d+))?$")


@register("crop")
def crop(
    image: JpegImage, rng: np.random.Generator, *, geometry: str = ""
) -> tuple[JpegImage, dict]:
    """Crop losslessly on block boundaries, like jpegtran -crop WxH+X+Y.

    The top-left corner moves up and left to the nearest MCU boundary (8 or
    16 pixels, by the sampling factors) and the size grows by the same amount,
    so no block is recoded; the region is clipped to the image.

    Args:
        geometry: WxH+X+Y in pixels, as jpegtran -crop takes it
    """
    match = _GEOMETRY.match(geometry.strip())
    if not match:
        raise JpegError(f"crop: geometry={geometry!r}: expected WxH+X+Y, e.g. 1024x768+16+0")
    width, height, x, y = (int(g or 0) for g in match.groups())
    frame = image.frame
    single = len(frame.components) == 1  # a lone component is coded block by block
    mcu_w, mcu_h = (8, 8) if single else (8 * frame.max_h, 8 * frame.max_v)
    if x >= frame.width or y >= frame.height or width == 0 or height == 0:
        raise JpegError(f"crop: {geometry} lies outside the {frame.width}x{frame.height} image")
    left, top = x - x % mcu_w, y - y % mcu_h
    new_width = min(width + x - left, frame.width - left)
    new_height = min(height + y - top, frame.height - top)
    sampling = [(c.h, c.v) for c in frame.components]
    grid = block_grid(new_width, new_height, sampling)
    components = []
    for component, (wide, high, coded) in zip(frame.components, grid):
        # one MCU spans h x v blocks of this component in an interleaved frame
        unit_h = 1 if single else component.h
        unit_v = 1 if single else component.v
        row0 = top // mcu_h * unit_v
        col0 = left // mcu_w * unit_h
        source = component.coefficients[row0 : row0 + coded[0], col0 : col0 + coded[1]]
        coefficients = np.zeros((*coded, 8, 8), np.int16)
        coefficients[: source.shape[0], : source.shape[1]] = source
        components.append(
            replace(component, width_in_blocks=wide, height_in_blocks=high,
                    coefficients=coefficients)
        )  # fmt: skip
    cropped = replace(
        image, frame=replace(frame, width=new_width, height=new_height, components=components)
    )
    return cropped, {
        "width": new_width,
        "height": new_height,
        "x": left,
        "y": top,
        "from": [frame.width, frame.height],
    }
