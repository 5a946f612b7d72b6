"""Benchmark the lossless recompressors behind ``transform``'s verification.

Measures, in one run and side by side, on the corpus photos
(``../shared/corpus``: iphone.jpg, android.jpg, iphonecrop.jpg, grayscale.jpg
and androidprogressive.jpg next to the repository; ``--input`` replaces them)::

    1. throughput   each codec's compress and decompress callables, as
                    ``jpegsurgeon.codecs.get_codec(name, lepton_cpp=...)``
                    returns them, in MB of JPEG per second (1 MB = 10**6 bytes,
                    the JPEG's size divided by the median time, for both
                    directions):
                      lepton      lepton-jpeg-python, in this process;
                      lepton-cpp  the reference C++ Lepton, ``lepton - -`` as a
                                  whole process per call, as jpegsurgeon runs it;
                      jxl         imagecodecs' jpegxl_encode_jpeg and
                                  jpegxl_decode_jpeg, in this process.
                    The reference is lepton (the default codec) on the same
                    file; the ratio is the codec's time / lepton's time.  A
                    file a codec refuses is skipped with its reason; the
                    decompressed bytes must equal the JPEG (else ERROR).  Each
                    codec's total over the files it accepts closes its rows.
                    The note gives the median CPU time of a call (every
                    thread of this process and the children it waited for):
                    above the wall time when the codec runs threads, which is
                    what bounds running several of them side by side.
    2. round trip   the verified round trip with every codec installed,
                    ``round_trips(data, resolve_codecs(["all"]), cycles=3)``,
                    against ``round_trip(data, "lepton", 3)`` alone: the cost of
                    ``--codec all`` over the default check, as a time ratio; the
                    two runs alternate, so that load from other processes falls
                    on both.

There is no target here: every row is INFO (ERROR when a measurement fails).
Every timing is the median of ``--repeat`` runs after one warm-up run.

This is a report, not a test: the exit status is 0 whatever the numbers, 2 if
a measurement could not be made (a codec missing or giving different bytes
back), and ``--check`` (for symmetry with the other benchmarks) adds nothing.

    python tools/bench_codecs.py                   # plain-text report
    python tools/bench_codecs.py --markdown        # a table to paste into the README
    python tools/bench_codecs.py --codec lepton --input a.jpg --repeat 11

Requires lepton-jpeg-python; imagecodecs with JPEG XL for jxl; the C++ Lepton
(``--lepton-cpp``, $JPEGSURGEON_LEPTON_CPP, ``lepton`` on PATH or
~/.cache/lepton-cpp/lepton, as ../shared/tools/build-lepton-cpp.sh builds it)
for lepton-cpp.  A codec that is missing is skipped with a note (an ERROR row
when it was named with ``--codec``).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import benchkit as kit

from jpegsurgeon.codecs import Codec

PHOTOS = ("iphone.jpg", "android.jpg", "iphonecrop.jpg", "grayscale.jpg", "androidprogressive.jpg")
CODECS = ("lepton", "lepton-cpp", "jxl")
REFERENCE = "lepton"
CYCLES = 3
MB = 1e6


@dataclass
class Row(kit.FieldCells):
    """One line of the report."""

    codec: str
    direction: str
    input: str
    throughput: str = "-"
    time: str = "-"
    reference: str = "-"
    ratio: str = "-"
    status: str = kit.INFO
    note: str = "-"


class Report(kit.Report):
    def error(self, codec: str, direction: str, name: str, error: BaseException) -> None:
        row = Row(codec, direction, name, "error", status=kit.ERROR)
        self.fail(f"{codec} {direction}, {name}", error, row)


@dataclass
class Photo:
    name: str
    data: bytes


@dataclass
class Timing:
    """One codec on one file: median seconds each way, or why it was skipped."""

    compress: float = 0.0
    decompress: float = 0.0
    compressed_bytes: int = 0
    refused: str = ""  # the codec's reason for refusing the file
    compress_cpu: float = 0.0  # median CPU seconds, this process's threads and children
    decompress_cpu: float = 0.0


def timed_with_cpu(func: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call: CPU of every thread of this process
    and of the children it waited for (the C++ Lepton is one)."""
    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = kit.timed(func)
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before))
    return wall, cpu


# --- measurements -----------------------------------------------------------


