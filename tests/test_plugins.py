"""Passes as plain functions, plugins from installed distributions, and no aliasing.

A pass's parameters come from its signature and docstring; it can be called
directly with its defaults; a name registers once; distributions add passes
through the `jpegsurgeon.passes` entry-point group; and no pass returns an
image sharing a mutable part with the image it was given.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from importlib.metadata import EntryPoint
from typing import Literal

import numpy as np
import pytest
from conftest import FIXTURE_FILES

import jpegsurgeon
import jpegsurgeon.passes
from jpegsurgeon.errors import JpegError
from jpegsurgeon.model import JpegImage
from jpegsurgeon.passes import (
    Parameter,
    PassCall,
    PassInfo,
    PassRegistrationError,
    parse_spec,
    register,
    registry,
    resolve,
    run_pipeline,
)
from jpegsurgeon.passes.geometry import rotate
from jpegsurgeon.passes.randomize_signs import randomize_signs

FIXTURE = next(p for p in FIXTURE_FILES if p.name == "baseline_420_203x157.jpg")

# The README's plugin, verbatim: installed as a distribution by the test below.
PLUGIN_SOURCE = '''\
from typing import Literal

import jpegsurgeon


@jpegsurgeon.passes.register("dc-shift")
def dc_shift(image, rng, *, step: int = 1, which: Literal["luma", "all"] = "luma"):
    """Brighten (darken with step < 0) losslessly: add `step` to every block's DC.

    Args:
        step: quantizer steps added to each DC
        which: luma only, or every component
    """
    count = 1 if which == "luma" else len(image.components)
    arrays = {i: image.components[i].coefficients.copy() for i in range(count)}
    for blocks in arrays.values():
        blocks[..., 0, 0] += step
    return image.with_coefficients(arrays), {"components": count}
'''


@pytest.fixture
def scratch_registry():
    """Passes registered by a test are forgotten after it."""
    registry()  # the built-ins and installed plugins first
    before = set(jpegsurgeon.passes._REGISTRY)
    yield
    for name in set(jpegsurgeon.passes._REGISTRY) - before:
        del jpegsurgeon.passes._REGISTRY[name]


@pytest.fixture(scope="module")
def image() -> JpegImage:
    return jpegsurgeon.read(FIXTURE)


# --- parameters from the signature -----------------------------------------------------


def test_parameters_types_defaults_help_and_choices_come_from_the_signature(scratch_registry):
    @register("test-signature")
    def signature_pass(
        image,
        rng,
        *,
        count: int = 3,
        ratio: float = 0.5,
        dc: bool = False,
        label: str = "x",
        mode: Literal["fast", "slow"] = "fast",
        angle: Literal[90, 180] = 90,
        undocumented: int = 0,
    ):
        """Do nothing, carefully,
        over two lines.

        More detail that is not the description.

        Args:
            count: how many times
            ratio (float): a share of
                the blocks, continued
            dc: touch DC too
            label: a name
            mode: how to go
            angle: which way, in degrees
        """
        return image

    info = registry()["test-signature"]
    assert info.description == "Do nothing, carefully, over two lines."
    assert info.origin == __name__  # registered by a script, not a distribution
    got = {p.name: (p.type, p.default, p.help, p.choices) for p in info.parameters}
    assert got == {
        "count": (int, 3, "how many times", None),
        "ratio": (float, 0.5, "a share of the blocks, continued", None),
        "dc": (bool, False, "touch DC too", None),
        "label": (str, "x", "a name", None),
        "mode": (str, "fast", "how to go (fast or slow)", ("fast", "slow")),
        "angle": (int, 90, "which way, in degrees (90 or 180)", (90, 180)),
        "undocumented": (int, 0, "", None),
    }
    assert [p.name for p in info.parameters] == list(got)  # in signature order
    described = info.as_dict()
    assert described["origin"] == __name__
    assert described["parameters"][4] == {
        "name": "mode", "type": "str", "default": "fast", "help": "how to go (fast or slow)",
        "choices": ["fast", "slow"],
    }  # fmt: skip

    call = parse_spec("test-signature:count=7,ratio=1,dc=yes,mode=slow,angle=180")
    assert call.arguments == {
        "count": 7, "ratio": 1.0, "dc": True, "label": "x", "mode": "slow", "angle": 180,
        "undocumented": 0,
    }  # fmt: skip
    assert type(call.arguments["ratio"]) is float
    with pytest.raises(JpegError, match=r"test-signature.*mode.*expected fast or slow, got 'x'"):
        parse_spec("test-signature:mode=x")
    with pytest.raises(JpegError, match=r"test-signature.*angle.*expected 90 or 180, got 45"):
        parse_spec("test-signature:angle=45")
    with pytest.raises(JpegError, match=r"test-signature.*angle.*expected 90 or 180"):
        resolve("test-signature", {"angle": 45})  # a TOML integer


def test_built_in_passes_declare_their_parameters_in_their_signatures():
    passes = registry()
    rotate_parameters = {p.name: p for p in passes["rotate"].parameters}
    assert rotate_parameters["angle"].type is int
    assert rotate_parameters["angle"].choices == (90, 180, 270)
    assert rotate_parameters["edge"].choices == ("keep", "trim", "perfect")
    assert "jpegtran -trim" in rotate_parameters["edge"].help
    assert {p.name: (p.type, p.default) for p in passes["requantize"].parameters} == {
        "quality": (int, 0), "scale": (float, 0.0), "table": (str, ""), "clamp": (bool, False),
    }  # fmt: skip
    assert passes["rebuild-huffman"].parameters[0].choices == ("per-class", "shared", "original")
    for info in passes.values():
        assert info.description and all(p.help for p in info.parameters), info.name
        if info.origin == "jpegsurgeon":
            assert info.as_dict()["origin"] == "jpegsurgeon"


@pytest.mark.parametrize(
    "source, fragments",
    [
        ("def f(image, rng, *, count=1): pass", ["'count'", "no annotation"]),
        ("def f(image, rng, *, count: int): pass", ["'count'", "no default"]),
        ("def f(image, rng, *, count): pass", ["'count'", "no annotation and no default"]),
        ("def f(image, rng, *, items: list = ()): pass", ["'items'", "not one of bool"]),
        ("def f(image, rng, *, n: 'Missing' = 1): pass", ["'n'", "cannot resolve", "Missing"]),
        ("def f(image, rng, **options): pass", ["**options", "declare each parameter"]),
        ("def f(image): pass", ["(image, rng, *"]),
        ("def f(image, rng, *, n: int = 'one'): pass", ["'n'", "default", "expected int"]),
        ("def f(image, rng, *, n: int = True): pass", ["'n'", "default", "expected int"]),
        ("def f(image, rng, *, m: Literal['a', 'b'] = 'c'): pass", ["'m'", "expected a or b"]),
        ("def f(image, rng, *, m: Literal['a', 1] = 'a'): pass", ["'m'", "Literal"]),
    ],
)
def test_a_parameter_the_signature_does_not_describe_is_a_registration_error(
    scratch_registry, source, fragments
):
    namespace: dict = {"Literal": Literal}
    exec(source, namespace)
    with pytest.raises(PassRegistrationError) as caught:
        register("test-bad-signature")(namespace["f"])
    message = str(caught.value)
    assert "test-bad-signature" in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message
    assert "test-bad-signature" not in registry()


# --- direct calls ------------------------------------------------------------------------


def test_a_pass_is_its_function_and_runs_directly_with_its_defaults(image):
    assert inspect.signature(rotate).parameters["angle"].default == 90
    assert rotate.__name__ == "rotate" and "jpegtran -rotate" in rotate.__doc__
    turned, changes = rotate(image, np.random.default_rng(1))
    assert (turned.width, turned.height) == (image.height, image.width)
    assert changes["angle"] == 90 and changes["edge"] == "keep"
    piped, _ = run_pipeline(image, [parse_spec("rotate")], seed=1)
    for a, b in zip(turned.components, piped.components):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)

    # the same generator gives the same draws directly and through the pipeline
    child = np.random.SeedSequence(5).spawn(1)[0]
    direct, _ = randomize_signs(image, np.random.default_rng(child))
    piped, _ = run_pipeline(image, [parse_spec("randomize-signs")], seed=5)
    for a, b in zip(direct.components, piped.components):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)


def test_a_pass_may_return_the_image_alone(scratch_registry, image):
    @register("test-image-alone")
    def image_alone(image, rng, *, dc: int = 0):
        """Set luma's DC.

        Args:
            dc: the value
        """
        blocks = image.components[0].coefficients.copy()
        blocks[..., 0, 0] = dc
        return image.with_coefficients({0: blocks})

    direct = image_alone(image, None)
    assert (
        isinstance(direct, JpegImage) and (direct.components[0].coefficients[..., 0, 0] == 0).all()
    )
    result, reports = run_pipeline(image, [parse_spec("test-image-alone:dc=3")], seed=1)
    assert (result.components[0].coefficients[..., 0, 0] == 3).all()
    assert reports == [{"name": "test-image-alone", "parameters": {"dc": 3}, "changes": {}}]


def test_the_explicit_form_still_registers_and_fills_in_defaults(scratch_registry, image):
    @register("test-explicit", Parameter("step", int, 2, "added to every DC"))
    def explicit(image, rng, step):
        """Add `step` to every DC."""
        blocks = image.components[0].coefficients.copy()
        blocks[..., 0, 0] += step
        return image.with_coefficients({0: blocks}), {"step": step}

    before = image.components[0].coefficients[..., 0, 0]
    assert (explicit(image, None)[0].components[0].coefficients[..., 0, 0] == before + 2).all()
    assert (explicit(image, None, 5)[0].components[0].coefficients[..., 0, 0] == before + 5).all()
    _, reports = run_pipeline(image, [parse_spec("test-explicit:step=4")], seed=1)
    assert reports[0]["changes"] == {"step": 4}
    assert registry()["test-explicit"].parameters[0].help == "added to every DC"


# --- one name, one pass --------------------------------------------------------------


def test_registering_a_name_twice_is_an_error_naming_both_origins(scratch_registry):
    def again(image, rng):
        """Rotate, again."""
        return image

    with pytest.raises(PassRegistrationError) as caught:
        register("rotate")(again)
    message = str(caught.value)
    assert "'rotate' is already registered by jpegsurgeon" in message
    assert "jpegsurgeon.passes.geometry.rotate" in message
    assert f"{__name__}." in message and "again" in message
    assert registry()["rotate"].function is rotate  # the first stays

    register("test-twice")(again)
    with pytest.raises(PassRegistrationError, match="'test-twice' is already registered"):
        register("test-twice")(again)


def test_a_script_taking_a_built_in_name_fails_at_its_own_decorator():
    script = textwrap.dedent('''\
        import jpegsurgeon

        @jpegsurgeon.passes.register("flip")  # before anything loaded the built-ins
        def my_flip(image, rng):
            """Flip, my way."""
            return image
        ''')
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "jpegsurgeon.passes.PassRegistrationError: pass 'flip' is already registered by "
        "jpegsurgeon (jpegsurgeon.passes.geometry.flip); __main__ (__main__.my_flip) cannot "
        "register it again"
    )


# --- errors name the pass and the parameter --------------------------------------------


@pytest.mark.parametrize(
    "spec, fragments",
    [
        ("requantize:quality=abc", ["'requantize'", "quality", "expected int, got 'abc'"]),
        ("requantize:scale=big", ["'requantize'", "scale", "expected float, got 'big'"]),
        ("randomize-signs:dc=maybe", ["'randomize-signs'", "dc", "expected true or false"]),
        ("rotate:angle=45", ["'rotate'", "angle", "expected 90, 180 or 270, got 45"]),
        ("flip:axis=diagonal", ["'flip'", "axis", "expected horizontal or vertical"]),
        ("rebuild-huffman:tables=best", ["'rebuild-huffman'", "tables", "per-class, shared"]),
        ("rotate:turns=1", ["'rotate'", "no parameter 'turns'", "angle, edge"]),
    ],
)
def test_parse_spec_errors_name_the_pass_and_the_parameter(spec, fragments):
    with pytest.raises(JpegError) as caught:
        parse_spec(spec)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_errors_a_pass_raises_name_the_pass(scratch_registry, image):
    with pytest.raises(JpegError, match=r"^randomize-signs: fraction=2\.0: expected a value from"):
        run_pipeline(image, [parse_spec("randomize-signs:fraction=2")], seed=1)
    with pytest.raises(JpegError, match=r"^randomize-signs: components='7'"):
        run_pipeline(image, [parse_spec("randomize-signs:components=7")], seed=1)

    @register("test-refuses")
    def refuses(image, rng):
        """Refuse."""
        raise JpegError("no, thank you")

    @register("test-returns-junk")
    def returns_junk(image, rng):
        """Return something that is not an image."""
        return 42

    with pytest.raises(JpegError, match=r"^test-refuses: no, thank you$"):
        run_pipeline(image, [parse_spec("test-refuses")], seed=1)
    with pytest.raises(JpegError, match=r"'test-returns-junk' returned int: expected an image"):
        run_pipeline(image, [parse_spec("test-returns-junk")], seed=1)


# --- plugins -----------------------------------------------------------------------------


def test_a_plugin_that_fails_to_load_costs_one_line_and_its_own_passes(monkeypatch, capsys):
    broken = EntryPoint(name="broken", value="jpegsurgeon_test_no_such_module", group="x")
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [broken])
    before = dict(jpegsurgeon.passes._REGISTRY)
    jpegsurgeon.passes._load_plugins()
    assert jpegsurgeon.passes._REGISTRY == before
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("jpegsurgeon: warning: plugin 'broken'")
    assert "ModuleNotFoundError" in lines[0] and "jpegsurgeon_test_no_such_module" in lines[0]


def _package(root, name: str, module: str, source: str):
    """A one-module distribution `name` 0.1 whose entry point names `module`."""
    directory = root / name
    directory.mkdir()
    (directory / f"{module}.py").write_text(source)
    (directory / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "0.1"

        [tool.setuptools]
        py-modules = ["{module}"]

        [project.entry-points."jpegsurgeon.passes"]
        {module.removesuffix("_plugin")} = "{module}"
        """)
    )
    return directory


