"""From the image model back to bytes: strict JFIF, or the original layout.

Two paths:
- `write_strict`: SOI, a 16-byte JFIF APP0, DQT, the frame, then for each
  scan of a scan script its tables (DHT, or DAC for arithmetic coding), DRI
  when the restart interval changes, SOS and the entropy-coded data; EOI.
  Huffman tables are optimal for each scan's data (T.81 K.2).  The layout is
  data (`Layout`: a scan script, coding, restart interval); every layout
  comes out as `jpegtran -optimize -copy none` with the same options writes
  it.  Nothing but the JFIF header survives of the input's metadata.
- `write_preserved`: every original segment in its place, each scan,
  sequential or progressive, Huffman or arithmetic, re-encoded with its own
  tables, restart interval and padding.  For an intact file written by a
  libjpeg-like encoder the output is the input, byte for byte.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from . import _entropy
from ._entropy import ScanKind
from .decoder import BaselineCounts, scan_kind, scan_layout, scan_needs, scan_table
from .errors import JpegError, UnsupportedJpeg
from .huffman import encode_arrays, optimal_table
from .markers import Marker, stands_alone
from .model import ZIGZAG_TO_NATURAL, Component, HuffmanTable, JpegImage, Scan, Segment
from .scan_script import (
    ScanScriptError,
    ScanSpec,
    parse_scan_script,
    sequential_script,
    simple_progression,
    validate_scan_script,
)
from .segments import Dac, Dht, Dqt, Dri, Jfif, Sof, Sos, build_segment

# Largest magnitude category a Huffman-coded AC coefficient may have
# (T.81 F.1.2.2: 10 for 8-bit samples, 14 for 12-bit).  A DC difference may
# be one category larger.
_MAX_AC_CATEGORY = {8: 10, 12: 14}
# Arithmetic coding conditioning jpegtran writes: T.81's defaults, DC L=0 U=1, AC Kx=5.
_DEFAULT_CONDITIONING = (0,) * 4 + (1,) * 4 + (5,) * 4
EOB_RUN_MODES = ("libjpeg", "maximal")


@dataclass(frozen=True)
class Restart:
    """A restart interval as jpegtran's -restart takes it: N MCU rows, or N MCUs ("NB")."""

    count: int
    in_rows: bool = True

    @classmethod
    def parse(cls, text: str | int) -> Restart:
        match = re.fullmatch(r"\s*(\d+)\s*([bB]?)\s*", str(text))
        if not match or int(match.group(1)) > 65535:
            raise ValueError(f"restart {text!r}: expected N (MCU rows) or NB (MCUs), N 0..65535")
        return cls(int(match.group(1)), not match.group(2))

    def interval(self, mcus_wide: int) -> int:
        """MCUs per interval in a scan whose MCU rows hold mcus_wide MCUs."""
        return min(self.count * mcus_wide, 65535) if self.in_rows else self.count

    def __str__(self) -> str:
        return f"{self.count}" if self.in_rows else f"{self.count}B"


class ScanScriptMismatch(JpegError):
    """A scan script the image cannot take (its rules, or its component count)."""


