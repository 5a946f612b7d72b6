"""The forge: its passes, its Lepton DC model, its search, output and recipe.

Most tests forge small images (1024 pixels a side, with a size window to
match); one runs the default design at the challenge's full size.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, ROOT, lepton_cpp, lepton_cpp_round_trip

import jpegsurgeon
from jpegsurgeon import challenge
from jpegsurgeon.compliance import audit_bytes
from jpegsurgeon.compliance.profiles import PROFILES
from jpegsurgeon.errors import JpegError
from jpegsurgeon.forge import DEFAULT_DESIGN, ForgeResult, forge
from jpegsurgeon.forge.model import EDGE_COLS, EDGE_ROWS, bit_length, dc_prediction
from jpegsurgeon.lepton import round_trip
from jpegsurgeon.model import blank_image
from jpegsurgeon.passes import registry, resolve, run_pipeline
from jpegsurgeon.passes.forge_dc import dc_bounds

PLACEHOLDER = blank_image(8, 8, ((1, 1),))
SMALL = 1024  # side of the small forges
SMALL_WINDOW = (34_000, 40_000)  # bytes a 1024 x 1024 forge lands in


def _canvas(side: int, sampling: str = "444"):
    return resolve("forge-synthesize", {"width": side, "height": side, "sampling": sampling})


def _painted(side: int, seed: int, upto: int | None = None, design=DEFAULT_DESIGN):
    """A synthesized image through the design's passes (all, or the first `upto`)."""
    calls = design.calls(_canvas(side))
    image, reports = run_pipeline(PLACEHOLDER, calls[:upto], seed)
    return image, reports


def _worst(image) -> int:
    return max(int(dc_prediction(c.coefficients, c.quant_values).worst.max())
               for c in image.components)  # fmt: skip


@pytest.fixture(scope="module")
def small() -> ForgeResult:
    lines: list[str] = []
    result = forge(None, seed=7, budget=2, side=SMALL, size_window=SMALL_WINDOW,
                   progress=lines.append)  # fmt: skip
    assert lines, "forge reports progress"
    return result


# -- the challenge's numbers ------------------------------------------------


def test_challenge_numbers_have_one_home() -> None:
    settings = PROFILES["lepton-challenge"].settings
    assert (settings["min_bytes"], settings["max_bytes"]) == challenge.BYTE_WINDOW
    assert (settings["min_side"], settings["max_side"]) == (challenge.MIN_SIDE, challenge.MAX_SIDE)
    passes = registry()
    defaults = {name: {p.name: p.default for p in info.parameters} for name, info in passes.items()}
    assert (defaults["fit-size"]["min"], defaults["fit-size"]["max"]) == challenge.BYTE_WINDOW
    assert defaults["dc-guard"]["limit"] == challenge.LEPTON_DC_ERROR_LIMIT
    assert defaults["edge-wavefront"]["limit"] == challenge.LEPTON_DC_ERROR_LIMIT
    assert defaults["forge-synthesize"]["width"] == challenge.MAX_SIDE
    # No other source file spells the window or the stale error bounds as numbers.
    numbers = {524_288, 1_000_000, 3073, 2800}
    for path in sorted((ROOT / "jpegsurgeon").rglob("*.py")):
        if path.name == "challenge.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        found = [node.value for node in ast.walk(tree)
                 if isinstance(node, ast.Constant) and type(node.value) is int
                 and node.value in numbers]  # fmt: skip
        assert not found, f"{path.relative_to(ROOT)} spells {found}: use jpegsurgeon.challenge"


# -- the Lepton DC model ----------------------------------------------------


def _one_large_error(dc: int) -> tuple[bytes, int]:
    """A 64x64 grayscale image whose block (4, 4) has the largest DC error: its
    neighbours' edges push the prediction far below, its DC is `dc`."""
    quant = np.full((8, 8), 255, np.uint16)
    quant[0, 0] = 1
    image = blank_image(64, 64, ((1, 1),), (quant,))
    coefficients = image.components[0].coefficients.copy()
    coefficients[4, 3, 0, 4] = -8  # left neighbour: its right edge, through (0,4)
    coefficients[3, 4, 4, 0] = -8  # upper neighbour: its bottom edge, through (4,0)
    coefficients[4, 3, 0, 0] = coefficients[3, 4, 0, 0] = -1024
    coefficients[4, 4, 0, 0] = dc
    image = image.with_coefficients({0: coefficients})
    return jpegsurgeon.write(image), int(dc_prediction(coefficients, quant).error[4, 4])


