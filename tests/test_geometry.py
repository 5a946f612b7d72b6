"""Lossless geometry (rotate, flip, transpose, transverse), grayscale and
auto-orient against jpegtran, and their invariants.

The oracle is `jpegtran <option> -optimize -copy none`: the strict output of
each pass must hold the same frame, quantization tables, Huffman tables,
scan header and entropy-coded bytes, read with a marker walk written here
(not jpegsurgeon's parser), and the same coefficients as libjpeg reads from
jpegtran's file.  Where `jpegtran -perfect` refuses, edge=perfect refuses.
"""

from __future__ import annotations

import functools
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

import jpeglib
import numpy as np
import pytest
from conftest import CORPUS, FIXTURE_FILES, file_id, needs_tool
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

import jpegsurgeon
from jpegsurgeon.errors import JpegError, UnsupportedJpeg
from jpegsurgeon.model import blank_image
from jpegsurgeon.passes import parse_spec, run_pipeline
from jpegsurgeon.passes.geometry import pad_like_jpegtran

# pass spec -> jpegtran's option for the same transform
TRANSFORMS = {
    "rotate:angle=90": ["-rotate", "90"],
    "rotate:angle=180": ["-rotate", "180"],
    "rotate:angle=270": ["-rotate", "270"],
    "flip:axis=horizontal": ["-flip", "horizontal"],
    "flip:axis=vertical": ["-flip", "vertical"],
    "transpose": ["-transpose"],
    "transverse": ["-transverse"],
}
EDGES = {"keep": [], "trim": ["-trim"], "perfect": ["-perfect"]}

# A representative, quick subset of ../shared/corpus: every sampling and coding
# the corpus adds to the fixtures (1x2 with restarts, 2x1 progressive, 2x2 odd
# widths, 4:4:4 progressive, a 2x2 lone component without EOI, arithmetic).
CORPUS_SUBSET = [
    "androidcropoptions.jpg",
    "androidprogressive.jpg",
    "iphonecrop2.jpg",
    "iphoneprogressive.jpg",
    "gray2sf.jpg",
    "tiny.jpg",
    "libjpeg-turbo-testimgari.jpg",
    "libjpeg-turbo-testorig.jpg",
    "truncbad.jpg",
]
ORACLE_FILES = FIXTURE_FILES + [CORPUS / n for n in CORPUS_SUBSET if (CORPUS / n).is_file()]


def spec_with_edge(spec: str, edge: str) -> str:
    return f"{spec}{',' if ':' in spec else ':'}edge={edge}"


def apply(image, *specs: str):
    result, reports = run_pipeline(image, [parse_spec(s) for s in specs], 0)
    return result, reports[-1]["changes"]


@functools.cache
def read(path: Path):
    return jpegsurgeon.read(path)


def jpegtran(source: Path | bytes, *options: str) -> subprocess.CompletedProcess:
    tool = needs_tool("jpegtran")
    command = [tool, *options, "-optimize", "-copy", "none"]
    if isinstance(source, bytes):
        return subprocess.run(command, input=source, capture_output=True)
    return subprocess.run([*command, str(source)], capture_output=True)


def refused(result: subprocess.CompletedProcess) -> bool:
    """jpegtran exits 2 after warnings (damaged input) but still writes its output."""
    return result.returncode == 1 or not result.stdout


# --- an independent marker walk ---------------------------------------------------------


@dataclass
class Walked:
    frame: tuple  # SOF marker, precision, width, height
    components: list  # per component: id, h, v, quantization table (zigzag)
    scan: tuple  # Ss, Se, Ah, Al
    scan_components: list  # per component of the scan: id, DC table, AC table
    huffman: set  # every Huffman table defined: (class, counts, symbols)
    entropy: bytes


