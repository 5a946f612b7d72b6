"""The `jpegxl` audit profile: each rule broken by a file made here, libjxl's
real round trip agreeing with every verdict, strict output as the repair."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys

import pytest
from conftest import CORPUS, FIXTURES, corpus_file, needs_tool

import jpegsurgeon
from jpegsurgeon.compliance import audit_bytes
from jpegsurgeon.compliance.profiles import PROFILES
from jpegsurgeon.limits import Limits
from jpegsurgeon.markers import Marker

STRUCTURE = {"structure.soi", "structure.parse", "structure.eoi", "decode.complete"}


def needs_jxl() -> None:
    imagecodecs = pytest.importorskip("imagecodecs")
    if not getattr(imagecodecs, "JPEGXL", None) or not imagecodecs.JPEGXL.available:
        pytest.skip("this imagecodecs build has no JPEG XL")


def jxl_round_trip(data: bytes):
    needs_jxl()
    from jpegsurgeon.codecs import round_trip

    return round_trip(data, "jxl", 1)


def errors(report) -> set[str]:
    return {f.rule_id for f in report.findings if f.severity == "error"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def segment(data: bytes, marker: int):
    return next(s for s in jpegsurgeon.read(data).segments if s.marker == marker)


def before_sof(data: bytes, inserted: bytes) -> bytes:
    at = data.index(b"\xff\xc0")
    return data[:at] + inserted + data[at:]


BASE = "baseline_420_203x157.jpg"


# -- one file per rule ----------------------------------------------------------


def twelve_bit() -> bytes:
    data = bytearray(fixture("extended_sof1_q20_203x157.jpg"))
    data[segment(bytes(data), Marker.SOF1).offset + 4] = 12  # same codes, read as 12-bit
    return bytes(data)


def rgb_subsampled() -> bytes:
    """4:2:0 whose components say R, G, B and no JFIF header says YCbCr."""
    data = bytearray(fixture(BASE))
    sof, sos = segment(bytes(data), Marker.SOF0), segment(bytes(data), Marker.SOS)
    for i, name in enumerate(b"RGB"):
        data[sof.offset + 10 + 3 * i] = name
        data[sos.offset + 5 + 2 * i] = name
    app0 = segment(bytes(data), Marker.APP0)
    return bytes(data[: app0.offset] + data[app0.offset + app0.size :])


def refinement_twice() -> bytes:
    data = fixture("progressive_420_203x157.jpg")
    image = jpegsurgeon.read(data)
    last = image.scans[-1]
    sos = [s for s in image.segments if s.marker == Marker.SOS][-1]
    eoi = data.rindex(b"\xff\xd9")
    return data[:eoi] + data[sos.offset : last.data_offset + last.data_length] + data[eoi:]


def unused_quant_table() -> bytes:
    data = fixture(BASE)
    table0 = segment(data, Marker.DQT)
    copy = bytearray(data[table0.offset : table0.offset + table0.size])
    copy[4] = 2  # table 2, a copy of table 0 after table 1: used by nothing
    return before_sof(data, bytes(copy))


def many_huffman_tables() -> bytes:
    """Each of the first 29 AC coefficients in a scan of its own: 92 tables."""
    image = jpegsurgeon.read(fixture("baseline_444_203x157.jpg"))
    lines = ["0,1,2: 0-0 0 0;"]
    for component in range(3):
        lines += [f"{component}: {k}-{k} 0 0;" for k in range(1, 30)] + [f"{component}: 30-63 0 0;"]
    return jpegsurgeon.write(image, scans="\n".join(lines))


def icc_chunk_missing() -> bytes:
    from PIL import Image, ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.open(FIXTURES / "baseline_444_203x157.jpg").save(out, "JPEG", icc_profile=profile)
    data = bytearray(out.getvalue())
    data[data.index(b"ICC_PROFILE\x00") + 13] = 2  # chunk 1 of 2; there is no chunk 2
    return bytes(data)


def reset_points(blocks_high: int = 257, run: int = 236) -> bytes:
    """A progressive 2048-pixel-wide grayscale file whose AC scan codes each
    all-zero block with an EOB of its own after a first run of `run` blocks:
    256 x 257 - 236 = 65,556 EOB-run breaks, one more than libjxl stores."""

    def seg(marker: int, payload: bytes) -> bytes:
        return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload

    def packed(bits: str) -> bytes:
        bits += "1" * (-len(bits) % 8)
        return b"".join(
            b"\xff\x00" if byte == 0xFF else bytes((byte,))
            for byte in (int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
        )

    blocks = 256 * blocks_high
    return b"".join([
        b"\xff\xd8", seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        seg(0xDB, b"\x00" + bytes([1] * 64)),
        seg(0xC2, b"\x08" + struct.pack(">HH", 8 * blocks_high, 2048) + b"\x01\x01\x11\x00"),
        seg(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00"),  # DC: category 0 is '0'
        seg(0xC4, b"\x10" + bytes([1, 1] + [0] * 14) + b"\x00\x70"),  # AC: EOB '0', EOB7 '10'
        seg(0xDA, b"\x01\x01\x00\x00\x00\x00"), packed("0" * blocks),
        seg(0xDA, b"\x01\x01\x00\x01\x3f\x00"),
        packed("10" + format(run - 128, "07b") + "0" * (blocks - run)), b"\xff\xd9",
    ])  # fmt: skip


BREAKERS = {
    "jpegxl.coding": lambda: fixture("arithmetic_420_203x157.jpg"),
    "jpegxl.precision": twelve_bit,
    "jpegxl.components": lambda: fixture("cmyk_pillow_203x157.jpg"),
    "jpegxl.sampling": lambda: fixture("baseline_411_h4v1_203x157.jpg"),
    "jpegxl.scans": refinement_twice,
    "jpegxl.quant-tables": unused_quant_table,
    "jpegxl.huffman-tables": many_huffman_tables,
    "jpegxl.empty-dht": lambda: before_sof(fixture(BASE), b"\xff\xc4\x00\x02"),
    "jpegxl.restart-markers": lambda: jpegsurgeon.write(
        jpegsurgeon.read(fixture(BASE)), progressive=True, restart="1"
    ),
    "jpegxl.markers": lambda: before_sof(fixture(BASE), bytes(65_536)),
    "jpegxl.trailing-data": lambda: fixture(BASE) + bytes(4_260_097),
    "jpegxl.icc": icc_chunk_missing,
    "jpegxl.roundtrip": reset_points,
}
# What strict output cannot hold: no lossless repair.
UNREPAIRABLE = {"jpegxl.precision", "jpegxl.components", "jpegxl.sampling"}


def test_every_rule_of_the_profile_has_a_breaker():
    rules = PROFILES["jpegxl"].rules
    assert set(rules) - STRUCTURE == set(BREAKERS)
    assert all(severity == "error" for severity in rules.values())


@pytest.mark.parametrize("rule_id", sorted(BREAKERS))
def test_breaker_breaks_its_rule_only_and_jxl_refuses_it(rule_id):
    data = BREAKERS[rule_id]()
    report = audit_bytes(data, "jpegxl", lepton=False)
    expected = set() if rule_id == "jpegxl.roundtrip" else {rule_id}
    assert errors(report) == expected, [f.line() for f in report.findings]
    assert report.skipped == ["jpegxl.roundtrip"]
    assert not jxl_round_trip(data).verified
    full = audit_bytes(data, "jpegxl", cycles=1)
    assert errors(full) == {rule_id, "jpegxl.roundtrip"}
    for finding in full.findings:
        assert finding.message and "\n" not in finding.message
        repairable = "repair: jpegsurgeon transform IN OUT" in finding.message
        assert repairable == (rule_id not in UNREPAIRABLE), finding.line()


@pytest.mark.parametrize("rule_id", sorted(set(BREAKERS) - UNREPAIRABLE))
def test_strict_transform_repairs_it(rule_id):
    needs_jxl()
    repaired = jpegsurgeon.write(jpegsurgeon.read(BREAKERS[rule_id]()))
    report = audit_bytes(repaired, "jpegxl", cycles=1)
    assert report.compliant and not report.findings, [f.line() for f in report.findings]
    assert jxl_round_trip(repaired).verified


@pytest.mark.parametrize("rule_id", sorted(UNREPAIRABLE))
def test_strict_output_keeps_what_jxl_refuses(rule_id):
    data = BREAKERS[rule_id]()
    try:
        repaired = jpegsurgeon.write(jpegsurgeon.read(data))
    except jpegsurgeon.JpegError:
        return  # strict JFIF cannot hold it at all
    assert rule_id in errors(audit_bytes(repaired, "jpegxl", lepton=False))


# -- the limits, each side of the line --------------------------------------------


def test_limits_match_libjxl_each_side():
    needs_jxl()
    base = fixture(BASE)
    cases = {
        # (bytes that pass, bytes that fail), the rule that tells them apart
        "jpegxl.trailing-data": (base + bytes(4_260_096), base + bytes(4_260_097)),
        "jpegxl.markers": (before_sof(base, bytes(65_535)), before_sof(base, bytes(65_536))),
        "jpegxl.roundtrip": (reset_points(run=237), reset_points(run=236)),
    }
    for rule_id, (passing, failing) in cases.items():
        assert errors(audit_bytes(passing, "jpegxl", cycles=1)) == set(), rule_id
        assert rule_id in errors(audit_bytes(failing, "jpegxl", cycles=1)), rule_id


def test_marker_count_limit():
    """16,384 markers after SOI (EOI included): 10 in the file, then COMs."""
    base, comment = fixture(BASE), b"\xff\xfe\x00\x03x"
    roomy = Limits(max_segments=20_000)
    at_limit = before_sof(base, comment * 16_374)
    over = before_sof(base, comment * 16_375)
    assert errors(audit_bytes(at_limit, "jpegxl", lepton=False, limits=roomy)) == set()
    assert errors(audit_bytes(over, "jpegxl", lepton=False, limits=roomy)) == {"jpegxl.markers"}
    assert jxl_round_trip(at_limit).verified and not jxl_round_trip(over).verified


def test_huffman_table_count_limit():
    image = jpegsurgeon.read(fixture("baseline_444_203x157.jpg"))
    lines = ["0,1,2: 0-0 0 0;"]
    for component in range(3):
        lines += [f"{component}: {k}-{k} 0 0;" for k in range(1, 29)] + [f"{component}: 29-63 0 0;"]
    data = jpegsurgeon.write(image, scans="\n".join(lines))  # 89 tables
    assert errors(audit_bytes(data, "jpegxl", lepton=False)) == set()
    assert jxl_round_trip(data).verified


@pytest.mark.parametrize(
    "make, passes",
    [
        (lambda d: before_sof(d, b"\xff\xdd\x00\x04\x00\x00"), True),  # one DRI, of 0
        (lambda d: before_sof(d, b"\xff\xdd\x00\x04\x00\x05" * 2), False),  # the same twice
        (lambda d: before_sof(d, b"\xff\xdf\x00\x03\x00\xff\xd3"), True),  # EXP, stray RST
        (lambda d: before_sof(d, b"\xff\xdb\x00\x02"), False),  # empty DQT
    ],
)
def test_segments_jxl_takes_or_refuses(make, passes):
    data = make(fixture(BASE))
    assert audit_bytes(data, "jpegxl", lepton=False).compliant == passes
    assert jxl_round_trip(data).verified == passes


def _dqt(data: bytes, index: int, table_id: int) -> bytes:
    """The file's index-th DQT segment, defining its table under table_id."""
    dqt = [s for s in jpegsurgeon.read(data).segments if s.marker == Marker.DQT][index]
    return data[dqt.offset : dqt.offset + 4] + bytes((table_id,)) + dqt.payload[1:]


