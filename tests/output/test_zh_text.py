"""The language of the law: every rule case and scenario, rendered in Chinese (text, Markdown and
the JSON reason texts), reads as a legal professional writes — no English enum value, no code-like
condition, no "0000", no "(unverified)", no duplicated reason, no empty placeholder.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from accountrules import Engine, load_rulebook
from accountrules.authoring.casefile import find_case_files, load_cases, with_policy
from accountrules.contract.intake import parse_case, read_case_file
from accountrules.contract.models import Recommendation
from accountrules.errors import AccountRulesError
from accountrules.output.render import held_responsible, to_json, to_markdown, to_text
from accountrules.rules import labels

from ..conftest import ROOT

BOOK = load_rulebook()
ENGINE = Engine(BOOK, backend="python")


def _vocabulary_words() -> set[str]:
    """Every code word a Chinese sentence must not contain: the closed vocabularies, the fact
    paths and the rulebook's own ids (levels, measures, channels, unit measures, tracks …)."""
    words: set[str] = set()
    for codes in labels.CLOSED.values():
        words.update(codes)
    words.update(BOOK.labels.get("influence_effect", {}))
    for attr in ("levels", "measures", "channels", "unit_measure_types", "review_tracks", "responsibilities"):
        words.update(getattr(BOOK, attr))
    return {w for w in words if re.fullmatch(r"[a-z][a-z_.]+", w)}


WORDS = _vocabulary_words()
RULE_IDS = sorted({e.id for e in BOOK.rules} | {f"items.{i}" for i in BOOK.items}, key=len, reverse=True)


def _cases() -> Iterator[tuple[str, Any]]:
    for path in find_case_files(ROOT / "rules"):
        for case in load_cases(path):
            if "error" in case.expect:
                continue
            yield f"{path.name}::{case.name}", case
    for path in sorted((ROOT / "tests" / "scenarios").glob("*.yaml")):
        yield f"scenarios/{path.name}", path


def _evaluate(case: Any) -> Recommendation | None:
    if not hasattr(case, "data"):
        return ENGINE.evaluate(read_case_file(case), lang="zh")
    engine = with_policy({"python": ENGINE}, case.policy)["python"] if case.policy else ENGINE
    try:
        return engine.evaluate(parse_case(case.data, file=case.file), lang="zh")
    except AccountRulesError:
        return None


CASES = list(_cases())


