"""Every layout the strict writer offers, against jpegtran writing the same layout.

The oracles are other people's code: jpegtran's output for the same options
(compared through tests/marker_walk.py, which shares nothing with our parser),
libjpeg's coefficients (jpeglib.read_dct, djpeg), Pillow, and Lepton.
"""

from __future__ import annotations

import subprocess

import jpeglib
import numpy as np
import pytest
from conftest import (
    ARITHMETIC,
    CORPUS_FILES,
    FIXTURE_FILES,
    TWELVE_BIT,
    file_id,
    lepton_cpp_round_trip,
    needs_tool,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jpegsurgeon._entropy import read_bits, write_bits
from marker_walk import layout_of, walk
from PIL import Image

import jpegsurgeon
from jpegsurgeon.errors import JpegError
from jpegsurgeon.lepton import round_trip
from jpegsurgeon.model import blank_image
from jpegsurgeon.scan_script import ScanSpec, format_scan_script

NON_INTERLEAVED = "0: 0 63 0 0;\n2: 0 63 0 0;\n1: 0 63 0 0;\n"
MIXED_PROGRESSIVE = """# DC of luma alone, chroma together; bands and refinements interleaved
0: 0 0 0 2;  1 2: 0 0 0 0;
0: 1 8 0 1;  0: 9 63 0 0;
2: 1 63 0 0;
0: 0 0 2 1;  0: 1 8 1 0;  0: 0 0 1 0;
1: 1 63 0 0;
"""
SEQUENTIAL_GRAY = "0: 0 63 0 0;\n"

# (jpegtran options, our keyword options)
CASES = {
    "baseline": ([], {}),
    "progressive": (["-progressive"], {"progressive": True}),
    "restart-rows": (["-restart", "1"], {"restart": "1"}),
    "restart-mcus": (["-restart", "3B"], {"restart": "3B"}),
    "progressive-restart": (["-progressive", "-restart", "1"], {"progressive": True, "restart": 1}),
    "arithmetic": (["-arithmetic"], {"arithmetic": True}),
    "arithmetic-progressive": (
        ["-arithmetic", "-progressive"],
        {"arithmetic": True, "progressive": True},
    ),
    "arithmetic-restart": (
        ["-arithmetic", "-restart", "2B"],
        {"arithmetic": True, "restart": "2B"},
    ),
    "non-interleaved": ("scans", NON_INTERLEAVED),
    "mixed-progressive-restart": ("scans", MIXED_PROGRESSIVE, ["-restart", "2"], "2"),
}

STRICT_INPUTS = [
    p
    for p in FIXTURE_FILES + CORPUS_FILES
    if p.name not in TWELVE_BIT and "cmyk" not in p.name and "sof1" not in p.name
]


def _options(case: str, path, tmp_path) -> tuple[list[str], dict]:
    spec = CASES[case]
    if spec[0] != "scans":
        return spec
    script = spec[1]
    image = jpegsurgeon.read(path)
    if len(image.components) == 1:
        script = SEQUENTIAL_GRAY if case == "non-interleaved" else "0: 0 0 0 0; 0: 1 63 0 0;"
    script_file = tmp_path / "script.txt"
    script_file.write_text(script)
    extra = list(spec[2]) if len(spec) > 2 else []
    kwargs = {"scans": script}
    if len(spec) > 3:
        kwargs["restart"] = spec[3]
    return ["-scans", str(script_file), *extra], kwargs


def _jpegtran(path, options: list[str]) -> bytes | None:
    jpegtran = needs_tool("jpegtran")
    # jpegtran refuses -optimize with -arithmetic: arithmetic coding adapts anyway
    optimize = [] if "-arithmetic" in options else ["-optimize"]
    result = subprocess.run(
        [jpegtran, *optimize, "-copy", "none", *options, str(path)], capture_output=True
    )
    return result.stdout if result.returncode == 0 else None


MATRIX = [(p, c) for p in STRICT_INPUTS for c in CASES]


@pytest.mark.parametrize(("path", "case"), MATRIX, ids=[f"{file_id(p)}-{c}" for p, c in MATRIX])
def test_layout_equals_jpegtran(path, case, tmp_path):
    """Frame, quantization tables, each scan's header, the Huffman tables each
    scan's components use (by content) or its conditioning, restart interval
    and entropy-coded bytes: all as jpegtran writes them."""
    image = jpegsurgeon.read(path)
    if image.truncated or image.warnings:
        pytest.skip("damaged input: libjpeg and we both repair it, each its own way")
    options, kwargs = _options(case, path, tmp_path)
    reference = _jpegtran(path, options)
    if reference is None:
        pytest.skip("jpegtran refused this file")
    ours = jpegsurgeon.write(image, **kwargs)
    ours_layout, reference_layout = layout_of(ours), layout_of(reference)
    assert len(ours_layout["scans"]) == len(reference_layout["scans"])
    for number, (a, b) in enumerate(zip(ours_layout["scans"], reference_layout["scans"])):
        assert a == b, f"scan {number + 1} differs"
    assert ours_layout == reference_layout


def _decodes_to_input(data: bytes, image, tmp_path) -> None:
    """libjpeg (jpeglib, djpeg) and Pillow read `data` without complaint, to
    the input's coefficients."""
    out = tmp_path / "out.jpg"
    out.write_bytes(data)
    djpeg = subprocess.run([needs_tool("djpeg"), str(out)], capture_output=True)
    assert djpeg.returncode == 0 and djpeg.stderr == b"", djpeg.stderr
    with Image.open(out) as picture:
        picture.load()
        assert picture.size == (image.width, image.height)
    if walk(data).frame[0] in (0xC9, 0xCA):
        # jpeglib's libjpeg reads no arithmetic coding: jpegtran transcodes it
        # to Huffman without touching a coefficient
        transcoded = subprocess.run(
            [needs_tool("jpegtran"), "-optimize", str(out)], capture_output=True, check=True
        ).stdout
        out.write_bytes(transcoded)
    dct = jpeglib.read_dct(str(out))
    arrays = [dct.Y] + ([dct.Cb, dct.Cr] if dct.Cb is not None else [])
    for component, reference in zip(image.components, arrays, strict=True):
        np.testing.assert_array_equal(component.visible_coefficients, reference)


DECODE_CASES = ["progressive", "progressive-restart", "arithmetic-progressive", "non-interleaved",
                "mixed-progressive-restart", "arithmetic-restart"]  # fmt: skip
DECODE_INPUTS = [p for p in FIXTURE_FILES if p in STRICT_INPUTS and p.name not in ARITHMETIC]


@pytest.mark.parametrize("case", DECODE_CASES)
@pytest.mark.parametrize("path", DECODE_INPUTS, ids=file_id)
def test_every_layout_decodes_to_the_input_coefficients(path, case, tmp_path):
    image = jpegsurgeon.read(path)
    if image.truncated or image.warnings:
        pytest.skip("damaged input")
    _, kwargs = _options(case, path, tmp_path)
    _decodes_to_input(jpegsurgeon.write(image, **kwargs), image, tmp_path)


PHOTOS = [p for p in CORPUS_FILES if p.name in ("android.jpg", "iphonecrop.jpg", "grayscale.jpg")]


@pytest.mark.parametrize("path", PHOTOS, ids=file_id)
def test_progressive_photos_round_trip_through_lepton(path):
    image = jpegsurgeon.read(path)
    for eob_runs in ("libjpeg", "maximal"):
        data = jpegsurgeon.write(image, progressive=True, eob_runs=eob_runs)
        result = round_trip(data, cycles=2)
        assert result.verified, result.error


@pytest.mark.parametrize("path", PHOTOS, ids=file_id)
def test_progressive_photos_round_trip_through_the_cpp_lepton(path):
    image = jpegsurgeon.read(path)
    for eob_runs in ("libjpeg", "maximal"):
        data = jpegsurgeon.write(image, progressive=True, eob_runs=eob_runs)
        verified, complaint = lepton_cpp_round_trip(data)
        assert verified, complaint


def _correction_heavy_image():
    """Blocks in long EOB runs of refinement scans, each holding back
    correction bits: libjpeg ends such runs early when its buffer fills."""
    rng = np.random.default_rng(1)
    image = blank_image(512, 512, ((1, 1), (1, 1), (1, 1)))
    for component in image.components:
        shape = component.coefficients.shape
        busy = rng.random(shape[:2]) < 0.5
        values = rng.integers(2, 4, size=shape) * rng.choice([-1, 1], size=shape)
        values *= (rng.random(shape) < 0.3) & busy[..., None, None]
        values[..., 0, 0] = rng.integers(-50, 50, size=shape[:2])
        component.coefficients[...] = values
    return image


def test_maximal_eob_runs_make_a_file_lepton_refuses_storable():
    image = _correction_heavy_image()
    libjpeg = jpegsurgeon.write(image, progressive=True)
    maximal = jpegsurgeon.write(image, progressive=True, eob_runs="maximal")
    refused = round_trip(libjpeg, cycles=1)
    assert not refused.verified and "non optimal eobruns" in refused.error
    assert "--eob-runs maximal" in refused.error
    assert round_trip(maximal, cycles=2).verified
    assert len(maximal) < len(libjpeg)
    for data in (libjpeg, maximal):
        again = jpegsurgeon.read(data)
        for a, b in zip(image.components, again.components, strict=True):
            np.testing.assert_array_equal(a.coefficients, b.coefficients)


def test_maximal_eob_runs_satisfy_the_cpp_lepton():
    image = _correction_heavy_image()
    assert not lepton_cpp_round_trip(jpegsurgeon.write(image, progressive=True))[0]
    verified, complaint = lepton_cpp_round_trip(
        jpegsurgeon.write(image, progressive=True, eob_runs="maximal")
    )
    assert verified, complaint


@pytest.mark.parametrize(
    "path", [p for p in CORPUS_FILES if p.name in ("tiny.jpg", "android.jpg")], ids=file_id
)
def test_strict_output_satisfies_the_cpp_lepton(path):
    """The C++ Lepton looks a component's AC table up by its DC table's id:
    when only one class of chroma's tables equals luma's, both are kept."""
    verified, complaint = lepton_cpp_round_trip(jpegsurgeon.write(jpegsurgeon.read(path)))
    assert verified, complaint


def test_lepton_names_arithmetic_coding_in_one_line():
    image = jpegsurgeon.read(FIXTURE_FILES[0])
    result = round_trip(jpegsurgeon.write(image, arithmetic=True), cycles=1)
    assert not result.verified
    assert "arithm" in result.error and "--no-verify" in result.error
    assert "\n" not in result.error


def test_invalid_script_names_line_and_rule():
    image = jpegsurgeon.read(next(p for p in FIXTURE_FILES if "baseline_420" in p.name))
    with pytest.raises(JpegError, match=r"line 2: .*one component"):
        jpegsurgeon.write(image, scans="0 1 2: 0 0 0 0;\n0 1: 1 63 0 0;\n")
    with pytest.raises(JpegError, match=r"never sent|covered"):
        jpegsurgeon.write(image, scans="0 1 2: 0 0 0 0;\n0: 1 63 0 0;\n")
    with pytest.raises(ValueError, match="restart"):
        jpegsurgeon.write(image, restart="7X")


# ------------------------------------------------------- round trips (hypothesis)


@st.composite
def progressive_scripts(draw, components: int) -> list[ScanSpec]:
    """A random valid progressive script: per component, spectral bands each
    sent at falling successive approximation; DC first of all."""
    dc_al = draw(st.integers(0, 3))
    if draw(st.booleans()):
        dc_first = [ScanSpec(tuple(range(components)), 0, 0, 0, dc_al)]
    else:
        dc_first = [ScanSpec((c,), 0, 0, 0, dc_al) for c in range(components)]
    sequences = [[ScanSpec((c,), 0, 0, al + 1, al) for al in reversed(range(dc_al))]
                 for c in range(components)]  # fmt: skip
    for c in range(components):
        cuts = sorted(draw(st.sets(st.integers(2, 63), max_size=3)))
        bounds = [1, *cuts, 64]
        for low, high in zip(bounds, bounds[1:]):
            al = draw(st.integers(0, 3))
            band = [ScanSpec((c,), low, high - 1, 0, al)]
            band += [ScanSpec((c,), low, high - 1, a + 1, a) for a in reversed(range(al))]
            sequences.append(band)
    order = []
    while any(sequences):  # merge the sequences at random, each kept in order
        live = [s for s in sequences if s]
        order.append(live[draw(st.integers(0, len(live) - 1))].pop(0))
    return dc_first + order


@st.composite
def images(draw):
    chroma = ((1, 1), (1, 1))
    sampling = draw(st.sampled_from([((1, 1),), ((2, 2), *chroma), ((1, 1), *chroma),
                                     ((2, 1), *chroma), ((1, 2), *chroma)]))  # fmt: skip
    width, height = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    image = blank_image(width, height, sampling)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.02, 0.2, 0.7]))
    for component in image.components:
        shape = component.coefficients.shape
        magnitude = rng.choice(
            [1, 2, 3, 7, 60, 1023], size=shape, p=[0.4, 0.2, 0.15, 0.15, 0.08, 0.02]
        )
        values = magnitude * rng.choice([-1, 1], size=shape) * (rng.random(shape) < density)
        values[..., 0, 0] = rng.integers(-1024, 1024, size=shape[:2])
        component.coefficients[...] = values
    return image


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_scripts_round_trip_exactly(data):
    image = data.draw(images())
    count = len(image.components)
    if data.draw(st.booleans()):
        script = data.draw(progressive_scripts(count))
    else:
        order = data.draw(st.permutations(range(count)))
        script = [ScanSpec((c,)) for c in order] if data.draw(st.booleans()) else None
    kwargs = {
        "scans": None if script is None else format_scan_script(script),
        "arithmetic": data.draw(st.booleans()),
        "restart": data.draw(st.sampled_from([None, "1", "2B", "5B"])),
        "eob_runs": data.draw(st.sampled_from(["libjpeg", "maximal"])),
    }
    again = jpegsurgeon.read(jpegsurgeon.write(image, **kwargs))
    assert not again.warnings
    for a, b in zip(image.components, again.components, strict=True):
        np.testing.assert_array_equal(a.visible_coefficients, b.visible_coefficients)


