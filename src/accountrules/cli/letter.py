"""``accountrules letter``: the accountability letter (问责追责建议书) for one case."""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

import click

from ..contract.intake import read_case_file, read_case_text
from ..diagnostics import Diagnostic
from ..engine import Engine, default_backend
from ..errors import InvalidCase
from ._common import book_from, fail, rulebook_option, with_file

_SUFFIX = {".docx": "docx", ".html": "html", ".htm": "html", ".pdf": "pdf", ".md": "md"}


@click.command("letter")
@click.argument("case")
@rulebook_option()
@click.option("--format", "fmt", type=click.Choice(("docx", "html", "pdf", "md")), default=None,
              help="Default: from the suffix of -o, else md.")
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True,
              help="zh: the letter; en: an English rendering for review.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (default: standard output).")
@click.option("--template-dir", type=click.Path(file_okay=False, exists=True),
              help="Edited templates, searched before the packaged ones (letter.zh.docx, letter.zh.md.j2 …).")
@click.option("--issuer", default="", help="The sending body (发文机关), e.g. 某县司法局; default: a blank.")
@click.option("--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The letter's date (YYYY-MM-DD); default: a blank to fill in.")
@click.option("--backend", type=click.Choice(("durable", "python")), default=None,
              help="Matcher (default: durable where durable-rules imports, else python).")
def command(case: str, rules: str | None, fmt: str | None, lang: str, output: str | None, template_dir: str | None,
            issuer: str, date: _dt.datetime | None, backend: str | None) -> None:
    """Render the 问责追责建议书 of CASE (a case file; `-` = stdin) as DOCX, HTML, PDF or Markdown."""
    from ..output.letter import LetterDependencyMissing, build_letter, render_letter

    fmt = fmt or _SUFFIX.get(Path(output).suffix.lower() if output else "", "md")
    if fmt in ("docx", "pdf") and output is None and sys.stdout.isatty():
        raise click.UsageError(f"{fmt} is binary: write it to a file with -o FILE")
    engine = Engine(book_from(rules), backend=backend or default_backend())  # type: ignore[arg-type]
    try:
        c = read_case_text(sys.stdin.buffer.read(), "<stdin>") if case == "-" else read_case_file(case)
    except InvalidCase as exc:
        fail(with_file(exc.diagnostics, case))
    rec = engine.evaluate(c, lang=lang)
    letter = build_letter(c, rec, engine.rulebook, lang=lang, issuer=issuer, date=date.date() if date else None)
    try:
        data = render_letter(letter, fmt, template_dir)
    except LetterDependencyMissing as exc:
        fail([Diagnostic("missing-dependency", str(exc), path=case)])
    for gap in letter.gaps:
        click.echo(f"{case}: warning: the letter has no {lang} wording for {gap} (a placeholder is printed)",
                   err=True)
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