def _strip_codes(text: str, rec: Recommendation) -> str:
    """Remove the code fields a report legitimately prints: rule ids, sources, ids, the footer."""
    text = re.sub(r"\S+\.ya?ml:\d+", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    text = "\n".join(x for x in text.splitlines() if not x.startswith(("规则库", "<sub>")))
    for rid in RULE_IDS:
        text = text.replace(rid, " ")
    for rid in ("matrix",):
        text = re.sub(rf"\b{rid}\.G\d+\.[a-z_]+", " ", text)
    return text.replace(rec.case_id, " ")


def _problems(text: str, rec: Recommendation) -> list[str]:
    out = []
    plain = _strip_codes(text, rec)
    english = sorted({w for w in re.findall(r"[A-Za-z][A-Za-z_.]*[A-Za-z]", plain) if w in WORDS})
    if english:
        out.append(f"English code words: {english}")
    if re.search(r"(?<![0-9])0000(?![0-9])", text):
        out.append("a '0000' version")
    if "unverified" in text.lower():
        out.append("'(unverified)'")
    if re.search(r"\{[a-z_.]+\}", text):
        out.append("an unfilled placeholder")
    if re.search(r"(?<=\S)  +(?=\S)", text):
        out.append("a double space")
    if re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", plain.replace(" — ", "—")):
        out.append(f"a space between Chinese words: {re.findall(r'.{6}[一-鿿] [一-鿿].{6}', plain)[:3]}")
    if re.search(r"（\s*）|\(\s*\)|「\s*」|：\s*[；。]", text):
        out.append("an empty placeholder")
    block: list[str] = []
    for line in text.splitlines():  # a reason printed twice under one heading
        line = line.strip()
        if line.startswith(("理由", "- `")):
            if line in block:
                out.append(f"duplicated reason: {line[:80]}")
            block.append(line)
        elif line and not line.startswith("认定事实"):
            block = []
    return out


def _reason_texts(rec: Recommendation) -> Iterator[str]:
    data = json.loads(to_json(rec))

    def walk(x: Any) -> Iterator[str]:
        if isinstance(x, dict):
            if "rule" in x and "text" in x and "citation" in x:
                yield x["text"]
            if "why" in x:
                yield x["why"]
            for v in x.values():
                yield from walk(v)
        elif isinstance(x, list):
            for v in x:
                yield from walk(v)

    yield from walk(data)


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_zh_output_reads_as_chinese(name: str, case: Any) -> None:
    rec = _evaluate(case)
    if rec is None:
        pytest.skip("the case expects an error")
    problems = []
    for fmt, text in (("text", to_text(rec, "zh", BOOK)), ("markdown", to_markdown(rec, "zh", BOOK)),
                      ("json", "\n".join(_reason_texts(rec)))):
        problems += [f"{fmt}: {p}" for p in _problems(text, rec)]
    assert not problems, "\n".join(problems) + "\n\n" + to_text(rec, "zh", BOOK)


def test_non_leaders_are_not_said_to_bear_leadership_responsibility() -> None:
    hits = Counter[str]()
    for _, case in CASES:
        rec = _evaluate(case)
        if rec is None:
            continue
        for p in rec.persons:
            leader = p.channel is not None and BOOK.channels[p.channel].leading_cadres
            text = "\n".join(r.text for r in p.reasons)
            line = to_text(rec, "zh", BOOK)
            if not leader and p.channel is not None:
                assert "领导责任" not in text, (p.id, text)
                hits["checked"] += 1
            del line
    assert hits["checked"] > 20


def test_the_unit_measure_reason_is_printed_once() -> None:
    rec = ENGINE.evaluate(read_case_file(ROOT / "examples" / "bj-2023-017.yaml"), lang="zh")
    assert len(rec.unit_measures) > len({r.rule for u in rec.unit_measures for r in u.reasons})
    text = to_text(rec, "zh", BOOK)
    for rule in {r.rule for u in rec.unit_measures for r in u.reasons}:
        assert text.count(f"理由 {rule}：") == 1, rule


def test_the_checker_catches_what_it_should() -> None:
    rec = ENGINE.evaluate(read_case_file(ROOT / "examples" / "bj-2023-017.yaml"), lang="zh")
    assert _problems("处理 notified_criticism，责任 direct", rec)
    assert _problems("法 第一条（0000）", rec)
    assert _problems("影响期 6 个月 (unverified)", rec)
    assert _problems("承办人对该情形 提出错误意见", rec)
    assert _problems("理由 A：x\n理由 A：x", rec)
    assert _problems("过错程度：{person.fault}", rec)
    assert not _problems(to_text(rec, "zh", BOOK), rec)


def test_a_situation_answered_by_role_names_who_answers_for_it() -> None:
    """R1 with no finding naming anyone (absent_nobody): the leaders held responsible by their role are listed,
    not "—"; a situation whose finding names the handler also lists the approver held responsible for it."""
    case = read_case_file(ROOT / "tests" / "scenarios" / "absent_nobody.yaml")
    rec = ENGINE.evaluate(case, lang="zh")
    r1 = next(s for s in rec.situations if s.item == "R1")
    assert r1.persons == [] and not r1.unanswered  # the JSON keeps the persons the findings name
    assert f"  R1 {r1.name}（人员：倒查未点名；认定承担责任：p1、d1）" in to_text(rec, "zh", BOOK).splitlines()
    assert "| 倒查未点名；认定承担责任：p1、d1 |" in to_markdown(rec, "zh", BOOK)
    en = ENGINE.evaluate(case, lang="en")
    assert "(Persons: none named by the review; held responsible: p1, d1)" in to_text(en, "en", BOOK)
    # "no responsibility" is the rulebook's rank-0 responsibility, whatever its id (newtown: wuze)
    assert held_responsible(rec, "R1", BOOK.no_responsibility) == ["p1", "d1"]
    assert held_responsible(rec, "R1", "primary_leadership") == []
    forgery = ENGINE.evaluate(read_case_file(ROOT / "tests" / "scenarios" / "forgery.yaml"), lang="zh")
    assert "（人员：h1；另认定承担责任：a1）" in to_text(forgery, "zh", BOOK)


def test_no_answered_situation_prints_nobody() -> None:
    """Every situation somebody answers for (not flagged 倒查未查明责任人员) prints at least one person."""
    checked = 0
    for _, case in CASES:
        rec = _evaluate(case)
        if rec is None:
            continue
        lines = to_text(rec, "zh", BOOK).splitlines()
        for s in rec.situations:
            line = next(x for x in lines if x.startswith(f"  {s.item} {s.name}（"))
            if not s.unanswered:
                assert "（人员：—）" not in line, line
                checked += 1
    assert checked > 50