def walk(data: bytes) -> Walked:
    """SOF, DQT, DHT and SOS of a single-scan file, tables resolved to content."""
    assert data[:2] == b"\xff\xd8", "no SOI"
    position, quant, huffman, frame, components = 2, {}, {}, None, []
    while True:
        assert data[position] == 0xFF, f"no marker at {position}"
        while data[position] == 0xFF:
            position += 1
        marker = data[position]
        length = int.from_bytes(data[position + 1 : position + 3], "big")
        body = data[position + 3 : position + 1 + length]
        position += 1 + length
        if marker == 0xDB:
            at = 0
            while at < len(body):
                wide, table_id = body[at] >> 4, body[at] & 15
                size = 128 if wide else 64
                raw = body[at + 1 : at + 1 + size]
                quant[table_id] = (
                    tuple(int.from_bytes(raw[k : k + 2], "big") for k in range(0, 128, 2))
                    if wide
                    else tuple(raw)
                )
                at += 1 + size
        elif marker == 0xC4:
            at = 0
            while at < len(body):
                counts = tuple(body[at + 1 : at + 17])
                symbols = bytes(body[at + 17 : at + 17 + sum(counts)])
                huffman[(body[at] >> 4, body[at] & 15)] = (body[at] >> 4, counts, symbols)
                at += 17 + sum(counts)
        elif marker in (0xC0, 0xC1, 0xC2):
            width, height = int.from_bytes(body[3:5], "big"), int.from_bytes(body[1:3], "big")
            frame = (marker, body[0], width, height)
            for k in range(body[5]):
                cid, hv, tq = body[6 + 3 * k : 9 + 3 * k]
                components.append((cid, hv >> 4, hv & 15, quant[tq]))
        elif marker == 0xDA:
            count = body[0]
            scan_components = []
            for k in range(count):
                cid, tables = body[1 + 2 * k : 3 + 2 * k]
                scan_components.append((cid, huffman[(0, tables >> 4)], huffman[(1, tables & 15)]))
            ss, se, a = body[1 + 2 * count : 4 + 2 * count]
            assert data[-2:] == b"\xff\xd9", "no EOI at the end"
            entropy = data[position:-2]
            assert b"\xff\xda" not in entropy, "more than one scan"
            return Walked(
                frame, components, (ss, se, a >> 4, a & 15), scan_components,
                set(huffman.values()), entropy,
            )  # fmt: skip


def assert_same_file(ours: bytes, theirs: bytes, what: str) -> None:
    a, b = walk(ours), walk(theirs)
    assert a.frame == b.frame, f"{what}: frame header"
    assert a.components == b.components, f"{what}: components or quantization tables"
    assert a.scan == b.scan, f"{what}: scan header"
    assert a.scan_components == b.scan_components, f"{what}: scan tables"
    assert a.huffman == b.huffman, f"{what}: Huffman tables"
    assert a.entropy == b.entropy, f"{what}: entropy-coded data"


def libjpeg_view(data: bytes, tmp_path: Path):
    path = tmp_path / "theirs.jpg"
    path.write_bytes(data)
    dct = jpeglib.read_dct(str(path))
    arrays = [dct.Y] + ([dct.Cb, dct.Cr] if dct.Cb is not None else [])
    if getattr(dct, "K", None) is not None:
        arrays.append(dct.K)
    tables = [dct.qt[i] for i in dct.quant_tbl_no]
    return (dct.width, dct.height), arrays, tables


def assert_same_coefficients(image, data: bytes, tmp_path: Path, what: str) -> None:
    size, arrays, tables = libjpeg_view(data, tmp_path)
    assert (image.width, image.height) == size, f"{what}: size"
    assert len(image.components) == len(arrays), f"{what}: components"
    for component, reference, table in zip(image.components, arrays, tables):
        np.testing.assert_array_equal(component.visible_coefficients, reference, err_msg=what)
        np.testing.assert_array_equal(component.quant_values, table, err_msg=what)


def check_against_jpegtran(image, specs: list[str], theirs, tmp_path: Path, what: str) -> None:
    """Our pipeline's result against jpegtran's run, refusals included."""
    try:
        result, _ = apply(image, *specs)
    except JpegError as error:
        assert refused(theirs), f"{what}: we refused ({error}), jpegtran did not"
        assert b"not perfect" in theirs.stderr, f"{what}: {theirs.stderr!r}"
        assert "\n" not in str(error)
        return
    assert not refused(theirs), f"{what}: jpegtran refused: {theirs.stderr!r}"
    assert_same_coefficients(result, theirs.stdout, tmp_path, what)
    try:
        ours = jpegsurgeon.write(result)
    except UnsupportedJpeg:  # CMYK, 16-bit tables: coefficients compared above suffice
        return
    assert_same_file(ours, theirs.stdout, what)


# --- the matrix against jpegtran ---------------------------------------------------------


