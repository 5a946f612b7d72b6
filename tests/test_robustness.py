"""Mutated JPEG bytes: a parsed image or the package's own error, nothing else."""

from __future__ import annotations

from collections import Counter

import numpy as np
from conftest import FIXTURE_FILES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jpegsurgeon
from jpegsurgeon.errors import JpegError

SEEDS = [p.read_bytes() for p in FIXTURE_FILES if p.stat().st_size < 8000]


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[position] = draw(st.sampled_from([0x00, 0xFF, 0xD9, 0xC4, 0xDA, 0x7F]))
        elif kind == "cut":
            del data[position:]
        elif kind == "insert":
            data[position:position] = draw(st.binary(max_size=8))
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 16))]
    return bytes(data)


def test_mutated_input_reads_or_raises_jpeg_error():
    """Reading gives an image or the package's one-line JpegError.  Writing an
    image read gives strict JFIF that reads back to the same coefficients, or
    the package's JpegError (refused: 16-bit tables, a zero quantizer, a value
    no baseline code holds); and most images read are written, so the round
    trip is checked, not passed by refusing."""
    outcomes: Counter[str] = Counter()

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutated())
    def check(data):
        try:
            image = jpegsurgeon.read(data)
        except JpegError as error:
            assert "\n" not in str(error)
            outcomes["unread"] += 1
            return
        try:
            rewritten = jpegsurgeon.write(image)
        except JpegError as error:  # refused, and said why: anything else propagates
            assert "\n" not in str(error)
            outcomes["refused"] += 1
            return
        assert rewritten[:6] == b"\xff\xd8\xff\xe0\x00\x10" and rewritten[-2:] == b"\xff\xd9"
        again = jpegsurgeon.read(rewritten)  # what we wrote must read, whole
        assert not again.truncated and not again.warnings
        assert (again.width, again.height) == (image.width, image.height)
        for a, b in zip(image.components, again.components, strict=True):
            assert (a.h, a.v) == (b.h, b.v)
            np.testing.assert_array_equal(a.visible_coefficients, b.visible_coefficients)
        outcomes["written"] += 1

    check()
    read = outcomes["written"] + outcomes["refused"]
    # about 60-80 of 400 written, a few refused, in trial runs
    assert outcomes["written"] >= 30 and outcomes["written"] >= 0.6 * read, dict(outcomes)
