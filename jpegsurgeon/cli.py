"""The command line: a thin layer over the library.

Exit codes: 0 success, 1 a check failed, 2 bad usage or unreadable input.
Errors are one line on stderr naming the file, the byte offset and the
problem.  Heavy modules are imported inside the commands that need them so
that `jpegsurgeon --version` starts fast.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

# jpegsurgeon does no linear algebra; an OpenBLAS thread pool started by the
# numpy import would only compete with the decoder for the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

from . import __version__  # noqa: E402

if TYPE_CHECKING:
    from .limits import Limits


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"jpegsurgeon: error: {message}", err=True)
    sys.exit(code)


class Terminated(BaseException):
    """SIGTERM or SIGHUP (timeout, kill, systemd, container runtimes) as an
    exception, so that every `finally` and cleanup runs as for Ctrl-C."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


def _terminate(signal_number: int, frame: object) -> None:
    raise Terminated(signal_number)


def main(argv: list[str] | None = None) -> None:
    """The console entry point: every failure becomes one line on stderr.

    Usage errors exit 2 (click's own three-line usage block is folded into
    one line), Ctrl-C exits 130, SIGTERM and SIGHUP 128 + their number, and a
    command's status passes through.
    """
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _terminate)
    if not (sys.argv[1:] if argv is None else argv):  # no command: the usage, as a page
        with click.Context(cli, info_name="jpegsurgeon") as context:
            click.echo(context.get_help(), err=True)
        sys.exit(2)
    try:
        status = cli.main(args=argv, prog_name="jpegsurgeon", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _fail("interrupted", 130)
    except Terminated as stop:
        _fail(f"terminated by {signal.Signals(stop.signal_number).name}", 128 + stop.signal_number)
    except click.ClickException as error:
        context = getattr(error, "ctx", None)
        hint = f" (see: {context.command_path} --help)" if context is not None else ""
        _fail(" ".join(error.format_message().split()) + hint, 2)
    finally:
        # The work is done or given up: a signal from here on changes nothing.
        # Ignored rather than left to Python's exit, which restores the default
        # action and would let a late SIGTERM kill the process mid-exit.
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_IGN)
    sys.exit(status if isinstance(status, int) else 0)


def _keep_freed_memory() -> None:
    """Let glibc reuse freed coefficient arrays instead of unmapping them.

    Arrays of a few megabytes come from mmap and go back to the kernel when
    freed, so every file of a batch pays its page faults again
    (tools/bench_batch.py measures what that costs).  Heap allocation up
    to glibc's 32 MiB maximum, kept after free: a process that ends soon
    gives it all back then.  Elsewhere than glibc, nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 1 << 30)


def run() -> None:
    """The installed `jpegsurgeon` command: main(), then leave at once.

    Python's own exit tears every module down (with numpy loaded, a
    noticeable share of a short run); by the time main() returns,
    every output is written and renamed into place and every worker joined,
    so the process flushes its two streams and ends without it.
    """
    _keep_freed_memory()
    try:
        main()
        status: object = 0
    except SystemExit as done:
        status = done.code
    if status is not None and not isinstance(status, int):
        print(status, file=sys.stderr)  # what sys.exit("message") would show
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone (| head) or a closed stream
            pass
    os._exit(status or 0)


def _reports_errors(command: Callable) -> Callable:
    """Turn the package's errors into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from .errors import CheckFailed, JpegError

        try:
            return command(*args, **kwargs)
        except CheckFailed as error:
            _fail(str(error), 1)
        except JpegError as error:
            _fail(str(error))
        except MemoryError:
            _fail("out of memory")

    return wrapper


