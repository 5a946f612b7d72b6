"""Fuzz target: decode, write strict JFIF in a random layout, decode again.

python tools/fuzz/fuzz_layouts.py CORPUS_DIR -max_total_time=1800 -timeout=2 -rss_limit_mb=512

The whole input is the JPEG; its last bytes (harness.CHOICE_BYTES) choose the
layout: libjpeg's sequential or progressive script, one scan per component, a
random sequential grouping or a random progressive script (spectral bands,
successive approximation, interleaved DC scans, a random order that keeps
T.81 G.1.1.1's rules), passed as ScanSpec objects or as script text; Huffman
or arithmetic coding; no restart, N rows or N MCUs; libjpeg or maximal EOB
runs.  The written file must read back intact with the same frame,
quantization tables and visible coefficients, in the layout asked for.

The only outcomes allowed are that, or the package's JpegError (one line) for
an image strict output cannot hold.  Every script is valid by construction
and checked with validate_scan_script first: a refusal there, or a
ScanScriptMismatch from the writer, is a finding.  Layouts whose scans
would visit more than WORK_LIMIT blocks are skipped, so that correct but slow
work on frames of tens of megapixels does not count as a hang.
"""

from __future__ import annotations

import sys

import atheris
from harness import check_message, check_same_image, choices, import_package, read_or_refuse

with atheris.instrument_imports(include=["jpegsurgeon"]):
    import_package()
    import jpegsurgeon
    from jpegsurgeon.decoder import scan_layout
    from jpegsurgeon.errors import JpegError
    from jpegsurgeon.scan_script import (
        ScanSpec,
        format_scan_script,
        sequential_script,
        simple_progression,
        validate_scan_script,
    )
    from jpegsurgeon.writer import ScanScriptMismatch

# Scan block visits (blocks of the scan's components, summed over scans)
# past which a layout is skipped: about 1 s of coding and decoding on this
# project's machine.
WORK_LIMIT = 2_000_000
# Successive approximation bit positions, small ones often; 10 is libjpeg's bound.
BITS = (0, 1, 2, 0, 1, 3, 2, 10, 5, 0, 1, 4, 7, 2, 1, 9)
RESTARTS = (None, "0", "1", "2", "7", "255", "65535", "1B", "2B", "3B", "5B", "64B", "65535B")


def groups(fdp: atheris.FuzzedDataProvider, sampling: list[tuple[int, int]]) -> list[tuple]:
    """Components in scans: each gets a group label, groups in label order,
    components in frame order, split to hold at most 4 components and 10 blocks."""
    labels = [fdp.ConsumeIntInRange(0, len(sampling) - 1) for _ in sampling]
    result = []
    for label in sorted(set(labels)):
        current: list[int] = []
        for c, own in enumerate(labels):
            if own != label:
                continue
            blocks = sum(sampling[i][0] * sampling[i][1] for i in [*current, c])
            if current and (len(current) == 4 or blocks > 10):
                result.append(tuple(current))
                current = []
            current.append(c)
        result.append(tuple(current))
    return result


def random_progression(fdp: atheris.FuzzedDataProvider, sampling: list[tuple[int, int]]) -> list:
    """A progressive script that sends every bit of every coefficient, in a random order."""
    count = len(sampling)
    dc_bits = BITS[fdp.ConsumeIntInRange(0, len(BITS) - 1)]
    dc_chain = [ScanSpec(g, 0, 0, 0, dc_bits) for g in groups(fdp, sampling)]
    for ah in range(dc_bits, 0, -1):
        dc_chain += [ScanSpec(g, 0, 0, ah, ah - 1) for g in groups(fdp, sampling)]
    chains: list[tuple[int | None, list[ScanSpec]]] = [(None, dc_chain)]
    for c in range(count):
        cuts = sorted({fdp.ConsumeIntInRange(2, 63) for _ in range(fdp.ConsumeIntInRange(0, 3))})
        for ss, end in zip([1, *cuts], [*cuts, 64]):
            bits = BITS[fdp.ConsumeIntInRange(0, len(BITS) - 1)]
            chain = [ScanSpec((c,), ss, end - 1, 0, bits)]
            chain += [ScanSpec((c,), ss, end - 1, ah, ah - 1) for ah in range(bits, 0, -1)]
            chains.append((c, chain))
    # merge the chains: an AC chain may start once its component has had a DC scan
    script: list[ScanSpec] = []
    has_dc: set[int] = set()
    while any(chain for _, chain in chains):
        ready = [chain for c, chain in chains if chain and (c is None or c in has_dc)]
        chain = ready[fdp.ConsumeIntInRange(0, len(ready) - 1)]
        scan = chain.pop(0)
        if scan.ss == 0:
            has_dc.update(scan.components)
        script.append(scan)
    return script


