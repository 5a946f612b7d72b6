"""Bytes to a fully decoded image model: parse, then entropy-decode."""

from __future__ import annotations

from .decoder import decode
from .model import JpegImage
from .parser import DEFAULT_MAX_PIXELS, parse


def read_image(data: bytes, max_pixels: int | None = None) -> JpegImage:
    image = parse(data, max_pixels or DEFAULT_MAX_PIXELS)
    decode(image, data)
    return image
