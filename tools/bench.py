"""Benchmark jpegsurgeon against ``jpegtran -optimize -copy none``.

Measures, in one run and side by side with the reference, on one input file
(by default ``../shared/corpus/iphone.jpg`` next to the repository)::

    1. in-process     jpegsurgeon.read(bytes) + jpegsurgeon.write(image) in this
                      process (after a warm-up) vs jpegtran's whole-process time.
                      Target: ratio <= 1.0.
                      The same with the pass rotate:angle=90 in between, vs
                      ``jpegtran -rotate 90 -optimize -copy none``.  Target: <= 0.7.
    2. whole-process  ``jpegsurgeon transform IN OUT --no-verify`` as a child
                      process vs jpegtran's whole-process time.  Target: ratio
                      <= 2.5.  With one Lepton cycle (``--cycles 1``), for
                      context.
                      The default ``jpegsurgeon transform IN OUT`` (no options:
                      the output verified by three lepton-jpeg-python cycles,
                      one compression and one decompression and, in parallel
                      threads, two more compressions compared with the first)
                      vs the same jpegtran time.  Target: ratio <= 5.
                      For context, the Lepton check alone (the same three
                      cycles of the finished output, timed inside a child
                      that has imported everything) and the --no-verify time
                      plus it: a floor the default transform cannot go under.
                      The whole-process rows take their runs in turn with
                      jpegtran's and compare with the jpegtran runs made
                      alongside (their reference column says which).
                      ``--codec all`` with $JPEGSURGEON_LEPTON_CPP set in the
                      child's environment, so that the C++ Lepton runs too,
                      for context (skipped, with a note, when no C++ Lepton
                      is found: ``--lepton-cpp``, $JPEGSURGEON_LEPTON_CPP,
                      ``lepton`` on PATH, ~/.cache/lepton-cpp/lepton).
    3. start-up       ``jpegsurgeon --version``, whole process.  Target < 0.2 s;
                      also shown as a ratio to a bare ``python -c pass``.
    4. peak memory    peak RSS of a child process that reads and writes the file,
                      vs 4 x (bytes of all coefficient arrays) + 60 MiB.
                      Target: ratio <= 1.0.  The peak RSS of a child that only
                      imports jpegsurgeon and numpy, and jpegtran's, for context.

It also checks that the output of ``jpegsurgeon transform`` holds the same
coefficients, quantization tables and sampling factors as the input (with
``jpeglib.read_dct`` on both files; with Pillow's decoded pixels if jpeglib is
missing) and compares the output size with jpegtran's.

Every timing is the median of ``--repeat`` runs after one warm-up run (the
``--cycles 1`` and ``--codec all`` rows: of half as many, at least one); child
processes are timed from spawn to exit.  Peak RSS is the kernel's ``ru_maxrss``
for the child, from ``os.wait4`` in a small launcher process (a child inherits
the high-water mark of the address space it is spawned from, so it cannot be
spawned from this benchmark process itself), the largest of 3 runs; no GNU
``time`` or other extra package is needed, but Linux is (``/proc``,
``os.wait4``).  The command line is the
console script installed next to this interpreter (not a pyenv shim, whose bash
wrapper alone costs tens of milliseconds), else ``jpegsurgeon`` on PATH, else
``python -m jpegsurgeon``.  1 MiB = 2**20 bytes.

This is a report, not a test: the exit status is 0 whatever the numbers, 2 if
a measurement could not be made (a child failed, jpegtran is missing), and with
``--check`` 1 if any target is missed.

    python tools/bench.py                   # plain-text report
    python tools/bench.py --markdown        # a table to paste into the README
    python tools/bench.py --input other.jpg --repeat 11 --check

Requires jpegtran on PATH (Debian/Ubuntu package ``libjpeg-turbo-progs``);
jpeglib or Pillow for the coefficient check.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from benchkit import (
    DEFAULT_INPUT,
    ERROR,
    FAIL,
    INFO,
    LEPTON_CPP_ENV,
    MIB,
    PASS,
    RATIO_TABLE,
    MeasurementError,
    Row,
    RowReport,
    add_common_arguments,
    alternating_medians,
    codec_versions,
    compile_bytecode,
    find_cli,
    find_jpegtran,
    find_lepton_cpp,
    image_summary,
    jpegtran_version,
    machine_lines,
    median_child_seconds,
    median_seconds,
    mib,
    ms,
    print_report,
    ratio_row,
    run_child,
    timing_line,
)

IN_PROCESS_TARGET = 1.0  # ours / jpegtran
ROTATE_TARGET = 0.7  # in-process read + rotate:angle=90 + write / jpegtran -rotate 90
WHOLE_PROCESS_TARGET = 2.5  # ours / jpegtran
VERIFIED_TARGET = 5.0  # transform with its default Lepton check / jpegtran
STARTUP_TARGET_S = 0.2  # absolute
MEMORY_COEF_FACTOR = 4  # peak RSS <= 4 x coefficient bytes + 60 MiB
MEMORY_OVERHEAD = 60 * MIB
MEMORY_RUNS = 3  # peak memory is the largest of this many runs

# Child that reads and writes the file, then reports the coefficient bytes.
READ_WRITE_SNIPPET = """\
import sys
import jpegsurgeon
image = jpegsurgeon.read(sys.argv[1])
data = jpegsurgeon.write(image)
print(sum(c.coefficients.nbytes for c in image.components))
"""
# Child that only imports what the read + write child uses.
IMPORT_ONLY_SNIPPET = """\
import numpy
import jpegsurgeon
from jpegsurgeon import reader, writer
"""


# Runs argv[1:] and prints its peak RSS, the launcher's own peak RSS at spawn time
# (the floor: a child spawned with vfork/posix_spawn inherits the high-water mark of
# the address space it was spawned from, so measuring from this big benchmark
# process directly would report this process's size) and the exit status.
RSS_LAUNCHER = """\
import os, re, sys
with open("/proc/self/status") as status:
    floor = int(re.search(r"VmHWM:\\s*(\\d+)", status.read()).group(1)) * 1024
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
code = os.waitstatus_to_exitcode(status)
print(usage.ru_maxrss * 1024, floor, code)
sys.exit(code)
"""


@dataclass
class PeakRss:
    peak: int  # bytes: the child's ru_maxrss
    floor: int  # bytes: the launcher's own peak; peak cannot be measured below it
    stdout: str  # the child's own output

    def label(self) -> str:
        return mib(self.peak) if self.peak > self.floor else f"<= {mib(self.floor)}"


# --- running things ---------------------------------------------------------


def peak_rss(cmd: Sequence[str]) -> PeakRss:
    """Peak RSS of cmd, spawned from a small launcher process (see RSS_LAUNCHER)."""
    *child_lines, last = run_child(
        [sys.executable, "-S", "-I", "-c", RSS_LAUNCHER, *cmd]
    ).stdout.splitlines()
    peak, floor, _ = (int(number) for number in last.split())
    return PeakRss(peak, floor, "\n".join(child_lines))


# --- measurements -----------------------------------------------------------


def bench_jpegtran(report: RowReport, source: Path, out_path: Path, repeat: int) -> float | None:
    try:
        cmd = [find_jpegtran(), "-optimize", "-copy", "none", str(source)]
        seconds = median_child_seconds(cmd, repeat, stdout_path=out_path)
    except (MeasurementError, OSError) as error:
        report.error("jpegtran -optimize -copy none", error)
        return None
    return seconds


def bench_in_process(report: RowReport, data: bytes, repeat: int, reference: float | None) -> None:
    name = "in-process read+write"
    try:
        import jpegsurgeon

        def read_write() -> None:
            jpegsurgeon.write(jpegsurgeon.read(data))

        total = median_seconds(read_write, repeat)
        write_only = median_seconds(partial(jpegsurgeon.write, jpegsurgeon.read(data)), repeat)
        read_only = median_seconds(lambda: jpegsurgeon.read(data), repeat)
    except Exception as error:
        report.error(name, error)
        return
    if reference is None:
        report.add(Row(name, ms(total), "jpegtran unavailable", status=ERROR))
    else:
        report.add(ratio_row(name, total, reference, "jpegtran", IN_PROCESS_TARGET, ms))
    for part, seconds in (("read", read_only), ("write", write_only)):
        row = Row(f"  of which {part}", ms(seconds))
        if reference is not None:
            row.reference = f"jpegtran {ms(reference)}"
            row.ratio = f"{seconds / reference:.2f}"
        report.add(row)


def bench_rotate(report: RowReport, source: Path, data: bytes, scratch: Path, repeat: int) -> None:
    name = "in-process read+rotate:angle=90+write"
    try:
        import jpegsurgeon
        from jpegsurgeon.passes import parse_spec, run_pipeline

        cmd = [find_jpegtran(), "-rotate", "90", "-optimize", "-copy", "none", str(source)]
        reference = median_child_seconds(cmd, repeat, stdout_path=scratch)
        calls = [parse_spec("rotate:angle=90")]

        def read_rotate_write() -> None:
            jpegsurgeon.write(run_pipeline(jpegsurgeon.read(data), calls, 0)[0])

        seconds = median_seconds(read_rotate_write, repeat)
    except Exception as error:
        report.error(name, error)
        return
    report.add(ratio_row(name, seconds, reference, "jpegtran -rotate 90", ROTATE_TARGET, ms))


def bench_transform(
    report: RowReport,
    cli: list[str],
    source: Path,
    out_path: Path,
    repeat: int,
    reference: float | None,
    jpegtran: tuple[list[str], Path] | None = None,
) -> float | None:
    """The --no-verify whole process, in seconds (None when not measured);
    its runs alternate with jpegtran's (`jpegtran`: the command and where its
    output goes), and the row compares with the jpegtran runs made alongside."""
    # The target compares the codec with jpegtran's, so the Lepton check that
    # transform runs by default is left out here and timed on its own below.
    name = "whole-process transform --no-verify"
    command = [*cli, "transform", str(source), str(out_path)]
    try:
        if jpegtran is not None and reference is not None:
            seconds, reference = alternating_medians(
                [([*command, "--no-verify"], None), jpegtran], repeat
            )
        else:
            seconds = median_child_seconds([*command, "--no-verify"], repeat)
        verified = median_child_seconds([*command, "--cycles", "1"], max(1, repeat // 2))
    except (MeasurementError, OSError) as error:
        report.error(name, error)
        return None
    if reference is None:
        report.add(Row(name, ms(seconds), "jpegtran unavailable", status=ERROR))
    else:
        report.add(ratio_row(name, seconds, reference, "jpegtran", WHOLE_PROCESS_TARGET, ms))
        report.add(
            Row("  transform with 1 Lepton cycle", ms(verified), f"jpegtran {ms(reference)}",
                f"{verified / reference:.2f}", "-", INFO)
        )  # fmt: skip
    return seconds


# Times one default Lepton check (three cycles: the first compression and
# decompression, and the two repeat compressions in a forked child beside
# them) of a finished output, inside a process where everything is imported.
_CHECK_ALONE = """
import sys, time
from jpegsurgeon.codecs import round_trip
data = open(sys.argv[1], "rb").read()
start = time.perf_counter()
result = round_trip(data, "lepton", 3)
seconds = time.perf_counter() - start
if not result.verified:
    sys.exit(f"the check failed: {result.error}")
