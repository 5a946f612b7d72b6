"""What the benchmark scripts in tools/ share; not a benchmark itself.

Every benchmark (bench.py, bench_layouts.py, bench_codecs.py, bench_batch.py)
measures in one run side by side with a named reference, reports the median of
``--repeat`` runs after one warm-up, prints a header (Command, Machine, Python,
versions) and a table of rows whose result is PASS, FAIL, INFO or ERROR, as
plain text or with ``--markdown`` as a table for the README, and exits 0
whatever the numbers, 2 if a measurement could not be made, and with
``--check`` 1 if a target is missed.  This module holds the pieces for that:
running and timing child processes, finding jpegtran, the jpegsurgeon console
script and the C++ Lepton, the header lines, the command-line options every
script takes, and the report table.

The scripts import it as a sibling module (``python tools/bench.py`` puts
tools/ on sys.path).
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
import sysconfig
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Protocol

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared/corpus"
DEFAULT_INPUT = CORPUS / "iphone.jpg"

MIB = 1 << 20
PASS, FAIL, INFO, ERROR = "PASS", "FAIL", "INFO", "ERROR"
LEPTON_CPP_ENV = "JPEGSURGEON_LEPTON_CPP"


class MeasurementError(RuntimeError):
    """A benchmarked command failed or a tool is missing."""


# --- running things ---------------------------------------------------------


@dataclass
class ChildRun:
    seconds: float
    stdout: str


def run_child(
    cmd: Sequence[str],
    stdout_path: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
) -> ChildRun:
    """Run cmd to completion and time it from spawn to exit; raise if it fails.

    stdout goes to stdout_path if given (and is not read back), else to a
    temporary file whose text is returned.  env replaces the environment.
    """
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as captured:
        out = open(stdout_path, "wb") if stdout_path is not None else captured
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
            _, status, _ = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if out is not captured:
                out.close()
        if proc.returncode != 0:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            raise MeasurementError(
                f"{describe(cmd)} exited with {proc.returncode}: {lines[-1] if lines else ''}"
            )
        captured.seek(0)
        text = captured.read().decode(errors="replace") if stdout_path is None else ""
    return ChildRun(seconds, text)


def describe(cmd: Sequence[str]) -> str:
    """cmd as a shell line, with inline python code (-c snippets) elided."""
    return shlex.join("<code>" if "\n" in arg else arg for arg in cmd)


def median_child_seconds(
    cmd: Sequence[str],
    repeat: int,
    stdout_path: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
) -> float:
    """Median wall time of cmd over repeat runs, after one warm-up run."""
    run_child(cmd, stdout_path, env)
    return statistics.median(run_child(cmd, stdout_path, env).seconds for _ in range(repeat))


def alternating_medians(
    commands: Sequence[tuple[Sequence[str], str | os.PathLike | None]],
    repeat: int,
    env: Mapping[str, str] | None = None,
) -> list[float]:
    """Median wall time of each (cmd, stdout_path), their runs taken in turn
    after one warm-up each, so that the machine's speed drifting during the
    measurement falls on every command alike."""
    for cmd, stdout_path in commands:
        run_child(cmd, stdout_path, env)
    runs: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for times, (cmd, stdout_path) in zip(runs, commands):
            times.append(run_child(cmd, stdout_path, env).seconds)
    return [statistics.median(times) for times in runs]


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def median_seconds(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of func() over repeat calls, after one warm-up call."""
    func()  # warm-up
    return statistics.median(timed(func) for _ in range(repeat))


def compile_bytecode() -> None:
    """Write the package's .pyc files, as a regular (non-editable) install does.

    With PYTHONDONTWRITEBYTECODE set, as on this project's machines, an
    editable install would otherwise recompile every module in every run and
    the start-up figures would measure the compiler, not jpegsurgeon.
    """
    import compileall

    import jpegsurgeon

    compileall.compile_dir(Path(jpegsurgeon.__file__).parent, quiet=1)


def find_cli() -> list[str]:
    """The jpegsurgeon console script of this interpreter, else on PATH, else -m."""
    for search_path in (sysconfig.get_path("scripts"), None):
        found = shutil.which("jpegsurgeon", path=search_path)
        if found:
            return [found]
    return [sys.executable, "-m", "jpegsurgeon"]


def find_jpegtran() -> str:
    found = shutil.which("jpegtran")
    if not found:
        raise MeasurementError("jpegtran not found (apt-get install libjpeg-turbo-progs)")
    return found


