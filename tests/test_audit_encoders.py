"""The audit on what real encoders write: never a false alarm.

libjpeg-turbo's cjpeg and jpegtran and Pillow (and mozjpeg's cjpeg, where one
is installed: Debian packages none) encode the 640x480 fixture photo at several
qualities, samplings and modes, at test time.  An unmodified encoder's output
is a compliant JFIF file: the jfif profile finds no error, and no payload.*
rule ever fires in either profile.  Under lepton-challenge (without Lepton)
only the rules that truly apply to a file fire, each named per case below.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES
from PIL import Image

from jpegsurgeon.compliance import audit_path
from jpegsurgeon.compliance.profiles import PROFILES

PHOTO = FIXTURES / "photo.jpg"  # 640x480: both sides inside the challenge's 256..4096
QUALITIES = (50, 75, 90, 95, 100)
SAMPLINGS = ("1x1", "2x2", "2x1")  # 4:4:4, 4:2:0, 4:2:2 (cjpeg's -sample is luma's factors)
MIN_BYTES = PROFILES["lepton-challenge"].settings["min_bytes"]


def mozjpeg_cjpeg() -> str | None:
    """mozjpeg's cjpeg, which Debian does not package: $JPEGSURGEON_MOZJPEG_CJPEG
    or where mozjpeg's own install puts it."""
    for candidate in (os.environ.get("JPEGSURGEON_MOZJPEG_CJPEG"), "/opt/mozjpeg/bin/cjpeg"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass(frozen=True)
class Case:
    name: str
    tools: tuple[str, ...]  # the programs the case runs ("pillow": none)
    make: Callable[[Sources, Path], None]  # writes the JPEG to the path given
    # Sequential Huffman coding with the default (Annex K) tables: huffman.optimal
    # warns, rightly, since libjpeg optimizes only when asked (progressive mode
    # always optimizes, and the rule does not look at progressive files).
    standard_tables: bool = False
    # lepton-challenge errors besides size.window, and jfif warnings besides
    # huffman.optimal, that the case rightly draws (each explained where made)
    extra: frozenset[str] = frozenset()


class Sources:
    """The photo as cjpeg's PPM input, the same photo in shades of grey but
    still in three channels (Cb and Cr flat: their progressive scans' tables
    come out equal), and as Pillow images."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, Path] = {}

    def ppm(self, which: str = "photo") -> Path:
        if which not in self._cache:
            photo = self.directory / "photo.ppm"
            if not photo.exists():
                djpeg = shutil.which("djpeg")
                subprocess.run([djpeg, "-ppm", "-outfile", str(photo), str(PHOTO)], check=True)
            self._cache["photo"] = photo
            grey = self.directory / "grey.ppm"
            with Image.open(photo) as image:
                image.convert("L").convert("RGB").save(grey)
            self._cache["grey"] = grey
        return self._cache[which]

    def image(self, which: str = "photo", keep_info: bool = False) -> Image.Image:
        """The photo's pixels; with keep_info, also what Pillow read besides
        (its COM segment's text, which Pillow writes again on saving)."""
        with Image.open(PHOTO) as image:
            image.load()
            copy = image.convert("L").convert("RGB") if which == "grey" else image.copy()
        if not keep_info:
            copy.info.clear()
        return copy


def cjpeg(*args: str, source: str = "photo", program: str = "cjpeg"):
    def make(sources: Sources, out: Path) -> None:
        binary = mozjpeg_cjpeg() if program == "mozjpeg" else shutil.which(program)
        command = [binary, *args, "-outfile", str(out), str(sources.ppm(source))]
        subprocess.run(command, check=True, capture_output=True)

    return make


def jpegtran(*args: str, quality: int = 75, source: str = "photo"):
    """jpegtran over Pillow's baseline output (libjpeg-turbo's tables and codes)."""

    def make(sources: Sources, out: Path) -> None:
        original = out.with_suffix(".in.jpg")
        sources.image(source).save(original, "JPEG", quality=quality)
        command = [shutil.which("jpegtran"), *args, "-outfile", str(out), str(original)]
        subprocess.run(command, check=True, capture_output=True)

    return make


def pillow(mode: str = "RGB", source: str = "photo", keep_info: bool = False, **options):
    def make(sources: Sources, out: Path) -> None:
        buffer = io.BytesIO()
        image = sources.image(source, keep_info)
        (image.convert(mode) if mode != image.mode else image).save(buffer, "JPEG", **options)
        out.write_bytes(buffer.getvalue())

    return make


def _cases() -> list[Case]:
    cases = []
    for q in QUALITIES:
        # At quality 100 both quantization tables are all ones: equal contents
        # under ids 0 and 1, each used, which is no duplicate.
        for s in SAMPLINGS:
            cases.append(
                Case(
                    f"cjpeg-q{q}-{s}",
                    ("cjpeg", "djpeg"),
                    cjpeg("-quality", str(q), "-sample", s),
                    standard_tables=True,
                )
            )
        cases.append(
            Case(f"cjpeg-q{q}-optimize", ("cjpeg", "djpeg"), cjpeg("-quality", str(q), "-optimize"))
        )
        cases.append(
            Case(
                f"cjpeg-q{q}-progressive",
                ("cjpeg", "djpeg"),
                cjpeg("-quality", str(q), "-progressive"),
            )
        )
        # Grey content in colour: libjpeg's progressive script codes Cb's and
        # Cr's AC bands in scans of their own, both with AC table 1, defined
        # before each; flat chroma gives both scans the same table, defined
        # again after the first scan used it (once a payload.duplicate-table
        # false positive).
        cases.append(
            Case(
                f"cjpeg-q{q}-progressive-grey-content",
                ("cjpeg", "djpeg"),
                cjpeg("-quality", str(q), "-progressive", source="grey"),
            )
        )
        cases.append(
            Case(f"jpegtran-q{q}-optimize", ("jpegtran",), jpegtran("-optimize", quality=q))
        )
        cases.append(
            Case(f"jpegtran-q{q}-progressive", ("jpegtran",), jpegtran("-progressive", quality=q))
        )
        cases.append(
            Case(f"mozjpeg-q{q}", ("mozjpeg",), cjpeg("-quality", str(q), program="mozjpeg"))
        )
        for optimize in (False, True):
            for progressive in (False, True):
                for subsampling in (0, 1, 2):  # 4:4:4, 4:2:2, 4:2:0
                    name = (
                        f"pillow-q{q}-{'optimize' if optimize else 'plain'}-"
                        f"{'progressive' if progressive else 'baseline'}-ss{subsampling}"
                    )
                    make = pillow(
                        quality=q,
                        optimize=optimize,
                        progressive=progressive,
                        subsampling=subsampling,
                    )
                    cases.append(
                        Case(name, (), make, standard_tables=not optimize and not progressive)
                    )
    cases += [
        Case("cjpeg-q75-grayscale", ("cjpeg", "djpeg"), cjpeg("-grayscale"),
             standard_tables=True),
        Case("cjpeg-q75-grayscale-progressive", ("cjpeg", "djpeg"),
             cjpeg("-grayscale", "-progressive")),
        Case("cjpeg-q75-restart-1-row", ("cjpeg", "djpeg"), cjpeg("-restart", "1"),
             standard_tables=True),
        Case("cjpeg-q75-optimize-restart-5-blocks", ("cjpeg", "djpeg"),
             cjpeg("-optimize", "-restart", "5B")),
        # arithmetic coding is JFIF too (Lepton would refuse it, but it is skipped
        # here); no Huffman tables, so neither huffman nor table rules apply
        Case("cjpeg-q75-arithmetic", ("cjpeg", "djpeg"), cjpeg("-arithmetic")),
        Case("jpegtran-q75-optimize-progressive", ("jpegtran",),
             jpegtran("-optimize", "-progressive")),
        Case("jpegtran-q75-progressive-grey-content", ("jpegtran",),
             jpegtran("-progressive", source="grey")),
        Case("jpegtran-q75-restart-2-rows", ("jpegtran",), jpegtran("-restart", "2"),
             standard_tables=True),  # jpegtran re-encodes with the default tables
        Case("pillow-q75-L", (), pillow("L", quality=75), standard_tables=True),
        Case("pillow-q75-L-progressive", (), pillow("L", quality=75, progressive=True)),
        Case("pillow-q75-progressive-grey-content-ss0", (),
             pillow(source="grey", quality=75, progressive=True, subsampling=0)),
        Case("pillow-q75-progressive-grey-content-ss2", (),
             pillow(source="grey", quality=75, progressive=True, subsampling=2)),
        # what the caller asked Pillow to embed: metadata, rightly found
        Case("pillow-q75-exif", (), pillow(quality=75, exif=_exif()), standard_tables=True,
             extra=frozenset({"segments.app"})),  # an APP1 Exif segment
        Case("pillow-q75-icc", (), pillow(quality=75, icc_profile=_icc()),
             standard_tables=True, extra=frozenset({"segments.app"})),  # an APP2 ICC segment
        Case("pillow-q75-comment", (), pillow(quality=75, comment=b"made by Pillow"),
             standard_tables=True, extra=frozenset({"segments.com"})),
        # Pillow writes again the COM text it read from photo.jpg
        Case("pillow-q75-resaved-with-its-info", (), pillow(keep_info=True, quality=75),
             standard_tables=True, extra=frozenset({"segments.com"})),
    ]  # fmt: skip
    return cases


def _icc() -> bytes:
    try:
        from PIL import ImageCms
    except ImportError:  # Pillow built without littlecms: any bytes make the segment
        return b"\x00" * 128
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x0131] = "jpegsurgeon tests"  # Software
    return exif.tobytes()


CASES = _cases()


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Sources:
    return Sources(tmp_path_factory.mktemp("sources"))


def encode(case: Case, sources: Sources, directory: Path) -> Path:
    for tool in case.tools:
        if tool == "mozjpeg":
            if mozjpeg_cjpeg() is None:
                pytest.skip("mozjpeg's cjpeg is absent (Debian does not package it)")
        elif shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian package libjpeg-turbo-progs)")
    out = directory / f"{case.name}.jpg"
    case.make(sources, out)
    return out


