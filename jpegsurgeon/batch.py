"""Many files: the same transform over a directory tree, locally or on Dask.

    for report in jpegsurgeon.batch.transform_tree("in/", "out/", passes=["randomize-signs"]):
        print(report["input"], report["status"])

Every JPEG under the input directory (by content: files that start with
FF D8, whatever their names) gets the same pipeline; the output tree mirrors
the relative names.  One file's failure is that file's report, and the batch
goes on.  Work runs in processes of this machine (`jobs`) or as tasks of a
dask.distributed cluster (`scheduler`: an address, or "local:N" for a
LocalCluster of N processes).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from itertools import islice
from multiprocessing import get_context
from typing import Any

from .errors import JpegError

STATUSES = ("written", "rejected", "failed", "skipped", "copied")


@dataclass(frozen=True)
class Found:
    """A file under the input root: its path relative to the root, or why it
    cannot be read."""

    relative: str
    problem: str | None = None
    size: int = 0  # bytes, for scheduling the largest first


def find_jpegs(root: str, recursive: bool = True) -> list[Found]:
    """JPEGs under `root` by content, sorted by relative path; unreadable
    entries (dangling links, no permission) are listed with their problem,
    and non-regular files (FIFOs, devices) are never opened."""
    found: list[Found] = []
    for directory, subdirectories, files in os.walk(root, onerror=None):
        subdirectories.sort()
        if not recursive:
            subdirectories.clear()
        for name in files:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            try:
                status = os.stat(path)
                mode = status.st_mode
            except OSError as error:
                found.append(Found(relative, f"cannot read: {error.strerror}"))
                continue
            if not stat.S_ISREG(mode):
                found.append(
                    Found(relative, "not a regular file (a FIFO, socket or device is never opened)")
                )
                continue
            try:
                with open(path, "rb") as handle:
                    if handle.read(2) == b"\xff\xd8":
                        found.append(Found(relative, size=status.st_size))
            except OSError as error:
                found.append(Found(relative, f"cannot read: {error.strerror}"))
    return sorted(found, key=lambda f: f.relative)


def transform_one(
    relative: str,
    in_root: str,
    out_root: str,
    options: dict[str, Any],
    skip_existing: bool = False,
    only_smaller: bool = False,
    keep_rejected: bool = False,
) -> dict[str, Any]:
    """Transform one file of a batch; never raises for the file's own problems.

    Returns its report: the pipeline's, plus input/output paths and a status
    among written, rejected (a codec refused it: nothing written), failed
    (could not be read or written), skipped (--skip-existing) and copied
    (--only-smaller kept the input, which was smaller).
    """
    from .fileio import read_input, write_atomic
    from .pipeline import transform

    source = os.path.join(in_root, relative)
    target = os.path.join(out_root, relative)
    base = {"input": source, "output": target}
    if skip_existing and os.path.exists(target):
        return {**base, "status": "skipped"}
    try:
        data = read_input(source, options.get("limits") or _default_limits())
        result = transform(data, **options)
        report = {**result.report, **base}
        if result.verified is False and not keep_rejected:
            return {**report, "status": "rejected", "error": _codec_errors(report)}
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        if only_smaller and len(result.data) >= len(data):
            write_atomic(target, data)
            return {**report, "status": "copied", "output_bytes": len(data)}
        write_atomic(target, result.data)
        return {**report, "status": "written"}
    except JpegError as error:
        error.source = error.source if error.source not in (None, "<bytes>") else source
        return {**base, "status": "failed", "error": str(error)}
    except MemoryError:
        return {**base, "status": "failed", "error": f"{source}: out of memory"}
    except Exception as error:  # a bug of ours must not end a batch of a million files
        return {**base, "status": "failed", "error": f"{source}: internal error: {error!r}"}


def _default_limits():
    from .limits import DEFAULT_LIMITS

    return DEFAULT_LIMITS


def _codec_errors(report: dict[str, Any]) -> str:
    return "; ".join(
        f"{name} {result['error']}" for name, result in report["codecs"].items()
        if not result["verified"]
    )  # fmt: skip


def transform_tree(
    in_root: str,
    out_root: str,
    *,
    recursive: bool = True,
    jobs: int | None = None,
    scheduler: str | None = None,
    skip_existing: bool = False,
    only_smaller: bool = False,
    keep_rejected: bool = False,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """Reports of every JPEG under in_root, in the order they finish.

    `options` are `jpegsurgeon.transform`'s keywords (passes, seed, verify,
    codecs, layout, ...).  A file that cannot even be listed is reported
    failed first.
    """
    if os.path.abspath(in_root) == os.path.abspath(out_root):
        raise JpegError("the output directory is the input directory", source=out_root)
    found = find_jpegs(in_root, recursive)
    for item in found:
        if item.problem:
            yield {"input": os.path.join(in_root, item.relative),
                   "output": os.path.join(out_root, item.relative),
                   "status": "failed", "error": item.problem}  # fmt: skip
    work = partial(transform_one, in_root=in_root, out_root=out_root, options=options,
                   skip_existing=skip_existing, only_smaller=only_smaller,
                   keep_rejected=keep_rejected)  # fmt: skip
    readable = [item for item in found if not item.problem]
    if scheduler or (jobs or os.cpu_count() or 1) > 1:
        # Largest first: the last files to start are the quickest, so that
        # no worker is left with a big one while the others sit idle.
        readable.sort(key=lambda item: -item.size)
    yield from run_tasks(work, [item.relative for item in readable], jobs=jobs,
                         scheduler=scheduler)  # fmt: skip


def run_tasks(
    work: Callable[[Any], Any],
    items: list[Any],
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
) -> Iterator[Any]:
    """work(item) for every item, results in the order they finish: here,
    in `jobs` processes, or on a Dask cluster."""
    if scheduler:
        yield from _on_dask(work, items, scheduler)
        return
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(items) <= 1:
        yield from map(work, items)
        return
    yield from _in_processes(work, items, jobs)


def _in_processes(work: Callable[[Any], Any], items: Iterable[Any], jobs: int) -> Iterator[Any]:
    from .codecs import worker_start_method

    context = get_context(worker_start_method())
    queue = iter(items)
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        running = {pool.submit(work, item): item for item in islice(queue, jobs * 4)}
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    raise JpegError(f"a worker process died on {item}") from None
                for following in islice(queue, 1):
                    running[pool.submit(work, following)] = following


def dask_client(scheduler: str):
    """A dask.distributed Client for an address, or a LocalCluster for "local:N"."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise JpegError("--scheduler needs Dask: pip install 'jpegsurgeon[dask]'") from None
    if scheduler.startswith("local:"):
        try:
            workers = int(scheduler.removeprefix("local:"))
        except ValueError:
            raise JpegError(f"--scheduler {scheduler!r}: expected local:N") from None
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)  # fmt: skip
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="30s"), None
    except (OSError, TimeoutError) as error:
        raise JpegError(f"cannot reach the Dask scheduler {scheduler}: {error}") from None


def _on_dask(work: Callable[[Any], Any], items: list[Any], scheduler: str) -> Iterator[Any]:
    from dask.distributed import as_completed

    client, cluster = dask_client(scheduler)
    try:
        futures = client.map(work, items, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
