"""Bytes to a fully decoded image model: parse, then entropy-decode."""

from __future__ import annotations

from .decoder import BaselineCounts, decode
from .limits import DEFAULT_LIMITS, Limits
from .model import JpegImage
from .parser import parse


def read_image(data: bytes, limits: Limits = DEFAULT_LIMITS) -> JpegImage:
    image = parse(data, limits)
    decode(image, data)
    return image


def read_image_and_counts(
    data: bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[JpegImage, BaselineCounts | None]:
    """The image, and the symbol counts of its baseline re-encoding when the
    decoder could take them (a writer of the unchanged image skips counting)."""
    image = parse(data, limits)
    return image, decode(image, data, counts=True)
