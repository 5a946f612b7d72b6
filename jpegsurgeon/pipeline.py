"""One file through the whole job: read, passes, write, verify.

This is what `jpegsurgeon transform` does, as a library call:

    result = jpegsurgeon.transform("in.jpg", passes=["randomize-signs"], seed=1)
    result.data, result.report, result.verified

The command line adds only where bytes come from and go to (files, stdin and
stdout, directories); `jpegsurgeon.batch` runs this over many files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import JpegError
from .limits import DEFAULT_LIMITS, Limits
from .model import JpegImage
from .passes import PassCall, PassInfo, parse_spec, resolve, run_pipeline
from .reader import read_source
from .writer import Layout, write_preserved, write_strict

# A pass as the library takes it: "name:key=value,...", (name, {parameters}),
# a resolved PassCall, or a function (image, rng) -> image or (image, changes).
PassLike = str | tuple[str, dict[str, Any]] | PassCall | Callable[..., Any]


@dataclass
class TransformResult:
    """The output bytes, the image they encode, and the report `--json` prints."""

    data: bytes
    image: JpegImage
    report: dict[str, Any]

    @property
    def verified(self) -> bool | None:
        """True when every codec round-tripped the output, None when none ran."""
        return self.report["verified"]


def load_pipeline(path: str | os.PathLike) -> list[PassCall]:
    """The passes of a TOML pipeline: [[pass]] tables, each a name and its parameters."""
    import tomllib  # only pipelines from files need it

    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise JpegError(f"cannot read pipeline: {error}", source=name) from None
    unknown = sorted(set(document) - {"pass"})
    if unknown:
        raise JpegError(
            f"unknown table {unknown[0]!r}: a pipeline holds [[pass]] tables only", source=name
        )
    steps = document.get("pass", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) and "name" in s for s in steps):
        raise JpegError("expected [[pass]] tables, each with a name", source=name)
    try:
        return [resolve(s["name"], {k: v for k, v in s.items() if k != "name"}) for s in steps]
    except JpegError as error:
        raise error.located(name) from None


def pass_calls(passes: Sequence[PassLike]) -> list[PassCall]:
    """Passes given in any form the library takes, resolved and checked."""
    calls = []
    for item in passes:
        if isinstance(item, PassCall):
            calls.append(item)
        elif isinstance(item, str):
            calls.append(parse_spec(item))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            calls.append(resolve(item[0], dict(item[1])))
        elif callable(item):
            calls.append(PassCall(PassInfo(getattr(item, "__name__", "pass"), _as_pass(item)), {}))
        else:
            raise TypeError(f"not a pass: {item!r}")
    return calls


def _as_pass(function: Callable[..., Any]) -> Callable[..., tuple[JpegImage, dict]]:
    """A plain function returning an image (or image and changes) as a registered pass."""

    def run(image: JpegImage, rng: Any, **arguments: Any) -> tuple[JpegImage, dict]:
        result = function(image, rng, **arguments)
        return result if isinstance(result, tuple) else (result, {})

    return run


def transform(
    source: str | os.PathLike | bytes | JpegImage,
    *,
    passes: Sequence[PassLike] = (),
    seed: int | None = None,
    verify: bool = True,
    codecs: Sequence[str] = ("lepton",),
    cycles: int = 3,
    lepton_cpp: str | None = None,
    preserve: bool = False,
    copy: str = "none",
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    progressive: bool = False,
    scans: str | Sequence[Any] | None = None,
    restart: str | int | None = None,
    arithmetic: bool = False,
    eob_runs: str = "libjpeg",
) -> TransformResult:
    """Read `source` (a path, bytes or an image), apply `passes`, write the
    result (strict JFIF in the layout the keywords choose, or `preserve`) and
    round-trip it through each of `codecs` unless `verify` is false.

    Raises JpegError for input that cannot be read or written (and, with
    `strict`, for damaged input libjpeg would repair); a codec that rejects
    the output is no exception: `result.verified` is False and the report
    says why.
    """
    layout = Layout.from_options(
        progressive=progressive, scans=scans, restart=restart, arithmetic=arithmetic,
        eob_runs=eob_runs,
    )  # fmt: skip
    if preserve and (layout != Layout() or copy != "none"):
        raise JpegError("preserve mode keeps the file's own layout and segments")
    calls = pass_calls(passes)
    chosen = []
    if verify:  # the codecs module costs imports a run without them need not pay
        from .codecs import resolve_codecs

        chosen = resolve_codecs(codecs, lepton_cpp=lepton_cpp)
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<bytes>"
    counts = None  # the decoder's symbol counts, good while the image is unchanged
    if isinstance(source, JpegImage):
        image, name = source, "<image>"
    else:
        image, counts = read_source(source, limits, with_counts=True)  # errors name the file
    if strict and (image.warnings or image.truncated):
        problem = str(image.warnings[0]) if image.warnings else "the data ends early"
        raise JpegError(f"damaged input (--strict): {problem}", source=name)
    input_bytes = image.source_size
    seed = int.from_bytes(os.urandom(4), "big") if seed is None else seed
    try:
        image, reports = run_pipeline(image, calls, seed)
        if scans is not None:
            layout.script_for(image)  # the script must fit the image the passes left
        if calls:
            counts = None
        data = write_preserved(image) if preserve else write_strict(image, layout, copy, counts)
    except JpegError as error:
        raise (error if error.source else error.located(name)) from None
    results = {}
    if chosen:
        from .codecs import round_trips

        results = round_trips(data, chosen, cycles, limits.max_lepton_bytes)
    report = {
        "input": name,
        "mode": "preserve" if preserve else "strict",
        "layout": None if preserve else layout.describe(),
        "copy": None if preserve else copy,
        "seed": seed,
        "passes": reports,
        "input_bytes": input_bytes,
        "output_bytes": len(data),
        "verified": None if not chosen else all(r.verified for r in results.values()),
        "codecs": {codec: result.as_dict() for codec, result in results.items()},
        "damaged": bool(image.warnings or image.truncated),
        "warnings": [str(w) for w in image.warnings],
    }
    return TransformResult(data, image, report)
