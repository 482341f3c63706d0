"""The accountability letter (问责追责建议书) for one case: content, templates, DOCX/HTML/PDF/Markdown.

This package renders a case and its recommendation; it never evaluates. The entry function that
evaluates a case and then renders its letter sits above the pipeline: :func:`accountrules.letter.letter_for_case`.

>>> from accountrules import Engine, load_rulebook              # doctest: +SKIP
>>> from accountrules.contract.intake import read_case_file     # doctest: +SKIP
>>> from accountrules.output.letter import build_letter, render_letter  # doctest: +SKIP
>>> engine = Engine(load_rulebook()); case = read_case_file("examples/bj-2023-017.yaml")  # doctest: +SKIP
>>> data = render_letter(build_letter(case, engine.evaluate(case), engine.rulebook), "docx")  # doctest: +SKIP
"""

from __future__ import annotations

from .model import Letter as Letter
from .model import build_letter as build_letter
from .render import FORMATS as FORMATS
from .render import LetterDependencyMissing as LetterDependencyMissing
from .render import render_letter as render_letter
from .render import template_path as template_path

__all__ = ["FORMATS", "Letter", "LetterDependencyMissing", "build_letter", "render_letter", "template_path"]
