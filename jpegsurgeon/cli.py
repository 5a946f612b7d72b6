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


def main(argv: list[str] | None = None) -> None:
    """The console entry point: every failure becomes one line on stderr.

    Usage errors exit 2 (click's own three-line usage block is folded into
    one line), Ctrl-C exits 130, and a command's status passes through.
    """
    try:
        status = cli.main(args=argv, prog_name="jpegsurgeon", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _fail("interrupted", 130)
    except click.ClickException as error:
        context = getattr(error, "ctx", None)
        hint = f" (see: {context.command_path} --help)" if context is not None else ""
        _fail(" ".join(error.format_message().split()) + hint, 2)
    sys.exit(status if isinstance(status, int) else 0)


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


def _limit_options(command):
    """--max-pixels, --max-scans, --max-segments and --max-lepton-bytes, gathered
    into one `limits` argument (see jpegsurgeon/limits.py for the defaults)."""
    from .limits import DEFAULT_LIMITS, Limits

    options = [
        ("--max-pixels", "max_pixels", "Refuse frames of more pixels than this."),
        ("--max-scans", "max_scans", "Refuse files with more scans than this."),
        ("--max-segments", "max_segments", "Refuse files with more marker segments than this."),
        (
            "--max-lepton-bytes",
            "max_lepton_bytes",
            "Do not run Lepton on larger files; they count as unverified (exit 1).",
        ),
    ]

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
    help="JPEG -> Lepton -> JPEG cycles the Lepton check runs; each must give identical bytes.",
)


