"""The decoder against libjpeg: every coefficient of every readable file."""

from __future__ import annotations

import subprocess

import jpeglib
import numpy as np
import pytest
from conftest import (
    ARITHMETIC,
    CORPUS_FILES,
    FIXTURE_FILES,
    FIXTURES,
    TWELVE_BIT,
    corpus_file,
    file_id,
    needs_tool,
)

import jpegsurgeon
from jpegsurgeon.errors import JpegError, UnsupportedJpeg

READABLE = [p for p in FIXTURE_FILES + CORPUS_FILES if p.name not in ARITHMETIC | TWELVE_BIT]


def libjpeg_components(path) -> list[np.ndarray]:
    dct = jpeglib.read_dct(str(path))
    arrays = [dct.Y]
    if dct.Cb is not None:
        arrays += [dct.Cb, dct.Cr]
    if getattr(dct, "K", None) is not None:
        arrays.append(dct.K)
    return arrays


@pytest.mark.parametrize("path", READABLE, ids=file_id)
def test_coefficients_equal_libjpeg(path):
    image = jpegsurgeon.read(path)
    expected = libjpeg_components(path)
    assert len(image.components) == len(expected)
    for component, reference in zip(image.components, expected, strict=True):
        assert component.visible_coefficients.shape == reference.shape
        np.testing.assert_array_equal(component.visible_coefficients, reference)
        assert component.coefficients.dtype == np.int16


@pytest.mark.parametrize("path", READABLE, ids=file_id)
def test_coded_blocks_cover_visible_blocks(path):
    image = jpegsurgeon.read(path)
    frame = image.frame
    for c in image.components:
        high, wide = c.coefficients.shape[:2]
        # each dimension on its own: a tuple comparison stops at the first that differs
        assert wide >= c.width_in_blocks and high >= c.height_in_blocks
        if len(image.components) > 1:
            assert (high, wide) == (frame.mcus_high * c.v, frame.mcus_wide * c.h)


def test_quantization_tables_equal_libjpeg():
    path = FIXTURES / "baseline_420_203x157.jpg"
    image = jpegsurgeon.read(path)
    dct = jpeglib.read_dct(str(path))
    for component, table in zip(image.components, dct.qt[dct.quant_tbl_no], strict=True):
        np.testing.assert_array_equal(component.quant_values, table)


@pytest.mark.parametrize(
    "name, truncated",
    [
        ("truncated_baseline_420_203x157.jpg", True),
        ("truncated_progressive_420_203x157.jpg", True),
        ("baseline_420_203x157.jpg", False),
        ("progressive_restart_420_203x157.jpg", False),
    ],
)
def test_truncation_is_flagged(name, truncated):
    image = jpegsurgeon.read(next(p for p in FIXTURE_FILES if p.name == name))
    assert image.truncated is truncated
    assert image.has_eoi is not truncated


@pytest.mark.parametrize("name", ["truncbad.jpg", "half_scan.jpg", "truncatedzerorun.jpg"])
def test_corpus_truncated_files_are_flagged(name):
    assert jpegsurgeon.read(corpus_file(name)).truncated


def test_trailing_bytes_are_kept():
    image = jpegsurgeon.read(next(p for p in FIXTURE_FILES if p.name.startswith("trailing")))
    assert image.trailing == b"\x00\xa5\x5a"


ARITHMETIC_FIXTURES = {
    "arithmetic_420_203x157.jpg": "baseline_420_203x157.jpg",
    "arithmetic_progressive_restart_444_203x157.jpg": "baseline_444_203x157.jpg",
}


@pytest.mark.parametrize("name", sorted(ARITHMETIC_FIXTURES))
def test_arithmetic_coding_decodes_to_the_huffman_sources_coefficients(name):
    """jpegtran -arithmetic recodes losslessly: same coefficients as the source."""
    coded = jpegsurgeon.read(FIXTURES / name)
    source = jpegsurgeon.read(FIXTURES / ARITHMETIC_FIXTURES[name])
    assert coded.frame.arithmetic and not coded.truncated and not coded.warnings
    for a, b in zip(coded.components, source.components, strict=True):
        np.testing.assert_array_equal(a.visible_coefficients, b.visible_coefficients)


