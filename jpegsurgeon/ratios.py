"""Compression ratios of a collection of JPEGs, per codec, and their summary.

Every file goes through each codec's verified round trip (`codecs.round_trips`):
a ratio (compressed bytes / JPEG bytes) counts only when the codec gave the
JPEG back bit for bit.  A file a codec rejects, mismatches or is too large for
is recorded with the codec's reason and counted as that codec's failure; it
never stops the run.  Files are measured in worker processes (codecs hold
lambdas, so workers get codec names and resolve them again), with the audit's
crash isolation: a file that kills its worker is a failure of every codec.

    files = jpeg_files(["photos"], recursive=True, missing=[])
    results = sorted(iter_ratios(files, ("lepton", "jxl"), jobs=4), key=lambda r: r.path)
    summary = summarize(results, ("lepton", "jxl"))   # {name: CodecSummary}

`run_ratios` is the `ratios` command: walking, progress, text, JSON or CSV
output, the optional plot (matplotlib, imported only for it) and the exit code.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import stat
import statistics
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from .codecs import Codec, CodecResult, resolve_codecs, round_trips
from .errors import JpegError

JPEG_MAGIC = b"\xff\xd8"  # SOI: how files inside a directory are recognised
PLOT_INSTALL = "pip install 'jpegsurgeon[plot]' (or: pip install matplotlib)"


@dataclass
class FileRatios:
    """One file's round trip through every codec."""

    path: str
    jpeg_bytes: int | None  # None when the file could not be read
    codecs: dict[str, CodecResult]
    unreadable: bool = False

    @property
    def size(self) -> int:  # for the progress line
        return self.jpeg_bytes or 0

    @property
    def verified(self) -> bool:
        return all(r.verified for r in self.codecs.values())

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "jpeg_bytes": self.jpeg_bytes,
                "codecs": {name: r.file_fields() for name, r in self.codecs.items()}}  # fmt: skip


@dataclass
class CodecSummary:
    """One codec over a collection.  Bytes and ratios are of the files it
    verified; a failure is a file it rejected, mismatched or could not get."""

    codec: str
    files: int
    failures: int
    jpeg_bytes: int
    compressed_bytes: int
    mean_ratio: float | None
    median_ratio: float | None
    min_ratio: float | None
    max_ratio: float | None

    @property
    def verified(self) -> int:
        return self.files - self.failures

    @property
    def total_ratio(self) -> float | None:
        """Compressed bytes / JPEG bytes over all verified files together."""
        return self.compressed_bytes / self.jpeg_bytes if self.jpeg_bytes else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "verified": self.verified,
            "failures": self.failures,
            "jpeg_bytes": self.jpeg_bytes,
            "compressed_bytes": self.compressed_bytes,
            "total_ratio": self.total_ratio,
            "mean_ratio": self.mean_ratio,
            "median_ratio": self.median_ratio,
            "min_ratio": self.min_ratio,
            "max_ratio": self.max_ratio,
        }


# ------------------------------------------------------------------- the files


def is_jpeg(path: str) -> bool | None:
    """Whether a regular file starts with SOI; None when it cannot be read or
    is no regular file (a FIFO, socket or device is never opened)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            return handle.read(2) == JPEG_MAGIC
    except OSError:
        return None


def jpeg_files(paths: Sequence[str], recursive: bool, missing: list[str]) -> list[str]:
    """The files named, and the JPEGs (by content: FF D8 first) inside the
    directories named, all levels with `recursive`; each once, in walking
    order.  An entry of a directory that cannot be read, or is no regular
    file, is kept so that it is reported (as the audit does); paths that do
    not exist, and `-` (standard input), go to `missing` with the reason."""
    from .compliance.runner import walk

    if "-" in paths:
        missing.append("-: ratios reads files and directories, not standard input")
        paths = [p for p in paths if p != "-"]
    named = {p for p in paths if os.path.isfile(p)}
    found = dict.fromkeys(
        p for p in walk(list(paths), recursive, missing) if p in named or is_jpeg(p) is not False
    )  # fmt: skip
    return list(found)


# ------------------------------------------------------------------ measuring


@functools.lru_cache(maxsize=8)
def _codecs(names: tuple[str, ...], lepton_cpp: str | None) -> tuple[Codec, ...]:
    return tuple(resolve_codecs(names, lepton_cpp=lepton_cpp))


def measure_file(
    path: str,
    codecs: tuple[str, ...] = ("lepton",),
    cycles: int = 3,
    max_bytes: int | None = None,
    lepton_cpp: str | None = None,
    max_input_bytes: int | None = None,
) -> FileRatios:
    """Every codec's round trip of one file; never raises for the file's sake."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            reason = "not a regular file (a FIFO, socket or device is never opened)"
            return _failed(path, codecs, f"cannot read: {reason}", unreadable=True)
        with open(path, "rb") as handle:
            data = handle.read(-1 if max_input_bytes is None else max_input_bytes + 1)
    except OSError as error:
        return _failed(path, codecs, f"cannot read: {error.strerror or error}", unreadable=True)
    if max_input_bytes is not None and len(data) > max_input_bytes:
        reason = f"cannot read: more than {max_input_bytes} bytes (--max-input-bytes)"
        return _failed(path, codecs, reason, unreadable=True)
    try:
        results = round_trips(data, _codecs(codecs, lepton_cpp), cycles, max_bytes)
    except Exception as error:  # a bug of ours must not end a run over a million files
        return _failed(path, codecs, f"the measurement itself failed: {error!r}", len(data))
    return FileRatios(path, len(data), results)


