"""Every marker code of ITU T.81 Table B.1, in one place.

A marker is 0xFF followed by one of these codes.  Everything the parser,
writer and audit need to know about a marker (does a length follow? is it a
frame header? which coding does it select?) is answered here.
"""

from __future__ import annotations

import enum


class Marker(enum.IntEnum):
    # Start of frame, Huffman coding
    SOF0 = 0xC0  # baseline DCT
    SOF1 = 0xC1  # extended sequential DCT
    SOF2 = 0xC2  # progressive DCT
    SOF3 = 0xC3  # lossless (sequential)
    # Start of frame, differential Huffman coding (hierarchical)
    SOF5 = 0xC5
    SOF6 = 0xC6
    SOF7 = 0xC7
    # Start of frame, arithmetic coding
    JPG = 0xC8  # reserved for JPEG extensions
    SOF9 = 0xC9
    SOF10 = 0xCA
    SOF11 = 0xCB
    SOF13 = 0xCD
    SOF14 = 0xCE
    SOF15 = 0xCF
    DHT = 0xC4  # define Huffman tables
    DAC = 0xCC  # define arithmetic coding conditioning
    RST0 = 0xD0
    RST1 = 0xD1
    RST2 = 0xD2
    RST3 = 0xD3
    RST4 = 0xD4
    RST5 = 0xD5
    RST6 = 0xD6
    RST7 = 0xD7
    SOI = 0xD8
    EOI = 0xD9
    SOS = 0xDA
    DQT = 0xDB
    DNL = 0xDC
    DRI = 0xDD
    DHP = 0xDE  # define hierarchical progression
    EXP = 0xDF  # expand reference components
    APP0 = 0xE0
    APP1 = 0xE1
    APP2 = 0xE2
    APP3 = 0xE3
    APP4 = 0xE4
    APP5 = 0xE5
    APP6 = 0xE6
    APP7 = 0xE7
    APP8 = 0xE8
    APP9 = 0xE9
    APP10 = 0xEA
    APP11 = 0xEB
    APP12 = 0xEC
    APP13 = 0xED
    APP14 = 0xEE
    APP15 = 0xEF
    JPG0 = 0xF0
    JPG1 = 0xF1
    JPG2 = 0xF2
    JPG3 = 0xF3
    JPG4 = 0xF4
    JPG5 = 0xF5
    JPG6 = 0xF6
    JPG7 = 0xF7
    JPG8 = 0xF8
    JPG9 = 0xF9
    JPG10 = 0xFA
    JPG11 = 0xFB
    JPG12 = 0xFC
    JPG13 = 0xFD
    COM = 0xFE
    TEM = 0x01  # temporary private use in arithmetic coding


SUPPORTED_FRAMES = frozenset({Marker.SOF0, Marker.SOF1, Marker.SOF2, Marker.SOF9, Marker.SOF10})
PROGRESSIVE_FRAMES = frozenset({Marker.SOF2, Marker.SOF6, Marker.SOF10, Marker.SOF14})
ARITHMETIC_FRAMES = frozenset(
    {Marker.SOF9, Marker.SOF10, Marker.SOF11, Marker.SOF13, Marker.SOF14, Marker.SOF15}
)
FRAME_KIND = {
    Marker.SOF0: "baseline",
    Marker.SOF1: "extended sequential",
    Marker.SOF2: "progressive",
    Marker.SOF3: "lossless",
    Marker.SOF5: "differential sequential (hierarchical)",
    Marker.SOF6: "differential progressive (hierarchical)",
    Marker.SOF7: "differential lossless (hierarchical)",
    Marker.SOF9: "extended sequential, arithmetic coding",
    Marker.SOF10: "progressive, arithmetic coding",
    Marker.SOF11: "lossless, arithmetic coding",
    Marker.SOF13: "differential sequential, arithmetic coding",
    Marker.SOF14: "differential progressive, arithmetic coding",
    Marker.SOF15: "differential lossless, arithmetic coding",
}


def is_frame(code: int) -> bool:
    """True for SOFn: 0xC0..0xCF except DHT, JPG and DAC."""
    return 0xC0 <= code <= 0xCF and code not in (Marker.DHT, Marker.JPG, Marker.DAC)


def is_restart(code: int) -> bool:
    return Marker.RST0 <= code <= Marker.RST7


def is_app(code: int) -> bool:
    return Marker.APP0 <= code <= Marker.APP15


def stands_alone(code: int) -> bool:
    """Markers with no length field: SOI, EOI, RSTn and TEM."""
    return code in (Marker.SOI, Marker.EOI, Marker.TEM) or is_restart(code)


def marker_name(code: int) -> str:
    """A readable name even for codes Table B.1 leaves reserved (RESn)."""
    try:
        return Marker(code).name
    except ValueError:
        return f"RES{code:02X}"
