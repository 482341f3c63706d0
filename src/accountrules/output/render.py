"""Stage 7 — render: a :class:`Recommendation` as JSON (canonical, byte-stable), text or Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..contract.models import Citation, Exemption, Reason, Recommendation
from .jsonout import dumps_parts

_L = {
    "zh": {
        "case": "案件", "status": "错案认定", "definition": "认定依据", "situations": "问责情形",
        "persons": "人员", "unit": "单位措施", "review": "评审类型", "because": "理由", "none": "无",
        "responsibility": "责任", "level": "处理", "exemption": "免责", "referral": "移送",
        "influence": "影响期", "months": "个月", "not_applied": "未适用", "measures": "措施",
        "considered": "考虑的情节", "rulebook": "规则库",
    },
    "en": {
        "case": "Case", "status": "Error case", "definition": "definition", "situations": "Situations",
        "persons": "Persons", "unit": "Unit measures", "review": "Review track", "because": "because",
        "none": "none", "responsibility": "responsibility", "level": "level", "exemption": "exemption",
        "referral": "referral", "influence": "influence", "months": "months", "not_applied": "not applied",
        "measures": "measures", "considered": "circumstances considered", "rulebook": "Rulebook",
    },
}


def to_json(rec: Recommendation) -> str:
    """Canonical JSON: stable key order (the model's), UTF-8 text, two-space indent, newline.

    Byte for byte :func:`to_json_reference` (pydantic's ``model_dump_json(indent=2)``), written by
    :mod:`accountrules.jsonout`, which caches the text of the reasons the engine shares.
    """
    return "".join(json_pieces(rec))


def to_jsonl(rec: Recommendation) -> str:
    """One line of JSON (for batches); byte for byte :func:`to_jsonl_reference`."""
    return "".join(json_pieces(rec, compact=True))


def json_pieces(rec: Recommendation, *, compact: bool = False) -> list[str]:
    """The pieces that :func:`to_json` (or, ``compact``, :func:`to_jsonl`) joins: the text of each
    shared object is one piece (:func:`accountrules.jsonout.dumps_parts`), which lets
    :mod:`accountrules.transport` send it once per worker process."""
    pieces = dumps_parts(rec, indent=not compact)
    if not compact:
        pieces.append("\n")
    return pieces


def to_json_reference(rec: Recommendation) -> str:
    """:func:`to_json` as pydantic writes it (the reference the fast writer is tested against)."""
    return rec.model_dump_json(indent=2) + "\n"


def to_jsonl_reference(rec: Recommendation) -> str:
    """:func:`to_jsonl` as pydantic writes it."""
    return rec.model_dump_json()


_ANALOGUE = {"zh": "参照", "en": "参照 (analogue)"}


def cite_text(c: Citation, lang: str = "zh") -> str:
    """A citation as printed: ``《name》 article（version）``; an analogue marked 参照; no version when it is
    unknown; the marker itself when no text was in force (无当时有效文本)."""
    if not c.in_force:
        return c.instrument
    text = f"{c.instrument} {c.article}" + (f"（{c.version}）" if c.version else "")
    return f"{_ANALOGUE[lang]} {text}" if c.analogue else text


def _cite(r: Reason, lang: str = "zh") -> str:
    return cite_text(r.citation, lang)


def _facts(r: Reason) -> str:
    if not r.facts:
        return ""
    return "; ".join(f"{k}={_v(v)}" for k, v in r.facts.items())


def _v(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)


def to_text(rec: Recommendation, lang: str = "zh") -> str:
    """A plain-text report for a terminal."""
    t = _L[lang]
    out: list[str] = []
    ec = rec.error_case
    out.append(f"{t['case']} {rec.case_id} — {t['status']}: {ec.status}"
               + (f" ({ec.definition})" if ec.definition else ""))
    out += _reasons(ec.reasons, t, "  ")
    if rec.situations:
        out.append(f"{t['situations']}:")
        for s in rec.situations:
            who = ", ".join(s.persons) or "—"
            out.append(f"  {s.item} {s.name} [{who}]" + (f" — {s.note}" if s.note else ""))
            out += _reasons(s.reasons, t, "    ")
    out.append(f"{t['persons']}:")
    for p in rec.persons:
        extra = []
        if p.exemption:
            extra.append(f"{t['exemption']} {p.exemption.code} ({_EXEMPTION_KIND[lang][p.exemption.kind]})")
        if p.referral:
            extra.append(f"{t['referral']} {p.referral}")
        if p.influence and p.influence.months:
            extra.append(f"{t['influence']} {p.influence.months} {t['months']}"
                         + ("" if p.influence.verified else " (unverified)"))
        if p.measures:
            extra.append(f"{t['measures']}: {', '.join(p.measures)}")
        tail = f" — {'; '.join(extra)}" if extra else ""
        out.append(f"  {p.id} {p.name} ({p.role}): {t['level']} {p.level} [rank {p.rank}], "
                   f"{t['responsibility']} {p.responsibility}{tail}")
        out += _reasons(p.reasons, t, "    ")
        for cons in p.considered:
            if not cons.applied:
                out.append(f"    {cons.code} {t['not_applied']}: {cons.why}")
    out.append(f"{t['unit']}: " + (", ".join(f"{u.measure} ({u.code})" for u in rec.unit_measures) or t["none"]))
    for u in rec.unit_measures:
        out += _reasons(u.reasons[:1], t, "    ")
    out.append(f"{t['review']}: {rec.review.track}" + _also(rec.review.tracks, rec.review.track))
    out += _reasons(rec.review.reasons, t, "    ")
    out.append(f"{t['rulebook']}: {rec.rulebook.id} {rec.rulebook.version} sha256:{rec.rulebook.sha256[:12]} "
               f"· engine {rec.engine.version}/{rec.engine.backend}")
    return "\n".join(out) + "\n"


def _lang(t: dict[str, str]) -> str:
    return "en" if t is _L["en"] else "zh"


def _reasons(reasons: list[Reason], t: dict[str, str], indent: str) -> list[str]:
    lines = []
    for r in reasons:
        lines.append(f"{indent}{t['because']} {r.rule}: {r.text} — {_cite(r, _lang(t))} @ {r.source}")
        f = _facts(r)
        if f:
            lines.append(f"{indent}  {f}")
    return lines


def to_markdown(rec: Recommendation, lang: str = "zh") -> str:
    """A Markdown report (for a case file or a ticket)."""
    t = _L[lang]
    ec = rec.error_case
    out = [f"# {t['case']} {rec.case_id}", "",
           f"**{t['status']}:** `{ec.status}`" + (f" — {ec.definition}" if ec.definition else ""), ""]
    out += _md_reasons(ec.reasons, lang)
    if rec.situations:
        out += ["", f"## {t['situations']}", "", "| item | persons | basis |", "| --- | --- | --- |"]
        for s in rec.situations:
            basis = "; ".join(_cite(r, lang) for r in s.reasons)
            note = f" — {s.note}" if s.note else ""
            out.append(f"| {s.item} {s.name}{note} | {', '.join(s.persons) or '—'} | {basis} |")
    out += ["", f"## {t['persons']}", "", (f"| id | role | {t['responsibility']} | {t['level']} | rank | "
            f"{t['exemption']} | {t['referral']} |"), "| --- | --- | --- | --- | --- | --- | --- |"]
    for p in rec.persons:
        out.append(f"| {p.id} {p.name} | {p.role} | {p.responsibility} | {p.level} | {p.rank} | "
                   f"{_exemption(p.exemption, lang)} | {p.referral or '—'} |")
    for p in rec.persons:
        if p.reasons:
            out += ["", f"### {p.id} {p.name}", ""] + _md_reasons(p.reasons, lang)
            for cons in p.considered:
                if not cons.applied:
                    out.append(f"- {cons.code} {t['not_applied']}: {cons.why}")
    out += ["", f"## {t['unit']}", ""]
    for u in rec.unit_measures:
        out.append(f"- **{u.measure}** ({u.code} {u.name}) — " + "; ".join(_cite(r, lang) for r in u.reasons))
    out += ["", f"## {t['review']}: `{rec.review.track}`{_also(rec.review.tracks, rec.review.track)}", ""]
    out += _md_reasons(rec.review.reasons, lang)
    out += ["", (f"<sub>{rec.rulebook.id} {rec.rulebook.version} · sha256 {rec.rulebook.sha256[:12]} · "
            f"engine {rec.engine.version} ({rec.engine.backend})</sub>"), ""]
    return "\n".join(out)


def _md_reasons(reasons: list[Reason], lang: str = "zh") -> list[str]:
    return [f"- `{r.rule}` {r.text} — *{_cite(r, lang)}* ([{r.source}])" for r in reasons]


_EXEMPTION_KIND = {
    "zh": {"not_liable": "不予追究", "exempt_from_sanction": "免予处分"},
    "en": {"not_liable": "not held liable", "exempt_from_sanction": "exempt from sanction"},
}


def _exemption(e: Exemption | None, lang: str) -> str:
    return f"{e.code} ({_EXEMPTION_KIND[lang][e.kind]})" if e else "—"


def _also(tracks: Sequence[str], track: str) -> str:
    """The other review tracks that apply, after the highest."""
    rest = [x for x in tracks if x != track]
    return f" (+ {', '.join(rest)})" if rest else ""
