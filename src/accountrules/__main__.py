"""``python -m accountrules``."""

from .cli import main

main()
