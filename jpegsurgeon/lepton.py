"""Lepton round trips: does Lepton accept a JPEG and give it back bit for bit?

Uses lepton-jpeg-python, Microsoft's Rust port of Dropbox's Lepton, with its
default settings.  The challenge's score is Lepton bytes / JPEG bytes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class LeptonResult:
    jpeg_bytes: int
    lepton_bytes: int | None = None
    cycles: int = 0  # JPEG -> Lepton -> JPEG cycles completed identically
    error: str | None = None  # Lepton's reason when it rejected or mismatched

    @property
    def verified(self) -> bool:
        return self.error is None

    @property
    def ratio(self) -> float | None:
        """Lepton bytes / JPEG bytes: higher means Lepton compresses worse."""
        return None if self.lepton_bytes is None else self.lepton_bytes / self.jpeg_bytes

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verified": self.verified, "ratio": self.ratio}

    def summary(self) -> str:
        if not self.verified:
            return f"Lepton: {self.error}"
        return (
            f"Lepton: {self.lepton_bytes} bytes from {self.jpeg_bytes}, ratio {self.ratio:.4f}, "
            f"{self.cycles} identical cycles"
        )


def round_trip(jpeg: bytes, cycles: int = 3, max_bytes: int | None = None) -> LeptonResult:
    """Compress and decompress `cycles` times; every cycle must give back the
    same JPEG bytes and the same Lepton bytes.  Files over `max_bytes` are
    not handed to Lepton and so are not verified."""
    result = LeptonResult(len(jpeg))
    if max_bytes is not None and len(jpeg) > max_bytes:
        result.error = f"check skipped: {len(jpeg)} bytes exceed the limit of {max_bytes}"
        return result
    import lepton_jpeg_python as lepton

    first_packed = None
    current = jpeg
    for cycle in range(1, cycles + 1):
        try:
            packed = bytes(lepton.compress_bytes(current))
        except Exception as error:  # the binding raises RuntimeError with Lepton's reason
            result.error = f"rejected: {_reason(error)}"
            return result
        try:
            restored = bytes(lepton.decompress_bytes(packed))
        except Exception as error:
            result.error = f"cannot decompress its own output: {_reason(error)}"
            return result
        if restored != jpeg:
            result.error = f"cycle {cycle}: decompressed JPEG differs from the original"
            return result
        if first_packed is None:
            first_packed = packed
            result.lepton_bytes = len(packed)
        elif packed != first_packed:
            result.error = f"cycle {cycle}: Lepton's output differs from the first cycle's"
            return result
        result.cycles = cycle
        current = restored
    return result


# Lepton refusals a different layout avoids, and what to do about each.
_HINTS = (
    ("non optimal eobruns", "write it with --eob-runs maximal: the same coefficients, in EOB "
     "runs Lepton can store"),
    ("arithm", "Lepton cannot read arithmetic-coded JPEGs: add --no-verify to write it unchecked"),
)  # fmt: skip


def _reason(error: Exception) -> str:
    """Lepton's message without the Rust source locations it appends, with a
    hint when the refusal is one a layout option avoids."""
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    reason = first.removeprefix("Compression failed: ").removeprefix("Decompression failed: ")
    for needle, hint in _HINTS:
        if needle in reason:
            return f"{reason} ({hint})"
    return reason
