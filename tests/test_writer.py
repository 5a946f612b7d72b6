"""The writer against outside decoders: libjpeg, Pillow, jpegtran's tables."""

from __future__ import annotations

import io
import subprocess

import jpeglib
import numpy as np
import pytest
from conftest import ARITHMETIC, CORPUS_FILES, FIXTURE_FILES, TWELVE_BIT, file_id, needs_tool
from PIL import Image
from test_decoder import libjpeg_components

import jpegsurgeon
from jpegsurgeon.errors import UnsupportedJpeg
from jpegsurgeon.markers import Marker
from jpegsurgeon.model import blank_image

READABLE = [p for p in FIXTURE_FILES + CORPUS_FILES if p.name not in ARITHMETIC | TWELVE_BIT]
# Strict baseline JFIF cannot hold 16-bit quantization tables, nor CMYK.
STRICT = [p for p in READABLE if "sof1" not in p.name and "cmyk" not in p.name]


def segment_markers(data: bytes) -> list[int]:
    return [s.marker for s in jpegsurgeon.read(data).segments]


@pytest.mark.parametrize("path", STRICT, ids=file_id)
def test_strict_output_decodes_to_the_same_coefficients(path, tmp_path):
    image = jpegsurgeon.read(path)
    data = jpegsurgeon.write(image)
    out = tmp_path / "out.jpg"
    out.write_bytes(data)
    for component, reference in zip(image.components, libjpeg_components(out), strict=True):
        np.testing.assert_array_equal(component.visible_coefficients, reference)
    with Image.open(io.BytesIO(data)) as decoded:
        decoded.load()
        assert decoded.size == (image.width, image.height)
    again = jpegsurgeon.read(data)
    assert not again.truncated and not again.warnings


@pytest.mark.parametrize("path", STRICT, ids=file_id)
def test_strict_output_has_only_the_jfif_segments(path):
    data = jpegsurgeon.write(jpegsurgeon.read(path))
    assert segment_markers(data) == [
        Marker.SOI, Marker.APP0, Marker.DQT, Marker.SOF0, Marker.DHT, Marker.SOS, Marker.EOI
    ]  # fmt: skip
    assert data[2:6] == b"\xff\xe0\x00\x10"  # APP0 of exactly 16 bytes
    assert data[6:11] == b"JFIF\x00"
    assert data[-2:] == b"\xff\xd9"


def test_strict_output_keeps_the_input_density():
    photo = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
    image = jpegsurgeon.read(jpegsurgeon.write(jpegsurgeon.read(photo)))
    assert (image.jfif.units, image.jfif.x_density, image.jfif.y_density) == (1, 72, 72)
    blank = blank_image(16, 16)  # a model with no JFIF header of its own
    image = jpegsurgeon.read(jpegsurgeon.write(blank))
    assert (image.jfif.units, image.jfif.x_density, image.jfif.y_density) == (0, 1, 1)


@pytest.mark.parametrize(
    "path", [p for p in STRICT if "cmyk" not in p.name and "trunc" not in p.name], ids=file_id
)
def test_strict_output_matches_jpegtran_optimize(path):
    """Same optimal Huffman tables and the same entropy-coded bytes as jpegtran."""
    jpegtran = needs_tool("jpegtran")
    image = jpegsurgeon.read(path)
    if image.truncated or image.warnings:
        pytest.skip("damaged input: libjpeg and we both repair it, each its own way")
    result = subprocess.run(
        [jpegtran, "-optimize", "-copy", "none", "-restart", "0", str(path)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"jpegtran refused it: {result.stderr.decode(errors='replace').strip()}")
    reference = result.stdout
    ours = jpegsurgeon.write(image)
    theirs_image, ours_image = jpegsurgeon.read(reference), jpegsurgeon.read(ours)
    if theirs_image.frame.marker != Marker.SOF0 or len(theirs_image.scans) != 1:
        pytest.skip("jpegtran kept a non-baseline layout for this file")

    # the same tables; where jpegtran repeats luma's table for chroma, we define it once
    def distinct(image):
        return {(t.table_class, t.counts, t.symbols) for t in image.huffman_tables.values()}

    assert distinct(ours_image) == distinct(theirs_image)
    theirs_data = reference[theirs_image.scans[0].data_offset :]
    assert ours[ours_image.scans[0].data_offset :] == theirs_data


def test_progressive_input_becomes_baseline():
    path = next(p for p in FIXTURE_FILES if p.name.startswith("progressive_420"))
    image = jpegsurgeon.read(path)
    again = jpegsurgeon.read(jpegsurgeon.write(image))
    assert again.frame.marker == Marker.SOF0 and len(again.scans) == 1
    for a, b in zip(image.components, again.components, strict=True):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)


def intact(path) -> bool:
    image = jpegsurgeon.read(path)
    return not image.truncated and not image.trailing


# Preserve mode re-encodes every scan: Huffman or arithmetic, sequential or progressive.
DECODABLE = FIXTURE_FILES + CORPUS_FILES


@pytest.mark.parametrize("path", DECODABLE, ids=file_id)
def test_preserve_mode_is_byte_identical(path):
    """Sequential and progressive alike: parser and encoders agree bit for bit."""
    if not intact(path):
        pytest.skip("truncated or with bytes after EOI")
    data = path.read_bytes()
    assert jpegsurgeon.write(jpegsurgeon.read(data), preserve=True) == data


def test_preserve_mode_covers_progressive_files():
    progressive = [p for p in DECODABLE if jpegsurgeon.read(p).frame.progressive and intact(p)]
    assert len(progressive) >= 3  # the fixtures alone hold three


