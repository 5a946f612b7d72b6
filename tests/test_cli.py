"""The command line as a user meets it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import FIXTURE_FILES

import jpegsurgeon

PHOTO = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
PROGRESSIVE = next(p for p in FIXTURE_FILES if p.name.startswith("progressive_420"))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jpegsurgeon", *args], capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_version():
    result = run("--version")
    assert result.returncode == 0 and jpegsurgeon.__version__ in result.stdout


def test_info_text_and_json():
    text = run("info", str(PHOTO))
    assert text.returncode == 0
    assert "640x480" in text.stdout and "COM" in text.stdout
    document = json.loads(run("info", str(PHOTO), "--json").stdout)
    assert document["frame"]["width"] == 640
    assert [c["sampling"] for c in document["components"]] == [[2, 2], [1, 1], [1, 1]]
    assert document["segments"][0] == {"offset": 0, "marker": "SOI", "size": 2}
    assert document["jfif"]["density"] == [72, 72]


def test_transform_without_passes_writes_strict_jfif(tmp_path):
    out = tmp_path / "out.jpg"
    before = PROGRESSIVE.read_bytes()
    result = run("transform", str(PROGRESSIVE), str(out), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mode"] == "strict" and report["output_bytes"] == out.stat().st_size
    assert PROGRESSIVE.read_bytes() == before  # input untouched
    original, rewritten = jpegsurgeon.read(PROGRESSIVE), jpegsurgeon.read(out)
    assert rewritten.frame.marker == 0xC0
    for a, b in zip(original.components, rewritten.components):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)
    assert not list(tmp_path.glob(".*.tmp"))


def test_transform_preserve_is_identical(tmp_path):
    out = tmp_path / "out.jpg"
    assert run("transform", str(PHOTO), str(out), "--preserve").returncode == 0
    assert out.read_bytes() == PHOTO.read_bytes()


def test_transform_with_a_pass_is_deterministic_by_seed(tmp_path):
    outputs = []
    for name in ("a.jpg", "b.jpg"):
        out = tmp_path / name
        result = run("transform", str(PHOTO), str(out), "--pass", "randomize-signs", "--seed", "7")
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    plain = tmp_path / "plain.jpg"
    run("transform", str(PHOTO), str(plain))
    assert outputs[0] != plain.read_bytes()

    # signs are raw bits: the same size but for the 00 bytes stuffed after each FF
    def unstuffed(data: bytes) -> int:
        return len(data) - data.count(b"\xff\x00")

    assert unstuffed(outputs[0]) == unstuffed(plain.read_bytes())


def test_pipeline_file(tmp_path):
    pipeline = tmp_path / "p.toml"
    pipeline.write_text('[[pass]]\nname = "randomize-signs"\nfraction = 0.25\n')
    out = tmp_path / "out.jpg"
    result = run("transform", str(PHOTO), str(out), "--pipeline", str(pipeline), "--json")
    assert result.returncode == 0, result.stderr
    step = json.loads(result.stdout)["passes"][0]
    assert step["parameters"]["fraction"] == 0.25 and step["changes"]["signs_redrawn"] > 0


def test_passes_lists_parameters():
    document = json.loads(run("passes", "--json").stdout)
    by_name = {p["name"]: p for p in document["passes"]}
    assert "randomize-signs" in by_name
    assert {p["name"] for p in by_name["randomize-signs"]["parameters"]} == {
        "fraction", "components", "dc"
    }  # fmt: skip


@pytest.mark.parametrize(
    "content, fragments",
    [
        (b"", ["offset 0", "not a JPEG"]),
        (b"GIF89a....", ["offset 0", "not a JPEG"]),
        (b"\xff\xd8\xff\xc4\x7f\xff\x00", ["offset 2", "runs past the end"]),
    ],
)
def test_bad_input_gives_one_line_and_no_output(tmp_path, content, fragments):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(content)
    out = tmp_path / "out.jpg"
    result = run("transform", str(bad), str(out))
    assert_one_line_error(result, "bad.jpg", *fragments)
    assert not out.exists()
    assert_one_line_error(run("info", str(bad)), "bad.jpg", *fragments)


def test_failed_transform_leaves_existing_output_alone(tmp_path):
    out = tmp_path / "out.jpg"
    out.write_bytes(b"previous")
    sof1 = next(p for p in FIXTURE_FILES if "sof1" in p.name)
    assert_one_line_error(run("transform", str(sof1), str(out)), "above 255")
    assert out.read_bytes() == b"previous"
    assert not list(tmp_path.glob(".*.tmp"))


def test_unknown_pass_and_bad_parameter(tmp_path):
    out = str(tmp_path / "o.jpg")
    assert_one_line_error(run("transform", str(PHOTO), out, "--pass", "nope"), "unknown pass")
    assert_one_line_error(
        run("transform", str(PHOTO), out, "--pass", "randomize-signs:fraction=lots"), "fraction"
    )
    assert_one_line_error(
        run("transform", str(PHOTO), out, "--pass", "randomize-signs:colour=1"), "no parameter"
    )


def test_refuses_to_overwrite_input(tmp_path):
    copy = tmp_path / "in.jpg"
    copy.write_bytes(PHOTO.read_bytes())
    assert_one_line_error(run("transform", str(copy), str(copy)), "same file")
    assert copy.read_bytes() == PHOTO.read_bytes()


def test_missing_file():
    assert_one_line_error(run("info", "/no/such/file.jpg"), "file.jpg", "No such file")


def test_transform_verifies_with_lepton(tmp_path):
    out = tmp_path / "out.jpg"
    report = json.loads(run("transform", str(PHOTO), str(out), "--json", "--cycles", "2").stdout)
    lepton = report["codecs"]["lepton"]
    assert report["verified"] and lepton["verified"] and lepton["cycles"] == 2
    assert 0.5 < lepton["ratio"] < 1.0
    assert lepton["compressed_bytes"] < out.stat().st_size


def test_lepton_rejection_exits_1_and_writes_nothing(tmp_path):
    wide = next(p for p in FIXTURE_FILES if p.name.startswith("baseline_411_h4v1"))
    out = tmp_path / "out.jpg"
    result = run("transform", str(wide), str(out))
    assert result.returncode == 1
    assert "Sampling" in result.stderr and not out.exists()
    kept = run("transform", str(wide), str(out), "--keep-rejected")
    assert kept.returncode == 1 and out.exists()
    assert run("transform", str(wide), str(tmp_path / "n.jpg"), "--no-verify").returncode == 0


def test_verify_command(tmp_path):
    good = tmp_path / "good.jpg"
    run("transform", str(PHOTO), str(good))
    cmyk = next(p for p in FIXTURE_FILES if p.name.startswith("cmyk"))
    result = run("verify", str(good), str(cmyk), "--json")
    assert result.returncode == 1
    files = json.loads(result.stdout)["files"]
    assert [f["path"] for f in files] == sorted([str(good), str(cmyk)])  # sorted by path
    assert {f["path"]: f["verified"] for f in files} == {str(good): True, str(cmyk): False}
    assert run("verify", str(good)).returncode == 0


def test_in_place_rewrites_only_when_asked(tmp_path):
    copy = tmp_path / "in.jpg"
    copy.write_bytes(PHOTO.read_bytes())
    result = run("transform", str(copy), str(copy), "--in-place", "--cycles", "1")
    assert result.returncode == 0, result.stderr
    assert copy.read_bytes() != PHOTO.read_bytes()
    assert jpegsurgeon.read(copy).frame.marker == 0xC0
    assert not list(tmp_path.glob(".*.tmp"))


def test_limits_are_flags():
    assert_one_line_error(run("info", str(PHOTO), "--max-pixels", "1000"), "--max-pixels")
    assert_one_line_error(run("info", str(PROGRESSIVE), "--max-scans", "3"), "--max-scans")
    assert_one_line_error(run("info", str(PHOTO), "--max-segments", "5"), "--max-segments")
    skipped = json.loads(run("verify", str(PHOTO), "--max-lepton-bytes", "1000", "--json").stdout)[
        "files"
    ][0]
    assert not skipped["verified"] and "exceed" in skipped["codecs"]["lepton"]["error"]


def test_pipeline_bytes_do_not_depend_on_the_process(tmp_path):
    """Same input, pipeline and seed: same bytes, whatever the hash seed or thread count."""
    import os

    outputs = []
    for hash_seed, threads in (("1", "1"), ("2", "2")):
        out = tmp_path / f"{hash_seed}.jpg"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "OPENBLAS_NUM_THREADS": threads}
        subprocess.run(
            [sys.executable, "-m", "jpegsurgeon", "transform", str(PHOTO), str(out), "--no-verify",
             "--seed", "11", "--pass", "randomize-signs", "--pass", "scramble-ac:scope=tile:2",
             "--pass", "requantize:scale=1.5"],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
