"""From bytes to the image model's structure: segments, frame, tables, scans.

One walk over the markers, driven by the layouts in `segments`.  Tables can
be redefined between scans, so each scan records the Huffman tables in force
when it starts, and each component latches its quantization table at its
first scan, as libjpeg does.  Entropy-coded data is located here and decoded
by `decoder`.
"""

from __future__ import annotations

from itertools import chain, cycle, islice

import numpy as np
from construct import ConstructError

from ._entropy import find_scan_end
from .errors import JpegError, UnsupportedJpeg
from .huffman import code_lengths_and_codes
from .limits import DEFAULT_LIMITS, Limits
from .markers import (
    ARITHMETIC_FRAMES,
    FRAME_KIND,
    PROGRESSIVE_FRAMES,
    SUPPORTED_FRAMES,
    Marker,
    is_app,
    is_frame,
    marker_name,
    stands_alone,
)
from .model import (
    ZIGZAG_TO_NATURAL,
    Component,
    Frame,
    HuffmanTable,
    Jfif,
    JpegImage,
    Notice,
    QuantTable,
    Scan,
    Segment,
    block_grid,
)
from .segments import PAYLOAD_LAYOUTS
from .segments import Adobe as AdobeLayout
from .segments import Jfif as JfifLayout


def parse(data: bytes, limits: Limits = DEFAULT_LIMITS) -> JpegImage:
    """Parse the marker structure of a JPEG; coefficients are left to `decoder`."""
    return _Parser(data, limits).run()


