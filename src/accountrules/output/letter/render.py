"""Render a :class:`~accountrules.output.letter.model.Letter` from editable template files.

Templates live in this package (``templates/``, shipped in the wheel); a directory given as
``template_dir`` is searched first, so a justice bureau can copy and edit any of them:

* ``letter.{zh,en}.md.j2`` and ``letter.{zh,en}.html.j2`` — Jinja2;
* ``letter.{zh,en}.docx`` — Word documents with Jinja2 tags, rendered by docxtpl;
* PDF is the HTML rendered by WeasyPrint (``pip install 'accountrules[pdf]'``; it needs the Pango
  library and a CJK font, e.g. Debian's ``fonts-noto-cjk``).

Output is deterministic: the same letter gives the same bytes (DOCX entries carry a fixed time stamp,
the PDF a fixed creation date).
"""

from __future__ import annotations

import io
import os
import threading
import zipfile
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from .model import Letter, chinese_number

FORMATS = ("docx", "html", "pdf", "md")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_PDF_LOCK = threading.Lock()


class LetterDependencyMissing(RuntimeError):
    """A format's optional dependency is not installed (the message says which extra to install)."""


def _template_dirs(template_dir: str | Path | None) -> list[Path]:
    dirs = [] if template_dir is None else [Path(template_dir)]
    dirs.append(Path(str(resources.files("accountrules.output.letter") / "templates")))
    return dirs


def template_path(name: str, template_dir: str | Path | None = None) -> Path:
    """The file of template ``name``: from ``template_dir`` if it has one, else the packaged one."""
    for d in _template_dirs(template_dir):
        if (d / name).is_file():
            return d / name
    raise FileNotFoundError(f"template '{name}' not found in {', '.join(map(str, _template_dirs(template_dir)))}")


def _context(letter: Letter) -> dict[str, Any]:
    return {"L": letter, "letter": asdict(letter), "cn": chinese_number}


def render_text(letter: Letter, fmt: str, template_dir: str | Path | None = None) -> str:
    """Markdown (``md``) or HTML (``html``) from the Jinja2 template of the letter's language."""
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - jinja2 is in the letter extra
        raise LetterDependencyMissing("the letter needs Jinja2: pip install 'accountrules[letter]'") from exc
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in _template_dirs(template_dir)]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    text = env.get_template(f"letter.{letter.lang}.{fmt}.j2").render(_context(letter))
    lines = [ln.rstrip() for ln in text.splitlines()]
    out: list[str] = []
    for ln in lines:  # at most one blank line in a row (templates stay readable)
        if ln or (out and out[-1]):
            out.append(ln)
    return "\n".join(out).strip() + "\n"


def render_docx(letter: Letter, template_dir: str | Path | None = None) -> bytes:
    """The Word document: ``letter.{lang}.docx`` rendered by docxtpl, with fixed zip time stamps."""
    try:
        from docxtpl import DocxTemplate
    except ImportError as exc:
        raise LetterDependencyMissing("DOCX needs docxtpl: pip install 'accountrules[letter]'") from exc
    tpl = DocxTemplate(str(template_path(f"letter.{letter.lang}.docx", template_dir)))
    tpl.render(_context(letter), autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with a fixed time stamp on every entry, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, _FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_pdf(letter: Letter, template_dir: str | Path | None = None) -> bytes:
    """The PDF: the HTML letter rendered by WeasyPrint (optional: ``accountrules[pdf]``)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise LetterDependencyMissing(
            "PDF needs WeasyPrint and the Pango library: pip install 'accountrules[pdf]' "
            f"(and, on Debian, apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk): {exc}"
        ) from exc
    html = render_text(letter, "html", template_dir)
    # fontTools stamps the embedded font subsets with the current time unless SOURCE_DATE_EPOCH is set
    with _PDF_LOCK:
        saved = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = saved or "0"
        try:
            pdf: bytes = weasyprint.HTML(string=html).write_pdf(pdf_identifier=b"accountrules-letter")
        finally:
            if saved is None:
                del os.environ["SOURCE_DATE_EPOCH"]
    return pdf


def render_letter(letter: Letter, fmt: str, template_dir: str | Path | None = None) -> bytes:
    """The letter in ``fmt`` (``docx``, ``html``, ``pdf`` or ``md``) as bytes (text formats in UTF-8)."""
    if fmt == "docx":
        return render_docx(letter, template_dir)
    if fmt == "pdf":
        return render_pdf(letter, template_dir)
    if fmt in ("md", "html"):
        return render_text(letter, fmt, template_dir).encode("utf-8")
    raise ValueError(f"unknown letter format '{fmt}'; allowed: {', '.join(FORMATS)}")
