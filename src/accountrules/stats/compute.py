"""The statistics: counts and rates per agency, region, level, field and year, and the threshold flags.

Definitions (docs/statistics.md):

* a case counts in the year its correcting decision became effective (``decided_on``); a case
  without that date is counted as *undated* and left out of the yearly tables;
* **lost** (败诉): an effective court case (``origin: court``) with an adverse outcome
  (:data:`ADVERSE_OUTCOMES`); **corrected** (纠错): the same for ``origin: reconsideration``;
* 败诉率 = lost ÷ ``litigated``; 纠错率 = corrected ÷ ``reconsideration``; 负责人出庭应诉率 =
  (``appearances_required`` − hearings where the summoned head did not appear) ÷
  ``appearances_required`` — denominators from the caseload table, per agency and year;
* a region pools its agencies (the caseload's ``region``, else the case's ``agency.region``, else
  the agency alone); a level pools the agencies at that level;
* per field: the same rates per agency, field and year, with the denominators of the caseload's
  field rows (``field`` column), pooled over agencies per field and year;
* a **missing denominator** is never guessed: an agency-year (or agency-field-year) without its
  caseload row has no denominators (``None``) and no rates, and neither has any pool it belongs to
  (its region, level, field or year); the report's notes name each one that has cases.

pandas does the grouping; every table is sorted, so the same corpus gives the same report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pandas as pd

from ..rules.schema import StatThreshold
from ..rules.validate import Rulebook
from .caseload import CaseloadRow
from .sources import StatInput

ADVERSE_OUTCOMES = frozenset({
    "revoked", "partly_revoked", "varied", "confirmed_illegal", "confirmed_void", "ordered_perform",
    "ordered_pay", "compensation",
})
COUNTS = ("cases", "error_cases", "lost", "corrected", "head_absent", "litigated", "reconsideration",
          "appearances_required")
DENOMINATORS = ("litigated", "reconsideration", "appearances_required")
_CASE_COUNTS = ["cases", "error_cases", "lost", "corrected", "head_absent"]
#: the report's notes, in the report's language
NOTES = {
    "zh": {
        "missing": "{group}：案件总量表中没有{what}，缺少分母：不计算其比率，也不计算包含它的各项合计的比率",
        "total row": "合计行", "field row": "该领域的行",
        "absent": "{agency} {year}：负责人未出庭{absent}次，但案件总量表只列明应出庭{required}次",
        "no_field_rows": "案件总量表没有分领域的行（field 列）：不计算各领域的比率",
    },
    "en": {
        "missing": "{group}: no {what} in the caseload table, so no denominators: its rates, and those of every "
                   "total it is part of, are not computed",
        "total row": "total row", "field row": "field row",
        "absent": "{agency} {year}: {absent} hearings without the head, but the caseload names only {required} "
                  "appearances required",
        "no_field_rows": "the caseload table has no field rows (column 'field'): no rates per field",
    },
}
RATES = {
    "litigation_loss_rate": ("lost", "litigated"),
    "reconsideration_correction_rate": ("corrected", "reconsideration"),
    "head_appearance_rate": ("appeared", "appearances_required"),
}


@dataclass(frozen=True)
class Flag:
    """A threshold crossed: which group, which year, the value, and the rule with its source."""

    rule: str
    title: str
    metric: str
    group: str
    year: int
    value: float
    numerator: int
    denominator: int
    threshold: str
    action: str
    citations: list[str]
    source: str


@dataclass
class StatsReport:
    """Every table of the statistics (rows are plain dicts, sorted) and the flags."""

    lang: str
    tables: dict[str, list[dict[str, Any]]]
    flags: list[Flag]
    undated: int
    notes: list[str] = field(default_factory=list)
    has_caseload: bool = False


def _case_rows(inputs: Iterable[StatInput]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    cases: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    persons: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for inp in inputs:
        c, rec = inp.case.case, inp.recommendation
        adverse = c.effective and c.outcome in ADVERSE_OUTCOMES
        year = c.decided_on.year if c.decided_on else None
        error = rec.error_case.status == "error_case"
        cases.append({
            "case_id": c.id, "agency": c.agency.name, "case_region": c.agency.region, "case_level": c.agency.level,
            "field": c.agency.field, "year": year, "cases": 1, "error_cases": int(error),
            "lost": int(adverse and c.origin == "court"), "corrected": int(adverse and c.origin == "reconsideration"),
            "adverse": int(adverse),
            "head_absent": int(c.hearing is not None and c.hearing.head_summoned and not c.hearing.head_appeared),
            "definition": rec.error_case.definition if error else None,
        })
        for it in sorted({s.item for s in rec.situations}):
            items.append({"item": it, "year": year})
        for p in rec.persons:
            persons.append({"level": p.level, "responsibility": p.responsibility, "year": year})
        for u in rec.unit_measures:
            units.append({"measure": u.measure, "year": year})
    return (pd.DataFrame(cases), pd.DataFrame(items, columns=["item", "year"]),
            pd.DataFrame(persons, columns=["level", "responsibility", "year"]),
            pd.DataFrame(units, columns=["measure", "year"]))


def _rate(num: Any, den: Any) -> float | None:
    """num ÷ den, or ``None`` when the denominator is missing (NaN) or zero."""
    if pd.isna(den) or den <= 0:
        return None
    return round(int(num) / int(den), 6)


def _with_rates(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["appeared"] = (df["appearances_required"] - df["head_absent"]).clip(lower=0)
    for name, (num, den) in RATES.items():
        df[name] = [_rate(n, d) for n, d in zip(df[num], df[den], strict=True)]
    return df


def _pool(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum the counts per ``keys``; a pool with a member whose denominators are missing has none either."""
    sums = [c for c in COUNTS if c in df.columns]
    if not len(df):
        return _with_rates(pd.DataFrame(columns=keys + sums))
    df = df.assign(_gap=df["litigated"].isna().astype(int))
    g = df.groupby(keys, as_index=False, dropna=False)[[*sums, "_gap"]].sum()
    for d in DENOMINATORS:
        g[d] = g[d].astype(float).where(g["_gap"] == 0)
    return _with_rates(g.drop(columns="_gap"))


