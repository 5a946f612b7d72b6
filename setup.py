"""Builds the compiled entropy coder; everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                "jpegsurgeon._entropy", ["jpegsurgeon/_entropy.pyx"], extra_compile_args=["-O3"]
            )
        ],
        compiler_directives={"language_level": 3},
    )
)
