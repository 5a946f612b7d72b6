"""The grayscale pass."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import JpegError
from ..model import JpegImage
from . import register
from .geometry import copy_component, copy_quant_tables


@register("grayscale")
def grayscale(image: JpegImage, rng: np.random.Generator) -> tuple[JpegImage, dict[str, Any]]:
    """Drop the chroma components and keep luma alone, losslessly, like jpegtran -grayscale.

    Luma's blocks are kept as they are; as jpegtran does, the remaining
    component becomes component 1 with sampling 1x1, so it is coded block by
    block with no MCU padding. Only YCbCr or grayscale input whose luma is
    not subsampled can be reduced (jpegtran refuses the rest too).
    """
    space = image.colour_space
    if space not in ("YCbCr", "grayscale"):
        raise JpegError(
            f"grayscale: a {space} image has no luma component to keep "
            "(only YCbCr or grayscale input can be reduced, as with jpegtran -grayscale)"
        )
    frame = image.frame
    luma = frame.components[0]
    if (luma.h, luma.v) != (frame.max_h, frame.max_v):
        raise JpegError(
            f"grayscale: luma is sampled {luma.h}x{luma.v}, below the frame's "
            f"{frame.max_h}x{frame.max_v}: it does not cover the image at full resolution"
        )
    kept = copy_component(
        luma, component_id=1, h=1, v=1, coefficients=luma.visible_coefficients.copy()
    )
    scans = []
    for scan in image.scans:  # what preserve mode and original tables look up
        if 0 in scan.component_indexes:
            position = scan.component_indexes.index(0)
            scans.append(
                replace(
                    scan,
                    component_indexes=[0],
                    dc_table_ids=[scan.dc_table_ids[position]],
                    ac_table_ids=[scan.ac_table_ids[position]],
                )
            )
    result = replace(
        image,
        frame=replace(frame, components=[kept]),
        quant_tables=copy_quant_tables(image),
        scans=scans,
        segments=list(image.segments),
    )
    return result, {
        "dropped_components": [c.component_id for c in frame.components[1:]],
        "component_id": [luma.component_id, 1],
        "sampling": [f"{luma.h}x{luma.v}", "1x1"],
    }