def _limit_options(command, lepton: bool = True):
    """--max-pixels, --max-scans, --max-segments, --max-input-bytes and (for
    commands that run codecs) --max-lepton-bytes, gathered into one `limits`
    argument (see jpegsurgeon/limits.py for the defaults)."""
    from .limits import DEFAULT_LIMITS, Limits

    options = [
        ("--max-pixels", "max_pixels", "Refuse frames of more pixels than this."),
        ("--max-scans", "max_scans", "Refuse files with more scans than this."),
        ("--max-segments", "max_segments", "Refuse files with more marker segments than this."),
        (
            "--max-lepton-bytes",
            "max_lepton_bytes",
            "Do not hand larger files to a codec; they count as unverified (exit 1).",
        ),
        ("--max-input-bytes", "max_input_bytes", "Refuse inputs larger than this."),
    ]
    if not lepton:  # a command that runs no codec has no use for their limit
        options = [option for option in options if option[1] != "max_lepton_bytes"]

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        values = {name: kwargs.pop(name) for _, name, _ in options}
        kwargs["limits"] = Limits(**{k: v for k, v in values.items() if v is not None})
        return command(*args, **kwargs)

    for flag, name, text in reversed(options):
        default = getattr(DEFAULT_LIMITS, name)
        wrapper = click.option(
            flag, name, type=click.IntRange(1), default=None, help=f"{text} [default: {default}]"
        )(wrapper)
    return wrapper


_cycles_option = click.option(
    "--cycles",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Round-trip cycles each codec check runs: the first compresses and decompresses, "
    "the others compress again; all must give identical bytes.",
)


def _codec_options(command):
    """--codec (repeatable) and --lepton-cpp, gathered into `codecs` and `lepton_cpp`."""
    command = click.option(
        "--lepton-cpp",
        type=click.Path(dir_okay=False),
        default=None,
        metavar="PATH",
        help="The reference C++ Lepton binary for --codec lepton-cpp (default: "
        "$JPEGSURGEON_LEPTON_CPP, else `lepton` on PATH, else ~/.cache/lepton-cpp/lepton "
        "as ../shared/tools/build-lepton-cpp.sh builds it).",
    )(command)
    return click.option(
        "--codec",
        "codecs",
        multiple=True,
        type=click.Choice(["lepton", "lepton-cpp", "jxl", "all"]),
        help="Recompressor whose round trip checks the file; repeat for several: lepton "
        "(lepton-jpeg-python, the default), lepton-cpp (the reference C++ Lepton), jxl "
        "(JPEG XL lossless transcoding), all (every one installed).",
    )(command)


def _emit_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jpegsurgeon")
def cli() -> None:
    """Rewrite JPEG files at the bitstream level.

    jpegsurgeon decodes a JPEG into its markers, tables and quantized DCT
    coefficients (never pixels), applies transform passes to them, and writes
    a strict baseline JFIF file back.
    """


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@functools.partial(_limit_options, lepton=False)
@_reports_errors
def info(file: str, as_json: bool, limits: Limits) -> None:
    """Show a JPEG's frame, components, tables, scans and segments."""
    from . import read
    from .info import describe, format_text

    details = describe(read(file, limits))
    if as_json:
        _emit_json({"path": file, **details})
    else:
        click.echo(format_text(file, details))


@cli.command("passes")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_passes(as_json: bool) -> None:
    """List the transform passes, where each comes from (jpegsurgeon itself, or
    the distribution and version of the plugin that added it), and their
    parameters."""
    from .passes import registry

    passes = registry()
    if as_json:
        _emit_json({"passes": [p.as_dict() for p in passes.values()]})
        return
    for p in passes.values():
        click.echo(f"{p.name}  [{p.origin}]\n  {p.description}")
        for parameter in p.parameters:
            click.echo(
                f"    {parameter.name} ({parameter.type.__name__}, default "
                f"{parameter.default!r}): {parameter.help}"
            )


