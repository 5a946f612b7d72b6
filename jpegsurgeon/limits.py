"""Named limits on what a file may ask of the reader, each with a flag.

A hostile header can claim far more than any real image; these bound the
work and memory one file may cost, and are checked before anything large is
allocated.  The command line sets them with --max-pixels, --max-scans,
--max-segments, --max-lepton-bytes and --max-input-bytes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # Four times the challenge's largest image (4096 x 4096).  Coefficient
    # arrays are allocated zeroed and filled on touch, so a truncated file
    # claiming a large frame costs memory only for what it codes.
    max_pixels: int = 4096 * 4096 * 4
    # Each scan is one pass over its blocks; libjpeg-turbo's djpeg suggests
    # a cap of this order (-maxscans) against files made of endless scans.
    max_scans: int = 1000
    # Marker segments of any kind, tables and APPn included.
    max_segments: int = 10_000
    # Largest file handed to Lepton for the round-trip check.
    max_lepton_bytes: int = 128 * 2**20
    # Bytes read from one input: far above any real JPEG, far below memory;
    # /dev/zero or an endless pipe stops here.
    max_input_bytes: int = 512 * 2**20


DEFAULT_LIMITS = Limits()
