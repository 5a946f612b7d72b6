"""Benchmark the strict writer in every output layout against jpegtran's.

For each input and each layout jpegtran can write, measures in one run and
side by side::

    ours      jpegsurgeon.write(image, **layout) in this process, on an image
              read once beforehand: the write alone.
    jpegtran  ``jpegtran <options> -copy none INPUT`` as a child process, timed
              from spawn to exit (the whole process: start-up, read, write).

    Target: ours / jpegtran <= 0.6 for every layout.

The layouts and the options on each side:

    layout                       jpegsurgeon.write keywords        jpegtran options
    baseline                     (none)                            -optimize
    progressive                  progressive=True                  -progressive -optimize
    restart 1 row                restart="1"                       -restart 1 -optimize
    progressive, restart 1 row   progressive=True, restart="1"     -progressive -restart 1 -optimize
    non-interleaved (script)     scans=SCRIPT                      -scans FILE -optimize
    arithmetic                   arithmetic=True                   -arithmetic
    arithmetic progressive       arithmetic=True, progressive=True -arithmetic -progressive

(all jpegtran commands also take ``-copy none``; jpegtran refuses ``-optimize``
with ``-arithmetic``; SCRIPT is one full-spectrum scan per component, the same
text on both sides).  Each row also says whether the entropy-coded data of our
output (every scan's data, RST markers included, concatenated, found by a small
marker walk of its own here) is identical to jpegtran's output.  The time to
read each input (``jpegsurgeon.read`` of its bytes) is shown once per input,
for context.

The default inputs are ``../shared/corpus/iphone.jpg`` next to the repository
and a "3 MB photo" made from it at start-up in a temporary directory: its
coefficients requantized to all-ones tables (``requantize:table=ones``, the
finest tables there are; exact for this file, which decodes to the same pixels)
and, as that alone stops near 2.6 MB, its canvas extended downwards by
repeating its own block rows (``forge-tile:height=H``, H chosen so the strict
baseline output reaches about 3,000,000 bytes), written by
``jpegsurgeon.write`` and checked to decode with djpeg (or jpeglib).  Its size
is printed.  ``--input`` (repeatable) replaces both.

Every timing is the median of ``--repeat`` runs after one warm-up run; ours and
jpegtran's runs alternate, so that load from other processes falls on both.
The timed jpegtran runs write to /dev/null; the warm-up run's output is kept
for the entropy-data check.

This is a report, not a test: the exit status is 0 whatever the numbers, 2 if
a measurement could not be made (jpegtran missing or failing, a write
raising), and with ``--check`` 1 if any target is missed or any entropy-coded
data differs from jpegtran's.

    python tools/bench_layouts.py                   # plain-text report
    python tools/bench_layouts.py --markdown        # a table to paste into the README
    python tools/bench_layouts.py --input a.jpg --input b.jpg --repeat 11 --check

Requires jpegtran on PATH (Debian/Ubuntu package ``libjpeg-turbo-progs``);
djpeg or jpeglib to check the made-up 3 MB input.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = REPO_ROOT.parent / "shared/corpus/iphone.jpg"

TARGET = 0.6  # in-process write / jpegtran whole process, same layout
PHOTO_BYTES = 3_000_000  # the made-up "3 MB photo", strict baseline output
PHOTO_NAME = "photo-3mb.jpg"

NON_INTERLEAVED_SCRIPT = "0: 0 63 0 0;\n1: 0 63 0 0;\n2: 0 63 0 0;\n"
SCRIPT_FILE = "FILE"  # stands for the scan script's path in a layout's jpegtran options


@dataclass(frozen=True)
class Layout:
    name: str
    keywords: dict[str, Any]
    jpegtran: tuple[str, ...]  # options before "-copy none"


LAYOUTS = (
    Layout("baseline", {}, ("-optimize",)),
    Layout("progressive", {"progressive": True}, ("-progressive", "-optimize")),
    Layout("restart 1 row", {"restart": "1"}, ("-restart", "1", "-optimize")),
    Layout(
        "progressive, restart 1 row",
        {"progressive": True, "restart": "1"},
        ("-progressive", "-restart", "1", "-optimize"),
    ),
    Layout(
        "non-interleaved (script)",
        {"scans": NON_INTERLEAVED_SCRIPT},
        ("-scans", SCRIPT_FILE, "-optimize"),
    ),
    Layout("arithmetic", {"arithmetic": True}, ("-arithmetic",)),
    Layout(
        "arithmetic progressive",
        {"arithmetic": True, "progressive": True},
        ("-arithmetic", "-progressive"),
    ),
)

PASS, FAIL, INFO, ERROR = "PASS", "FAIL", "INFO", "ERROR"
IDENTICAL, DIFFERS = "identical", "differs"


class MeasurementError(RuntimeError):
    """A benchmarked command failed or a tool is missing."""


@dataclass
class Row:
    """One line of the report."""

    input: str
    layout: str
    options: str = "-"
    ours: str = "-"
    reference: str = "-"
    ratio: str = "-"
    target: str = "-"
    status: str = INFO
    check: str = "-"


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def error(self, source: str, name: str, error: BaseException) -> None:
        message = str(error) or type(error).__name__
        self.errors.append(f"{source}, {name}: {message}")
        self.rows.append(Row(source, name, ours="error", status=ERROR))


@dataclass
class Input:
    path: Path
    data: bytes
    note: str = ""  # how it was made, for the made-up photo


# --- running things ---------------------------------------------------------


def find_jpegtran() -> str:
    found = shutil.which("jpegtran")
    if not found:
        raise MeasurementError("jpegtran not found (apt-get install libjpeg-turbo-progs)")
    return found


def run_child(cmd: Sequence[str], stdout_path: str) -> float:
    """Run cmd with stdout to stdout_path; its time from spawn to exit; raise if it fails."""
    with tempfile.TemporaryFile() as err, open(stdout_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, _ = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        if code != 0:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            raise MeasurementError(
                f"{shlex.join(cmd)} exited with {code}: {lines[-1] if lines else ''}"
            )
    return seconds


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def median_seconds(func: Callable[[], object], repeat: int) -> float:
    func()  # warm-up
    return statistics.median(timed(func) for _ in range(repeat))


# --- the entropy-coded data -------------------------------------------------


def entropy_data(data: bytes) -> bytes:
    """Every scan's entropy-coded data, concatenated, RST markers included.

    A marker walk independent of jpegsurgeon's parser: FFxx segments with a
    2-byte length (SOI, EOI, RSTn and TEM have none; fill FF bytes are skipped);
    after an SOS segment the data runs to the first FF not followed by 00 or
    D0..D7.
    """
    if data[:2] != b"\xff\xd8":
        raise ValueError("no SOI marker")
    parts = []
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise ValueError(f"expected a marker at byte {pos}")
        while pos + 1 < len(data) and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 1 >= len(data):
            raise ValueError("truncated marker")
        marker = data[pos + 1]
        pos += 2
        if marker == 0xD9:  # EOI
            return b"".join(parts)
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue
        if pos + 2 > len(data):
            raise ValueError("truncated segment length")
        pos += int.from_bytes(data[pos : pos + 2], "big")
        if marker == 0xDA:  # SOS: the entropy-coded data follows its header
            start = end = pos
            while True:
                end = data.find(b"\xff", end)
                if end < 0 or end + 1 >= len(data):
                    raise ValueError("entropy-coded data runs past the end")
                follower = data[end + 1]
                if follower != 0x00 and not 0xD0 <= follower <= 0xD7:
                    break
                end += 2
            parts.append(data[start:end])
            pos = end
    raise ValueError("no EOI marker")


def compare_entropy(ours: bytes, theirs: bytes) -> str:
    try:
        same = entropy_data(ours) == entropy_data(theirs)
    except ValueError as error:
        return f"unreadable: {error}"
    if same:
        return IDENTICAL
    return f"{DIFFERS} ({len(ours):,} B vs jpegtran {len(theirs):,} B)"


# --- inputs -----------------------------------------------------------------


def make_photo(source: Path, directory: Path) -> Input:
    """The "3 MB photo": source requantized to all-ones tables and extended
    downwards by repeating its block rows until the strict output is ~PHOTO_BYTES."""
    import jpegsurgeon
    from jpegsurgeon.passes import parse_spec, run_pipeline

    image = jpegsurgeon.read(source)
    specs = ["requantize:table=ones"]
    finer, reports = run_pipeline(image, [parse_spec(specs[0])], 0)
    exact = reports[0]["changes"]["exact"]
    data = jpegsurgeon.write(finer)
    if len(data) < PHOTO_BYTES:
        mcu_height = 8 * max(c.v for c in finer.components)
        height = finer.height * PHOTO_BYTES / len(data)
        height = -(-round(height) // mcu_height) * mcu_height
        specs.append(f"forge-tile:height={height}")
        finer, _ = run_pipeline(finer, [parse_spec(specs[1])], 0)
        data = jpegsurgeon.write(finer)
    path = directory / PHOTO_NAME
    path.write_bytes(data)
    decoder = check_decodes(path, finer.width, finer.height)
    note = (
        f"made from {source.name} with {' + '.join(specs)}"
        f" (requantize {'exact' if exact else 'not exact'}), decodes with {decoder}"
    )
    return Input(path, data, note)


def check_decodes(path: Path, width: int, height: int) -> str:
    """Decode path fully with djpeg (else jpeglib); the decoder's name; raise if it fails."""
    djpeg = shutil.which("djpeg")
    if djpeg:
        done = subprocess.run([djpeg, "-ppm", str(path)], capture_output=True, check=False)
        match = re.match(rb"P6\s+(\d+)\s+(\d+)\s", done.stdout)
        if done.returncode != 0 or done.stderr or not match:
            message = done.stderr.decode(errors="replace").strip() or f"status {done.returncode}"
            raise MeasurementError(f"djpeg cannot decode {path.name}: {message}")
        if (int(match.group(1)), int(match.group(2))) != (width, height):
            raise MeasurementError(f"djpeg decodes {path.name} to the wrong size")
        return "djpeg"
    try:
        import jpeglib
    except ImportError:
        raise MeasurementError("neither djpeg nor jpeglib to check the made-up photo") from None
    pixels = jpeglib.read_spatial(str(path)).spatial
    if pixels.shape[:2] != (height, width):
        raise MeasurementError(f"jpeglib decodes {path.name} to the wrong size")
    return "jpeglib"


