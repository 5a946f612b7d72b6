"""`ratios`: each codec's ratio per file, the summary per codec, the plot."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
from functools import partial

import pytest
from conftest import FIXTURES

from jpegsurgeon.errors import JpegError
from jpegsurgeon.ratios import (
    CSV_FIELDS,
    _failed,
    format_text,
    iter_ratios,
    jpeg_files,
    measure_file,
    require_matplotlib,
    summarize,
)

GOOD = ("baseline_420_203x157.jpg", "pillow_q90_203x157.jpg")
ARITHMETIC = "arithmetic_420_203x157.jpg"  # lepton refuses arithmetic coding


def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    command = ["-c", code] if code else ["-m", "jpegsurgeon"]
    return subprocess.run([sys.executable, *command, *args], capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


@pytest.fixture
def collection(tmp_path):
    """Two good JPEGs and an arithmetic one (in reverse name order on disk
    creation), a text file, and a JPEG under a subdirectory."""
    for name in (ARITHMETIC, *GOOD)[::-1]:
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a jpeg")
    (tmp_path / "renamed.bin").write_bytes((FIXTURES / GOOD[0]).read_bytes())  # by content
    (tmp_path / "sub").mkdir()
    shutil.copy(FIXTURES / GOOD[1], tmp_path / "sub" / "deep.jpg")
    return tmp_path


def test_a_refusing_codec_is_a_failure_and_the_summary_counts_it():
    files = [str(FIXTURES / n) for n in (*GOOD, ARITHMETIC)]
    results = sorted(iter_ratios(files, ("lepton",), cycles=1), key=lambda r: r.path)
    by_name = {os.path.basename(r.path): r for r in results}
    refused = by_name[ARITHMETIC].codecs["lepton"]
    assert not refused.verified and "arithm" in refused.error and refused.ratio is None
    good = [by_name[n].codecs["lepton"] for n in GOOD]
    assert all(r.verified and 0.3 < r.ratio < 1.0 for r in good)

    summary = summarize(results, ("lepton",))["lepton"]
    assert (summary.files, summary.failures, summary.verified) == (3, 1, 2)
    assert summary.jpeg_bytes == sum(r.jpeg_bytes for r in good)
    assert summary.compressed_bytes == sum(r.compressed_bytes for r in good)
    assert summary.median_ratio == pytest.approx(statistics.median(r.ratio for r in good))
    assert summary.mean_ratio == pytest.approx(statistics.fmean(r.ratio for r in good))
    assert summary.total_ratio == pytest.approx(summary.compressed_bytes / summary.jpeg_bytes)

    text = format_text(results, {"lepton": summary})
    assert "FAIL" in text and f"{ARITHMETIC}: lepton: rejected" in text
    assert "median_ratio" in text.splitlines()[-2]


def test_directories_take_jpegs_by_content(collection):
    missing: list[str] = []
    flat = {os.path.basename(p) for p in jpeg_files([str(collection)], False, missing)}
    assert flat == {*GOOD, ARITHMETIC, "renamed.bin"}
    deep = {os.path.basename(p) for p in jpeg_files([str(collection)], True, missing)}
    assert deep == flat | {"deep.jpg"}
    # a file named explicitly is taken whatever it holds (and then fails)
    named = jpeg_files([str(collection / "notes.txt"), str(collection / "nope")], False, missing)
    assert named == [str(collection / "notes.txt")] and missing == [
        f"{collection / 'nope'}: no such file or directory"
    ]


def test_an_unreadable_file_is_recorded_not_raised(tmp_path):
    result = measure_file(str(tmp_path), ("lepton", "jxl"))  # a directory cannot be read
    assert result.unreadable and result.jpeg_bytes is None and not result.verified
    assert all(r.error.startswith("cannot read") for r in result.codecs.values())


def test_json_sorted_by_path_exit_1_on_a_failure(collection):
    done = run("ratios", str(collection), "--cycles", "1", "--jobs", "2", "--json")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    paths = [f["path"] for f in document["files"]]
    assert paths == sorted(paths) and len(paths) == 4
    entry = next(f for f in document["files"] if f["path"].endswith(ARITHMETIC))
    lepton = entry["codecs"]["lepton"]
    assert set(lepton) == {"verified", "compressed_bytes", "ratio", "cycles", "error"}
    assert lepton["verified"] is False and "arithm" in lepton["error"]
    assert entry["jpeg_bytes"] == (FIXTURES / ARITHMETIC).stat().st_size
    summary = document["summary"]["lepton"]
    assert (summary["files"], summary["failures"], summary["verified"]) == (4, 1, 3)
    assert document["all_verified"] is False
    deep = json.loads(run("ratios", str(collection), "-r", "--cycles", "1", "--json").stdout)
    assert len(deep["files"]) == 5


def test_csv_one_row_per_file_and_codec_exit_0_when_all_verified():
    pytest.importorskip("imagecodecs")  # codec jxl
    files = [str(FIXTURES / n) for n in GOOD]
    done = run("ratios", *files[::-1], "--codec", "lepton", "--codec", "jxl", "--cycles", "1",
               "--csv")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert tuple(rows[0]) == CSV_FIELDS
    assert [(r["path"], r["codec"]) for r in rows] == [
        (f, c) for f in sorted(files) for c in ("lepton", "jxl")
    ]
    for row in rows:
        assert row["verified"] == "true" and row["error"] == ""
        assert float(row["ratio"]) == pytest.approx(
            int(row["compressed_bytes"]) / int(row["jpeg_bytes"])
        )


def test_text_table_and_summary():
    done = run("ratios", str(FIXTURES / GOOD[0]), "--cycles", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["file", "jpeg_bytes", "lepton"]
    assert lines[1].startswith(str(FIXTURES / GOOD[0]))
    assert lines[-1].split()[:3] == ["lepton", "1", "0"]


def test_bad_usage_and_unreadable_paths_exit_2(tmp_path):
    good = str(FIXTURES / GOOD[0])
    assert_one_line_error(run("ratios", good, "--json", "--csv"), "exclude each other")
    missing = run("ratios", good, str(tmp_path / "nope.jpg"), "--cycles", "1", "--json")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip() == f"jpegsurgeon: error: {tmp_path / 'nope.jpg'}: no such file " \
        "or directory"  # fmt: skip
    assert len(json.loads(missing.stdout)["files"]) == 1  # the readable file is still measured
    dangling = tmp_path / "dangling.jpg"
    dangling.symlink_to(tmp_path / "gone.jpg")
    assert run("ratios", str(dangling), "--cycles", "1").returncode == 2


def _dies_on_boom(path: str):
    if path.endswith("boom"):
        os._exit(1)  # as a crash in native code would end the worker
    return measure_file(path, ("lepton",), cycles=1)


def test_a_file_that_kills_its_worker_is_a_failure_and_the_run_goes_on():
    from jpegsurgeon.compliance.runner import parallel

    files = [str(FIXTURES / GOOD[0])] * 3 + ["boom"] + [str(FIXTURES / GOOD[1])] * 3
    crashed = partial(_failed, codecs=("lepton",), reason="killed its worker")
    results = list(parallel(_dies_on_boom, files, 2, crashed, start_method="forkserver"))
    assert sorted(r.path for r in results) == sorted(files)
    failed = [r for r in results if not r.verified]
    assert [r.path for r in failed] == ["boom"]
    assert failed[0].codecs["lepton"].error == "killed its worker"


def test_plot_needs_matplotlib_and_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(JpegError, match=r"pip install"):
        require_matplotlib()
    code = ("import sys; sys.modules['matplotlib'] = None; from jpegsurgeon.cli import main; "
            "main(sys.argv[1:])")  # fmt: skip
    done = run("ratios", str(FIXTURES / GOOD[0]), "--plot", "/tmp/never.png", code=code)
    assert_one_line_error(done, "--plot needs matplotlib", "pip install")


def test_plot_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("imagecodecs")  # codec jxl
    out = tmp_path / "ratios.png"
    files = [str(FIXTURES / n) for n in (*GOOD, ARITHMETIC, "tiny_1x1.jpg")]
    done = run("ratios", *files, "--codec", "lepton", "--codec", "jxl", "--cycles", "1",
               "--plot", str(out))  # fmt: skip
    assert done.returncode == 1, done.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["ratios.png"]  # no temporary left
    nowhere = run("ratios", files[0], "--cycles", "1", "--plot", str(tmp_path / "no" / "x.png"))
    assert_one_line_error(nowhere, "cannot write the plot")
