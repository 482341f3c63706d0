"""``python -m accountrules.cli`` (the same as ``python -m accountrules``)."""

from . import main

main()