def layout_for(fdp: atheris.FuzzedDataProvider, image) -> tuple[dict, list | None]:
    """write() keywords and the scans they make (None: the writer's default)."""
    sampling = [(c.h, c.v) for c in image.components]
    count = len(sampling)
    kind = fdp.ConsumeIntInRange(0, 5)
    options: dict = {}
    if kind == 0:
        scans = None  # the default: one interleaved sequential scan
    elif kind == 1:
        options["progressive"] = True
        scans = simple_progression(count, image.colour_space == "YCbCr")
    elif kind == 2:
        scans = sequential_script(count, interleaved=False)
    elif kind == 3:
        scans = [ScanSpec(g) for g in groups(fdp, sampling)]
    else:
        scans = random_progression(fdp, sampling)
    if scans is not None and kind != 1:
        as_text = fdp.ConsumeBool()
        options["scans"] = format_scan_script(scans) if as_text else scans
    options["arithmetic"] = fdp.ConsumeBool()
    options["restart"] = RESTARTS[fdp.ConsumeIntInRange(0, len(RESTARTS) - 1)]
    options["eob_runs"] = "maximal" if fdp.ConsumeBool() else "libjpeg"
    return options, scans


def test_one_input(data: bytes) -> None:
    image = read_or_refuse(data)
    if image is None:
        return
    fdp = atheris.FuzzedDataProvider(choices(data))
    options, scans = layout_for(fdp, image)
    sampling = [(c.h, c.v) for c in image.components]
    count = len(sampling)
    if scans is None and count > 4:  # no default scan can hold them: the writer refuses
        expected = None
    else:
        expected = scans or sequential_script(count)
        progressive = validate_scan_script(expected, sampling)
        blocks = [c.coefficients.shape[0] * c.coefficients.shape[1] for c in image.components]
        if sum(blocks[i] for scan in expected for i in scan.components) > WORK_LIMIT:
            return
    try:
        written = jpegsurgeon.write(image, **options)
    except JpegError as error:
        if expected is not None and isinstance(error, ScanScriptMismatch):
            raise AssertionError(f"a valid script was refused: {error}") from None
        check_message(error)
        return
    if expected is None:
        raise AssertionError("a frame of more than 4 components was written in one scan")
    check_same_image(image, written)
    again = jpegsurgeon.read(written)
    layout = [(s.component_indexes, s.ss, s.se, s.ah, s.al) for s in again.scans]
    asked = [(list(s.components), s.ss, s.se, s.ah, s.al) for s in expected]
    if layout != asked:
        raise AssertionError(f"scans written {layout}, asked for {asked}")
    if (again.frame.arithmetic, again.frame.progressive) != (options["arithmetic"], progressive):
        raise AssertionError("arithmetic coding or progressive frame not as asked")
    restart = options["restart"] or "0"
    count = int(restart.rstrip("B"))
    for scan in again.scans:
        # jpegtran's -restart: N MCU rows (at most 65535 MCUs), or N MCUs ("NB")
        _, mcus_wide, _ = scan_layout(again.frame, scan.component_indexes)
        interval = count if restart.endswith("B") else min(count * mcus_wide, 65535)
        if scan.restart_interval != interval:
            raise AssertionError(
                f"restart interval {scan.restart_interval} written, {interval} asked for"
            )


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
