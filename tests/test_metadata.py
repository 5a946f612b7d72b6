"""--copy none|comments|icc|all against jpegtran's -copy, and auto-orient's EXIF tag."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
from conftest import needs_tool
from marker_walk import layout_of, walk
from PIL import Image, ImageCms

import jpegsurgeon
from jpegsurgeon.cli import main
from jpegsurgeon.passes import parse_spec, run_pipeline

ORIENTATION = 0x0112


def _tagged_jpeg(orientation: int = 6) -> bytes:
    """A photo-like JPEG with EXIF (orientation and a maker), an ICC profile and a comment."""
    rng = np.random.default_rng(orientation)
    picture = Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "jpegsurgeon test"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=b"a comment",
                 quality=90)  # fmt: skip
    return out.getvalue()


def _metadata(data: bytes) -> list[tuple[int, bytes]]:
    return [(m, p) for m, p in walk(data).segments if 0xE0 <= m <= 0xEF or m == 0xFE]


@pytest.mark.parametrize("copy", ["none", "comments", "icc", "all"])
def test_copy_keeps_what_jpegtran_keeps_byte_for_byte(copy, tmp_path):
    source = tmp_path / "in.jpg"
    source.write_bytes(_tagged_jpeg())
    reference = subprocess.run(
        [needs_tool("jpegtran"), "-optimize", "-copy", copy, str(source)],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    ours = jpegsurgeon.write(jpegsurgeon.read(source), copy=copy)
    assert _metadata(ours) == _metadata(reference)
    assert layout_of(ours) == layout_of(reference)
    # the kept segments are the input's own bytes, in the input's order
    kept = _metadata(ours)[1:]  # after our JFIF APP0
    original = [s for s in _metadata(source.read_bytes()) if not s[1].startswith(b"JFIF\0")]
    expected = {"none": [], "comments": [s for s in original if s[0] == 0xFE],
                "icc": [s for s in original if s[0] == 0xE2], "all": original}[copy]  # fmt: skip
    assert kept == expected


def test_copied_output_passes_the_jfif_audit(tmp_path, capsys):
    source, out = tmp_path / "in.jpg", tmp_path / "out.jpg"
    source.write_bytes(_tagged_jpeg())
    with pytest.raises(SystemExit) as status:
        main(["transform", str(source), str(out), "--copy", "all", "--no-verify"])
    assert status.value.code == 0
    with pytest.raises(SystemExit) as status:
        main(["audit", str(out), "--profile", "jfif", "--no-lepton"])
    assert status.value.code == 0
    with pytest.raises(SystemExit) as status:
        main(["info", str(out)])
    assert "APP1 Exif" in capsys.readouterr().out


def test_preserve_refuses_copy(tmp_path):
    source = tmp_path / "in.jpg"
    source.write_bytes(_tagged_jpeg())
    with pytest.raises(SystemExit) as status:
        main(["transform", str(source), str(tmp_path / "o.jpg"), "--preserve", "--copy", "all"])
    assert status.value.code == 2


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_auto_orient_with_copy_all_writes_orientation_one(orientation, tmp_path):
    source = tmp_path / "in.jpg"
    source.write_bytes(_tagged_jpeg(orientation))
    image, _ = run_pipeline(jpegsurgeon.read(source), [parse_spec("auto-orient")], seed=0)
    ours = jpegsurgeon.write(image, copy="all")
    with Image.open(io.BytesIO(ours)) as picture:
        assert picture.getexif()[ORIENTATION] == 1
    option = {3: ["-rotate", "180"], 6: ["-rotate", "90"], 8: ["-rotate", "270"]}[orientation]
    reference = subprocess.run(
        [needs_tool("jpegtran"), "-optimize", "-copy", "none", *option, str(source)],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert layout_of(jpegsurgeon.write(image)) == layout_of(reference)
    # the input's file is untouched
    with Image.open(source) as picture:
        assert picture.getexif()[ORIENTATION] == orientation
