"""Compliance audits of arbitrary files against a profile of rules.

    report = audit_bytes(data, "lepton-challenge")
    report.compliant, report.findings

A malformed file is a finding, never an exception.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from typing import Any

from ..limits import DEFAULT_LIMITS, Limits
from . import rules_jpegxl  # noqa: F401 - registers the jpegxl.* rules in RULES
from .facts import Facts
from .profiles import ERROR, PROFILES, Profile
from .rules import RULES

# Rules that run a codec; lepton=False (--no-lepton) skips them and says so.
ROUND_TRIP_RULES = frozenset({"lepton.roundtrip", "jpegxl.roundtrip"})


@dataclass
class Finding:
    rule_id: str
    severity: str
    offset: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule_id, "severity": self.severity, "offset": self.offset,
                "message": self.message}  # fmt: skip

    def line(self) -> str:
        where = f" at offset {self.offset}" if self.offset is not None else ""
        return f"{self.rule_id}{where}: {self.message}"


@dataclass
class FileReport:
    path: str
    size: int
    profile: str
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    jpeg_bytes: int | None = None
    lepton_bytes: int | None = None
    codecs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> round trip

    @property
    def compliant(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    @property
    def ratio(self) -> float | None:
        if self.lepton_bytes is None or not self.jpeg_bytes:
            return None
        return self.lepton_bytes / self.jpeg_bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "jpeg_bytes": self.size,
            "profile": self.profile,
            "compliant": self.compliant,
            "findings": [f.as_dict() for f in self.findings],
            "skipped_rules": self.skipped,
            "lepton_bytes": self.lepton_bytes,
            "codecs": self.codecs,
            "ratio": self.ratio,
        }


def audit_bytes(
    data: bytes,
    profile: str | Profile = "lepton-challenge",
    path: str = "<bytes>",
    lepton: bool = True,
    cycles: int = 3,
    limits: Limits = DEFAULT_LIMITS,
    codecs: tuple[str, ...] = ("lepton",),
    lepton_cpp: str | None = None,
) -> FileReport:
    """Audit bytes against a profile; `codecs` are the round trips run (and
    reported) besides the ones the profile's rules ask for."""
    chosen = PROFILES[profile] if isinstance(profile, str) else profile
    facts = Facts(data, cycles=cycles, limits=limits, codecs=codecs, lepton_cpp=lepton_cpp)
    report = FileReport(path, len(data), chosen.name, jpeg_bytes=len(data))
    for rule_id, severity in chosen.rules.items():
        if rule_id in ROUND_TRIP_RULES and not lepton:
            report.skipped.append(rule_id)
            continue
        for offset, message in RULES[rule_id].check(facts, chosen.settings):
            report.findings.append(Finding(rule_id, severity, offset, message))
    if lepton and (chosen.scores_lepton or tuple(codecs) != ("lepton",)):
        results = facts.codec_results
        report.codecs = {name: results[name].as_dict() for name in sorted(results)}
        scored = next((r for r in facts.lepton_results if r.verified), None)
        if chosen.scores_lepton and scored is not None:
            report.lepton_bytes = scored.compressed_bytes
    return report


def audit_path(
    path: str,
    profile: str = "lepton-challenge",
    lepton: bool = True,
    cycles: int = 3,
    limits: Limits = DEFAULT_LIMITS,
    codecs: tuple[str, ...] = ("lepton",),
    lepton_cpp: str | None = None,
) -> FileReport:
    """Audit one file; an unreadable file or an internal failure is a finding too."""
    problem = None
    try:
        if path == "-":
            data = sys.stdin.buffer.read(limits.max_input_bytes + 1)
        elif not stat.S_ISREG(os.stat(path).st_mode):
            problem = "unreadable: not a regular file (a FIFO, socket or device is never opened)"
        else:
            with open(path, "rb") as handle:
                data = handle.read(limits.max_input_bytes + 1)
    except OSError as error:
        problem = f"unreadable: {error.strerror or error}"
    if problem is None and len(data) > limits.max_input_bytes:
        problem = f"unreadable: more than {limits.max_input_bytes} bytes (--max-input-bytes)"
    if problem is not None:
        report = FileReport(path, 0, profile)
        report.findings.append(Finding("structure.read", ERROR, None, problem))
        return report
    try:
        return audit_bytes(data, profile, path, lepton, cycles, limits, codecs, lepton_cpp)
    except Exception as error:  # a bug of ours must not end a batch of a million files
        report = FileReport(path, len(data), profile)
        report.findings.append(
            Finding("audit.internal", ERROR, None, f"the audit itself failed: {error!r}")
        )
        return report
