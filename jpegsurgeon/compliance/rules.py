"""Audit rules: each a named check over a file's facts.

A check returns the places it objects to as (offset, message) pairs, offset
None when the finding concerns the whole file.  Whether a finding is an
error or a warning, and the numbers it compares against, are the profile's
business (see `profiles`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..decoder import scan_kind, scan_needs
from ..markers import Marker, is_app, is_frame, is_restart, marker_name
from .facts import Facts

Objection = tuple[int | None, str]
Check = Callable[[Facts, dict[str, Any]], list[Objection]]


@dataclass(frozen=True)
class Rule:
    rule_id: str
    title: str
    check: Check


RULES: dict[str, Rule] = {}


def rule(rule_id: str, title: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES[rule_id] = Rule(rule_id, title, check)
        return check

    return register


def _structural(facts: Facts) -> list[Objection] | None:
    """Rules that need a parsed file say nothing when it did not parse;
    structure.parse reports that once."""
    return [] if facts.image is None else None


# -- structure --------------------------------------------------------------


@rule("structure.parse", "the file parses and entropy-decodes as a JPEG")
def _parse(facts: Facts, settings: dict) -> list[Objection]:
    if facts.error is None or not facts.data.startswith(b"\xff\xd8"):
        return []  # structure.soi reports a file that is no JPEG at all
    return [(facts.error.offset, facts.error.message)]


@rule("structure.soi", "the file starts with SOI")
def _soi(facts: Facts, settings: dict) -> list[Objection]:
    if facts.data[:2] == b"\xff\xd8":
        return []
    return [(0, "the file does not start with SOI (0xFF 0xD8)")]


@rule("structure.jfif-app0", "a well-formed JFIF APP0 segment follows SOI")
def _jfif_app0(facts: Facts, settings: dict) -> list[Objection]:
    segments = facts.segments
    if len(segments) < 2:
        return [(2, "no segment after SOI")] if facts.data[:2] == b"\xff\xd8" else []
    second = segments[1]
    if second.marker != Marker.APP0 or not second.payload.startswith(b"JFIF\x00"):
        return [(second.offset, f"{marker_name(second.marker)} follows SOI, not a JFIF APP0")]
    found = []
    if second.fill_before:
        found.append((second.offset, f"{second.fill_before} fill bytes before the JFIF APP0"))
    if second.parsed is None:
        found.append((second.offset, "JFIF APP0 is malformed"))
    return found


@rule("jfif.no-thumbnail", "the JFIF APP0 is exactly 16 bytes: no thumbnail")
def _jfif_thumbnail(facts: Facts, settings: dict) -> list[Objection]:
    app0 = facts.segments[1] if len(facts.segments) > 1 else None
    if app0 is None or app0.marker != Marker.APP0 or app0.parsed is None:
        return []  # structure.jfif-app0 reports it
    if len(app0.payload) + 2 == 16:
        return []
    return [(app0.offset, f"JFIF APP0 length field is {len(app0.payload) + 2}, not 16: it "
                          f"carries a {app0.parsed.thumbnail_width}x"
                          f"{app0.parsed.thumbnail_height} thumbnail")]  # fmt: skip


@rule("structure.eoi", "the image ends with EOI")
def _eoi(facts: Facts, settings: dict) -> list[Objection]:
    if (found := _structural(facts)) is not None:
        return found
    if not facts.image.has_eoi:
        return [(len(facts.data), "no EOI marker: the file ends early")]
    return []


@rule("structure.trailing-data", "nothing follows EOI")
def _trailing(facts: Facts, settings: dict) -> list[Objection]:
    trailing = facts.image.trailing if facts.image is not None else b""
    if not trailing:
        return []
    return [(len(facts.data) - len(trailing), f"{len(trailing)} bytes after EOI")]


@rule("decode.complete", "the entropy-coded data is complete, uncorrupted, restarts in place")
def _decode(facts: Facts, settings: dict) -> list[Objection]:
    if (found := _structural(facts)) is not None:
        return found
    return [(w.offset, w.message) for w in facts.image.warnings if w.kind == "scan"]


# -- what the challenge allows ----------------------------------------------


@rule("size.window", "the file size lies in the allowed window")
def _size(facts: Facts, settings: dict) -> list[Objection]:
    size, low, high = len(facts.data), settings["min_bytes"], settings["max_bytes"]
    if low <= size <= high:
        return []
    return [(None, f"{size} bytes ({size / 2**20:.3f} MiB, {size / 1e6:.3f} MB) lies outside "
                   f"{low}..{high} bytes")]  # fmt: skip


@rule("dimensions.range", "width and height lie in the allowed range")
def _dimensions(facts: Facts, settings: dict) -> list[Objection]:
    if (found := _structural(facts)) is not None:
        return found
    low, high = settings["min_side"], settings["max_side"]
    width, height = facts.image.width, facts.image.height
    if low <= width <= high and low <= height <= high:
        return []
    return [(None, f"{width}x{height} pixels: each side must lie in {low}..{high}")]


@rule("segments.app", "no APPn segment besides the JFIF APP0")
def _app(facts: Facts, settings: dict) -> list[Objection]:
    return [
        (s.offset, f"{marker_name(s.marker)} segment of {s.size} bytes")
        for n, s in enumerate(facts.segments)
        if is_app(s.marker) and not (n == 1 and s.payload.startswith(b"JFIF\x00"))
    ]


@rule("segments.com", "no COM segment")
def _com(facts: Facts, settings: dict) -> list[Objection]:
    return [(s.offset, f"COM segment of {s.size} bytes")
            for s in facts.segments if s.marker == Marker.COM]  # fmt: skip


_GRAPHICAL = {Marker.SOI, Marker.EOI, Marker.DQT, Marker.DHT, Marker.DAC, Marker.DRI, Marker.SOS,
              Marker.COM}  # fmt: skip


@rule("segments.non-graphical", "no other non-graphical segment (DNL, DHP, EXP, JPGn, RESn, RSTn)")
def _other_segments(facts: Facts, settings: dict) -> list[Objection]:
    return [
        (s.offset, f"{marker_name(s.marker)} {'marker' if is_restart(s.marker) else 'segment'}"
                   " outside the image data")
        for s in facts.segments
        if s.marker not in _GRAPHICAL and not is_app(s.marker) and not is_frame(s.marker)
    ]  # fmt: skip


# -- smuggled payload ---------------------------------------------------------


@dataclass
class _Definition:
    kind: str  # "quantization table", "DC Huffman table" or "AC Huffman table"
    table_id: int
    offset: int
    content: bytes
    used: bool = False
    duplicate_of: _Definition | None = None
    repeated: bool = False  # defined again, unchanged, before a scan took it


def _table_history(facts: Facts) -> list[_Definition]:
    """Every table definition in file order, marked used when a scan (or, for a
    quantization table, a component's first scan, where libjpeg latches it)
    took it while it was in force, and linked to the definition it repeats
    when the same content was already in force under its id."""
    image = facts.image
    history: list[_Definition] = []
    current: dict[tuple[str, int], _Definition] = {}
    latched: set[int] = set()
    scans = iter(image.scans)
    for segment in facts.segments:
        if segment.marker == Marker.SOS:
            scan = next(scans, None)
            if scan is None:
                break
            needs_dc, needs_ac = scan_needs(scan_kind(image.frame, scan))
            keys = [("DC Huffman table", t) for t in scan.dc_table_ids if needs_dc]
            keys += [("AC Huffman table", t) for t in scan.ac_table_ids if needs_ac]
            for index in scan.component_indexes:
                if index not in latched:
                    latched.add(index)
                    keys.append(("quantization table", image.components[index].quant_table_id))
            for key in keys:
                if key in current:
                    current[key].used = True
            continue
        if segment.parsed is None or segment.marker not in (Marker.DQT, Marker.DHT):
            continue
        for spec in segment.parsed.tables:
            if segment.marker == Marker.DQT:
                kind, content = "quantization table", bytes(str(list(spec.entries)), "ascii")
            else:
                kind = "DC Huffman table" if spec.info.table_class == 0 else "AC Huffman table"
                content = bytes(spec.counts) + bytes(spec.symbols)
            definition = _Definition(kind, spec.info.table_id, segment.offset, content)
            # Equal contents under two ids, each used, is what libjpeg writes at
            # quality 100 (and when luma's and chroma's codes agree): normal.  So
            # is the same table again after a scan used it: libjpeg's progressive
            # mode defines each scan's tables before it, and two scans' tables
            # agree whenever their statistics do (Cb's and Cr's scans of a grey
            # image).  A duplicate defines the table in force over again before
            # any scan took it.
            previous = current.get((kind, spec.info.table_id))
            if previous is not None and previous.content == content and not previous.used:
                definition.duplicate_of = previous
                previous.repeated = True  # reported as the duplicate, not as unused
            current[(kind, spec.info.table_id)] = definition
            history.append(definition)
    return history


@rule("payload.duplicate-table", "no table is defined again under its id before a scan used it")
def _duplicate_tables(facts: Facts, settings: dict) -> list[Objection]:
    if (found := _structural(facts)) is not None:
        return found
    return [
        (d.offset, f"{d.kind} {d.table_id} repeats {d.duplicate_of.kind} "
                   f"{d.duplicate_of.table_id}, defined at offset {d.duplicate_of.offset}")
        for d in _table_history(facts) if d.duplicate_of is not None
    ]  # fmt: skip


@rule("payload.unused-table", "every table defined is used by a scan while it is in force")
def _unused_tables(facts: Facts, settings: dict) -> list[Objection]:
    if (found := _structural(facts)) is not None:
        return found
    return [(d.offset, f"{d.kind} {d.table_id} is never used before it is replaced or the "
                       "image ends")
            for d in _table_history(facts) if not d.used and not d.repeated]  # fmt: skip


@rule("payload.fill-bytes", "no runs of fill bytes between segments beyond a few")
def _fill(facts: Facts, settings: dict) -> list[Objection]:
    limit = settings["max_fill_bytes"]
    found = [(s.offset - s.fill_before, f"{s.fill_before} fill bytes before "
                                        f"{marker_name(s.marker)}")
             for s in facts.segments if s.fill_before > limit]  # fmt: skip
    if facts.image is not None:
        found += [(scan.data_offset, f"scan {n}: {scan.fill_bytes} fill bytes before its "
                                     "restart markers")
                  for n, scan in enumerate(facts.image.scans, start=1)
                  if scan.fill_bytes > limit]  # fmt: skip
    return found


@rule("payload.stray-bytes", "no bytes outside segments and scans, and none before SOI")
def _stray(facts: Facts, settings: dict) -> list[Objection]:
    found = []
    if facts.image is not None:
        found += [(w.offset, w.message) for w in facts.image.warnings if w.kind == "stray"]
        for number, scan in enumerate(facts.image.scans, start=1):
            if scan.stray_bytes:
                found.append((scan.data_offset, f"scan {number}: {scan.stray_bytes} bytes in front "
                                                "of its restart markers"))  # fmt: skip
            if scan.tail:
                offset = scan.data_offset + scan.data_length - len(scan.tail)
                found.append((offset, f"scan {number}: {len(scan.tail)} bytes after its last MCU"))
    return found


@rule("payload.padding-bits", "every entropy-coded segment is padded with one bits")
def _padding(facts: Facts, settings: dict) -> list[Objection]:
    if (found := _structural(facts)) is not None:
        return found
    return [
        (scan.data_offset, f"scan {n}: {scan.segments_padded_with_zeros} entropy-coded segments "
                           "padded with bits that are not all ones")
        for n, scan in enumerate(facts.image.scans, start=1) if scan.segments_padded_with_zeros
    ]  # fmt: skip


# -- Lepton -------------------------------------------------------------------


@rule("lepton.roundtrip", "Lepton compresses the file and restores it identically, every cycle")
def _lepton(facts: Facts, settings: dict) -> list[Objection]:
    return [(None, f"{r.codec} {r.error}") for r in facts.lepton_results if not r.verified]


# -- advice (warnings in the jfif profile) ------------------------------------


@rule("restart.alignment", "the restart interval divides the MCU rows")
def _restart_alignment(facts: Facts, settings: dict) -> list[Objection]:
    if (found := _structural(facts)) is not None:
        return found
    image = facts.image
    interval, per_row = image.restart_interval, image.frame.mcus_wide
    if interval and per_row % interval and interval % per_row:
        return [(None, f"restart interval {interval} does not divide the {per_row} MCUs of a row")]
    return []


@rule("huffman.optimal", "the Huffman tables are optimal for the data")
def _huffman_optimal(facts: Facts, settings: dict) -> list[Objection]:
    overhead = facts.huffman_overhead
    if overhead is None:
        return []
    actual, optimal = overhead
    if actual <= optimal * (1 + settings["huffman_slack"]):
        return []
    return [
        (
            None,
            f"Huffman codes take {actual // 8} bytes where optimal tables would take "
            f"{optimal // 8} ({100 * (actual - optimal) / max(optimal, 1):.1f}% more)",
        )
    ]
