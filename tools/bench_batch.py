"""Benchmark a batch transform against jpegtran over the same files, two at a time.

Measures, in one run and side by side, over a directory of ``--files`` (48)
copies of corpus photos (``../shared/corpus``: android.jpg,
androidprogressive.jpg, iphonecrop.jpg, iphonecrop2.jpg, androidcrop.jpg,
grayscale.jpg, iphoneprogressive.jpg and iphone.jpg, repeated under different
names in a temporary directory)::

    ours      ``jpegsurgeon transform IN_DIR OUT_DIR --jobs 2 --no-verify``, the
              whole process (start-up, the worker processes, every file);
    jpegtran  ``ls IN_DIR | xargs -P 2 -I{} jpegtran -optimize -copy none
              -outfile OUT_DIR/{} IN_DIR/{}`` through ``sh -c``, the whole
              pipeline: one jpegtran process a file, two at a time.

    Target: ours / jpegtran <= 1.0 (issue 13's batch throughput).

Only photos both tools read cleanly are copied: jpegtran must exit 0 with
nothing on stderr and ``jpegsurgeon.read`` must report no damage (no warning,
not truncated); a photo that fails is left out, with the reason in the header.
``--jobs`` changes the 2 on both sides.

Every timing is the median of ``--repeat`` runs after one warm-up run of each
side; ours and jpegtran's runs alternate, so that load from other processes
falls on both; each run writes into a new empty output directory (made before
the clock starts).  After the runs, both output directories must hold one file
for every input, and one output of each (the copy of the largest photo) must
decode fully with djpeg (else jpeglib) to the photo's size.  Throughput is MB
(10**6 bytes) of input JPEG per second.

This is a report, not a test: the exit status is 0 whatever the numbers, 2 if
a measurement could not be made (jpegtran or jpegsurgeon missing or failing,
an output missing or not decoding), and with ``--check`` 1 if the target is
missed.

    python tools/bench_batch.py                   # plain-text report
    python tools/bench_batch.py --markdown        # a table to paste into the README
    python tools/bench_batch.py --files 96 --jobs 2 --repeat 5 --check

Requires jpegtran on PATH (Debian/Ubuntu package ``libjpeg-turbo-progs``), sh,
ls and xargs; djpeg or jpeglib for the decode check.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import benchkit as kit

PHOTOS = (
    "android.jpg",
    "androidprogressive.jpg",
    "iphonecrop.jpg",
    "iphonecrop2.jpg",
    "androidcrop.jpg",
    "grayscale.jpg",
    "iphoneprogressive.jpg",
    "iphone.jpg",
)
FILES = 48
JOBS = 2
TARGET = 1.0  # ours / jpegtran, whole process
MB = 1e6


@dataclass
class Batch:
    directory: Path
    names: list[str]  # the files in directory
    sources: dict[str, Path]  # name -> the corpus photo it copies
    total_bytes: int
    skipped: list[str]  # "photo: reason"


# --- the input directory ------------------------------------------------------


def damage(path: Path, jpegtran: str) -> str | None:
    """Why path is not a clean photo for both tools, or None."""
    import jpegsurgeon

    try:
        image = jpegsurgeon.read(path)
    except Exception as error:
        return f"jpegsurgeon cannot read it: {kit.first_line(error)}"
    if image.warnings or image.truncated:
        return f"jpegsurgeon: {image.warnings[0] if image.warnings else 'truncated'}"
    cmd = [jpegtran, "-optimize", "-copy", "none", "-outfile", os.devnull, str(path)]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0 or done.stderr:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        return f"jpegtran: {message[0] if message else f'status {done.returncode}'}"
    return None


def make_batch(directory: Path, files: int, jpegtran: str) -> Batch:
    """files copies of the clean corpus photos, in turn, named NN-photo.jpg."""
    photos, skipped = [], []
    for name in PHOTOS:
        path = kit.CORPUS / name
        problem = damage(path, jpegtran) if path.is_file() else "not found"
        if problem:
            skipped.append(f"{name}: {problem}")
        else:
            photos.append(path)
    if not photos:
        raise kit.MeasurementError(f"no clean photo in {kit.CORPUS}: {'; '.join(skipped)}")
    directory.mkdir()
    names, sources = [], {}
    width = len(str(files - 1))
    for index in range(files):
        source = photos[index % len(photos)]
        name = f"{index:0{width}d}-{source.name}"
        shutil.copyfile(source, directory / name)
        names.append(name)
        sources[name] = source
    total = sum((directory / name).stat().st_size for name in names)
    return Batch(directory, names, sources, total, skipped)


# --- measurements -------------------------------------------------------------


def commands(
    cli: list[str], jpegtran: str, batch: Batch, ours: Path, theirs: Path, jobs: int
) -> tuple[list[str], list[str]]:
    """Our command writing into ours, and the jpegtran pipeline writing into theirs."""
    source = str(batch.directory)
    mine = [*cli, "transform", source, str(ours), "--jobs", str(jobs), "--no-verify"]
    each = shlex.join([jpegtran, "-optimize", "-copy", "none", "-outfile", f"{theirs}/{{}}"])
    pipeline = (
        f"ls {shlex.quote(source)} | xargs -P {jobs} -I{{}} {each} {shlex.quote(source)}/{{}}"
    )
    return mine, ["sh", "-c", pipeline]


def fresh(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    return directory


def bench_batch(
    report: kit.RowReport, cli: list[str], batch: Batch, scratch: Path, jobs: int, repeat: int
) -> tuple[Path, Path] | None:
    """Time both sides, alternating; the two output directories of the last runs."""
    name = f"batch transform --jobs {jobs} --no-verify, {len(batch.names)} files"
    ours_out, theirs_out = scratch / "ours", scratch / "jpegtran"
    ours_cmd, theirs_cmd = commands(cli, kit.find_jpegtran(), batch, ours_out, theirs_out, jobs)
    ours, theirs = [], []
    try:
        for run in range(repeat + 1):  # run 0 is the warm-up of each side
            fresh(ours_out)
            mine = kit.run_child(ours_cmd, os.devnull).seconds
            fresh(theirs_out)
            reference = kit.run_child(theirs_cmd, os.devnull).seconds
            if run:
                ours.append(mine)
                theirs.append(reference)
    except (kit.MeasurementError, OSError) as error:
        report.error(name, error)
        return None
    mine, reference = statistics.median(ours), statistics.median(theirs)
    label = f"xargs -P {jobs} jpegtran"
    report.add(kit.ratio_row(name, mine, reference, label, TARGET, kit.ms))
    mb = batch.total_bytes / MB
    rates = f"{mb / mine:.1f} MB/s", f"{label} {mb / reference:.1f} MB/s"
    report.add(kit.Row(f"  throughput ({mb:.1f} MB of JPEG)", *rates, f"{reference / mine:.2f}"))
    return ours_out, theirs_out


def check_outputs(report: kit.RowReport, batch: Batch, ours: Path, theirs: Path) -> None:
    """Every input has an output on both sides; the largest photo's copy decodes."""
    import jpegsurgeon

    largest = max(batch.names, key=lambda name: (batch.directory / name).stat().st_size)
    image = jpegsurgeon.read(batch.sources[largest])
    for side, directory in (("jpegsurgeon", ours), ("jpegtran", theirs)):
        name = f"{side} outputs"
        try:
            bad = [n for n in batch.names if not (directory / n).is_file()
                   or not (directory / n).stat().st_size]  # fmt: skip
            if bad:
                raise kit.MeasurementError(f"{len(bad)} outputs missing or empty, first {bad[0]}")
            decoder = kit.check_decodes(directory / largest, image.width, image.height)
        except (kit.MeasurementError, OSError) as error:
            report.error(name, error)
            continue
        verdict = f"{len(batch.names)} files; {largest} decodes with {decoder}"
        report.add(kit.Row(name, verdict, target="all there, decodes", status=kit.PASS))
    size = sum((ours / n).stat().st_size for n in batch.names if (ours / n).is_file())
    ref = sum((theirs / n).stat().st_size for n in batch.names if (theirs / n).is_file())
    if size and ref:
        report.add(
            kit.Row("output bytes", f"{size:,} B", f"jpegtran {ref:,} B", f"{size / ref:.4f}")
        )


