"""Labels: every code of every vocabulary has a zh and an en label in the rulebook."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accountrules import RuleFileError, load_rulebook
from accountrules.rules import labels

from .conftest import MINI


@pytest.fixture(scope="module")
def book():  # type: ignore[no-untyped-def]
    return load_rulebook()


def test_every_code_of_every_vocabulary_has_both_labels(book) -> None:  # type: ignore[no-untyped-def]
    effects = {e for lv in book.ladder for inf in lv.influence.values() for e in inf.effects}
    for kind, codes in labels.required(effects).items():
        for code in codes:
            for lang in ("zh", "en"):
                text = book.label(kind, code, lang)
                assert text.strip() and (text != code or lang == "en"), (kind, code, lang)
    for kind, attr in labels.CATALOG.items():
        for code in getattr(book, attr):
            assert book.label(kind, code, "zh") and book.label(kind, code, "en")


def test_zh_labels_are_chinese(book) -> None:  # type: ignore[no-untyped-def]
    import re

    for kind in labels.CLOSED:
        for code, text in book.labels[kind].items():
            assert not re.search(r"[A-Za-z]{3,}", text.zh), (kind, code, text.zh)


def test_label_api(book) -> None:  # type: ignore[no-untyped-def]
    assert book.label("role", "handler", "zh") == "承办人"
    assert book.label("outcome", "revoked", "zh") == "撤销"
    assert book.label("level", "talk", "zh") == book.levels["talk"].name.zh
    assert book.label("item", "P2", "en") == book.items["P2"].name.en
    with pytest.raises(LookupError, match="unknown label vocabulary"):
        book.label("colour", "red", "zh")
    with pytest.raises(LookupError, match="no label for role 'janitor'"):
        book.label("role", "janitor", "zh")


def test_leadership_is_named_only_for_leading_cadres(book) -> None:  # type: ignore[no-untyped-def]
    assert book.responsibility_label("primary_leadership", "zh", channel="party_accountability") == "主要领导责任"
    assert book.responsibility_label("primary_leadership", "zh", channel="enforcement_fault") == "主要责任"
    assert book.responsibility_label("important_leadership", "zh", channel=None) == "次要责任"
    assert book.responsibility_label("direct", "zh", channel="enforcement_fault") == "直接责任"


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "book"
    shutil.copytree(MINI, dst)
    return dst


def test_a_missing_label_is_an_error_at_file_line_col(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    f = d / "labels.yaml"
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    f.write_text("".join(x for x in lines if not x.strip().startswith("legal_reviewer:")), encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(d)
    [diag] = [x for x in exc.value.diagnostics if x.code == "missing-label"]
    role_line = next(i for i, x in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if x == "  role:")
    assert diag.span is not None and (Path(diag.span.file).name, diag.span.line, diag.span.column) == \
        ("labels.yaml", role_line, 3)
    assert "'legal_reviewer'" in diag.message and "role" in diag.message


def test_a_label_without_english_is_an_error(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    f = d / "labels.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("handler: {zh: 承办人, en: handler}",
                                                       "handler: {zh: 承办人}"), encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(d)
    [diag] = exc.value.diagnostics
    assert diag.span is not None and Path(diag.span.file).name == "labels.yaml" and "en" in diag.message


def test_no_labels_section_points_at_the_manifest(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    (d / "labels.yaml").unlink()
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(d)
    diags = exc.value.diagnostics
    assert diags and all(x.code == "missing-label" for x in diags)
    assert {Path(x.span.file).name for x in diags if x.span} == {"rulebook.yaml"}


def test_unknown_vocabulary_and_code(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    f = d / "labels.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace(
        "  role:\n", "  colour:\n    red: {zh: 红, en: red}\n  role:\n    janitor: {zh: 保洁员, en: janitor}\n"),
        encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(d)
    codes = sorted(x.code for x in exc.value.diagnostics)
    assert codes == ["unknown-key", "unknown-reference"], exc.value.diagnostics
