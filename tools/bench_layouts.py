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
import shlex
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchkit import (
    DEFAULT_INPUT,
    ERROR,
    MeasurementError,
    Table,
    add_common_arguments,
    check_decodes,
    find_jpegtran,
    image_summary,
    jpegtran_version,
    machine_lines,
    median_seconds,
    ms,
    print_report,
    ratio_row,
    run_child,
    timed,
    timing_line,
)
from benchkit import Report as BaseReport
from benchkit import Row as RatioRow

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

IDENTICAL, DIFFERS = "identical", "differs"


@dataclass
class Row(RatioRow):
    """One line of the report; name is the input's."""

    layout: str = "-"
    options: str = "-"
    check: str = "-"  # the entropy-coded data against jpegtran's

    def cells(self) -> tuple[str, ...]:
        return (self.name, self.layout, self.options, self.ours, self.reference, self.ratio,
                self.target, self.status, self.check)  # fmt: skip


class Report(BaseReport):
    def error(self, source: str, name: str, error: BaseException) -> None:
        row = Row(source, "error", layout=name, status=ERROR)
        self.fail(f"{source}, {name}", error, row)


@dataclass
class Input:
    path: Path
    data: bytes
    note: str = ""  # how it was made, for the made-up photo


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


def describe_input(item: Input) -> str:
    text = f"{item.path.name} ({len(item.data):,} bytes{image_summary(item.data)}"
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
    report.add(Row(name, ms(read_time), layout="read (for context)"))
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
            run_child(cmd, theirs_path)  # warm-up, kept for the check
            ours, theirs = [], []
            for _ in range(repeat):  # alternate, so that load falls on both sides
                ours.append(timed(write))
                theirs.append(run_child(cmd, os.devnull).seconds)
            check = compare_entropy(ours_data, theirs_path.read_bytes())
        except Exception as error:
            report.error(name, layout.name, error)
            continue
        timing = ratio_row(name, statistics.median(ours), statistics.median(theirs), "", TARGET, ms)
        report.add(Row(**vars(timing), layout=layout.name, options=options, check=check))


# --- the report ---------------------------------------------------------------


def header_lines(inputs: list[Input], repeat: int) -> list[tuple[str, str]]:
    import jpegsurgeon

    package = Path(jpegsurgeon.__file__).parent
    lines = [
        *machine_lines(),
        ("jpegsurgeon", f"{jpegsurgeon.__version__} ({package})"),
        ("Reference", f"jpegtran, whole process ({jpegtran_version()})"),
    ]
    lines += [("Input", describe_input(item)) for item in inputs]
    details = (
        ", ours and jpegtran's alternating; ours: jpegsurgeon.write(image, **keywords) "
        "in-process on an image read beforehand; jpegtran: spawn to exit, output to /dev/null"
    )
    lines.append(timing_line(repeat, details))
    return lines


TABLE = Table.parse(
    "input | layout | jpegtran options | jpegsurgeon write: | jpegtran: | ratio: | target | result"
    " | entropy-coded data",
    code=["jpegtran options"],
)


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
    add_common_arguments(
        parser,
        check_help="exit with status 1 if any target is missed or any entropy-coded data differs",
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
    print_report(header, report, TABLE, args.markdown)
    differs = any(row.check not in ("-", IDENTICAL) for row in report.rows)
    return report.exit_status(args.check, missed=differs)


if __name__ == "__main__":
    sys.exit(main())
