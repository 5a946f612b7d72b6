"""The Lepton challenge's numbers, in one place.

The `lepton-challenge` audit profile, the forge and the passes that default
to the challenge's window all read them from here.
"""

from __future__ import annotations

# Rule 2, "between 0.5 MB and 1 MB": 0.5 MB read as MiB and 1 MB read as 10^6
# bytes, so that a file inside this window is inside both readings.
MIN_BYTES = 524_288
MAX_BYTES = 1_000_000
BYTE_WINDOW = (MIN_BYTES, MAX_BYTES)

# Rule 3: width and height each within these bounds, in pixels.
MIN_SIDE = 256
MAX_SIDE = 4096

# Lepton codes a block's DC as the error of a prediction, folded once by 2049
# into -1024..1024 and refused when it then needs more than 11 bits; so an
# error up to this magnitude is accepted, one beyond it is not
# (CoefficientOutOfRange).  The DC itself must lie in -DC_RANGE..DC_RANGE,
# the range the fold restores it into.
LEPTON_DC_ERROR_LIMIT = 4096
LEPTON_DC_RANGE = 1024