def test_dc_model_is_exact_at_lepton_bound() -> None:
    """The model's error is Lepton's: 4096 is accepted, one more is refused."""
    _, error = _one_large_error(0)
    # pick DCs that put the error exactly on the bound and one past it
    inside, outside = 4096 - error, 4097 - error
    assert -1024 <= inside and outside <= 1024, error
    data, at_bound = _one_large_error(inside)
    assert at_bound == challenge.LEPTON_DC_ERROR_LIMIT
    assert round_trip(data, cycles=1).verified
    data_past, past = _one_large_error(outside)
    assert past == challenge.LEPTON_DC_ERROR_LIMIT + 1
    result = round_trip(data_past, cycles=1)
    assert not result.verified and "CoefficientOutOfRange" in result.error
    try:  # the reference C++ Lepton draws the line at the same place
        lepton_cpp()
    except pytest.skip.Exception:
        return
    assert lepton_cpp_round_trip(data)[0] and not lepton_cpp_round_trip(data_past)[0]


def test_dc_model_counts_empty_blocks_as_lepton_does() -> None:
    """A block without AC comes out of Lepton's IDCT as 4 everywhere, not 0."""
    image, _ = _painted(256, 3, upto=4)
    component = image.components[0]
    high, wide = component.coefficients.shape[:2]
    empty = ~component.coefficients.reshape(high, wide, 64)[..., 1:].any(-1)
    assert empty.any()
    from jpegsurgeon.forge.model import edge_summary

    summary = edge_summary(component.coefficients, component.quant_values)
    assert (summary.left[empty] == 4).all() and (summary.bottom[empty] == 4).all()


# -- the passes, on their own -----------------------------------------------


def test_row_dc_gives_each_run_one_dc_over_the_whole_range() -> None:
    image, _ = run_pipeline(PLACEHOLDER, [_canvas(512), resolve("row-dc", {})], seed=4)
    for component in image.components:
        dc = component.coefficients[..., 0, 0]
        assert (dc == dc[:, :1]).all()  # one DC a row
        low, high = dc_bounds(1)
        assert (low, high) == (-1024, 1023) and dc.min() >= low and dc.max() <= high
        rows = dc[:, 0]
        extremes = np.isin(rows, (low, high))
        parity = 0 if extremes[0::2].all() else 1
        assert extremes[parity::2].all()  # every other row at an extreme
        drawn = rows[1 - parity :: 2]
        assert len(np.unique(drawn)) > len(drawn) * 3 // 4  # the rest drawn over the range
    uniform = resolve("row-dc", {"run_length": 16, "mode": "uniform"})
    runs, _ = run_pipeline(PLACEHOLDER, [_canvas(512), uniform], seed=4)
    dc = runs.components[0].coefficients[..., 0, 0]
    assert (dc[:, :16] == dc[:, :1]).all() and not (dc[:, 16:32] == dc[:, :1]).all()
    with pytest.raises(JpegError):
        resolve("row-dc", {"mode": "checkered"})


def test_row_dc_keeps_a_photo_within_its_quantizer_range() -> None:
    photo = jpegsurgeon.read(FIXTURES / "photo.jpg")
    image, _ = run_pipeline(photo, [resolve("row-dc", {})], seed=2)
    for component in image.components:
        low, high = dc_bounds(int(component.quant_values[0, 0]))
        dc = component.coefficients[..., 0, 0]
        assert low <= dc.min() and dc.max() <= high
    assert round_trip(jpegsurgeon.write(image), cycles=1).verified


