"""Scan scripts against jpegtran: its -scans syntax, its checks, its default progression."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jpegsurgeon.scan_script import (
    ScanScriptError,
    ScanSpec,
    format_scan_script,
    parse_scan_script,
    sequential_script,
    simple_progression,
    validate_scan_script,
)

S = ScanSpec
YCC_420 = [(2, 2), (1, 1), (1, 1)]
BASELINE_420 = FIXTURES / "baseline_420_203x157.jpg"
TINY_420 = FIXTURES / "tiny_8x8.jpg"

# The three example scripts of libjpeg's wizard.txt.
WIZARD_PARTIAL = """\
        0;                      # Y only in first scan
        1 2;                    # Cb and Cr in second scan
"""
WIZARD_SPECTRAL = """\
        # Interleaved DC scan for Y,Cb,Cr:
        0,1,2: 0-0,   0, 0 ;
        # AC scans:
        0:     1-2,   0, 0 ;    # First two Y AC coefficients
        0:     3-5,   0, 0 ;    # Three more
        1:     1-63,  0, 0 ;    # All AC coefficients for Cb
        2:     1-63,  0, 0 ;    # All AC coefficients for Cr
        0:     6-9,   0, 0 ;    # More Y coefficients
        0:     10-63, 0, 0 ;    # Remaining Y coefficients
"""
WIZARD_SUCCESSIVE = """\
        # Initial DC scan for Y,Cb,Cr (lowest bit not sent)
        0,1,2: 0-0,   0, 1 ;
        # First AC scan: send first 5 Y AC coefficients, minus 2 lowest bits:
        0:     1-5,   0, 2 ;
        # Send all Cr,Cb AC coefficients, minus lowest bit:
        # (chroma data is usually too small to be worth subdividing further;
        #  but note we send Cr first since eye is least sensitive to Cb)
        2:     1-63,  0, 1 ;
        1:     1-63,  0, 1 ;
        # Send remaining Y AC coefficients, minus 2 lowest bits:
        0:     6-63,  0, 2 ;
        # Send next-to-lowest bit of all Y AC coefficients:
        0:     1-63,  2, 1 ;
        # At this point we've sent all but the lowest bit of all coefficients.
        # Send lowest bit of DC coefficients
        0,1,2: 0-0,   1, 0 ;
        # Send lowest bit of AC coefficients
        2:     1-63,  1, 0 ;
        1:     1-63,  1, 0 ;
        # Y AC lowest bit scan is last; it's usually the largest scan
        0:     1-63,  1, 0 ;
