"""The jxl-steer pass: the same (run, value) pairs per block, a JPEG of the same
size, and a file JPEG XL stores less well."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from conftest import ZIGZAG_CELLS
from hypothesis import given, settings
from hypothesis import strategies as st
from marker_walk import walk

import jpegsurgeon
from jpegsurgeon.forge import jxl_model
from jpegsurgeon.model import blank_image
from jpegsurgeon.passes import resolve, run_pipeline
from jpegsurgeon.passes.jxl_steer import block_pairs, place


def pairs_of(block: np.ndarray) -> tuple[Counter, bool]:
    """A block's (zero run, value) pairs as JPEG codes them, and whether it ends in EOB."""
    pairs, run, last = Counter(), 0, 0
    for index, (row, column) in enumerate(ZIGZAG_CELLS[1:], start=1):
        value = int(block[row, column])
        if value == 0:
            run += 1
            continue
        pairs[run, value] += 1
        run, last = 0, index
    return pairs, last < 63


def chain_image(seed: int, side: int = 256, steer: int = 0) -> jpegsurgeon.JpegImage:
    calls = [resolve("forge-synthesize", {"width": side, "height": side, "sampling": "444"}),
             resolve("forge-chains", {})]  # fmt: skip
    if steer:
        calls.append(resolve("jxl-steer", {"candidates": steer, "batch": 64}))
    image, _ = run_pipeline(blank_image(8, 8, ((1, 1),)), calls, seed)
    return image


sparse_blocks = st.lists(
    st.lists(st.sampled_from([0, 0, 0, 0, 1, -1, 3, -7, 200]), min_size=63, max_size=63),
    min_size=1, max_size=20,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(blocks=sparse_blocks)
def test_pairs_rebuild_their_blocks(blocks):
    zigzag = np.zeros((len(blocks), 64), np.int64)
    zigzag[:, 1:] = blocks
    runs, values, counts = block_pairs(zigzag)
    np.testing.assert_array_equal(place(runs, values, counts), zigzag)


def test_steering_keeps_every_block_pairs_and_the_jpeg_size():
    plain, steered = chain_image(3), chain_image(3, steer=16)
    reordered = 0
    for before, after in zip(plain.components, steered.components, strict=True):
        a, b = before.coefficients.reshape(-1, 8, 8), after.coefficients.reshape(-1, 8, 8)
        np.testing.assert_array_equal(a[:, 0, 0], b[:, 0, 0])  # DC untouched
        for x, y in zip(a, b):
            assert pairs_of(x) == pairs_of(y)
        reordered += int((a != b).any(axis=(1, 2)).sum())
    assert reordered > 0.5 * sum(c.coefficients[..., 0, 0].size for c in plain.components)
    # the same symbols: the same optimal tables, the same entropy-coded bits (bar stuffing)
    first, second = jpegsurgeon.write(plain), jpegsurgeon.write(steered)
    tables = [[payload for marker, payload in walk(data).segments if marker == 0xC4]
              for data in (first, second)]  # fmt: skip
    assert tables[0] == tables[1]
    assert abs(len(first) - len(second)) <= 0.002 * len(first)


def test_one_candidate_changes_nothing():
    plain, kept = chain_image(5), chain_image(5, steer=1)
    for a, b in zip(plain.components, kept.components, strict=True):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)


def test_jpeg_xl_pays_more_for_steered_blocks():
    codec = pytest.importorskip("jpegsurgeon.codecs").get_codec
    try:
        jxl = codec("jxl")
    except Exception as error:  # noqa: BLE001 - imagecodecs without JPEG XL
        pytest.skip(f"JPEG XL is not available: {error}")
    ratios = []
    for steer in (0, 32):
        data = jpegsurgeon.write(chain_image(7, side=512, steer=steer))
        ratios.append(len(jxl.compress(data)) / len(data))
    assert ratios[1] > ratios[0] + 0.01, ratios


def test_coefficient_order_follows_zero_counts_then_jpeg_xl_natural_order():
    order = jxl_model.coefficient_order(np.zeros(64))
    assert sorted(order) == list(range(64)) and order[0] == 0
    np.testing.assert_array_equal(order, jxl_model.NATURAL_ORDER)
    # JPEG XL's natural order starts along the first anti-diagonals: positions
    # (0,1)/(1,0) (zigzag 1, 2), then the three of the next diagonal
    assert set(order[1:3]) == {1, 2} and set(order[3:6]) == {3, 4, 5}
    zeros = np.full(64, 1000.0)
    zeros[63] = 0  # the last position is never zero: it goes first after DC
    assert jxl_model.coefficient_order(zeros)[1] == 63
