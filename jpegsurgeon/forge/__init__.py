"""Forge: make a compliant JPEG that Lepton compresses as badly as possible.

The levers are Lepton's DC prediction and JPEG's DC differences.  JPEG codes
a DC as the difference from the previous block's, so a DC that stays the
same along a block row costs it a bit a block; Lepton codes each DC as the
error of a prediction from the neighbours' edge pixels, which a few cheap
edge coefficients (with large quantizers) throw around, and which the upper
row's different DC offsets.  A forge is a pipeline of regular passes
(jpegsurgeon/passes/forge_*.py), usable on any image:

    forge-synthesize (or forge-tile with --from)   the canvas
    edge-quantizers      DC quantizer 1, large quantizers on the 14 edge positions
    row-dc               a random DC per block row (per run of blocks)
    edge-scatter         a few random edge coefficients per block
    edge-wavefront       each block's edge signs and magnitudes (same JPEG cost)
                         chosen so Lepton's coded DC errors cost it most
    dc-guard             every DC error within what Lepton accepts

This package holds the Lepton DC model the passes use (`model`), the design
and its recipe (`recipe`), and the search (`search`): trials of designs on
small images with the real Lepton, counted (`--budget`), then the full-size
build sized just above the challenge's floor, audited with both Leptons.
"""

from .recipe import DEFAULT_DESIGN, Design, ForgeResult
from .search import (
    DEFAULT_BUDGET,
    TRIAL_SIDE,
    fit_density,
    fit_factor,
    forge,
    lepton_cpp_binary,
)

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_DESIGN",
    "TRIAL_SIDE",
    "Design",
    "ForgeResult",
    "fit_density",
    "fit_factor",
    "forge",
    "lepton_cpp_binary",
]
