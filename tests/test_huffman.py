"""Optimal Huffman tables: valid, length-limited, and no worse than any other."""

from __future__ import annotations

import heapq
from fractions import Fraction

import numpy as np
import pytest
from conftest import CORPUS_FILES, FIXTURE_FILES, file_id
from hypothesis import given, settings
from hypothesis import strategies as st

import jpegsurgeon
from jpegsurgeon.errors import JpegError
from jpegsurgeon.huffman import code_lengths_and_codes, decode_arrays, optimal_table
from jpegsurgeon.markers import Marker
from jpegsurgeon.model import HuffmanTable

frequency_lists = st.dictionaries(
    st.integers(0, 255), st.integers(1, 10**7), min_size=1, max_size=256
)


def as_array(frequencies: dict[int, int]) -> np.ndarray:
    array = np.zeros(257, np.int64)
    for symbol, count in frequencies.items():
        array[symbol] = count
    return array


def bit_strings(table: HuffmanTable) -> list[str]:
    sizes, codes = code_lengths_and_codes(table)
    return [format(code, f"0{size}b") for size, code in zip(sizes, codes, strict=True)]


def assert_prefix_free(table: HuffmanTable) -> None:
    """No code is a prefix of another, nor all ones (T.81 C: that pattern is
    reserved).  Sorted, a code's extensions follow it at once: neighbours suffice."""
    strings = sorted(bit_strings(table))
    for shorter, longer in zip(strings, strings[1:]):
        assert not longer.startswith(shorter), (table, shorter, longer)
    assert all("0" in s for s in strings), table


def kraft_sum(table: HuffmanTable) -> Fraction:
    return sum((Fraction(1, 2 ** len(s)) for s in bit_strings(table)), Fraction(0))


def assert_complete_but_for_all_ones(table: HuffmanTable) -> None:
    """Kraft equality with the reserved code: the codes and the all-ones code of
    the longest length fill the code space exactly, as an optimal code must."""
    longest = max(len(s) for s in bit_strings(table))
    assert kraft_sum(table) + Fraction(1, 2**longest) == 1, table


def dht_tables(image) -> list[HuffmanTable]:
    """Every table every DHT segment of the file defines, in file order."""
    return [
        HuffmanTable(t.info.table_class, t.info.table_id, tuple(t.counts), bytes(t.symbols))
        for s in image.segments if s.marker == Marker.DHT and s.parsed is not None
        for t in s.parsed.tables
    ]  # fmt: skip


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
    sizes, _ = code_lengths_and_codes(table)  # raises if the code is invalid
    assert sorted(table.symbols) == sorted(frequencies)
    assert max(sizes) <= 16
    assert_prefix_free(table)
    assert_complete_but_for_all_ones(table)


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
    with pytest.raises(JpegError, match="over-subscribed"):
        code_lengths_and_codes(HuffmanTable(0, 0, (2,) + (0,) * 15, b"\x00\x01"))


@pytest.mark.parametrize("path", FIXTURE_FILES + CORPUS_FILES, ids=file_id)
def test_tables_of_real_files_and_of_their_decoded_streams(path):
    """Every table a real file defines is a prefix code leaving the all-ones
    code free (some encoders leave more room: gray2sf.jpg's AC table); every
    table the strict writer builds from the file's decoded symbols is an
    optimal code, so it also fills the code space exactly."""
    image = jpegsurgeon.read(path)
    for table in dht_tables(image):
        assert_prefix_free(table)
        longest = max(len(s) for s in bit_strings(table))
        assert kraft_sum(table) + Fraction(1, 2**longest) <= 1
    try:
        written = jpegsurgeon.write(image)
    except JpegError as error:  # CMYK, 12-bit samples, 16-bit tables
        pytest.skip(f"the strict writer refuses it: {error}")
    rebuilt = dht_tables(jpegsurgeon.read(written))
    assert {(t.table_class, t.table_id) for t in rebuilt} >= {(0, 0), (1, 0)}
    for table in rebuilt:
        assert_prefix_free(table)
        assert_complete_but_for_all_ones(table)


def test_the_standard_tables_fill_the_code_space():
    """Annex K.3's luminance tables, which libjpeg writes by default, are complete too."""
    photo = next(p for p in FIXTURE_FILES if p.name == "baseline_420_203x157.jpg")
    tables = dht_tables(jpegsurgeon.read(photo))
    assert [t.counts[:4] for t in tables[:2]] == [(0, 1, 5, 1), (0, 2, 1, 3)]
    for table in tables:
        assert_prefix_free(table)
        assert_complete_but_for_all_ones(table)
