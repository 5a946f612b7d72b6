"""The forge-chains pass: every block a chain of the mixture's (run, size) symbols."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ZIGZAG_CELLS
from hypothesis import given, settings
from hypothesis import strategies as st

from jpegsurgeon.errors import JpegError
from jpegsurgeon.passes.forge_chains import chain_blocks, format_symbols, parse_symbols


def symbols_of(block: np.ndarray) -> list[tuple[int, int]]:
    """The (run, size) symbols JPEG codes for a block's AC, EOB left out."""
    symbols, run = [], 0
    for row, column in ZIGZAG_CELLS[1:]:
        value = int(block[row, column])
        if value == 0:
            run += 1
            continue
        symbols.append((run, abs(value).bit_length()))
        run = 0
    return symbols


mixtures = st.lists(
    st.tuples(st.integers(0, 15), st.integers(1, 10), st.floats(0.01, 1.0)),
    min_size=1, max_size=5, unique_by=lambda s: (s[0], s[1]),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(mixture=mixtures, stop=st.sampled_from([0.0, 0.05, 0.5]), seed=st.integers(0, 2**32))
def test_blocks_are_chains_of_the_mixture(mixture, stop, seed):
    blocks = chain_blocks(50, tuple(mixture), np.random.default_rng(seed), stop)
    allowed = {(run, size) for run, size, _ in mixture}
    longest_run = max(run for run, _, _ in mixture)
    for block in blocks:
        assert block[0, 0] == 0
        chain = symbols_of(block)
        assert chain and set(chain) <= allowed
        used = sum(run + 1 for run, _ in chain)
        if stop == 0:  # only the end of the block stops a chain: the next draw did not fit
            assert used + longest_run + 1 > 63


def test_stopping_shortens_chains_on_average():
    mixture = parse_symbols("0/1:0.65,11/2:0.25,6/3:0.1")
    long = chain_blocks(2000, mixture, np.random.default_rng(1), 0.0)
    short = chain_blocks(2000, mixture, np.random.default_rng(1), 0.03)
    counts = [np.count_nonzero(b.reshape(len(b), -1), axis=1) for b in (long, short)]
    assert counts[1].mean() < 0.9 * counts[0].mean()
    assert counts[1].std() > 1.1 * counts[0].std()  # more varied: what JPEG XL pays for


def test_symbols_round_trip_through_text():
    mixture = ((0, 1, 0.65), (11, 2, 0.25), (6, 3, 0.1))
    assert parse_symbols(format_symbols(mixture)) == mixture


@pytest.mark.parametrize("text", ["0/1", "16/1:1", "0/0:1", "0/11:1", "0/1:0", "a/b:c"])
def test_bad_mixtures_are_refused(text):
    with pytest.raises(JpegError, match="forge-chains symbols"):
        parse_symbols(text)