@cli.command()
@click.argument("input_path", metavar="IN", type=click.Path())
@click.argument("output_path", metavar="OUT", type=click.Path())
@click.option(
    "--pass",
    "pass_specs",
    multiple=True,
    metavar="NAME[:key=value,...]",
    help="Apply a pass; repeat to chain passes in order. See `jpegsurgeon passes`.",
)
@click.option(
    "--pipeline",
    type=click.Path(dir_okay=False, exists=True),
    help="TOML file of [[pass]] tables (name = ..., then parameters), run before --pass ones.",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=None,
    help="Seed for random passes (default: random, reported).",
)
@click.option(
    "--preserve",
    is_flag=True,
    help="Keep the original segments, Huffman tables and restart layout instead of strict JFIF.",
)
@click.option(
    "--progressive",
    is_flag=True,
    help="Write libjpeg's default progression (jpeg_simple_progression), optimal tables "
    "per scan, like `jpegtran -progressive -optimize`.",
)
@click.option(
    "--scans",
    "scans_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write the scans of a scan script in jpegtran's -scans syntax (`0 1 2: 0 0 0 1;` "
    "...), sequential or progressive; an invalid script is refused with its line and rule.",
)
@click.option(
    "--restart",
    metavar="N|NB",
    help="A restart marker every N MCU rows, or every N MCUs with NB, as jpegtran's "
    "-restart; 0 for none (the default).",
)
@click.option(
    "--arithmetic",
    is_flag=True,
    help="Arithmetic coding (T.81 Annex D), like `jpegtran -arithmetic`. Lepton cannot "
    "read such files: add --no-verify.",
)
@click.option(
    "--eob-runs",
    type=click.Choice(["libjpeg", "maximal"]),
    default="libjpeg",
    show_default=True,
    help="How progressive AC scans end their EOB runs: as libjpeg does (which ends some "
    "early, files Lepton refuses), or maximal (same coefficients, runs Lepton can store).",
)
@click.option(
    "--copy",
    type=click.Choice(["none", "comments", "icc", "all"]),
    default="none",
    show_default=True,
    help="Metadata to keep after the JFIF header, as jpegtran's -copy: none (strict JFIF), "
    "COM segments, ICC profile chunks, or every APPn and COM segment in order.",
)
@_codec_options
@click.option("--no-verify", is_flag=True, help="Skip the codecs' round trip of OUT.")
@_cycles_option
@click.option(
    "--keep-rejected", is_flag=True, help="Write OUT even when a codec rejects or mismatches it."
)
@click.option(
    "--in-place",
    is_flag=True,
    help="Allow OUT to be IN; the original stays until the new file is complete and verified.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Treat damaged input (truncated, corrupt data libjpeg would repair) as an error: "
    "exit 2, nothing written.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report (batches: one "
              "document sorted by path).")  # fmt: skip
@click.option("--jsonl", is_flag=True, help="Batches: one JSON object per file as it finishes.")
@click.option("--recursive", "-r", is_flag=True, help="Batches: walk IN's subdirectories too.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Batches: parallel processes (default: all cores).")  # fmt: skip
@click.option("--scheduler", metavar="ADDRESS",
              help="Batches: run on a dask.distributed scheduler (host:port), or local:N for a "
              "LocalCluster of N processes (pip install 'jpegsurgeon[dask]').")  # fmt: skip
@click.option("--skip-existing", is_flag=True, help="Batches: leave files OUT already has.")
@click.option("--only-smaller", is_flag=True,
              help="Keep the output only when it is smaller than the input; else write the "
              "input's bytes unchanged.")  # fmt: skip
