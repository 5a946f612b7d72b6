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
from harness import check_message, check_same_image, choices, import_package

with atheris.instrument_imports(include=["jpegsurgeon"]):
    import_package()
    import jpegsurgeon
    from jpegsurgeon.errors import JpegError
    from jpegsurgeon.passes import parse_spec, run_pipeline

# Blocks touched by the passes (the image's coded blocks, once per pass) past
# which the pipeline is cut: about 1 s on this project's machine.
WORK_LIMIT = 1_000_000
EDGES = ("keep", "trim", "perfect")


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


def test_one_input(data: bytes) -> None:
    try:
        image = jpegsurgeon.read(data)
    except JpegError as error:
        check_message(error)
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
    calls = [parse_spec(spec) for spec in specs]
    try:
        result, _ = run_pipeline(image, calls, seed=0)
    except JpegError as error:
        check_message(error)
        result = None
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
