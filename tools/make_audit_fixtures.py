"""Audit fixtures: one compliant file, and for each rule a file that breaks it alone.

    python tools/make_audit_fixtures.py DIRECTORY

The compliant file is synthesized coefficient by coefficient with the
library (no pixels, no outside encoder) and written as strict JFIF: 1536x1024,
4:2:0, about 750 KB, accepted by Lepton.  Each breaking file is that file
with one surgical change, named after the rule it breaks.  The tests build
them into a temporary directory; nothing here is committed as data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jpegsurgeon  # noqa: E402
from jpegsurgeon.markers import Marker  # noqa: E402
from jpegsurgeon.model import JpegImage, blank_image  # noqa: E402
from jpegsurgeon.passes import parse_spec, run_pipeline  # noqa: E402
from jpegsurgeon.segments import Dqt, build_segment  # noqa: E402

TARGET_BYTES = 750_000


def synthesize(width: int, height: int, sampling, strength: float, seed: int = 1) -> JpegImage:
    """Photo-like statistics: smooth DC, Laplacian AC fading with frequency."""
    image = blank_image(width, height, sampling)
    rng = np.random.default_rng(seed)
    u = np.arange(8)
    falloff = np.exp(-(u[:, None] + u[None, :]) / 3.0)
    for index, component in enumerate(image.components):
        quant = np.full((8, 8), 2 if index == 0 else 3, np.uint16)
        quant[0, 0] = 8
        component.quant_values = quant
        shape = component.coefficients.shape
        scale = strength * falloff * (1.0 if index == 0 else 0.5)
        coefficients = np.rint(rng.laplace(0.0, scale, size=shape))
        rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
        dc = 40 * np.sin(cols / 9.0 + index) + 40 * np.cos(rows / 13.0)
        coefficients[..., 0, 0] = np.rint(dc + rng.normal(0, 3, size=shape[:2]))
        component.coefficients[...] = coefficients.astype(np.int16)
    return image


def sized(width: int, height: int, sampling=((2, 2), (1, 1), (1, 1))) -> bytes:
    """A synthesized strict JFIF file of about TARGET_BYTES, found by bisection."""
    low, high = 1.0, 200.0
    data = b""
    for _ in range(30):
        strength = (low * high) ** 0.5
        data = jpegsurgeon.write(synthesize(width, height, sampling, strength))
        if abs(len(data) - TARGET_BYTES) < 40_000:
            return data
        low, high = (strength, high) if len(data) < TARGET_BYTES else (low, strength)
    raise RuntimeError(f"no strength gives about {TARGET_BYTES} bytes at {width}x{height}")


def insert_before(data: bytes, marker: int, extra: bytes) -> bytes:
    """`extra` placed right before the first segment with this marker."""
    image = jpegsurgeon.read(data)
    offset = next(s.offset for s in image.segments if s.marker == marker)
    return data[:offset] + extra + data[offset:]


def breakers(base: bytes) -> dict[str, bytes]:
    """Rule id -> the base file with one change that breaks that rule."""
    image = jpegsurgeon.read(base)
    scan = image.scans[0]
    dqt = next(s for s in image.segments if s.marker == Marker.DQT)
    app0 = image.segments[1]
    thumbnail_app0 = build_segment(
        Marker.APP0, app0.payload[:12] + b"\x01\x01" + b"\x80\x80\x80"
    )  # a 1x1 thumbnail
    zero_padded = jpegsurgeon.read(base)
    zero_padded.scans[0].pad_bit = 0
    # the luma table defined again under its id, while the same table is in force
    luma_table = Dqt.build({"tables": Dqt.parse(dqt.payload).tables[:1]})
    oversubscribed = b"\x00" + bytes([2] + [0] * 15) + b"\x00\x01"  # two 1-bit codes
    cut = scan.data_offset + scan.data_length - 3000  # still inside the size window
    while base[cut - 1] == 0xFF:  # do not leave half a stuffed byte
        cut -= 1
    return {
        "structure.soi": b"\x00" + base,
        "structure.parse": insert_before(
            base, Marker.DHT, build_segment(Marker.DHT, oversubscribed)
        ),
        "structure.jfif-app0": base[:2] + base[2 + app0.size :],
        "jfif.no-thumbnail": base[:2] + thumbnail_app0 + base[2 + app0.size :],
        "structure.eoi": base[:-2],
        "structure.trailing-data": base + b"\x00\x00",
        "decode.complete": base[:cut] + b"\xff\xd9",
        "size.window": jpegsurgeon.write(
            run_pipeline(image, [parse_spec("crop:geometry=512x512+0+0")], 0)[0]
        ),
        "dimensions.range": sized(4096, 240),
        "segments.app": insert_before(
            base, Marker.DQT, build_segment(Marker.APP1, b"Exif\x00\x00")
        ),
        "segments.com": insert_before(base, Marker.DQT, build_segment(Marker.COM, b"made by hand")),
        "segments.non-graphical": insert_before(
            base, Marker.DQT, build_segment(Marker.JPG0, b"\x00\x00")
        ),
        "payload.duplicate-table": insert_before(
            base, Marker.SOF0, build_segment(Marker.DQT, luma_table)
        ),
        "payload.unused-table": insert_before(
            base, Marker.DQT, build_segment(Marker.DQT, b"\x03" + bytes(range(1, 65)))
        ),
        "payload.fill-bytes": insert_before(base, Marker.DHT, b"\xff" * 12),
        "payload.stray-bytes": insert_before(base, Marker.DHT, b"\x12\x34\x56"),
        "payload.padding-bits": jpegsurgeon.write(zero_padded, preserve=True),
        "lepton.roundtrip": sized(1536, 1024, ((4, 1), (1, 1), (1, 1))),
    }


def build(directory: Path) -> dict[str, Path]:
    """Write compliant.jpg and one file per rule; return rule id -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    base = sized(1536, 1024)
    paths = {"compliant": directory / "compliant.jpg"}
    paths["compliant"].write_bytes(base)
    for rule_id, data in breakers(base).items():
        paths[rule_id] = directory / f"breaks-{rule_id}.jpg"
        paths[rule_id].write_bytes(data)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    for rule_id, path in build(args.directory).items():
        print(f"{path} ({path.stat().st_size} bytes): {rule_id}")


if __name__ == "__main__":
    main()