def _failed(
    path: str, codecs: Iterable[str], reason: str, size: int | None = None, unreadable=False
) -> FileRatios:
    results = {name: CodecResult(name, size or 0, error=reason) for name in codecs}
    return FileRatios(path, size, results, unreadable)


def iter_ratios(
    files: Sequence[str],
    codecs: Sequence[str] = ("lepton",),
    *,
    cycles: int = 3,
    max_bytes: int | None = None,
    lepton_cpp: str | None = None,
    max_input_bytes: int | None = None,
    jobs: int = 1,
) -> Iterator[FileRatios]:
    """Each file's ratios, in the order files finish (`jobs` worker processes).

    `codecs` are names (`all` allowed); an unavailable codec raises
    CodecUnavailable before any file is touched.  Workers start from a fork
    server, not a fork of this process: lepton-jpeg-python hangs in a forked
    child once its parent has compressed anything."""
    from .compliance.runner import parallel

    names = tuple(c.name for c in resolve_codecs(codecs, lepton_cpp=lepton_cpp))
    work = partial(measure_file, codecs=names, cycles=cycles, max_bytes=max_bytes,
                   lepton_cpp=lepton_cpp, max_input_bytes=max_input_bytes)  # fmt: skip
    if jobs <= 1 or len(files) <= 1:
        yield from map(work, files)
        return
    crashed = partial(_failed, codecs=names, reason="measuring this file killed the worker "
                      "process (a crash in native code?)")  # fmt: skip
    yield from parallel(work, list(files), jobs, crashed)


def summarize(results: Iterable[FileRatios], codecs: Sequence[str]) -> dict[str, CodecSummary]:
    """Per codec (in the order given): files, failures, bytes in and out of
    the verified files, and the mean, median, min and max of their ratios."""
    results = list(results)
    summary = {}
    for name in codecs:
        mine = [r.codecs[name] for r in results if name in r.codecs]
        good = [r for r in mine if r.verified and r.ratio is not None]
        ratios = [r.ratio for r in good]
        summary[name] = CodecSummary(
            codec=name,
            files=len(mine),
            failures=len(mine) - len(good),
            jpeg_bytes=sum(r.jpeg_bytes for r in good),
            compressed_bytes=sum(r.compressed_bytes or 0 for r in good),
            mean_ratio=statistics.fmean(ratios) if ratios else None,
            median_ratio=statistics.median(ratios) if ratios else None,
            min_ratio=min(ratios) if ratios else None,
            max_ratio=max(ratios) if ratios else None,
        )
    return summary


# -------------------------------------------------------------------- output


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in
                 enumerate(zip(row, widths))]  # fmt: skip
        lines.append("  ".join(cells).rstrip())
    return lines


def format_text(results: Sequence[FileRatios], summary: dict[str, CodecSummary]) -> str:
    """A table of files (ratio per codec, FAIL when not verified), the
    failures with their reasons, and the summary per codec."""
    names = list(summary)
    rows = [["file", "jpeg_bytes", *names]]
    for r in results:
        size = "-" if r.jpeg_bytes is None else str(r.jpeg_bytes)
        rows.append([r.path, size, *(_ratio(r.codecs[n].ratio) if r.codecs[n].verified
                                     else "FAIL" for n in names)])  # fmt: skip
    lines = _table(rows, set(range(1, len(names) + 2)))
    failures = [(r.path, n, r.codecs[n].error) for r in results for n in names
                if not r.codecs[n].verified]  # fmt: skip
    if failures:
        lines += ["", f"{len(failures)} failures:"]
        lines += [f"  {path}: {name}: {error}" for path, name, error in failures]
    head = ["codec", "files", "failures", "jpeg_bytes", "compressed_bytes", "total_ratio",
            "mean_ratio", "median_ratio"]  # fmt: skip
    rows = [head] + [
        [s.codec, str(s.files), str(s.failures), str(s.jpeg_bytes), str(s.compressed_bytes),
         _ratio(s.total_ratio), _ratio(s.mean_ratio), _ratio(s.median_ratio)]
        for s in summary.values()
    ]  # fmt: skip
    lines += ["", "Summary (bytes and ratios of verified files; ratio = compressed / JPEG bytes):"]
    lines += _table(rows, set(range(1, len(head))))
    return "\n".join(lines)


