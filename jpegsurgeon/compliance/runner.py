"""Running an audit over many paths: walking, parallel workers, output, summary."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from itertools import islice
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from typing import Protocol, TypeVar

from ..limits import DEFAULT_LIMITS, Limits
from . import FileReport, Finding, audit_path
from .profiles import PROFILES

T = TypeVar("T")


class _Sized(Protocol):
    size: int  # bytes of the file the result is about


def walk(paths: list[str], recursive: bool, missing: list[str]) -> Iterator[str]:
    """Files named, and files inside directories named (all levels with
    recursive).  Paths that are neither a file nor a directory go to `missing`
    with the reason."""
    for path in paths:
        if path == "-" or os.path.isfile(path):
            yield path
        elif os.path.isdir(path):
            # every entry but directories: a FIFO, a device or a dangling link
            # is reported by the audit as unreadable, never opened or skipped
            if recursive:
                for root, dirs, files in os.walk(path):
                    dirs.sort()
                    yield from (os.path.join(root, f) for f in sorted(files))
            else:
                with os.scandir(path) as entries:
                    yield from sorted(e.path for e in entries if not e.is_dir())
        elif os.path.exists(path):
            missing.append(f"{path}: not a regular file or a directory")
        else:
            missing.append(f"{path}: no such file or directory")


class Progress:
    """One self-rewriting line on a terminal; silent when stderr is piped."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.bytes = 0
        self.started = time.monotonic()
        self.shown = 0.0
        self.enabled = sys.stderr.isatty()

    def advance(self, report: _Sized) -> None:
        self.done += 1
        self.bytes += report.size
        now = time.monotonic()
        if self.enabled and (now - self.shown > 0.1 or self.done == self.total):
            self.shown = now
            rate = self.bytes / 1e6 / max(now - self.started, 1e-9)
            filled = self.done * 30 // max(self.total, 1)
            bar = "#" * filled + "-" * (30 - filled)
            sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} files, {rate:.1f} MB/s ")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\n")


def run_audit(
    paths: list[str],
    profile: str,
    recursive: bool = False,
    jobs: int | None = None,
    lepton: bool = True,
    cycles: int = 3,
    limits: Limits = DEFAULT_LIMITS,
    output: str = "text",
    codecs: tuple[str, ...] = ("lepton",),
    lepton_cpp: str | None = None,
    scheduler: str | None = None,
) -> int:
    """Audit every file under `paths`; returns the exit code (0, 1 or 2)."""
    missing: list[str] = []
    files = list(walk(paths, recursive, missing))
    for problem in missing:
        print(f"jpegsurgeon: error: {problem}", file=sys.stderr)
    if not files and not missing:
        print("jpegsurgeon: warning: no files to audit under the paths given", file=sys.stderr)
    jobs = jobs or os.cpu_count() or 1
    work = partial(audit_path, profile=profile, lepton=lepton, cycles=cycles, limits=limits,
                   codecs=codecs, lepton_cpp=lepton_cpp)  # fmt: skip
    progress = Progress(len(files))
    reports: list[FileReport] = []
    if scheduler:  # per-file work as tasks of a Dask cluster
        from ..batch import run_tasks

        results = run_tasks(work, files, scheduler=scheduler)
    elif jobs == 1 or len(files) <= 1:
        results = map(work, files)
    else:
        results = parallel(work, files, jobs)
    _consume(results, reports, progress, output)
    progress.close()
    _summarize(reports, profile, lepton, output)
    unreadable = any(f.rule_id == "structure.read" for r in reports for f in r.findings)
    if missing or unreadable:
        return 2  # a path that cannot be read at all
    return 0 if all(r.compliant for r in reports) else 1