def _denominators(df: pd.DataFrame, load: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The case counts per ``keys`` joined to their caseload rows (outer: a row without cases counts 0 cases;
    a group without a caseload row keeps NaN denominators)."""
    df = df.merge(load, on=keys, how="outer")
    for c in _CASE_COUNTS:
        df[c] = df[c].fillna(0).astype(int)
    return df


def _records(df: pd.DataFrame, keys: list[str], extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    cols = keys + list(extra) + [c for c in COUNTS if c in df.columns] + [r for r in RATES if r in df.columns]
    out: list[dict[str, Any]] = []
    for row in df.sort_values(keys, kind="stable")[cols].to_dict("records"):
        out.append({str(k): (None if isinstance(v, float) and pd.isna(v) else (int(v) if k in COUNTS or k == "year"
                    else v)) for k, v in row.items()})
    return out


class _Stats:
    def __init__(self, book: Rulebook, inputs: Iterable[StatInput], caseload: list[CaseloadRow] | None,
                 lang: str) -> None:
        self.book, self.lang = book, lang
        self.cases, self.items, self.persons, self.units = _case_rows(inputs)
        self.caseload = caseload
        self.notes: list[str] = []

    def _counted(self, keys: list[str]) -> pd.DataFrame:
        cases = self.cases.dropna(subset=["year"]) if len(self.cases) else self.cases
        if not len(cases):
            return pd.DataFrame(columns=keys + _CASE_COUNTS)
        counted = cases.groupby(keys, as_index=False)[_CASE_COUNTS].sum()
        counted["year"] = counted["year"].astype(int)
        return counted

    def _load(self, per_field: bool) -> pd.DataFrame:
        rows = [r for r in self.caseload or [] if (r.field is not None) == per_field]
        cols = ["agency", "year", *DENOMINATORS, "region", "level", "field"]
        load = pd.DataFrame([r.__dict__ for r in rows], columns=cols).astype({d: float for d in DENOMINATORS})
        return load if per_field else load.drop(columns="field")

    def _note_missing(self, df: pd.DataFrame, keys: list[str], what: str) -> None:
        if not self.caseload:
            return
        for row in df[df["litigated"].isna() & (df["cases"] > 0)].to_dict("records"):
            group = " ".join(str(row[k]) for k in keys)
            t = NOTES[self.lang]
            self.notes.append(t["missing"].format(group=group, what=t[what]))

    def agency_year(self) -> pd.DataFrame:
        df = _denominators(self._counted(["agency", "year"]), self._load(False), ["agency", "year"])
        self._note_missing(df, ["agency", "year"], "total row")
        # region and level: caseload first, then what the case files say, else the agency itself
        case_region = {a: r for a, r in zip(self.cases.get("agency", []), self.cases.get("case_region", []),
                                             strict=True) if isinstance(r, str)}
        case_level = dict(zip(self.cases.get("agency", []), self.cases.get("case_level", []), strict=True))
        df["region"] = [r if isinstance(r, str) and r else case_region.get(a, a)
                        for a, r in zip(df["agency"], df["region"], strict=True)]
        df["level"] = [lv if isinstance(lv, str) and lv else case_level.get(a)
                       for a, lv in zip(df["agency"], df["level"], strict=True)]
        for a, y, absent, req in zip(df["agency"], df["year"], df["head_absent"], df["appearances_required"],
                                     strict=True):
            if self.caseload and not pd.isna(req) and absent > req:
                self.notes.append(NOTES[self.lang]["absent"].format(agency=a, year=y, absent=absent,
                                                                    required=int(req)))
        return _with_rates(df)

    def pooled(self, ay: pd.DataFrame, keys: list[str], level: str | None = None) -> pd.DataFrame:
        return _pool(ay if level is None else ay[ay["level"] == level], keys)

    def counts(self, df: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
        if not len(df):
            return []
        g = df.groupby(keys, as_index=False, dropna=False).size().rename(columns={"size": "count"})
        rows = []
        for r in g.sort_values(keys, kind="stable", na_position="first").to_dict("records"):
            rows.append({str(k): (None if isinstance(v, float) and pd.isna(v) else
                             (int(v) if k in ("year", "count") else v)) for k, v in r.items()})
        return rows

    def agency_field_year(self) -> pd.DataFrame:
        """Counts and rates per agency, field and year, with the caseload's field rows as denominators."""
        keys = ["agency", "field", "year"]
        load = self._load(True).drop(columns=["region", "level"])
        df = _with_rates(_denominators(self._counted(keys), load, keys))
        if self.caseload and not len(load):
            self.notes.append(NOTES[self.lang]["no_field_rows"])
        elif len(load):
            self._note_missing(df, keys, "field row")
        return df


def _flags_rate(th: StatThreshold, st: _Stats, ay: pd.DataFrame, book: Rulebook, lang: str) -> list[Flag]:
    keys = ["region", "year"] if th.group == "region" else ["agency", "year"]
    df = st.pooled(ay, keys, th.agency_level)
    num, den = RATES[th.metric]
    bound = th.above if th.above is not None else th.below
    assert bound is not None
    limit = Fraction(str(bound))
    out = []
    for row in df.to_dict("records"):
        if pd.isna(row[den]) or row[den] <= 0:  # no denominator: the notes say so; nothing is guessed
            continue
        n, d = int(row[num]), int(row[den])
        value = Fraction(n, d)
        if (th.above is not None and value > limit) or (th.below is not None and value < limit):
            out.append(_flag(th, book, lang, str(row[keys[0]]), int(row["year"]), n, d, float(round(value, 6))))
    return out


def _flags_field(th: StatThreshold, st: _Stats, book: Rulebook, lang: str) -> list[Flag]:
    df = st.cases.dropna(subset=["year"]) if len(st.cases) else st.cases
    if not len(df):
        return []
    if th.agency_level:
        df = df[df["case_level"] == th.agency_level]
    g = df.groupby(["agency", "field", "year"], as_index=False)["adverse"].sum()
    out = []
    assert th.at_least is not None
    for (agency, fld), part in g.groupby(["agency", "field"]):
        by_year = {int(y): int(n) for y, n in zip(part["year"], part["adverse"], strict=True)}
        for year in sorted(by_year):
            total = sum(n for y, n in by_year.items() if year - th.window_years < y <= year)
            if total >= th.at_least:
                out.append(_flag(th, book, lang, f"{agency} / {fld}", year, total, th.window_years, float(total)))
    return out


def _flag(th: StatThreshold, book: Rulebook, lang: str, group: str, year: int, n: int, d: int,
          value: float) -> Flag:
    if th.metric == "field_losses":
        threshold = f"≥ {th.at_least} / {th.window_years}y"
    else:
        bound = th.above if th.above is not None else th.below
        threshold = f"{'>' if th.above is not None else '<'} {float(bound or 0) * 100:g}%"
    cites = []
    for c in th.citations:
        inst = book.instruments[c.instrument]
        analogue = inst.analogue if c.analogue is None else c.analogue  # another jurisdiction's text: 参照
        cites.append(f"{'参照 ' if analogue else ''}{inst.name} {c.article}（{c.version or inst.version or ''}）")
    return Flag(rule=th.id, title=th.title.get(lang), metric=th.metric, group=group, year=year, value=value,
                numerator=n, denominator=d, threshold=threshold, action=th.action.get(lang), citations=cites,
                source=book.source(th.span))


def compute_stats(book: Rulebook, inputs: Iterable[StatInput], caseload: list[CaseloadRow] | None = None,
                  *, lang: str = "zh") -> StatsReport:
    """Compute every table and flag for a corpus.

    Args:
        book: the rulebook (its ``stat_thresholds`` and labels).
        inputs: the corpus (see :mod:`accountrules.stats.sources`).
        caseload: the denominators; without them the rates are ``None`` and only counts are reported.
        lang: language of the flags' titles and actions.
    """
    st = _Stats(book, inputs, caseload, lang)
    ay = st.agency_year()
    afy = st.agency_field_year()
    undated = int(st.cases["year"].isna().sum()) if len(st.cases) else 0
    tables: dict[str, list[dict[str, Any]]] = {
        "agency_year": _records(ay, ["agency", "year"], ("region", "level")),
        "region_year": _records(st.pooled(ay, ["region", "year"]), ["region", "year"]),
        "level_year": _records(st.pooled(ay.dropna(subset=["level"]), ["level", "year"]), ["level", "year"]),
        "year": _records(st.pooled(ay, ["year"]), ["year"]),
        "agency_field_year": _records(afy, ["agency", "field", "year"]),
        "field_year": _records(_pool(afy, ["field", "year"]), ["field", "year"]),
        "definitions": st.counts(st.cases[st.cases["error_cases"] == 1] if len(st.cases) else st.cases,
                                 ["definition", "year"]),
        "items": st.counts(st.items, ["item", "year"]),
        "persons": st.counts(st.persons, ["level", "responsibility", "year"]),
        "units": st.counts(st.units, ["measure", "year"]),
    }
    flags: list[Flag] = []
    for th in book.stat_thresholds.values():
        if th.metric == "field_losses":
            flags += _flags_field(th, st, book, lang)
        elif caseload:
            flags += _flags_rate(th, st, ay, book, lang)
    flags.sort(key=lambda f: (f.rule, f.year, f.group))
    return StatsReport(lang, tables, flags, undated, sorted(st.notes), bool(caseload))
