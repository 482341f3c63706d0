"""Stage 7 — render: a :class:`Recommendation` as JSON (canonical, byte-stable), text or Markdown."""

from __future__ import annotations

from functools import lru_cache

from ..contract.models import Citation, Exemption, PersonOutcome, Reason, Recommendation, Situation
from ..rules.validate import Rulebook
from ..rules.wording import facts_text
from .jsonout import dumps_parts

_L = {
    "zh": {
        "case": "案件", "status": "错案认定", "situations": "问责情形", "persons": "人员", "unit": "单位措施",
        "review": "评审类型", "because": "理由", "none": "无", "responsibility": "责任", "level": "问责层级",
        "exemption": "免责", "referral": "移送", "influence": "影响期", "months": "个月", "not_applied": "未适用",
        "measures": "措施", "rulebook": "规则库", "engine": "引擎", "unverified": "待核实", "item": "情形",
        "basis": "依据", "person": "人员", "role": "岗位", "rank": "档次", "rule": "规则", "facts": "认定事实",
        "inference": "推断", "colon": "：", "sep": "；", "list": "、", "open": "（", "close": "）",
        "also": "并适用：", "also_liable": "另认定承担责任", "unnamed_liable": "倒查未点名；认定承担责任",
    },
    "en": {
        "case": "Case", "status": "Finding", "situations": "Situations", "persons": "Persons",
        "unit": "Unit measures", "review": "Review track", "because": "because", "none": "none",
        "responsibility": "responsibility", "level": "level", "exemption": "exemption", "referral": "referral",
        "influence": "influence period", "months": "months", "not_applied": "not applied", "measures": "measures",
        "rulebook": "Rulebook", "engine": "engine", "unverified": "unverified", "item": "item", "basis": "basis",
        "person": "person", "role": "role", "rank": "rank", "rule": "rule", "facts": "facts",
        "inference": "inference", "colon": ": ", "sep": "; ", "list": ", ", "open": " (", "close": ")",
        "also": "also: ", "also_liable": "also held responsible", "unnamed_liable": "none named by the review; held responsible",
    },
}


@lru_cache(maxsize=8)
def _bundled_book(rulebook_id: str) -> Rulebook:
    """The bundled rulebook of that id (the default one when no bundled rulebook has it)."""
    from ..rules.cache import load_rulebook_cached
    from ..rules.registry import bundled_rulebooks

    path = bundled_rulebooks().get(rulebook_id)
    return load_rulebook_cached(path) if path is not None else load_rulebook_cached()


class _Words:
    """The labels a report prints, from the rulebook that produced it (codes stay codes only when
    the rulebook does not know them — a recommendation rendered with another rulebook)."""

    def __init__(self, book: Rulebook | None, lang: str, rec: Recommendation) -> None:
        self.book = book if book is not None else _bundled_book(rec.rulebook.id)
        self.lang = lang
        self.t = _L[lang]

    def __call__(self, kind: str, code: str) -> str:
        try:
            return self.book.label(kind, code, self.lang)
        except LookupError:
            return code

    @property
    def no_responsibility(self) -> str:
        """The rulebook's responsibility of rank 0."""
        return self.book.no_responsibility

    def responsibility(self, p: PersonOutcome) -> str:
        try:
            return self.book.responsibility_label(p.responsibility, self.lang, channel=p.channel)
        except KeyError:
            return p.responsibility

    def exemption(self, e: Exemption) -> str:
        """The exemption as applied to the person: 不予追究责任 or 免予处分, then the circumstance."""
        circ = self.book.circumstances.get(e.code)
        kind = self("exemption", e.kind)
        if circ is None:
            return f"{kind}{self.t['open']}{e.code}{self.t['close']}"
        code = e.code
        t = self.t
        return f"{kind}{t['open']}{code} {circ.name.get(self.lang)}{t['close']}"

    def tracks(self, rec: Recommendation) -> str:
        """The highest review track, then every other track that applies."""
        t = self.t
        rest = [self("review_track", x) for x in rec.review.tracks if x != rec.review.track]
        also = f"{t['open']}{t['also']}{t['list'].join(rest)}{t['close']}" if rest else ""
        return self("review_track", rec.review.track) + also

    def status(self, rec: Recommendation) -> str:
        ec = rec.error_case
        t = self.t
        text = self("status", ec.status)
        if ec.definition:
            text += f"{t['open']}{ec.definition} {self('definition', ec.definition)}{t['close']}"
        return text

    def facts(self, r: Reason, leader: bool | None = None) -> str:
        return facts_text(self.book, r.facts, self.lang, leader=leader) if r.facts else ""

    def leader(self, p: PersonOutcome) -> bool:
        ch = self.book.channels.get(p.channel) if p.channel else None
        return ch is not None and ch.leading_cadres


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
    """A citation as printed: ``《中华人民共和国行政诉讼法》第七十条（2017-06-27）`` in Chinese; an analogue
    marked 参照 (参照《……》); no version when it is unknown; "施行日期不详" after a binding text whose
    in-force dates are unknown (``in_force`` None); the marker itself when no text was in force
    (无当时有效文本)."""
    if c.in_force is False:
        return c.instrument
    when = c.version if c.version and c.version.strip("0-—") else ""
    if c.in_force is None and not c.analogue:
        when = f"{when}{_UNDATED[lang][0]}{_UNDATED[lang][1]}" if when else _UNDATED[lang][1]
    version = f"（{when}）" if when else ""
    if lang == "zh" and c.instrument != "—":
        text = f"《{c.instrument}》{c.article}{version}"
        return f"{_ANALOGUE[lang]}{text}" if c.analogue else text
    text = f"{c.instrument} {c.article}{version}"
    return f"{_ANALOGUE[lang]} {text}" if c.analogue else text