@pytest.mark.parametrize("spec", list(TRANSFORMS))
@pytest.mark.parametrize("path", ORACLE_FILES, ids=file_id)
def test_geometry_matches_jpegtran(path, spec, tmp_path):
    image = read(path)
    for edge, option in EDGES.items():
        theirs = jpegtran(path, *TRANSFORMS[spec], *option)
        if edge == "keep" and refused(theirs):
            pytest.skip(f"jpegtran cannot read it: {theirs.stderr.decode(errors='replace')}")
        check_against_jpegtran(image, [spec_with_edge(spec, edge)], theirs, tmp_path, edge)


@pytest.mark.parametrize("path", ORACLE_FILES, ids=file_id)
def test_grayscale_matches_jpegtran(path, tmp_path):
    image = read(path)
    cases = (
        ([], []),
        (["-rotate", "90"], ["rotate:angle=90"]),
        (["-transverse", "-trim"], ["transverse:edge=trim"]),
    )
    for option, specs in cases:
        theirs = jpegtran(path, "-grayscale", *option)
        what = " ".join(["-grayscale", *option])
        if refused(theirs):
            if b"Unsupported color conversion" in theirs.stderr:
                with pytest.raises(JpegError, match="grayscale"):
                    apply(image, "grayscale", *specs)
                continue
            pytest.skip(f"jpegtran cannot read it: {theirs.stderr.decode(errors='replace')}")
        check_against_jpegtran(image, ["grayscale", *specs], theirs, tmp_path, what)


def test_grayscale_refuses_subsampled_luma_as_jpegtran_does(tmp_path):
    image = blank_image(40, 24, ((1, 1), (2, 2), (1, 2)))
    data = jpegsurgeon.write(image)
    theirs = jpegtran(data, "-grayscale")
    assert refused(theirs)
    with pytest.raises(JpegError, match="luma is sampled 1x1"):
        apply(jpegsurgeon.read(data), "grayscale")


def test_grayscale_reports_and_renumbers():
    image = read(next(p for p in FIXTURE_FILES if p.name == "baseline_422_203x157.jpg"))
    result, changes = apply(image, "grayscale")
    assert changes["dropped_components"] == [2, 3]
    assert [(c.component_id, c.h, c.v) for c in result.components] == [(1, 1, 1)]
    assert result.components[0].coefficients.shape == (20, 26, 8, 8)  # no MCU padding
    assert all(s.component_indexes == [0] for s in result.scans)


@pytest.mark.parametrize("edge", list(EDGES))
def test_large_corpus_photo_matches_jpegtran(edge, tmp_path):
    from conftest import corpus_file

    path = corpus_file("iphonecrop.jpg")  # 2x1 sampling, odd width
    for spec in ("rotate:angle=90", "transverse"):
        theirs = jpegtran(path, *TRANSFORMS[spec], *EDGES[edge])
        check_against_jpegtran(read(path), [spec_with_edge(spec, edge)], theirs, tmp_path, spec)


def test_composes_with_crop_like_two_jpegtran_runs(tmp_path):
    path = next(p for p in FIXTURE_FILES if p.name == "baseline_h4v2_203x157.jpg")
    cropped = subprocess.run(
        [needs_tool("jpegtran"), "-crop", "150x101+37+19", "-copy", "none", str(path)],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    theirs = jpegtran(cropped, "-rotate", "270")
    check_against_jpegtran(
        read(path), ["crop:geometry=150x101+37+19", "rotate:angle=270"], theirs, tmp_path, "crop"
    )
    # jpegtran crops after transforming, in output coordinates; trim applies first
    theirs = jpegtran(path, "-rotate", "90", "-trim", "-crop", "120x170+16+24")
    result, _ = apply(read(path), "rotate:angle=90,edge=trim", "crop:geometry=120x170+16+24")
    assert_same_coefficients(result, theirs.stdout, tmp_path, "rotate then crop")


def test_reports_what_was_done():
    image = read(next(p for p in FIXTURE_FILES if p.name == "baseline_420_203x157.jpg"))
    _, keep = apply(image, "rotate:angle=90")
    assert keep["angle"] == 90 and keep["edge"] == "keep" and not keep["perfect"]
    assert (keep["width"], keep["height"], keep["from"]) == (157, 203, [203, 157])
    # 157 = 9 MCUs of 16 + 13 pixels: two block columns of luma, one of each chroma stay
    assert keep["edge_blocks_kept"] == {"right": 2 * 26 + 13 + 13, "bottom": 0}
    assert keep["trimmed"] == {"right": 0, "bottom": 0}
    _, trim = apply(image, "rotate:angle=90,edge=trim")
    assert trim["perfect"] and (trim["width"], trim["height"]) == (144, 203)
    assert trim["trimmed"] == {"right": 13, "bottom": 0}
    assert trim["trimmed_blocks"] == {"right": 26 * 2 + 13 + 13, "bottom": 0}
    _, flipped = apply(image, "flip:axis=vertical,edge=trim")
    assert flipped["axis"] == "vertical" and flipped["trimmed"] == {"right": 0, "bottom": 13}
    _, transposed = apply(image, "transpose:edge=perfect")
    assert transposed["perfect"]
    with pytest.raises(JpegError, match="not perfect.*height 157"):
        apply(image, "flip:axis=vertical,edge=perfect")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("rotate:angle=45", "expected 90, 180 or 270"),
        ("flip:axis=diagonal", "expected horizontal or vertical"),
        ("transpose:edge=crop", "expected keep, trim or perfect"),
    ],
)
def test_bad_parameters_are_one_line_errors(spec, message):
    with pytest.raises(JpegError, match=message):
        apply(blank_image(16, 16), spec)