print(seconds)
"""


def lepton_check_seconds(output: Path, repeat: int) -> float:
    """Median time of the default Lepton check alone, each run in a fresh process."""
    runs = []
    for _ in range(repeat + 1):  # the first is the warm-up
        text = run_child([sys.executable, "-c", _CHECK_ALONE, str(output)]).stdout
        runs.append(float(text.strip()))
    return statistics.median(runs[1:])


def bench_verified(
    report: RowReport,
    cli: list[str],
    source: Path,
    scratch: Path,
    repeat: int,
    reference: float | None,
    lepton_cpp: str | None,
    unverified: float | None = None,
    jpegtran: tuple[list[str], Path] | None = None,
) -> None:
    """The default transform (three Lepton cycles) against jpegtran (runs
    alternating with jpegtran's when `jpegtran` gives its command), the check
    alone and the floor it sets, and --codec all."""
    name = "whole-process transform (default: lepton, 3 cycles)"
    command = [*cli, "transform", str(source), str(scratch)]
    try:
        if jpegtran is not None and reference is not None:
            seconds, reference = alternating_medians([(command, None), jpegtran], repeat)
        else:
            seconds = median_child_seconds(command, repeat)
    except (MeasurementError, OSError) as error:
        report.error(name, error)
        return
    if reference is None:
        report.add(Row(name, ms(seconds), "jpegtran unavailable", status=ERROR))
        return
    report.add(ratio_row(name, seconds, reference, "jpegtran", VERIFIED_TARGET, ms))
    name = "  the Lepton check alone (3 cycles, in a process with all imported)"
    try:
        check = lepton_check_seconds(scratch, repeat)
    except (MeasurementError, OSError, ValueError) as error:
        report.error(name, error)
        check = None
    if check is not None:
        report.add(Row(name, ms(check), f"jpegtran {ms(reference)}", f"{check / reference:.2f}",
                       "-", INFO))  # fmt: skip
    if check is not None and unverified is not None:
        floor = unverified + check
        label, versus = "  transform --no-verify + the check alone", f"jpegtran {ms(reference)}"
        report.add(Row(label, ms(floor), versus, f"{floor / reference:.2f}", "-", INFO))
    name = "  transform --codec all"
    if lepton_cpp is None:
        note = f"skipped: no C++ Lepton (--lepton-cpp PATH or ${LEPTON_CPP_ENV})"
        report.add(Row(name, note))
        return
    try:
        from jpegsurgeon.codecs import resolve_codecs

        codecs = [codec.name for codec in resolve_codecs(["all"], lepton_cpp=lepton_cpp)]
        env = {**os.environ, LEPTON_CPP_ENV: lepton_cpp}
        seconds = median_child_seconds([*command, "--codec", "all"], max(1, repeat // 2), env=env)
    except Exception as error:
        report.error(name, error)
        return
    report.add(
        Row(f"{name} ({', '.join(codecs)}, 3 cycles)", ms(seconds), f"jpegtran {ms(reference)}",
            f"{seconds / reference:.2f}")
    )  # fmt: skip


def bench_startup(report: RowReport, cli: list[str], repeat: int) -> str | None:
    """Time --version against bare interpreter start-up; return the version text."""
    name = "start-up --version"
    try:
        version = run_child([*cli, "--version"]).stdout.strip()
        ours = median_child_seconds([*cli, "--version"], repeat)
        bare = median_child_seconds([sys.executable, "-c", "pass"], repeat)
    except (MeasurementError, OSError) as error:
        report.error(name, error)
        return None
    report.add(
        Row(
            name,
            ms(ours),
            f"python -c pass {ms(bare)}",
            f"{ours / bare:.2f}",
            f"< {STARTUP_TARGET_S * 1000:.0f} ms (absolute)",
            PASS if ours < STARTUP_TARGET_S else FAIL,
        )
    )
    return version


def bench_memory(report: RowReport, source: Path, scratch: Path) -> None:
    name = "peak RSS read+write"
    python = [sys.executable, "-c"]
    try:
        runs = [peak_rss([*python, READ_WRITE_SNIPPET, str(source)]) for _ in range(MEMORY_RUNS)]
        imports_only = peak_rss([*python, IMPORT_ONLY_SNIPPET])
    except (MeasurementError, OSError, ValueError) as error:
        report.error(name, error)
        return
    worst = max(runs, key=lambda run: run.peak)
    coef_bytes = int(runs[0].stdout.split()[0])
    limit = MEMORY_COEF_FACTOR * coef_bytes + MEMORY_OVERHEAD
    ratio = worst.peak / limit
    report.add(
        Row(
            name,
            worst.label(),
            f"limit {mib(limit)} = {MEMORY_COEF_FACTOR} x {mib(coef_bytes)} coefficients"
            f" ({coef_bytes:,} B) + {mib(MEMORY_OVERHEAD)}",
            f"{ratio:.2f}",
            "<= 1",
            PASS if ratio <= 1.0 else FAIL,
        )
    )
    report.add(
        Row(
            "  peak RSS, imports only",
            imports_only.label(),
            f"limit {mib(limit)}",
            f"{imports_only.peak / limit:.2f}",
        )
    )
    try:
        cmd = [find_jpegtran(), "-optimize", "-copy", "none", "-outfile", str(scratch), str(source)]
        jpegtran = peak_rss(cmd)
    except (MeasurementError, OSError, ValueError) as error:
        report.error("peak RSS, jpegtran", error)
        return
    report.add(
        Row(
            "  peak RSS read+write vs jpegtran",
            worst.label(),
            f"jpegtran {jpegtran.label()}",
            f"{worst.peak / jpegtran.peak:.2f}",
        )
    )


def check_output(report: RowReport, source: Path, ours: Path, theirs: Path | None) -> None:
    name = "output coefficients == input"
    try:
        how, problems = compare_coefficients(source, ours)
    except Exception as error:
        report.error(name, error)
    else:
        if how is None:
            report.add(Row(name, "not checked: install jpeglib or Pillow", status=INFO))
        else:
            verdict = "identical" if not problems else "differ: " + ", ".join(problems)
            report.add(
                Row(
                    f"{name} ({how})",
                    verdict,
                    target="identical",
                    status=FAIL if problems else PASS,
                )
            )
    size = ours.stat().st_size
    if theirs is None or not theirs.exists() or theirs.stat().st_size == 0:
        report.add(Row("output size", f"{size:,} B"))
        return
    ref = theirs.stat().st_size
    report.add(Row("output size", f"{size:,} B", f"jpegtran {ref:,} B", f"{size / ref:.4f}"))


def compare_coefficients(source: Path, output: Path) -> tuple[str | None, list[str]]:
    """Compare the two files' DCT data; (method, list of differences)."""
    try:
        import jpeglib
        import numpy as np
    except ImportError:
        return compare_pixels(source, output)
    a = jpeglib.read_dct(str(source))
    b = jpeglib.read_dct(str(output))
    problems = []
    if (a.width, a.height) != (b.width, b.height):
        problems.append("dimensions")
    if a.num_components != b.num_components:
        problems.append("component count")
    if not np.array_equal(a.samp_factor, b.samp_factor):
        problems.append("sampling factors")
    for channel in ("Y", "Cb", "Cr", "K"):
        x, y = getattr(a, channel), getattr(b, channel)
        if (x is None) != (y is None) or (x is not None and not np.array_equal(x, y)):
            problems.append(f"{channel} coefficients")
    for index in range(min(a.num_components, b.num_components)):
        if not np.array_equal(a.get_component_qt(index), b.get_component_qt(index)):
            problems.append(f"quant table of component {index}")
    if b.progressive_mode:
        problems.append("output is progressive")
    return "jpeglib.read_dct", problems


def compare_pixels(source: Path, output: Path) -> tuple[str | None, list[str]]:
    try:
        from PIL import Image
    except ImportError:
        return None, []
    with Image.open(source) as a, Image.open(output) as b:
        same = a.size == b.size and a.mode == b.mode and a.tobytes() == b.tobytes()
    return "Pillow pixels", [] if same else ["decoded pixels"]


# --- the report ---------------------------------------------------------------


def header_lines(
    source: Path,
    data: bytes,
    repeat: int,
    cli: list[str],
    version: str | None,
    lepton_cpp: str | None,
) -> list[tuple[str, str]]:
    return [
        *machine_lines(),
        ("jpegsurgeon", f"{version or 'CLI unavailable'} via {shlex.join(cli)}"),
        ("Codecs", codec_versions(lepton_cpp)),
        ("Reference", f"jpegtran -optimize -copy none ({jpegtran_version()})"),
        ("Input", f"{source.name} ({len(data):,} bytes{image_summary(data)})"),
        timing_line(
            repeat,
            f"; peak RSS: max of {MEMORY_RUNS} runs (ru_maxrss from os.wait4, via a small "
            "launcher)",
        ),
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark jpegsurgeon against jpegtran -optimize -copy none.",
    )
    parser.add_argument(
        "--input",
        type=Path,
        default=DEFAULT_INPUT,
        help=f"JPEG file to benchmark (default: {DEFAULT_INPUT})",
    )
    parser.add_argument(
        "--lepton-cpp",
        metavar="PATH",
        help=f"the C++ Lepton for the --codec all row (default: ${LEPTON_CPP_ENV}, lepton on "
        "PATH, or ~/.cache/lepton-cpp/lepton; the row is skipped when there is none)",
    )
    add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    source: Path = args.input
    try:
        data = source.read_bytes()
    except OSError as error:
        print(f"bench: cannot read {source}: {error.strerror or error}", file=sys.stderr)
        return 2
    report = RowReport()
    cli = find_cli()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="jpegsurgeon-bench-") as tmp:
        theirs = Path(tmp) / "jpegtran.jpg"
        ours = Path(tmp) / "jpegsurgeon.jpg"
        reference = bench_jpegtran(report, source, theirs, args.repeat)
        bench_in_process(report, data, args.repeat, reference)
        bench_rotate(report, source, data, Path(tmp) / "rotated.jpg", args.repeat)
        alongside = None
        if reference is not None:  # jpegtran ran: the whole-process rows take turns with it
            alongside = ([find_jpegtran(), "-optimize", "-copy", "none", str(source)], theirs)
        unverified = bench_transform(report, cli, source, ours, args.repeat, reference, alongside)
        transformed = unverified is not None
        verified = Path(tmp) / "verified.jpg"
        lepton_cpp = find_lepton_cpp(args.lepton_cpp)
        bench_verified(report, cli, source, verified, args.repeat, reference, lepton_cpp,
                       unverified, alongside)  # fmt: skip
        version = bench_startup(report, cli, args.repeat)
        bench_memory(report, source, Path(tmp) / "scratch.jpg")
        if transformed:
            check_output(report, source, ours, theirs if reference is not None else None)
    header = header_lines(source, data, args.repeat, cli, version, lepton_cpp)
    print_report(header, report, RATIO_TABLE, args.markdown)
    return report.exit_status(args.check)


if __name__ == "__main__":
    sys.exit(main())