#: (separator after the version, words) for a binding text whose in-force dates are unknown
_UNDATED = {"zh": ("，", "施行日期不详"), "en": (", ", "date in force unknown")}


def _cite(r: Reason, lang: str = "zh") -> str:
    """The primary citation, then any marker among the others (无当时有效的法律、法规文本)."""
    sep = "；" if lang == "zh" else "; "
    return sep.join([cite_text(r.citation, lang)] + [c.instrument for c in r.citations if c.in_force is False])


def _person_line(p: PersonOutcome, w: _Words) -> str:
    t = w.t
    role = w("role", p.role) if p.role else ""
    head = f"{p.id} {p.name}".rstrip() + (f"{t['open']}{role}{t['close']}" if role else "")
    parts = [w.responsibility(p)]
    if p.responsibility == w.no_responsibility and p.rank == 0 and not p.exemption:
        return f"{head}{t['colon']}{parts[0]}"
    if p.exemption:
        parts.append(w.exemption(p.exemption))
    else:
        parts.append(f"{t['level']}{t['colon']}{w('level', p.level)}")
        if p.band:
            parts.append(w("band", p.band))
    level = w.book.levels.get(p.level)
    if p.referral and not p.exemption and not (level is not None and level.referral == p.referral):
        parts.append(w("referral", p.referral))  # the level names the referral itself otherwise
    if p.measures:
        parts.append(f"{t['measures']}{t['colon']}" + t["list"].join(w("measure", x) for x in p.measures))
    if p.influence and p.influence.months:
        inside = [w("influence_effect", e) for e in p.influence.effects]
        if not p.influence.verified:
            inside.append(t["unverified"])
        tail = f"{t['open']}{t['sep'].join(inside)}{t['close']}" if inside else ""
        if w.lang == "zh":
            parts.append(f"{t['influence']}{p.influence.months}{t['months']}{tail}")
        else:
            parts.append(f"{t['influence']} {p.influence.months} {t['months']}{tail}")
    return f"{head}{t['colon']}{t['sep'].join(parts)}"


def held_responsible(rec: Recommendation, item: str, none: str) -> list[str]:
    """The ids of the persons held responsible for ``item``, in input order: a responsibility for it (other than
    ``none``, the rulebook's responsibility of rank 0), and a level above 0 or an exemption from sanction only
    (免予处分: liable, not sanctioned); a person not held liable (不予追究) is not one."""
    out = []
    for p in rec.persons:
        kind = p.exemption.kind if p.exemption else None
        if any(it.item == item and it.responsibility != none
               and (it.rank > 0 or (it.exempted_by and kind == "exempt_from_sanction")) for it in p.items):
            out.append(p.id)
    return out


def _situation_persons(rec: Recommendation, s: Situation, w: _Words) -> str:
    """Who a situation concerns: the persons its findings name, then those held responsible for it without
    being named (by their role and duty: a leader for a head's absence, an approver for what they approved)."""
    t = w.t
    c = t["colon"]
    others = [x for x in held_responsible(rec, s.item, w.no_responsibility) if x not in s.persons]
    if not others:
        return t["list"].join(s.persons) or "—"
    if not s.persons:
        return f"{t['unnamed_liable']}{c}{t['list'].join(others)}"
    return f"{t['list'].join(s.persons)}{t['sep']}{t['also_liable']}{c}{t['list'].join(others)}"


def _unit_reasons(rec: Recommendation) -> list[Reason]:
    """The reasons of the unit measures, each rule once (one rule may order several measures)."""
    seen: set[tuple[str, str]] = set()
    out: list[Reason] = []
    for u in rec.unit_measures:
        for r in u.reasons:
            if (r.rule, r.text) not in seen:
                seen.add((r.rule, r.text))
                out.append(r)
    return out