def test_edge_wavefront_keeps_jpeg_size_and_lepton_bound_and_costs_lepton_more() -> None:
    # magnitudes 1-3: small enough that every block has a candidate within the bound
    before, _ = _painted(512, 5, upto=4, design=replace(DEFAULT_DESIGN, magnitudes=(1, 2, 2)))
    plain = jpegsurgeon.write(before)
    after, reports = run_pipeline(before, [resolve("edge-wavefront", {})], seed=5)
    changes = reports[-1]["changes"]
    assert changes["blocks"] == 3 * 64 * 64 and changes["over_limit"] == 0
    forged = jpegsurgeon.write(after)
    if changes["cleared"] == 0:  # same JPEG categories everywhere: the same bytes
        assert len(forged) == len(plain)
    for old, new in zip(before.components, after.components):
        a = old.coefficients[..., EDGE_ROWS, EDGE_COLS]
        b = new.coefficients[..., EDGE_ROWS, EDGE_COLS]
        assert (bit_length(a) == bit_length(b)).all()  # categories kept
        assert (old.coefficients[..., 0, 0] == new.coefficients[..., 0, 0]).all()
    assert _worst(after) <= challenge.LEPTON_DC_ERROR_LIMIT
    assert changes["worst"] == _worst(after)
    # against the same edges only kept within Lepton's bound (one choice: own or cleared)
    kept, _ = run_pipeline(before, [resolve("edge-wavefront", {"choices": 1})], seed=5)
    baseline = round_trip(jpegsurgeon.write(kept), cycles=1)
    chosen = round_trip(forged, cycles=1)
    assert baseline.verified and chosen.verified, (baseline.error, chosen.error)
    assert chosen.ratio > baseline.ratio + 0.02


def test_edge_wavefront_on_a_photo() -> None:
    """Photos take the slower path (every block distinct): same guarantees."""
    photo = jpegsurgeon.read(FIXTURES / "photo.jpg")
    calls = [resolve("edge-quantizers", {"edges": "200"}), resolve("row-dc", {}),
             resolve("edge-wavefront", {"choices": 3})]  # fmt: skip
    image, reports = run_pipeline(photo, calls, seed=1)
    assert reports[-1]["changes"]["over_limit"] == 0
    assert _worst(image) <= challenge.LEPTON_DC_ERROR_LIMIT
    assert round_trip(jpegsurgeon.write(image), cycles=1).verified


def test_dc_guard_repairs_what_lepton_would_reject() -> None:
    design = replace(DEFAULT_DESIGN, magnitudes=(0,) * 8 + (1,))
    calls = design.calls(_canvas(256))
    wild, _ = run_pipeline(PLACEHOLDER, calls[:4], seed=5)  # no wavefront, no guard
    assert _worst(wild) > challenge.LEPTON_DC_ERROR_LIMIT
    assert not round_trip(jpegsurgeon.write(wild), cycles=1).verified
    tame, reports = run_pipeline(wild, [resolve("dc-guard", {})], seed=5)
    assert reports[-1]["changes"]["worst_after"] <= challenge.LEPTON_DC_ERROR_LIMIT
    assert round_trip(jpegsurgeon.write(tame), cycles=1).verified


def test_bad_parameters_are_refused() -> None:
    for name, given in (("edge-quantizers", {"edges": "1,2,3"}), ("row-dc", {"run_length": -1}),
                        ("edge-wavefront", {"choices": 0}), ("edge-wavefront", {"limit": 5000}),
                        ("dc-guard", {"limit": 0})):  # fmt: skip
        with pytest.raises(JpegError):
            run_pipeline(PLACEHOLDER, [_canvas(64), resolve(name, given)], seed=0)
    with pytest.raises(JpegError):
        resolve("forge-synthesize", {"sampling": "411"})


# -- the forge --------------------------------------------------------------


def test_forge_output_passes_the_audit(small: ForgeResult) -> None:
    report = audit_bytes(small.data, "lepton-challenge", lepton=True, cycles=3)
    assert [f.rule_id for f in report.findings] == ["size.window"]  # small on purpose
    low, high = SMALL_WINDOW
    assert low <= small.jpeg_bytes == len(small.data) <= high
    assert (small.width, small.height) == (SMALL, SMALL)
    assert small.ratio == pytest.approx(small.lepton_bytes / small.jpeg_bytes, abs=1e-9)
    assert small.ratio > 2.6
    assert small.trials == 2 and not small.cut_short