def findings(path: Path, profile: str) -> tuple[set[str], set[str]]:
    report = audit_path(str(path), profile, lepton=False, cycles=1)
    assert report.skipped == ["lepton.roundtrip"] or profile == "jfif"
    errors = {f.rule_id for f in report.findings if f.severity == "error"}
    warnings = {f.rule_id for f in report.findings if f.severity == "warning"}
    return errors, warnings


def test_the_matrix_covers_the_encoders_asked_for():
    names = {c.name for c in CASES}
    for q in QUALITIES:
        assert {f"cjpeg-q{q}-{s}" for s in SAMPLINGS} <= names
        assert {f"cjpeg-q{q}-progressive", f"jpegtran-q{q}-optimize",
                f"jpegtran-q{q}-progressive", f"mozjpeg-q{q}"} <= names  # fmt: skip
        assert {f"pillow-q{q}-{o}-{m}-ss{s}" for o in ("plain", "optimize")
                for m in ("baseline", "progressive") for s in (0, 1, 2)} <= names  # fmt: skip
    assert len(names) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_encoder_output_draws_no_false_alarm(case, sources, tmp_path):
    path = encode(case, sources, tmp_path)
    size = path.stat().st_size

    errors, warnings = findings(path, "jfif")
    assert not errors, f"{case.name}: {errors}"
    expected = {"huffman.optimal"} if case.standard_tables else set()
    assert warnings == expected | case.extra, case.name

    errors, _ = findings(path, "lepton-challenge")
    # Every file here is far below the challenge's 0.5 MB: size.window, rightly.
    # 640x480 lies in 256..4096 a side: no dimensions.range.  cjpeg, jpegtran
    # and Pillow write a 16-byte JFIF APP0 and no other APPn or COM unless
    # asked (case.extra): no segments.app, segments.com or jfif.no-thumbnail.
    # Never a payload.* rule: an encoder smuggles nothing.
    assert size < MIN_BYTES
    assert errors == {"size.window"} | case.extra, case.name
    assert not {e for e in errors if e.startswith("payload.")}


