"""From the image model back to bytes: strict JFIF, or the original layout.

Two paths:
- `write_strict`: SOI, a 16-byte JFIF APP0, DQT, SOF0, DHT, one interleaved
  SOS, EOI, with Huffman tables optimal for the data (T.81 K.2), the output
  `jpegtran -optimize -copy none` would give.  Nothing else survives.
- `write_preserved`: every original segment in its place, each scan,
  sequential or progressive, re-encoded with its own Huffman tables, restart
  interval and padding.  For an intact file written by a libjpeg-like
  encoder the output is the input, byte for byte.
"""

from __future__ import annotations

import numpy as np

from . import _entropy
from ._entropy import ScanKind
from .decoder import scan_kind, scan_layout, scan_needs, scan_table
from .errors import JpegError, UnsupportedJpeg
from .huffman import encode_arrays, optimal_table
from .markers import Marker, stands_alone
from .model import ZIGZAG_TO_NATURAL, Component, HuffmanTable, JpegImage, Scan
from .segments import Dht, Dqt, Jfif, Sof, Sos, build_segment

# Largest magnitude category a Huffman-coded AC coefficient may have
# (T.81 F.1.2.2: 10 for 8-bit samples, 14 for 12-bit).  A DC difference may
# be one category larger.
_MAX_AC_CATEGORY = {8: 10, 12: 14}


def write_strict(image: JpegImage) -> bytes:
    frame = image.frame
    if frame.precision != 8:
        raise UnsupportedJpeg(
            f"{frame.precision}-bit samples cannot be written as baseline JFIF "
            "(use preserve mode to re-emit the file as it is)"
        )
    if image.colour_space not in ("grayscale", "YCbCr"):
        raise UnsupportedJpeg(
            f"{image.colour_space} image: JFIF holds only grayscale or YCbCr, and a JFIF header "
            "would make decoders show wrong colours (use preserve mode to keep the file's own)"
        )
    components = frame.components
    single = len(components) == 1
    if not single and sum(c.h * c.v for c in components) > 10:
        raise UnsupportedJpeg("more than 10 blocks per MCU cannot go in one interleaved scan")
    quant_ids = _quant_table_ids(components)
    indexes = list(range(len(components)))
    slots, mcus_wide, mcus_high = scan_layout(frame, indexes)
    arrays = tuple(c.coefficients.reshape(-1, 64) for c in components)
    max_category = _MAX_AC_CATEGORY[8]
    if image.huffman_plan == "original":
        dc_ids, ac_ids, tables = _original_tables(image)
    else:
        # per-class: one table pair for luma, one for all chroma, the most baseline allows
        shared = image.huffman_plan == "shared"
        dc_ids = ac_ids = [0 if i == 0 or shared else 1 for i in indexes]
        frequencies = {(c, t): np.zeros(257, np.int64) for c in (0, 1) for t in set(dc_ids)}
        _encode(
            arrays, slots, mcus_wide, mcus_high, 0,
            tuple(frequencies[(0, t)] for t in dc_ids),
            tuple(frequencies[(1, t)] for t in ac_ids),
            max_category, 1, counting=True,
        )  # fmt: skip
        tables = [optimal_table(freq, *key) for key, freq in sorted(frequencies.items())]
        dc_ids, ac_ids, tables = _drop_repeated_tables(dc_ids, ac_ids, tables)
    codes = {(t.table_class, t.table_id): encode_arrays(t) for t in tables}
    data = _encode(
        arrays, slots, mcus_wide, mcus_high, 0,
        tuple(codes[(0, t)] for t in dc_ids),
        tuple(codes[(1, t)] for t in ac_ids),
        max_category, 1, counting=False,
    )  # fmt: skip

    sampling = [(1, 1) if single else (c.h, c.v) for c in components]
    return b"".join(
        [
            bytes((0xFF, Marker.SOI)),
            _jfif_segment(image),
            _dqt_segment(components, quant_ids),
            build_segment(
                Marker.SOF0,
                Sof.build(
                    {
                        "precision": 8,
                        "height": frame.height,
                        "width": frame.width,
                        "components": [
                            {
                                "component_id": c.component_id,
                                "sampling": {"h": h, "v": v},
                                "quant_table_id": q,
                            }
                            for c, (h, v), q in zip(components, sampling, quant_ids)
                        ],
                    }
                ),
            ),  # fmt: skip
            build_segment(Marker.DHT, Dht.build({"tables": [_huffman_spec(t) for t in tables]})),
            build_segment(
                Marker.SOS,
                Sos.build(
                    {
                        "components": [
                            {"component_id": c.component_id, "tables": {"dc": d, "ac": a}}
                            for c, d, a in zip(components, dc_ids, ac_ids)
                        ],
                        "ss": 0,
                        "se": 63,
                        "approximation": {"ah": 0, "al": 0},
                    }
                ),
            ),
            data,
            bytes((0xFF, Marker.EOI)),
        ]
    )


