"""Outputs whole or absent under signals, links and long names; inputs never modified."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import CORPUS, FIXTURES

from jpegsurgeon import cli
from jpegsurgeon.fileio import write_atomic

PHOTO = FIXTURES / "baseline_420_203x157.jpg"


def test_sigterm_during_a_write_removes_the_temporary_file(tmp_path, monkeypatch):
    previous = signal.signal(signal.SIGTERM, cli._terminate)
    real_fsync = os.fsync

    def fsync_then_killed(descriptor: int) -> None:
        real_fsync(descriptor)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(os, "fsync", fsync_then_killed)
    target = tmp_path / "out.jpg"
    target.write_bytes(b"old")
    try:
        with pytest.raises(cli.Terminated):
            write_atomic(str(target), b"new bytes")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jpg"]
    assert target.read_bytes() == b"old"


@pytest.mark.parametrize("delay", [0.8, 1.6])  # reading or encoding; verifying
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_signals_end_a_transform_cleanly(tmp_path, number, delay):
    source = CORPUS / "iphone.jpg"
    if not source.is_file():
        source = PHOTO
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jpegsurgeon",
            "transform",
            str(source),
            str(tmp_path / "o.jpg"),
            "--cycles",
            "12",
        ],
        stderr=subprocess.PIPE,
    )
    time.sleep(delay)
    process.send_signal(number)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the transform finished before the signal came")
    assert process.returncode == 128 + number
    assert stderr.decode().strip().endswith(f"terminated by {signal.Signals(number).name}")
    assert [p.name for p in tmp_path.iterdir() if p.name != "o.jpg"] == []


def test_in_place_through_a_symbolic_link_keeps_the_link(tmp_path):
    target = tmp_path / "real.jpg"
    target.write_bytes(PHOTO.read_bytes())
    link = tmp_path / "link.jpg"
    link.symlink_to(target)
    done = subprocess.run([sys.executable, "-m", "jpegsurgeon", "transform", str(link), str(link),
                           "--in-place", "--no-verify"], capture_output=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != PHOTO.read_bytes()  # rewritten through the link


def test_long_output_names_fit(tmp_path):
    out = tmp_path / ("x" * 246 + ".jpg")  # 250 bytes, NAME_MAX is 255
    done = subprocess.run([sys.executable, "-m", "jpegsurgeon", "transform", str(PHOTO), str(out),
                           "--no-verify"], capture_output=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.is_file()
