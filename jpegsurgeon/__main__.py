"""`python -m jpegsurgeon` runs the command line."""

from .cli import run

run()
