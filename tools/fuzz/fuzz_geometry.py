"""Fuzz target: the geometry passes, then strict write and read back.

python tools/fuzz/fuzz_geometry.py CORPUS_DIR -max_total_time=1800 -timeout=2 -rss_limit_mb=512

The whole input is the JPEG; its last bytes (harness.CHOICE_BYTES) choose
either a pipeline of one to three geometry passes (rotate 90/180/270, flip
horizontal/vertical, transpose, transverse, each with edge keep, trim or
perfect; grayscale; crop with a random WxH+X+Y), run through
passes.parse_spec and run_pipeline, or four quarter turns with edge perfect
or trim.  Checked:

- the pipeline raises the package's JpegError (one line), or gives an image
  that strict output writes (or refuses with a JpegError) and that reads
  back intact with the same frame, quantization tables and visible
  coefficients;
- each pass, against a reference written here from first principles:
  a geometry pass that reports every block moved (edge=perfect, trim, or
  keep with no partial iMCU on a mirrored edge) gives the input's blocks
  transposed and mirrored, odd frequencies negated along each mirrored axis,
  tables transposed and sampling swapped with the blocks; crop starts on the
  iMCU at or before X,Y, covers the region asked for and holds the input's
  blocks from there; grayscale keeps luma's blocks as component 1, 1x1;
- the input image is left unchanged by the passes;
- four quarter turns with edge=perfect give back the input exactly, and with
  edge=trim give the input cut to its whole iMCUs (the top-left part: the
  first two turns trim the partial iMCU row and column, the last two are
  perfect), when the input has at least one whole iMCU each way.

Inputs whose passes would touch more than WORK_LIMIT blocks in all are
skipped (or their pipeline shortened), so that correct but slow work on
frames of tens of megapixels does not count as a hang.
"""

from __future__ import annotations

import sys

import atheris
import numpy as np
from harness import check_message, check_same_image, choices, import_package, read_or_refuse

with atheris.instrument_imports(include=["jpegsurgeon"]):
    import_package()
    import jpegsurgeon
    from jpegsurgeon.errors import JpegError
    from jpegsurgeon.passes import parse_spec, run_pipeline

# Blocks touched by the passes (the image's coded blocks, once per pass) past
# which the pipeline is cut: about 1 s on this project's machine.
WORK_LIMIT = 1_000_000
EDGES = ("keep", "trim", "perfect")

# The reference: what each pass does to the picture, from first principles,
# as (transpose, mirror left-right, mirror top-bottom) done in that order.
# Rotating 90 degrees clockwise sends pixel (x, y) to (H-1-y, x): transpose,
# then mirror left-right; 270 sends it to (y, W-1-x); transverse to (H-1-y, W-1-x).
REFERENCE = {
    ("rotate", 90): (True, True, False),
    ("rotate", 180): (False, True, True),
    ("rotate", 270): (True, False, True),
    ("flip", "horizontal"): (False, True, False),
    ("flip", "vertical"): (False, False, True),
    ("transpose", None): (True, False, False),
    ("transverse", None): (True, True, True),
}
# Mirroring a block negates its odd frequencies along that axis; a block is
# indexed [vertical frequency, horizontal frequency] in natural order.
ODD = np.array([(-1) ** k for k in range(8)], np.int16)
LEFT_RIGHT = np.tile(ODD, (8, 1))
TOP_BOTTOM = LEFT_RIGHT.T.copy()


