"""The pass registry: named transforms over the image model, never over bytes.

A pass is a plain function with typed, defaulted keyword parameters::

    @register("my-pass")
    def my_pass(image, rng, *, count: int = 1, mode: Literal["a", "b"] = "a"):
        '''What the pass does, in one paragraph (its description).

        Args:
            count: how many times
            mode: which way
        '''
        ...
        return new_image, {"changed": 3}  # or just new_image

Its parameters, their types (bool, int, float, str, or a `Literal[...]` of
str or int, whose values are then the only ones allowed), defaults and help
(the docstring's `Args:` section) come from the signature, so `jpegsurgeon
passes` can list them, a spec such as `randomize-signs:fraction=0.5,dc=true`
can be checked and converted, and the function can be called directly with
its defaults.  The older explicit form, `@register(name, Parameter(...), ...)`
over `(image, rng, **parameters)`, still works.

Built-in passes are the modules of this package; installed distributions add
theirs through the entry-point group `jpegsurgeon.passes`, whose entry points
each name a module that registers its passes when imported.

A pass never returns an image sharing a mutable array (or other mutable part
of the model) with the image it was given: whatever it shares is copied
before anyone sees the result (`unshare`).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import re
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import JpegError
from ..model import JpegImage

PassFunction = Callable[..., "JpegImage | tuple[JpegImage, dict[str, Any]]"]

ENTRY_POINT_GROUP = "jpegsurgeon.passes"
BUILTIN_ORIGIN = "jpegsurgeon"
_TYPES = (bool, int, float, str)


class PassRegistrationError(Exception):
    """A pass that cannot be registered: a name taken, or a signature that does not say
    what its parameters are."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: type  # bool, int, float or str
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None  # the only values allowed, from a Literal

    def convert(self, value: Any) -> Any:
        """A value given as text (from --pass) or typed (from a TOML pipeline)."""
        value = self._convert(value)
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"expected {_alternatives(self.choices)}, got {value!r}")
        return value

    def _convert(self, value: Any) -> Any:
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
        if self.type is str:
            return text
        try:
            return self.type(text)
        except ValueError:
            raise ValueError(f"expected {self.type.__name__}, got {text!r}") from None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "help": self.help,
            "choices": None if self.choices is None else list(self.choices),
        }


@dataclass(frozen=True)
class PassInfo:
    name: str
    function: PassFunction
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    # "jpegsurgeon" for built-ins, "distribution version" for plugins, else the module
    origin: str | None = None

    def __post_init__(self) -> None:
        if self.origin is None:
            object.__setattr__(self, "origin", _module_origin(self.function))

    @property
    def description(self) -> str:
        return _description(inspect.getdoc(self.function) or "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "origin": self.origin,
            "parameters": [p.as_dict() for p in self.parameters],
        }


_REGISTRY: dict[str, PassInfo] = {}
_LOADED = False  # pass modules imported one by one (one pass importing another) don't count
_LOADING = False
_PLUGIN_ORIGIN: str | None = None  # the distribution whose entry point is being imported
_PLUGIN_MODULES: dict[str, str] = {}  # module an entry point names -> its distribution


def _module_origin(function: Callable[..., Any]) -> str:
    module = getattr(function, "__module__", None) or "?"
    if module == "jpegsurgeon" or module.startswith("jpegsurgeon."):
        return BUILTIN_ORIGIN
    return module


def _where(info: PassInfo) -> str:
    function = info.function
    module = getattr(function, "__module__", None) or "?"
    qualname = getattr(function, "__qualname__", getattr(function, "__name__", "?"))
    return f"{info.origin} ({module}.{qualname})"


# --- signatures and docstrings ---------------------------------------------------

_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params):\s*$")
_ENTRY = re.compile(r"^(\w+)(?:\s*\([^)]*\))?\s*:\s*(.*)$")


def _alternatives(choices: tuple[Any, ...]) -> str:
    """The choices as a sentence lists them: a, b or c."""
    shown = [str(c) for c in choices]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _description(doc: str) -> str:
    """The docstring's first paragraph, on one line, without a parameter section."""
    lines = []
    for line in doc.splitlines():
        if not line.strip() or _SECTION.match(line.strip()):
            break
        lines.append(line.strip())
    return " ".join(lines)


