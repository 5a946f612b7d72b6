"""forge's outputs: checked before the search, written together, or on stdout."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def forge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jpegsurgeon", "forge", *args],
                          capture_output=True, timeout=300)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "says"),
    [("nodir/x.jpg", "no such directory"), ("x.toml", "its recipe's name"),
     ("clash.jpg", "a directory of that name")],
)  # fmt: skip
def test_bad_outputs_are_refused_before_the_search(tmp_path, name, says):
    (tmp_path / "clash.toml").mkdir()
    done = forge(str(tmp_path / name), "--seed", "1")
    assert done.returncode == 2 and says in done.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clash.toml"]


def test_forge_to_stdout(tmp_path):
    done = forge("-", "--seed", "1", "--budget", "1", "--json")
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout[:2] == b"\xff\xd8" and 524_288 <= len(done.stdout) <= 1_000_000
    report = json.loads(done.stderr[done.stderr.index(b"{") :])
    assert (
        report["recipe"] is None and report["pipeline"] and report["jpeg_bytes"] == len(done.stdout)
    )


def test_forge_against_every_codec_replays_and_scores(tmp_path):
    pytest.importorskip("imagecodecs")
    from PIL import Image

    out = tmp_path / "all.jpg"
    done = forge(str(out), "--target", "lepton", "--target", "jxl", "--seed", "2", "--budget",
                 "2", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr[-500:]
    report = json.loads(done.stdout)
    assert report["targets"] == ["lepton", "jxl"] and report["design"]["family"] == "chains"
    data = out.read_bytes()
    assert 524_288 <= len(data) <= 1_000_000 and report["jpeg_bytes"] == len(data)
    with Image.open(out) as image:
        image.load()
        assert image.size == (report["width"], report["height"]) and image.mode == "RGB"
    # JPEG XL, the hardest of the three, still stores it for more than it takes
    assert report["smallest_ratio"] == min(report["ratios"][n] for n in ("lepton", "jxl")) > 1.7
    replayed = tmp_path / "replayed.jpg"
    again = subprocess.run([sys.executable, "-m", "jpegsurgeon", "transform", str(out),
                            str(replayed), "--pipeline", str(tmp_path / "all.toml"), "--seed",
                            "2", "--no-verify"], capture_output=True)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert replayed.read_bytes() == data


def test_forge_from_a_photo_against_jpeg_xl_is_refused(tmp_path):
    from conftest import FIXTURES

    done = forge(str(tmp_path / "x.jpg"), "--from", str(FIXTURES / "baseline_420_203x157.jpg"),
                 "--target", "jxl")  # fmt: skip
    assert done.returncode == 2 and b"drop --from" in done.stderr
    assert list(tmp_path.iterdir()) == []
