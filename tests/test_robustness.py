"""Mutated JPEG bytes: a parsed image or the package's own error, nothing else."""

from __future__ import annotations

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


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_input_reads_or_raises_jpeg_error(data):
    try:
        image = jpegsurgeon.read(data)
    except JpegError as error:
        assert "\n" not in str(error)
        return
    try:
        rewritten = jpegsurgeon.write(image)
    except JpegError:
        return
    again = jpegsurgeon.read(rewritten)
    for a, b in zip(image.components, again.components):
        assert (a.visible_coefficients == b.visible_coefficients).all()
