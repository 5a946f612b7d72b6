"""Builds the compiled entropy coder; everything else is in pyproject.toml."""

import sysconfig

from Cython.Build import cythonize
from setuptools import Extension, setup

COMPILE_ARGS = ["-O3"]
if "gcc" in (sysconfig.get_config_var("CC") or ""):
    # The arithmetic coder's step is called from a dozen places in large
    # block coders; gcc's default limits leave it out of line in some, and
    # inlining it everywhere makes the coders faster (tools/bench_layouts.py).
    # gcc only: clang names its limits differently.
    COMPILE_ARGS += [
        "--param", "max-inline-insns-single=2000",
        "--param", "max-inline-insns-auto=500",
        "--param", "large-function-growth=5000",
        "--param", "inline-unit-growth=5000",
    ]  # fmt: skip

setup(
    ext_modules=cythonize(
        [
            Extension(
                "jpegsurgeon._entropy",
                ["jpegsurgeon/_entropy.pyx"],
                extra_compile_args=COMPILE_ARGS,
            )
        ],
        compiler_directives={"language_level": 3},
    )
)