def parameter_help(doc: str) -> dict[str, str]:
    """Help per parameter from a docstring's `Args:` (or `Parameters:`) section:
    one `name: text` line per parameter (`name (type): text` too), continued on
    lines indented deeper; the section ends at a blank line or a line indented
    no deeper than its heading."""
    helps: dict[str, str] = {}
    lines = inspect.cleandoc(doc).splitlines()
    index = 0
    while index < len(lines):
        if not _SECTION.match(lines[index].strip()):
            index += 1
            continue
        heading = len(lines[index]) - len(lines[index].lstrip())
        index += 1
        entry_indent, current = None, None
        while index < len(lines):
            line = lines[index]
            indent = len(line) - len(line.lstrip())
            if not line.strip() or indent <= heading:
                break
            match = _ENTRY.match(line.strip())
            if match and (entry_indent is None or indent <= entry_indent):
                entry_indent, current = indent, match.group(1)
                helps[current] = match.group(2).strip()
            elif current is not None:
                helps[current] = f"{helps[current]} {line.strip()}".strip()
            index += 1
    return helps


def _annotation(function: Callable[..., Any], parameter: inspect.Parameter) -> Any:
    annotation = parameter.annotation
    for _ in range(2):  # from __future__ import annotations, and quoted ones under it
        if not isinstance(annotation, str):
            break
        namespace = dict(vars(typing))
        namespace.update(getattr(function, "__globals__", {}))
        try:
            annotation = eval(annotation, namespace)  # noqa: S307 - what get_type_hints does
        except Exception as error:
            raise PassRegistrationError(
                f"parameter {parameter.name!r}: cannot resolve its annotation "
                f"{annotation!r} ({error})"
            ) from None
    return annotation


def _parameter_type(annotation: Any, name: str) -> tuple[type, tuple[Any, ...] | None]:
    if typing.get_origin(annotation) is typing.Literal:
        choices = typing.get_args(annotation)
        for kind in (str, int):
            if choices and all(type(c) is kind for c in choices):
                return kind, tuple(choices)
        raise PassRegistrationError(
            f"parameter {name!r}: a Literal must hold str values only (or int values only), "
            f"got {annotation!r}"
        )
    if annotation in _TYPES:
        return annotation, None
    shown = getattr(annotation, "__name__", None) or repr(annotation)
    raise PassRegistrationError(
        f"parameter {name!r}: type {shown} is not one of bool, int, float, str or a Literal of str"
    )