@pytest.fixture(scope="module")
def installed_plugins(tmp_path_factory):
    """Three distributions installed with pip: the README's plugin, one that
    cannot be imported, and one that takes a built-in's name.  They go to a
    directory of their own put on the subprocesses' PYTHONPATH, found there
    by importlib.metadata as in site-packages, so that the environment other
    tests run in never sees them; the directory goes with the test."""
    root = tmp_path_factory.mktemp("plugins")
    packages = [
        _package(root, "demo-plugin", "demo_plugin", PLUGIN_SOURCE),
        _package(root, "broken-plugin", "broken_plugin", "import jpegsurgeon_no_such_module\n"),
        _package(
            root,
            "clash-plugin",
            "clash_plugin",
            textwrap.dedent('''\
            from jpegsurgeon.passes import register

            @register("clash-first")
            def first(image, rng):
                """Registered, then rolled back when the next one fails."""
                return image

            @register("rotate")
            def rotate(image, rng):
                """Take a built-in's name."""
                return image
            '''),
        ),
    ]
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "--target", str(target),
         *map(str, packages)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
    return env


def _cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jpegsurgeon", *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def _assert_plugin_warnings(stderr: str) -> None:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr
    assert len(lines) == 2, stderr
    broken = next(line for line in lines if "'broken'" in line)
    assert broken.startswith("jpegsurgeon: warning: plugin 'broken' (broken-plugin 0.1")
    assert "jpegsurgeon_no_such_module" in broken
    clash = next(line for line in lines if "'clash'" in line)
    assert "'rotate' is already registered by jpegsurgeon" in clash
    assert "clash-plugin 0.1 (clash_plugin.rotate)" in clash