def json_document(results: Sequence[FileRatios], summary: dict[str, CodecSummary]) -> dict:
    return {
        "files": [r.as_dict() for r in sorted(results, key=lambda r: r.path)],
        "summary": {name: s.as_dict() for name, s in summary.items()},
        "all_verified": all(r.verified for r in results),
    }


CSV_FIELDS = ("path", "jpeg_bytes", "codec", "verified", "compressed_bytes", "ratio", "cycles",
              "error")  # fmt: skip


def write_csv(results: Sequence[FileRatios], stream: IO[str]) -> None:
    """One row per file and codec, files sorted by path; empty cells for none."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in sorted(results, key=lambda r: r.path):
        for name, result in r.codecs.items():
            fields = result.file_fields()
            row = {"path": r.path, "jpeg_bytes": r.jpeg_bytes, "codec": name, **fields,
                   "verified": "true" if result.verified else "false"}  # fmt: skip
            writer.writerow(["" if row[k] is None else row[k] for k in CSV_FIELDS])


# ---------------------------------------------------------------------- plot


def require_matplotlib() -> None:
    """Raise the one-line error with the install command when matplotlib is absent."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        message = f"--plot needs matplotlib, which is not installed: {PLOT_INSTALL}"
        raise JpegError(message) from None


def check_plot_path(path: str) -> None:
    """Refuse, before any work, a plot that could not be written: matplotlib
    absent, a format it does not know, a directory that does not exist."""
    require_matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    known = FigureCanvasBase.get_supported_filetypes()
    if suffix not in known:
        raise JpegError(f"{path}: cannot draw a .{suffix} plot: use one of "
                        f"{', '.join(sorted(known))}")  # fmt: skip
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise JpegError(f"{path}: cannot write the plot: no directory {directory}")


