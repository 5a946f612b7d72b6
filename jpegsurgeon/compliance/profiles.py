"""Audit profiles as data: which rules apply, how severe, against what numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..challenge import MAX_BYTES, MAX_SIDE, MIN_BYTES, MIN_SIDE

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    rules: dict[str, str]  # rule id -> severity, in reporting order
    settings: dict[str, Any]
    scores_lepton: bool = False  # report Lepton bytes / JPEG bytes


_STRUCTURE = {
    "structure.parse": ERROR,
    "structure.soi": ERROR,
    "structure.jfif-app0": ERROR,
    "structure.eoi": ERROR,
    "decode.complete": ERROR,
}

PROFILES = {
    "lepton-challenge": Profile(
        name="lepton-challenge",
        description="every rule of the Lepton challenge: a strict JFIF file of 0.5-1 MB, "
        "256-4096 pixels a side, no metadata or padding, round-tripped by Lepton",
        rules={
            **_STRUCTURE,
            "structure.trailing-data": ERROR,
            "jfif.no-thumbnail": ERROR,
            "size.window": ERROR,
            "dimensions.range": ERROR,
            "segments.app": ERROR,
            "segments.com": ERROR,
            "segments.non-graphical": ERROR,
            "payload.duplicate-table": ERROR,
            "payload.unused-table": ERROR,
            "payload.fill-bytes": ERROR,
            "payload.stray-bytes": ERROR,
            "payload.padding-bits": ERROR,
            "lepton.roundtrip": ERROR,
        },
        settings={
            # 0.5 MB read as MiB, 1 MB read as 10^6 bytes: inside both readings
            "min_bytes": MIN_BYTES,
            "max_bytes": MAX_BYTES,
            "min_side": MIN_SIDE,
            "max_side": MAX_SIDE,
            "max_fill_bytes": 3,
        },
        scores_lepton=True,
    ),
    "jfif": Profile(
        name="jfif",
        description="what a strict JFIF reader expects; legal but suspicious things are warnings",
        rules={
            **_STRUCTURE,
            "structure.trailing-data": WARNING,
            "segments.non-graphical": ERROR,
            "payload.stray-bytes": ERROR,
            "jfif.no-thumbnail": WARNING,
            "segments.app": WARNING,
            "segments.com": WARNING,
            "payload.duplicate-table": WARNING,
            "payload.unused-table": WARNING,
            "payload.fill-bytes": WARNING,
            "payload.padding-bits": WARNING,
            "restart.alignment": WARNING,
            "huffman.optimal": WARNING,
        },
        settings={"max_fill_bytes": 3, "huffman_slack": 0.001},
    ),
    "jpegxl": Profile(
        name="jpegxl",
        description="what JPEG XL's lossless JPEG transcoding (libjxl 0.11) needs to give the "
        "file back bit for bit, ending with the real round trip",
        rules={
            "structure.soi": ERROR,
            "structure.parse": ERROR,
            "structure.eoi": ERROR,
            "decode.complete": ERROR,
            "jpegxl.coding": ERROR,
            "jpegxl.precision": ERROR,
            "jpegxl.components": ERROR,
            "jpegxl.sampling": ERROR,
            "jpegxl.scans": ERROR,
            "jpegxl.quant-tables": ERROR,
            "jpegxl.huffman-tables": ERROR,
            "jpegxl.empty-dht": ERROR,
            "jpegxl.restart-markers": ERROR,
            "jpegxl.markers": ERROR,
            "jpegxl.trailing-data": ERROR,
            "jpegxl.icc": ERROR,
            "jpegxl.roundtrip": ERROR,
        },
        # libjxl 0.11's limits (see audit/rules_jpegxl.py for where each is)
        settings={
            "sampling_factors": (1, 2),
            "max_al": 10,
            "max_quant_tables": 3,
            "huffman_tables": (2, 89),
            "max_markers": 16_384,
            "max_gap_bytes": 65_535,
            "max_tail_bytes": 4_260_096,
        },
    ),
}
