"""The auto-orient pass."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import JpegError
from ..markers import Marker
from ..model import JpegImage, Segment
from . import register
from .geometry import (
    FLIPS,
    ROTATIONS,
    TRANSPOSE,
    TRANSVERSE,
    Edge,
    Geometry,
    apply_geometry,
    copy_image,
)

EXIF_HEADER = b"Exif\x00\x00"
ORIENTATION = 0x0112  # TIFF/Exif tag: how the stored image must turn to display upright
EXIF_IFD = 0x8769  # pointer to the Exif sub-IFD
PIXEL_X_DIMENSION, PIXEL_Y_DIMENSION = 0xA002, 0xA003
_MAX_PAYLOAD = 0xFFFF - 2

# Exif Orientation value -> the transform that displays the image upright, and its name.
ORIENTATIONS: dict[int, tuple[Geometry, str]] = {
    2: (FLIPS["horizontal"], "flip horizontal"),
    3: (ROTATIONS[180], "rotate 180"),
    4: (FLIPS["vertical"], "flip vertical"),
    5: (TRANSPOSE, "transpose"),
    6: (ROTATIONS[90], "rotate 90"),
    7: (TRANSVERSE, "transverse"),
    8: (ROTATIONS[270], "rotate 270"),
}


def exif_segment_index(image: JpegImage) -> int | None:
    """Index in image.segments of the first APP1 segment holding Exif data."""
    for index, segment in enumerate(image.segments):
        if segment.marker == Marker.APP1 and segment.payload.startswith(EXIF_HEADER):
            return index
    return None


def _load_exif(segment: Segment):  # -> PIL.Image.Exif
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is installed with jpegsurgeon
        raise JpegError("auto-orient: reading Exif needs Pillow (pip install pillow)") from None
    exif = Image.Exif()
    try:
        with warnings.catch_warnings():  # Pillow warns of corrupt data it skips over
            warnings.simplefilter("ignore")
            exif.load(segment.payload[len(EXIF_HEADER) :])
            orientation = exif.get(ORIENTATION)
    except Exception as error:  # Pillow raises many kinds on malformed TIFF data
        raise JpegError(
            f"auto-orient: cannot read the Exif data: {error or type(error).__name__}",
            segment.offset,
        ) from None
    return exif, orientation


@register("auto-orient")
def auto_orient(
    image: JpegImage, rng: np.random.Generator, *, edge: Edge = "keep"
) -> tuple[JpegImage, dict[str, Any]]:
    """Turn the image upright as its Exif Orientation tag says, losslessly, and
    set the tag to 1.

    Orientation 2..8 applies flip horizontal, rotate 180, flip vertical,
    transpose, rotate 90, transverse or rotate 270, exactly as the rotate,
    flip, transpose and transverse passes do (edge=keep|trim|perfect as
    there); 1, no tag or no Exif segment leaves the image as it is. The Exif
    segment in the model is rewritten with Orientation 1 (and, when the size
    changes, the Exif pixel dimensions present set to it, as jpegtran does), so
    output that keeps metadata displays the right way up. The rewrite goes
    through Pillow, which keeps IFD0, the Exif, GPS and interoperability
    IFDs but not the IFD1 thumbnail.

    Args:
        edge: partial iMCUs at the edges: keep (left in place, as jpegtran does),
            trim (dropped, as jpegtran -trim) or perfect (refuse, as jpegtran -perfect)
    """
    index = exif_segment_index(image)
    if index is None:
        return copy_image(image), {"orientation": None, "transform": None}
    segment = image.segments[index]
    exif, orientation = _load_exif(segment)
    if not isinstance(orientation, int) or orientation not in ORIENTATIONS:
        changes: dict[str, Any] = {"orientation": orientation, "transform": None}
        if orientation is not None and orientation != 1:
            changes["orientation"] = str(orientation)
            changes["ignored"] = "not an Exif orientation (1..8)"
        return copy_image(image), changes
    geometry, name = ORIENTATIONS[orientation]
    result, report = apply_geometry(image, geometry, edge, "auto-orient")

    exif[ORIENTATION] = 1
    resized = (result.width, result.height) != (image.width, image.height)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sub_ifd = exif.get_ifd(EXIF_IFD) if resized and EXIF_IFD in exif else {}
            for tag, value in (
                (PIXEL_X_DIMENSION, result.width),
                (PIXEL_Y_DIMENSION, result.height),
            ):
                if tag in sub_ifd:
                    sub_ifd[tag] = value
            payload = exif.tobytes()
    except Exception as error:
        raise JpegError(
            f"auto-orient: cannot rewrite the Exif data: {error or type(error).__name__}",
            segment.offset,
        ) from None
    if not payload.startswith(EXIF_HEADER):  # Pillow before 8.2 left the header out
        payload = EXIF_HEADER + payload
    if len(payload) > _MAX_PAYLOAD:
        raise JpegError(
            f"auto-orient: the rewritten Exif data ({len(payload)} bytes) does not fit in one "
            "APP1 segment",
            segment.offset,
        )
    segments = list(result.segments)
    segments[index] = replace(segment, payload=payload, parsed=None)
    result = replace(result, segments=segments)
    return result, {"orientation": orientation, "transform": name, **report}
