"""The decoder's symbol counts, which spare the writer its counting pass.

They must equal what the writer's own counting pass finds for a baseline,
restart-free scan of the same coefficients (that pass is checked against
jpegtran's tables in test_layouts), and be withheld whenever they could not
be: damaged data, several scans, or input that spends ZRLs where a
re-encoding writes an EOB.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CORPUS_FILES, FIXTURE_FILES, file_id
from hypothesis import given, settings
from hypothesis import strategies as st

import jpegsurgeon
from jpegsurgeon import _entropy
from jpegsurgeon.decoder import scan_layout
from jpegsurgeon.reader import read_source
from jpegsurgeon.writer import write_strict

READABLE = FIXTURE_FILES + CORPUS_FILES


def counted_by_writer(image) -> list[tuple[np.ndarray, np.ndarray]]:
    """The writer's counting pass over one interleaved, restart-free scan of
    every component, each component into arrays of its own."""
    components = image.components
    indexes = list(range(len(components)))
    slots, wide, high = scan_layout(image.frame, indexes)
    arrays = tuple(np.ascontiguousarray(c.coefficients, np.int16).reshape(-1, 64)
                   for c in components)  # fmt: skip
    tallies = [(np.zeros(257, np.int64), np.zeros(257, np.int64)) for _ in components]
    _entropy.encode_scan(
        arrays, slots, wide, high, 0, _entropy.ScanKind.SEQUENTIAL, 0, 63, 0, 0,
        tuple(t[0] for t in tallies), tuple(t[1] for t in tallies), 15, 1, True,
    )  # fmt: skip
    return tallies


@pytest.mark.parametrize("path", READABLE, ids=file_id)
def test_counts_equal_the_writers_counting_pass(path):
    data = path.read_bytes()
    try:
        image, counts = read_source(data, with_counts=True)
    except jpegsurgeon.JpegError:
        pytest.skip("unreadable")
    frame = image.frame
    one_sequential_scan = not (frame.progressive or frame.arithmetic) and len(image.scans) == 1
    damaged = bool(image.warnings or image.truncated)
    if not one_sequential_scan or damaged:
        assert counts is None
        return
    assert counts is not None, "a clean single sequential scan gives its counts"
    for (dc, ac), got_dc, got_ac in zip(counted_by_writer(image), counts.dc, counts.ac):
        assert np.array_equal(dc, got_dc) and np.array_equal(ac, got_ac)
    assert written(image, counts) == written(image, None)


def written(image, counts) -> bytes | str:
    """The strict output, or the writer's refusal."""
    try:
        return write_strict(image, counts=counts)
    except jpegsurgeon.JpegError as error:
        return str(error)


def test_restart_input_counts_a_restart_free_output():
    # DC prediction restarts in the input, not in the output the counts are for
    path = next(p for p in FIXTURE_FILES if p.name.startswith("restart_5mcu"))
    image, counts = read_source(path.read_bytes(), with_counts=True)
    assert image.restart_interval and counts is not None
    assert np.array_equal(counts.dc[0], counts_dc_of(image, 0))


def counts_dc_of(image, component: int) -> np.ndarray:
    return counted_by_writer(image)[component][0]


def test_a_second_scan_of_every_component_withholds_the_counts():
    # the scan repeated: the second one decodes over the first, and a file of
    # two scans never gives counts (found by the conformance corpus)
    path = next(p for p in FIXTURE_FILES if p.name.startswith("gray_baseline"))
    data = path.read_bytes()
    scan = data[data.index(b"\xff\xda") : data.rindex(b"\xff\xd9")]
    doubled = data[: data.rindex(b"\xff\xd9")] + scan + b"\xff\xd9"
    image, counts = read_source(doubled, with_counts=True)
    assert len(image.scans) == 2 and counts is None


def test_transform_with_and_without_counts_writes_the_same_bytes():
    path = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")
    plain = jpegsurgeon.transform(path, verify=False).data
    # an image given as an image carries no counts: the writer counts itself
    counted = jpegsurgeon.transform(jpegsurgeon.read(path), verify=False).data
    assert plain == counted