def test_a_photo_inside_the_window_passes_every_rule_but_lepton(sources, tmp_path):
    """Sized into the challenge's window (photo enlarged to 1280x960, with seeded
    noise to reach ~0.7 MB at quality 95), cjpeg's and Pillow's output meets
    every lepton-challenge rule as it comes: no finding at all (Lepton's round
    trip skipped: it is slow and tested elsewhere)."""
    with Image.open(PHOTO) as photo:
        pixels = np.asarray(photo.resize((1280, 960), Image.BICUBIC), np.float64)
    noise = np.random.default_rng(14).normal(0, 12, pixels.shape)
    image = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    outputs = [tmp_path / "pillow.jpg"]
    image.save(outputs[0], "JPEG", quality=95, optimize=True)
    if shutil.which("cjpeg"):
        image.save(tmp_path / "big.ppm")
        outputs.append(tmp_path / "cjpeg.jpg")
        subprocess.run(["cjpeg", "-quality", "95", "-optimize", "-outfile", str(outputs[1]),
                        str(tmp_path / "big.ppm")], check=True)  # fmt: skip
    settings = PROFILES["lepton-challenge"].settings
    for path in outputs:
        assert settings["min_bytes"] < path.stat().st_size < settings["max_bytes"]
        report = audit_path(str(path), "lepton-challenge", lepton=False, cycles=1)
        assert report.compliant and not report.findings, [f.line() for f in report.findings]


