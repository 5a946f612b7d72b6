"""What `jpegsurgeon info` reports: the model as plain data, and as text."""

from __future__ import annotations

from typing import Any

from .markers import Marker, is_app, marker_name
from .model import JpegImage, Segment


def describe(image: JpegImage) -> dict[str, Any]:
    """The image model as JSON-ready data, snake_case keys."""
    frame = image.frame
    return {
        "jpeg_bytes": image.source_size,
        "frame": {
            "marker": marker_name(frame.marker),
            "kind": frame.kind,
            "precision": frame.precision,
            "width": frame.width,
            "height": frame.height,
            "mcus_wide": frame.mcus_wide,
            "mcus_high": frame.mcus_high,
        },
        "components": [
            {
                "index": i,
                "component_id": c.component_id,
                "sampling": [c.h, c.v],
                "quant_table_id": c.quant_table_id,
                "blocks": [c.width_in_blocks, c.height_in_blocks],
                "coded_blocks": [c.coefficients.shape[1], c.coefficients.shape[0]],
                "nonzero_coefficients": int((c.coefficients != 0).sum()),
            }
            for i, c in enumerate(frame.components)
        ],
        "jfif": None
        if image.jfif is None
        else {
            "version": f"{image.jfif.version[0]}.{image.jfif.version[1]:02d}",
            "units": image.jfif.units,
            "density": [image.jfif.x_density, image.jfif.y_density],
            "thumbnail": [image.jfif.thumbnail_width, image.jfif.thumbnail_height],
        },
        "quant_tables": [
            {
                "table_id": t.table_id,
                "precision_bits": 16 if t.precision else 8,
                "values": t.values.reshape(64).tolist(),
            }
            for t in image.quant_tables.values()
        ],  # fmt: skip
        "huffman_tables": [
            {
                "class": t.kind,
                "table_id": t.table_id,
                "symbols": len(t.symbols),
                "longest_code": max(
                    (n + 1 for n, count in enumerate(t.counts) if count), default=0
                ),
            }
            for t in image.huffman_tables.values()
        ],
        "restart_interval": image.restart_interval,
        "layout": layout(image),
        "scans": [
            {
                "offset": s.header_offset,
                "components": [frame.components[i].component_id for i in s.component_indexes],
                "ss": s.ss,
                "se": s.se,
                "ah": s.ah,
                "al": s.al,
                "data_bytes": s.data_length,
                "restart_interval": s.restart_interval,
            }
            for s in image.scans
        ],
        "segments": [
            {"offset": s.offset, "marker": marker_name(s.marker), "size": s.size}
            for s in image.segments
        ],
        "metadata": [
            {
                "offset": s.offset,
                "marker": marker_name(s.marker),
                "size": s.size,
                "identifier": _identifier(s),
            }
            for s in image.segments
            if is_app(s.marker) or s.marker == Marker.COM
        ],  # fmt: skip
        "trailing_bytes": len(image.trailing),
        "has_eoi": image.has_eoi,
        "truncated": image.truncated,
        "warnings": [str(w) for w in image.warnings],
    }


def _identifier(segment: Segment) -> str:
    """An APPn segment's identifier string (JFIF, Exif, ICC_PROFILE, ...), "" for COM."""
    if segment.marker == Marker.COM:
        return ""
    name = segment.payload.split(b"\0", 1)[0][:32]
    return name.decode("ascii", "replace") if name.isascii() else ""


def layout(image: JpegImage) -> dict[str, Any]:
    """How the file lays out its scans: process, coding, interleaving, restarts."""
    frame = image.frame
    process = (
        "progressive"
        if frame.progressive
        else "baseline"
        if frame.kind == "baseline"
        else "extended"
    )
    interleaved = sum(len(s.component_indexes) > 1 for s in image.scans)
    intervals = sorted({s.restart_interval for s in image.scans})
    return {
        "process": process,
        "coding": "arithmetic" if frame.arithmetic else "huffman",
        "scans": len(image.scans),
        "interleaved_scans": interleaved,
        "restart_intervals": intervals,
        "summary": _layout_summary(process, frame.arithmetic, len(image.scans), interleaved,
                                   intervals),
    }  # fmt: skip