def test_a_pass_that_changes_coefficients_makes_the_writer_count():
    # the pass mutates the decoded arrays in place: counts taken by the
    # decoder no longer describe them, and the output must not use them
    path = next(p for p in FIXTURE_FILES if p.name == "photo.jpg")

    def flatten(image, rng):
        image.components[0].coefficients[::2, :, 1:, :] = 0
        return image

    result = jpegsurgeon.transform(path, passes=[flatten], verify=False)
    assert result.data == write_strict(flatten(jpegsurgeon.read(path), None))


# --- input whose symbols a re-encoding would not repeat --------------------------

# DC table: category 0 only ("0").  AC table: EOB 00, ZRL 01, (15,1) 100, (14,1) 101.
DC_TABLE = bytes([0x00, *([1] + [0] * 15), 0x00])
AC_TABLE = bytes([0x10, *([0, 2, 2] + [0] * 13), 0x00, 0xF0, 0xF1, 0xE1])


def one_block_jpeg(bits: str) -> bytes:
    """An 8x8 grayscale baseline JPEG whose one block codes `bits`."""
    bits += "1" * (-len(bits) % 8)
    data = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    data = data.replace(b"\xff", b"\xff\x00")

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    return b"".join([
        b"\xff\xd8",
        segment(0xDB, bytes([0x00] + [1] * 64)),
        segment(0xC0, bytes([8, 0, 8, 0, 8, 1, 1, 0x11, 0])),
        segment(0xC4, DC_TABLE + AC_TABLE),
        segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0])),
        data,
        b"\xff\xd9",
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("bits", "canonical"),
    [
        ("0" + "1001" + "00", True),  # (15,1) at 16, EOB
        ("0" + "01" + "00", False),  # ZRL, then EOB: a re-encoding writes EOB alone
        ("0" + "1001" + "1001" + "1011" + "01", False),  # 16, 32, 47, then ZRL to the end
    ],
    ids=["canonical", "zrl-then-eob", "zrl-ends-block"],
)
def test_counts_are_withheld_for_symbols_a_re_encoding_would_not_repeat(bits, canonical):
    data = one_block_jpeg(bits)
    image, counts = read_source(data, with_counts=True)
    assert not image.warnings
    assert (counts is not None) == canonical
    if counts is not None:
        writer_dc, writer_ac = counted_by_writer(image)[0]
        assert np.array_equal(counts.dc[0], writer_dc)
        assert np.array_equal(counts.ac[0], writer_ac)
    # whatever the decoder says, the output is the one the counting pass makes
    assert jpegsurgeon.transform(data, verify=False).data == write_strict(image)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    density=st.floats(0.0, 1.0),
    blocks=st.tuples(st.integers(1, 5), st.integers(1, 5)),
)
def test_counts_of_random_coefficients_equal_the_counting_pass(seed, density, blocks):
    # random baseline coefficients, written, read back: the decoder's counts
    # must be the writer's, for every mix of long runs, ZRLs and full blocks
    path = next(p for p in FIXTURE_FILES if p.name.startswith("gray_baseline"))
    image = jpegsurgeon.read(path)
    rng = np.random.default_rng(seed)
    coefficients = image.components[0].coefficients
    rows, cols = min(blocks[0], coefficients.shape[0]), min(blocks[1], coefficients.shape[1])
    values = rng.integers(-1023, 1024, (rows, cols, 8, 8)) * (rng.random((rows, cols, 8, 8))
                                                              < density)  # fmt: skip
    coefficients[:rows, :cols] = values
    written = write_strict(image)
    reread, counts = read_source(written, with_counts=True)
    assert counts is not None
    ((dc, ac),) = counted_by_writer(reread)
    assert np.array_equal(counts.dc[0], dc) and np.array_equal(counts.ac[0], ac)