def _drop_repeated_tables(
    dc_ids: list[int], ac_ids: list[int], tables: list[HuffmanTable]
) -> tuple[list[int], list[int], list[HuffmanTable]]:
    """When chroma's optimal table comes out identical to luma's, use luma's:
    a table defined twice is padding to a strict reader."""
    by_key = {(t.table_class, t.table_id): t for t in tables}
    ids = {0: list(dc_ids), 1: list(ac_ids)}
    for table_class in (0, 1):
        luma, chroma = by_key.get((table_class, 0)), by_key.get((table_class, 1))
        if luma and chroma and (luma.counts, luma.symbols) == (chroma.counts, chroma.symbols):
            ids[table_class] = [0] * len(ids[table_class])
            del by_key[(table_class, 1)]
    return ids[0], ids[1], list(by_key.values())


def _original_tables(image: JpegImage) -> tuple[list[int], list[int], list[HuffmanTable]]:
    """The input's own Huffman tables, renumbered to fit baseline's two per class."""
    if image.frame.progressive:
        raise UnsupportedJpeg("a progressive file's Huffman tables cannot code a baseline scan")
    chosen: dict[int, list[HuffmanTable]] = {0: [], 1: []}
    ids: dict[int, list[int]] = {0: [], 1: []}
    for index in range(len(image.components)):
        scan = next(s for s in image.scans if index in s.component_indexes)
        position = scan.component_indexes.index(index)
        for table_class, table_id in (
            (0, scan.dc_table_ids[position]),
            (1, scan.ac_table_ids[position]),
        ):
            table = scan_table(scan, table_class, table_id)
            if table not in chosen[table_class]:
                chosen[table_class].append(table)
            ids[table_class].append(chosen[table_class].index(table))
    if len(chosen[0]) > 2 or len(chosen[1]) > 2:
        raise UnsupportedJpeg("the input uses more Huffman tables than baseline allows")
    tables = [
        HuffmanTable(table_class, new_id, t.counts, t.symbols)
        for table_class in (0, 1)
        for new_id, t in enumerate(chosen[table_class])
    ]
    return ids[0], ids[1], tables


def _jfif_segment(image: JpegImage) -> bytes:
    """JFIF APP0 of exactly 16 bytes: version 1.01, the input's density, no thumbnail."""
    jfif = image.jfif
    units, x_density, y_density = (0, 1, 1)
    if jfif and jfif.x_density and jfif.y_density:  # JFIF forbids zero density
        units, x_density, y_density = jfif.units, jfif.x_density, jfif.y_density
    payload = Jfif.build(
        {
            "version_major": 1,
            "version_minor": 1,
            "units": units,
            "x_density": x_density,
            "y_density": y_density,
            "thumbnail_width": 0,
            "thumbnail_height": 0,
            "thumbnail": b"",
        }
    )
    return build_segment(Marker.APP0, payload)


def _dqt_segment(components: list[Component], quant_ids: list[int]) -> bytes:
    first_user = {}
    for component, qid in zip(components, quant_ids):
        first_user.setdefault(qid, component)
    tables = [_quant_spec(qid, component) for qid, component in sorted(first_user.items())]
    return build_segment(Marker.DQT, Dqt.build({"tables": tables}))


def write_preserved(image: JpegImage) -> bytes:
    frame = image.frame
    _check_preservable(image)
    scans = iter(image.scans)
    max_category = _MAX_AC_CATEGORY[frame.precision]
    out = []
    for segment in image.segments:
        out.append(b"\xff" * segment.fill_before)
        if stands_alone(segment.marker):
            out.append(bytes((0xFF, segment.marker)))
            continue
        out.append(build_segment(segment.marker, segment.payload))
        if segment.marker == Marker.SOS:
            scan = next(scans)
            out.append(_encode_scan_preserved(image, scan, max_category))
            out.append(scan.tail)
    out.append(image.trailing)
    return b"".join(out)


