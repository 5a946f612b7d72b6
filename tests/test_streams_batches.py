"""Pipes, directory batches, the library API and Dask: the same results every way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES

import jpegsurgeon
from jpegsurgeon.errors import JpegError

PHOTO = FIXTURES / "baseline_420_203x157.jpg"
REFUSED_BY_LEPTON = FIXTURES / "baseline_411_h4v1_203x157.jpg"  # 4:1:1 sampling


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jpegsurgeon", *args], input=stdin,
                          capture_output=True)  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess, code: int = 2) -> str:
    assert done.returncode == code, done.stderr
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jpegsurgeon: error:"), lines
    assert b"Traceback" not in done.stderr
    return lines[0]


# ------------------------------------------------------------------------ pipes


def test_pipe_output_equals_file_output(tmp_path):
    out = tmp_path / "out.jpg"
    assert cli("transform", str(PHOTO), str(out), "--no-verify").returncode == 0
    piped = cli("transform", "-", "-", "--no-verify", stdin=PHOTO.read_bytes())
    assert piped.returncode == 0 and piped.stdout == out.read_bytes()
    assert b"bytes (strict)" in piped.stderr  # the report went to stderr


def test_output_larger_than_a_pipe_buffer_arrives_whole(tmp_path):
    # The command ends without Python's teardown: what it wrote must be flushed first.
    from PIL import Image

    noise = np.random.default_rng(7).integers(0, 256, (768, 1024, 3), dtype=np.uint8)
    source = tmp_path / "noise.jpg"
    Image.fromarray(noise).save(source, quality=95)
    out = tmp_path / "out.jpg"
    assert cli("transform", str(source), str(out), "--no-verify").returncode == 0
    piped = cli("transform", "-", "-", "--no-verify", stdin=source.read_bytes())
    assert piped.returncode == 0 and len(piped.stdout) > 512 << 10
    assert piped.stdout == out.read_bytes()


def test_pipe_with_lepton_and_json_report_on_stderr():
    piped = cli("transform", "-", "-", "--json", "--cycles", "1", stdin=PHOTO.read_bytes())
    assert piped.returncode == 0 and piped.stdout[:2] == b"\xff\xd8"
    report = json.loads(piped.stderr)
    assert report["verified"] and report["output_written"] and report["output"] == "-"


def test_failed_run_writes_nothing_to_stdout():
    piped = cli("transform", "-", "-", stdin=REFUSED_BY_LEPTON.read_bytes())
    assert piped.returncode == 1 and piped.stdout == b""


@pytest.mark.parametrize(("data", "says"), [(b"", "empty"), (b"GIF89a...", "not a JPEG")])
def test_empty_or_foreign_stdin_is_one_line(data, says):
    for command in (["transform", "-", "-"], ["info", "-"], ["verify", "-"]):
        assert says in one_line_error(cli(*command, stdin=data))


def test_info_verify_audit_read_stdin():
    data = PHOTO.read_bytes()
    info = json.loads(cli("info", "-", "--json", stdin=data).stdout)
    assert info["frame"]["width"] == 203
    verify = json.loads(cli("verify", "-", "--json", "--cycles", "1", stdin=data).stdout)
    assert verify["files"][0]["codecs"]["lepton"]["verified"]
    audit = cli("audit", "-", "--profile", "jfif", "--no-lepton", stdin=data)
    assert audit.returncode == 0 and b"PASS -" in audit.stdout


def test_non_regular_input_is_refused_at_once():
    assert "not a regular file" in one_line_error(cli("info", "/dev/zero"))


# ---------------------------------------------------------------------- batches


@pytest.fixture
def tree(tmp_path) -> Path:
    """JPEGs by content (one with another extension), a text file, a
    subdirectory, a file Lepton refuses, and a name that is not UTF-8."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    shutil.copy(PHOTO, root / "a.jpg")
    shutil.copy(FIXTURES / "progressive_420_203x157.jpg", root / "sub" / "b.data")
    shutil.copy(REFUSED_BY_LEPTON, root / "sub" / "refused.jpg")
    (root / "notes.txt").write_text("not a JPEG")
    shutil.copy(PHOTO, os.path.join(os.fsencode(root), b"caf\xe9.jpg"))
    return root


def test_batch_mirrors_names_and_goes_on_after_a_failure(tree, tmp_path):
    out = tmp_path / "out"
    done = cli("transform", str(tree), str(out), "--recursive", "--jobs", "2", "--json",
               "--cycles", "1")  # fmt: skip
    assert done.returncode == 1  # one file was rejected
    report = json.loads(done.stdout)
    inputs = [f["input"] for f in report["files"]]
    assert inputs == sorted(inputs) and len(inputs) == 4
    status = {os.path.relpath(f["input"], os.fsdecode(tree)): f["status"]
              for f in report["files"]}  # fmt: skip
    assert status["a.jpg"] == "written" and status["sub/b.data"] == "written"
    assert status["sub/refused.jpg"] == "rejected"
    assert (out / "sub" / "b.data").is_file() and not (out / "sub" / "refused.jpg").exists()
    assert not (out / "notes.txt").exists()
    assert os.path.isfile(os.path.join(os.fsencode(out), b"caf\xe9.jpg"))
    assert (out / "a.jpg").read_bytes() == jpegsurgeon.transform(PHOTO, verify=False).data


