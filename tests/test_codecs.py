"""The verified round trip every codec check runs, and choosing codecs."""

from __future__ import annotations

import os

import pytest
from conftest import FIXTURES

from jpegsurgeon import codecs
from jpegsurgeon.codecs import Codec, CodecUnavailable, resolve_codecs, round_trip

JPEG = (FIXTURES / "baseline_420_203x157.jpg").read_bytes()


def _fake(deterministic: bool) -> Codec:
    """A codec named lepton (so that the repeat compressions may run in a
    forked child) whose compression changes from call to call unless
    `deterministic`."""

    def compress(data: bytes) -> bytes:
        return b"packed" + (b"" if deterministic else os.urandom(8))

    return Codec("lepton", "fake", compress, lambda packed: JPEG)


@pytest.mark.parametrize("in_child", [True, False])
def test_repeat_cycles_compare_the_compressed_bytes(monkeypatch, in_child):
    # the child path is taken only while lepton-jpeg-python has not run here
    monkeypatch.setattr(codecs, "_LEPTON_RAN", not in_child)
    good = round_trip(JPEG, _fake(True), cycles=3)
    assert good.verified and good.cycles == 3 and good.compressed_bytes == len(b"packed")
    bad = round_trip(JPEG, _fake(False), cycles=3)
    assert not bad.verified and bad.cycles == 1
    assert bad.error == "cycle 2: compressed bytes differ from the first cycle's"


def test_a_decompression_that_differs_fails_the_first_cycle():
    codec = Codec("lepton", "fake", lambda data: b"x", lambda packed: JPEG + b"!")
    result = round_trip(JPEG, codec, cycles=2)
    assert result.error == "cycle 1: decompressed JPEG differs from the original"


def test_real_lepton_verifies_and_rejects_with_a_reason():
    assert round_trip(JPEG, "lepton", cycles=3).verified
    refused = round_trip((FIXTURES / "baseline_411_h4v1_203x157.jpg").read_bytes(), "lepton", 2)
    assert not refused.verified and "Sampling" in refused.error


def test_missing_lepton_cpp_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.delenv(codecs.LEPTON_CPP_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no binary built there either
    with pytest.raises(CodecUnavailable, match="build-lepton-cpp.sh"):
        resolve_codecs(["lepton-cpp"])
    with pytest.raises(CodecUnavailable, match="no executable"):
        resolve_codecs(["lepton-cpp"], lepton_cpp=str(tmp_path / "nothing"))
    names = [c.name for c in resolve_codecs(["all"])]
    assert "lepton" in names and "lepton-cpp" not in names


def test_the_built_lepton_cpp_is_found_where_the_build_script_leaves_it(monkeypatch, tmp_path):
    monkeypatch.delenv(codecs.LEPTON_CPP_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = tmp_path / "lepton-cpp" / "lepton"
    built.parent.mkdir()
    built.write_text("#!/bin/sh\nexit 1\n")
    built.chmod(0o755)
    assert codecs.lepton_cpp_path() == str(built)