@pytest.mark.parametrize("name", ["arithmetic.jpg", "libjpeg-turbo-testimgari.jpg"])
def test_corpus_arithmetic_files_equal_libjpegs_transcoding(name, tmp_path):
    """Debian's jpegtran decodes arithmetic coding; its Huffman copy is read by jpeglib."""
    jpegtran = needs_tool("jpegtran")
    path = corpus_file(name)
    huffman = tmp_path / "huffman.jpg"
    subprocess.run([jpegtran, "-copy", "none", "-outfile", str(huffman), str(path)], check=True)
    image = jpegsurgeon.read(path)
    for component, reference in zip(image.components, libjpeg_components(huffman), strict=True):
        np.testing.assert_array_equal(component.visible_coefficients, reference)


def test_lossless_and_hierarchical_frames_are_refused_clearly():
    lossless = b"\xff\xd8\xff\xc3\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00"
    with pytest.raises(UnsupportedJpeg, match="lossless"):
        jpegsurgeon.read(lossless)


def test_twelve_bit_extended_sequential_decodes():
    image = jpegsurgeon.read(corpus_file("libjpeg-turbo-monkey12.jpg"))
    assert image.frame.precision == 12
    assert not image.truncated
    # 12-bit DCT coefficients reach past the 8-bit range
    assert max(int(np.abs(c.coefficients).max()) for c in image.components) > 1023


def test_progressive_scans_are_listed():
    image = jpegsurgeon.read(next(p for p in FIXTURE_FILES if p.name.startswith("progressive_420")))
    assert image.frame.progressive
    assert len(image.scans) == 10
    assert any(s.ah for s in image.scans)  # successive approximation refinement


def test_segments_keep_offsets():
    path = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
    data = path.read_bytes()
    image = jpegsurgeon.read(path)
    for segment in image.segments:
        assert data[segment.offset] == 0xFF
        assert data[segment.offset + 1] == segment.marker
    assert [hex(s.marker) for s in image.segments][:3] == ["0xd8", "0xe0", "0xfe"]
    assert image.jfif.x_density == 72


@pytest.mark.parametrize(
    "data, message, offset",
    [
        (b"", "not a JPEG", 0),
        (b"\x89PNG\r\n\x1a\n", "not a JPEG", 0),
        (b"\xff\xd8\xff\xdb\x00", "cut off", 2),
        (b"\xff\xd8\xff\xc4\x01\x00\x00", "runs past the end", 2),
        (b"\xff\xd8\xff\xd9", "no frame header", 4),
        (b"\xff\xd8\xff\xc3\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00", "unsupported", 2),
        (b"\xff\xd8\xff\xc0\x00\x0b\x08\xff\xff\xff\xff\x01\x01\x11\x00", "exceeds the limit", 2),
        (b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x51\x00", "sampling", 2),
        (
            b"\xff\xd8\xff\xc4\x00\x15\x00" + bytes([2] + [0] * 15) + b"\x00\x01",
            "over-subscribed",
            2,
        ),
    ],
)
def test_bad_input_raises_located_error(data, message, offset):
    with pytest.raises(JpegError) as caught:
        jpegsurgeon.read(data)
    assert message in str(caught.value)
    assert caught.value.offset == offset
    assert "\n" not in str(caught.value)


def test_path_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"garbage")
    with pytest.raises(JpegError, match=r"bad\.jpg, offset 0: not a JPEG"):
        jpegsurgeon.read(bad)


def test_limits_refuse_before_allocating():
    from jpegsurgeon.limits import Limits

    huge = b"\xff\xd8\xff\xc0\x00\x0b\x08\x40\x00\x40\x00\x01\x01\x11\x00"  # 16384 x 16384
    with pytest.raises(JpegError, match="exceeds the limit"):
        jpegsurgeon.read(huge)
    many_scans = next(p for p in FIXTURE_FILES if p.name.startswith("progressive_420"))
    with pytest.raises(JpegError, match="more than 5 scans"):
        jpegsurgeon.read(many_scans, Limits(max_scans=5))
    assert len(jpegsurgeon.read(many_scans, Limits(max_scans=10)).scans) == 10