def geometry_spec(fdp: atheris.FuzzedDataProvider, width: int, height: int) -> str:
    """One random geometry pass as `--pass` text."""
    kind = fdp.ConsumeIntInRange(0, 5)
    edge = EDGES[fdp.ConsumeIntInRange(0, 2)]
    if kind == 0:
        return f"rotate:angle={(90, 180, 270)[fdp.ConsumeIntInRange(0, 2)]},edge={edge}"
    if kind == 1:
        return f"flip:axis={('horizontal', 'vertical')[fdp.ConsumeIntInRange(0, 1)]},edge={edge}"
    if kind == 2:
        return f"transpose:edge={edge}"
    if kind == 3:
        return f"transverse:edge={edge}"
    if kind == 4:
        return "grayscale"
    w = fdp.ConsumeIntInRange(0, width + 16)
    h = fdp.ConsumeIntInRange(0, height + 16)
    if fdp.ConsumeBool():
        return f"crop:geometry={w}x{h}"
    x = fdp.ConsumeIntInRange(0, width + 16)
    y = fdp.ConsumeIntInRange(0, height + 16)
    return f"crop:geometry={w}x{h}+{x}+{y}"


def check_written(result) -> None:
    try:
        written = jpegsurgeon.write(result)
    except JpegError as error:
        check_message(error)
        return
    check_same_image(result, written)


def check_quarter_turns(image, result, edge: str) -> None:
    """Four quarter turns: the input itself (perfect), or its whole iMCUs (trim)."""
    frame = image.frame
    single = len(frame.components) == 1
    unit_w, unit_h = (8, 8) if single else (8 * frame.max_h, 8 * frame.max_v)
    if edge == "perfect":
        size = (frame.width, frame.height)
    elif frame.width >= unit_w and frame.height >= unit_h:
        size = (frame.width - frame.width % unit_w, frame.height - frame.height % unit_h)
    else:
        return  # no whole iMCU one way: trim keeps the partial one, nothing to compare
    if (result.width, result.height) != size:
        raise AssertionError(
            f"four quarter turns, edge={edge}: {frame.width}x{frame.height} became "
            f"{result.width}x{result.height}, expected {size[0]}x{size[1]}"
        )
    for index, (before, after) in enumerate(zip(image.components, result.components, strict=True)):
        if (before.component_id, before.h, before.v) != (after.component_id, after.h, after.v):
            raise AssertionError(f"four quarter turns changed component {index}")
        b = after.visible_coefficients
        a = before.visible_coefficients[: b.shape[0], : b.shape[1]]
        if a.shape != b.shape or not np.array_equal(a, b):
            raise AssertionError(f"four quarter turns, edge={edge}: component {index} changed")
        if before.quant_values is not None and not np.array_equal(
            before.quant_values, after.quant_values
        ):
            raise AssertionError(f"four quarter turns changed component {index}'s table")


def expect(condition: bool, spec: str, problem: str) -> None:
    if not condition:
        raise AssertionError(f"{spec}: {problem}")


def check_geometry(before, after, spec: str, key: tuple, changes: dict) -> None:
    """A geometry pass that reports every block moved (perfect, whether by
    itself or after trimming) must match the reference on every block."""
    if not changes["perfect"]:
        return  # edge=keep left partial iMCUs in place: jpegtran's rule, not modelled here
    transpose, mirror_h, mirror_v = REFERENCE[key]
    size = (before.height, before.width) if transpose else (before.width, before.height)
    trimmed = changes["trimmed"]
    size = (size[0] - trimmed["right"], size[1] - trimmed["bottom"])
    expect((after.width, after.height) == size, spec, f"size {after.width}x{after.height}")
    for index, (a, b) in enumerate(zip(before.components, after.components, strict=True)):
        sampling = (a.v, a.h) if transpose else (a.h, a.v)
        expect((b.component_id, b.h, b.v) == (a.component_id, *sampling), spec, "sampling")
        blocks = a.visible_coefficients
        if transpose:
            blocks = blocks.transpose(1, 0, 3, 2)
        got = b.visible_coefficients
        # trimming drops the partial iMCUs at the right and bottom before mirroring
        blocks = blocks[: got.shape[0], : got.shape[1]]
        if mirror_h:
            blocks = blocks[:, ::-1] * LEFT_RIGHT
        if mirror_v:
            blocks = blocks[::-1] * TOP_BOTTOM
        expect(blocks.shape == got.shape and np.array_equal(blocks, got), spec,
               f"component {index} differs from the reference")  # fmt: skip
        if a.quant_values is not None:
            table = a.quant_values.T if transpose else a.quant_values
            expect(np.array_equal(table, b.quant_values), spec, f"component {index}'s table")