def plot(
    results: Sequence[FileRatios], summary: dict[str, CodecSummary], path: str, subject: str = ""
) -> None:
    """Draw the distribution of ratios per codec into `path` (PNG by its
    extension): a box per codec with every verified file as a dot, the median
    marked and written beside it, failures counted in the codec's label.  Far
    outliers (beyond 3 interquartile ranges of all ratios) sit as arrows at the
    edge with their values, so that they do not squeeze the boxes."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(summary)[::-1]  # the first codec on top
    data = [[r.codecs[n].ratio for r in results if r.codecs[n].verified
             and r.codecs[n].ratio is not None] for n in names]  # fmt: skip
    everything = [v for values in data for v in values]
    low, high = _axis_range(everything)
    colors = plt.get_cmap("tab10").colors
    figure, axes = plt.subplots(figsize=(9, 1.9 + 1.1 * len(names)), dpi=120)
    rng = np.random.default_rng(0)  # the jitter, the same on every run
    for i, (name, values) in enumerate(zip(names, data)):
        color = colors[(len(names) - 1 - i) % len(colors)]
        if not values:
            axes.text(0.5, i, "no verified file", transform=axes.get_yaxis_transform(),
                      ha="center", va="center", color="gray")  # fmt: skip
            continue
        axes.boxplot([values], positions=[i], vert=False, widths=0.5, showfliers=False,
                     medianprops={"color": "black", "linewidth": 2.5}, boxprops={"color": color},
                     whiskerprops={"color": color}, capprops={"color": color})  # fmt: skip
        inside = [v for v in values if low <= v <= high]
        jitter = rng.uniform(-0.18, 0.18, len(inside))
        axes.scatter(inside, i + jitter, s=18, color=color, alpha=0.75, zorder=3,
                     edgecolors="none")  # fmt: skip
        median = summary[name].median_ratio
        axes.annotate(f"median {median:.3f}", (median, i + 0.27), ha="center", va="bottom",
                      fontsize=9)  # fmt: skip
        for side, far in (("low", [v for v in values if v < low]),
                          ("high", [v for v in values if v > high])):  # fmt: skip
            if not far:
                continue
            shown = ", ".join(f"{v:.3f}" for v in sorted(far)[:3]) + (", ..." if len(far) > 3
                                                                       else "")  # fmt: skip
            count = f"{len(far)} files: " if len(far) > 1 else ""
            edge = 0.0 if side == "low" else 1.0
            axes.text(edge, i - 0.3, f"\u25c0 off scale: {count}{shown}" if side == "low" else
                      f"off scale: {count}{shown} \u25b6", transform=axes.get_yaxis_transform(),
                      ha="left" if side == "low" else "right", va="center", fontsize=8,
                      color=color)  # fmt: skip
    labels = []
    for name in names:
        s = summary[name]
        failed = f", {s.failures} failed" if s.failures else ""
        labels.append(f"{name}\n{s.verified} verified{failed}")
    axes.set_yticks(range(len(names)), labels)
    axes.set_ylim(-0.6, len(names) - 0.35)
    if everything:
        margin = (high - low) * 0.06 or 0.05
        axes.set_xlim(low - margin, high + margin)
        if low - margin <= 1.0 <= high + margin:
            axes.axvline(1.0, color="gray", linestyle="--", linewidth=1)
            axes.text(1.0, len(names) - 0.4, "no saving ", color="gray", fontsize=8,
                      ha="right", va="top")  # fmt: skip
    axes.set_xlabel("ratio = compressed bytes / JPEG bytes (lower: smaller)")
    where = f" in {subject}" if subject else ""
    axes.set_title(f"Lossless recompression ratio per codec, {len(results)} JPEG files{where}")
    axes.grid(axis="x", alpha=0.3)
    figure.text(
        0.99,
        0.01,
        "dots: files the codec verified; box: quartiles; whiskers: 1.5 IQR; black bar: median",
        ha="right",
        va="bottom",
        fontsize=7,
        color="dimgray",
    )
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    _save(figure, path)
    plt.close(figure)


def _axis_range(values: list[float]) -> tuple[float, float]:
    """The smallest and largest ratio within 3 interquartile ranges of the
    quartiles; values outside are drawn at the edge."""
    if not values:
        return 0.0, 1.0
    ordered = sorted(values)
    q1, _, q3 = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else (ordered[0],) * 3
    spread = 3 * (q3 - q1)
    kept = [v for v in ordered if q1 - spread <= v <= q3 + spread] or ordered
    return kept[0], kept[-1]


def _save(figure: Any, path: str) -> None:
    """Render in memory, then write through a temporary file renamed when
    complete (the format from the extension: png, svg, pdf...)."""
    from .fileio import write_atomic

    suffix = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format=suffix)
    except ValueError as error:  # a format matplotlib does not know
        raise JpegError(f"{path}: cannot draw the plot: {error}") from None
    try:
        write_atomic(path, buffer.getvalue())
    except JpegError as error:
        raise JpegError(f"{path}: cannot write the plot: {error.message}") from None


# ------------------------------------------------------------------ the command


def run_ratios(
    paths: Sequence[str],
    codecs: Sequence[str] = ("lepton",),
    *,
    recursive: bool = False,
    jobs: int | None = None,
    cycles: int = 3,
    max_bytes: int | None = None,
    lepton_cpp: str | None = None,
    max_input_bytes: int | None = None,
    output: str = "text",
    plot_path: str | None = None,
) -> int:
    """The `ratios` command; returns the exit code: 0 when every codec
    verified every file, 1 when any failed, 2 when a path cannot be read."""
    from .compliance.runner import Progress

    if plot_path is not None:
        check_plot_path(plot_path)  # before the measuring, not after it
    names = tuple(c.name for c in resolve_codecs(codecs, lepton_cpp=lepton_cpp))
    missing: list[str] = []
    files = jpeg_files(paths, recursive, missing)
    for problem in missing:
        print(f"jpegsurgeon: error: {problem}", file=sys.stderr)
    if not files and not missing:
        print("jpegsurgeon: warning: no JPEG files under the paths given", file=sys.stderr)
    progress = Progress(len(files))
    results = []
    for result in iter_ratios(files, names, cycles=cycles, max_bytes=max_bytes,
                              lepton_cpp=lepton_cpp, max_input_bytes=max_input_bytes,
                              jobs=jobs or os.cpu_count() or 1):  # fmt: skip
        results.append(result)
        progress.advance(result)
    progress.close()
    results.sort(key=lambda r: r.path)
    summary = summarize(results, names)
    if output == "json":
        print(json.dumps(json_document(results, summary), indent=2))
    elif output == "csv":
        write_csv(results, sys.stdout)
    elif results:
        print(format_text(results, summary))
    if plot_path is not None:
        subject = paths[0] if len(paths) == 1 else ""
        subject = subject if len(subject) <= 45 else "..." + subject[-42:]
        try:
            plot(results, summary, plot_path, subject)
        except JpegError:
            raise
        except Exception as error:  # matplotlib's own: still one line, not a traceback
            raise JpegError(f"{plot_path}: cannot draw the plot: {error}") from None
    if missing or any(r.unreadable for r in results):
        return 2
    return 0 if all(r.verified for r in results) else 1
