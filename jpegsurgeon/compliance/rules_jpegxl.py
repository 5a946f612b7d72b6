"""Rules of the `jpegxl` profile: what JPEG XL's lossless JPEG transcoding
needs to give a file back bit for bit.

libjxl (0.11, what imagecodecs links) reads a JPEG with
lib/jxl/jpeg/enc_jpeg_data_reader.cc, stores what pixels do not say in the
`jbrd` reconstruction box whose fields lib/jxl/jpeg/jpeg_data.cc lays out,
and codes the coefficients as a VarDCT frame (lib/jxl/enc_frame.cc,
lib/jxl/frame_header.h).  Each rule below is one refusal of that code, with
the limit it found and confirmed by round-tripping files through libjxl;
`jpegxl.roundtrip` runs the real codec for what the others cannot see (more
than 65,555 EOB-run breaks or ZRL-before-EOB blocks in one progressive scan,
libjxl issue 4310; an ICC profile its CMS cannot parse).  imagecodecs passes
on no reason for a refusal, so these rules are the user's reasons.
"""

from __future__ import annotations

from ..codecs import CodecUnavailable
from ..markers import Marker, marker_name
from .facts import Facts
from .rules import Objection, rule

# The limits, as libjxl 0.11 has them (profiles may override them by name).
MAX_TAIL_BYTES = 4_260_096  # jpeg_data.cc: "Tail data too large"
MAX_MARKERS = 16_384  # jpeg_data.cc: "Too many markers"
MAX_GAP_BYTES = 65_535  # jpeg_data.cc: each stretch of bytes between markers is a 16-bit length
MAX_QUANT_TABLES = 3  # jpeg_data.cc: U32(1, 2, 3, 4) with 4 refused
HUFFMAN_TABLES = (2, 89)  # jpeg_data.cc: U32(Val(4), 2 + 3 bits, 10 + 4 bits, 26 + 6 bits)
MAX_AL = 10  # enc_jpeg_data_reader.cc: "Scan parameter Al=%d is not supported"
SAMPLING_FACTORS = (1, 2)  # frame_header.h: YCbCrChromaSubsampling modes 1x1, 2x1, 1x2, 2x2

# Markers libjxl's reader stops at (FindNextMarker); any other byte, a
# marker of another kind included, is kept as data between markers.
_READ_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC4, 0xD9, 0xDA, 0xDB, 0xDD, 0xFE}
    | set(range(0xD0, 0xD8))
    | set(range(0xE0, 0xF0))
)
_ICC_TAG = b"ICC_PROFILE\x00"


def _kept(facts: Facts) -> str | None:
    """What strict output would keep of the file that JPEG XL refuses, or
    cannot hold at all; None when `transform` makes a file JPEG XL takes."""
    image = facts.image
    if image.frame.precision != 8:
        return f"{image.frame.precision}-bit samples"
    if image.colour_space not in ("grayscale", "YCbCr"):
        return f"{image.colour_space} components"
    if any(c.h not in SAMPLING_FACTORS or c.v not in SAMPLING_FACTORS for c in image.components):
        return "sampling factors above 2"
    if any(c.quant_values is not None and not c.quant_values.all() for c in image.components):
        return "a zero quantizer"
    return None


def _repair(facts: Facts, what: str = "") -> str:
    """The advice that ends a message: strict output as `transform` writes it
    (baseline, one scan, optimal tables, no trailing data, no restarts), when
    that makes a file JPEG XL takes."""
    kept = _kept(facts)
    if kept:
        return f"; jpegsurgeon transform cannot repair it ({kept} stay or cannot be written)"
    return f"; repair: jpegsurgeon transform IN OUT --codec jxl{what}"


# -- what libjxl reads at all -------------------------------------------------