def describe_input(item: Input) -> str:
    text = f"{item.path.name} ({len(item.data):,} bytes"
    try:
        import jpegsurgeon

        image = jpegsurgeon.read(item.data)
        frame = image.frame
        sampling = " ".join(f"{c.h}x{c.v}" for c in image.components)
        text += f", {frame.width}x{frame.height}, {frame.kind}, sampling {sampling}"
    except Exception:
        pass
    return text + (f"; {item.note})" if item.note else ")")


# --- measurements -----------------------------------------------------------


def jpegtran_command(jpegtran: str, layout: Layout, source: Path, script: Path) -> list[str]:
    options = [str(script) if option == SCRIPT_FILE else option for option in layout.jpegtran]
    return [jpegtran, *options, "-copy", "none", str(source)]


def bench_input(report: Report, item: Input, scratch: Path, repeat: int) -> None:
    import jpegsurgeon

    name = item.path.name
    try:
        jpegtran = find_jpegtran()
    except MeasurementError as error:
        report.error(name, "jpegtran", error)
        return
    try:
        read_time = median_seconds(lambda: jpegsurgeon.read(item.data), repeat)
        image = jpegsurgeon.read(item.data)
    except Exception as error:
        report.error(name, "read", error)
        return
    report.add(Row(name, "read (for context)", "-", ms(read_time)))
    script = scratch / "scans.txt"
    script.write_text(NON_INTERLEAVED_SCRIPT)
    theirs_path = scratch / "jpegtran.jpg"
    for layout in LAYOUTS:
        options = shlex.join([*layout.jpegtran, "-copy", "none"])
        cmd = jpegtran_command(jpegtran, layout, item.path, script)
        try:

            def write(layout: Layout = layout) -> bytes:
                return jpegsurgeon.write(image, **layout.keywords)

            ours_data = write()  # warm-up, kept for the check
            run_child(cmd, str(theirs_path))  # warm-up, kept for the check
            ours, theirs = [], []
            for _ in range(repeat):  # alternate, so that load falls on both sides
                ours.append(timed(write))
                theirs.append(run_child(cmd, os.devnull))
            check = compare_entropy(ours_data, theirs_path.read_bytes())
        except Exception as error:
            report.error(name, layout.name, error)
            continue
        mine, reference = statistics.median(ours), statistics.median(theirs)
        ratio = mine / reference
        report.add(
            Row(
                name,
                layout.name,
                options,
                ms(mine),
                ms(reference),
                f"{ratio:.2f}",
                f"<= {TARGET:g}",
                PASS if ratio <= TARGET else FAIL,
                check,
            )
        )


