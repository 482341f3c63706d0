"""The accountability letter (问责追责建议书) for one case: content, templates, DOCX/HTML/PDF/Markdown.

>>> from accountrules import Engine, load_rulebook          # doctest: +SKIP
>>> from accountrules.output.letter import letter_for_case  # doctest: +SKIP
>>> data = letter_for_case(Engine(load_rulebook()), "examples/bj-2023-017.yaml", fmt="docx")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ...engine import Engine
from ...intake import read_case_file
from ...models import Case
from .model import Letter as Letter
from .model import build_letter as build_letter
from .render import FORMATS as FORMATS
from .render import LetterDependencyMissing as LetterDependencyMissing
from .render import render_letter as render_letter
from .render import template_path as template_path

__all__ = ["FORMATS", "Letter", "LetterDependencyMissing", "build_letter", "letter_for_case",
           "render_letter", "template_path"]


def letter_for_case(engine: Engine, case: Case | str | Path, *, fmt: str = "docx", lang: str = "zh",
                    issuer: str = "", date: _dt.date | None = None,
                    template_dir: str | Path | None = None) -> bytes:
    """Evaluate ``case`` (a :class:`Case` or a case file) and render its letter in ``fmt``.

    Args:
        engine: the engine (its rulebook supplies labels, deciding bodies and instruments).
        case: the case, or the path of a case file.
        fmt: ``docx``, ``html``, ``pdf`` or ``md``.
        lang: ``zh`` (the letter) or ``en`` (a rendering for review).
        issuer: the sending body (发文机关); empty leaves a blank.
        date: the letter's date; ``None`` leaves a blank.
        template_dir: a directory of edited templates searched before the packaged ones.

    Returns:
        The rendered letter (UTF-8 for ``md`` and ``html``).
    """
    c = case if isinstance(case, Case) else read_case_file(case)
    rec = engine.evaluate(c, lang=lang)
    letter = build_letter(c, rec, engine.rulebook, lang=lang, issuer=issuer, date=date)
    return render_letter(letter, fmt, template_dir)