def test_non_jfif_colour_spaces_fail_only_for_what_they_are(sources, tmp_path):
    """RGB (cjpeg -rgb) and CMYK (Pillow) files carry an Adobe APP14 in place of
    the JFIF APP0: structure.jfif-app0 and segments.app, rightly; still no
    payload.* rule."""
    made = tmp_path / "cmyk.jpg"
    sources.image().convert("CMYK").save(made, "JPEG", quality=75)
    paths = [made]
    if shutil.which("cjpeg") and shutil.which("djpeg"):
        paths.append(tmp_path / "rgb.jpg")
        cjpeg("-rgb")(sources, paths[-1])
    for path in paths:
        errors, warnings = findings(path, "jfif")
        assert errors == {"structure.jfif-app0"}, path.name
        assert warnings == {"segments.app", "huffman.optimal"}, path.name
        errors, _ = findings(path, "lepton-challenge")
        assert errors == {"structure.jfif-app0", "segments.app", "size.window"}, path.name


def test_the_command_passes_encoder_output(sources, tmp_path):
    """`jpegsurgeon audit DIR --profile jfif --no-lepton` over a few of the files
    above (quality 100's equal tables, progressive grey content): exit 0, and
    no payload rule named."""
    picked = [c for c in CASES if c.name in {
        "pillow-q100-plain-baseline-ss0", "pillow-q75-progressive-grey-content-ss2",
        "cjpeg-q100-1x1", "cjpeg-q90-progressive-grey-content", "jpegtran-q100-progressive",
    }]  # fmt: skip
    available = [c for c in picked if all(shutil.which(t) for t in c.tools)]
    assert available  # Pillow's two cases at least
    for case in available:
        encode(case, sources, tmp_path)
    command = [sys.executable, "-m", "jpegsurgeon", "audit", str(tmp_path), "--profile", "jfif",
               "--no-lepton"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "payload." not in result.stdout  # not even as a warning