@rule("jpegxl.coding", "Huffman coding: a SOF0, SOF1 or SOF2 frame")
def _coding(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None:
        return []
    marker = facts.image.frame.marker
    if marker in (Marker.SOF0, Marker.SOF1, Marker.SOF2):
        return []
    frame = next((s for s in facts.segments if s.marker == marker), None)
    return [(frame.offset if frame else None,
             f"{marker_name(marker)} ({facts.image.frame.kind}) frame: libjxl reads only "
             "Huffman-coded SOF0, SOF1 and SOF2 frames, it takes no arithmetic coding"
             + _repair(facts, " (rewrites it Huffman-coded)"))]  # fmt: skip


@rule("jpegxl.precision", "8-bit samples")
def _precision(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None or facts.image.frame.precision == 8:
        return []
    return [(None, f"{facts.image.frame.precision}-bit samples: JPEG XL's JPEG reconstruction "
                   "data is defined for 8-bit JPEG only; no lossless repair")]  # fmt: skip


@rule("jpegxl.components", "one or three components")
def _components(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None or len(facts.image.components) in (1, 3):
        return []
    count = len(facts.image.components)
    return [(None, f"{count} components ({facts.image.colour_space}): JPEG XL reconstructs "
                   "only grayscale or three-component JPEGs; no lossless repair")]  # fmt: skip


def _is_rgb(facts: Facts) -> bool:
    """Whether libjxl takes the three components for RGB, as
    SetColorTransformFromJpegData decides it: never with an APP0 segment,
    else by the first 12-byte Adobe APP14's transform flag, else by the
    component ids R, G, B."""
    if len(facts.image.components) != 3 or any(s.marker == Marker.APP0 for s in facts.segments):
        return False
    for segment in facts.segments:
        if segment.marker == Marker.APP14 and len(segment.payload) == 12 \
                and segment.payload.startswith(b"Adobe"):  # fmt: skip
            return segment.payload[11] == 0
    return [c.component_id for c in facts.image.components] == [ord("R"), ord("G"), ord("B")]


@rule("jpegxl.sampling", "sampling factors 1 or 2, and subsampling only of YCbCr")
def _sampling(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None:
        return []
    allowed = tuple(settings.get("sampling_factors", SAMPLING_FACTORS))
    components = facts.image.components
    found = [
        (None, f"component {n} (id {c.component_id}) has sampling {c.h}x{c.v}: JPEG XL's "
               f"chroma subsampling takes factors {' or '.join(map(str, allowed))} only "
               "(1x1, 2x1, 1x2, 2x2); no lossless repair")
        for n, c in enumerate(components, start=1)
        if c.h not in allowed or c.v not in allowed
    ]  # fmt: skip
    if not found and any(c.h > 1 or c.v > 1 for c in components) and _is_rgb(facts):
        factors = ",".join(f"{c.h}x{c.v}" for c in components)
        found.append((None, f"RGB components with sampling {factors}: JPEG XL subsamples only "
                            "YCbCr; no lossless repair"))  # fmt: skip
    return found


# -- tables and scans ----------------------------------------------------------


@rule("jpegxl.scans", "a progression libjxl accepts: no coefficient bit coded twice, Al <= 10")
def _scans(facts: Facts, settings: dict) -> list[Objection]:
    """enc_jpeg_data_reader.cc's ProcessScan: each scan marks the bits it
    codes of each coefficient; a scan may not code marked bits again, nor
    first-code bits above ones already refined."""
    if facts.image is None:
        return []
    image, limit = facts.image, settings.get("max_al", MAX_AL)
    progressive = image.frame.progressive
    coded = [[0] * 64 for _ in image.components]
    for number, scan in enumerate(image.scans, start=1):
        ss, se, ah, al = (scan.ss, scan.se, scan.ah, scan.al) if progressive else (0, 63, 0, 0)
        mask = (0xFFFF << al) & 0xFFFF if ah == 0 else 1 << al
        finer = (1 << al) - 1
        for index in scan.component_indexes:
            for k in range(ss, se + 1):
                if coded[index][k] & (mask | finer):
                    why = "codes bits an earlier scan coded" if coded[index][k] & mask else \
                        "comes after a scan that coded finer bits"  # fmt: skip
                    return [(scan.header_offset,
                             f"scan {number} {why} (component {index + 1}, coefficient {k}): "
                             "libjxl refuses overlapping scans" + _repair(facts))]  # fmt: skip
                coded[index][k] |= mask
        if al > limit:
            return [(scan.header_offset, f"scan {number} has Al={al}: libjxl takes successive "
                                         f"approximation down from Al={limit} at most"
                     + _repair(facts))]  # fmt: skip
    return []


@rule("jpegxl.quant-tables", "at most 3 DQT table definitions, each used or a copy of the last")
def _quant_tables(facts: Facts, settings: dict) -> list[Objection]:
    """jpeg_data.cc stores every table definition in file order; a component
    takes the first one with its id, and one no component takes must repeat
    the definition before it."""
    if facts.image is None:
        return []
    limit = settings.get("max_quant_tables", MAX_QUANT_TABLES)
    found: list[Objection] = []
    definitions = []  # (table id, entries, offset)
    for segment in facts.segments:
        if segment.marker != Marker.DQT or segment.parsed is None:
            continue
        if not segment.parsed.tables:
            found.append((segment.offset, "DQT segment defines no table: libjxl refuses it"
                          + _repair(facts)))  # fmt: skip
        for spec in segment.parsed.tables:
            definitions.append((spec.info.table_id, list(spec.entries), segment.offset))
            if 0 in spec.entries:
                found.append((segment.offset, f"quantization table {spec.info.table_id} holds "
                                              "a zero: libjxl takes entries 1..65535 only; no "
                                              "lossless repair"))  # fmt: skip
    if len(definitions) > limit:
        found.append((definitions[limit][2],
                      f"{len(definitions)} quantization table definitions: JPEG XL's "
                      f"reconstruction data holds at most {limit}" + _repair(facts)))  # fmt: skip
        return found
    used = set()
    for component in facts.image.components:
        ids = [table_id for table_id, _, _ in definitions]
        if component.quant_table_id in ids:
            used.add(ids.index(component.quant_table_id))
    for n, (table_id, entries, offset) in enumerate(definitions):
        if n in used or (n > 0 and entries == definitions[n - 1][1]):
            continue
        where = "the first definition" if n == 0 else "not a copy of the definition before it"
        found.append((offset, f"quantization table {table_id} defined at offset {offset} is "
                              f"used by no component and is {where}: JPEG XL cannot store it"
                      + _repair(facts)))  # fmt: skip
    return found


@rule("jpegxl.huffman-tables", "2 to 89 Huffman table definitions in the file")
def _huffman_tables(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None or facts.image.frame.arithmetic:
        return []  # jpegxl.coding reports arithmetic coding
    low, high = settings.get("huffman_tables", HUFFMAN_TABLES)
    count = sum(len(s.parsed.tables) for s in facts.segments
                if s.marker == Marker.DHT and s.parsed is not None)  # fmt: skip
    if low <= count <= high:
        return []
    return [(None, f"{count} Huffman table definitions: JPEG XL's reconstruction data holds "
                   f"{low} to {high}" + _repair(facts))]  # fmt: skip


@rule("jpegxl.empty-dht", "no DHT segment without a table")
def _empty_dht(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None:
        return []
    return [(s.offset, "DHT segment defines no table: libjxl 0.11 refuses it (\"DHT marker: no "
                       "Huffman table found\"; 0.12 accepts it)" + _repair(facts))
            for s in facts.segments
            if s.marker == Marker.DHT and s.parsed is not None and not s.parsed.tables]  # fmt: skip


# -- layout of the file -----------------------------------------------------------


@rule("jpegxl.restart-markers", "at most one DRI segment (RST markers themselves are not limited)")
def _restart_markers(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None:
        return []
    dris = [s for s in facts.segments if s.marker == Marker.DRI]
    if len(dris) <= 1:
        return []
    return [(dris[1].offset,
             f"{len(dris)} DRI segments: libjxl keeps one restart interval per file and refuses "
             "a second DRI (\"Duplicate DRI marker\"), even one repeating the interval; RST "
             "markers are not limited (686,654 in one file round-trip); in progressive output "
             "--restart N (MCU rows) writes a DRI per scan width, --restart NB one"
             + _repair(facts))]  # fmt: skip


def _marker_layout(facts: Facts) -> tuple[int, list[tuple[int, int]]]:
    """What libjxl's reader makes of the file between SOI and EOI: the count
    of markers it records (stray RSTn included) and each stretch of other
    bytes between them, (offset, length): fill bytes, stray bytes, bytes
    after a scan's last MCU, segments of kinds it does not read."""
    markers, gaps, end = 0, [], 2
    scans = iter(facts.image.scans)
    for segment in facts.segments[1:]:
        if segment.marker not in _READ_MARKERS:
            continue  # its bytes join the stretch around it
        if segment.offset > end:
            gaps.append((end, segment.offset - end))
        markers += 1
        end = segment.offset + segment.size
        if segment.marker == Marker.SOS:
            scan = next(scans, None)
            if scan is None:
                break
            start = end = scan.data_offset + scan.data_length - len(scan.tail)
            tail, i = scan.tail, 0
            while i < len(tail):
                if tail[i] == 0xFF and i + 1 < len(tail) and 0xD0 <= tail[i + 1] <= 0xD7:
                    if start + i > end:
                        gaps.append((end, start + i - end))
                    markers += 1
                    i += 2
                    end = start + i
                else:
                    i += 1
    return markers, gaps


@rule("jpegxl.markers", "at most 16,384 markers, at most 65,535 bytes between two of them")
def _markers(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None:
        return []
    max_markers = settings.get("max_markers", MAX_MARKERS)
    max_gap = settings.get("max_gap_bytes", MAX_GAP_BYTES)
    markers, gaps = _marker_layout(facts)
    found = [(offset, f"{size} bytes between markers: JPEG XL's reconstruction data stores at "
                      f"most {max_gap} in one place" + _repair(facts))
             for offset, size in gaps if size > max_gap]  # fmt: skip
    if markers + len(gaps) > max_markers:
        found.append((None, f"{markers} markers and {len(gaps)} stretches of bytes between them: "
                            f"JPEG XL's reconstruction data records at most {max_markers}"
                      + _repair(facts)))  # fmt: skip
    return found


@rule("jpegxl.trailing-data", "at most 4,260,096 bytes after EOI")
def _trailing(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None:
        return []
    trailing, limit = len(facts.image.trailing), settings.get("max_tail_bytes", MAX_TAIL_BYTES)
    if trailing <= limit:
        return []
    return [(len(facts.data) - trailing,
             f"{trailing} bytes after EOI: JPEG XL keeps at most {limit} bytes of trailing data"
             + _repair(facts, " (drops them)"))]  # fmt: skip


# -- colour profile -------------------------------------------------------------


def _icc_chunks(facts: Facts) -> list[tuple[int, bytes]]:
    return [(s.offset, s.payload) for s in facts.segments
            if s.marker == Marker.APP2 and s.payload.startswith(_ICC_TAG)]  # fmt: skip


def _icc_profile(chunks: list[tuple[int, bytes]]) -> bytes | None:
    """The profile as enc_jpeg_data.cc's ParseChunkedMarker puts it together;
    None when it cannot (libjxl then warns and goes on without it)."""
    parts: dict[int, bytes] = {}
    total = None
    for ordinal, (_, payload) in enumerate(chunks, start=1):
        body = payload[len(_ICC_TAG) :]
        if len(body) < 2 or body[0] != ordinal or body[1] == 0 or total not in (None, body[1]):
            return None
        total = body[1]
        if body[0] > total:
            return None
        parts[body[0]] = body[2:]
    if total is None or len(parts) != total:
        return None
    return b"".join(parts[i] for i in range(1, total + 1))


@rule("jpegxl.icc", "ICC profile chunks numbered in order, a profile header libjxl accepts")
def _icc(facts: Facts, settings: dict) -> list[Objection]:
    if facts.image is None:
        return []
    chunks = _icc_chunks(facts)
    if not chunks:
        return []
    found: list[Objection] = []
    # DetectIccProfile: chunks 1, 2, ... in file order, each announcing the first one's total
    counted, announced = 0, None
    for _, payload in chunks:
        body = payload[len(_ICC_TAG) :]
        if len(body) < 2 or body[0] != counted + 1 or announced not in (None, body[1]):
            continue
        announced = body[1] if announced is None else announced
        counted += 1
    if counted != (announced or 0):
        found.append((chunks[0][0], f"ICC profile announces {announced} chunks but {counted} "
                                    "follow in order: libjxl refuses it (\"Invalid ICC chunks\")"
                      + _repair(facts, " (drops the profile)")))  # fmt: skip
    profile = _icc_profile(chunks)
    if profile is None:
        return found
    problem = None
    if len(profile) < 128:
        problem = f"is {len(profile)} bytes, less than its 128-byte header"
    elif profile[36:40] != b"acsp":
        problem = "lacks the 'acsp' signature"
    else:
        big, little = (
            int.from_bytes(profile[64:68], "big"),
            int.from_bytes(profile[64:68], "little"),
        )
        if min(big, little) > 3:
            problem = f"has rendering intent {min(big, little)}, not 0..3"
    if problem:
        advice = _repair(facts, " (drops the profile)")
        found.append((chunks[0][0], f"the ICC profile {problem}: libjxl cannot take its colour "
                                    f"encoding{advice}"))  # fmt: skip
    return found


# -- the real thing ----------------------------------------------------------------


@rule("jpegxl.roundtrip", "libjxl transcodes the file and reconstructs it identically, every cycle")
def _roundtrip(facts: Facts, settings: dict) -> list[Objection]:
    try:
        result = facts.codec_result("jxl")
    except CodecUnavailable as error:
        return [(None, f"cannot check: {error.message}")]
    if result.verified:
        return []
    advice = _repair(facts, " (verifies the JPEG XL round trip)") if facts.image else ""
    return [(None, f"JPEG XL {result.error} (libjxl gives no reason: the other jpegxl rules "
                   "name the known ones; beyond them it refuses more than 65,555 EOB-run breaks "
                   "or ZRL-before-EOB blocks in one scan and ICC profiles its CMS cannot parse)"
             + advice)]  # fmt: skip