# ---------------------------------------------------------------- the bit layer


def test_bit_writer_stuffs_ff_bytes_and_pads_with_ones():
    assert write_bits([(0xFF, 8), (1, 1)]) == b"\xff\x00\xff\x00"
    assert write_bits([(0b101, 3)]) == bytes([0b10111111])
    assert write_bits([(0b101, 3)], pad_bit=0) == bytes([0b10100000])
    assert write_bits([(0xABCDEF, 24), (0xFFFF, 16)]) == b"\xab\xcd\xef\xff\x00\xff\x00"
    assert write_bits([]) == b""


def _field(size: int):
    return st.tuples(st.integers(0, 2**size - 1), st.just(size))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 25).flatmap(_field), max_size=60))
def test_bit_reader_reads_what_the_writer_wrote(fields):
    data = write_bits(fields)
    # no 0xFF byte stands alone: each is stuffed
    assert all(data[i + 1] == 0 for i in range(len(data) - 1) if data[i] == 0xFF)
    assert not data or data[-1] != 0xFF
    result = read_bits(np.frombuffer(data, np.uint8), [n for _, n in fields])
    assert result["values"] == [v for v, _ in fields]
    assert not result["insufficient"] and result["pad"]


def test_bit_reader_stops_at_a_marker_and_reads_zeros_past_it():
    data = np.frombuffer(b"\xa5\xff\xff\xd0\x12", np.uint8)  # fill bytes, then RST0
    result = read_bits(data, [8, 8, 8])
    assert result["values"] == [0xA5, 0, 0]
    assert result["marker"] == 0xD0 and result["marker_offset"] == 1
    assert result["insufficient"]


def test_bit_reader_treats_the_end_as_eoi():
    result = read_bits(np.frombuffer(b"\x80", np.uint8), [1, 7, 4])
    assert result["values"] == [1, 0, 0] and result["marker"] == 0xD9 and result["insufficient"]