@dataclass(frozen=True)
class Layout:
    """How strict output lays out its scans: jpegtran's -progressive, -scans,
    -restart and -arithmetic.  `scans` overrides `progressive`; `eob_runs`
    "maximal" lets no EOB run end early (what Lepton needs of progressive files)."""

    scans: tuple[ScanSpec, ...] | None = None
    progressive: bool = False
    arithmetic: bool = False
    restart: Restart | None = None
    eob_runs: str = "libjpeg"

    @classmethod
    def from_options(
        cls,
        *,
        progressive: bool = False,
        scans: str | tuple[ScanSpec, ...] | list[ScanSpec] | None = None,
        restart: str | int | Restart | None = None,
        arithmetic: bool = False,
        eob_runs: str = "libjpeg",
    ) -> Layout:
        """The layout for keyword options as `jpegsurgeon.write` takes them;
        `scans` may be a script's text."""
        if isinstance(scans, str):
            scans = parse_scan_script(scans)
        if restart is not None and not isinstance(restart, Restart):
            restart = Restart.parse(restart)
        if eob_runs not in EOB_RUN_MODES:
            raise ValueError(f"eob_runs {eob_runs!r}: expected one of {', '.join(EOB_RUN_MODES)}")
        return cls(
            scans=None if scans is None else tuple(scans),
            progressive=progressive,
            arithmetic=arithmetic,
            restart=restart if restart and restart.count else None,
            eob_runs=eob_runs,
        )

    def script_for(self, image: JpegImage) -> tuple[list[ScanSpec], bool]:
        """The scans to write and whether they make a progressive frame."""
        components = image.components
        sampling = [(c.h, c.v) for c in components]
        if self.scans is not None:
            scans = list(self.scans)
        elif self.progressive:
            scans = simple_progression(len(components), image.colour_space == "YCbCr")
        else:
            scans = sequential_script(len(components))
        try:
            progressive = validate_scan_script(scans, sampling)
        except ScanScriptError as error:
            raise ScanScriptMismatch(f"scan script: {error}") from None
        return scans, progressive

    def options(self) -> dict:
        """The keywords of `jpegsurgeon.write` and `jpegsurgeon.transform` that make this layout."""
        return {
            "progressive": self.progressive,
            "scans": None if self.scans is None else list(self.scans),
            "restart": None if self.restart is None else str(self.restart),
            "arithmetic": self.arithmetic,
            "eob_runs": self.eob_runs,
        }

    def describe(self) -> dict:
        return {
            "progressive": self.progressive,
            "scans": None if self.scans is None else [s.as_dict() for s in self.scans],
            "arithmetic": self.arithmetic,
            "restart": None if self.restart is None else str(self.restart),
            "eob_runs": self.eob_runs,
        }


DEFAULT_LAYOUT = Layout()

# What --copy keeps of the input's metadata, as jpegtran's -copy: none, COM
# segments, ICC profile chunks, or every APPn and COM segment.
COPY_MODES = ("none", "comments", "icc", "all")


def kept_segments(image: JpegImage, copy: str) -> list[Segment]:
    """The input's metadata segments that `copy` keeps, in file order.  The
    input's own JFIF APP0 is never among them: the writer makes its own."""
    if copy not in COPY_MODES:
        raise ValueError(f"copy {copy!r}: expected one of {', '.join(COPY_MODES)}")
    kept = []
    for segment in image.segments:
        marker = segment.marker
        if marker == Marker.APP0 and segment.payload.startswith(b"JFIF\0"):
            continue
        if (
            (copy == "all" and (Marker.APP0 <= marker <= Marker.APP15 or marker == Marker.COM))
            or (copy == "comments" and marker == Marker.COM)
            or (copy == "icc" and marker == Marker.APP2
                and segment.payload.startswith(b"ICC_PROFILE\0"))
        ):  # fmt: skip
            kept.append(segment)
    return kept


def write_strict(
    image: JpegImage,
    layout: Layout = DEFAULT_LAYOUT,
    copy: str = "none",
    counts: BaselineCounts | None = None,
) -> bytes:
    """Strict JFIF in the given layout, tables and data as jpegtran writes
    them; `copy` keeps metadata segments after the JFIF header, as jpegtran's
    -copy does (then the output is JFIF, though no longer challenge-strict).

    `counts`, the decoder's symbol counts of this very image (unchanged
    since it was read), spare a baseline layout its counting pass.
    """
    metadata = kept_segments(image, copy)
    _check_strict(image)
    frame = image.frame
    components = frame.components
    scans, progressive = layout.script_for(image)
    quant_ids = _quant_table_ids(components)
    # libjpeg's defaults: luma on tables 0, every chroma component on tables 1
    table_ids = [
        0 if i == 0 or image.huffman_plan == "shared" else 1 for i in range(len(components))
    ]
    if image.huffman_plan == "original" and (progressive or layout.arithmetic or len(scans) > 1):
        raise UnsupportedJpeg(
            "rebuild-huffman tables=original keeps one baseline scan's tables: it cannot "
            "code a progressive, arithmetic or multi-scan layout"
        )
    parts = [
        bytes((0xFF, Marker.SOI)),
        _jfif_segment(image),
        *(build_segment(segment.marker, segment.payload) for segment in metadata),
        _dqt_segment(components, quant_ids),
        _sof_segment(image, quant_ids, progressive, layout.arithmetic),
    ]
    # Scans are independent (each has its own tables) and the coder releases
    # the GIL, so a layout of several scans is coded on several cores.
    workers = min(len(scans), os.cpu_count() or 1) if len(scans) > 1 else 1

    def coded(spec: ScanSpec) -> tuple[bytes, int, bytes, bytes]:
        return _code_scan(image, layout, spec, progressive, table_ids, counts)

    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor  # 5 ms to import: when needed

        with ThreadPoolExecutor(workers) as pool:
            coded_scans = list(pool.map(coded, scans))
    else:
        coded_scans = [coded(spec) for spec in scans]
    restart_in_force = 0
    for header, interval, sos, data in coded_scans:
        parts.append(header)
        if interval != restart_in_force:
            parts.append(build_segment(Marker.DRI, Dri.build({"restart_interval": interval})))
            restart_in_force = interval
        parts += (sos, data)
    parts.append(bytes((0xFF, Marker.EOI)))
    return b"".join(parts)


