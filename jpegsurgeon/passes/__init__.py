"""The pass registry: named transforms over the image model, never over bytes.

A pass is a function `(image, rng, **parameters) -> (image, changes)` living
in its own module here and registered with `@register`.  Its docstring's
first paragraph is its description; its typed, defaulted parameters are
declared alongside, so `jpegsurgeon passes` can list them and a pass spec
such as `randomize-signs:fraction=0.5,dc=true` can be checked and converted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import JpegError
from ..model import JpegImage

PassFunction = Callable[..., tuple[JpegImage, dict[str, Any]]]


@dataclass(frozen=True)
class Parameter:
    name: str
    type: type  # bool, int, float or str
    default: Any
    help: str

    def convert(self, value: Any) -> Any:
        """A value given as text (from --pass) or typed (from a TOML pipeline)."""
        if not isinstance(value, str):
            if self.type is float and isinstance(value, int) and not isinstance(value, bool):
                return float(value)
            if type(value) is not self.type:
                raise ValueError(f"expected {self.type.__name__}, got {value!r}")
            return value
        text = value
        if self.type is bool:
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"expected true or false, got {text!r}")
        return self.type(text)


@dataclass(frozen=True)
class PassInfo:
    name: str
    function: PassFunction
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    @property
    def description(self) -> str:
        import inspect

        doc = inspect.getdoc(self.function) or ""
        return doc.split("\n\n")[0].replace("\n", " ")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "parameters": [
                {"name": p.name, "type": p.type.__name__, "default": p.default, "help": p.help}
                for p in self.parameters
            ],
        }


_REGISTRY: dict[str, PassInfo] = {}
_LOADED = False  # pass modules imported one by one (one pass importing another) don't count


def register(name: str, *parameters: Parameter) -> Callable[[PassFunction], PassFunction]:
    """Register a pass under `name` with its declared parameters."""

    def decorate(function: PassFunction) -> PassFunction:
        _REGISTRY[name] = PassInfo(name, function, tuple(parameters))
        return function

    return decorate


def registry() -> dict[str, PassInfo]:
    """Every pass, importing the pass modules on first use."""
    global _LOADED
    if not _LOADED:
        import importlib
        import pkgutil

        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _LOADED = True
    return dict(sorted(_REGISTRY.items()))


@dataclass(frozen=True)
class PassCall:
    """One step of a pipeline: a registered pass and its parameter values."""

    info: PassInfo
    arguments: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.info.name, "parameters": self.arguments}


def resolve(name: str, given: dict[str, Any]) -> PassCall:
    """Check a pass name and its parameters; values given as text are converted."""
    passes = registry()
    info = passes.get(name)
    if info is None:
        known = ", ".join(passes) or "none yet"
        raise JpegError(f"unknown pass {name!r} (available: {known})")
    declared = {p.name: p for p in info.parameters}
    arguments = {p.name: p.default for p in info.parameters}
    for key, value in given.items():
        parameter = declared.get(key)
        if parameter is None:
            names = ", ".join(declared) or "none"
            raise JpegError(f"pass {name!r} has no parameter {key!r} (parameters: {names})")
        try:
            arguments[key] = parameter.convert(value)
        except (TypeError, ValueError) as error:
            raise JpegError(f"pass {name!r} parameter {key}: {error}") from None
    return PassCall(info, arguments)


def parse_spec(spec: str) -> PassCall:
    """`NAME[:key=value,...]` as given to `--pass`."""
    name, _, rest = spec.partition(":")
    given: dict[str, str] = {}
    # a comma starts a new key=value only when a key follows it, so values
    # such as components=0,2 keep their own commas
    for item in filter(None, (part.strip() for part in re.split(r",(?=\s*[\w-]+\s*=)", rest))):
        key, sep, value = item.partition("=")
        if not sep:
            raise JpegError(f"pass {name!r}: expected key=value, got {item!r}")
        given[key.strip()] = value.strip()
    return resolve(name.strip(), given)


def run_pipeline(
    image: JpegImage, calls: list[PassCall], seed: int | None
) -> tuple[JpegImage, list[dict[str, Any]]]:
    """Apply passes in order.  Each pass draws from its own generator, spawned
    from one seed sequence, so the pipeline is deterministic for a given seed."""
    if seed < 0:
        raise JpegError(f"seed {seed}: expected a non-negative integer")
    sequence = np.random.SeedSequence(seed)
    reports = []
    for call, child in zip(calls, sequence.spawn(len(calls))):
        image, changes = call.info.function(image, np.random.default_rng(child), **call.arguments)
        reports.append({**call.as_dict(), "changes": changes})
    return image, reports
