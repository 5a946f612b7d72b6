"""Lossless geometry: the rotate, flip, transpose and transverse passes.

Every one of them is at most three steps in the coefficient domain, done in
this order: transpose (block grid, coefficients inside each block, the
quantization tables and the sampling factors), then mirror left-right
(column order of blocks reversed, odd horizontal frequencies negated), then
mirror top-bottom (row order reversed, odd vertical frequencies negated).

The mirrors work on whole iMCUs only (one MCU, or one block for a lone
component), counted in the output's orientation, exactly as jpegtran's
transupp.c does: the blocks of a partial iMCU at the right or bottom edge
cannot move to the other side without leaving a gap, so with edge=keep they
stay where they are, transposed when the transform transposes but not
mirrored across that axis (jpegtran's default); edge=trim drops them
(`-trim`); edge=perfect refuses to run when there are any (`-perfect`).

The MCU padding of the output is filled as libjpeg's transcoder fills it when
it writes (jctrans.c): zero AC, and the DC of the block before it in the MCU,
so that the strict writer emits the same bytes as `jpegtran -optimize`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from ..errors import JpegError
from ..model import Component, JpegImage, QuantTable, block_grid
from . import register

EDGES = ("keep", "trim", "perfect")
Edge = Literal["keep", "trim", "perfect"]  # what partial iMCUs at the edges become

# Sign patterns, natural order [vertical frequency, horizontal frequency]:
# mirroring a block left-right negates its odd horizontal frequencies (odd
# columns), top-bottom its odd vertical frequencies (odd rows).
_MIRROR_H = np.ones((8, 8), np.int16)
_MIRROR_H[:, 1::2] = -1
_MIRROR_V = np.ascontiguousarray(_MIRROR_H.T)
_MIRROR_BOTH = _MIRROR_H * _MIRROR_V


@dataclass(frozen=True)
class Geometry:
    """A lossless transform as its steps: transpose, then mirror across each axis."""

    transpose: bool
    mirror_h: bool  # left-right, in the output's orientation
    mirror_v: bool  # top-bottom, in the output's orientation


ROTATIONS = {
    90: Geometry(True, True, False),
    180: Geometry(False, True, True),
    270: Geometry(True, False, True),
}
FLIPS = {"horizontal": Geometry(False, True, False), "vertical": Geometry(False, False, True)}
TRANSPOSE = Geometry(True, False, False)
TRANSVERSE = Geometry(True, True, True)


def copy_component(component: Component, **changes: Any) -> Component:
    """A component sharing no array with `component`, with `changes` applied."""
    fresh = dict(changes)
    for name in ("coefficients", "quant_values", "source_quant_values"):
        value = getattr(component, name)
        if name not in fresh:
            fresh[name] = None if value is None else value.copy()
    return replace(component, **fresh)


def copy_quant_tables(image: JpegImage, transpose: bool = False) -> dict[int, QuantTable]:
    """The image's table definitions with arrays of their own, transposed if asked."""
    return {
        table_id: replace(table, values=(table.values.T if transpose else table.values).copy())
        for table_id, table in image.quant_tables.items()
    }


def copy_image(image: JpegImage) -> JpegImage:
    """The same image with arrays of its own, for passes that change nothing."""
    components = [copy_component(c) for c in image.components]
    return replace(
        image,
        frame=replace(image.frame, components=components),
        quant_tables=copy_quant_tables(image),
        segments=list(image.segments),
    )


def pad_like_jpegtran(blocks: np.ndarray, wide: int, high: int, h: int) -> None:
    """Fill, in place, the MCU padding around the first `high` x `wide` blocks
    as libjpeg fills the dummy blocks it codes (jctrans.c, jccoefct.c): AC zero
    and the DC of the block before it in the MCU.  `h` is the component's MCU
    width in blocks.  That is, a dummy block right of the image takes the DC of
    the last real block of its row, and a dummy row below the image the DC of
    the block above the MCU's last column.
    """
    rows, cols = blocks.shape[:2]
    if cols > wide and high:
        blocks[:high, wide:] = 0
        blocks[:high, wide:, 0, 0] = blocks[:high, wide - 1 : wide, 0, 0]
    if rows > high and high:
        blocks[high:] = 0
        last_of_each_mcu = blocks[high - 1, h - 1 :: h, 0, 0]
        blocks[high:, :, 0, 0] = np.repeat(last_of_each_mcu, h)[None, :cols]