def test_batch_without_recursion_jsonl_and_skip_existing(tree, tmp_path):
    out = tmp_path / "out"
    done = cli("transform", str(tree), str(out), "--jsonl", "--no-verify")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and {os.path.basename(x["input"]) for x in lines} == {
        "a.jpg", os.fsdecode(b"caf\xe9.jpg")}  # fmt: skip
    again = cli("transform", str(tree), str(out), "--jsonl", "--no-verify", "--skip-existing")
    assert {json.loads(line)["status"] for line in again.stdout.splitlines()} == {"skipped"}


def test_only_smaller_keeps_the_input_bytes(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    arithmetic = FIXTURES / "arithmetic_420_203x157.jpg"  # smaller than its Huffman re-emission
    shutil.copy(arithmetic, source / "x.jpg")
    done = cli("transform", str(source), str(tmp_path / "out"), "--only-smaller", "--no-verify",
               "--json")  # fmt: skip
    assert json.loads(done.stdout)["files"][0]["status"] == "copied"
    assert (tmp_path / "out" / "x.jpg").read_bytes() == arithmetic.read_bytes()


def test_unreadable_entries_are_failures_not_tracebacks(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "dangling.jpg").symlink_to(tmp_path / "nowhere")
    os.mkfifo(source / "pipe.jpg")
    shutil.copy(PHOTO, source / "ok.jpg")
    done = cli("transform", str(source), str(tmp_path / "out"), "--no-verify", "--json")
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    status = {os.path.basename(f["input"]): f["status"] for f in json.loads(done.stdout)["files"]}
    assert status == {"dangling.jpg": "failed", "pipe.jpg": "failed", "ok.jpg": "written"}


def test_directory_without_jpegs(tmp_path):
    (tmp_path / "in").mkdir()
    done = cli("transform", str(tmp_path / "in"), str(tmp_path / "out"))
    assert done.returncode == 0 and b"no JPEG" in done.stderr


# ---------------------------------------------------------------------- library


def test_library_transform_takes_paths_bytes_images_and_any_pass_form():
    def darken_dc(image, rng):
        luma = image.components[0].coefficients.copy()
        luma[..., 0, 0] -= 1
        return image.with_coefficients({0: luma})

    by_path = jpegsurgeon.transform(PHOTO, passes=["randomize-signs:fraction=0.5"], seed=3,
                                    verify=False)  # fmt: skip
    by_bytes = jpegsurgeon.transform(PHOTO.read_bytes(), passes=[("randomize-signs",
                                     {"fraction": 0.5})], seed=3, verify=False)  # fmt: skip
    assert by_path.data == by_bytes.data and by_path.verified is None
    image = jpegsurgeon.read(PHOTO)
    result = jpegsurgeon.transform(image, passes=[darken_dc], cycles=1)
    assert result.verified and result.report["codecs"]["lepton"]["verified"]
    again = jpegsurgeon.read(result.data)
    np.testing.assert_array_equal(again.components[0].coefficients[..., 0, 0],
                                  image.components[0].coefficients[..., 0, 0] - 1)  # fmt: skip
    assert result.report["passes"][0]["name"] == "darken_dc"


def test_library_load_pipeline_refuses_unknown_tables(tmp_path):
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text('[[pass]]\nname = "randomize-signs"\nfraction = 0.25\n')
    bad.write_text('[[pas]]\nname = "randomize-signs"\n')
    assert jpegsurgeon.load_pipeline(good)[0].arguments["fraction"] == 0.25
    with pytest.raises(JpegError, match="unknown table 'pas'"):
        jpegsurgeon.load_pipeline(bad)


def test_library_audit_yields_a_report_per_file():
    reports = list(jpegsurgeon.audit([FIXTURES], profile="jfif", lepton=False))
    paths = [r.path for r in reports]
    assert paths == sorted(paths) and len(paths) == len(list(FIXTURES.iterdir()))


# -------------------------------------------------------------------------- Dask


def test_dask_local_cluster_gives_the_local_verdicts(tree, tmp_path):
    pytest.importorskip("dask.distributed")
    local = cli("audit", str(FIXTURES), "--profile", "jfif", "--no-lepton", "--json")
    dask = cli("audit", str(FIXTURES), "--profile", "jfif", "--no-lepton", "--json",
               "--scheduler", "local:2")  # fmt: skip
    assert dask.returncode == local.returncode
    assert json.loads(dask.stdout) == json.loads(local.stdout)
    out_local, out_dask = tmp_path / "a", tmp_path / "b"
    first = cli("transform", str(tree), str(out_local), "-r", "--no-verify", "--json")
    second = cli("transform", str(tree), str(out_dask), "-r", "--no-verify", "--json",
                 "--scheduler", "local:2")  # fmt: skip
    assert first.returncode == second.returncode == 0
    statuses = [[(os.path.basename(f["input"]), f["status"]) for f in json.loads(d.stdout)["files"]]
                for d in (first, second)]  # fmt: skip
    assert statuses[0] == statuses[1]
    for path in out_local.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (out_dask / path.relative_to(out_local)).read_bytes()