def _layout_summary(
    process: str, arithmetic: bool, scans: int, interleaved: int, intervals: list[int]
) -> str:
    plural = "" if scans == 1 else "s"
    if interleaved == scans:
        weave = "interleaved" if scans == 1 else "all interleaved"
    elif interleaved == 0:
        weave = "non-interleaved"
    else:
        weave = f"{interleaved} interleaved"
    restarts = [i for i in intervals if i]
    if not restarts:
        restart = "no restart markers"
    else:
        restart = "restart every " + " or ".join(str(i) for i in restarts) + " MCUs"
        if 0 in intervals:
            restart += " in some scans"
    coding = "arithmetic" if arithmetic else "Huffman"
    return f"{process}, {coding} coding, {scans} scan{plural} ({weave}), {restart}"


def format_text(source: str, info: dict[str, Any]) -> str:
    frame = info["frame"]
    lines = [
        f"{source}: {info['jpeg_bytes']} bytes",
        f"frame: {frame['marker']} ({frame['kind']}), {frame['precision']}-bit, "
        f"{frame['width']}x{frame['height']}, {len(info['components'])} components, "
        f"{frame['mcus_wide']}x{frame['mcus_high']} MCUs",
    ]
    for c in info["components"]:
        lines.append(
            f"  component {c['component_id']}: sampling {c['sampling'][0]}x{c['sampling'][1]}, "
            f"quant table {c['quant_table_id']}, {c['blocks'][0]}x{c['blocks'][1]} blocks "
            f"({c['coded_blocks'][0]}x{c['coded_blocks'][1]} coded), "
            f"{c['nonzero_coefficients']} nonzero coefficients"
        )
    if info["jfif"]:
        j = info["jfif"]
        lines.append(
            f"jfif: version {j['version']}, units {j['units']}, density "
            f"{j['density'][0]}x{j['density'][1]}, "
            f"thumbnail {j['thumbnail'][0]}x{j['thumbnail'][1]}"
        )
    else:
        lines.append("jfif: none")
    for t in info["quant_tables"]:
        lines.append(
            f"quant table {t['table_id']} ({t['precision_bits']}-bit): first row "
            + " ".join(str(v) for v in t["values"][:8])
        )
    for t in info["huffman_tables"]:
        lines.append(
            f"huffman table {t['class'].upper()}{t['table_id']}: {t['symbols']} symbols, "
            f"longest code {t['longest_code']} bits"
        )
    lines.append(f"layout: {info['layout']['summary']}")
    lines.append(f"restart interval: {info['restart_interval'] or 'none'}")
    for n, s in enumerate(info["scans"], start=1):
        lines.append(
            f"scan {n} at {s['offset']}: components {','.join(map(str, s['components']))}, "
            f"Ss={s['ss']} Se={s['se']} Ah={s['ah']} Al={s['al']}, {s['data_bytes']} bytes"
        )
    kept = [f"{m['marker']}{' ' + m['identifier'] if m['identifier'] else ''} ({m['size']} bytes)"
            for m in info["metadata"]]  # fmt: skip
    lines.append("metadata: " + (", ".join(kept) if kept else "none"))
    lines.append("segments:")
    for s in info["segments"]:
        lines.append(f"  {s['offset']:>10}  {s['marker']:<6} {s['size']} bytes")
    lines.append(
        f"trailing bytes: {info['trailing_bytes']}, "
        f"EOI: {'yes' if info['has_eoi'] else 'missing'}, "
        f"truncated: {'yes' if info['truncated'] else 'no'}"
    )
    lines.extend(f"warning: {w}" for w in info["warnings"])
    return "\n".join(lines)