@_limit_options
@_reports_errors
def transform(
    input_path: str,
    output_path: str,
    pass_specs: tuple[str, ...],
    pipeline: str | None,
    seed: int | None,
    preserve: bool,
    progressive: bool,
    scans_path: str | None,
    restart: str | None,
    arithmetic: bool,
    eob_runs: str,
    copy: str,
    codecs: tuple[str, ...],
    lepton_cpp: str | None,
    no_verify: bool,
    cycles: int,
    keep_rejected: bool,
    in_place: bool,
    strict: bool,
    as_json: bool,
    jsonl: bool,
    recursive: bool,
    jobs: int | None,
    scheduler: str | None,
    skip_existing: bool,
    only_smaller: bool,
    limits: Limits,
) -> None:
    """Rewrite IN as OUT, applying passes to its coefficients.

    With no pass, OUT is IN re-emitted as strict baseline JFIF (SOI, a 16-byte
    JFIF APP0, DQT, SOF0, DHT, one SOS, EOI) with optimal Huffman tables, like
    `jpegtran -optimize -copy none`. --progressive, --scans, --restart and
    --arithmetic choose another layout, written as jpegtran writes it with
    the same options. OUT is then round-tripped by each --codec (default
    lepton): it must come back identical for --cycles cycles (exit 1
    otherwise). OUT is written completely and verified, or not at all.

    IN and OUT may be `-` for stdin and stdout (the report then goes to
    stderr; nothing reaches stdout unless the output is verified), or two
    directories: every JPEG under IN (by content) gets the same pipeline, and
    OUT mirrors IN's relative names.
    """
    from .errors import JpegError
    from .fileio import read_input, same_file, write_atomic
    from .passes import parse_spec
    from .pipeline import load_pipeline
    from .pipeline import transform as run_transform
    from .writer import ScanScriptMismatch

    if as_json and jsonl:
        raise click.UsageError("--json and --jsonl exclude each other")
    layout = _layout(preserve, progressive, scans_path, restart, arithmetic, eob_runs)
    if preserve and copy != "none":
        raise click.UsageError("--preserve keeps every segment already; it cannot take --copy")
    calls = (load_pipeline(pipeline) if pipeline else []) + [parse_spec(s) for s in pass_specs]
    options = {
        "passes": calls, "seed": seed, "verify": not no_verify, "codecs": codecs,
        "cycles": cycles, "lepton_cpp": lepton_cpp, "preserve": preserve, "copy": copy,
        "strict": strict, "limits": limits, **layout.options(),
    }  # fmt: skip
    if input_path != "-" and os.path.isdir(input_path):
        _transform_batch(input_path, output_path, options, recursive=recursive, jobs=jobs,
                         scheduler=scheduler, skip_existing=skip_existing,
                         only_smaller=only_smaller, keep_rejected=keep_rejected,
                         output="json" if as_json else "jsonl" if jsonl else "text")  # fmt: skip
        return
    if output_path != "-" and os.path.isdir(output_path):
        raise JpegError("OUT is a directory but IN is a file", source=output_path)
    if "-" not in (input_path, output_path) and same_file(input_path, output_path):
        if not in_place:
            raise JpegError(
                "OUT is the same file as IN; refusing to overwrite the input without --in-place",
                source=output_path,
            )
    try:
        result = run_transform(input_path, **options)
    except ScanScriptMismatch as error:
        raise error.located(scans_path) from None
    report, data = result.report, result.data
    failed = [(name, r["error"]) for name, r in report["codecs"].items() if not r["verified"]]
    smaller = only_smaller and len(data) >= report["input_bytes"]
    if smaller:  # keep the input: it is no larger than what the passes made
        data = read_input(input_path, limits)
    written = not failed or keep_rejected
    if written:
        if output_path == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            write_atomic(output_path, data)
    report = {**report, "input": input_path, "output": output_path, "output_written": written,
              "kept_input": smaller}  # fmt: skip
    to_stderr = output_path == "-"
    if as_json or jsonl:
        click.echo(json.dumps(report, indent=None if jsonl else 2), err=to_stderr)
    else:
        for line in report["warnings"]:
            click.echo(f"jpegsurgeon: warning: {input_path}: {line}", err=True)
        for step in report["passes"]:  # long values (tables) are left to --json
            changes = ", ".join(
                f"{k} {v}" for k, v in step["changes"].items() if not isinstance(v, (list, dict))
            )
            click.echo(f"pass {step['name']}: {changes}", err=to_stderr)
        if seed is None and report["passes"]:
            click.echo(f"seed {report['seed']} (replay with --seed {report['seed']})",
                       err=to_stderr)  # fmt: skip
        state = "" if written else ", not written"
        state += ", the input kept: it was smaller" if smaller else ""
        click.echo(f"{output_path}: {len(data)} bytes ({report['mode']}{state}), from "
                   f"{report['input_bytes']} bytes", err=to_stderr)  # fmt: skip
        if report["codecs"]:  # the codecs module is imported only when one ran
            from .codecs import summary_line

            for codec in report["codecs"].values():
                click.echo(summary_line(codec), err=to_stderr)
    if failed:
        kept = "kept as asked" if keep_rejected else "not written"
        reasons = "; ".join(f"{name} {error}" for name, error in failed)
        _fail(f"{output_path}: {reasons} ({kept})", 1)


