"""The letter's entry function: evaluate a case with an engine, then render its 问责追责建议书.

It sits above the pipeline (it drives :class:`~accountrules.engine.Engine`); the letter itself —
content and templates — is :mod:`accountrules.output.letter`, which only renders.

>>> from accountrules import Engine, load_rulebook  # doctest: +SKIP
>>> from accountrules.letter import letter_for_case  # doctest: +SKIP
>>> data = letter_for_case(Engine(load_rulebook()), "examples/bj-2023-017.yaml", fmt="docx")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from .contract.intake import read_case_file
from .contract.models import Case
from .engine import Engine
from .output.letter import build_letter, render_letter

__all__ = ["letter_for_case"]


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
