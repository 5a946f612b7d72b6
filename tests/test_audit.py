"""The audit: one breaking file per rule, the corpus's verdicts, hostile input."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
from conftest import CORPUS, FIXTURE_FILES, ROOT, corpus_file
from hypothesis import HealthCheck, given, settings
from test_robustness import mutated

from jpegsurgeon.compliance import audit_bytes, audit_path
from jpegsurgeon.compliance.profiles import PROFILES
from jpegsurgeon.compliance.rules import RULES


def _load_fixture_maker():
    spec = importlib.util.spec_from_file_location(
        "make_audit_fixtures", ROOT / "tools" / "make_audit_fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def audit_fixtures(tmp_path_factory):
    return _load_fixture_maker().build(tmp_path_factory.mktemp("audit"))


def errors(report) -> set[str]:
    return {f.rule_id for f in report.findings if f.severity == "error"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jpegsurgeon", *args], capture_output=True, text=True, timeout=300
    )


def test_profiles_name_only_known_rules():
    for profile in PROFILES.values():
        assert set(profile.rules) <= set(RULES)
    assert set().union(*(p.rules for p in PROFILES.values())) == set(RULES)


def test_compliant_file_passes_every_rule_lepton_included(audit_fixtures):
    report = audit_path(str(audit_fixtures["compliant"]), "lepton-challenge", True, 3)
    assert report.compliant and not report.findings, [f.line() for f in report.findings]
    assert 0.5 < report.ratio < 1.2


BREAKERS = [r for r in PROFILES["lepton-challenge"].rules if r != "lepton.roundtrip"]


@pytest.mark.parametrize("rule_id", BREAKERS)
def test_each_fixture_breaks_its_rule_and_only_it(audit_fixtures, rule_id):
    report = audit_path(str(audit_fixtures[rule_id]), "lepton-challenge", False, 1)
    assert errors(report) == {rule_id}, [f.line() for f in report.findings]
    assert report.skipped == ["lepton.roundtrip"]
    finding = next(f for f in report.findings if f.rule_id == rule_id)
    assert finding.message and "\n" not in finding.message


def test_lepton_rule_fixture(audit_fixtures):
    report = audit_path(str(audit_fixtures["lepton.roundtrip"]), "lepton-challenge", True, 1)
    assert errors(report) == {"lepton.roundtrip"}
    assert "Sampling" in report.findings[0].message


# Expected errors per corpus file: (jfif profile, lepton-challenge profile without Lepton).
# Progressive files redefine Huffman tables between scans, each used: no duplicate.
# colorswap and half_scan hold the same table under two ids: a duplicate.
CORPUS_VERDICTS = {
    "android.jpg": ({"structure.jfif-app0"}, {"segments.app", "size.window", "structure.jfif-app0"}),  # noqa: E501
    "androidcrop.jpg": (set(), {"segments.app", "size.window"}),
    "androidcropoptions.jpg": (set(), {"segments.app", "size.window"}),
    "androidprogressive.jpg": (set(), {"segments.app", "size.window"}),
    "androidtrail.jpg": (set(), {"segments.app", "size.window"}),
    "arithmetic.jpg": ({"structure.jfif-app0"}, {"size.window", "structure.jfif-app0"}),
    "badzerorun.jpg": (
        {"decode.complete", "structure.eoi"},
        {"decode.complete", "dimensions.range", "size.window", "structure.eoi"},
    ),
    "colorswap.jpg": (
        set(), {"dimensions.range", "segments.com", "size.window"}
    ),
    "eof_and_trailinghdrdata.jpg": (set(), {"segments.app", "size.window"}),
    "gray2sf.jpg": (
        {"decode.complete", "structure.eoi", "structure.jfif-app0"},
        {"decode.complete", "size.window", "structure.eoi", "structure.jfif-app0"},
    ),
    "grayscale.jpg": (set(), {"segments.app", "size.window"}),
    "half_scan.jpg": (
        {"structure.eoi"}, {"size.window", "structure.eoi"}
    ),
    "iphone.jpg": ({"structure.jfif-app0"}, {"segments.app", "size.window", "structure.jfif-app0"}),
    "iphonecrop.jpg": (set(), {"segments.app", "size.window"}),
    "iphonecrop2.jpg": (set(), {"segments.app", "size.window"}),
    "iphoneprogressive.jpg": (set(), {"segments.app", "size.window"}),
    "libjpeg-turbo-monkey12.jpg": (set(), {"dimensions.range", "segments.app", "size.window"}),
    "libjpeg-turbo-testimgari.jpg": (set(), {"dimensions.range", "size.window"}),
    "libjpeg-turbo-testimgint.jpg": (set(), {"dimensions.range", "size.window"}),
    "libjpeg-turbo-testorig.jpg": (set(), {"dimensions.range", "size.window"}),
    "narrowrst.jpg": (
        {"decode.complete", "structure.eoi"},
        {"decode.complete", "dimensions.range", "size.window", "structure.eoi"},
    ),
    "nofsync.jpg": (
        {"decode.complete", "structure.eoi"},
        {"decode.complete", "dimensions.range", "segments.app", "size.window", "structure.eoi"},
    ),
    "pixelated.jpg": (
        {"decode.complete", "structure.eoi"},
        {"decode.complete", "size.window", "structure.eoi"},
    ),
    "tiny.jpg": (set(), {"dimensions.range", "segments.app", "size.window"}),
    "trailingrst.jpg": (
        {"payload.stray-bytes"}, {"dimensions.range", "payload.stray-bytes", "size.window"}
    ),
    "truncatedzerorun.jpg": (
        {"decode.complete", "structure.eoi", "structure.jfif-app0"},
        {"decode.complete", "dimensions.range", "segments.app", "size.window", "structure.eoi",
         "structure.jfif-app0"},
    ),
    "truncbad.jpg": (
        {"decode.complete", "structure.eoi"},
        {"decode.complete", "segments.app", "size.window", "structure.eoi"},
    ),
}  # fmt: skip


def test_every_corpus_file_has_a_verdict():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    assert {p.name for p in CORPUS.glob("*.jpg")} == set(CORPUS_VERDICTS)


@pytest.mark.parametrize("name", sorted(CORPUS_VERDICTS))
def test_corpus_verdicts(name):
    path = str(corpus_file(name))
    jfif, challenge = CORPUS_VERDICTS[name]
    assert errors(audit_path(path, "jfif", False, 1)) == jfif
    assert errors(audit_path(path, "lepton-challenge", False, 1)) == challenge


def test_jfif_profile_warns_of_legal_oddities():
    photo = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
    report = audit_path(str(photo), "jfif", False, 1)
    assert report.compliant
    assert {f.rule_id for f in report.findings} == {"segments.com", "huffman.optimal"}
    restart = next(p for p in FIXTURE_FILES if p.name.startswith("restart_5mcu"))
    warned = {f.rule_id for f in audit_path(str(restart), "jfif", False, 1).findings}
    assert "restart.alignment" in warned


HOSTILE = {
    "empty": b"",
    "png": b"\x89PNG\r\n\x1a\n" + bytes(100),
    "huge frame": b"\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03\x01\x22\x00\x02\x11\x01"
    b"\x03\x11\x01\xff\xd9",
    "impossible code counts": b"\xff\xd8\xff\xc4\x00\x13\x00" + bytes([255] * 16) + b"\xff\xd9",
    "DHT longer than the file": b"\xff\xd8\xff\xc4\xff\xf0\x00\x01",
    "random bytes": bytes(range(256)) * 40,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_a_finding(name):
    report = audit_bytes(HOSTILE[name], "lepton-challenge", name, lepton=False)
    assert not report.compliant and report.findings
    assert all("\n" not in f.message for f in report.findings)


def test_scan_that_never_ends():
    photo = next(p for p in FIXTURE_FILES if p.name == "photo.jpg").read_bytes()
    endless = photo[:-2] + bytes(range(0, 255)) * 4000  # no marker ever closes the scan
    report = audit_bytes(endless, "jfif", lepton=False)
    assert "structure.eoi" in errors(report)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_bytes_always_get_a_report(data):
    report = audit_bytes(data, "lepton-challenge", lepton=False)
    assert "audit.internal" not in {f.rule_id for f in report.findings}


def test_command_exit_codes_and_outputs(audit_fixtures, tmp_path):
    compliant = str(audit_fixtures["compliant"])
    broken = str(audit_fixtures["segments.com"])
    ok = run("audit", compliant, "--cycles", "1")
    assert ok.returncode == 0 and ok.stdout.startswith("PASS") and "Lepton ratio" in ok.stdout
    mixed = run("audit", compliant, broken, "--no-lepton", "--json")
    assert mixed.returncode == 1
    document = json.loads(mixed.stdout)
    assert document["summary"]["failed_by_rule"] == {"segments.com": 1}
    assert document["summary"]["lepton_skipped"] is True
    lines = run("audit", str(audit_fixtures["compliant"].parent), "--no-lepton", "--jsonl",
                "--jobs", "2").stdout.splitlines()  # fmt: skip
    assert len(lines) == len(audit_fixtures)
    assert all(json.loads(line)["path"] for line in lines)
    missing = run("audit", compliant, str(tmp_path / "nope.jpg"), "--no-lepton")
    assert missing.returncode == 2 and "nope.jpg" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_recursive_walk(tmp_path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    photo = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
    (nested / "photo.jpg").write_bytes(photo.read_bytes())
    (tmp_path / "notes.txt").write_text("not a jpeg")
    flat = json.loads(run("audit", str(tmp_path), "--no-lepton", "--json").stdout)
    deep = json.loads(run("audit", str(tmp_path), "-r", "--no-lepton", "--json").stdout)
    assert flat["summary"]["files"] == 1 and deep["summary"]["files"] == 2


def _dies_on_boom(path: str):
    from jpegsurgeon.compliance import FileReport

    if path.endswith("boom"):
        os._exit(1)  # as a crash in native code would end the worker
    return FileReport(path, 1, "lepton-challenge")


def test_a_file_that_kills_its_worker_is_a_finding_and_the_run_goes_on():
    from jpegsurgeon.compliance.runner import parallel

    files = [f"a{i}" for i in range(9)] + ["boom"] + [f"b{i}" for i in range(9)]
    reports = list(parallel(_dies_on_boom, files, 2))
    assert sorted(r.path for r in reports) == sorted(files)
    failed = [r for r in reports if not r.compliant]
    assert [r.path for r in failed] == ["boom"]
    assert failed[0].findings[0].rule_id == "audit.crash"


@pytest.mark.parametrize(
    "inserted, rule_id",
    [(bytes(range(1, 101)), "payload.stray-bytes"), (b"\xff" * 200, "payload.fill-bytes")],
)
def test_bytes_smuggled_in_front_of_a_restart_marker_are_found(inserted, rule_id):
    path = next(p for p in FIXTURE_FILES if p.name.startswith("restart_1row"))
    data = path.read_bytes()
    first_rst = data.index(b"\xff\xd0")
    smuggled = data[:first_rst] + inserted + data[first_rst:]
    report = audit_bytes(smuggled, "jfif", lepton=False)
    assert rule_id in {f.rule_id for f in report.findings}
    assert not {f.rule_id for f in audit_bytes(data, "jfif", lepton=False).findings} & {rule_id}