def find_lepton_cpp(explicit: str | None = None) -> str | None:
    """The reference C++ Lepton: explicit if given, else $JPEGSURGEON_LEPTON_CPP,
    ``lepton`` on PATH, or where ../shared/tools/build-lepton-cpp.sh puts it
    (~/.cache/lepton-cpp/lepton); None if it is not an executable file."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidates = (os.environ.get(LEPTON_CPP_ENV), shutil.which("lepton"),
                  str(cache / "lepton-cpp" / "lepton"))  # fmt: skip
    if explicit:
        candidates = (explicit,)  # named: that one or none
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def check_decodes(path: Path, width: int, height: int) -> str:
    """Decode path fully with djpeg (else jpeglib); the decoder's name; raise if it fails."""
    djpeg = shutil.which("djpeg")
    if djpeg:
        done = subprocess.run([djpeg, "-ppm", str(path)], capture_output=True, check=False)
        match = re.match(rb"P[56]\s+(\d+)\s+(\d+)\s", done.stdout)
        if done.returncode != 0 or done.stderr or not match:
            message = done.stderr.decode(errors="replace").strip() or f"status {done.returncode}"
            raise MeasurementError(f"djpeg cannot decode {path.name}: {message}")
        if (int(match.group(1)), int(match.group(2))) != (width, height):
            raise MeasurementError(f"djpeg decodes {path.name} to the wrong size")
        return "djpeg"
    try:
        import jpeglib
    except ImportError:
        raise MeasurementError(f"neither djpeg nor jpeglib to check {path.name}") from None
    pixels = jpeglib.read_spatial(str(path)).spatial
    if pixels.shape[:2] != (height, width):
        raise MeasurementError(f"jpeglib decodes {path.name} to the wrong size")
    return "jpeglib"


# --- formatting -------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(size: float) -> str:
    return f"{size / MIB:.1f} MiB"


def first_line(error: BaseException) -> str:
    """An exception's message on one line (its type's name if it has none)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


# --- the header -------------------------------------------------------------


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


def machine_lines() -> list[tuple[str, str]]:
    """The header lines every report starts with: Command, Machine, Python."""
    return [
        ("Command", "python " + shlex.join(sys.argv)),
        (
            "Machine",
            f"{cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} "
            f"{platform.release()}",
        ),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
    ]


def timing_line(repeat: int, details: str) -> tuple[str, str]:
    """The Timing header line: the median of repeat runs after a warm-up, then details."""
    return ("Timing", f"median of {repeat} run{'s' if repeat > 1 else ''} after 1 warm-up{details}")


def load_line() -> tuple[str, str]:
    """The load averages when the report is printed, for noisy shared machines."""
    try:
        loads = ", ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return ("Load", "unknown")
    return ("Load", f"{loads} (1, 5, 15 min averages at the end of the run)")


def codec_versions(lepton_cpp: str | None) -> str:
    """The codecs' versions: lepton-jpeg-python, the C++ Lepton's path, imagecodecs' libjxl."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    try:
        parts.append(f"lepton-jpeg-python {version('lepton-jpeg-python')}")
    except PackageNotFoundError:
        parts.append("lepton-jpeg-python not installed")
    parts.append(f"C++ Lepton {lepton_cpp}" if lepton_cpp else "no C++ Lepton")
    try:
        import imagecodecs

        parts.append(f"imagecodecs {imagecodecs.__version__} ({imagecodecs.jpegxl_version()})")
    except (ImportError, AttributeError):
        parts.append("imagecodecs or its JPEG XL support not installed")
    return "; ".join(parts)


def image_summary(data: bytes) -> str:
    """', WxH, kind, sampling ...' for a JPEG jpegsurgeon reads, else ''."""
    try:
        import jpegsurgeon

        image = jpegsurgeon.read(data)
    except Exception:
        return ""
    frame = image.frame
    sampling = " ".join(f"{c.h}x{c.v}" for c in image.components)
    return f", {frame.width}x{frame.height}, {frame.kind}, sampling {sampling}"


# --- the report -------------------------------------------------------------


class TableRow(Protocol):
    status: str

    def cells(self) -> tuple[str, ...]: ...


class FieldCells:
    """For dataclass rows whose fields are the table's cells, in order."""

    def cells(self) -> tuple[str, ...]:
        return tuple(getattr(self, item.name) for item in fields(self))