def parallel(
    work: Callable[[str], T],
    files: list[str],
    jobs: int,
    crashed: Callable[[str], T] | None = None,
    start_method: str | None = None,
) -> Iterator[T]:
    """Results in the order files finish, from `jobs` worker processes.

    A worker that dies (a crash in native code, the kernel's OOM killer)
    breaks the pool: the files it held are then worked on again one by one in
    a fresh process, the one that kills its worker again gets `crashed(path)`
    as its result (default: an audit report with an `audit.crash` finding),
    and the run goes on with a new pool.  `start_method` is multiprocessing's
    (default: codecs.worker_start_method()).
    """
    from ..codecs import worker_start_method

    context = get_context(start_method or worker_start_method())
    queue = iter(files)
    while True:
        retry: list[str] = []
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            running: dict = {}
            try:
                for path in islice(queue, jobs * 4):
                    retry.append(path)  # held here until its future is in `running`
                    future = pool.submit(work, path)
                    running[future] = retry.pop()
                while running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        report = future.result()  # raises BrokenProcessPool if a worker died
                        running.pop(future)
                        yield report
                        for path in islice(queue, 1):
                            retry.append(path)
                            future = pool.submit(work, path)
                            running[future] = retry.pop()
            except BrokenProcessPool:
                retry.extend(running.values())
        if not retry:
            return
        for path in retry:
            yield _isolated(work, path, context, crashed or _crash_report)


def _isolated(
    work: Callable[[str], T], path: str, context: BaseContext, crashed: Callable[[str], T]
) -> T:
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        try:
            return pool.submit(work, path).result()
        except BrokenProcessPool:
            return crashed(path)


def _crash_report(path: str) -> FileReport:
    report = FileReport(path, 0, "")
    report.findings.append(
        Finding("audit.crash", "error", None, "auditing this file killed the worker process")
    )
    return report


def _consume(
    results: Iterable[FileReport], reports: list[FileReport], progress: Progress, output: str
) -> None:
    for report in results:
        reports.append(report)
        progress.advance(report)
        if output == "jsonl":
            print(json.dumps(report.as_dict()), flush=True)
        elif output == "text":
            _print_line(report, progress)


def _print_line(report: FileReport, progress: Progress) -> None:
    if progress.enabled:
        sys.stderr.write("\r\033[K")
    ratios = [f"{name} {r['ratio']:.4f}" for name, r in report.codecs.items() if r["verified"]]
    if len(report.codecs) > 1 and ratios:
        score = f" (ratio {', '.join(ratios)})"
    else:
        score = f" (Lepton ratio {report.ratio:.4f})" if report.ratio is not None else ""
    if report.compliant:
        warnings = len(report.findings)
        note = f", {warnings} warnings" if warnings else ""
        print(f"PASS {report.path}{score}{note}", flush=True)
    else:
        first = next(f for f in report.findings if f.severity == "error")
        more = sum(f.severity == "error" for f in report.findings) - 1
        extra = f" (+{more} more)" if more else ""
        print(f"FAIL {report.path}: {first.line()}{extra}{score}", flush=True)


def _summarize(reports: list[FileReport], profile: str, lepton: bool, output: str) -> None:
    by_rule = Counter(
        f.rule_id for r in reports for f in {x.rule_id: x for x in r.findings}.values()
        if f.severity == "error"
    )  # fmt: skip
    warnings = Counter(
        f.rule_id for r in reports for f in {x.rule_id: x for x in r.findings}.values()
        if f.severity == "warning"
    )  # fmt: skip
    passed = sum(r.compliant for r in reports)
    summary = {
        "profile": profile,
        "files": len(reports),
        "passed": passed,
        "failed": len(reports) - passed,
        "failed_by_rule": dict(sorted(by_rule.items())),
        "warnings_by_rule": dict(sorted(warnings.items())),
        "lepton_skipped": not lepton and "lepton.roundtrip" in PROFILES[profile].rules,
    }
    if output == "json":
        files = [r.as_dict() for r in sorted(reports, key=lambda r: r.path)]
        print(json.dumps({"summary": summary, "files": files}, indent=2))
        return
    if output == "jsonl":
        return
    noun = "file" if summary["files"] == 1 else "files"
    print(f"{summary['files']} {noun}: {passed} passed, {summary['failed']} failed "
          f"(profile {profile})")  # fmt: skip
    for rule_id, count in summary["failed_by_rule"].items():
        print(f"  {rule_id}: {count} {'file' if count == 1 else 'files'}")
    for rule_id, count in summary["warnings_by_rule"].items():
        print(f"  {rule_id} (warning): {count} {'file' if count == 1 else 'files'}")
    if summary["lepton_skipped"]:
        print("  lepton.roundtrip: skipped (--no-lepton)")