# --- invariants over random images ------------------------------------------------------


@st.composite
def images(draw, multiple_of_imcu: bool = False):
    count = draw(st.sampled_from([1, 3]))
    sampling = [(draw(st.integers(1, 4)), draw(st.integers(1, 4)))]
    for _ in range(count - 1):  # chroma: mostly 1x1, sometimes not
        sampling.append((draw(st.integers(1, 2)), draw(st.integers(1, 2))))
    assume(count == 1 or sum(h * v for h, v in sampling) <= 10)
    single = count == 1
    imcu_w = 8 if single else 8 * max(h for h, _ in sampling)
    imcu_h = 8 if single else 8 * max(v for _, v in sampling)
    if multiple_of_imcu:
        width = imcu_w * draw(st.integers(1, 4))
        height = imcu_h * draw(st.integers(1, 4))
    else:
        width, height = draw(st.integers(1, 90)), draw(st.integers(1, 90))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    tables = tuple(rng.integers(1, 256, (8, 8)).astype(np.uint16) for _ in range(count))
    image = blank_image(width, height, tuple(sampling), tables)
    for component in image.components:
        wide, high = component.width_in_blocks, component.height_in_blocks
        component.coefficients[:high, :wide] = rng.integers(-300, 300, (high, wide, 8, 8))
        if not single:
            pad_like_jpegtran(component.coefficients, wide, high, component.h)
    return image, (imcu_w, imcu_h)


def snapshot(image):
    return [
        (c.component_id, c.h, c.v, c.coefficients.copy(), c.quant_values.copy())
        for c in image.components
    ], (image.width, image.height)


def assert_same_image(a, b) -> None:
    assert (a.width, a.height) == (b.width, b.height)
    for x, y in zip(a.components, b.components, strict=True):
        assert (x.component_id, x.h, x.v) == (y.component_id, y.h, y.v)
        assert (x.width_in_blocks, x.height_in_blocks) == (y.width_in_blocks, y.height_in_blocks)
        np.testing.assert_array_equal(x.coefficients, y.coefficients)
        np.testing.assert_array_equal(x.quant_values, y.quant_values)


def cropped_to_whole_imcus(image, imcu, across: bool, down: bool):
    """The image cropped to whole iMCUs across and/or down, as trim leaves it."""
    width = (
        image.width - image.width % imcu[0] if across and image.width >= imcu[0] else image.width
    )
    height = (
        image.height - image.height % imcu[1] if down and image.height >= imcu[1] else image.height
    )
    return apply(image, f"crop:geometry={width}x{height}+0+0")[0]


def assert_same_visible(a, b) -> None:
    assert (a.width, a.height) == (b.width, b.height)
    for x, y in zip(a.components, b.components, strict=True):
        np.testing.assert_array_equal(x.visible_coefficients, y.visible_coefficients)


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ROUND_TRIPS = {  # applied in turn, give back the input
    "rotate 90 x4": ["rotate:angle=90"] * 4,
    "rotate 270 x4": ["rotate:angle=270"] * 4,
    "rotate 180 x2": ["rotate:angle=180"] * 2,
    "flip horizontal x2": ["flip:axis=horizontal"] * 2,
    "flip vertical x2": ["flip:axis=vertical"] * 2,
    "transpose x2": ["transpose"] * 2,
    "transverse x2": ["transverse"] * 2,
    "rotate 90 then 270": ["rotate:angle=90", "rotate:angle=270"],
}