def to_text(rec: Recommendation, lang: str = "zh", book: Rulebook | None = None) -> str:
    """A plain-text report for a terminal, in the words of ``book`` (default: the bundled rulebook
    that produced ``rec``, else the default one)."""
    w = _Words(book, lang, rec)
    t = w.t
    c = t["colon"]
    out: list[str] = [f"{t['case']} {rec.case_id} — {t['status']}{c}{w.status(rec)}"]
    out += _reasons(rec.error_case.reasons, w, "  ")
    if rec.situations:
        out.append(f"{t['situations']}{c.rstrip()}")
        for s in rec.situations:
            who = _situation_persons(rec, s, w)
            out.append(f"  {s.item} {s.name}{t['open']}{t['persons']}{c}{who}{t['close']}"
                       + (f"{t['sep']}{s.note}" if s.note else ""))
            out += _reasons(s.reasons, w, "    ")
    out.append(f"{t['persons']}{c.rstrip()}")
    for p in rec.persons:
        out.append("  " + _person_line(p, w))
        out += _reasons(p.reasons, w, "    ", w.leader(p))
        for cons in p.considered:
            if not cons.applied:
                out.append(f"    {cons.code} {t['not_applied']}{c}{cons.why}")
    units = t["list"].join(f"{u.name or w('unit_measure', u.measure)}{t['open']}{u.code}{t['close']}"
                           for u in rec.unit_measures)
    out.append(f"{t['unit']}{c}" + (units or t["none"]))
    out += _reasons(_unit_reasons(rec), w, "    ")
    out.append(f"{t['review']}{c}{w.tracks(rec)}")
    out += _reasons(rec.review.reasons, w, "    ")
    out.append(f"{t['rulebook']}{c}{rec.rulebook.id} {rec.rulebook.version} sha256:{rec.rulebook.sha256[:12]} "
               f"· {t['engine']} {rec.engine.version}/{rec.engine.backend}")
    return "\n".join(out) + "\n"


def _reasons(reasons: list[Reason], w: _Words, indent: str, leader: bool | None = None) -> list[str]:
    t = w.t
    lines = []
    for r in reasons:
        lines.append(f"{indent}{t['because']} {r.rule}{t['colon']}{r.text} — {_cite(r, w.lang)} @ {r.source}")
        f = w.facts(r, leader)
        if f:
            lines.append(f"{indent}  {t['facts']}{t['colon']}{f}")
    return lines


def to_markdown(rec: Recommendation, lang: str = "zh", book: Rulebook | None = None) -> str:
    """A Markdown report (for a case file or a ticket), in the words of ``book``."""
    w = _Words(book, lang, rec)
    t = w.t
    c = t["colon"]
    out = [f"# {t['case']} {rec.case_id}", "", f"**{t['status']}{c.rstrip()}** {w.status(rec)}", ""]
    out += _md_reasons(rec.error_case.reasons, w)
    if rec.situations:
        out += ["", f"## {t['situations']}", "", f"| {t['item']} | {t['persons']} | {t['basis']} |",
                "| --- | --- | --- |"]
        for s in rec.situations:
            basis = t["sep"].join(dict.fromkeys(_cite(r, lang) for r in s.reasons))
            note = f"{t['sep']}{s.note}" if s.note else ""
            out.append(f"| {s.item} {s.name}{note} | {_situation_persons(rec, s, w)} | {basis} |")
    out += ["", f"## {t['persons']}", "", (f"| {t['person']} | {t['role']} | {t['responsibility']} | {t['level']} | "
            f"{t['exemption']} | {t['referral']} |"), "| --- | --- | --- | --- | --- | --- |"]
    for p in rec.persons:
        out.append(f"| {f'{p.id} {p.name}'.rstrip()} | {w('role', p.role) if p.role else '—'} | {w.responsibility(p)} | "
                   f"{w('level', p.level)} | {w.exemption(p.exemption) if p.exemption else '—'} | "
                   f"{w('referral', p.referral) if p.referral else '—'} |")
    for p in rec.persons:
        if p.reasons:
            out += ["", f"### {p.id} {p.name}".rstrip(), "", _person_line(p, w), ""] + _md_reasons(p.reasons, w)
            for cons in p.considered:
                if not cons.applied:
                    out.append(f"- {cons.code} {t['not_applied']}{c}{cons.why}")
    out += ["", f"## {t['unit']}", ""]
    for u in rec.unit_measures:
        out.append(f"- **{u.name or w('unit_measure', u.measure)}**（{u.code}）" if lang == "zh" else
                   f"- **{u.name or w('unit_measure', u.measure)}** ({u.code})")
    if rec.unit_measures:
        out += [""] + _md_reasons(_unit_reasons(rec), w)
    else:
        out.append(t["none"])
    out += ["", f"## {t['review']}{c}{w.tracks(rec)}", ""] + _md_reasons(rec.review.reasons, w)
    out += ["", (f"<sub>{rec.rulebook.id} {rec.rulebook.version} · sha256 {rec.rulebook.sha256[:12]} · "
            f"{t['engine']} {rec.engine.version} ({rec.engine.backend})</sub>"), ""]
    return "\n".join(out)


def _md_reasons(reasons: list[Reason], w: _Words) -> list[str]:
    return [f"- `{r.rule}` {r.text} — *{_cite(r, w.lang)}* ([{r.source}])" for r in reasons]