# --- the report ---------------------------------------------------------------


def header_lines(
    batch: Batch | None, cli: list[str], jobs: int, repeat: int
) -> list[tuple[str, str]]:
    import jpegsurgeon

    lines = [
        *kit.machine_lines(),
        ("jpegsurgeon", f"{jpegsurgeon.__version__} via {shlex.join(cli)}"),
        (
            "Reference",
            f"ls | xargs -P {jobs} jpegtran -optimize -copy none ({kit.jpegtran_version()})",
        ),
    ]
    if batch is not None:
        counts: dict[str, int] = {}
        for source in batch.sources.values():
            counts[source.name] = counts.get(source.name, 0) + 1
        copies = ", ".join(f"{name} x{count}" for name, count in counts.items())
        lines.append(("Input", f"{len(batch.names)} files, {batch.total_bytes:,} bytes: {copies}"))
        lines += [("Left out", reason) for reason in batch.skipped]
    details = (
        " of each side, alternating; whole process, spawn to exit, each run into a new empty "
        "directory"
    )
    return [*lines, kit.timing_line(repeat, details), kit.load_line()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for flag, default, text in (
        ("--files", FILES, "files in the batch, copies of the corpus photos"),
        ("--jobs", JOBS, "parallel processes on both sides"),
    ):
        help_text = f"{text} (default: {default})"
        parser.add_argument(
            flag, type=kit.positive_int, default=default, metavar="N", help=help_text
        )
    kit.add_common_arguments(parser, repeat=3)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = kit.RowReport()
    cli = kit.find_cli()
    kit.compile_bytecode()
    batch = None
    with tempfile.TemporaryDirectory(prefix="jpegsurgeon-bench-batch-") as tmp:
        scratch = Path(tmp)
        try:
            batch = make_batch(scratch / "in", args.files, kit.find_jpegtran())
        except (kit.MeasurementError, OSError) as error:
            report.error("input directory", error)
        if batch is not None:
            outputs = bench_batch(report, cli, batch, scratch, args.jobs, args.repeat)
            if outputs is not None:
                check_outputs(report, batch, *outputs)
        header = header_lines(batch, cli, args.jobs, args.repeat)
    kit.print_report(header, report, kit.RATIO_TABLE, args.markdown)
    return report.exit_status(args.check)


if __name__ == "__main__":
    sys.exit(main())
