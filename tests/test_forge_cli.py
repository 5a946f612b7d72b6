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