def test_recipe_replays_to_identical_bytes(small: ForgeResult, tmp_path: Path) -> None:
    photo = jpegsurgeon.read(FIXTURES / "photo.jpg")
    calls = [resolve(step["name"], step["parameters"]) for step in small.recipe]
    image, _ = run_pipeline(photo, calls, small.seed)
    assert jpegsurgeon.write(image) == small.data
    pipeline = tmp_path / "forged.toml"
    pipeline.write_text(small.recipe_toml())
    assert [p["name"] for p in tomllib.loads(small.recipe_toml())["pass"]] == [
        step["name"] for step in small.recipe
    ]
    out = tmp_path / "replayed.jpg"
    subprocess.run(
        [sys.executable, "-m", "jpegsurgeon", "transform", str(FIXTURES / "photo.jpg"), str(out),
         "--pipeline", str(pipeline), "--seed", str(small.seed), "--no-verify"],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    assert out.read_bytes() == small.data


_SCRIPT = """
import sys
from jpegsurgeon.forge import forge
result = forge(None, seed=11, budget=3, side=512, size_window=(8_500, 11_000))
sys.stdout.buffer.write(result.data)
"""


def test_same_seed_same_bytes_in_separate_processes() -> None:
    runs = [subprocess.run([sys.executable, "-c", _SCRIPT], check=True, cwd=ROOT,
                           capture_output=True).stdout for _ in range(2)]  # fmt: skip
    assert len(runs[0]) > 8_500 and runs[0] == runs[1]
    other = forge(None, seed=12, budget=3, side=512, size_window=(8_500, 11_000))
    assert other.data != runs[0]


def test_time_guard_cuts_the_search_and_says_so() -> None:
    result = forge(None, seed=3, budget=50, side=512, size_window=(8_000, 11_000),
                   time_limit=1e-6)  # fmt: skip
    assert result.cut_short and result.trials == 1
    assert any("time guard" in note for note in result.notes)


def test_forge_from_a_grayscale_photo_keeps_one_component() -> None:
    gray = jpegsurgeon.read(FIXTURES / "gray_baseline_203x157.jpg")
    result = forge(gray, seed=2, budget=1, side=512, size_window=(13_000, 16_000))
    image = jpegsurgeon.read(result.data)
    assert len(image.components) == 1 and (image.width, image.height) == (512, 512)
    assert result.changed["interior_tables_kept"]


def test_default_forge_at_full_size_beats_2_78_on_both_leptons() -> None:
    """The default design, one trial, the challenge's own window and size (the
    forge itself audits with 3 cycles of each Lepton, or raises)."""
    try:
        binary = lepton_cpp()
    except pytest.skip.Exception:
        binary = None
    result = forge(None, seed=1, budget=1, lepton_cpp=binary)
    assert challenge.MIN_BYTES <= result.jpeg_bytes <= challenge.MIN_BYTES + 1024
    assert (result.width, result.height) == (challenge.MAX_SIDE, challenge.MAX_SIDE)
    report = audit_bytes(result.data, "lepton-challenge", lepton=False)
    assert report.compliant, report.findings
    assert result.ratio >= 2.78
    if binary is not None:
        assert result.lepton_cpp_ratio is not None and result.lepton_cpp_ratio >= 2.78


def test_a_checking_codec_is_reported_but_not_aimed_at() -> None:
    pytest.importorskip("imagecodecs")
    result = forge(None, seed=4, budget=1, side=512, size_window=(8_500, 11_000),
                   checks=["jxl"])  # fmt: skip
    assert result.targets == ["lepton"] and result.design.as_dict()["family"] == "lepton-dc"
    assert set(result.ratios) >= {"lepton", "jxl"} and result.ratios["jxl"] > 0
    assert result.smallest_ratio == result.ratios["lepton"]  # only the target counts
