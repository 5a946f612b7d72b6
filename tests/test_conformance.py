"""Damaged and hostile files other projects collected, decoded as libjpeg decodes them.

image-rs/jpeg-decoder's reference, crash-test and fuzz files (in
../shared/corpus-external/jpeg-decoder beside the clone; skipped without it),
against two builds of libjpeg through jpeglib: IJG libjpeg 6b (jpeglib's
default) and libjpeg-turbo 2.1 (what jpegtran and djpeg are here).  Every file
both sides read must give the same coefficients, and the files only one side
reads are the known ones below (the README lists them with the reason).
"""

from __future__ import annotations

import importlib.util
import sys

import jpeglib
import numpy as np
import pytest
from conftest import FIXTURES, ROOT

import jpegsurgeon
from jpegsurgeon.errors import JpegError
from jpegsurgeon.parser import libjpeg_reads_cut_off


def _load_report():
    spec = importlib.util.spec_from_file_location(
        "conformance_report", ROOT / "tools" / "conformance_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


REPORT = _load_report()  # the comparison, shared with tools/conformance_report.py
FILES = REPORT.files()

_CRASHTEST = "tests_crashtest_images_imagetestsuite_{}.jpg".format
# Files jpegsurgeon refuses and one libjpeg reads, per build.
WE_REFUSE = {
    # 6b has no arithmetic decoding and skips DAC segments unread: DAC values
    # out of range, or a DAC the file ends inside, stop neither it nor
    # (unless marked) libjpeg-turbo.
    "6b": {
        "fuzz-afl_in_id_001427,src_000319,op_havoc,rep_1.jpg",
        *(_CRASHTEST(name) for name in (
            "138d3b9e0d9fbf641b8135981e597c3a", "7acc832f70b2ca62e58a953f3b90fd82",
            "acb1fac4e618f636d415f62496e8b70e", "b5369bcbddca7135a5708c5237ad64e4",
            "e6d9eca2c7405e13cfb850b7d0ef7476", "ef1f8a057bb6056674fad92f6b8c0acd",
        )),
        # a scan or a frame naming a component twice: libjpeg does not check
        "fuzz-afl_in_id_002423,src_001504,op_arith32,pos_300,val_-13.jpg",
        _CRASHTEST("39f43f280b31152f1d27df3f9d189317"),
    },
    "turbo210": {
        _CRASHTEST("39f43f280b31152f1d27df3f9d189317"),  # a frame naming a component twice
        # turbo's own leniencies: a DNL of the wrong length read as skipped, a
        # missing Huffman table taken from the standard ones (Motion JPEG), a
        # DC table with a symbol above 15 that no scan decodes with
        "fuzz-afl_in_id_000202,src_000000,op_flip2,pos_178,+cov.jpg",
        "fuzz-afl_in_id_003141,sync_jpeg_turbo,src_001694.jpg",
        "tests_reftest_images_mjpeg.jpg",
        "fuzz-afl_in_id_005745,src_005744,op_flip1,pos_97.jpg",
    },
}  # fmt: skip
# Files libjpeg refuses and jpegsurgeon reads (with warnings), per build.
LIBJPEG_REFUSES = {
    "6b": {
        _CRASHTEST("40bb78b1ac031125a6d8466b374962a8"),
        _CRASHTEST("d15b71b8cebe35a57cc6e996cc09218b"),
        # jpeglib stops after saving 50 markers ("Too many markers"), not libjpeg
        "fuzz-afl_in_id_004294,src_004289,op_flip2,pos_104.jpg",
    },
    "turbo210": {
        _CRASHTEST("40bb78b1ac031125a6d8466b374962a8"),
        _CRASHTEST("d15b71b8cebe35a57cc6e996cc09218b"),
        "fuzz-afl_in_id_004294,src_004289,op_flip2,pos_104.jpg",
        _CRASHTEST("2183d39878e734cf79b62428b02fafb5"),
        _CRASHTEST("5dc71b1d868ef137394d3cc23abea65a"),
    },
}


def _libjpeg(path) -> list[np.ndarray] | None:
    try:
        dct = jpeglib.read_dct(str(path))
    except Exception:  # jpeglib raises its own types for libjpeg's errors
        return None
    arrays = [dct.Y] + ([dct.Cb, dct.Cr] if dct.Cb is not None else [])
    return arrays + ([dct.K] if getattr(dct, "K", None) is not None else [])


@pytest.mark.skipif(not FILES, reason=f"{REPORT.EXTERNAL} is absent")
@pytest.mark.parametrize("version", ["6b", "turbo210"])
def test_jpeg_decoder_corpus_decodes_as_libjpeg_does(version):
    result = REPORT.compare(version, FILES)
    assert result.differ == []
    assert result.we_refuse <= WE_REFUSE[version], result.we_refuse - WE_REFUSE[version]
    unexpected = result.libjpeg_refuses - LIBJPEG_REFUSES[version]
    assert not unexpected, unexpected
    known = len(WE_REFUSE[version]) + len(LIBJPEG_REFUSES[version])
    assert len(result.crashed) <= 1 and result.agree >= len(FILES) - known - 1


def _after_the_scan(segment: bytes) -> bytes:
    """A fixture whose file ends inside `segment`, placed after its only scan."""
    data = (FIXTURES / "baseline_420_203x157.jpg").read_bytes()
    assert data.endswith(b"\xff\xd9")
    return data[:-2] + segment


@pytest.mark.parametrize(
    ("segment", "read"),
    [
        (b"\xff\xe9\x10\x00\x01\x02", True),  # APP9: skipped by its length
        (b"\xff\xfe\x00", True),  # COM, cut inside its length field
        (b"\xff\xdc\x10\x00", True),  # DNL
        (b"\xff\xdd\x00\x04\x00", True),  # DRI of length 4: its value from the fake EOI
        (b"\xff\xdd\x00\x06\x00", False),  # DRI of the wrong length
        (b"\xff\xc4\x10\x00\x00", False),  # DHT: FF D9 as counts add up to too many
        # DHT whose last 3 symbol values come from the fake EOI
        (b"\xff\xc4\x00\x17\x00" + bytes([0, 4] + [0] * 14) + b"\x01\x02", True),
        (b"\xff\xdb\x00\x43\x00" + bytes(range(1, 40)), True),  # DQT: values from the fake EOI
        (b"\xff\xdb\x00\x44\x00" + bytes(range(1, 40)), False),  # DQT: length does not add up
        (b"\xff\xda\x00\x08\x01", False),  # SOS
        (b"\xff\xcc\x00\x06\x01", False),  # DAC (libjpeg-turbo reads it)
    ],
)
def test_a_segment_the_file_ends_inside_is_read_as_libjpeg_reads_it(tmp_path, segment, read):
    """After a scan, libjpeg keeps what it decoded when it can read the cut
    segment from its source manager's fake EOI without an error."""
    path = tmp_path / "cut.jpg"
    path.write_bytes(_after_the_scan(segment))
    assert libjpeg_reads_cut_off(segment[1], segment[2:]) is read
    with jpeglib.version("turbo210"):
        try:
            reference = _libjpeg(path)
        except Exception:  # noqa: BLE001 - any libjpeg error is a refusal
            reference = None
    assert (reference is not None) is read
    if read:
        image = jpegsurgeon.read(path)
        assert any("the image ends there" in str(w) for w in image.warnings)
        for ours, theirs in zip(image.components, reference, strict=True):
            np.testing.assert_array_equal(ours.visible_coefficients, theirs)
    else:
        with pytest.raises(JpegError, match="end of the file"):
            jpegsurgeon.read(path)


def test_invalid_marker_where_a_restart_is_due_is_skipped_as_libjpeg_does(tmp_path):
    """A code below C0 (no marker at all) in front of an RSTn: libjpeg's
    jpeg_resync_to_restart scans past it, and the scan goes on."""
    data = (FIXTURES / "restart_1row_420_203x157.jpg").read_bytes()
    second_restart = data.index(b"\xff\xd1")
    damaged = data[:second_restart] + b"\xff\x05\x12\x34" + data[second_restart:]
    path = tmp_path / "damaged.jpg"
    path.write_bytes(damaged)
    image = jpegsurgeon.read(path)
    assert len(image.scans) == 1 and image.warnings  # damaged, and said so
    for ours, reference in zip(image.components, _libjpeg(path), strict=True):
        np.testing.assert_array_equal(ours.visible_coefficients, reference)