def _spans(count: int, mirrored: int) -> list[tuple[slice, slice, bool]]:
    """Along one axis of `count` blocks: (output slice, source slice, mirrored)
    for the first `mirrored` blocks, reversed, and the rest, left in place."""
    spans = []
    if mirrored:
        spans.append((slice(0, mirrored), slice(mirrored - 1, None, -1), True))
    if count > mirrored:
        spans.append((slice(mirrored, count), slice(mirrored, count), False))
    return spans


def apply_geometry(
    image: JpegImage, geometry: Geometry, edge: str, label: str
) -> tuple[JpegImage, dict[str, Any]]:
    """Transform `image` losslessly; `label` names the pass in errors.

    Returns the new image and a report: the output size, pixels and blocks
    trimmed per edge (blocks summed over components; the right edge's counted
    over the full height, the bottom edge's over the kept width), blocks of
    partial iMCUs left unmirrored per edge, and whether the transform was
    perfect (every block went where the geometry sends it).
    """
    if edge not in EDGES:
        raise JpegError(f"{label}: edge={edge!r}: expected keep, trim or perfect")
    frame = image.frame
    components = frame.components
    single = len(components) == 1  # coded block by block: the iMCU is one block
    if geometry.transpose:
        width, height = frame.height, frame.width
        sampling = [(c.v, c.h) for c in components]
    else:
        width, height = frame.width, frame.height
        sampling = [(c.h, c.v) for c in components]
    max_h = max(h for h, _ in sampling)
    max_v = max(v for _, v in sampling)
    imcu_w, imcu_h = (8, 8) if single else (8 * max_h, 8 * max_v)
    full_cols, full_rows = width // imcu_w, height // imcu_h
    partial_right = geometry.mirror_h and width % imcu_w != 0
    partial_bottom = geometry.mirror_v and height % imcu_h != 0
    if edge == "perfect" and (partial_right or partial_bottom):
        sides = " and ".join(
            f"{name} {size} is not a multiple of {unit}"
            for name, size, unit, partial in (
                ("width", width, imcu_w, partial_right),
                ("height", height, imcu_h, partial_bottom),
            )
            if partial
        )
        raise JpegError(
            f"{label}: not perfect: the output's {sides} pixels (its iMCU is {imcu_w}x{imcu_h}), "
            "so edge blocks could not be transformed; use edge=keep or edge=trim"
        )
    new_width, new_height = width, height
    if edge == "trim":  # as jpegtran, only when at least one whole iMCU remains
        if partial_right and full_cols:
            new_width = full_cols * imcu_w
        if partial_bottom and full_rows:
            new_height = full_rows * imcu_h

    kept = {"right": 0, "bottom": 0}
    trimmed = {"right": 0, "bottom": 0}
    new_components = []
    for component, (h, v), (wide, high, coded) in zip(
        components, sampling, block_grid(new_width, new_height, sampling)
    ):
        unit_h, unit_v = (1, 1) if single else (h, v)
        source = component.visible_coefficients
        if geometry.transpose:
            # inside the blocks first, as one contiguous pass; the blocks
            # themselves then move as 128-byte units (much faster than one
            # strided copy doing both)
            source = source.transpose(0, 1, 3, 2).copy().transpose(1, 0, 2, 3)
        all_high, all_wide = source.shape[:2]
        mirrored_cols = full_cols * unit_h if geometry.mirror_h else 0
        mirrored_rows = full_rows * unit_v if geometry.mirror_v else 0
        trimmed["right"] += (all_wide - wide) * all_high
        trimmed["bottom"] += (all_high - high) * wide
        if geometry.mirror_h:
            kept["right"] += (wide - mirrored_cols) * high
        if geometry.mirror_v:
            kept["bottom"] += (high - mirrored_rows) * wide

        blocks = np.empty((*coded, 8, 8), np.int16)
        for rows_out, rows_in, flip_v in _spans(high, mirrored_rows):
            for cols_out, cols_in, flip_h in _spans(wide, mirrored_cols):
                target = blocks[rows_out, cols_out]
                # a plain strided copy, then signs in place: faster than one
                # np.multiply reading the strided source
                target[...] = source[rows_in, cols_in]
                if flip_h and flip_v:
                    target *= _MIRROR_BOTH
                elif flip_h or flip_v:
                    target *= _MIRROR_H if flip_h else _MIRROR_V
        if single:
            blocks = blocks[:high, :wide]  # no MCU padding: coded == visible
        else:
            pad_like_jpegtran(blocks, wide, high, h)
        changes: dict[str, Any] = {
            "h": h,
            "v": v,
            "width_in_blocks": wide,
            "height_in_blocks": high,
            "coefficients": blocks,
        }
        if geometry.transpose and component.quant_values is not None:
            changes["quant_values"] = np.ascontiguousarray(component.quant_values.T)
        new_components.append(copy_component(component, **changes))

    result = replace(
        image,
        frame=replace(frame, width=new_width, height=new_height, components=new_components),
        quant_tables=copy_quant_tables(image, geometry.transpose),
        segments=list(image.segments),
    )
    report = {
        "edge": edge,
        "width": new_width,
        "height": new_height,
        "from": [frame.width, frame.height],
        "perfect": not (kept["right"] or kept["bottom"]),
        "trimmed": {"right": width - new_width, "bottom": height - new_height},
        "trimmed_blocks": trimmed,
        "edge_blocks_kept": kept,
    }
    return result, report


