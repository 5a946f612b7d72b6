"""Bytes to a fully decoded image model: parse, then entropy-decode."""

from __future__ import annotations

from .decoder import decode
from .limits import DEFAULT_LIMITS, Limits
from .model import JpegImage
from .parser import parse


def read_image(data: bytes, limits: Limits = DEFAULT_LIMITS) -> JpegImage:
    image = parse(data, limits)
    decode(image, data)
    return image