@pytest.mark.parametrize(
    "extra, passes",
    [
        ([(1, 1)], True),  # table 1 again, the same: a copy of the definition before
        ([(1, 2)], True),  # an unused table 2 that copies the definition before it
        ([(0, 0)], False),  # table 0 again after table 1: unused, not a copy of table 1
        ([(1, 2), (1, 3)], False),  # four definitions
    ],
)
def test_quant_table_definitions_as_libjxl_counts_them(extra, passes):
    base = fixture(BASE)
    data = before_sof(base, b"".join(_dqt(base, i, t) for i, t in extra))
    assert audit_bytes(data, "jpegxl", lepton=False).compliant == passes
    assert jxl_round_trip(data).verified == passes


@pytest.mark.parametrize(
    "intent, passes", [(b"\x00\x00\x00\x03", True), (b"\x01\x00\x00\x00", True),
                       (b"\x00\x00\x00\x04", False), (b"\x00\x00\x01\x00", False)],
)  # fmt: skip
def test_icc_rendering_intent_either_byte_order(intent, passes):
    data = bytearray(icc_chunk_missing())
    tag = data.index(b"ICC_PROFILE\x00")
    data[tag + 13] = 1  # a whole profile again
    data[tag + 14 + 64 : tag + 14 + 68] = intent
    assert audit_bytes(bytes(data), "jpegxl", lepton=False).compliant == passes
    assert jxl_round_trip(bytes(data)).verified == passes