def _code_scan(
    image: JpegImage,
    layout: Layout,
    spec: ScanSpec,
    progressive: bool,
    table_ids: list[int],
    counts: BaselineCounts | None = None,
) -> tuple[bytes, int, bytes, bytes]:
    """One scan: its table segment (DHT or DAC), restart interval, SOS and data."""
    components = image.frame.components
    kind = _kind(spec, progressive)
    indexes = list(spec.components)
    slots, mcus_wide, mcus_high = scan_layout(image.frame, indexes)
    arrays = _scan_arrays(components, indexes)
    interval = layout.restart.interval(mcus_wide) if layout.restart else 0
    dc_ids = [table_ids[i] for i in indexes]
    ac_ids = list(dc_ids)
    if layout.arithmetic:
        header = _dac_segment(kind, dc_ids, ac_ids)
        data = _encoded(
            _entropy.encode_arithmetic_scan, arrays, slots, mcus_wide, mcus_high, interval,
            kind, spec.ss, spec.se, spec.ah, spec.al, np.array(dc_ids, np.int32),
            np.array(ac_ids, np.int32), np.array(_DEFAULT_CONDITIONING, np.int32),
            _MAX_AC_CATEGORY[8],
        )  # fmt: skip
    else:
        scan_args = (arrays, slots, mcus_wide, mcus_high, interval, kind,
                     spec.ss, spec.se, spec.ah, spec.al)  # fmt: skip
        maximal = layout.eob_runs == "maximal"
        if not (kind == ScanKind.SEQUENTIAL and interval == 0
                and indexes == list(range(len(components)))):  # fmt: skip
            counts = None  # they count one restart-free scan of every component
        dc_ids, ac_ids, tables = _scan_tables(
            image, kind, scan_args, dc_ids, ac_ids, maximal, counts
        )
        codes = {(t.table_class, t.table_id): encode_arrays(t) for t in tables}
        needs_dc, needs_ac = scan_needs(kind)
        data = _encoded(
            _entropy.encode_scan, *scan_args,
            tuple(codes[(0, t)] if needs_dc else None for t in dc_ids),
            tuple(codes[(1, t)] if needs_ac else None for t in ac_ids),
            _MAX_AC_CATEGORY[8], 1, False, maximal,
        )  # fmt: skip
        header = (
            build_segment(Marker.DHT, Dht.build({"tables": [_huffman_spec(t) for t in tables]}))
            if tables
            else b""
        )
    return header, interval, _sos_segment(components, spec, kind, dc_ids, ac_ids), data


def _scan_arrays(components: list[Component], indexes) -> tuple[np.ndarray, ...]:
    """A scan's components' blocks as the coder reads them: plain C arrays of
    int16 (a pass may have left a strided view), one row of 64 per block."""
    return tuple(
        np.ascontiguousarray(components[i].coefficients, np.int16).reshape(-1, 64) for i in indexes
    )