"""


# --------------------------------------------------------------------------
# An independent marker walk and jpegtran as the oracle


def sos_headers(data: bytes) -> list[tuple[tuple[int, ...], int, int, int, int]]:
    """(component indexes, Ss, Se, Ah, Al) of every SOS in a JPEG file, in order."""
    assert data[:2] == b"\xff\xd8"
    pos, ids, found = 2, [], []
    while True:
        assert data[pos] == 0xFF, f"no marker at offset {pos}"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return found
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        body = data[pos + 4 : pos + 2 + length]
        pos += 2 + length
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            ids = [body[6 + 3 * i] for i in range(body[5])]
        if marker == 0xDA:
            n = body[0]
            selectors = [body[1 + 2 * i] for i in range(n)]
            ss, se, a = body[1 + 2 * n], body[2 + 2 * n], body[3 + 2 * n]
            found.append((tuple(ids.index(s) for s in selectors), ss, se, a >> 4, a & 15))
            # Entropy data runs to the first marker that is neither stuffing nor RSTn.
            while data[pos] != 0xFF or data[pos + 1] == 0 or 0xD0 <= data[pos + 1] <= 0xD7:
                pos += 1


def as_headers(scans: list[ScanSpec]) -> list[tuple[tuple[int, ...], int, int, int, int]]:
    return [(s.components, s.ss, s.se, s.ah, s.al) for s in scans]


def jpegtran() -> str:
    path = shutil.which("jpegtran")
    if path is None:
        pytest.skip("jpegtran is not installed (Debian package libjpeg-turbo-progs)")
    return path


def run_jpegtran(args: list[str], source: Path) -> subprocess.CompletedProcess:
    return subprocess.run([jpegtran(), *args, str(source)], capture_output=True, timeout=60)


def jpegtran_scans(script: str | bytes, source: Path, tmp_path: Path):
    """jpegtran -scans with this script text: the completed process."""
    path = tmp_path / "script.txt"
    path.write_bytes(script.encode() if isinstance(script, str) else script)
    return run_jpegtran(["-scans", str(path)], source)


@pytest.fixture(scope="module")
def rgb_jpeg(tmp_path_factory) -> Path:
    """A three-component RGB (not YCbCr) JPEG, made by cjpeg -rgb."""
    djpeg, cjpeg = shutil.which("djpeg"), shutil.which("cjpeg")
    if djpeg is None or cjpeg is None:
        pytest.skip("djpeg/cjpeg are not installed (Debian package libjpeg-turbo-progs)")
    folder = tmp_path_factory.mktemp("rgb")
    ppm = folder / "image.ppm"
    ppm.write_bytes(
        subprocess.run(
            [djpeg, "-ppm", str(FIXTURES / "baseline_444_203x157.jpg")],
            capture_output=True,
            check=True,
        ).stdout
    )
    out = folder / "rgb.jpg"
    encoded = subprocess.run([cjpeg, "-rgb", str(ppm)], capture_output=True, check=True)
    out.write_bytes(encoded.stdout)
    return out


# --------------------------------------------------------------------------
# Parsing


def test_wizard_partially_interleaved_script():
    scans = parse_scan_script(WIZARD_PARTIAL)
    assert scans == [S((0,)), S((1, 2))]
    assert [s.line for s in scans] == [1, 2]
    assert validate_scan_script(scans, YCC_420) is False


def test_wizard_spectral_selection_script():
    scans = parse_scan_script(WIZARD_SPECTRAL)
    assert as_headers(scans) == [
        ((0, 1, 2), 0, 0, 0, 0),
        ((0,), 1, 2, 0, 0),
        ((0,), 3, 5, 0, 0),
        ((1,), 1, 63, 0, 0),
        ((2,), 1, 63, 0, 0),
        ((0,), 6, 9, 0, 0),
        ((0,), 10, 63, 0, 0),
    ]
    assert [s.line for s in scans] == [2, 4, 5, 6, 7, 8, 9]
    assert validate_scan_script(scans, YCC_420) is True


def test_wizard_successive_approximation_script_is_the_default_ycbcr_progression():
    scans = parse_scan_script(WIZARD_SUCCESSIVE)
    assert scans == simple_progression(3, ycbcr=True)
    assert scans[0].line == 2 and scans[-1].line == 21
    assert validate_scan_script(scans, YCC_420) is True


def test_wizard_equivalent_entries():
    assert parse_scan_script("0 1 2: 0 63 0 0;") == parse_scan_script("0,1,2 : 0-63, 0,0 ;")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0 1 2", [S((0, 1, 2))]),
        ("0 1 2;", [S((0, 1, 2))]),
        ("0;1;2", [S((0,)), S((1,)), S((2,))]),
        ("0x1/2", [S((0, 1, 2))]),  # any single character separates numbers
        ("0#comment\n1 2;", [S((0, 1, 2))]),  # a comment is a line break
        ("0,#comment\n1 2", [S((0, 1, 2))]),
        ("0 1 2 # comment at the end, no newline", [S((0, 1, 2))]),
        ("# only a comment\n\n0 1 2\n;\n\n", [S((0, 1, 2))]),
        ("0\t1\r\n2\v:\f0 0\n0 1", [S((0, 1, 2), 0, 0, 0, 1)]),
        ("0: 1 -5 0 0", [S((0,), 1, 5, 0, 0)]),  # '-' is a separator, not a sign
        ("007: 01 0063 0 0", [S((7,), 1, 63, 0, 0)]),
        ("0 1 2 3", [S((0, 1, 2, 3))]),
        ("", []),
        ("  # nothing but a comment\n", []),
    ],
)
def test_parse_accepts(text, expected):
    assert parse_scan_script(text) == expected


def test_parse_records_the_line_a_scan_starts_on():
    scans = parse_scan_script("# header\n\n0\n1\n2: 0 0\n0 1;\n  1: 1 63 0 1; 2: 1 63 0 0")
    assert [s.line for s in scans] == [3, 7, 7]


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        (";", 1, "expected a component index to start a scan, found ';'"),
        ("0 1 2;;", 1, "to start a scan, found ';'"),
        ("0 1 2;\n\n  x", 3, "to start a scan, found 'x'"),
        ("0,,1 2", 1, "expected a component index after a separator, found ','"),
        ("0 1 ,:", 1, "after a separator, found ':'"),
        ("0 1 2 3 4;", 1, "more than 4 components in one scan"),
        ("0 1 2: 0 0 0 1;\n0: 1 5 0;\n", 2, "Ah must be followed by Al, found ';'"),
        ("0: 1\n5:", 2, "Se must be followed by Ah, found ':'"),
        ("0:\n\n-1 5 0 0", 3, "expected Ss here, found '-'"),
        ("0: 1 5 0 2 7;", 1, "expected ';' to end the scan, found '7'"),
        ("0: 1 5 0 2, 1: 1 5 0 2", 1, "expected ';' to end the scan, found ','"),
        ("0 1 2:", 1, "expected Ss here, found the end of the script"),
        ("0 1:: 0 0 0 0", 1, "expected Ss here, found ':'"),
        ("0\u00e91 2", 1, "byte 0xa9"),  # rdswitch.c reads bytes: é is two characters
        ("0;" * 100 + "\n0;", 2, "more than 100 scans"),
    ],
)
def test_parse_rejects_naming_the_line(text, line, fragment, tmp_path):
    with pytest.raises(ScanScriptError) as caught:
        parse_scan_script(text)
    message = str(caught.value)
    assert message.startswith(f"line {line}: "), message
    assert fragment in message
    assert caught.value.line == line
    if shutil.which("jpegtran"):
        assert jpegtran_scans(text, BASELINE_420, tmp_path).returncode != 0


SYNTAX_ORACLE_CASES = [
    WIZARD_PARTIAL,
    WIZARD_SPECTRAL,
    WIZARD_SUCCESSIVE,
    "0x1;2",
    "0 1 2: 0 0 0 1 ; 0: 1 -63 0 1;\n1: 1 63 0 0 # c\n;2 :1 63 0 0;0: 1 63 1 0",
    "0 # c\n, 1 2: 0, 0, 0, 0; 0 :1 63 0 0\n;1: 1 63 0 0;2:1 63, 0 0;",
]


@pytest.mark.parametrize("text", SYNTAX_ORACLE_CASES)
def test_parse_reads_what_jpegtran_reads(text, tmp_path):
    scans = parse_scan_script(text)
    result = jpegtran_scans(text, BASELINE_420, tmp_path)
    assert result.returncode == 0, result.stderr
    assert sos_headers(result.stdout) == as_headers(scans)


# --------------------------------------------------------------------------
# Validation: every rule has a failing case naming the line and the rule.
# jpegtran_refuses says whether libjpeg refuses the script too.

VALIDATION_CASES = [
    # (id, script, sampling, where, fragment, jpegtran refuses)
    ("index-range", "0 1 3;", YCC_420, "line 1", "component index 3 is out of range", True),
    ("frame-order", "0;\n2 1;", YCC_420, "line 2", "must be listed in frame order", True),
    ("repeated", "0 0 1 2;", YCC_420, "line 1", "component 0 appears twice in one scan", True),
    (
        "sequential-params",
        "0 1 2;\n\n0: 1 63 0 0;",
        YCC_420,
        "line 3",
        "every scan needs Ss=0 Se=63 Ah=0 Al=0",
        True,
    ),
    ("sequential-al", "0 1 2: 0 63 0 1;", YCC_420, "line 1", "the script is sequential", True),
    ("sequential-twice", "0 1 2;\n1;", YCC_420, "line 2", "component 1 was already sent", True),
    ("sequential-missing", "0 2;", YCC_420, "end of script", "component 1 is never sent", True),
    ("se-above-63", "0 1 2: 0 0 0 0;\n0: 1 64 0 0;", YCC_420, "line 2", "Se must be", True),
    ("se-below-ss", "0 1 2: 0 0 0 0;\n0: 5 1 0 0;", YCC_420, "line 2", "Se must be", True),
    ("lossless-looking", "0 1 2: 1 0 0 0;", YCC_420, "line 1", "Se must be from Ss (1)", True),
    ("ss-above-63", "0 1 2: 0 0 0 0;\n0: 64 64 0 0;", YCC_420, "line 2", "Ss must be", True),
    ("al-above-10", "0 1 2: 0 0 0 11;", YCC_420, "line 1", "Al must be 0 to 10", True),
    ("ah-above-10", "0 1 2: 0 0 0 0;\n0 1 2: 0 0 11 10;", YCC_420, "line 2", "Ah must be", True),
    ("dc-with-ac", "0 1 2: 0 5 0 0;", YCC_420, "line 1", "a DC scan (Ss=0) must have Se=0", True),
    (
        "late-full-scan",
        "0 1 2: 0 0 0 0;\n0 1 2: 0 63 0 0;",
        YCC_420,
        "line 2",
        "DC and AC coefficients go in separate scans",
        True,
    ),
    (
        "ac-interleaved",
        "0 1 2: 0 0 0 0;\n1 2: 1 63 0 0;",
        YCC_420,
        "line 2",
        "AC scan must hold one component (T.81 G.1.1.1.1)",
        True,
    ),
    ("ac-first", "0: 1 63 0 0;\n0 1 2: 0 0 0 0;", YCC_420, "line 1", "before any DC scan", True),
    ("ac-before-dc", "0 1: 0 0 0 0;\n2: 1 63 0 0;", YCC_420, "line 2", "component 2 comes", True),
    ("first-ah", "0 1 2: 0 0 1 0;", YCC_420, "line 1", "first scan of coefficient 0", True),
    (
        "refine-ah",
        "0 1 2: 0 0 0 2;\n0 1 2: 0 0 1 0;",
        YCC_420,
        "line 2",
        "was last sent with Al=2, so this refinement needs Ah=2, not 1",
        True,
    ),
    (
        "refine-al",
        "0 1 2: 0 0 0 2;\n0 1 2: 0 0 2 0;",
        YCC_420,
        "line 2",
        "with Ah=2 it needs Al=1, not 0",
        True,
    ),
    (
        "dc-twice",
        "0 1 2: 0 0 0 0;\n0: 0 0 0 0;",
        YCC_420,
        "line 2",
        "coefficient 0 of component 0 is already complete",
        True,
    ),
    (
        "ac-band-overlap",
        "0 1 2: 0 0 0 0;\n0: 1 10 0 1;\n0: 5 63 0 0;",
        YCC_420,
        "line 3",
        "coefficient 5 of component 0 was last sent with Al=1",
        True,
    ),
    ("no-dc", "0 1: 0 0 0 0;", YCC_420, "end of script", "component 2 never gets a DC scan", True),
    # Stricter than libjpeg, which only wants some DC data for each component.
    (
        "dc-only",
        "0 1 2: 0 0 0 0;",
        YCC_420,
        "end of script (after line 1)",
        "coefficients 1-63 of component 0 are never sent (every coefficient covered)",
        False,
    ),
    (
        "band-missing",
        "0 1 2: 0 0 0 0;\n0: 1 63 0 0;\n1: 1 63 0 0;\n2: 1 5 0 0;\n2: 10 63 0 0;",
        YCC_420,
        "end of script (after line 5)",
        "coefficients 6-9 of component 2 are never sent",
        False,
    ),
    (
        "bits-missing",
        "0 1 2: 0 0 0 1;\n0: 1 63 0 0;\n1: 1 63 0 0;\n2: 1 63 0 0;",
        YCC_420,
        "end of script",
        "coefficients 0 of component 0 stop at Al=1; refinement scans must bring them down",
        False,
    ),
]


@pytest.mark.parametrize(
    "script, sampling, where, fragment, refused",
    [case[1:] for case in VALIDATION_CASES],
    ids=[case[0] for case in VALIDATION_CASES],
)
def test_validation_rule_names_line_and_rule(script, sampling, where, fragment, refused, tmp_path):
    scans = parse_scan_script(script)
    with pytest.raises(ScanScriptError) as caught:
        validate_scan_script(scans, sampling)
    message = str(caught.value)
    assert message.startswith(where + ":") or message.startswith(where + " "), message
    assert fragment in message, message
    assert "\n" not in message
    if refused:
        with pytest.raises(ScanScriptError):
            validate_scan_script(scans, sampling, complete=False)
    else:
        assert validate_scan_script(scans, sampling, complete=False) is True
    if shutil.which("jpegtran"):
        result = jpegtran_scans(script, BASELINE_420, tmp_path)
        assert (result.returncode != 0) == refused, result.stderr


def test_validation_names_scan_position_without_lines():
    scans = [S((0, 1, 2), 0, 0, 0, 1), S((1, 2), 1, 63, 0, 0)]
    with pytest.raises(ScanScriptError, match=r"^scan 2: AC scan must hold one component") as e:
        validate_scan_script(scans, YCC_420)
    assert e.value.scan == 2 and e.value.line is None


def test_validation_rejects_an_empty_script():
    # jpegtran silently ignores an empty -scans file; a writer must not.
    with pytest.raises(ScanScriptError, match="no scans"):
        validate_scan_script([], YCC_420)


def test_validation_rejects_too_many_components_in_a_scan():
    five = [(1, 1)] * 5
    rule = r"^scan 1: a scan must hold 1 to 4 components, not"
    with pytest.raises(ScanScriptError, match=rule + " 5"):
        validate_scan_script([S((0, 1, 2, 3, 4))], five)
    with pytest.raises(ScanScriptError, match=rule + " 0"):
        validate_scan_script([S(())], five)


def test_validation_limits_blocks_per_mcu():
    script = parse_scan_script("0 1 2;")
    assert validate_scan_script(script, [(4, 2), (1, 1), (1, 1)]) is False  # exactly 10
    with pytest.raises(ScanScriptError, match=r"^line 1: interleaved scan has 11 blocks per MCU"):
        validate_scan_script(script, [(3, 3), (1, 1), (1, 1)])
    # Progressive interleaved DC scans count too; single-component scans never do.
    big = [(4, 4), (1, 1), (1, 1)]
    with pytest.raises(ScanScriptError, match="18 blocks per MCU"):
        validate_scan_script(simple_progression(3, True), big)
    assert validate_scan_script(sequential_script(3, interleaved=False), big) is False


def test_twelve_bit_precision_allows_al_up_to_13():
    script = parse_scan_script(
        "0: 0 0 0 13;\n0: 1 63 0 0;\n"
        + "".join(f"0: 0 0 {bit} {bit - 1};\n" for bit in range(13, 0, -1))
    )
    assert validate_scan_script(script, [(1, 1)], precision=12) is True
    with pytest.raises(ScanScriptError, match="Al must be 0 to 10 for 8-bit samples, not 13"):
        validate_scan_script(script, [(1, 1)])


def test_jpegtran_accepts_al_10_but_not_11(tmp_path):
    at_limit = "0 1 2: 0 0 0 10;"
    assert validate_scan_script(parse_scan_script(at_limit), YCC_420, complete=False) is True
    assert jpegtran_scans(at_limit, BASELINE_420, tmp_path).returncode == 0
    assert jpegtran_scans("0 1 2: 0 0 0 11;", BASELINE_420, tmp_path).returncode != 0


def test_refused_mcu_size_matches_jpegtran_at_the_limit(tmp_path):
    # baseline_h4v2 has 8 + 1 + 1 = 10 blocks: the largest interleaved scan allowed.
    source = FIXTURES / "baseline_h4v2_203x157.jpg"
    script = "0 1 2: 0 0 0 0;\n0: 1 63 0 0;\n1: 1 63 0 0;\n2: 1 63 0 0;"
    assert validate_scan_script(parse_scan_script(script), [(4, 2), (1, 1), (1, 1)]) is True
    result = jpegtran_scans(script, source, tmp_path)
    assert result.returncode == 0, result.stderr
    assert sos_headers(result.stdout) == as_headers(parse_scan_script(script))


# --------------------------------------------------------------------------
# Standard scripts against jpegtran -progressive and -scans


def test_simple_progression_shapes():
    assert len(simple_progression(3, True)) == 10
    assert len(simple_progression(3, False)) == 2 + 4 * 3
    assert len(simple_progression(1, True)) == 6  # ycbcr only matters for three components
    assert simple_progression(1, True) == simple_progression(1, False)
    five = simple_progression(5, False)
    assert len(five) == 6 * 5 and all(len(s.components) == 1 for s in five)
    for count in range(1, 11):
        assert validate_scan_script(simple_progression(count, False), [(1, 1)] * count) is True
    with pytest.raises(ValueError):
        simple_progression(0, False)


@pytest.mark.parametrize(
    "name, count, ycbcr",
    [
        ("gray_baseline_203x157.jpg", 1, False),
        ("baseline_420_203x157.jpg", 3, True),
        ("baseline_h4v2_203x157.jpg", 3, True),
        ("cmyk_pillow_203x157.jpg", 4, False),
    ],
)
def test_simple_progression_matches_jpegtran(name, count, ycbcr, tmp_path):
    source = FIXTURES / name
    expected = as_headers(simple_progression(count, ycbcr))
    progressive = run_jpegtran(["-progressive"], source)
    assert progressive.returncode == 0, progressive.stderr
    assert sos_headers(progressive.stdout) == expected
    script = format_scan_script(simple_progression(count, ycbcr))
    scripted = jpegtran_scans(script, source, tmp_path)
    assert scripted.returncode == 0, scripted.stderr
    assert sos_headers(scripted.stdout) == expected


def test_simple_progression_matches_jpegtran_for_rgb(rgb_jpeg, tmp_path):
    expected = as_headers(simple_progression(3, ycbcr=False))
    assert expected != as_headers(simple_progression(3, ycbcr=True))
    progressive = run_jpegtran(["-progressive"], rgb_jpeg)
    assert progressive.returncode == 0, progressive.stderr
    assert sos_headers(progressive.stdout) == expected
    scripted = jpegtran_scans(format_scan_script(simple_progression(3, False)), rgb_jpeg, tmp_path)
    assert sos_headers(scripted.stdout) == expected


def test_sequential_scripts(tmp_path):
    assert sequential_script(3) == [S((0, 1, 2))]
    assert sequential_script(3, interleaved=False) == [S((0,)), S((1,)), S((2,))]
    assert validate_scan_script(sequential_script(4), [(1, 1)] * 4) is False
    with pytest.raises(ValueError, match="cannot share one scan"):
        sequential_script(5)
    # libjpeg's default (no script) is the one interleaved scan.
    plain = run_jpegtran([], BASELINE_420)
    assert sos_headers(plain.stdout) == as_headers(sequential_script(3))
    for interleaved in (True, False):
        script = format_scan_script(sequential_script(3, interleaved))
        result = jpegtran_scans(script, BASELINE_420, tmp_path)
        assert sos_headers(result.stdout) == as_headers(sequential_script(3, interleaved))


# --------------------------------------------------------------------------
# Formatting and the data class


def test_format_is_one_scan_per_line():
    text = format_scan_script([S((0, 1, 2), 0, 0, 0, 1), S((0,), 1, 5, 0, 2)])
    assert text == "0 1 2: 0 0 0 1;\n0: 1 5 0 2;\n"


@pytest.mark.parametrize("scan", [S(()), S((0, 1, 2, 3, 4)), S((0,), -1, 5, 0, 0)])
def test_format_refuses_what_jpegtran_cannot_read(scan):
    with pytest.raises(ScanScriptError, match="^scan 2: cannot be written"):
        format_scan_script([S((0,)), scan])


def test_scan_spec_as_dict_and_equality():
    scan = ScanSpec([0, 1, 2], 0, 0, 0, 1, line=7)
    assert scan.components == (0, 1, 2)
    assert scan.as_dict() == {"components": [0, 1, 2], "ss": 0, "se": 0, "ah": 0, "al": 1}
    assert scan == ScanSpec((0, 1, 2), 0, 0, 0, 1)  # the line is provenance, not content
    assert hash(scan) == hash(ScanSpec((0, 1, 2), 0, 0, 0, 1))
    assert scan.is_dc and not ScanSpec((0,), 1, 63, 0, 0).is_dc


def test_error_is_a_value_error():
    assert issubclass(ScanScriptError, ValueError)


# --------------------------------------------------------------------------
# Properties

numbers = st.integers(0, 10**6)
scan_specs = st.builds(
    ScanSpec,
    components=st.lists(st.integers(0, 300), min_size=1, max_size=4).map(tuple),
    ss=numbers,
    se=numbers,
    ah=numbers,
    al=numbers,
)


@given(st.lists(scan_specs, max_size=30))
def test_format_then_parse_round_trips(scans):
    again = parse_scan_script(format_scan_script(scans))
    assert again == scans
    assert [s.line for s in again] == list(range(1, len(scans) + 1))


# Blanks libjpeg skips: whitespace and comments (a comment reads as its newline).
blanks = st.lists(
    st.sampled_from([" ", "\t", "\n", "\r\n", "  ", "# note, 1 2: 3;\n", "\f"]), max_size=3
).map("".join)
separators = st.sampled_from([",", "-", "/", "x", "."])


@st.composite
def decorated(draw, scans: list[ScanSpec]) -> str:
    """The scans written with random blanks, comments and separators jpegtran allows."""

    def between() -> str:
        before, after = draw(blanks), draw(blanks)
        if draw(st.booleans()):
            return before + draw(separators) + after
        return before + after if (before + after) else " "

    out = [draw(blanks)]
    for position, scan in enumerate(scans):
        values = [str(c) for c in scan.components]
        out.append(values[0])
        for value in values[1:]:
            out.append(between() + value)
        if (scan.ss, scan.se, scan.ah, scan.al) != (0, 63, 0, 0) or draw(st.booleans()):
            out.append(draw(blanks) + ":" + draw(blanks) + str(scan.ss))
            for value in (scan.se, scan.ah, scan.al):
                out.append(between() + str(value))
        last = position == len(scans) - 1
        out.append(draw(blanks) + (";" if not last or draw(st.booleans()) else "") + draw(blanks))
    return "".join(out)


# jpegtran runs in a fresh temporary folder; reusing one across examples is fine.
SLOW_ORACLE = [HealthCheck.function_scoped_fixture]

STANDARD = [
    simple_progression(3, True),
    simple_progression(3, False),
    parse_scan_script(WIZARD_SPECTRAL),
    sequential_script(3),
    sequential_script(3, interleaved=False),
    parse_scan_script(WIZARD_PARTIAL),
]


@given(st.data())
def test_decorated_scripts_parse_to_their_scans(data):
    scans = data.draw(st.sampled_from(STANDARD))
    assert parse_scan_script(data.draw(decorated(scans))) == scans


@settings(max_examples=25, deadline=None, suppress_health_check=SLOW_ORACLE)
@given(data=st.data())
def test_decorated_scripts_read_the_same_by_jpegtran(data, tmp_path):
    jpegtran()
    scans = data.draw(st.sampled_from(STANDARD))
    text = data.draw(decorated(scans))
    result = jpegtran_scans(text, TINY_420, tmp_path)
    assert result.returncode == 0, (text, result.stderr)
    assert sos_headers(result.stdout) == as_headers(parse_scan_script(text))


@st.composite
def mutated(draw) -> list[ScanSpec]:
    """A standard script with a few random edits: mostly invalid, sometimes not."""
    scans = list(draw(st.sampled_from(STANDARD)))
    for _ in range(draw(st.integers(0, 3))):
        if not scans:
            break
        i = draw(st.integers(0, len(scans) - 1))
        kind = draw(st.sampled_from(["field", "field", "components", "drop", "swap", "copy"]))
        old = scans[i]
        if kind == "field":
            name = draw(st.sampled_from(["ss", "se", "ah", "al"]))
            value = draw(st.sampled_from([0, 1, 2, 5, 6, 10, 11, 62, 63, 64]))
            fields = old.as_dict() | {name: value}
            scans[i] = ScanSpec(tuple(fields.pop("components")), **fields)
        elif kind == "components":
            comps = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
            scans[i] = ScanSpec(tuple(comps), old.ss, old.se, old.ah, old.al)
        elif kind == "drop":
            del scans[i]
        elif kind == "swap":
            j = draw(st.integers(0, len(scans) - 1))
            scans[i], scans[j] = scans[j], scans[i]
        else:
            scans.insert(i, old)
    return scans


@settings(max_examples=150, deadline=None, suppress_health_check=SLOW_ORACLE)
@given(scans=mutated())
def test_validation_agrees_with_jpegtran(scans, tmp_path):
    """libjpeg's own checks (complete=False) accept exactly what jpegtran accepts."""
    jpegtran()
    try:
        validate_scan_script(scans, YCC_420, complete=False)
        valid = True
    except ScanScriptError:
        valid = False
    text = format_scan_script(scans) if scans else ""
    result = jpegtran_scans(text, TINY_420, tmp_path)
    if not scans:  # jpegtran ignores an empty script; the validator refuses it
        assert not valid and result.returncode == 0
        return
    assert (result.returncode == 0) == valid, (text, result.stderr)
    if valid:
        assert sos_headers(result.stdout) == as_headers(scans)