@FAST
@given(images(multiple_of_imcu=True))
def test_perfect_round_trips_give_back_the_input(drawn):
    image, _ = drawn
    before = snapshot(image)
    for name, specs in ROUND_TRIPS.items():
        result, _ = apply(image, *(spec_with_edge(s, "perfect") for s in specs))
        try:
            assert_same_image(result, image)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
    assert snapshot(image)[1] == before[1]
    for (*_, coefficients, quant), component in zip(before[0], image.components):
        np.testing.assert_array_equal(component.coefficients, coefficients)  # input untouched
        np.testing.assert_array_equal(component.quant_values, quant)


@FAST
@given(images())
def test_trim_round_trips_give_back_the_input_cut_to_whole_imcus(drawn):
    image, imcu = drawn
    for specs, across, down in (
        (["rotate:angle=90"] * 4, True, True),
        (["rotate:angle=180"] * 2, True, True),
        (["transverse"] * 2, True, True),
        (["flip:axis=horizontal"] * 2, True, False),
        (["flip:axis=vertical"] * 2, False, True),
        (["transpose"] * 2, False, False),
    ):
        result, _ = apply(image, *(spec_with_edge(s, "trim") for s in specs))
        assert_same_visible(result, cropped_to_whole_imcus(image, imcu, across, down))


@FAST
@given(images())
def test_keep_involutions_and_perfect_refusals(drawn):
    image, (imcu_w, imcu_h) = drawn
    for spec in ("flip:axis=horizontal", "flip:axis=vertical", "rotate:angle=180", "transpose"):
        result, _ = apply(image, spec, spec)
        assert_same_image(result, image)
    transposed = apply(image, "transpose")[0]
    assert_same_image(apply(image, "transverse")[0], apply(transposed, "rotate:angle=180")[0])
    assert_same_image(apply(image, "rotate:angle=90")[0], apply(transposed, "flip")[0])
    both = apply(apply(image, "flip:axis=horizontal")[0], "flip:axis=vertical")[0]
    assert_same_image(apply(image, "rotate:angle=180")[0], both)
    partial_w, partial_h = image.width % imcu_w != 0, image.height % imcu_h != 0
    for spec, refuses in (
        ("flip:axis=horizontal", partial_w),
        ("flip:axis=vertical", partial_h),
        ("rotate:angle=90", partial_h),
        ("rotate:angle=270", partial_w),
        ("rotate:angle=180", partial_w or partial_h),
        ("transverse", partial_w or partial_h),
        ("transpose", False),
    ):
        if refuses:
            with pytest.raises(JpegError, match="not perfect"):
                apply(image, spec_with_edge(spec, "perfect"))
        else:
            apply(image, spec_with_edge(spec, "perfect"))


@FAST
@given(images())
def test_grayscale_keeps_luma_and_commutes_with_transpose(drawn):
    image, _ = drawn
    luma = image.components[0]
    if (luma.h, luma.v) != (image.frame.max_h, image.frame.max_v):
        with pytest.raises(JpegError, match="luma is sampled"):
            apply(image, "grayscale")
        return
    gray, _ = apply(image, "grayscale")
    assert [(c.component_id, c.h, c.v) for c in gray.components] == [(1, 1, 1)]
    np.testing.assert_array_equal(gray.components[0].coefficients, luma.visible_coefficients)
    assert_same_image(
        apply(gray, "transpose")[0], apply(apply(image, "transpose")[0], "grayscale")[0]
    )


@FAST
@given(images())
def test_passes_share_no_array_with_their_input(drawn):
    image, _ = drawn
    before = snapshot(image)
    for spec in [*TRANSFORMS, "grayscale", "auto-orient"]:
        try:
            result, _ = apply(image, spec)
        except JpegError:  # grayscale of subsampled luma
            continue
        for new in result.components:
            for old in image.components:
                for name in ("coefficients", "quant_values"):
                    assert not np.shares_memory(getattr(new, name), getattr(old, name)), spec
    for (cid, h, v, coefficients, quant), component in zip(before[0], image.components):
        assert (cid, h, v) == (component.component_id, component.h, component.v)
        np.testing.assert_array_equal(component.coefficients, coefficients)
        np.testing.assert_array_equal(component.quant_values, quant)