def _codec_options(command):
    """--codec (repeatable) and --lepton-cpp, gathered into `codecs` and `lepton_cpp`."""
    command = click.option(
        "--lepton-cpp",
        type=click.Path(dir_okay=False),
        default=None,
        metavar="PATH",
        help="The reference C++ Lepton binary for --codec lepton-cpp (default: "
        "$JPEGSURGEON_LEPTON_CPP, else `lepton` on PATH).",
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
@_limit_options
@_reports_errors
def info(file: str, as_json: bool, limits: Limits) -> None:
    """Show a JPEG's frame, components, tables, scans and segments."""
    from . import read
    from .info import describe, format_text

    details = describe(read(file, limits))
    if as_json:
        _emit_json({"file": file, **details})
    else:
        click.echo(format_text(file, details))


@cli.command("passes")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_passes(as_json: bool) -> None:
    """List the transform passes and their parameters."""
    from .passes import registry

    passes = registry()
    if as_json:
        _emit_json({"passes": [p.as_dict() for p in passes.values()]})
        return
    for p in passes.values():
        click.echo(f"{p.name}\n  {p.description}")
        for parameter in p.parameters:
            click.echo(
                f"    {parameter.name} ({parameter.type.__name__}, default "
                f"{parameter.default!r}): {parameter.help}"
            )


@cli.command()
@click.argument("input_path", metavar="IN", type=click.Path(dir_okay=False))
@click.argument("output_path", metavar="OUT", type=click.Path(dir_okay=False))
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
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
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
    as_json: bool,
    limits: Limits,
) -> None:
    """Rewrite IN as OUT, applying passes to its coefficients.

    With no pass, OUT is IN re-emitted as strict baseline JFIF (SOI, a 16-byte
    JFIF APP0, DQT, SOF0, DHT, one SOS, EOI) with optimal Huffman tables, like
    `jpegtran -optimize -copy none`. --progressive, --scans, --restart and
    --arithmetic choose another layout, written as jpegtran writes it with
    the same options. OUT is then checked with Lepton: it must compress and
    decompress to identical bytes for --cycles cycles (exit 1 otherwise). OUT
    is written completely and verified, or not at all.
    """
    from . import read
    from .codecs import resolve_codecs, round_trips
    from .errors import JpegError
    from .fileio import same_file, write_atomic
    from .passes import parse_spec, run_pipeline
    from .writer import write_preserved, write_strict

    if same_file(input_path, output_path) and not in_place:
        raise JpegError(
            "OUT is the same file as IN; refusing to overwrite the input without --in-place",
            source=output_path,
        )
    layout = _layout(preserve, progressive, scans_path, restart, arithmetic, eob_runs)
    chosen = [] if no_verify else resolve_codecs(codecs, lepton_cpp=lepton_cpp)
    if preserve and copy != "none":
        raise click.UsageError("--preserve keeps every segment already; it cannot take --copy")
    calls = (_load_pipeline(pipeline) if pipeline else []) + [parse_spec(s) for s in pass_specs]
    image = read(input_path, limits)
    input_bytes = image.source_size
    seed = int.from_bytes(os.urandom(4), "big") if seed is None else seed
    try:
        image, reports = run_pipeline(image, calls, seed)
    except JpegError as error:
        raise error.located(input_path) from None
    if scans_path is not None:
        try:
            layout.script_for(image)  # a script must fit the image the passes left
        except JpegError as error:
            raise error.located(scans_path) from None
    try:
        data = write_preserved(image) if preserve else write_strict(image, layout, copy)
    except JpegError as error:
        raise error.located(input_path) from None
    results = round_trips(data, chosen, cycles, limits.max_lepton_bytes) if chosen else {}
    failed = [r for r in results.values() if not r.verified]
    written = not failed or keep_rejected
    if written:
        write_atomic(output_path, data)
    report = {
        "input": input_path,
        "output": output_path,
        "mode": "preserve" if preserve else "strict",
        "layout": None if preserve else layout.describe(),
        "copy": None if preserve else copy,
        "seed": seed,
        "passes": reports,
        "input_bytes": input_bytes,
        "output_bytes": len(data),
        "output_written": written,
        "verified": None if no_verify else not failed,
        "codecs": {name: result.as_dict() for name, result in results.items()},
        "warnings": [str(w) for w in image.warnings],
    }
    if as_json:
        _emit_json(report)
    else:
        for line in image.warnings:
            click.echo(f"jpegsurgeon: warning: {input_path}: {line}", err=True)
        for step in reports:  # long values (tables) are left to --json
            changes = ", ".join(
                f"{k} {v}" for k, v in step["changes"].items() if not isinstance(v, (list, dict))
            )
            click.echo(f"pass {step['name']}: {changes}")
        state = "" if report["output_written"] else ", not written"
        click.echo(
            f"{output_path}: {len(data)} bytes ({report['mode']}{state}), from {input_bytes} bytes"
        )
        for result in results.values():
            click.echo(result.summary())
    if failed:
        kept = "kept as asked" if keep_rejected else "not written"
        reasons = "; ".join(f"{r.codec} {r.error}" for r in failed)
        _fail(f"{output_path}: {reasons} ({kept})", 1)


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

    chosen = resolve_codecs(codecs, lepton_cpp=lepton_cpp)

    results, status = [], 0
    for name in files:
        try:
            with open(name, "rb") as handle:
                data = handle.read()
        except OSError as error:
            click.echo(f"jpegsurgeon: error: {name}: cannot read: {error.strerror}", err=True)
            status = 2
            continue
        checked = round_trips(data, chosen, cycles, limits.max_lepton_bytes)
        verified = all(r.verified for r in checked.values())
        results.append({
            "file": name,
            "jpeg_bytes": len(data),
            "verified": verified,
            "codecs": {codec: {k: v for k, v in r.as_dict().items() if k not in
                               ("codec", "jpeg_bytes")} for codec, r in checked.items()},
        })  # fmt: skip
        if not verified:
            status = max(status, 1)
        if not as_json:
            for result in checked.values():
                click.echo(f"{name}: {'OK' if result.verified else 'FAIL'} {result.summary()}")
    if as_json:
        _emit_json({"files": sorted(results, key=lambda r: r["file"]),
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
    type=click.FloatRange(min=1.0),
    default=60.0,
    show_default=True,
    help="Seconds the search may take; more searches further.",
)
@click.option(
    "--size-window",
    default="524288:1000000",
    show_default=True,
    metavar="MIN:MAX",
    help="Bytes the output must lie within.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@_limit_options
@_reports_errors
def forge(
    output_path: str,
    source_path: str | None,
    seed: int | None,
    budget: float,
    size_window: str,
    as_json: bool,
    limits: Limits,
) -> None:
    """Make a compliant JPEG that Lepton compresses as badly as possible.

    Searches coefficient mixtures, quantization tables and dimensions for the
    highest ratio Lepton bytes / JPEG bytes, checks the result with the full
    lepton-challenge audit (Lepton cycles included) and writes OUT only if it
    passes. The recipe that made it is saved beside OUT as OUT with a .toml
    suffix: `jpegsurgeon transform IN OUT --pipeline RECIPE --seed N` replays
    it to the same bytes.
    """
    from pathlib import Path

    from . import read
    from .errors import JpegError
    from .fileio import write_atomic
    from .forge import forge as run_forge

    try:
        low, high = (int(part) for part in size_window.split(":"))
    except ValueError:
        raise JpegError(f"--size-window {size_window!r}: expected MIN:MAX in bytes") from None
    source = read(source_path, limits) if source_path else None
    seed = int.from_bytes(os.urandom(4), "big") if seed is None else seed
    show = None if as_json else (lambda line: click.echo(line, err=True))
    result = run_forge(source, seed, budget=budget, size_window=(low, high), progress=show)
    recipe_path = str(Path(output_path).with_suffix(".toml"))
    write_atomic(output_path, result.data)
    write_atomic(recipe_path, result.recipe_toml().encode())
    report = {
        "output": output_path,
        "recipe": recipe_path,
        "jpeg_bytes": result.jpeg_bytes,
        "lepton_bytes": result.lepton_bytes,
        "ratio": result.ratio,
        "width": result.width,
        "height": result.height,
        "seed": result.seed,
        "pipeline": result.recipe,
        "changed": result.changed,
        "notes": result.notes,
    }
    if as_json:
        _emit_json(report)
        return
    click.echo(
        f"{output_path}: {result.width}x{result.height}, {result.jpeg_bytes} bytes, Lepton "
        f"{result.lepton_bytes} bytes, ratio {result.ratio:.4f} (seed {result.seed})"
    )
    click.echo(f"recipe: {recipe_path}")
    for note in result.notes:
        click.echo(f"  {note}")


def _load_pipeline(path: str) -> list:
    import tomllib

    from .errors import JpegError
    from .passes import resolve

    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise JpegError(f"cannot read pipeline: {error}", source=path) from None
    steps = document.get("pass", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) and "name" in s for s in steps):
        raise JpegError("expected [[pass]] tables, each with a name", source=path)
    try:
        return [resolve(s["name"], {k: v for k, v in s.items() if k != "name"}) for s in steps]
    except JpegError as error:
        raise error.located(path) from None


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--profile",
    type=click.Choice(["lepton-challenge", "jfif"]),
    default="lepton-challenge",
    show_default=True,
    help="The rules to check.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document for the run.")
@click.option("--jsonl", is_flag=True, help="Print one JSON object per file as it finishes.")
@click.option("--recursive", "-r", is_flag=True, help="Walk directories recursively.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Parallel processes (default: all cores).")  # fmt: skip
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
    from .audit.runner import run_audit
    from .codecs import resolve_codecs

    if as_json and jsonl:
        _fail("--json and --jsonl exclude each other")
    # names of the codecs installed: workers resolve them again in their own process
    names = tuple(c.name for c in resolve_codecs(codecs, lepton_cpp=lepton_cpp))
    status = run_audit(
        paths, profile, recursive=recursive, jobs=jobs, lepton=not no_lepton, cycles=cycles,
        limits=limits, output="json" if as_json else "jsonl" if jsonl else "text",
        codecs=names, lepton_cpp=lepton_cpp,
    )  # fmt: skip
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()
