"""Inputs that once broke something (found by tools/fuzz/), kept fixed.

Each file in tests/regressions/ must give a parsed image or a one-line
JpegError from read and write, and a report (never an internal failure)
from the audit in both profiles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import jpegsurgeon
from jpegsurgeon.compliance import audit_bytes
from jpegsurgeon.errors import JpegError

CASES = sorted((Path(__file__).parent / "regressions").glob("*"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_regression_input(path):
    data = path.read_bytes()
    try:
        image = jpegsurgeon.read(data)
        written = jpegsurgeon.write(image)
    except JpegError as error:
        assert str(error) and "\n" not in str(error)
    else:
        again = jpegsurgeon.read(written)
        for a, b in zip(image.components, again.components):
            np.testing.assert_array_equal(a.visible_coefficients, b.visible_coefficients)
    for profile in ("lepton-challenge", "jfif"):
        report = audit_bytes(data, profile, lepton=False)
        assert "audit.internal" not in {f.rule_id for f in report.findings}
