"""Property tests: any coefficients baseline can hold survive write and read."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jpegsurgeon
from jpegsurgeon.model import blank_image

samplings = st.sampled_from(
    [((1, 1),), ((2, 2),), ((1, 1), (1, 1), (1, 1)), ((2, 2), (1, 1), (1, 1)),
     ((2, 1), (1, 1), (1, 1)), ((1, 2), (1, 1), (1, 1)), ((4, 1), (1, 1), (1, 1)),
     ((1, 4), (1, 1), (1, 1)), ((2, 2), (2, 1), (1, 2))]
)  # fmt: skip


@st.composite
def images(draw):
    sampling = draw(samplings)
    width = draw(st.integers(1, 70))
    height = draw(st.integers(1, 70))
    image = blank_image(width, height, sampling)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.floats(0.0, 1.0))
    magnitude = draw(st.sampled_from([1, 15, 255, 1023]))
    for component in image.components:
        shape = component.coefficients.shape
        values = rng.integers(-magnitude, magnitude + 1, size=shape)
        values[rng.random(shape) > density] = 0
        # DC differences must stay within category 11: keep DC in -1024..1023
        values[..., 0, 0] = rng.integers(-1024, 1024, size=shape[:2])
        component.coefficients[...] = values
    return image


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images())
def test_strict_write_then_read_gives_the_same_coefficients(image):
    data = jpegsurgeon.write(image)
    again = jpegsurgeon.read(data)
    assert not again.truncated and not again.warnings
    assert (again.width, again.height) == (image.width, image.height)
    for written, read in zip(image.components, again.components):
        np.testing.assert_array_equal(written.visible_coefficients, read.visible_coefficients)
        if len(image.components) > 1:  # MCU padding is coded too
            np.testing.assert_array_equal(written.coefficients, read.coefficients)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images())
def test_preserve_mode_of_strict_output_is_identity(image):
    data = jpegsurgeon.write(image)
    assert jpegsurgeon.write(jpegsurgeon.read(data), preserve=True) == data


def test_out_of_range_coefficient_is_refused():
    import pytest

    from jpegsurgeon.errors import JpegError

    image = blank_image(16, 16, ((1, 1),))
    image.components[0].coefficients[0, 0, 0, 1] = 1024  # category 11: not baseline AC
    with pytest.raises(JpegError, match="too large"):
        jpegsurgeon.write(image)
