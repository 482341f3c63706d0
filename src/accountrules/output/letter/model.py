"""The content of the accountability letter (问责追责建议书), built from a case, its recommendation and
the rulebook. Every code is replaced by its rulebook label here; the templates only arrange it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from dataclasses import dataclass, field

from ...contract.models import Case, Citation, PersonOutcome, Reason, Recommendation
from ...rules.schema import CitationSpec, DecidingBody, Instrument
from ...rules.validate import Rulebook
from ..render import held_responsible
from .labels import Labeller

_CN_DIGITS = "〇一二三四五六七八九"
_MARK = {"zh": "参照", "en": "by analogy (参照): "}
_CODE_PREFIX = re.compile(r"^[A-Z]{1,3}[0-9]{1,3}\s*")
_CODE_GROUP = re.compile(r"\s*[（(][A-Z]{1,3}[0-9]{1,3}(?:\s*[+＋、,，]\s*[A-Z]{1,3}[0-9]{1,3})*[）)]")


@dataclass(frozen=True)
class Basis:
    """One legal basis as the letter prints it: the citation, whether it is an analogue (参照), the quote."""

    text: str
    quote: str | None
    analogue: bool
    supports: str
    mark: str = "参照"

    @property
    def line(self) -> str:
        """The citation with its 参照 mark if it is an analogue (the quote is printed separately)."""
        return (self.mark if self.analogue else "") + self.text


@dataclass(frozen=True)
class FindingSection:
    """One finding of the backward review (倒查)."""

    item: str
    category: str
    persons: str
    note: str
    also: str = ""


@dataclass(frozen=True)
class ItemLine:
    """A person's responsibility and level for one finding."""

    item: str
    responsibility: str
    level: str
    liable: bool


@dataclass(frozen=True)
class ConsideredLine:
    """A circumstance or exemption considered for a person: applied or not, and why."""

    name: str
    kind: str
    applied: bool
    effect: str
    why: str


@dataclass(frozen=True)
class PersonSection:
    """Everything the letter says about one person."""

    id: str
    name: str
    role: str
    party_member: bool
    leading_cadre: bool
    fault: str
    responsibility: str
    liable: bool
    rank: int
    level: str
    measures: list[str]
    band: str
    channel: str
    body: str
    referral: str
    advice: str
    exemption: str
    exemption_kind: str
    influence: str
    items: list[ItemLine]
    basis: list[Basis]
    considered: list[ConsideredLine]
    why_not: str = ""
    #: the measures as alternatives: 停职检查、免职或者降职 / suspension, dismissal or demotion
    measures_text: str = ""


@dataclass(frozen=True)
class UnitSection:
    """A measure for the unit, with its basis."""

    name: str
    basis: list[Basis]


@dataclass(frozen=True)
class Letter:
    """The letter's content in one language (``zh`` formal Chinese, ``en`` for review)."""

    lang: str
    case_id: str
    title: str
    addressees: list[str]
    issuer: str
    date: str
    agency: str
    agency_level: str
    act_type: str
    conduct_date: str
    decided_on: str
    origin: str
    outcome: str
    effective: bool
    grounds: list[str]
    status: str
    definition: str
    definition_basis: list[Basis]
    findings: list[FindingSection]
    persons: list[PersonSection]
    units: list[UnitSection]
    review_track: str
    review_basis: list[Basis]
    bodies: list[tuple[str, list[Basis]]]
    rulebook_title: str
    rulebook_version: str
    rulebook_sha: str
    gaps: list[str] = field(default_factory=list)


def _is_analogue(inst: Instrument) -> bool:
    """The rulebook marks an instrument from another jurisdiction as an analogue (``analogue: true``)."""
    return bool(getattr(inst, "analogue", False))


def _alternatives(words: list[str], lang: str) -> str:
    """``A、B或者C`` (zh) / ``A, B or C`` (en): measures of which one is taken."""
    if len(words) < 2:
        return "".join(words)
    head, last = words[:-1], words[-1]
    return "、".join(head) + "或者" + last if lang == "zh" else ", ".join(head) + " or " + last