def signature_parameters(function: Callable[..., Any]) -> tuple[Parameter, ...]:
    """The Parameters a pass function declares: each keyword parameter after
    (image, rng), with its annotation, default and docstring help."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as error:
        raise PassRegistrationError(f"cannot read its signature: {error}") from None
    listed = list(signature.parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if len(listed) < 2 or any(p.kind not in positional for p in listed[:2]):
        raise PassRegistrationError("a pass takes (image, rng, *, parameter: type = default, ...)")
    helps = parameter_help(inspect.getdoc(function) or "")
    parameters = []
    for p in listed[2:]:
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            stars = "*" if p.kind is inspect.Parameter.VAR_POSITIONAL else "**"
            raise PassRegistrationError(
                f"{stars}{p.name}: declare each parameter as `name: type = default`"
            )
        if p.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise PassRegistrationError(f"parameter {p.name!r} is positional-only")
        missing = [
            what
            for what, absent in (
                ("annotation", p.annotation is p.empty),
                ("default", p.default is p.empty),
            )  # fmt: skip
            if absent
        ]
        if missing:
            raise PassRegistrationError(
                f"parameter {p.name!r} has no {' and no '.join(missing)}: declare it as "
                f"`{p.name}: type = default` (type bool, int, float, str or Literal[...])"
            )
        kind, choices = _parameter_type(_annotation(function, p), p.name)
        text = helps.get(p.name, "")
        if choices is not None and not all(
            re.search(rf"(?<![\w-]){re.escape(str(c))}(?![\w-])", text) for c in choices
        ):  # the help lists the choices unless it names them all already
            text = f"{text} ({_alternatives(choices)})" if text else _alternatives(choices)
        parameter = Parameter(p.name, kind, p.default, text, choices)
        try:
            if kind is not str and isinstance(p.default, str):  # not converted from text
                raise ValueError(f"expected {kind.__name__}, got {p.default!r}")
            default = parameter.convert(p.default)
        except ValueError as error:
            raise PassRegistrationError(f"parameter {p.name!r}: default: {error}") from None
        parameters.append(dataclasses.replace(parameter, default=default))
    return tuple(parameters)


# --- registration ----------------------------------------------------------------


def register(name: str, *parameters: Parameter) -> Callable[[PassFunction], PassFunction]:
    """Register a pass under `name`.

    With no `parameters`, they come from the function's signature (see the
    module's docstring); given explicitly, as `Parameter`s, the function takes
    them as keywords and they need not have defaults.  The function comes back
    wrapped only so that direct calls fill in explicit defaults and never
    return arrays shared with their input; its signature and docstring stay.
    Registering a name already taken raises PassRegistrationError.
    """

    def decorate(function: PassFunction) -> PassFunction:
        if not callable(function):
            raise PassRegistrationError(f"pass {name!r}: {function!r} is not a function")
        if parameters:
            declared = tuple(parameters)
        else:
            try:
                declared = signature_parameters(function)
            except PassRegistrationError as error:
                module = getattr(function, "__module__", None) or "?"
                qualname = getattr(function, "__qualname__", "?")
                raise PassRegistrationError(
                    f"pass {name!r} ({module}.{qualname}): {error}"
                ) from None
        wrapped = _direct_call(function, declared if parameters else ())
        origin = _PLUGIN_ORIGIN or _module_origin(function)
        if origin != BUILTIN_ORIGIN and not (_LOADED or _LOADING):
            registry()  # a script's pass: check its name against every other one now
        origin = _PLUGIN_ORIGIN or _plugin_module_origin(function) or origin
        info = PassInfo(name, wrapped, declared, origin)
        taken = _REGISTRY.get(name)
        if taken is not None:
            raise PassRegistrationError(
                f"pass {name!r} is already registered by {_where(taken)}; "
                f"{_where(info)} cannot register it again"
            )
        _REGISTRY[name] = info
        return wrapped

    return decorate


def _direct_call(function: PassFunction, explicit: tuple[Parameter, ...]) -> PassFunction:
    """`function` as callers get it back from `register`: explicit parameters
    default to their declared values, and the image returned shares nothing
    mutable with the image given."""
    defaults = {p.name: p.default for p in explicit}
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        names = []

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        if defaults:
            covered = set(names[: len(args)])
            kwargs = {
                **{k: v for k, v in defaults.items() if k not in covered and k not in kwargs},
                **kwargs,
            }
        source = args[0] if args else kwargs.get(names[0] if names else "image")
        result = function(*args, **kwargs)
        if isinstance(result, tuple) and len(result) == 2:
            return unshare(result[0], source), result[1]
        return unshare(result, source)

    call.__jpegsurgeon_unshares__ = True  # type: ignore[attr-defined]
    return call


def _plugin_module_origin(function: Callable[..., Any]) -> str | None:
    """The distribution of a plugin module imported by a script, not by the registry."""
    module = getattr(function, "__module__", None) or ""
    for named, origin in _PLUGIN_MODULES.items():
        if module == named or module.startswith(named + "."):
            return origin
    return None


def _warn(message: str) -> None:
    print(f"jpegsurgeon: warning: {' '.join(message.split())}", file=sys.stderr)


def _load_plugins() -> None:
    """Import each module named by an entry point of the group; one that fails
    costs one line on stderr and its own passes, never the others."""
    global _PLUGIN_ORIGIN
    from importlib.metadata import entry_points

    try:
        found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value))
    except Exception as error:  # a broken installed distribution's metadata
        _warn(f"cannot list the {ENTRY_POINT_GROUP} entry points: {error}")
        return
    for entry in found:
        dist = getattr(entry, "dist", None)
        origin = f"{dist.metadata['Name']} {dist.version}" if dist is not None else entry.name
        before = set(_REGISTRY)
        _PLUGIN_ORIGIN = origin
        _PLUGIN_MODULES[entry.module] = origin
        try:
            entry.load()
        except Exception as error:
            for added in set(_REGISTRY) - before:
                del _REGISTRY[added]
            _PLUGIN_MODULES.pop(entry.module, None)
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            _warn(f"plugin {entry.name!r} ({origin}, {entry.value}) not loaded: {reason}")
        finally:
            _PLUGIN_ORIGIN = None


def registry() -> dict[str, PassInfo]:
    """Every pass, importing the built-in pass modules and the plugins on first use."""
    global _LOADED, _LOADING
    if not _LOADED and not _LOADING:
        import importlib
        import pkgutil

        _LOADING = True
        try:
            for module in pkgutil.iter_modules(__path__):
                importlib.import_module(f"{__name__}.{module.name}")
            _load_plugins()
            _LOADED = True
        finally:
            _LOADING = False
    return dict(sorted(_REGISTRY.items()))


# --- calling passes --------------------------------------------------------------


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
    from one seed sequence, so the pipeline is deterministic for a given seed.

    Each pass's result shares no mutable array with the image it was given,
    and an error a pass raises names the pass."""
    if seed is not None and seed < 0:
        raise JpegError(f"seed {seed}: expected a non-negative integer")
    reports: list[dict[str, Any]] = []
    if not calls:  # numpy.random costs an import (10 ms) a pass-less run need not pay
        return image, reports
    sequence = np.random.SeedSequence(seed)
    for call, child in zip(calls, sequence.spawn(len(calls))):
        name = call.info.name
        function = call.info.function
        try:
            result = function(image, np.random.default_rng(child), **call.arguments)
        except JpegError as error:
            if not error.message.startswith((name, f"pass {name!r}")):
                error.message = f"{name}: {error.message}"
                error.args = (error.message, *error.args[1:])
            raise
        if isinstance(result, tuple) and len(result) == 2:
            result, changes = result
        else:
            changes = {}
        if not isinstance(result, JpegImage) or not isinstance(changes, dict):
            raise JpegError(
                f"pass {name!r} returned {type(result).__name__}: expected an image "
                "or (image, changes)"
            )
        if not getattr(function, "__jpegsurgeon_unshares__", False):
            result = unshare(result, image)
        reports.append({**call.as_dict(), "changes": changes})
        image = result
    return image, reports


