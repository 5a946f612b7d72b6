"""Entropy decoding: each scan's data into the components' coefficient arrays.

The parser has located every scan and the tables in force for it; this module
lays out each scan's MCUs and hands them to the compiled loops in `_entropy`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _entropy
from ._entropy import ScanKind
from .errors import JpegError
from .huffman import decode_arrays
from .model import Frame, HuffmanTable, JpegImage, Notice, Scan


def scan_layout(frame: Frame, component_indexes: list[int]) -> tuple[np.ndarray, int, int]:
    """Blocks of one MCU and the MCU grid of a scan (T.81 A.2).

    Returns rows of (component position in scan, row multiplier, column
    multiplier, block row offset, block column offset, array width in blocks)
    and the number of MCUs across and down.
    """
    components = [frame.components[i] for i in component_indexes]
    if len(components) == 1:
        # Non-interleaved: one block per MCU, only the blocks libjpeg reports.
        c = components[0]
        rows = [(0, 1, 1, 0, 0, c.coefficients.shape[1])]
        return np.array(rows, np.int32), c.width_in_blocks, c.height_in_blocks
    rows = []
    for position, c in enumerate(components):
        for dy in range(c.v):
            for dx in range(c.h):
                rows.append((position, c.v, c.h, dy, dx, c.coefficients.shape[1]))
    return np.array(rows, np.int32), frame.mcus_wide, frame.mcus_high


def scan_kind(frame: Frame, scan: Scan) -> ScanKind:
    if not frame.progressive:
        return ScanKind.SEQUENTIAL
    if scan.ss == 0:
        return ScanKind.DC_FIRST if scan.ah == 0 else ScanKind.DC_REFINE
    return ScanKind.AC_FIRST if scan.ah == 0 else ScanKind.AC_REFINE


class _DecoderCache:
    """One compiled decoder per table definition, however many scans use it."""

    def __init__(self) -> None:
        self._built: dict[int, _entropy.HuffmanDecoder] = {}

    def get(self, table: HuffmanTable | None) -> _entropy.HuffmanDecoder | None:
        if table is None:
            return None
        key = id(table)
        if key not in self._built:
            arrays = decode_arrays(table)
            self._built[key] = _entropy.HuffmanDecoder(
                arrays.lookup, arrays.maxcode, arrays.valoffset, arrays.symbols
            )
        return self._built[key]


def scan_needs(kind: ScanKind) -> tuple[bool, bool]:
    """Whether a scan of this kind codes with DC tables, and with AC tables."""
    dc = kind in (ScanKind.SEQUENTIAL, ScanKind.DC_FIRST)
    ac = kind in (ScanKind.SEQUENTIAL, ScanKind.AC_FIRST, ScanKind.AC_REFINE)
    return dc, ac


def scan_table(scan: Scan, table_class: int, table_id: int) -> HuffmanTable:
    """The Huffman table a scan names, as defined when the scan began."""
    table = scan.huffman_tables.get((table_class, table_id))
    if table is None:
        kind = "DC" if table_class == 0 else "AC"
        raise JpegError(
            f"scan uses {kind} Huffman table {table_id}, which is not defined", scan.header_offset
        )
    return table


@dataclass(frozen=True)
class BaselineCounts:
    """The symbol counts of the one scan that a baseline, interleaved,
    restart-free re-encoding of an image's coefficients codes, per frame
    component: DC categories and AC symbols, 257 counts each, as the
    writer's counting pass would fill them.  The decoder takes them on the
    way through a lone sequential scan of every component; they describe
    the coefficients as decoded, so only a writer given the image straight
    from the decoder may use them instead of counting."""

    dc: tuple[np.ndarray, ...]
    ac: tuple[np.ndarray, ...]

    @classmethod
    def of_scan(cls, image: JpegImage, scan: Scan, tally: np.ndarray) -> BaselineCounts | None:
        """From a scan's tally (scan component, class, symbol), when the
        scan holds every component; None otherwise."""
        positions = {index: position for position, index in enumerate(scan.component_indexes)}
        if sorted(positions) != list(range(len(image.components))):
            return None
        order = [positions[index] for index in range(len(image.components))]
        return cls(tuple(tally[p, 0] for p in order), tuple(tally[p, 1] for p in order))


def decode(image: JpegImage, data: bytes, *, with_counts: bool = False) -> BaselineCounts | None:
    """Fill every component's coefficient array from the scans, in file order.

    With `with_counts`, returns the symbol counts of a baseline re-encoding
    when the decoder could take them on the way (see BaselineCounts); else None.
    """
    frame = image.frame
    cache = _DecoderCache()
    buffer = np.frombuffer(data, np.uint8)
    counts = None
    for number, scan in enumerate(image.scans, start=1):
        kind = scan_kind(frame, scan)
        slots, mcus_wide, mcus_high = scan_layout(frame, scan.component_indexes)
        arrays = tuple(
            frame.components[i].coefficients.reshape(-1, 64) for i in scan.component_indexes
        )
        end = scan.data_offset + scan.data_length
        if frame.arithmetic:
            if max(scan.dc_table_ids + scan.ac_table_ids) > 3:
                raise JpegError("scan names an arithmetic coding table above 3", scan.header_offset)
            result = _entropy.decode_arithmetic_scan(
                buffer, scan.data_offset, end, kind, scan.ss, scan.se, scan.ah, scan.al, arrays,
                slots, mcus_wide, mcus_high, scan.restart_interval,
                np.array(scan.dc_table_ids, np.int32), np.array(scan.ac_table_ids, np.int32),
                np.array(scan.conditioning, np.int32),
            )  # fmt: skip
        else:
            needs_dc, needs_ac = scan_needs(kind)
            dc_tables = tuple(
                cache.get(scan_table(scan, 0, t)) if needs_dc else None for t in scan.dc_table_ids
            )
            ac_tables = tuple(
                cache.get(scan_table(scan, 1, t)) if needs_ac else None for t in scan.ac_table_ids
            )
            tally = None
            if with_counts and kind == ScanKind.SEQUENTIAL and len(image.scans) == 1:
                tally = np.zeros((len(arrays), 2, 257), np.int64)
            result = _entropy.decode_scan(
                buffer, scan.data_offset, end, kind, scan.ss, scan.se, scan.ah, scan.al, arrays,
                slots, mcus_wide, mcus_high, scan.restart_interval, dc_tables, ac_tables, tally,
            )  # fmt: skip
            if tally is not None and result["canonical"]:
                counts = BaselineCounts.of_scan(image, scan, tally)
        scan.insufficient_data = result["insufficient"]
        scan.pad_bit = 1 if result["pad_bit"] < 0 else result["pad_bit"]
        scan.segments_padded_with_zeros = result["bad_padding"]
        scan.stray_bytes = result["stray_bytes"]
        scan.fill_bytes = result["fill_bytes"]
        scan.tail = data[result["end"] : end]
        problems = []
        if result["insufficient"]:
            image.truncated = True
            problems.append("entropy-coded data ends early (premature end)")
        if result["bad_codes"]:
            code = "arithmetic" if frame.arithmetic else "Huffman"
            problems.append(f"{result['bad_codes']} invalid {code} codes (corrupt data)")
        if result["bad_restarts"]:
            problems.append(f"{result['bad_restarts']} restart markers missing or out of order")
        image.warnings.extend(
            Notice("scan", scan.data_offset, f"scan {number}: {p}") for p in problems
        )
        if problems:  # blocks skipped or guessed: the counts miss them
            counts = None
    return counts
