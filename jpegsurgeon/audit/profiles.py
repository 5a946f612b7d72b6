"""Audit profiles as data: which rules apply, how severe, against what numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
            "min_bytes": 524_288,
            "max_bytes": 1_000_000,
            "min_side": 256,
            "max_side": 4096,
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
}