# --- the report ---------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else (platform.processor() or platform.machine())


def jpegtran_version() -> str:
    try:
        done = subprocess.run(
            [find_jpegtran(), "-version"], capture_output=True, text=True, check=False
        )
    except (MeasurementError, OSError):
        return "unavailable"
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0] if lines else "?"


def header_lines(inputs: list[Input], repeat: int) -> list[tuple[str, str]]:
    import jpegsurgeon

    package = Path(jpegsurgeon.__file__).parent
    lines = [
        ("Command", "python " + shlex.join(sys.argv)),
        (
            "Machine",
            f"{cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} "
            f"{platform.release()}",
        ),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("jpegsurgeon", f"{jpegsurgeon.__version__} ({package})"),
        ("Reference", f"jpegtran, whole process ({jpegtran_version()})"),
    ]
    lines += [("Input", describe_input(item)) for item in inputs]
    lines.append(
        (
            "Timing",
            f"median of {repeat} run{'s' if repeat > 1 else ''} after 1 warm-up, ours and "
            "jpegtran's alternating; ours: jpegsurgeon.write(image, **keywords) in-process "
            "on an image read beforehand; jpegtran: spawn to exit, output to /dev/null",
        )
    )
    return lines


COLUMNS = (
    "input",
    "layout",
    "jpegtran options",
    "jpegsurgeon write",
    "jpegtran",
    "ratio",
    "target",
    "result",
    "entropy-coded data",
)


