"""Fuzz target: the audit (without Lepton) must report on anything, never fail itself.

python tools/fuzz/fuzz_audit.py CORPUS_DIR -max_total_time=1800 -timeout=2 -rss_limit_mb=512
"""

from __future__ import annotations

import sys

import atheris
from harness import import_package

with atheris.instrument_imports(include=["jpegsurgeon"]):
    import_package()
    from jpegsurgeon.compliance import audit_bytes


def test_one_input(data: bytes) -> None:
    for profile in ("lepton-challenge", "jfif"):
        report = audit_bytes(data, profile, lepton=False)
        for finding in report.findings:
            if finding.rule_id == "audit.internal" or "\n" in finding.message:
                raise AssertionError(f"audit failed on its own: {finding.message}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