def test_installed_plugins_are_listed_with_their_origin(installed_plugins):
    # slow-ish: pip builds three tiny distributions once for this module (a few seconds)
    text = _cli(installed_plugins, "passes")
    assert text.returncode == 0, text.stderr
    assert "dc-shift  [demo-plugin 0.1]" in text.stdout
    assert "rotate  [jpegsurgeon]" in text.stdout
    assert "clash-first" not in text.stdout  # its plugin failed: all of its passes go
    assert "which (str, default 'luma'): luma only, or every component (luma or all)" in (
        text.stdout
    )
    _assert_plugin_warnings(text.stderr)

    document = json.loads(_cli(installed_plugins, "passes", "--json").stdout)
    by_name = {p["name"]: p for p in document["passes"]}
    assert by_name["dc-shift"]["origin"] == "demo-plugin 0.1"
    assert by_name["dc-shift"]["description"].startswith("Brighten (darken with step < 0)")
    assert by_name["dc-shift"]["parameters"][0] == {
        "name": "step", "type": "int", "default": 1, "help": "quantizer steps added to each DC",
        "choices": None,
    }  # fmt: skip
    assert by_name["rotate"]["origin"] == "jpegsurgeon"
    assert all(p["origin"] for p in document["passes"])

    # a script importing the plugin's module itself: the passes still belong to it
    script = (
        "import demo_plugin, jpegsurgeon; print(jpegsurgeon.passes.registry()['dc-shift'].origin)"
    )
    direct = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=installed_plugins
    )
    assert direct.stdout.strip() == "demo-plugin 0.1", direct.stderr