def row_cells(row: Row) -> tuple[str, ...]:
    return (
        row.input,
        row.layout,
        row.options,
        row.ours,
        row.reference,
        row.ratio,
        row.target,
        row.status,
        row.check,
    )


def print_text(header: list[tuple[str, str]], report: Report) -> None:
    for key, value in header:
        print(f"{key + ':':13}{value}")
    print()
    table = [COLUMNS, *(row_cells(row) for row in report.rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(COLUMNS))]
    for cells in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())
    for message in report.errors:
        print(f"\nERROR {message}", file=sys.stderr)


def print_markdown(header: list[tuple[str, str]], report: Report) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    for key, value in header:
        value = f"`{value}`" if key == "Command" else cell(value)
        print(f"- {key}: {value}")
    print()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "|".join(["---", "---", "---", "---:", "---:", "---:", "---", "---", "---"]) + "|")
    for row in report.rows:
        cells = [cell(text) for text in row_cells(row)]
        if row.options != "-":
            cells[2] = f"`{row.options}`"
        if row.status in (PASS, FAIL, ERROR):
            cells[7] = f"**{row.status}**"
        print("| " + " | ".join(cells) + " |")
    for message in report.errors:
        print(f"\nERROR {message}", file=sys.stderr)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Benchmark jpegsurgeon.write in every output layout against jpegtran "
            "writing the same layout."
        ),
    )
    parser.add_argument(
        "--input",
        type=Path,
        action="append",
        metavar="PATH",
        help=(
            f"JPEG file to benchmark; repeatable (default: {DEFAULT_INPUT} and a ~3 MB photo "
            "made from it at start-up)"
        ),
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=7,
        metavar="N",
        help="runs per timing; the median is reported (default: 7)",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print a markdown table for the README"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 if any target is missed or any entropy-coded data differs",
    )
    return parser.parse_args(argv)


def load_inputs(paths: list[Path] | None, scratch: Path) -> list[Input]:
    """The inputs named, or the default file and the photo made from it."""
    inputs = []
    for path in paths or [DEFAULT_INPUT]:
        try:
            inputs.append(Input(path, path.read_bytes()))
        except OSError as error:
            raise MeasurementError(f"cannot read {path}: {error.strerror or error}") from None
    if not paths:
        inputs.append(make_photo(DEFAULT_INPUT, scratch))
    return inputs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="jpegsurgeon-bench-layouts-") as tmp:
        scratch = Path(tmp)
        try:
            inputs = load_inputs(args.input, scratch)
        except Exception as error:
            print(f"bench_layouts: {error}", file=sys.stderr)
            return 2
        for item in inputs:
            bench_input(report, item, scratch, args.repeat)
        header = header_lines(inputs, args.repeat)
    (print_markdown if args.markdown else print_text)(header, report)
    if report.errors:
        return 2
    missed = any(row.status == FAIL for row in report.rows)
    differs = any(row.check not in ("-", IDENTICAL) for row in report.rows)
    if args.check and (missed or differs):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
