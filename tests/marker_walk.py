"""An independent reading of a JPEG's marker structure, for tests.

It shares no code with jpegsurgeon's parser: it walks markers and lengths
(T.81 B.1), keeps the tables in force, and cuts each scan's entropy-coded
data at the first marker that is not RSTn.  `layout_of` reduces a file to
what two encoders must agree on: frame, quantization tables, and per scan its
header, the Huffman tables (by content) or conditioning its components use,
the restart interval and the entropy-coded bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SOS, DHT, DQT, DRI, DAC, EOI, SOI = 0xDA, 0xC4, 0xDB, 0xDD, 0xCC, 0xD9, 0xD8
FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC9, 0xCA, 0xCB}


@dataclass
class Walk:
    markers: list[int] = field(default_factory=list)
    segments: list[tuple[int, bytes]] = field(default_factory=list)  # (marker, payload)
    scans: list[dict] = field(default_factory=list)


def walk(data: bytes) -> Walk:
    assert data[:2] == b"\xff\xd8", "no SOI"
    result = Walk(markers=[SOI])
    huffman: dict[tuple[int, int], bytes] = {}
    quant: dict[int, bytes] = {}
    conditioning: dict[tuple[int, int], int] = {}
    restart = 0
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"no marker at {pos}"
        while data[pos + 1] == 0xFF:
            pos += 1
        marker = data[pos + 1]
        result.markers.append(marker)
        if marker == EOI:
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        payload = data[pos + 4 : pos + 2 + length]
        result.segments.append((marker, payload))
        pos += 2 + length
        if marker == DQT:
            i = 0
            while i < len(payload):
                precision, table_id = payload[i] >> 4, payload[i] & 15
                size = 128 if precision else 64
                quant[table_id] = payload[i + 1 : i + 1 + size]
                i += 1 + size
        elif marker == DHT:
            i = 0
            while i < len(payload):
                key = (payload[i] >> 4, payload[i] & 15)
                count = sum(payload[i + 1 : i + 17])
                huffman[key] = payload[i + 1 : i + 17 + count]
                i += 17 + count
        elif marker == DAC:
            for i in range(0, len(payload), 2):
                conditioning[(payload[i] >> 4, payload[i] & 15)] = payload[i + 1]
        elif marker == DRI:
            restart = int.from_bytes(payload[:2], "big")
        elif marker in FRAMES:
            result.frame = (marker, payload)
        elif marker == SOS:
            count = payload[0]
            entries = [(payload[1 + 2 * i], payload[2 + 2 * i]) for i in range(count)]
            ss, se, a = payload[1 + 2 * count : 4 + 2 * count]
            end = pos
            while True:
                end = data.index(b"\xff", end)
                follower = data[end + 1]
                if follower == 0 or 0xD0 <= follower <= 0xD7:
                    end += 2
                    continue
                if follower == 0xFF:
                    end += 1
                    continue
                break
            result.scans.append(
                {
                    "components": [c for c, _ in entries],
                    "ss": ss,
                    "se": se,
                    "ah": a >> 4,
                    "al": a & 15,
                    "table_ids": [t for _, t in entries],
                    "dc_tables": [huffman.get((0, t >> 4)) for _, t in entries],
                    "ac_tables": [huffman.get((1, t & 15)) for _, t in entries],
                    "conditioning": dict(conditioning),
                    "restart_interval": restart,
                    "data": data[pos:end],
                    "quant": dict(quant),
                }
            )
            pos = end
    return result


def layout_of(data: bytes, *, table_ids: bool = False) -> dict:
    """What must match between two encoders' output of one layout.

    Huffman tables are compared by content per component (a table a scan kind
    does not use is left out); table ids only when `table_ids`.
    """
    w = walk(data)
    marker, frame = w.frame
    scans = []
    for scan in w.scans:
        progressive = marker in (0xC2, 0xCA)
        arithmetic = marker in (0xC9, 0xCA)
        uses_dc = scan["ss"] == 0 and (scan["ah"] == 0 or not progressive)
        uses_ac = scan["se"] != 0
        entry = {
            "components": scan["components"],
            "ss": scan["ss"],
            "se": scan["se"],
            "ah": scan["ah"],
            "al": scan["al"],
            "restart_interval": scan["restart_interval"],
            "data": scan["data"],
        }
        if arithmetic:
            entry["table_ids"] = scan["table_ids"]
            entry["conditioning"] = scan["conditioning"]
        else:
            entry["dc_tables"] = scan["dc_tables"] if uses_dc else None
            entry["ac_tables"] = scan["ac_tables"] if uses_ac else None
            if table_ids:
                entry["table_ids"] = scan["table_ids"]
        scans.append(entry)
    # quantization tables by the components that use them
    count = frame[5]
    quant_ids = [frame[6 + 3 * i + 2] for i in range(count)]
    quant = [w.scans[0]["quant"].get(q) for q in quant_ids] if w.scans else []
    return {"frame_marker": marker, "frame": frame, "quant": quant, "scans": scans}