def measure(codec: Codec, photo: Photo, repeat: int) -> Timing:
    """Median compress and decompress times of one codec on one file."""
    try:
        packed = codec.compress(photo.data)  # the warm-up of both directions
    except Exception as error:  # each binding raises its own exception types
        return Timing(refused=f"refused: {kit.first_line(error)}")
    if codec.decompress(packed) != photo.data:
        raise kit.MeasurementError("decompressed bytes differ from the JPEG")
    compress = [timed_with_cpu(partial(codec.compress, photo.data)) for _ in range(repeat)]
    decompress = [timed_with_cpu(partial(codec.decompress, packed)) for _ in range(repeat)]
    return Timing(
        statistics.median(wall for wall, _ in compress),
        statistics.median(wall for wall, _ in decompress),
        len(packed),
        compress_cpu=statistics.median(cpu for _, cpu in compress),
        decompress_cpu=statistics.median(cpu for _, cpu in decompress),
    )


def files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"


def rate(size: int, seconds: float) -> str:
    return f"{size / MB / seconds:.2f} MB/s"


def bench_throughput(
    report: Report,
    codecs: list[Codec],
    photos: list[Photo],
    repeat: int,
    missing: dict[str, tuple[str, bool]],
) -> None:
    """Rows per codec: each file both ways, then the codec's total."""
    timings: dict[tuple[str, str], Timing] = {}
    for photo in photos:  # every codec on one file before the next file
        for codec in codecs:
            try:
                timings[codec.name, photo.name] = measure(codec, photo, repeat)
            except Exception as error:
                report.error(codec.name, "compress/decompress", photo.name, error)
    for name in CODECS:
        if name in missing:
            reason, named = missing[name]
            if named:
                report.error(name, "compress/decompress", "-", kit.MeasurementError(reason))
            else:
                report.add(Row(name, "compress/decompress", "-", note=f"skipped: {reason}"))
            continue
        if all((name, photo.name) not in timings for photo in photos):
            continue
        for direction in ("compress", "decompress"):
            add_direction(report, name, direction, photos, timings)


def add_direction(
    report: Report,
    name: str,
    direction: str,
    photos: list[Photo],
    timings: dict[tuple[str, str], Timing],
) -> None:
    def seconds(timing: Timing) -> float:
        return timing.compress if direction == "compress" else timing.decompress

    accepted = []
    for photo in photos:
        timing = timings.get((name, photo.name))
        if timing is None:
            continue  # an ERROR row says why
        if timing.refused:
            report.add(Row(name, direction, photo.name, note=timing.refused))
            continue
        accepted.append(photo)
        reference = timings.get((REFERENCE, photo.name))
        row = Row(name, direction, photo.name, rate(len(photo.data), seconds(timing)),
                  kit.ms(seconds(timing)))  # fmt: skip
        cpu = timing.compress_cpu if direction == "compress" else timing.decompress_cpu
        row.note = f"CPU {kit.ms(cpu)}"  # above the wall time: the codec runs threads
        if direction == "compress":
            row.note += f"; {timing.compressed_bytes / len(photo.data):.4f} of the JPEG's size"
        if name != REFERENCE and reference is not None and not reference.refused:
            row.reference = f"{REFERENCE} {kit.ms(seconds(reference))}"
            row.ratio = f"{seconds(timing) / seconds(reference):.2f}"
        report.add(row)
    if not accepted:
        return
    total_bytes = sum(len(photo.data) for photo in accepted)
    total = sum(seconds(timings[name, photo.name]) for photo in accepted)
    label = f"total: {files(len(accepted))} it accepts ({total_bytes / MB:.2f} MB)"
    row = Row(f"  {name}", direction, label, rate(total_bytes, total), kit.ms(total))
    references = [timings.get((REFERENCE, photo.name)) for photo in accepted]
    if name != REFERENCE and all(ref is not None and not ref.refused for ref in references):
        reference_total = sum(seconds(ref) for ref in references)
        row.reference = f"{REFERENCE} {kit.ms(reference_total)}"
        row.ratio = f"{total / reference_total:.2f}"
    report.add(row)