def _transform_batch(
    in_root: str, out_root: str, options: dict, *, output: str, **batch: Any
) -> None:
    """transform IN_DIR OUT_DIR: one report per file, exit 1 when any failed."""
    from .batch import transform_tree

    if out_root == "-":
        raise click.UsageError("a directory IN needs a directory OUT, not -")
    os.makedirs(out_root, exist_ok=True)
    reports = []
    progress = _Progress()
    for report in transform_tree(in_root, out_root, **batch, **options):
        reports.append(report)
        progress.clear()
        if output == "jsonl":
            click.echo(json.dumps(report))
        elif output == "text":
            detail = report.get("error") or (
                f"{report['output_bytes']} bytes from {report['input_bytes']}"
                if "output_bytes" in report else ""
            )  # fmt: skip
            click.echo(f"{report['status']:<8} {report['input']}: {detail}".rstrip(": "))
        progress.step(len(reports))
    progress.clear()
    counts = {status: sum(r["status"] == status for r in reports)
              for status in ("written", "copied", "skipped", "rejected", "failed")}  # fmt: skip
    bad = counts["rejected"] + counts["failed"]
    if output == "json":
        _emit_json({"files": sorted(reports, key=lambda r: r["input"]), "summary": counts})
    elif output == "text":
        summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        noun = "file" if len(reports) == 1 else "files"
        click.echo(f"{len(reports)} {noun}: {summary or 'nothing to do'}")
        if not reports:
            click.echo(f"jpegsurgeon: warning: no JPEG under {in_root}", err=True)
    sys.exit(1 if bad else 0)