@pytest.mark.parametrize(
    "sampling, passes",
    [("2x2,2x2,1x1", True), ("1x1,2x2,2x2", True), ("2x1,1x2,1x1", True), ("3x1,1x1,1x1", False)],
)
def test_sampling_as_libjxl_sees_it(sampling, passes):
    """Factors count one by one: chroma above luma is fine, a 3 is not."""
    from PIL import Image

    pixels = Image.open(FIXTURES / "baseline_444_203x157.jpg")
    cjpeg = subprocess.run([needs_tool("cjpeg"), "-sample", sampling], input=_ppm(pixels),
                           capture_output=True, check=True)  # fmt: skip
    assert audit_bytes(cjpeg.stdout, "jpegxl", lepton=False).compliant == passes
    assert jxl_round_trip(cjpeg.stdout).verified == passes


def _ppm(image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "PPM")
    return out.getvalue()


# -- verdicts agree with libjxl -------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.jpg")), ids=lambda p: p.name)
def test_fixture_verdicts_agree_with_jxl(path):
    data = path.read_bytes()
    assert audit_bytes(data, "jpegxl", lepton=False).compliant == jxl_round_trip(data).verified


# Errors of the profile without its round trip; the round trip agrees on each.
CORPUS_VERDICTS = {
    "android.jpg": set(),
    "androidcrop.jpg": set(),
    "androidcropoptions.jpg": set(),
    "androidprogressive.jpg": {"jpegxl.restart-markers"},  # a DRI before most of its 10 scans
    "androidtrail.jpg": set(),
    "arithmetic.jpg": {"jpegxl.coding"},
    "badzerorun.jpg": {"decode.complete", "structure.eoi"},
    "colorswap.jpg": set(),
    "eof_and_trailinghdrdata.jpg": set(),
    "gray2sf.jpg": {"decode.complete", "structure.eoi"},
    "grayscale.jpg": set(),
    "half_scan.jpg": {"structure.eoi"},
    "iphone.jpg": set(),
    "iphonecrop.jpg": set(),
    "iphonecrop2.jpg": set(),
    "iphoneprogressive.jpg": set(),
    "libjpeg-turbo-monkey12.jpg": {"jpegxl.precision"},
    "libjpeg-turbo-testimgari.jpg": {"jpegxl.coding"},
    "libjpeg-turbo-testimgint.jpg": set(),
    "libjpeg-turbo-testorig.jpg": set(),
    "narrowrst.jpg": {"decode.complete", "structure.eoi"},
    "nofsync.jpg": {"decode.complete", "structure.eoi"},
    "pixelated.jpg": {"decode.complete", "structure.eoi"},
    "tiny.jpg": set(),
    "trailingrst.jpg": set(),
    "truncatedzerorun.jpg": {"decode.complete", "structure.eoi"},
    "truncbad.jpg": {"decode.complete", "structure.eoi"},
}


