"""Optimal Huffman tables: valid, length-limited, and no worse than any other."""

from __future__ import annotations

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jpegsurgeon.huffman import code_lengths_and_codes, decode_arrays, optimal_table
from jpegsurgeon.model import HuffmanTable

frequency_lists = st.dictionaries(
    st.integers(0, 255), st.integers(1, 10**7), min_size=1, max_size=256
)


def as_array(frequencies: dict[int, int]) -> np.ndarray:
    array = np.zeros(257, np.int64)
    for symbol, count in frequencies.items():
        array[symbol] = count
    return array


def unlimited_huffman_cost(frequencies: dict[int, int]) -> int:
    """Textbook Huffman cost (sum of merged weights), with JPEG's reserved symbol."""
    heap = [*frequencies.values(), 1]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


@settings(max_examples=200, deadline=None)
@given(frequency_lists)
def test_optimal_table_is_a_valid_length_limited_prefix_code(frequencies):
    table = optimal_table(as_array(frequencies), 1, 0)
    sizes, codes = code_lengths_and_codes(table)  # raises if the code is invalid
    assert sorted(table.symbols) == sorted(frequencies)
    assert max(sizes) <= 16
    # Kraft: the lengths leave room for the reserved all-ones code
    assert sum(2.0**-s for s in sizes) < 1.0
    assert len(set(zip(sizes, codes))) == len(codes)


@settings(max_examples=200, deadline=None)
@given(frequency_lists)
def test_optimal_table_costs_what_huffman_costs_when_no_limit_binds(frequencies):
    table = optimal_table(as_array(frequencies), 1, 0)
    sizes, _ = code_lengths_and_codes(table)
    length_of = dict(zip(table.symbols, sizes))
    cost = sum(frequencies[s] * length_of[s] for s in frequencies)
    reserved_length = max(sizes)  # the pseudo-symbol took a longest code
    best = unlimited_huffman_cost(frequencies)
    assert cost + reserved_length >= best
    if max(sizes) < 16:  # the 16-bit limit never applied: exactly optimal
        assert cost + reserved_length == best


def test_skewed_frequencies_are_limited_to_16_bits():
    frequencies = {i: 2**i for i in range(40)}  # would want 39-bit codes
    table = optimal_table(as_array(frequencies), 1, 0)
    sizes, _ = code_lengths_and_codes(table)
    assert max(sizes) == 16 and len(sizes) == 40


def test_decode_arrays_find_every_symbol():
    table = optimal_table(as_array({i: i + 1 for i in range(162)}), 1, 0)
    sizes, codes = code_lengths_and_codes(table)
    arrays = decode_arrays(table)
    for size, code, symbol in zip(sizes, codes, table.symbols):
        if size <= 9:
            entry = arrays.lookup[code << (9 - size)]
            assert (entry >> 8, entry & 0xFF) == (size, symbol)
        else:
            assert code <= arrays.maxcode[size]
            assert arrays.symbols[code + arrays.valoffset[size]] == symbol


def test_table_of_ones_only_codes_is_rejected():
    import pytest

    from jpegsurgeon.errors import JpegError

    with pytest.raises(JpegError, match="over-subscribed"):
        code_lengths_and_codes(HuffmanTable(0, 0, (2,) + (0,) * 15, b"\x00\x01"))