def _check_strict(image: JpegImage) -> None:
    frame = image.frame
    if frame.precision != 8:
        raise UnsupportedJpeg(
            f"{frame.precision}-bit samples cannot be written as baseline JFIF "
            "(keep it as it is: jpegsurgeon transform IN OUT --preserve)"
        )
    if image.colour_space not in ("grayscale", "YCbCr"):
        raise UnsupportedJpeg(
            f"{image.colour_space} image: JFIF holds only grayscale or YCbCr, and a JFIF header "
            "would make decoders show wrong colours (keep the file's own: jpegsurgeon transform "
            "IN OUT --preserve)"
        )


def _kind(spec: ScanSpec, progressive: bool) -> ScanKind:
    if not progressive:
        return ScanKind.SEQUENTIAL
    if spec.ss == 0:
        return ScanKind.DC_FIRST if spec.ah == 0 else ScanKind.DC_REFINE
    return ScanKind.AC_FIRST if spec.ah == 0 else ScanKind.AC_REFINE


def _scan_tables(
    image: JpegImage,
    kind: ScanKind,
    scan_args: tuple,
    dc_ids: list[int],
    ac_ids: list[int],
    maximal_eob_runs: bool,
    counts: BaselineCounts | None = None,
) -> tuple[list[int], list[int], list[HuffmanTable]]:
    """The Huffman tables one scan uses, optimal for its data (as libjpeg's
    -optimize makes them per scan), and the table ids its components name.
    The symbol frequencies come from a counting pass over the scan, or from
    `counts` when the caller vouches that they are this scan's."""
    if image.huffman_plan == "original":
        return _original_tables(image)
    needs_dc, needs_ac = scan_needs(kind)
    frequencies = {}
    for table_class, ids, needed in ((0, dc_ids, needs_dc), (1, ac_ids, needs_ac)):
        if needed:
            for t in ids:
                frequencies.setdefault((table_class, t), np.zeros(257, np.int64))
    if not frequencies:  # a DC refinement scan codes raw bits only
        return dc_ids, ac_ids, []
    if counts is not None:
        for position, (dc_id, ac_id) in enumerate(zip(dc_ids, ac_ids)):
            frequencies[(0, dc_id)] += counts.dc[position]
            frequencies[(1, ac_id)] += counts.ac[position]
    else:
        _encoded(
            _entropy.encode_scan, *scan_args,
            tuple(frequencies[(0, t)] if needs_dc else None for t in dc_ids),
            tuple(frequencies[(1, t)] if needs_ac else None for t in ac_ids),
            _MAX_AC_CATEGORY[8], 1, True, maximal_eob_runs,
        )  # fmt: skip
    tables = [optimal_table(freq, *key) for key, freq in sorted(frequencies.items())]
    return _drop_repeated_tables(dc_ids, ac_ids, tables)


def _encoded(function, *args) -> bytes:
    try:
        return function(*args)
    except _entropy.EncodeError as error:
        raise JpegError(f"cannot write this JPEG: {error}") from None


def _drop_repeated_tables(
    dc_ids: list[int], ac_ids: list[int], tables: list[HuffmanTable]
) -> tuple[list[int], list[int], list[HuffmanTable]]:
    """When chroma's optimal tables come out identical to luma's, use luma's:
    a table defined twice is padding to a strict reader.  Both classes move
    together, so that a component's DC and AC tables keep one id (the C++
    Lepton looks a component's AC table up by its DC table's id)."""
    by_key = {(t.table_class, t.table_id): t for t in tables}
    classes = {table_class for table_class, _ in by_key}
    for table_class in classes:
        luma, chroma = by_key.get((table_class, 0)), by_key.get((table_class, 1))
        if not (luma and chroma and (luma.counts, luma.symbols) == (chroma.counts, chroma.symbols)):
            return dc_ids, ac_ids, tables
    for table_class in classes:
        by_key.pop((table_class, 1), None)
    return [0] * len(dc_ids), [0] * len(ac_ids), list(by_key.values())


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