def test_every_corpus_file_has_a_verdict():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    assert {p.name for p in CORPUS.glob("*.jpg")} == set(CORPUS_VERDICTS)


@pytest.mark.parametrize("name", sorted(CORPUS_VERDICTS))
def test_corpus_verdicts(name):
    data = corpus_file(name).read_bytes()
    assert errors(audit_bytes(data, "jpegxl", lepton=False)) == CORPUS_VERDICTS[name]
    assert jxl_round_trip(data).verified == (not CORPUS_VERDICTS[name])


# -- the command --------------------------------------------------------------------------


def test_command_runs_the_profile_and_no_lepton_skips_the_round_trip(tmp_path):
    needs_jxl()
    good, bad = tmp_path / "good.jpg", tmp_path / "bad.jpg"
    good.write_bytes(fixture(BASE))
    bad.write_bytes(BREAKERS["jpegxl.restart-markers"]())
    run = [sys.executable, "-m", "jpegsurgeon", "audit", "--profile", "jpegxl", "--json",
           "--cycles", "1", str(good), str(bad)]  # fmt: skip
    done = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["summary"]["failed_by_rule"] == {
        "jpegxl.restart-markers": 1, "jpegxl.roundtrip": 1
    }  # fmt: skip
    skipped = subprocess.run([*run, "--no-lepton"], capture_output=True, text=True, timeout=120)
    reports = json.loads(skipped.stdout)["files"]
    assert all(r["skipped_rules"] == ["jpegxl.roundtrip"] for r in reports)


def test_missing_codec_is_a_finding(monkeypatch):
    from jpegsurgeon import codecs

    def unavailable(name, **_):
        raise codecs.CodecUnavailable("codec jxl: imagecodecs is not installed")

    monkeypatch.setattr(codecs, "get_codec", unavailable)
    report = audit_bytes(fixture(BASE), "jpegxl", cycles=1)
    assert errors(report) == {"jpegxl.roundtrip"}
    assert "imagecodecs is not installed" in report.findings[0].message