def test_an_installed_plugin_pass_runs_from_the_command_line(installed_plugins, tmp_path):
    out = tmp_path / "out.jpg"
    result = _cli(installed_plugins, "transform", str(FIXTURE), str(out),
                  "--pass", "dc-shift:step=2", "--no-verify", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    _assert_plugin_warnings(result.stderr)
    step = json.loads(result.stdout)["passes"][0]
    assert step == {"name": "dc-shift", "parameters": {"step": 2, "which": "luma"},
                    "changes": {"components": 1}}  # fmt: skip
    before, after = jpegsurgeon.read(FIXTURE), jpegsurgeon.read(out)
    np.testing.assert_array_equal(
        after.components[0].coefficients[..., 0, 0],
        before.components[0].coefficients[..., 0, 0] + 2,
    )
    for a, b in zip(before.components[1:], after.components[1:]):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)

    plain = _cli(installed_plugins, "transform", str(FIXTURE), str(tmp_path / "plain.jpg"),
                 "--pass", "dc-shift", "--no-verify")  # fmt: skip
    assert plain.returncode == 0, plain.stderr

    bad = _cli(installed_plugins, "transform", str(FIXTURE), str(tmp_path / "bad.jpg"),
               "--pass", "dc-shift:which=chroma", "--no-verify")  # fmt: skip
    assert bad.returncode == 2
    error = bad.stderr.strip().splitlines()[-1]
    assert "'dc-shift'" in error and "which" in error and "expected luma or all" in error
    assert not (tmp_path / "bad.jpg").exists()