def test_preserve_mode_keeps_trailing_data():
    path = next(p for p in FIXTURE_FILES if p.name.startswith("trailing"))
    data = path.read_bytes()
    assert jpegsurgeon.write(jpegsurgeon.read(data), preserve=True) == data


def test_twelve_bit_refused_by_strict_writer_but_preserved():
    from conftest import corpus_file

    path = corpus_file("libjpeg-turbo-monkey12.jpg")
    image = jpegsurgeon.read(path)
    with pytest.raises(UnsupportedJpeg, match="12-bit"):
        jpegsurgeon.write(image)
    assert jpegsurgeon.write(image, preserve=True) == path.read_bytes()


def test_sixteen_bit_tables_refused_by_strict_writer():
    path = next(p for p in FIXTURE_FILES if "sof1" in p.name)
    with pytest.raises(UnsupportedJpeg, match="above 255"):
        jpegsurgeon.write(jpegsurgeon.read(path))


def test_jpeglib_reads_strict_output_quant_tables(tmp_path):
    path = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
    image = jpegsurgeon.read(path)
    out = tmp_path / "out.jpg"
    out.write_bytes(jpegsurgeon.write(image))
    dct = jpeglib.read_dct(str(out))
    for component, table in zip(image.components, dct.qt[dct.quant_tbl_no], strict=True):
        np.testing.assert_array_equal(component.quant_values, table)


def test_fill_bytes_between_segments_are_legal_and_preserved():
    photo = next(p for p in FIXTURE_FILES if p.name == "photo.jpg").read_bytes()
    image = jpegsurgeon.read(photo)
    dqt = next(s for s in image.segments if s.marker == Marker.DQT)
    padded = photo[: dqt.offset] + b"\xff" * 5 + photo[dqt.offset :]
    again = jpegsurgeon.read(padded)
    assert next(s for s in again.segments if s.marker == Marker.DQT).fill_before == 5
    assert not again.warnings
    assert jpegsurgeon.write(again, preserve=True) == padded
    for a, b in zip(image.components, again.components, strict=True):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)


def test_strict_writer_refuses_colour_spaces_jfif_cannot_hold():
    cmyk = next(p for p in FIXTURE_FILES if p.name.startswith("cmyk"))
    image = jpegsurgeon.read(cmyk)
    assert image.colour_space == "CMYK"
    with pytest.raises(UnsupportedJpeg, match="CMYK image"):
        jpegsurgeon.write(image)
    assert jpegsurgeon.write(image, preserve=True) == cmyk.read_bytes()
    rgb = blank_image(16, 16, ((1, 1), (1, 1), (1, 1)))
    rgb.adobe_transform = 0  # as an Adobe APP14 marks components stored as RGB
    with pytest.raises(UnsupportedJpeg, match="RGB image"):
        jpegsurgeon.write(rgb)


def test_preserve_refuses_what_a_pass_changed_in_tables_or_size():
    from jpegsurgeon.passes import parse_spec, run_pipeline

    photo = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
    image = jpegsurgeon.read(photo)
    for spec, what in (("requantize:quality=30", "quantization"), ("crop:geometry=64x64", "size")):
        changed, _ = run_pipeline(image, [parse_spec(spec)], 0)
        with pytest.raises(UnsupportedJpeg, match=what):
            jpegsurgeon.write(changed, preserve=True)
    # tables and size kept: fine.  The file's own segments come back byte for
    # byte, and only the scan's bits change: signs are raw bits after each
    # magnitude's code, so with the same codes the scan keeps its bit count.
    signs, _ = run_pipeline(image, [parse_spec("randomize-signs")], 0)
    written = jpegsurgeon.write(signs, preserve=True)
    data, scan = photo.read_bytes(), image.scans[0]
    assert len(image.scans) == 1 and not image.trailing
    assert written[: scan.data_offset] == data[: scan.data_offset]
    again = jpegsurgeon.read(written)
    assert [(s.marker, s.payload) for s in again.segments] == [
        (s.marker, s.payload) for s in image.segments
    ]
    end = again.scans[0].data_offset + again.scans[0].data_length
    assert written[end:] == data[scan.data_offset + scan.data_length :] == b"\xff\xd9"

    def unstuffed(raw: bytes, scan) -> bytes:
        return raw[scan.data_offset : scan.data_offset + scan.data_length].replace(
            b"\xff\x00", b"\xff"
        )

    assert len(unstuffed(written, again.scans[0])) == len(unstuffed(data, scan))
    assert unstuffed(written, again.scans[0]) != unstuffed(data, scan)
    assert not again.truncated and not again.warnings
    for a, b in zip(signs.components, again.components, strict=True):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)


def test_zero_quantizer_is_refused():
    image = blank_image(16, 16, ((1, 1),))
    image.components[0].quant_values[3, 3] = 0
    with pytest.raises(UnsupportedJpeg, match="zero entry"):
        jpegsurgeon.write(image)


def test_arithmetic_input_becomes_huffman_baseline_and_is_preserved_byte_for_byte():
    arithmetic = [p for p in DECODABLE if p.name in ARITHMETIC]
    assert len(arithmetic) >= 2  # the fixtures alone hold two
    for path in arithmetic:
        data = path.read_bytes()
        image = jpegsurgeon.read(data)
        again = jpegsurgeon.read(jpegsurgeon.write(image))
        assert again.frame.marker == Marker.SOF0 and not again.frame.arithmetic
        for a, b in zip(image.components, again.components, strict=True):
            np.testing.assert_array_equal(a.coefficients, b.coefficients)
        assert jpegsurgeon.write(image, preserve=True) == data
