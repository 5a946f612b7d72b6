"""Huffman tables: validating them, deriving codes, and optimal code lengths.

The bit-level coder lives in `_entropy`; this module only turns table
definitions (16 counts and a symbol list, T.81 Annex C) into the arrays that
coder reads, and computes optimal tables from symbol frequencies (Annex K.2).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from .errors import JpegError
from .model import HuffmanTable

LOOKAHEAD_BITS = 9  # codes up to this length decode with one table look-up


def code_lengths_and_codes(table: HuffmanTable) -> tuple[list[int], list[int]]:
    """Canonical code of every symbol in table order (T.81 C.1, C.2).

    Rejects what libjpeg rejects: more than 256 symbols, lengths that do not
    fit, and codes made only of one bits.
    """
    sizes: list[int] = []
    for length, count in enumerate(table.counts, start=1):
        sizes.extend([length] * count)
    if len(sizes) > 256 or len(sizes) != len(table.symbols):
        raise JpegError(
            f"{table.kind.upper()} Huffman table {table.table_id} has {len(sizes)} codes"
        )
    codes: list[int] = []
    code = 0
    length = sizes[0] if sizes else 0
    for size in sizes:
        if size != length:
            code <<= size - length
            length = size
        codes.append(code)
        code += 1
        # The next code must still fit: no code may consist of ones only.
        if code >= 1 << length and (len(codes) == len(sizes) or sizes[len(codes)] == length):
            raise JpegError(
                f"{table.kind.upper()} Huffman table {table.table_id} is over-subscribed "
                f"at length {length}"
            )
    if table.table_class == 0 and any(s > 15 for s in table.symbols):
        raise JpegError(f"DC Huffman table {table.table_id} has a category above 15")
    return sizes, codes


@dataclass(frozen=True)
class DecodeArrays:
    """What the decoder needs: one look-up for short codes, canonical limits for long ones."""

    lookup: np.ndarray  # int32[1 << LOOKAHEAD_BITS]: (length << 8) | symbol, 0 if longer
    maxcode: np.ndarray  # int32[18]: largest code of each length, -1 if none
    valoffset: np.ndarray  # int32[18]: symbol index = code + valoffset[length]
    symbols: np.ndarray  # uint8[256]


def decode_arrays(table: HuffmanTable) -> DecodeArrays:
    sizes, codes = code_lengths_and_codes(table)
    lookup = np.zeros(1 << LOOKAHEAD_BITS, dtype=np.int32)
    maxcode = np.full(18, -1, dtype=np.int32)
    valoffset = np.zeros(18, dtype=np.int32)
    symbols = np.zeros(256, dtype=np.uint8)
    symbols[: len(table.symbols)] = np.frombuffer(table.symbols, dtype=np.uint8)
    for index, (size, code, symbol) in enumerate(zip(sizes, codes, table.symbols)):
        if maxcode[size] < 0:
            valoffset[size] = index - code
        maxcode[size] = code
        if size <= LOOKAHEAD_BITS:
            shift = LOOKAHEAD_BITS - size
            lookup[code << shift : (code + 1) << shift] = (size << 8) | symbol
    return DecodeArrays(lookup, maxcode, valoffset, symbols)


def encode_arrays(table: HuffmanTable) -> tuple[np.ndarray, np.ndarray]:
    """Code and code length of each symbol value; length 0 for symbols the table lacks."""
    sizes, codes = code_lengths_and_codes(table)
    code_of = np.zeros(256, dtype=np.uint32)
    size_of = np.zeros(256, dtype=np.uint8)
    for size, code, symbol in zip(sizes, codes, table.symbols):
        code_of[symbol] = code
        size_of[symbol] = size
    return code_of, size_of


def optimal_table(frequencies: np.ndarray, table_class: int, table_id: int) -> HuffmanTable:
    """The optimal table for these symbol frequencies, codes at most 16 bits long.

    T.81 Annex K.2, as libjpeg's jpeg_gen_optimal_table does it: a reserved
    pseudo-symbol keeps any code from being all ones, ties go to the higher
    symbol, and over-long codes are shortened by the K.3 adjustment.
    """
    freq = [int(f) for f in frequencies[:256]] + [1]
    if not any(freq[:256]):
        freq[0] = 1  # a table must hold at least one real code
    codesize = [0] * 257
    chain = [-1] * 257  # next symbol in the same subtree
    heap = [(f, -symbol) for symbol, f in enumerate(freq) if f]
    heapq.heapify(heap)
    while len(heap) > 1:
        f1, neg1 = heapq.heappop(heap)
        f2, neg2 = heapq.heappop(heap)
        c1, c2 = -neg1, -neg2
        heapq.heappush(heap, (f1 + f2, neg1))
        # every symbol under both subtrees gets one bit longer; then link the trees
        while True:
            codesize[c1] += 1
            if chain[c1] < 0:
                break
            c1 = chain[c1]
        chain[c1] = c2
        while True:
            codesize[c2] += 1
            if chain[c2] < 0:
                break
            c2 = chain[c2]
    # libjpeg stops at 32-bit codes; skewed enough counts go deeper, so size to fit.
    longest = max(codesize)
    bits = [0] * (max(longest, 16) + 1)
    for size in codesize:
        if size:
            bits[size] += 1
    for length in range(longest, 16, -1):
        while bits[length] > 0:
            j = length - 2
            while bits[j] == 0:
                j -= 1
            bits[length] -= 2
            bits[length - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    length = 16
    while bits[length] == 0:
        length -= 1
    bits[length] -= 1  # drop the reserved pseudo-symbol's code
    # symbols by code length, then by value (T.81 K.2's "sort_input")
    symbols = bytes(sorted((symbol for symbol in range(256) if codesize[symbol]),
                           key=lambda symbol: (codesize[symbol], symbol)))  # fmt: skip
    return HuffmanTable(table_class, table_id, tuple(bits[1:17]), symbols)