def _sof_segment(
    image: JpegImage, quant_ids: list[int], progressive: bool, arithmetic: bool
) -> bytes:
    """The frame header; baseline (SOF0) whenever the layout allows it, as libjpeg decides."""
    if arithmetic:
        marker = Marker.SOF10 if progressive else Marker.SOF9
    else:
        marker = Marker.SOF2 if progressive else Marker.SOF0
    components = image.components
    single = len(components) == 1  # a lone component's sampling factors mean nothing
    return build_segment(
        marker,
        Sof.build(
            {
                "precision": 8,
                "height": image.height,
                "width": image.width,
                "components": [
                    {
                        "component_id": c.component_id,
                        "sampling": {"h": 1 if single else c.h, "v": 1 if single else c.v},
                        "quant_table_id": q,
                    }
                    for c, q in zip(components, quant_ids)
                ],
            }
        ),
    )


def _sos_segment(
    components: list[Component],
    spec: ScanSpec,
    kind: ScanKind,
    dc_ids: list[int],
    ac_ids: list[int],
) -> bytes:
    """The scan header; table ids a progressive scan does not use are written
    as 0, as libjpeg writes them."""
    needs_dc, needs_ac = scan_needs(kind)
    return build_segment(
        Marker.SOS,
        Sos.build(
            {
                "components": [
                    {
                        "component_id": components[i].component_id,
                        "tables": {"dc": d if needs_dc else 0, "ac": a if needs_ac else 0},
                    }
                    for i, d, a in zip(spec.components, dc_ids, ac_ids)
                ],
                "ss": spec.ss,
                "se": spec.se,
                "approximation": {"ah": spec.ah, "al": spec.al},
            }
        ),
    )


def _dac_segment(kind: ScanKind, dc_ids: list[int], ac_ids: list[int]) -> bytes:
    """Conditioning of the arithmetic tables a scan uses (the defaults, which
    libjpeg writes out all the same); none for a DC refinement scan."""
    needs_dc, needs_ac = scan_needs(kind)
    entries = []
    for table_id in range(4):
        if needs_dc and table_id in dc_ids:
            low, high = _DEFAULT_CONDITIONING[table_id], _DEFAULT_CONDITIONING[4 + table_id]
            entries.append({"info": {"table_class": 0, "table_id": table_id},
                            "value": low | high << 4})  # fmt: skip
        if needs_ac and table_id in ac_ids:
            entries.append({"info": {"table_class": 1, "table_id": table_id},
                            "value": _DEFAULT_CONDITIONING[8 + table_id]})  # fmt: skip
    return build_segment(Marker.DAC, Dac.build({"conditioning": entries})) if entries else b""


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
    sof = next(s for s in image.segments if s.marker == image.frame.marker)
    declared = [(c.component_id, c.sampling.h, c.sampling.v) for c in sof.parsed.components]
    if declared != [(c.component_id, c.h, c.v) for c in image.components]:
        raise UnsupportedJpeg(
            "preserve mode keeps the file's frame header, but a pass changed the components or "
            "their sampling (write strict JFIF instead: drop --preserve)"
        )
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
    arrays = _scan_arrays(frame.components, scan.component_indexes)
    kind = scan_kind(frame, scan)
    scan_args = (arrays, slots, mcus_wide, mcus_high, scan.restart_interval, kind,
                 scan.ss, scan.se, scan.ah, scan.al)  # fmt: skip
    try:
        if frame.arithmetic:
            return _entropy.encode_arithmetic_scan(
                *scan_args, np.array(scan.dc_table_ids, np.int32),
                np.array(scan.ac_table_ids, np.int32), np.array(scan.conditioning, np.int32),
                max_category,
            )  # fmt: skip
        needs_dc, needs_ac = scan_needs(kind)
        dc = tuple(
            encode_arrays(scan_table(scan, 0, t)) if needs_dc else None for t in scan.dc_table_ids
        )
        ac = tuple(
            encode_arrays(scan_table(scan, 1, t)) if needs_ac else None for t in scan.ac_table_ids
        )
        return _entropy.encode_scan(*scan_args, dc, ac, max_category, scan.pad_bit, False)
    except _entropy.EncodeError as error:
        raise JpegError(
            f"cannot re-encode scan with its original tables: {error}", scan.header_offset
        ) from None


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
