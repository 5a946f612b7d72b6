"""The lepton-rust round trip by the names the first version used.

`jpegsurgeon.codecs` holds every codec; this module keeps `round_trip(data,
cycles)` for lepton-jpeg-python, the default codec, for scripts written
against it.
"""

from __future__ import annotations

from .codecs import CodecResult as LeptonResult
from .codecs import round_trip as _round_trip

__all__ = ["LeptonResult", "round_trip"]


def round_trip(jpeg: bytes, cycles: int = 3, max_bytes: int | None = None) -> LeptonResult:
    """lepton-jpeg-python's verified round trip (see jpegsurgeon.codecs.round_trip)."""
    return _round_trip(jpeg, "lepton", cycles, max_bytes)