def bench_round_trips(
    report: Report, codecs: list[Codec], photos: list[Photo], repeat: int
) -> None:
    """round_trips with every codec against round_trip with lepton alone, alternating."""
    from jpegsurgeon.codecs import round_trip, round_trips

    names = ", ".join(codec.name for codec in codecs)
    direction = f"verified round trip, {CYCLES} cycles"
    measured = []  # (bytes, seconds with every codec, seconds with lepton alone) a file
    for photo in photos:
        both = partial(round_trips, photo.data, codecs, cycles=CYCLES)
        alone = partial(round_trip, photo.data, REFERENCE, CYCLES)
        try:
            results = both()  # warm-up, kept for the note
            alone()
            ours, theirs = [], []
            for _ in range(repeat):  # alternate, so that load falls on both
                ours.append(kit.timed(both))
                theirs.append(kit.timed(alone))
        except Exception as error:
            report.error(names, direction, photo.name, error)
            continue
        mine, reference = statistics.median(ours), statistics.median(theirs)
        failed = [f"{name}: {r.error}" for name, r in results.items() if not r.verified]
        note = "; ".join(failed) or "all verified"
        report.add(round_trip_row(names, direction, photo.name, len(photo.data), mine, reference,
                                  note))  # fmt: skip
        measured.append((len(photo.data), mine, reference))
    if measured:
        size, mine, reference = (sum(column) for column in zip(*measured))
        label = f"total: {files(len(measured))} ({size / MB:.2f} MB)"
        report.add(round_trip_row(f"  {names}", direction, label, size, mine, reference))


def round_trip_row(
    names: str, direction: str, label: str, size: int, mine: float, alone: float, note: str = "-"
) -> Row:
    reference = f"{REFERENCE} alone {kit.ms(alone)}"
    return Row(names, direction, label, rate(size, mine), kit.ms(mine), reference,
               f"{mine / alone:.2f}", note=note)  # fmt: skip


# --- the report ---------------------------------------------------------------


TABLE = kit.Table.parse(
    "codec | direction | input | throughput: | median time: | reference | time ratio: | result"
    " | note"
)


def header_lines(
    photos: list[Photo], repeat: int, lepton_cpp: str | None, all_codecs: str
) -> list[tuple[str, str]]:
    import jpegsurgeon

    package = Path(jpegsurgeon.__file__).parent
    lines = [
        *kit.machine_lines(),
        ("jpegsurgeon", f"{jpegsurgeon.__version__} ({package})"),
        ("Codecs", kit.codec_versions(lepton_cpp)),
        ("Reference", f"{REFERENCE} (lepton-jpeg-python) on the same file, in this process"),
    ]
    lines += [
        ("Input", f"{photo.name} ({len(photo.data):,} bytes{kit.image_summary(photo.data)})")
        for photo in photos
    ]
    details = (
        "; throughput: MB (10**6 bytes) of JPEG per second both ways; lepton and jxl "
        f"in-process, lepton-cpp `lepton - -` spawned per call; round trips: {all_codecs} and "
        "lepton alone alternating"
    )
    return [*lines, kit.timing_line(repeat, details), kit.load_line()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--input",
        type=Path,
        action="append",
        metavar="PATH",
        help=f"JPEG file to benchmark; repeatable (default: {', '.join(PHOTOS)} in {kit.CORPUS})",
    )
    parser.add_argument(
        "--codec",
        action="append",
        choices=CODECS,
        help=f"codec to time; repeatable (default: {', '.join(CODECS)})",
    )
    parser.add_argument(
        "--lepton-cpp",
        metavar="PATH",
        help=f"the C++ Lepton binary (default: ${kit.LEPTON_CPP_ENV}, lepton on PATH, or "
        "~/.cache/lepton-cpp/lepton)",
    )
    kit.add_common_arguments(
        parser, repeat=5, check_help="accepted for symmetry; no row has a target"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from jpegsurgeon.codecs import get_codec, resolve_codecs

    photos = []
    for path in args.input or [kit.CORPUS / name for name in PHOTOS]:
        try:
            photos.append(Photo(path.name, path.read_bytes()))
        except OSError as error:
            print(f"bench_codecs: cannot read {path}: {error.strerror or error}", file=sys.stderr)
            return 2
    lepton_cpp = kit.find_lepton_cpp(args.lepton_cpp)
    codecs, missing = [], {}
    for name in args.codec or CODECS:
        try:
            codecs.append(get_codec(name, lepton_cpp=lepton_cpp or args.lepton_cpp))
        except Exception as error:
            missing[name] = (kit.first_line(error), bool(args.codec))
    report = Report()
    bench_throughput(report, codecs, photos, args.repeat, missing)
    all_codecs = "all codecs"
    try:
        every = resolve_codecs(["all"], lepton_cpp=lepton_cpp)
        all_codecs = ", ".join(codec.name for codec in every)
        bench_round_trips(report, every, photos, args.repeat)
    except Exception as error:
        report.error("all", "verified round trip", "-", error)
    header = header_lines(photos, args.repeat, lepton_cpp, all_codecs)
    kit.print_report(header, report, TABLE, args.markdown)
    return report.exit_status(args.check)


if __name__ == "__main__":
    sys.exit(main())
