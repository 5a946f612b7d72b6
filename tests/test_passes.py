"""Pass invariants, checked independently of the code under test."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
from conftest import FIXTURE_FILES, needs_tool
from PIL import Image

import jpegsurgeon
from jpegsurgeon.errors import JpegError
from jpegsurgeon.lepton import round_trip
from jpegsurgeon.model import blank_image
from jpegsurgeon.passes import parse_spec, registry, run_pipeline

PHOTO = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
SMALL = [p for p in FIXTURE_FILES if p.name.startswith(("baseline_4", "progressive_420", "gray"))]


def apply(image, *specs: str, seed: int = 1):
    result, reports = run_pipeline(image, [parse_spec(s) for s in specs], seed)
    return result, reports[-1]["changes"] if reports else {}


def entropy_bits(data: bytes) -> int:
    """Bytes of entropy-coded data without the 00 stuffed after each FF."""
    image = jpegsurgeon.read(data)
    body = data[image.scans[0].data_offset : -2]
    return len(body) - body.count(b"\xff\x00")


def test_every_pass_is_documented():
    for info in registry().values():
        assert info.description and all(p.help for p in info.parameters)


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.name)
def test_randomize_signs_keeps_magnitudes_zeros_and_size(path):
    image = jpegsurgeon.read(path)
    signed, changes = apply(image, "randomize-signs")
    assert changes["signs_flipped"] > 0
    for a, b in zip(image.components, signed.components):
        np.testing.assert_array_equal(np.abs(a.coefficients), np.abs(b.coefficients))
        np.testing.assert_array_equal(a.coefficients[..., 0, 0], b.coefficients[..., 0, 0])
    keep = "rebuild-huffman:tables=per-class"
    before = jpegsurgeon.write(apply(image, keep)[0])
    after = jpegsurgeon.write(apply(signed, keep)[0])
    assert entropy_bits(before) == entropy_bits(after)


def test_randomize_signs_fraction_and_dc():
    image = jpegsurgeon.read(PHOTO)
    _, none = apply(image, "randomize-signs:fraction=0")
    assert none["signs_redrawn"] == 0
    with_dc, _ = apply(image, "randomize-signs:dc=true,components=luma")
    luma_dc = image.components[0].coefficients[..., 0, 0]
    assert (with_dc.components[0].coefficients[..., 0, 0] != luma_dc).any()
    np.testing.assert_array_equal(
        with_dc.components[1].coefficients, image.components[1].coefficients
    )


@pytest.mark.parametrize("scope", ["component", "row", "tile:3"])
def test_scramble_ac_keeps_dc_and_the_multiset_of_ac_vectors(scope):
    image = jpegsurgeon.read(PHOTO)
    scrambled, changes = apply(image, f"scramble-ac:scope={scope}")
    assert changes["blocks_moved"] > 0
    for a, b in zip(image.components, scrambled.components):
        np.testing.assert_array_equal(a.coefficients[..., 0, 0], b.coefficients[..., 0, 0])
        rows_a = a.coefficients.reshape(-1, 64)[:, 1:]
        rows_b = b.coefficients.reshape(-1, 64)[:, 1:]
        assert not np.array_equal(rows_a, rows_b)
        np.testing.assert_array_equal(np.unique(rows_a, axis=0), np.unique(rows_b, axis=0))
        assert sorted(map(bytes, rows_a)) == sorted(map(bytes, rows_b))


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as decoded:
        return np.asarray(decoded.convert("RGB"), dtype=np.int16)


def test_exact_requantize_gives_identical_pixels():
    image = jpegsurgeon.read(PHOTO)
    ones, changes = apply(image, "requantize:table=ones")
    assert changes["exact"]
    np.testing.assert_array_equal(pixels(jpegsurgeon.write(image)), pixels(jpegsurgeon.write(ones)))
    # dequantized values are the same numbers
    for a, b in zip(image.components, ones.components):
        np.testing.assert_array_equal(
            a.coefficients.astype(np.int64) * a.quant_values, b.coefficients.astype(np.int64)
        )


def test_inexact_requantize_stays_within_one_step():
    image = jpegsurgeon.read(PHOTO)
    coarse, changes = apply(image, "requantize:quality=40")
    assert not changes["exact"]
    for a, b in zip(image.components, coarse.components):
        before = a.coefficients.astype(np.int64) * a.quant_values
        after = b.coefficients.astype(np.int64) * b.quant_values
        assert (np.abs(after - before) <= (b.quant_values + 1) // 2).all()
    assert len(jpegsurgeon.write(coarse)) < len(jpegsurgeon.write(image))


def test_requantize_refuses_what_baseline_cannot_hold():
    image = blank_image(16, 16, ((1, 1),), (np.full((8, 8), 4),))
    image.components[0].coefficients[0, 0, 0, 1] = 600  # 2400 with a step of 1
    with pytest.raises(JpegError, match="baseline range"):
        apply(image, "requantize:table=ones")
    clamped, changes = apply(image, "requantize:table=ones,clamp=true")
    assert changes["coefficients_clamped"] == 1 and not changes["exact"]
    assert clamped.components[0].coefficients[0, 0, 0, 1] == 1023
    with pytest.raises(JpegError, match="exactly one"):
        apply(image, "requantize:quality=50,scale=2")


@pytest.mark.parametrize("path", SMALL + [PHOTO], ids=lambda p: p.name)
def test_rebuild_huffman_never_grows_the_file(path):
    image = jpegsurgeon.read(path)
    if image.frame.progressive:
        pytest.skip("a progressive file has no baseline tables to compare with")
    rebuilt = jpegsurgeon.write(apply(image, "rebuild-huffman")[0])
    original = jpegsurgeon.write(apply(image, "rebuild-huffman:tables=original")[0])
    assert len(rebuilt) <= len(original)
    for a, b in zip(jpegsurgeon.read(rebuilt).components, jpegsurgeon.read(original).components):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)


@pytest.mark.parametrize("geometry", ["100x77+37+21", "64x64+0+0", "600x460+33+17"])
def test_crop_matches_jpegtran(geometry, tmp_path):
    jpegtran = needs_tool("jpegtran")
    ours = tmp_path / "ours.jpg"
    ours.write_bytes(
        jpegsurgeon.write(apply(jpegsurgeon.read(PHOTO), f"crop:geometry={geometry}")[0])
    )
    theirs = subprocess.run(
        [jpegtran, "-crop", geometry, "-copy", "none", str(PHOTO)], capture_output=True, check=True
    ).stdout
    a, b = jpegsurgeon.read(ours), jpegsurgeon.read(theirs)
    assert (a.width, a.height) == (b.width, b.height)
    for x, y in zip(a.components, b.components):
        np.testing.assert_array_equal(x.visible_coefficients, y.visible_coefficients)


def test_fit_size_lands_in_the_window():
    image = jpegsurgeon.read(PHOTO)
    fitted, changes = apply(image, "fit-size:min=14000,max=18000")
    assert 14000 <= len(jpegsurgeon.write(fitted)) <= 18000
    assert changes["bytes"] == len(jpegsurgeon.write(fitted))
    with pytest.raises(JpegError, match="coarsest"):
        apply(image, "fit-size:min=10,max=20")


def test_pipeline_outputs_pass_lepton_and_are_deterministic():
    image = jpegsurgeon.read(PHOTO)
    specs = ("randomize-signs", "scramble-ac", "rebuild-huffman")
    first = jpegsurgeon.write(apply(image, *specs, seed=5)[0])
    assert first == jpegsurgeon.write(apply(image, *specs, seed=5)[0])
    assert first != jpegsurgeon.write(apply(image, *specs, seed=6)[0])
    result = round_trip(first, cycles=2)
    assert result.verified, result.error