# --- auto-orient ------------------------------------------------------------------------

ORIENTATION_OPTIONS = {
    1: [],
    2: ["-flip", "horizontal"],
    3: ["-rotate", "180"],
    4: ["-flip", "vertical"],
    5: ["-transpose"],
    6: ["-rotate", "90"],
    7: ["-transverse"],
    8: ["-rotate", "270"],
}


def tagged_jpeg(orientation: int | None, subsampling: int = 2, size=(203, 157)) -> bytes:
    """A Pillow JPEG with an Exif segment holding this Orientation (None: no tag)."""
    rng = np.random.default_rng(orientation or 0)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "jpegsurgeon tests"  # Make: must survive the rewrite
    if orientation is not None:
        exif[0x0112] = orientation
    exif.get_ifd(0x8769).update({0xA002: size[0], 0xA003: size[1]})
    out = io.BytesIO()
    Image.fromarray(pixels).save(
        out, "JPEG", exif=exif.tobytes(), quality=85, subsampling=subsampling
    )
    return out.getvalue()


def exif_of(image) -> Image.Exif:
    segment = next(s for s in image.segments if s.marker == 0xE1)
    exif = Image.Exif()
    exif.load(segment.payload[6:])
    return exif


@pytest.mark.parametrize("subsampling", [0, 1, 2], ids=["444", "422", "420"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_auto_orient_matches_jpegtran(orientation, subsampling, tmp_path):
    data = tagged_jpeg(orientation, subsampling)
    image = jpegsurgeon.read(data)
    original_payloads = [s.payload for s in image.segments]
    theirs = jpegtran(data, *ORIENTATION_OPTIONS[orientation])
    check_against_jpegtran(image, ["auto-orient"], theirs, tmp_path, f"orientation {orientation}")
    result, changes = apply(image, "auto-orient")
    assert changes["orientation"] == orientation
    assert (changes["transform"] is None) == (orientation == 1)
    exif = exif_of(result)
    assert exif[0x0112] == 1 and exif[0x010F] == "jpegsurgeon tests"
    assert exif.get_ifd(0x8769)[0xA002] == result.width
    assert exif.get_ifd(0x8769)[0xA003] == result.height
    # the input model is untouched: same segment objects and payloads, tag still there
    assert [s.payload for s in image.segments] == original_payloads
    assert exif_of(image)[0x0112] == orientation
    if orientation != 1:
        assert all(a is not b for a, b in zip(result.segments, image.segments) if a.marker == 0xE1)


def test_auto_orient_tag_survives_a_writer_that_keeps_metadata():
    image = jpegsurgeon.read(tagged_jpeg(3))  # rotate 180: same size, so preserve mode works
    result, _ = apply(image, "auto-orient")
    again = jpegsurgeon.read(jpegsurgeon.write(result, preserve=True))
    assert exif_of(again)[0x0112] == 1
    for a, b in zip(again.components, result.components):
        np.testing.assert_array_equal(a.visible_coefficients, b.visible_coefficients)


def test_auto_orient_perfect_refuses_and_untagged_files_pass_through():
    image = jpegsurgeon.read(tagged_jpeg(6))  # 157 rows of 16-row MCUs: not perfect
    with pytest.raises(JpegError, match="auto-orient: not perfect"):
        apply(image, "auto-orient:edge=perfect")
    trimmed, changes = apply(image, "auto-orient:edge=trim")
    assert (trimmed.width, trimmed.height) == (144, 203) and changes["perfect"]
    for data in (tagged_jpeg(None), jpegsurgeon.write(blank_image(16, 16))):
        image = jpegsurgeon.read(data)
        result, changes = apply(image, "auto-orient")
        assert changes == {"orientation": None, "transform": None}
        assert_same_image(result, image)


def test_auto_orient_damaged_exif_is_a_one_line_error():
    data = tagged_jpeg(6)
    image = jpegsurgeon.read(data)
    index = next(i for i, s in enumerate(image.segments) if s.marker == 0xE1)
    broken = data.replace(image.segments[index].payload[:10], b"Exif\x00\x00JUNK", 1)
    with pytest.raises(JpegError, match="cannot read the Exif data") as caught:
        apply(jpegsurgeon.read(broken), "auto-orient")
    assert "\n" not in str(caught.value)