# --- no aliasing -----------------------------------------------------------------


def _collect(value: Any, mutable: dict[int, Any], arrays: list[np.ndarray]) -> None:
    """Record every mutable part of `value` (by id) and every array in it."""
    if isinstance(value, np.ndarray):
        if id(value) not in mutable:
            mutable[id(value)] = value
            arrays.append(value)
        return
    if isinstance(value, (str, bytes, int, float, type(None))):
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if id(value) in mutable:
            return
        if not value.__dataclass_params__.frozen:
            mutable[id(value)] = value
        for f in dataclasses.fields(value):
            _collect(getattr(value, f.name, None), mutable, arrays)
    elif isinstance(value, (list, dict, set, bytearray)):
        if id(value) in mutable:
            return
        mutable[id(value)] = value
        items = value.values() if isinstance(value, dict) else value
        if not isinstance(value, bytearray):
            for item in items:
                _collect(item, mutable, arrays)
    elif isinstance(value, tuple):
        for item in value:
            _collect(item, mutable, arrays)


def _copy_shared(
    value: Any, mutable: dict[int, Any], arrays: list[np.ndarray], memo: dict[int, Any]
) -> Any:
    """`value` with every part it shares with the source replaced by a copy;
    parts shared within `value` stay shared with each other."""
    if isinstance(value, (str, bytes, int, float, type(None))):
        return value
    key = id(value)
    if key in memo:
        return memo[key]
    memo[key] = value  # a cycle, met again while copying, is left as it is
    shared = key in mutable
    new: Any = value
    if isinstance(value, np.ndarray):
        if shared or any(np.may_share_memory(value, a) for a in arrays):
            new = value.copy()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name, None)
            fresh = _copy_shared(old, mutable, arrays, memo)
            if fresh is not old:
                changes[f.name] = fresh
        if shared or changes:
            new = copy.copy(value)
            for name, fresh in changes.items():
                object.__setattr__(new, name, fresh)
    elif isinstance(value, dict):
        changes = {}
        for k, old in value.items():
            fresh = _copy_shared(old, mutable, arrays, memo)
            if fresh is not old:
                changes[k] = fresh
        if shared or changes:
            new = copy.copy(value)
            for k, fresh in changes.items():
                new[k] = fresh
    elif isinstance(value, list):
        items = [_copy_shared(item, mutable, arrays, memo) for item in value]
        if shared or any(a is not b for a, b in zip(items, value)):
            new = copy.copy(value)
            new[:] = items
    elif isinstance(value, (set, bytearray)):
        if shared:
            new = copy.copy(value)
    elif isinstance(value, tuple):
        items = [_copy_shared(item, mutable, arrays, memo) for item in value]
        if any(a is not b for a, b in zip(items, value)):
            new = type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    memo[key] = new
    return new


def unshare(result: Any, source: Any) -> Any:
    """`result` (a pass's image) with copies of whatever mutable part it shares
    with `source` (the image the pass was given): arrays sharing memory with
    one of the source's, and the very lists, dicts and model objects of the
    source.  What the pass made afresh is kept as it is, not copied."""
    if result is None or source is None:
        return result
    mutable: dict[int, Any] = {}
    arrays: list[np.ndarray] = []
    _collect(source, mutable, arrays)
    return _copy_shared(result, mutable, arrays, {})