@dataclass(frozen=True)
class Table:
    """A report's columns; align holds the markdown rule of each ("---" or "---:")."""

    columns: tuple[str, ...]
    align: tuple[str, ...]
    status_column: int  # shown in bold in markdown when PASS, FAIL or ERROR
    code_columns: tuple[int, ...] = ()  # shown as code in markdown unless "-"

    @classmethod
    def parse(cls, spec: str, code: Sequence[str] = ()) -> Table:
        """From "name | name: | ...": a name ending in ":" is right-aligned in
        markdown, the column "result" holds the status, the columns named in
        code are shown as code."""
        names = [name.strip() for name in spec.split("|")]
        columns = tuple(name.removesuffix(":") for name in names)
        align = tuple("---:" if name.endswith(":") else "---" for name in names)
        code_columns = tuple(columns.index(name) for name in code)
        return cls(columns, align, columns.index("result"), code_columns)


@dataclass
class Report:
    rows: list[TableRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, row: TableRow) -> None:
        self.rows.append(row)

    def fail(self, label: str, error: BaseException, row: TableRow) -> None:
        """Record a measurement that could not be made, and its row."""
        message = str(error) or type(error).__name__
        self.errors.append(f"{label}: {message}")
        self.rows.append(row)

    def exit_status(self, check: bool, missed: bool = False) -> int:
        """2 if a measurement failed; with check, 1 if a row FAILed or missed is set."""
        if self.errors:
            return 2
        if check and (missed or any(row.status == FAIL for row in self.rows)):
            return 1
        return 0


@dataclass
class Row(FieldCells):
    """A line of the usual table: a measurement, ours against a named reference."""

    name: str
    ours: str
    reference: str = "-"
    ratio: str = "-"
    target: str = "-"
    status: str = INFO


RATIO_TABLE = Table.parse("measurement | jpegsurgeon: | reference | ratio: | target | result")


class RowReport(Report):
    """A report of Rows, for RATIO_TABLE."""

    def error(self, name: str, error: BaseException) -> None:
        self.fail(name, error, Row(name, "error", status=ERROR))


def ratio_row(
    name: str, ours: float, ref: float, ref_label: str, limit: float, fmt: Callable[[float], str]
) -> Row:
    """ours against ref (labelled ref_label if given), PASS when ours / ref <= limit."""
    ratio = ours / ref
    return Row(
        name,
        fmt(ours),
        f"{ref_label} {fmt(ref)}" if ref_label else fmt(ref),
        f"{ratio:.2f}",
        f"<= {limit:g}",
        PASS if ratio <= limit else FAIL,
    )


def print_text(header: list[tuple[str, str]], report: Report, table: Table) -> None:
    for key, value in header:
        print(f"{key + ':':13}{value}")
    print()
    lines = [table.columns, *(row.cells() for row in report.rows)]
    widths = [max(len(cells[i]) for cells in lines) for i in range(len(table.columns))]
    for cells in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())
    print_errors(report)


def print_markdown(header: list[tuple[str, str]], report: Report, table: Table) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    for key, value in header:
        value = f"`{value}`" if key == "Command" else cell(value)
        print(f"- {key}: {value}")
    print()
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "|".join(table.align) + "|")
    for row in report.rows:
        raw = row.cells()
        cells = [cell(text) for text in raw]
        if raw[0].startswith("  "):  # markdown drops leading spaces
            cells[0] = "↳ " + cells[0].strip()
        for index in table.code_columns:
            if raw[index] != "-":
                cells[index] = f"`{raw[index]}`"
        if row.status in (PASS, FAIL, ERROR):
            cells[table.status_column] = f"**{row.status}**"
        print("| " + " | ".join(cells) + " |")
    print_errors(report)


def print_errors(report: Report) -> None:
    for message in report.errors:
        print(f"\nERROR {message}", file=sys.stderr)


def print_report(
    header: list[tuple[str, str]], report: Report, table: Table, markdown: bool
) -> None:
    (print_markdown if markdown else print_text)(header, report, table)


# --- the command line -------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_common_arguments(
    parser: argparse.ArgumentParser,
    repeat: int = 7,
    check_help: str = "exit with status 1 if any target is missed",
) -> None:
    """--repeat N, --markdown and --check, as every benchmark takes them."""
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=repeat,
        metavar="N",
        help=f"runs per timing; the median is reported (default: {repeat})",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print a markdown table for the README"
    )
    parser.add_argument("--check", action="store_true", help=check_help)
