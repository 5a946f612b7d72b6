"""Marker segment layouts, declared once with construct.

construct is symmetric: each declaration here both parses a segment payload
(the bytes after the two length bytes) and builds it again.  The parser and
the writer use nothing else to read or produce segment bytes.
"""

from __future__ import annotations

from construct import (
    Array,
    BitStruct,
    Bytes,
    Const,
    GreedyBytes,
    GreedyRange,
    IfThenElse,
    Int8ub,
    Int16ub,
    Nibble,
    Prefixed,
    Rebuild,
    Struct,
    Terminated,
    len_,
    this,
)
from construct import ExprAdapter as _ExprAdapter
from construct import obj_ as _obj

from .markers import Marker

# The length field counts itself: a payload of n bytes has length n + 2.
SegmentLength = _ExprAdapter(Int16ub, _obj - 2, _obj + 2)

# One marker segment with a length field: FF, code, length, payload.
MarkerSegment = Struct(
    Const(b"\xff"),
    "marker" / Int8ub,
    "payload" / Prefixed(SegmentLength, GreedyBytes),
)

# APP0 "JFIF\0" (JFIF 1.02, section "JFIF APP0 marker").  With no thumbnail the
# payload is 14 bytes and the whole segment, length field included, 16.
Jfif = Struct(
    "identifier" / Const(b"JFIF\x00"),
    "version_major" / Int8ub,
    "version_minor" / Int8ub,
    "units" / Int8ub,  # 0: aspect ratio only, 1: dots per inch, 2: dots per cm
    "x_density" / Int16ub,
    "y_density" / Int16ub,
    "thumbnail_width" / Int8ub,
    "thumbnail_height" / Int8ub,
    "thumbnail" / Bytes(3 * this.thumbnail_width * this.thumbnail_height),
    Terminated,
)

# APP0 "JFXX\0": the JFIF extension carrying a thumbnail in another format.
Jfxx = Struct(
    "identifier" / Const(b"JFXX\x00"),
    "extension_code" / Int8ub,  # 0x10 JPEG, 0x11 1 byte/pixel, 0x13 3 bytes/pixel
    "thumbnail" / GreedyBytes,
)

# APP14 "Adobe": its transform flag says how three or four components are coded
# (0: RGB or CMYK as they are, 1: YCbCr, 2: YCCK).
Adobe = Struct(
    "identifier" / Const(b"Adobe"),
    "version" / Int16ub,
    "flags0" / Int16ub,
    "flags1" / Int16ub,
    "transform" / Int8ub,
)


def ByteList(count):  # noqa: N802 - a construct, named like one
    """`count` unsigned bytes as a list of ints: Array(count, Int8ub)'s
    values, parsed in one read rather than one sub-parse per element."""
    return _ExprAdapter(Bytes(count), lambda obj, ctx: list(obj), lambda obj, ctx: bytes(obj))


# DQT: one or more tables, entries in zigzag order, 8- or 16-bit.
QuantTableSpec = Struct(
    "info" / BitStruct("precision" / Nibble, "table_id" / Nibble),
    "entries" / IfThenElse(this.info.precision == 0, ByteList(64), Array(64, Int16ub)),
)
Dqt = Struct("tables" / GreedyRange(QuantTableSpec), Terminated)

# DHT: one or more tables, 16 code counts then the symbols.
HuffmanTableSpec = Struct(
    "info" / BitStruct("table_class" / Nibble, "table_id" / Nibble),
    "counts" / ByteList(16),
    "symbols" / Bytes(lambda ctx: sum(ctx.counts)),
)
Dht = Struct("tables" / GreedyRange(HuffmanTableSpec), Terminated)

# SOFn: frame header.
FrameComponentSpec = Struct(
    "component_id" / Int8ub,
    "sampling" / BitStruct("h" / Nibble, "v" / Nibble),
    "quant_table_id" / Int8ub,
)
Sof = Struct(
    "precision" / Int8ub,
    "height" / Int16ub,
    "width" / Int16ub,
    "component_count" / Rebuild(Int8ub, len_(this.components)),
    "components" / Array(this.component_count, FrameComponentSpec),
    Terminated,
)

# SOS: scan header.
ScanComponentSpec = Struct(
    "component_id" / Int8ub,
    "tables" / BitStruct("dc" / Nibble, "ac" / Nibble),
)
Sos = Struct(
    "component_count" / Rebuild(Int8ub, len_(this.components)),
    "components" / Array(this.component_count, ScanComponentSpec),
    "ss" / Int8ub,
    "se" / Int8ub,
    "approximation" / BitStruct("ah" / Nibble, "al" / Nibble),
    Terminated,
)

# DAC: arithmetic coding conditioning, per table (DC: L | U << 4; AC: Kx).
ConditioningSpec = Struct(
    "info" / BitStruct("table_class" / Nibble, "table_id" / Nibble),
    "value" / Int8ub,
)
Dac = Struct("conditioning" / GreedyRange(ConditioningSpec), Terminated)

Dri = Struct("restart_interval" / Int16ub, Terminated)
Dnl = Struct("height" / Int16ub, Terminated)

# Payload layouts by marker; markers missing here (APPn other than JFIF, COM,
# DAC, DHP, EXP, JPGn) are kept as raw bytes.
PAYLOAD_LAYOUTS = {
    Marker.DQT: Dqt,
    Marker.DHT: Dht,
    Marker.SOF0: Sof,
    Marker.SOF1: Sof,
    Marker.SOF2: Sof,
    Marker.SOF9: Sof,
    Marker.SOF10: Sof,
    Marker.DAC: Dac,
    Marker.SOS: Sos,
    Marker.DRI: Dri,
    Marker.DNL: Dnl,
}


def build_segment(marker: int, payload: bytes) -> bytes:
    """FF, marker, length and payload: the bytes of one segment."""
    return MarkerSegment.build({"marker": marker, "payload": payload})
