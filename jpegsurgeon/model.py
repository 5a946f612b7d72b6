"""The image model: what a JPEG holds once its entropy coding is undone.

Plain dataclasses over numpy arrays.  Nothing here reads or writes bytes;
`parser` and `decoder` fill these in, passes change them, `writer` emits them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .markers import ARITHMETIC_FRAMES, FRAME_KIND, PROGRESSIVE_FRAMES, Marker, stands_alone

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


@dataclass(frozen=True)
class Notice:
    """Something odd the reader met and repaired or ignored, as libjpeg warns of it."""

    kind: str  # "stray" bytes, "scan" data damage, "jfif" header, "parameters" of a scan
    offset: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.offset is None else f"offset {self.offset}: {self.message}"


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
        return 2 if stands_alone(self.marker) else 4 + len(self.payload)


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
    # that table as the file holds it; passes change quant_values, never this
    source_quant_values: np.ndarray | None = field(repr=False, default=None)

    @property
    def visible_coefficients(self) -> np.ndarray:
        """The blocks libjpeg reports, without MCU padding (a view)."""
        return self.coefficients[: self.height_in_blocks, : self.width_in_blocks]


@dataclass
class Frame:
    marker: int  # SOF0, SOF1, SOF2, SOF9 or SOF10
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
    def arithmetic(self) -> bool:
        return self.marker in ARITHMETIC_FRAMES

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
    # arithmetic coding conditioning in force (DAC): DC L x4, DC U x4, AC Kx x4
    conditioning: tuple[int, ...] = (0, 0, 0, 0, 1, 1, 1, 1, 5, 5, 5, 5)
    # tables in force for this scan, by (class, id): what preserve mode re-uses
    huffman_tables: dict[tuple[int, int], HuffmanTable] = field(repr=False, default_factory=dict)
    pad_bit: int = 1  # value of the bits that pad the scan's last byte
    segments_padded_with_zeros: int = 0  # entropy-coded segments not padded with ones
    stray_bytes: int = 0  # bytes between a restart interval's data and its RSTn
    fill_bytes: int = 0  # extra FF bytes in front of RSTn markers
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
    adobe_transform: int | None = None  # from an APP14 "Adobe" segment
    trailing: bytes = b""  # bytes after EOI
    truncated: bool = False  # the file ends before EOI or a scan's data ran out
    has_eoi: bool = True
    source_size: int = 0
    warnings: list[Notice] = field(default_factory=list)
    # Huffman tables of strict output: "per-class" (optimal, one pair for luma
    # and one for chroma), "shared" (one optimal pair) or "original" (the input's)
    huffman_plan: str = "per-class"

    @property
    def components(self) -> list[Component]:
        return self.frame.components

    @property
    def colour_space(self) -> str:
        """What the components hold, decided as libjpeg decides it."""
        count = len(self.components)
        if count == 1:
            return "grayscale"
        if count == 4:
            return "YCCK" if self.adobe_transform == 2 else "CMYK"
        if count != 3:
            return "unknown"
        if self.jfif is not None:
            return "YCbCr"
        if self.adobe_transform is not None:
            return "YCbCr" if self.adobe_transform else "RGB"
        ids = [c.component_id for c in self.components]
        return "RGB" if ids == [ord("R"), ord("G"), ord("B")] else "YCbCr"

    @property
    def width(self) -> int:
        return self.frame.width

    @property
    def height(self) -> int:
        return self.frame.height

    def with_coefficients(self, arrays: dict[int, np.ndarray]) -> JpegImage:
        """A copy whose components (by index) take new coefficient arrays."""
        components = [
            replace(c, coefficients=arrays.get(i, c.coefficients))
            for i, c in enumerate(self.components)
        ]
        return replace(self, frame=replace(self.frame, components=components))


def block_grid(
    width: int, height: int, sampling: list[tuple[int, int]]
) -> list[tuple[int, int, tuple[int, int]]]:
    """Per component: blocks wide and high as libjpeg reports them, and the
    (rows, columns) of blocks actually coded, MCU padding included (T.81 A.1.1).

    A lone component is always scanned block by block, so it has no padding.
    """
    max_h = max(h for h, _ in sampling)
    max_v = max(v for _, v in sampling)
    mcus_wide = math.ceil(width / (8 * max_h))
    mcus_high = math.ceil(height / (8 * max_v))
    grid = []
    for h, v in sampling:
        wide = math.ceil(math.ceil(width * h / max_h) / 8)
        high = math.ceil(math.ceil(height * v / max_v) / 8)
        coded = (mcus_high * v, mcus_wide * h) if len(sampling) > 1 else (high, wide)
        grid.append((wide, high, coded))
    return grid


def blank_image(
    width: int,
    height: int,
    sampling: tuple[tuple[int, int], ...] = ((2, 2), (1, 1), (1, 1)),
    quant_values: tuple[np.ndarray, ...] | None = None,
) -> JpegImage:
    """A baseline image model with all coefficients zero, to fill in by hand.

    `sampling` gives (h, v) per component; `quant_values` one 8x8 table per
    component (default: all ones).
    """
    components = []
    for index, ((h, v), (wide, high, coded)) in enumerate(
        zip(sampling, block_grid(width, height, list(sampling)))
    ):
        quant = np.ones((8, 8), np.uint16) if quant_values is None else quant_values[index]
        components.append(
            Component(index + 1, h, v, min(index, 1), wide, high,
                      coefficients=np.zeros((*coded, 8, 8), np.int16),
                      quant_values=np.asarray(quant, np.uint16).reshape(8, 8))
        )  # fmt: skip
    frame = Frame(Marker.SOF0, 8, width, height, components)
    return JpegImage(frame=frame, quant_tables={}, huffman_tables={}, scans=[], segments=[])