def check_crop(before, after, spec: str, changes: dict) -> None:
    """The crop starts on the iMCU at or before X, Y, covers the region asked
    for (clipped to the image), and holds the input's blocks from there."""
    frame = before.frame
    single = len(frame.components) == 1
    unit_w, unit_h = (8, 8) if single else (8 * frame.max_h, 8 * frame.max_v)
    w, h, *corner = (int(n) for n in spec.split("=")[1].replace("+", "x").split("x"))
    x, y = corner or (0, 0)
    left, top = changes["x"], changes["y"]
    expect(left == x - x % unit_w and top == y - y % unit_h, spec, f"corner {left},{top}")
    expect(after.width == min(x + w, frame.width) - left, spec, f"width {after.width}")
    expect(after.height == min(y + h, frame.height) - top, spec, f"height {after.height}")
    for index, (a, b) in enumerate(zip(before.components, after.components, strict=True)):
        expect((b.component_id, b.h, b.v) == (a.component_id, a.h, a.v), spec, "sampling")
        row = top // unit_h * (1 if single else a.v)
        col = left // unit_w * (1 if single else a.h)
        got = b.visible_coefficients
        blocks = a.visible_coefficients[row : row + got.shape[0], col : col + got.shape[1]]
        expect(blocks.shape == got.shape and np.array_equal(blocks, got), spec,
               f"component {index} is not the input's region")  # fmt: skip


def check_grayscale(before, after, spec: str) -> None:
    """Luma alone, as component 1 sampled 1x1, blocks and table unchanged."""
    luma = before.components[0]
    expect(len(after.components) == 1, spec, "more than one component")
    (kept,) = after.components
    expect((kept.component_id, kept.h, kept.v) == (1, 1, 1), spec, "component id or sampling")
    expect(np.array_equal(kept.visible_coefficients, luma.visible_coefficients), spec, "blocks")
    expect((after.width, after.height) == (before.width, before.height), spec, "size")


def check_pass(before, after, call, spec: str, changes: dict) -> None:
    name = call.info.name
    if name == "crop":
        check_crop(before, after, spec, changes)
    elif name == "grayscale":
        check_grayscale(before, after, spec)
    else:
        key = (name, call.arguments.get("angle", call.arguments.get("axis")))
        check_geometry(before, after, spec, key, changes)


def test_one_input(data: bytes) -> None:
    image = read_or_refuse(data)
    if image is None:
        return
    fdp = atheris.FuzzedDataProvider(choices(data))
    blocks = sum(c.coefficients.shape[0] * c.coefficients.shape[1] for c in image.components)
    turns = fdp.ConsumeIntInRange(0, 3) == 0
    if turns:
        edge = ("perfect", "trim")[fdp.ConsumeIntInRange(0, 1)]
        specs = [f"rotate:angle=90,edge={edge}"] * 4
    else:
        specs = [
            geometry_spec(fdp, image.width, image.height)
            for _ in range(fdp.ConsumeIntInRange(1, 3))
        ]
    specs = specs[: WORK_LIMIT // max(blocks, 1)]
    if not specs or (turns and len(specs) < 4):
        return
    before = [c.visible_coefficients.copy() for c in image.components]
    result = image
    for spec in specs:  # one pass at a time, each checked against the reference
        call = parse_spec(spec)
        try:
            output, reports = run_pipeline(result, [call], seed=0)
        except JpegError as error:
            check_message(error)
            result = None
            break
        check_pass(result, output, call, spec, reports[0]["changes"])
        result = output
    for index, (kept, component) in enumerate(zip(before, image.components, strict=True)):
        if not np.array_equal(kept, component.visible_coefficients):
            raise AssertionError(f"{specs}: the input's component {index} was changed")
    if result is None:
        return
    if turns:
        check_quarter_turns(image, result, edge)
    check_written(result)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