class _Progress:
    """A count of files done on stderr, when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def step(self, done: int) -> None:
        if self.enabled:
            sys.stderr.write(f"\r{done} files done ")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")


def _layout(
    preserve: bool,
    progressive: bool,
    scans_path: str | None,
    restart: str | None,
    arithmetic: bool,
    eob_runs: str,
):
    """The strict writer's layout from transform's options; usage errors exit 2."""
    from .errors import JpegError
    from .scan_script import ScanScriptError, parse_scan_script
    from .writer import Layout

    chosen = [name for name, given in (("--progressive", progressive), ("--scans", scans_path),
              ("--restart", restart), ("--arithmetic", arithmetic),
              ("--eob-runs", eob_runs != "libjpeg")) if given]  # fmt: skip
    if preserve and chosen:
        raise click.UsageError(
            f"--preserve keeps the file's own layout; it cannot take {chosen[0]}"
        )
    scans = None
    if scans_path is not None:
        try:
            with open(scans_path, encoding="latin-1") as handle:
                text = handle.read(1 << 20)
        except OSError as error:
            raise JpegError(
                f"cannot read scan script: {error.strerror}", source=scans_path
            ) from None
        try:
            scans = parse_scan_script(text)
        except ScanScriptError as error:
            raise JpegError(f"scan script: {error}", source=scans_path) from None
        if not scans:
            raise JpegError("scan script holds no scan", source=scans_path)
    try:
        return Layout.from_options(
            progressive=progressive, scans=scans, restart=restart, arithmetic=arithmetic,
            eob_runs=eob_runs,
        )  # fmt: skip
    except ValueError as error:
        raise click.UsageError(str(error)) from None


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_codec_options
@_cycles_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@_limit_options
@_reports_errors
def verify(
    files: tuple[str, ...],
    codecs: tuple[str, ...],
    lepton_cpp: str | None,
    cycles: int,
    as_json: bool,
    limits: Limits,
) -> None:
    """Check that each codec round-trips each FILE identically; report the ratios.

    A ratio is compressed bytes / JPEG bytes (for Lepton, the challenge's
    score: higher means Lepton compresses worse). Exit 1 when any codec
    rejects a file or gives it back different, 2 when a file cannot be read.
    """
    from .codecs import resolve_codecs, round_trips
    from .errors import JpegError
    from .fileio import read_input

    chosen = resolve_codecs(codecs, lepton_cpp=lepton_cpp)

    results, status = [], 0
    for name in files:
        try:
            data = read_input(name, limits)
        except JpegError as error:  # one unreadable file does not stop the others
            click.echo(f"jpegsurgeon: error: {error}", err=True)
            status = 2
            continue
        checked = round_trips(data, chosen, cycles, limits.max_lepton_bytes)
        verified = all(r.verified for r in checked.values())
        results.append({
            "path": name,
            "jpeg_bytes": len(data),
            "verified": verified,
            "codecs": {codec: r.file_fields() for codec, r in checked.items()},
        })  # fmt: skip
        if not verified:
            status = max(status, 1)
        if not as_json:
            for result in checked.values():
                click.echo(f"{name}: {'OK' if result.verified else 'FAIL'} {result.summary()}")
    if as_json:
        _emit_json({"files": sorted(results, key=lambda r: r["path"]),
                    "all_verified": status == 0})  # fmt: skip
    sys.exit(status)


@cli.command()
@click.argument("output_path", metavar="OUT", type=click.Path(dir_okay=False))
@click.option(
    "--from",
    "source_path",
    metavar="IN",
    type=click.Path(dir_okay=False),
    help="Start from this JPEG, keeping what can be kept (default: synthesize).",
)
@click.option(
    "--seed", type=click.IntRange(0), default=None, help="Seed (default: random, reported)."
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=None,
    help="Trials of designs the search makes (default: 8 against the Leptons, 2 with "
    "JPEG XL among the targets, whose trials take longer); "
    "the same seed and budget give the same bytes.",
)
@click.option(
    "--size-window",
    default=None,
    metavar="MIN:MAX",
    help="Bytes the output must lie within (default: the challenge's byte window).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop the search after this long even if trials remain (the output says so).",
)
@click.option(
    "--lepton-cpp",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    default=None,
    help="The reference C++ Lepton to check the output with (default: "
    "$JPEGSURGEON_LEPTON_CPP, `lepton` on PATH, or ~/.cache/lepton-cpp/lepton when present).",
)
@click.option(
    "--target",
    "targets",
    type=click.Choice(["lepton", "lepton-cpp", "jxl", "all"]),
    multiple=True,
    help="The codec whose ratio to maximise; repeat it (or say all: every codec installed) "
    "to maximise the smallest ratio over several.  Every target also checks the output.  "
    "[default: lepton]",
)
@click.option(
    "--codec",
    "codecs",
    multiple=True,
    type=click.Choice(["lepton", "lepton-cpp", "jxl", "all"]),
    help="A further recompressor whose round trip checks the output and whose ratio is "
    "reported, without the forge aiming at it; repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@_limit_options
@_reports_errors
def forge(
    output_path: str,
    source_path: str | None,
    seed: int | None,
    budget: int | None,
    size_window: str | None,
    time_limit: float | None,
    lepton_cpp: str | None,
    targets: tuple[str, ...],
    codecs: tuple[str, ...],
    as_json: bool,
    limits: Limits,
) -> None:
    """Make a compliant JPEG that Lepton (or every --target) compresses as badly as possible.

    Against the Leptons: tries designs (edge quantizers, edge coefficient
    mixtures) on small images with Lepton, `--budget` trials, then builds
    the best at 4096x4096 just above the size window's floor: a random DC
    per run of blocks, edge coefficients chosen block by block so that
    Lepton's DC predictions miss as expensively as possible.  With JPEG XL
    among the targets: blocks made of chains of (run, size) symbols, which
    JPEG codes together and the recompressors position by position, each
    block's pairs then reordered (the same JPEG bytes' worth) to cost JPEG XL
    most; the mixture is searched at full size on the smallest ratio over the
    targets.
    OUT is written only if it passes the lepton-challenge audit (3 Lepton
    cycles) and every target's round trip, and, when the C++ Lepton is
    found, its round trip too.  The recipe is saved beside OUT with a .toml
    suffix: `jpegsurgeon transform IN OUT --pipeline RECIPE --seed N` replays
    it to the same bytes. OUT may be `-` for stdout (the report and the
    pipeline then go to stderr, and no recipe file is written).
    """
    from . import read
    from .challenge import BYTE_WINDOW
    from .errors import JpegError
    from .fileio import write_atomic
    from .forge import forge as run_forge

    low, high = BYTE_WINDOW
    if size_window is not None:
        try:
            low, high = (int(part) for part in size_window.split(":"))
        except ValueError:
            raise JpegError(f"--size-window {size_window!r}: expected MIN:MAX in bytes") from None
    recipe_path = _forge_paths(output_path)  # checked before a search that takes seconds
    source = read(source_path, limits) if source_path else None
    seed = int.from_bytes(os.urandom(4), "big") if seed is None else seed
    show = None if as_json else (lambda line: click.echo(line, err=True))
    result = run_forge(source, seed, budget=budget, size_window=(low, high), progress=show,
                       time_limit=time_limit, lepton_cpp=lepton_cpp,
                       targets=targets or ("lepton",), checks=codecs)  # fmt: skip
    if recipe_path is None:  # OUT is stdout: the JPEG there, the report (and pipeline) on stderr
        sys.stdout.buffer.write(result.data)
        sys.stdout.buffer.flush()
    else:  # JPEG and recipe together, or neither
        write_atomic(recipe_path, result.recipe_toml(source_path).encode())
        try:
            write_atomic(output_path, result.data)
        except BaseException:
            os.unlink(recipe_path)
            raise
    report = {"output": output_path, **result.as_dict(), "size_window": [low, high]}
    report["pipeline"] = result.recipe
    report["recipe"] = recipe_path
    to_stderr = recipe_path is None
    if as_json:
        click.echo(json.dumps(report, indent=2), err=to_stderr)
        return
    cpp = (
        f", C++ Lepton {result.lepton_cpp_bytes} bytes, ratio {result.lepton_cpp_ratio:.4f}"
        if result.lepton_cpp_bytes is not None
        else ""
    )
    others = "".join(f", {name} ratio {ratio:.4f}" for name, ratio in result.ratios.items()
                     if name not in ("lepton", "lepton-cpp"))  # fmt: skip
    smallest = (f"; smallest over {', '.join(result.targets)}: {result.smallest_ratio:.4f}"
                if result.targets != ["lepton"] else "")  # fmt: skip
    click.echo(
        f"{output_path}: {result.width}x{result.height}, {result.jpeg_bytes} bytes, Lepton "
        f"{result.lepton_bytes} bytes, ratio {result.ratio:.4f}{cpp}{others}{smallest} "
        f"(seed {result.seed}, {result.trials} trial{'s' if result.trials != 1 else ''}, "
        f"{result.seconds:.1f} s)",
        err=to_stderr,
    )
    if result.cut_short:
        click.echo(f"  search cut short by --time-limit: {result.trials} of {result.budget} trials",
                   err=to_stderr)  # fmt: skip
    if recipe_path is not None:
        click.echo(f"recipe: {recipe_path}")
    for note in result.notes:
        click.echo(f"  {note}", err=to_stderr)


def _forge_paths(output_path: str) -> str | None:
    """The recipe's path beside OUT (None when OUT is stdout), after checking
    that both can be written, before the search starts."""
    from pathlib import Path

    from .errors import JpegError

    if output_path == "-":
        return None
    recipe_path = str(Path(output_path).with_suffix(".toml"))
    directory = os.path.dirname(os.path.abspath(output_path))
    if os.path.abspath(recipe_path) == os.path.abspath(output_path):
        raise JpegError("OUT would also be its recipe's name (OUT.toml): name OUT *.jpg",
                        source=output_path)  # fmt: skip
    if not os.path.isdir(directory):
        raise JpegError("cannot write: no such directory", source=output_path)
    if not os.access(directory, os.W_OK):
        raise JpegError("cannot write: permission denied", source=output_path)
    for path in (output_path, recipe_path):
        if os.path.isdir(path):
            raise JpegError("cannot write: a directory of that name exists", source=path)
    return recipe_path


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--profile",
    type=click.Choice(["lepton-challenge", "jfif", "jpegxl"]),
    default="lepton-challenge",
    show_default=True,
    help="The rules to check.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document for the run.")
@click.option("--jsonl", is_flag=True, help="Print one JSON object per file as it finishes.")
@click.option("--recursive", "-r", is_flag=True, help="Walk directories recursively.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Parallel processes (default: all cores).")  # fmt: skip
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run the per-file work on a dask.distributed scheduler (host:port), or "
    "local:N for a LocalCluster of N processes (pip install 'jpegsurgeon[dask]').",
)
@click.option("--no-lepton", is_flag=True, help="Skip the codecs' round-trip rules.")
@_codec_options
@_cycles_option
@_limit_options
@_reports_errors
def audit(
    paths: tuple[str, ...],
    profile: str,
    as_json: bool,
    jsonl: bool,
    recursive: bool,
    jobs: int | None,
    scheduler: str | None,
    no_lepton: bool,
    codecs: tuple[str, ...],
    lepton_cpp: str | None,
    cycles: int,
    limits: Limits,
) -> None:
    """Check files against a compliance profile; a malformed file is a finding.

    Prints PASS or FAIL per file with the first failing rule, then a summary
    by rule. Exit 0 when every file complies, 1 when any does not, 2 when a
    path cannot be read at all. The lepton-challenge profile also reports the
    score, Lepton bytes / JPEG bytes.
    """
    from .codecs import resolve_codecs
    from .compliance.runner import run_audit

    if as_json and jsonl:
        _fail("--json and --jsonl exclude each other")
    # names of the codecs installed: workers resolve them again in their own process
    names = tuple(c.name for c in resolve_codecs(codecs, lepton_cpp=lepton_cpp))
    status = run_audit(
        paths, profile, recursive=recursive, jobs=jobs, lepton=not no_lepton, cycles=cycles,
        limits=limits, output="json" if as_json else "jsonl" if jsonl else "text",
        codecs=names, lepton_cpp=lepton_cpp, scheduler=scheduler,
    )  # fmt: skip
    sys.exit(status)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_codec_options
@_cycles_option
@click.option("--recursive", "-r", is_flag=True, help="Walk directories recursively.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Parallel processes (default: all cores).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: one row per file and codec.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              metavar="FILE.png", help="Draw the distribution of ratios per codec into "
              "FILE.png (needs matplotlib: pip install 'jpegsurgeon[plot]').")  # fmt: skip
@_limit_options
@_reports_errors
def ratios(
    paths: tuple[str, ...],
    codecs: tuple[str, ...],
    lepton_cpp: str | None,
    cycles: int,
    recursive: bool,
    jobs: int | None,
    as_json: bool,
    as_csv: bool,
    plot_path: str | None,
    limits: Limits,
) -> None:
    """Measure each codec's ratio on each JPEG under PATHS; summarize per codec.

    A ratio is compressed bytes / JPEG bytes and counts only when the codec's
    round trip gave the JPEG back bit for bit (--cycles 1 is faster; more cycles
    also check that compression is deterministic). Directories contribute the
    files that start with FF D8. Prints a table of files and a summary per codec
    (files, failures, bytes in and out, mean and median ratio); a file a codec
    cannot take is a failure with the codec's reason. Exit 0 when every codec
    verified every file, 1 when any failed, 2 when a path cannot be read.
    """
    from .ratios import run_ratios

    if as_json and as_csv:
        _fail("--json and --csv exclude each other")
    status = run_ratios(
        paths, codecs, recursive=recursive, jobs=jobs, cycles=cycles,
        max_bytes=limits.max_lepton_bytes, lepton_cpp=lepton_cpp,
        max_input_bytes=limits.max_input_bytes,
        output="json" if as_json else "csv" if as_csv else "text", plot_path=plot_path,
    )  # fmt: skip
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()
