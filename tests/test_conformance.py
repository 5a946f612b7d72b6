"""Damaged and hostile files other projects collected, decoded as libjpeg decodes them.

image-rs/jpeg-decoder's reference, crash-test and fuzz files (in
../shared/corpus-external/jpeg-decoder beside the clone; skipped without it):
every file both libjpeg (jpeglib.read_dct) and jpegsurgeon read must give the
same coefficients, and the files only one side reads are the known ones below
(the README lists them with the reason).
"""

from __future__ import annotations

import jpeglib
import numpy as np
import pytest
from conftest import FIXTURES, ROOT

import jpegsurgeon
from jpegsurgeon.errors import JpegError

EXTERNAL = ROOT.parent / "shared" / "corpus-external" / "jpeg-decoder"
FILES = sorted(EXTERNAL.glob("*.jpg")) if EXTERNAL.is_dir() else []

# jpegsurgeon refuses, libjpeg reads: a segment after the scans that the file
# ends inside, or parameters libjpeg does not check (DAC values, repeated
# components), where libjpeg reads on.
WE_REFUSE = {
    "fuzz-afl_in_id_000227,src_000000,op_flip2,pos_503,+cov.jpg",
    "fuzz-afl_in_id_001427,src_000319,op_havoc,rep_1.jpg",
    "fuzz-afl_in_id_002423,src_001504,op_arith32,pos_300,val_-13.jpg",
    *(f"tests_crashtest_images_imagetestsuite_{name}.jpg" for name in (
        "138d3b9e0d9fbf641b8135981e597c3a", "21ad703b38e2c350215bb92a849486f3",
        "39f43f280b31152f1d27df3f9d189317", "5482a54657765056f1a94116a8dbffe7",
        "5baad44ca4702949724234e35c5bb341", "5bc61724b33e34a6188a817f9f2f8138",
        "5c67195f6993c9f8d0d32d4ffe0d8e62", "7acc832f70b2ca62e58a953f3b90fd82",
        "9efd60f04cd971daa83d3131e6d6f389", "acb1fac4e618f636d415f62496e8b70e",
        "b5369bcbddca7135a5708c5237ad64e4", "c3018ebe53d0046eecb58858ca869a99",
        "e6d9eca2c7405e13cfb850b7d0ef7476", "ef1f8a057bb6056674fad92f6b8c0acd",
    )),
}  # fmt: skip
# libjpeg refuses, jpegsurgeon reads (with warnings).
LIBJPEG_REFUSES = {
    "tests_crashtest_images_imagetestsuite_40bb78b1ac031125a6d8466b374962a8.jpg",
    "tests_crashtest_images_imagetestsuite_d15b71b8cebe35a57cc6e996cc09218b.jpg",
}


def _libjpeg(path) -> list[np.ndarray] | None:
    try:
        dct = jpeglib.read_dct(str(path))
    except Exception:  # jpeglib raises its own types for libjpeg's errors
        return None
    arrays = [dct.Y] + ([dct.Cb, dct.Cr] if dct.Cb is not None else [])
    return arrays + ([dct.K] if getattr(dct, "K", None) is not None else [])


def _ours(path) -> list[np.ndarray] | None:
    try:
        return [c.visible_coefficients for c in jpegsurgeon.read(path).components]
    except JpegError:
        return None


@pytest.mark.skipif(not FILES, reason=f"{EXTERNAL} is absent")
def test_jpeg_decoder_corpus_decodes_as_libjpeg_does():
    differ, we_refuse, libjpeg_refuses, agree = [], set(), set(), 0
    for path in FILES:
        reference, ours = _libjpeg(path), _ours(path)
        if reference is None and ours is None:
            agree += 1
        elif reference is None:
            libjpeg_refuses.add(path.name)
        elif ours is None:
            we_refuse.add(path.name)
        elif len(ours) != len(reference) or any(
            a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(ours, reference)
        ):
            differ.append(path.name)
        else:
            agree += 1
    assert differ == []
    assert we_refuse <= WE_REFUSE, we_refuse - WE_REFUSE
    assert libjpeg_refuses <= LIBJPEG_REFUSES, libjpeg_refuses - LIBJPEG_REFUSES
    assert agree >= len(FILES) - len(WE_REFUSE) - len(LIBJPEG_REFUSES)


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