def format_date(value: _dt.date | str | None, lang: str) -> str:
    """``2023-06-30`` → ``2023年6月30日`` (zh) or ``30 June 2023`` (en); ``2023`` → ``2023年``; none → ``""``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{4})(?:-(\d{2})-(\d{2}))?", value)
        if not m:
            return value
        if m.group(1) == "0000":  # a placeholder for 'date unknown', never printed
            return ""
        if m.group(2) is None:
            return f"{m.group(1)}年" if lang == "zh" else m.group(1)
        value = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value.strftime('%B')} {value.year}"


def _title_of(name: str, lang: str) -> str:
    """《…》 around an instrument's name; a trailing edition note (……年修正, 法释〔…〕号) stays outside."""
    if lang != "zh":
        return name
    suffix = ""
    m = re.search(r"（[^（）]*[年号][^（）]*）$", name)
    if m and m.start() > 0:
        name, suffix = name[: m.start()], m.group(0)
    inner = name.replace("《", "〈").replace("》", "〉")
    return f"《{inner}》{suffix}"


def _cite_text(c: Citation, lang: str) -> str:
    if c.in_force is False:  # the marker: no text in force / none applies
        return c.instrument
    art = "" if c.article in ("无条文", "条文未见") else c.article
    when = format_date(c.version, lang)
    undated = c.in_force is None and not c.analogue
    if lang == "zh":
        inner = [f"{when}文本"] if when else []
        inner += ["施行日期不详"] if undated else []
        tail = f"（{'，'.join(inner)}）" if inner else ""
        if not art:
            return f"{_title_of(c.instrument, lang)}{tail}（无条文可引）"
        return f"{_title_of(c.instrument, lang)}{art}{tail}"
    words = [f"text of {when}"] if when else []
    words += ["date in force unknown"] if undated else []
    tail = f" ({', '.join(words)})" if words else ""
    return f"{c.instrument} {art or '(no article text available)'}{tail}".replace("  ", " ")