# --- no aliasing -------------------------------------------------------------------------


def model_arrays(value, seen=None):
    """Every numpy array in an image model, found by walking its fields."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from model_arrays(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from model_arrays(item, seen)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from model_arrays(item, seen)


def assert_same_model(a, b, where="image"):
    """Two models hold equal values, field by field, array by array."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same_model(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            if key != "_io":  # the stream construct parsed a segment from, not a value
                assert_same_model(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            assert_same_model(x, y, f"{where}[{index}]")
    else:
        assert a == b, where


def vandalize(result: JpegImage) -> int:
    """Change every writable array of `result` and its lists, tables and objects;
    returns the number of arrays changed."""
    changed = 0
    for array in list(model_arrays(result)):
        if array.flags.writeable and array.size:
            array[...] = ~array if array.dtype.kind in "iu" else array + 1
            changed += 1
    for component in result.components:
        component.h = component.v = 7
        component.component_id = 99
    for table in result.quant_tables.values():
        table.precision = 9
    for scan in result.scans:
        scan.component_indexes.append(5)
        scan.huffman_tables.clear()
    for segment in result.segments:
        segment.payload = b"vandalized"
    result.segments.append(result.segments[0] if result.segments else None)
    result.quant_tables.clear()
    result.huffman_tables.clear()
    result.warnings.append("vandalized")
    result.frame.width = 1
    return changed


# Parameters that make each built-in pass run on the small fixture (the rest
# run with their defaults); a key a pass does not take is left out.
MINIMAL = {
    "crop": {"geometry": "64x48+20+10"},
    "requantize": {"quality": 50},
    "fit-size": {"min": 1, "max": 10**9},  # already inside: returns its input as it is
    "forge-synthesize": {"width": 64, "height": 48},
    "forge-tile": {"width": 256, "height": 200},
}
BUILT_IN = sorted(name for name, info in registry().items() if info.origin == "jpegsurgeon")


@pytest.mark.parametrize("name", BUILT_IN)
@pytest.mark.parametrize("how", ["pipeline", "direct"])
def test_no_pass_returns_an_image_sharing_mutable_parts_with_its_source(name, how):
    source = jpegsurgeon.read(FIXTURE)
    snapshot = copy.deepcopy(source)
    info = registry()[name]
    declared = {p.name for p in info.parameters}
    call = resolve(name, {k: v for k, v in MINIMAL.get(name, {}).items() if k in declared})
    try:
        if how == "pipeline":
            result, _ = run_pipeline(source, [call], seed=1)
        else:
            result = info.function(source, np.random.default_rng(1), **call.arguments)
            result = result[0] if isinstance(result, tuple) else result
    except JpegError as error:  # a pass the fixture cannot feed: nothing to check
        pytest.skip(f"{name} refuses the fixture: {error}")
    assert_same_model(source, snapshot)  # the pass itself left its input alone
    assert vandalize(result) > 0
    assert_same_model(source, snapshot)


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "bare-callable"])
def test_careless_passes_do_not_alias_either(scratch_registry, registered):
    def same(image, rng):
        """Return the very image given."""
        return image

    def views(image, rng):
        """Return views of the image's arrays and its own lists."""
        components = [
            replace(c, coefficients=c.coefficients[:, :], quant_values=c.quant_values)
            for c in image.components
        ]
        return replace(image, frame=replace(image.frame, components=components)), {}

    calls = []
    for function in (same, views):
        if registered:
            register(f"test-careless-{function.__name__}")(function)
            calls.append(parse_spec(f"test-careless-{function.__name__}"))
        else:  # as the library takes a plain callable: a PassInfo of its own
            calls.append(PassCall(PassInfo(function.__name__, function), {}))
    for call in calls:
        source = jpegsurgeon.read(FIXTURE)
        snapshot = copy.deepcopy(source)
        result, _ = run_pipeline(source, [call], seed=1)
        assert result is not source
        assert vandalize(result) >= 2 * len(source.components)
        assert_same_model(source, snapshot)
    if registered:  # called directly, too
        source = jpegsurgeon.read(FIXTURE)
        snapshot = copy.deepcopy(source)
        vandalize(registry()["test-careless-same"].function(source, None))
        assert_same_model(source, snapshot)


def test_what_a_pass_made_afresh_is_not_copied_and_sharing_within_it_stays(image):
    turned, _ = rotate(image, np.random.default_rng(1))
    again = jpegsurgeon.passes.unshare(turned, image)
    assert again is turned  # nothing shared: nothing copied
    shared = np.arange(64, dtype=np.uint16).reshape(8, 8)
    components = [replace(c, quant_values=shared) for c in image.components]
    both = replace(image, frame=replace(image.frame, components=components))
    source = replace(both)
    out = jpegsurgeon.passes.unshare(source, both)
    assert out.components[0].quant_values is not shared
    assert out.components[0].quant_values is out.components[1].quant_values  # one copy