@register("rotate")
def rotate(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    angle: Literal[90, 180, 270] = 90,
    edge: Edge = "keep",
) -> tuple[JpegImage, dict[str, Any]]:
    """Rotate clockwise by 90, 180 or 270 degrees losslessly, like jpegtran -rotate.

    Blocks move and coefficients change sign, nothing is requantized; on a
    quarter turn the quantization tables are transposed and the sampling
    factors swap. Partial iMCUs at the output's right edge (90), bottom edge
    (270) or both (180) follow edge=keep|trim|perfect as jpegtran's default,
    -trim and -perfect do.

    Args:
        angle: clockwise: 90, 180 or 270 degrees
        edge: partial iMCUs at the edges: keep (left in place, as jpegtran does),
            trim (dropped, as jpegtran -trim) or perfect (refuse, as jpegtran -perfect)
    """
    if angle not in ROTATIONS:
        raise JpegError(f"rotate: angle={angle}: expected 90, 180 or 270")
    result, report = apply_geometry(image, ROTATIONS[angle], edge, "rotate")
    return result, {"angle": angle, **report}


@register("flip")
def flip(
    image: JpegImage,
    rng: np.random.Generator,
    *,
    axis: Literal["horizontal", "vertical"] = "horizontal",
    edge: Edge = "keep",
) -> tuple[JpegImage, dict[str, Any]]:
    """Mirror the image left-right (horizontal) or top-bottom (vertical)
    losslessly, like jpegtran -flip.

    Partial iMCUs at the right (horizontal) or bottom (vertical) edge follow
    edge=keep|trim|perfect as jpegtran's default, -trim and -perfect do.

    Args:
        axis: horizontal (mirror left-right) or vertical
        edge: partial iMCUs at the edges: keep (left in place, as jpegtran does),
            trim (dropped, as jpegtran -trim) or perfect (refuse, as jpegtran -perfect)
    """
    if axis not in FLIPS:
        raise JpegError(f"flip: axis={axis!r}: expected horizontal or vertical")
    result, report = apply_geometry(image, FLIPS[axis], edge, "flip")
    return result, {"axis": axis, **report}


@register("transpose")
def transpose(
    image: JpegImage, rng: np.random.Generator, *, edge: Edge = "keep"
) -> tuple[JpegImage, dict[str, Any]]:
    """Mirror the image across its top-left to bottom-right diagonal losslessly,
    like jpegtran -transpose.

    Transposes the block grid, every block, the quantization tables and the
    sampling factors. Every block can move, so all three edge modes give the
    same result and the transform is always perfect.

    Args:
        edge: partial iMCUs at the edges: keep (left in place, as jpegtran does),
            trim (dropped, as jpegtran -trim) or perfect (refuse, as jpegtran -perfect)
    """
    return apply_geometry(image, TRANSPOSE, edge, "transpose")


@register("transverse")
def transverse(
    image: JpegImage, rng: np.random.Generator, *, edge: Edge = "keep"
) -> tuple[JpegImage, dict[str, Any]]:
    """Mirror the image across its top-right to bottom-left diagonal losslessly,
    like jpegtran -transverse.

    A transpose followed by a 180-degree rotation. Partial iMCUs at the
    output's right and bottom edges follow edge=keep|trim|perfect as
    jpegtran's default, -trim and -perfect do.

    Args:
        edge: partial iMCUs at the edges: keep (left in place, as jpegtran does),
            trim (dropped, as jpegtran -trim) or perfect (refuse, as jpegtran -perfect)
    """
    return apply_geometry(image, TRANSVERSE, edge, "transverse")