def _check_preservable(image: JpegImage) -> None:
    """Preserve mode replays the file's own DQT and SOF segments, so it cannot
    carry a model whose tables or frame size a pass has changed."""
    if not image.segments:
        raise UnsupportedJpeg("preserve mode needs an image read from a file")
    if image.frame.arithmetic:
        raise UnsupportedJpeg(
            "preserve mode cannot re-encode arithmetic-coded scans; strict output converts "
            "them to Huffman-coded baseline"
        )
    sof = next(s for s in image.segments if s.marker == image.frame.marker)
    if (sof.parsed.width, sof.parsed.height) != (image.width, image.height):
        raise UnsupportedJpeg(
            "preserve mode keeps the file's frame header, but a pass changed the image size "
            "(write strict JFIF instead: drop --preserve)"
        )
    for c in image.components:
        if c.source_quant_values is not None and not np.array_equal(
            c.quant_values, c.source_quant_values
        ):
            raise UnsupportedJpeg(
                "preserve mode keeps the file's quantization tables, but a pass changed "
                f"component {c.component_id}'s (write strict JFIF instead: drop --preserve)"
            )


def _encode_scan_preserved(image: JpegImage, scan: Scan, max_category: int) -> bytes:
    frame = image.frame
    slots, mcus_wide, mcus_high = scan_layout(frame, scan.component_indexes)
    arrays = tuple(frame.components[i].coefficients.reshape(-1, 64) for i in scan.component_indexes)
    kind = scan_kind(frame, scan)
    needs_dc, needs_ac = scan_needs(kind)
    dc = tuple(
        encode_arrays(scan_table(scan, 0, t)) if needs_dc else None for t in scan.dc_table_ids
    )
    ac = tuple(
        encode_arrays(scan_table(scan, 1, t)) if needs_ac else None for t in scan.ac_table_ids
    )
    try:
        if kind == ScanKind.SEQUENTIAL:
            return _entropy.encode_sequential_scan(
                arrays, slots, mcus_wide, mcus_high, scan.restart_interval, dc, ac,
                max_category, scan.pad_bit, False,
            )  # fmt: skip
        return _entropy.encode_progressive_scan(
            arrays, slots, mcus_wide, mcus_high, scan.restart_interval, kind,
            scan.ss, scan.se, scan.ah, scan.al, dc, ac, max_category, scan.pad_bit, False,
        )  # fmt: skip
    except _entropy.EncodeError as error:
        raise JpegError(
            f"cannot re-encode scan with its original tables: {error}", scan.header_offset
        ) from None


def _encode(
    arrays,
    slots,
    mcus_wide,
    mcus_high,
    restart_interval,
    dc,
    ac,
    max_category,
    pad_bit,
    counting: bool,
) -> bytes:
    try:
        return _entropy.encode_sequential_scan(
            arrays, slots, mcus_wide, mcus_high, restart_interval, dc, ac, max_category,
            pad_bit, counting,
        )  # fmt: skip
    except _entropy.EncodeError as error:
        raise JpegError(f"cannot write baseline JPEG: {error}") from None


def _quant_table_ids(components: list[Component]) -> list[int]:
    """Components with equal tables share one; baseline allows four."""
    ids: list[int] = []
    seen: dict[bytes, int] = {}
    for c in components:
        key = c.quant_values.astype(np.uint16).tobytes()
        if key not in seen:
            seen[key] = len(seen)
        ids.append(seen[key])
    if len(seen) > 4:
        raise UnsupportedJpeg("more than four distinct quantization tables")
    return ids


def _quant_spec(qid: int, component: Component) -> dict:
    values = component.quant_values.reshape(64)[ZIGZAG_TO_NATURAL]
    if values.min() == 0:
        raise UnsupportedJpeg(
            f"quantization table of component {component.component_id} has a zero entry, "
            "which T.81 forbids"
        )
    if values.max() > 255:
        raise UnsupportedJpeg(
            f"quantization table of component {component.component_id} has values above 255, "
            "which baseline JPEG cannot hold (requantize first, or use preserve mode)"
        )
    return {"info": {"precision": 0, "table_id": qid}, "entries": [int(v) for v in values]}


def _huffman_spec(table: HuffmanTable) -> dict:
    return {
        "info": {"table_class": table.table_class, "table_id": table.table_id},
        "counts": list(table.counts),
        "symbols": table.symbols,
    }