def parse_partial(
    data: bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[JpegImage | None, list[Segment], JpegError | None]:
    """Like `parse`, but on an error also return the segments read before it."""
    parser = _Parser(data, limits)
    try:
        return parser.run(), parser.segments, None
    except JpegError as error:
        return None, parser.segments, error


class _Parser:
    def __init__(self, data: bytes, limits: Limits):
        self.data = data
        self.limits = limits
        self.segments: list[Segment] = []
        self.quant_tables: dict[int, QuantTable] = {}
        self.huffman_tables: dict[tuple[int, int], HuffmanTable] = {}
        self.scans: list[Scan] = []
        self.frame: Frame | None = None
        self.restart_interval = 0
        self.first_restart_interval: int | None = None
        self.jfif: Jfif | None = None
        # arithmetic conditioning, T.81 F.1.4.4 defaults: DC L=0, U=1; AC Kx=5
        self.conditioning = [0] * 4 + [1] * 4 + [5] * 4
        self.adobe_transform: int | None = None
        self.warnings: list[Notice] = []

    def run(self) -> JpegImage:
        data = self.data
        if len(data) < 2 or data[0] != 0xFF or data[1] != Marker.SOI:
            head = " ".join(f"0x{b:02X}" for b in data[:2]) or "nothing"
            raise JpegError(f"not a JPEG file: starts with {head}, not SOI (0xFF 0xD8)", 0)
        self.segments.append(Segment(Marker.SOI, 0))
        pos = 2
        trailing = b""
        has_eoi = False
        while pos < len(data):
            offset, fill, code = self._next_marker(pos)
            if code is None:
                break
            if code == Marker.EOI:
                self.segments.append(Segment(code, offset, fill_before=fill))
                trailing = data[offset + 2 :]
                has_eoi = True
                break
            if code == Marker.SOI:
                raise JpegError("second SOI marker: two images in one file", offset)
            if stands_alone(code):  # RSTn or TEM outside a scan: legal, meaningless
                self._count(Segment(code, offset, fill_before=fill))
                pos = offset + 2
                continue
            pos = self._segment(offset, fill, code)
        if self.frame is None:
            raise JpegError("no frame header (SOFn) before the end of the file", len(data))
        if not self.scans:
            raise JpegError("no scan (SOS): the file holds no image data", len(data))
        for component in self.frame.components:
            if component.quant_values is None:  # never scanned: take the table as it stands
                table = self.quant_tables.get(component.quant_table_id)
                component.quant_values = (
                    table.values.copy() if table else np.zeros((8, 8), np.uint16)
                )
        return JpegImage(
            frame=self.frame,
            quant_tables=self.quant_tables,
            huffman_tables=self.huffman_tables,
            scans=self.scans,
            segments=self.segments,
            restart_interval=self.first_restart_interval or 0,
            jfif=self.jfif,
            adobe_transform=self.adobe_transform,
            trailing=trailing,
            has_eoi=has_eoi,
            truncated=not has_eoi,  # the decoder also sets it when scan data runs out
            source_size=len(data),
            warnings=self.warnings,
        )

    def _count(self, segment: Segment) -> None:
        self.segments.append(segment)
        if len(self.segments) > self.limits.max_segments:
            raise JpegError(
                f"more than {self.limits.max_segments} segments (raise the limit with "
                "--max-segments)",
                segment.offset,
            )
        if segment.marker == Marker.SOS and len(self.scans) >= self.limits.max_scans:
            raise JpegError(
                f"more than {self.limits.max_scans} scans (raise the limit with --max-scans)",
                segment.offset,
            )

    def _next_marker(self, pos: int) -> tuple[int, int, int | None]:
        """Offset of the next marker's FF, the fill bytes before it, its code.

        Bytes that are not a marker are skipped with a warning, as libjpeg does.
        """
        data = self.data
        start = pos
        while True:
            ff = data.find(b"\xff", pos)
            if ff < 0:
                if start < len(data):
                    self.warnings.append(
                        Notice("stray", start, f"{len(data) - start} bytes after the last segment")
                    )
                return len(data), 0, None
            end = ff
            while end < len(data) and data[end] == 0xFF:
                end += 1
            if end >= len(data):
                return len(data), 0, None
            if data[end] != 0x00:
                break
            pos = end + 1
        if ff > start:
            self.warnings.append(
                Notice(
                    "stray", start,
                    f"{ff - start} extraneous bytes before marker {marker_name(data[end])}",
                )
            )  # fmt: skip
        return end - 1, end - 1 - ff, data[end]

    def _segment(self, offset: int, fill: int, code: int) -> int:
        data = self.data
        if offset + 4 > len(data):
            problem = f"{marker_name(code)} segment cut off by the end of the file"
            return self._cut_off(offset, code, problem)
        length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        if length < 2:
            raise JpegError(f"{marker_name(code)} segment has impossible length {length}", offset)
        end = offset + 2 + length
        if end > len(data):
            problem = (
                f"{marker_name(code)} segment length {length} runs past the end of the file "
                f"({len(data) - offset - 2} bytes left)"
            )
            return self._cut_off(offset, code, problem)
        segment = Segment(code, offset, data[offset + 4 : end], fill_before=fill)
        self._count(segment)
        layout = PAYLOAD_LAYOUTS.get(code)
        if is_frame(code) and code not in SUPPORTED_FRAMES:
            what = "arithmetic-coded" if code in ARITHMETIC_FRAMES else FRAME_KIND[code]
            raise UnsupportedJpeg(
                f"unsupported coding: {marker_name(code)} ({what}); jpegsurgeon reads "
                "baseline, extended sequential and progressive JPEGs, Huffman or arithmetic coded",
                offset,
            )
        if layout is not None:
            try:
                segment.parsed = layout.parse(segment.payload)
            except ConstructError as error:
                message = f"malformed {marker_name(code)} segment ({_brief(error)})"
                raise JpegError(message, offset) from None
        if code == Marker.SOS:
            return self._scan(segment)
        handler = _HANDLERS.get(code)
        if handler is not None:
            handler(self, segment)
        elif code == Marker.APP0:
            self._app0(segment)
        elif code == Marker.APP14 and segment.payload.startswith(b"Adobe"):
            self._adobe(segment)
        return end

    def _cut_off(self, offset: int, code: int, problem: str) -> int:
        """A segment the file ends inside.  After a scan, libjpeg keeps what
        it decoded when it can read the segment without an error from the
        fake EOI its source manager feeds past the end; the image ends there."""
        if not (self.scans and libjpeg_reads_cut_off(code, self.data[offset + 2 :])):
            raise JpegError(problem, offset)
        self.warnings.append(Notice("stray", offset, f"{problem}: the image ends there"))
        return len(self.data)

    # -- segment handlers -------------------------------------------------

    def _app0(self, segment: Segment) -> None:
        if not segment.payload.startswith(b"JFIF\x00") or self.jfif is not None:
            return
        try:
            parsed = JfifLayout.parse(segment.payload)
        except ConstructError as error:
            self.warnings.append(
                Notice("jfif", segment.offset, f"malformed JFIF APP0 ({_brief(error)})")
            )
            return
        segment.parsed = parsed
        self.jfif = Jfif(
            (parsed.version_major, parsed.version_minor),
            parsed.units,
            parsed.x_density,
            parsed.y_density,
            parsed.thumbnail_width,
            parsed.thumbnail_height,
        )

    def _adobe(self, segment: Segment) -> None:
        try:
            segment.parsed = AdobeLayout.parse(segment.payload)
        except ConstructError:
            return  # too short to say anything; kept raw
        if self.adobe_transform is None:
            self.adobe_transform = segment.parsed.transform

    def _dqt(self, segment: Segment) -> None:
        for spec in segment.parsed.tables:
            if spec.info.table_id > 3 or spec.info.precision > 1:
                raise JpegError(
                    f"DQT defines table {spec.info.table_id} with precision {spec.info.precision}",
                    segment.offset,
                )
            values = np.zeros(64, np.uint16)
            values[ZIGZAG_TO_NATURAL] = spec.entries
            self.quant_tables[spec.info.table_id] = QuantTable(
                spec.info.table_id, values.reshape(8, 8), spec.info.precision
            )

    def _dht(self, segment: Segment) -> None:
        for spec in segment.parsed.tables:
            table_class, table_id = spec.info.table_class, spec.info.table_id
            if table_class > 1 or table_id > 3:
                raise JpegError(
                    f"DHT defines table class {table_class} id {table_id}", segment.offset
                )
            table = HuffmanTable(table_class, table_id, tuple(spec.counts), bytes(spec.symbols))
            try:
                code_lengths_and_codes(table)
            except JpegError as error:
                raise JpegError(error.message, segment.offset) from None
            self.huffman_tables[(table_class, table_id)] = table

    def _dac(self, segment: Segment) -> None:
        for spec in segment.parsed.conditioning:
            table_id, value = spec.info.table_id, spec.value
            if table_id > 3 or spec.info.table_class > 1:
                raise JpegError(f"DAC for table class {spec.info.table_class} id {table_id}",
                                segment.offset)  # fmt: skip
            if spec.info.table_class == 0:
                low, high = value & 0x0F, value >> 4
                if low > high:
                    raise JpegError(f"DAC gives DC table {table_id} L={low} > U={high}",
                                    segment.offset)  # fmt: skip
                self.conditioning[table_id], self.conditioning[4 + table_id] = low, high
            else:
                if not 1 <= value <= 63:
                    raise JpegError(f"DAC gives AC table {table_id} Kx={value}", segment.offset)
                self.conditioning[8 + table_id] = value

    def _dri(self, segment: Segment) -> None:
        self.restart_interval = segment.parsed.restart_interval

    def _sof(self, segment: Segment) -> None:
        if self.frame is not None:
            raise JpegError(
                "second frame header: multi-frame files are unsupported", segment.offset
            )
        sof = segment.parsed
        code = segment.marker
        if sof.precision not in (8, 12) or (code == Marker.SOF0 and sof.precision != 8):
            raise UnsupportedJpeg(
                f"{sof.precision}-bit samples in a {FRAME_KIND[code]} frame", segment.offset
            )
        if sof.width == 0 or sof.height == 0:
            raise UnsupportedJpeg(
                f"frame of {sof.width}x{sof.height}: a height defined later by DNL is unsupported",
                segment.offset,
            )
        if not 1 <= len(sof.components) <= 4:
            raise JpegError(f"frame has {len(sof.components)} components", segment.offset)
        ids = [c.component_id for c in sof.components]
        if len(set(ids)) != len(ids):
            raise JpegError(f"frame repeats a component id: {ids}", segment.offset)
        for spec in sof.components:
            if not (1 <= spec.sampling.h <= 4 and 1 <= spec.sampling.v <= 4):
                raise JpegError(
                    f"component {spec.component_id} has sampling factors "
                    f"{spec.sampling.h}x{spec.sampling.v}, outside 1..4",
                    segment.offset,
                )
            if spec.quant_table_id > 3:
                raise JpegError(
                    f"component {spec.component_id} uses quantization table {spec.quant_table_id}",
                    segment.offset,
                )
        if sof.width * sof.height > self.limits.max_pixels:
            raise JpegError(
                f"frame of {sof.width}x{sof.height} exceeds the limit of "
                f"{self.limits.max_pixels} pixels (raise it with --max-pixels)",
                segment.offset,
            )
        sampling = [(c.sampling.h, c.sampling.v) for c in sof.components]
        components = [
            Component(
                spec.component_id,
                spec.sampling.h,
                spec.sampling.v,
                spec.quant_table_id,
                wide,
                high,
                coefficients=np.zeros((*coded, 8, 8), np.int16),
            )
            for spec, (wide, high, coded) in zip(
                sof.components, block_grid(sof.width, sof.height, sampling)
            )
        ]
        self.frame = Frame(code, sof.precision, sof.width, sof.height, components)

    def _scan(self, segment: Segment) -> int:
        frame = self.frame
        if frame is None:
            raise JpegError("SOS before any frame header", segment.offset)
        sos = segment.parsed
        by_id = {c.component_id: i for i, c in enumerate(frame.components)}
        indexes = []
        for spec in sos.components:
            if spec.component_id not in by_id:
                raise JpegError(
                    f"scan refers to component {spec.component_id}, not in the frame",
                    segment.offset,
                )
            indexes.append(by_id[spec.component_id])
        if not indexes or len(set(indexes)) != len(indexes):
            raise JpegError(f"scan has components {indexes}", segment.offset)
        if (
            len(indexes) > 1
            and sum(frame.components[i].h * frame.components[i].v for i in indexes) > 10
        ):
            raise JpegError("scan has more than 10 blocks per MCU", segment.offset)
        self._check_scan_parameters(sos, len(indexes), segment.offset)
        for i in indexes:
            component = frame.components[i]
            if component.quant_values is None:
                table = self.quant_tables.get(component.quant_table_id)
                if table is None:
                    raise JpegError(
                        f"quantization table {component.quant_table_id} is not defined",
                        segment.offset,
                    )
                component.quant_values = table.values.copy()
                component.source_quant_values = table.values.copy()
        if self.first_restart_interval is None:
            self.first_restart_interval = self.restart_interval
        data_start = segment.offset + 4 + len(segment.payload)
        data_end = find_scan_end(self.data, data_start)
        self.scans.append(
            Scan(
                component_indexes=indexes,
                dc_table_ids=[c.tables.dc for c in sos.components],
                ac_table_ids=[c.tables.ac for c in sos.components],
                ss=sos.ss,
                se=sos.se,
                ah=sos.approximation.ah,
                al=sos.approximation.al,
                header_offset=segment.offset,
                data_offset=data_start,
                data_length=data_end - data_start,
                restart_interval=self.restart_interval,
                huffman_tables=dict(self.huffman_tables),
                conditioning=tuple(self.conditioning),
            )
        )
        return data_end

    def _check_scan_parameters(self, sos, component_count: int, offset: int) -> None:
        ss, se = sos.ss, sos.se
        ah, al = sos.approximation.ah, sos.approximation.al
        if self.frame.marker in PROGRESSIVE_FRAMES:
            bad = (
                se > 63
                or ss > se
                or (ss == 0 and se != 0)
                or (ss > 0 and component_count != 1)
                or al > 13
                or (ah and ah != al + 1)
            )
            if bad:
                raise JpegError(
                    f"invalid progressive scan parameters Ss={ss} Se={se} Ah={ah} Al={al}", offset
                )
        elif ss != 0 or se != 63 or ah or al:
            self.warnings.append(
                Notice(
                    "parameters", offset,
                    f"sequential scan with Ss={ss} Se={se} Ah={ah} Al={al} "
                    "(decoded as a full scan, as libjpeg does)",
                )
            )  # fmt: skip


_HANDLERS = {
    Marker.DQT: _Parser._dqt,
    Marker.DHT: _Parser._dht,
    Marker.DRI: _Parser._dri,
    Marker.SOF0: _Parser._sof,
    Marker.SOF1: _Parser._sof,
    Marker.SOF2: _Parser._sof,
    Marker.SOF9: _Parser._sof,
    Marker.SOF10: _Parser._sof,
    Marker.DAC: _Parser._dac,
}


def libjpeg_reads_cut_off(code: int, tail: bytes) -> bool:
    """Whether libjpeg reads, without an error, a segment that the file ends
    inside: `tail` is what follows its marker code.  Past the end of a file
    libjpeg's source manager supplies FF D9 pairs (a fake EOI), and its
    marker reader then checks only what jdmarker.c checks: APPn, COM and DNL
    are skipped by their length; DRI needs length 4; DHT and DQT table ids
    and lengths must add up.  Any other segment read there is an error."""
    if is_app(code) or code in (Marker.COM, Marker.DNL):
        return True
    if code not in (Marker.DRI, Marker.DHT, Marker.DQT):
        return False
    stream = chain(tail, cycle(b"\xff\xd9"))
    length = (next(stream) << 8 | next(stream)) - 2
    if code == Marker.DRI:
        return length == 2
    while length > (16 if code == Marker.DHT else 0):
        table = next(stream)
        if code == Marker.DHT:
            count = sum(islice(stream, 16))
            length -= 17
            if count > 256 or count > length or table & 0x0F >= 4 or table & 0xE0:
                return False
            length -= sum(1 for _ in islice(stream, count))
        else:
            if table & 0x0F >= 4:
                return False
            size = 128 if table >> 4 else 64
            length -= 1 + sum(1 for _ in islice(stream, size))
    return length == 0


def _brief(error: ConstructError) -> str:
    """construct's message without its multi-line path decoration."""
    text = str(error).strip().splitlines()
    return text[-1] if text else type(error).__name__