class _Builder:
    def __init__(self, case: Case, rec: Recommendation, book: Rulebook, lang: str) -> None:
        self.case = case
        self.rec = rec
        self.book = book
        self.lang = lang
        self.lab = Labeller(book, lang)
        self.by_name: dict[str, Instrument] = {i.name: i for i in book.instruments.values()}
        self.free_text_gaps: list[str] = []

    # ------------------------------------------------------------------ pieces

    def supports(self, rule: str) -> str:
        entry = self.book.by_id.get(rule)
        if entry is not None:  # a title may name the codes it is about (MT3 …): the letter prints names
            title = _CODE_GROUP.sub("", _CODE_PREFIX.sub("", str(entry.rule.title.get(self.lang))))
            return self.clean(title)
        if rule.startswith("items."):
            return self.lab("item", rule.split(".", 1)[1])
        if rule.startswith("matrix."):
            return self.book.matrix.title.get(self.lang) if self.book.matrix.title else ""
        if rule.startswith("ladder."):
            return self.lab("level", rule.split(".", 1)[1])
        return ""

    def basis(self, reasons: list[Reason]) -> list[Basis]:
        out: list[Basis] = []
        seen: set[tuple[str, str, str]] = set()
        for r in reasons:
            # the primary basis, and the marker when no verified text in force was left (无当时有效的法律、法规文本)
            for c in (r.citation, *[x for x in r.citations if x.in_force is False]):
                key = (c.instrument, c.article, c.version)
                if key in seen:
                    continue
                seen.add(key)
                inst = self.by_name.get(c.instrument)
                official = inst is not None and inst.official_text is not None
                # 参照 of the instrument, or of this citation (a text applied by analogy outside its scope)
                analogue = c.analogue or (inst is not None and _is_analogue(inst))
                out.append(Basis(_cite_text(c, self.lang), c.quote if official else None, analogue,
                                 self.supports(r.rule), _MARK[self.lang]))
        return out

    def spec_basis(self, c: CitationSpec) -> Basis:
        inst = self.book.instruments[c.instrument]
        cite = Citation(instrument=inst.name, article=c.article, version=c.version or inst.version or "")
        return Basis(_cite_text(cite, self.lang), c.quote if inst.official_text else None,
                     _is_analogue(inst), "", _MARK[self.lang])

    def responsibility(self, code: str, channel: str | None) -> str:
        """How the responsibility is named for this person (领导责任 only for leading cadres)."""
        fn = getattr(self.book, "responsibility_label", None)
        if callable(fn):
            return str(fn(code, self.lang, channel=channel))
        return self.lab("responsibility", code)

    def body_of(self, p: PersonOutcome) -> DecidingBody | None:
        bodies = list(self.book.deciding_bodies.values())
        if p.referral:
            for b in bodies:
                if p.referral in b.referrals:
                    return b
        for b in bodies:
            if p.channel in b.channels:
                return b
        return None

    def unnamed(self, pid: str, role: str) -> str:
        """A person the case file does not name: by role and position (ids are codes, not names)."""
        n = next(i for i, x in enumerate(self.case.persons, 1) if x.id == pid)
        return (f"未具名{self.lab('role', role)}（第{n}人）" if self.lang == "zh"
                else f"unnamed {self.lab('role', role)} (person {n})")

    def clean(self, text: str) -> str:
        """Free text from the recommendation (a 'why'): kept, but an ASCII word in zh is a gap."""
        if self.lang == "zh":
            text = text.replace("; ", "；")
        if self.lang == "zh" and re.search(r"[A-Za-z]", text):
            self.free_text_gaps.append(f"text: {text}")
        return text

    def person(self, p: PersonOutcome) -> PersonSection:
        lab = self.lab
        src = next(x for x in self.case.persons if x.id == p.id)
        body = self.body_of(p)
        if body is None and p.rank > 0:
            self.free_text_gaps.append(f"deciding body: the rulebook names none for channel {p.channel}"
                                       + (f" or referral {p.referral}" if p.referral else ""))
        items = [ItemLine(lab("item", it.item), self.responsibility(it.responsibility, p.channel),
                          lab("level", it.level), it.responsibility != self.book.no_responsibility) for it in p.items]
        considered = []
        for c in p.considered:
            circ = self.book.circumstances.get(c.code)
            considered.append(ConsideredLine(
                name=lab("circumstance", c.code),
                kind=lab("circumstance_kind", circ.kind) if circ else "",
                applied=c.applied, effect=lab("effect", c.effect) if c.effect != "exempt" else "",
                why="" if c.applied else self.clean(c.why)))
        influence = ""
        if p.influence is not None and p.influence.months:
            influence = (f"影响期{p.influence.months}个月" if self.lang == "zh"
                         else f"influence period of {p.influence.months} months")
        reasons = [*p.reasons, *(p.exemption.reasons if p.exemption else [])]
        measures = [lab("measure", mid) for mid in p.measures]
        return PersonSection(
            id=p.id, name=p.name or src.name or self.unnamed(p.id, src.role), role=lab("role", src.role), party_member=src.party_member,
            leading_cadre=src.leading_cadre, fault=lab("fault", src.fault),
            responsibility=self.responsibility(p.responsibility, p.channel),
            liable=p.responsibility != self.book.no_responsibility, rank=p.rank, level=lab("level", p.level),
            measures=measures, measures_text=_alternatives(measures, self.lang),
            # a band within the level (从重/从轻) means nothing for a criminal referral: the court weighs it
            band=lab("band", p.band) if p.band and p.band != "middle" and p.referral != "criminal" else "",
            channel=lab("channel", p.channel) if p.channel else "",
            body=body.name.get(self.lang) if body else "",
            referral=lab("referral", p.referral) if p.referral else "",
            advice=lab("referral_advice", p.referral) if p.referral else "",
            exemption=lab("circumstance", p.exemption.code) if p.exemption else "",
            exemption_kind=lab("exemption", p.exemption.kind) if p.exemption else "",
            influence=influence, items=items, basis=self.basis(reasons), considered=considered,
            # why a person bears no responsibility (a dissent on the record …), with its 推定 label kept
            why_not="" if p.responsibility != self.book.no_responsibility else
            ("" if self.lang == "zh" else " ").join(self.clean(_CODE_GROUP.sub("", r.text)) for r in p.reasons if r.text))

    def build(self, issuer: str, date: str) -> Letter:
        lab, case, rec, lang = self.lab, self.case.case, self.rec, self.lang
        names = {p.id: p.name or self.unnamed(p.id, p.role) for p in self.case.persons}
        sep = "、" if lang == "zh" else ", "
        persons = [self.person(p) for p in rec.persons]
        addressees: list[str] = []
        for b in self.book.deciding_bodies.values():
            name = b.name.get(lang)
            if any(p.body == name and p.rank > 0 for p in persons) and name not in addressees:
                addressees.append(name)
        units = [UnitSection(lab("unit_measure", u.measure), self.basis(u.reasons)) for u in rec.unit_measures]
        ec = rec.error_case
        agency = case.agency.name
        title = (f"关于{agency}行政错案问责追责的建议书" if lang == "zh"
                 else f"Accountability recommendation on the wrongful case of {agency}")
        used_bodies = [b for b in self.book.deciding_bodies.values() if b.name.get(lang) in addressees]
        body_reasons = [(b.name.get(lang), [self.spec_basis(c) for c in b.citations]) for b in used_bodies]
        letter = Letter(
            lang=lang, case_id=case.id, title=title, addressees=addressees, issuer=issuer, date=date,
            agency=agency, agency_level=lab("agency_level", case.agency.level),
            act_type=lab("act_type", case.act_type), conduct_date=format_date(case.conduct_date, lang),
            decided_on=format_date(case.decided_on, lang), origin=lab("origin", case.origin),
            outcome=lab("outcome", case.outcome), effective=case.effective,
            grounds=[lab("ground", g) for g in case.grounds], status=lab("status", ec.status),
            definition=lab("definition", ec.definition) if ec.definition else "",
            definition_basis=self.basis(ec.reasons),
            findings=[FindingSection(lab("item", f.item), lab("category", self.book.items[f.item].category)
                                     if f.item in self.book.items else "",
                                     sep.join(names[x] for x in f.persons), f.note or "",
                                     sep.join(names[x] for x in held_responsible(rec, f.item, self.book.no_responsibility)
                                              if x not in f.persons))
                      for f in case.findings],
            persons=persons, units=units, review_track=lab("review_track", rec.review.track),
            review_basis=self.basis(rec.review.reasons), bodies=body_reasons,
            rulebook_title=self.book.manifest.title.get(lang), rulebook_version=rec.rulebook.version,
            rulebook_sha=rec.rulebook.sha256[:12],
        )
        gaps = [f"label: {k} {c}" for k, c in sorted(self.lab.gaps)] + self.free_text_gaps
        return dataclasses.replace(letter, gaps=gaps)


def build_letter(case: Case, rec: Recommendation, book: Rulebook, *, lang: str = "zh", issuer: str = "",
                 date: _dt.date | None = None) -> Letter:
    """The letter's content for one evaluated case.

    Args:
        case: the case file.
        rec: its recommendation (from the same rulebook).
        book: the rulebook (labels, deciding bodies, instruments).
        lang: ``zh`` (the letter) or ``en`` (a rendering for review).
        issuer: the sending body (发文机关), e.g. ``某县司法局``; empty leaves a blank to fill in.
        date: the letter's date (成文日期); ``None`` leaves a blank, so the output does not depend on
            the day it is produced.
    """
    if rec.case_id != case.case.id:
        raise ValueError(f"the recommendation is for case '{rec.case_id}', not '{case.case.id}'")
    return _Builder(case, rec, book, lang).build(issuer, format_date(date, lang))


def chinese_number(n: int) -> str:
    """1 → 一 … 99 → 九十九 (section numbers of the letter)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
