"""The image model: what a JPEG holds once its entropy coding is undone.

Plain dataclasses over numpy arrays.  Nothing here reads or writes bytes;
`parser` and `decoder` fill these in, passes change them, `writer` emits them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .markers import FRAME_KIND, PROGRESSIVE_FRAMES, Marker

# Zigzag position -> natural (row-major) index inside an 8x8 block (T.81 Figure A.6).
ZIGZAG_TO_NATURAL = np.array(
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ],
    dtype=np.int32,
)  # fmt: skip
NATURAL_TO_ZIGZAG = np.argsort(ZIGZAG_TO_NATURAL).astype(np.int32)


@dataclass
class Segment:
    """One marker segment as it stands in the file."""

    marker: int
    offset: int  # of the 0xFF that starts the marker
    payload: bytes = b""  # bytes after the length field; empty for SOI, EOI, RSTn
    fill_before: int = 0  # 0xFF fill bytes in front of the marker
    parsed: object = None  # the construct container, for segments with a layout

    @property
    def size(self) -> int:
        """Bytes the segment occupies: marker, length field and payload."""
        return 2 if self.marker in _STANDALONE else 4 + len(self.payload)


_STANDALONE = frozenset({Marker.SOI, Marker.EOI, Marker.TEM, *range(0xD0, 0xD8)})


@dataclass
class QuantTable:
    table_id: int
    values: np.ndarray  # uint16 (8, 8), natural order
    precision: int = 0  # 0: 8-bit entries, 1: 16-bit entries


@dataclass
class HuffmanTable:
    table_class: int  # 0 DC, 1 AC
    table_id: int
    counts: tuple[int, ...]  # number of codes of each length 1..16
    symbols: bytes  # in order of increasing code length

    @property
    def kind(self) -> str:
        return "dc" if self.table_class == 0 else "ac"


@dataclass
class Jfif:
    version: tuple[int, int] = (1, 1)
    units: int = 0
    x_density: int = 1
    y_density: int = 1
    thumbnail_width: int = 0
    thumbnail_height: int = 0


@dataclass
class Component:
    """One colour component and its quantized DCT coefficients."""

    component_id: int
    h: int  # horizontal sampling factor
    v: int  # vertical sampling factor
    quant_table_id: int
    width_in_blocks: int  # what libjpeg reports: ceil(component width / 8)
    height_in_blocks: int
    # int16 (blocks_high, blocks_wide, 8, 8), natural order, MCU padding included
    coefficients: np.ndarray = field(repr=False, default=None)
    # the table in force when the component was first scanned (libjpeg latches it then)
    quant_values: np.ndarray | None = field(repr=False, default=None)

    @property
    def visible_coefficients(self) -> np.ndarray:
        """The blocks libjpeg reports, without MCU padding (a view)."""
        return self.coefficients[: self.height_in_blocks, : self.width_in_blocks]


@dataclass
class Frame:
    marker: int  # SOF0, SOF1 or SOF2
    precision: int  # bits per sample, 8 or 12
    width: int
    height: int
    components: list[Component]

    @property
    def kind(self) -> str:
        return FRAME_KIND.get(self.marker, "unknown")

    @property
    def progressive(self) -> bool:
        return self.marker in PROGRESSIVE_FRAMES

    @property
    def max_h(self) -> int:
        return max(c.h for c in self.components)

    @property
    def max_v(self) -> int:
        return max(c.v for c in self.components)

    @property
    def mcus_wide(self) -> int:
        return math.ceil(self.width / (8 * self.max_h))

    @property
    def mcus_high(self) -> int:
        return math.ceil(self.height / (8 * self.max_v))


@dataclass
class Scan:
    """One SOS and its entropy-coded data."""

    component_indexes: list[int]  # into Frame.components
    dc_table_ids: list[int]
    ac_table_ids: list[int]
    ss: int
    se: int
    ah: int
    al: int
    header_offset: int  # of the SOS marker
    data_offset: int  # first byte of entropy-coded data
    data_length: int  # up to the marker that ends the scan, RSTn included
    restart_interval: int
    # tables in force for this scan, by (class, id): what preserve mode re-uses
    huffman_tables: dict[tuple[int, int], HuffmanTable] = field(repr=False, default_factory=dict)
    pad_bit: int = 1  # value of the bits that pad the scan's last byte
    tail: bytes = b""  # bytes after the last coded MCU (stray RSTn, garbage)
    insufficient_data: bool = False  # the data ran out before the last MCU


@dataclass
class JpegImage:
    frame: Frame
    quant_tables: dict[int, QuantTable]  # final state of each table id
    huffman_tables: dict[tuple[int, int], HuffmanTable]  # final state, by (class, id)
    scans: list[Scan]
    segments: list[Segment]
    restart_interval: int = 0  # first one in force for a scan
    jfif: Jfif | None = None
    leading: bytes = b""  # bytes before SOI (none in a valid file)
    trailing: bytes = b""  # bytes after EOI
    truncated: bool = False  # the entropy-coded data ended early
    has_eoi: bool = True
    source_size: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def components(self) -> list[Component]:
        return self.frame.components

    @property
    def width(self) -> int:
        return self.frame.width

    @property
    def height(self) -> int:
        return self.frame.height
