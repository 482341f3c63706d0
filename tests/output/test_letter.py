"""The accountability letter (问责追责建议书): DOCX, HTML, Markdown and PDF, golden files, no English code.

Golden files live in tests/golden/letter/; refresh them with ``UPDATE_GOLDEN=1 pytest tests/test_letter.py``
and review the change in ``git diff``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from accountrules import Engine
from accountrules.cli import cli
from accountrules.contract.intake import parse_case, read_case_file
from accountrules.errors import RuleFileError
from accountrules.letter import letter_for_case
from accountrules.output.letter import build_letter, render_letter, template_path
from accountrules.output.letter import model as letter_model
from accountrules.output.letter.labels import PLACEHOLDER, Labeller, label
from accountrules.rules import load_rulebook

from ..conftest import require_cjk_font

docx = pytest.importorskip("docx")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "bj-2023-017.yaml"
SCENARIOS = ROOT / "tests" / "scenarios"
GOLDEN = ROOT / "tests" / "golden" / "letter"
HEADINGS_ZH = ["一、基本案情及纠错情况", "二、倒查认定的问题", "三、责任分析", "四、问责依据", "五、处理建议",
               "六、从轻、从重、减轻及免责情形的考虑", "七、评审建议"]


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing golden file {path}; run UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file (UPDATE_GOLDEN=1 to refresh)"


def _letter(engine: Engine, case: Path, lang: str = "zh", **kw: object) -> letter_model.Letter:
    c = read_case_file(case)
    return build_letter(c, engine.evaluate(c, lang=lang), engine.rulebook, lang=lang, **kw)  # type: ignore[arg-type]


def _ascii_words(text: str, letter: letter_model.Letter) -> set[str]:
    """ASCII words left in a Chinese text once the case number and the rulebook checksum are taken out."""
    text = text.replace(letter.case_id, "").replace(letter.rulebook_sha, "")
    return set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))


def _docx_text(data: bytes) -> tuple[docx.document.Document, str]:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return d, "\n".join(parts)


@pytest.mark.parametrize("lang,fmt", [("zh", "md"), ("zh", "html"), ("en", "md"), ("en", "html")])
def test_golden_text_formats(engine: Engine, lang: str, fmt: str) -> None:
    data = letter_for_case(engine, EXAMPLE, fmt=fmt, lang=lang, issuer="某县司法局" if lang == "zh" else "",
                           date=dt.date(2023, 8, 15))
    _golden(f"bj-2023-017.{lang}.{fmt}", data.decode("utf-8"))


def test_docx_opens_and_says_everything(engine: Engine) -> None:
    data = letter_for_case(engine, EXAMPLE, fmt="docx")
    d, text = _docx_text(data)
    assert d.paragraphs[0].style.name == "Title"
    assert d.paragraphs[0].text == "关于某县自然资源局行政错案问责追责的建议书"
    assert [p.text for p in d.paragraphs if p.style.name == "Heading 1"] == HEADINGS_ZH
    # the addressee: the body the rulebook names for the persons' channel (enforcement staff → 任免机关)
    assert "公职人员任免机关、单位：" in [p.text for p in d.paragraphs]
    # every person with level and basis, under their own heading in section 四
    paras = [p.text for p in d.paragraphs]
    basis_at = paras.index("四、问责依据")
    for name in ("张某", "李某"):
        head = paras.index(f"（{'一' if name == '张某' else '二'}）{name}", basis_at)
        following = paras[head + 1: head + 5]
        assert any(p.startswith("《行政机关公务员处分条例》第十六条") for p in following), following
        assert any("《中华人民共和国公务员法》第五十七条第二款" in p for p in following)
        assert any(p.startswith(f"{i}. {name}：建议由公职人员任免机关、单位按照管理权限对其予以通报批评") for i in (1, 2) for p in paras)
    persons_table, unit_table = d.tables
    assert [c.text for c in persons_table.rows[0].cells] == ["姓名", "岗位", "政治面貌", "过错程度", "责任类型", "问责档次"]
    assert [[c.text for c in r.cells] for r in persons_table.rows[1:]] == [
        ["张某", "承办人", "中共党员", "一般过失", "直接责任", "通报批评"],
        ["李某", "承办人", "非中共党员", "一般过失", "直接责任", "通报批评"],
    ]
    rec = engine.evaluate(read_case_file(EXAMPLE))
    names = [engine.rulebook.unit_measure_types[u.measure].name.zh for u in rec.unit_measures]
    assert [r.cells[0].text for r in unit_table.rows[1:]] == names
    assert all(r.cells[1].text for r in unit_table.rows[1:])  # each measure with its basis
    assert "MT3" not in text and "及时采取补救措施" in text  # circumstances by name


@pytest.mark.parametrize("case", [EXAMPLE, *sorted(SCENARIOS.glob("*.yaml"))], ids=lambda p: p.stem)
def test_no_english_code_in_the_chinese_letter(engine: Engine, case: Path) -> None:
    letter = _letter(engine, case)
    assert letter.gaps == []
    md = render_letter(letter, "md").decode()
    assert _ascii_words(md, letter) == set(), case
    html = render_letter(letter, "html").decode()
    body = re.sub(r"<[^>]+>", "", html[html.index("<body>"):])
    assert _ascii_words(body, letter) == set()
    _, text = _docx_text(render_letter(letter, "docx"))
    assert _ascii_words(text, letter) == set()
    assert PLACEHOLDER["zh"] not in md


def test_addressees_follow_channel_and_referral(engine: Engine) -> None:
    chain = _letter(engine, SCENARIOS / "chain.yaml")  # party leaders and enforcement staff
    assert chain.addressees == ["纪检监察机关", "公职人员任免机关、单位"]
    abuse = _letter(engine, SCENARIOS / "abuse.yaml")  # enforcement staff, but referred to the discipline bodies
    assert abuse.addressees == ["纪检监察机关"]
    md = render_letter(abuse, "md").decode()
    assert "建议移送纪检监察机关" in md and "不予适用，理由：被排除" in md  # exemption claimed, not applied, why
    coll = render_letter(_letter(engine, SCENARIOS / "collective.yaml"), "md").decode()
    assert "（第3人）：建议不予问责" in coll  # the member whose dissent is on the record


def test_analogues_are_marked(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """An instrument the rulebook marks as an analogue (``analogue: true``) is cited as 参照, and no
    binding text is."""
    book = engine.rulebook
    analogues = {i.name for i in book.instruments.values() if getattr(i, "analogue", False)}
    assert "山东省行政执法监督条例" in analogues  # the rulebook marks out-of-province texts
    md = render_letter(_letter(engine, EXAMPLE), "md").decode()
    assert set(re.findall(r"参照《([^》]+)》", md)) <= analogues
    assert "《行政机关公务员处分条例》" in md and "参照《行政机关公务员处分条例》" not in md
    # the marking itself: an instrument taken as an analogue is printed as one, in both languages
    target = next(i for i in book.instruments.values() if i.name == "行政机关公务员处分条例")
    monkeypatch.setattr(letter_model, "_is_analogue", lambda inst: inst is target)
    md = render_letter(_letter(engine, EXAMPLE), "md").decode()
    assert "参照《行政机关公务员处分条例》" in md
    en = render_letter(_letter(engine, EXAMPLE, lang="en"), "md").decode()
    assert "by analogy (参照): 行政机关公务员处分条例" in en


def test_deterministic_bytes(engine: Engine) -> None:
    for fmt in ("docx", "html", "md"):
        assert letter_for_case(engine, EXAMPLE, fmt=fmt) == letter_for_case(engine, EXAMPLE, fmt=fmt)
    with zipfile.ZipFile(io.BytesIO(letter_for_case(engine, EXAMPLE, fmt="docx"))) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_pdf(engine: Engine) -> None:
    pytest.importorskip("weasyprint")
    require_cjk_font()
    a = letter_for_case(engine, EXAMPLE, fmt="pdf")
    assert a.startswith(b"%PDF-") and a == letter_for_case(engine, EXAMPLE, fmt="pdf")
    inflated = b""
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", a, re.DOTALL):
        try:
            inflated += zlib.decompress(m.group(1))
        except zlib.error:
            continue
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto[-\w]*CJK", inflated)  # the Chinese is set in an embedded CJK font


def test_template_dir_overrides_one_template(engine: Engine, tmp_path: Path) -> None:
    src = template_path("letter.zh.md.j2").read_text(encoding="utf-8")
    (tmp_path / "letter.zh.md.j2").write_text(src.replace("## 一、基本案情及纠错情况", "## 一、案件基本情况"),
                                              encoding="utf-8")
    md = letter_for_case(engine, EXAMPLE, fmt="md", template_dir=tmp_path).decode()
    assert "## 一、案件基本情况" in md and "## 二、倒查认定的问题" in md
    # the other formats still come from the package
    assert letter_for_case(engine, EXAMPLE, fmt="html", template_dir=tmp_path).startswith(b"<!DOCTYPE html>")


def test_docx_templates_are_what_the_script_builds(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_letter_docx
    finally:
        sys.path.pop(0)
    for lang in ("zh", "en"):
        built = zipfile.ZipFile(io.BytesIO(make_letter_docx.build(lang)))
        shipped = zipfile.ZipFile(template_path(f"letter.{lang}.docx"))
        assert built.namelist() == shipped.namelist()
        for name in built.namelist():
            assert built.read(name) == shipped.read(name), f"letter.{lang}.docx: {name} (run tools/make_letter_docx.py)"


def test_labeller_records_gaps(default_book: object) -> None:
    lab = Labeller(default_book, "zh")  # type: ignore[arg-type]
    assert lab("role", "handler") == "承办人"
    assert lab("role", "no_such_role") == PLACEHOLDER["zh"]
    assert lab.gaps == {("role", "no_such_role")}
    assert label(default_book, "deciding_body", "appointing_authority", "en") == "the appointing authority or unit"  # type: ignore[arg-type]


def test_dates_and_titles() -> None:
    assert letter_model.format_date(dt.date(2023, 6, 30), "zh") == "2023年6月30日"
    assert letter_model.format_date("2023", "zh") == "2023年"
    assert letter_model.format_date("0000", "zh") == ""
    assert letter_model.format_date(dt.date(2023, 6, 30), "en") == "30 June 2023"
    assert letter_model._title_of("中华人民共和国行政复议法（2017年修正）", "zh") == "《中华人民共和国行政复议法》（2017年修正）"
    assert letter_model._title_of("毕节市行政错案问责追责办法（试行）", "zh") == "《毕节市行政错案问责追责办法（试行）》"
    assert (letter_model._title_of("最高人民法院关于适用《中华人民共和国行政诉讼法》的解释（法释〔2018〕1号）", "zh")
            == "《最高人民法院关于适用〈中华人民共和国行政诉讼法〉的解释》（法释〔2018〕1号）")
    assert letter_model.chinese_number(1) == "一" and letter_model.chinese_number(12) == "十二"


def test_case_and_recommendation_must_match(engine: Engine) -> None:
    c = read_case_file(EXAMPLE)
    other = engine.evaluate(read_case_file(SCENARIOS / "chain.yaml"))
    with pytest.raises(ValueError, match="not 'BJ-2023-017'"):
        build_letter(c, other, engine.rulebook)


def test_cli_letter(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "letter.docx"
    res = runner.invoke(cli, ["letter", str(EXAMPLE), "-o", str(out), "--issuer", "某县司法局", "--date", "2023-08-15"])
    assert res.exit_code == 0, res.output
    _d, text = _docx_text(out.read_bytes())
    assert "某县司法局" in text and "2023年8月15日" in text
    res = runner.invoke(cli, ["letter", str(EXAMPLE), "--format", "md", "--lang", "en"])
    assert res.exit_code == 0 and res.output.startswith("# Accountability recommendation")
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("role: handler ", "role: handlr "), encoding="utf-8")
    res = runner.invoke(cli, ["letter", str(bad), "-o", str(tmp_path / "x.md")])
    assert res.exit_code == 1 and "persons[0].role" in res.output and "handler" in res.output
    assert not (tmp_path / "x.md").exists()


def test_custom_rulebook_keeps_working(tmp_path: Path) -> None:
    """A rulebook without deciding bodies still renders (no addressee), and the CLI takes --rules."""
    book_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", book_dir)
    text = (book_dir / "reporting.yaml").read_text(encoding="utf-8")
    (book_dir / "reporting.yaml").write_text(text[text.index("stat_thresholds:"):], encoding="utf-8")
    engine = Engine(load_rulebook(book_dir), backend="python")
    letter = _letter(engine, EXAMPLE)
    assert letter.addressees == [] and all(p.body == "" for p in letter.persons)
    assert letter.gaps == ["deciding body: the rulebook names none for channel enforcement_fault_party",
                           "deciding body: the rulebook names none for channel enforcement_fault"]
    assert "（主送机关）：" in render_letter(letter, "md").decode()


def test_shandong_letter_names_the_deciding_bodies() -> None:
    """Shandong (rulebooks/shandong-supervision/reporting.yaml): an art 38 officer goes to their unit; a
    sanction (处分, referral discipline) and a suspected crime go to the 处分决定机关."""
    engine = Engine(load_rulebook("shandong-supervision"), backend="python")
    case = ROOT / "examples" / "shandong-supervision" / "sd-2024-031.yaml"
    unit, authority = "行政执法人员所在单位", "处分决定机关（任免机关或者监察机关）"
    letter = _letter(engine, case)
    assert letter.gaps == []
    assert letter.addressees == [unit, authority]
    assert {p.name: p.body for p in letter.persons} == {"王某": unit, "赵某": authority, "孙某": authority}
    md = render_letter(letter, "md").decode()
    assert md.splitlines()[4] == f"{unit}、{authority}："
    assert "（主送机关）" not in md and _ascii_words(md, letter) == set()
    assert "《中华人民共和国公职人员政务处分法》第三条第二款" in md and "《行政机关公务员处分条例》第三十四条" in md
    _, text = _docx_text(render_letter(letter, "docx"))
    assert f"{unit}、{authority}：" in text
    en = _letter(engine, case, lang="en")
    assert en.addressees == ["the enforcement officer's unit",
                             "the sanctioning authority (the appointing authority or the supervisory commission)"]
    data = read_case_file(case).model_dump(mode="json")
    data["persons"][0]["crime_suspected"] = True
    crime = parse_case(data)
    rec = engine.evaluate(crime)
    assert rec.persons[0].referral == "criminal"
    assert build_letter(crime, rec, engine.rulebook).addressees == [authority]


SHANDONG_CASE = ROOT / "examples" / "shandong-supervision" / "sd-2024-031.yaml"


def _handling_line(md: str, name: str) -> str:
    """The line of section 五 (处理建议 / 5.) that recommends for ``name``."""
    tail = md[md.index("五、处理建议" if "五、处理建议" in md else "## 5."):]
    return next(x for x in tail.splitlines() if re.match(rf"\d+\. {re.escape(name)}[：:]", x))


@pytest.mark.parametrize("rulebook,case,lang,line", [
    (None, SCENARIOS / "abuse.yaml", "zh", ("1. 未具名承办人（第1人）：建议移送纪检监察机关或者任免机关、单位按照管理权限依规依纪依法处理，在该层级内从重，"
     "具体措施为政务处分或处分（由监察机关或任免机关决定），影响期6个月。")),
    (None, SCENARIOS / "crime.yaml", "zh",
     "1. 未具名承办人（第1人）：建议移送监察机关（职务犯罪）或者有管辖权的机关依法追究刑事责任。"),
    (None, SCENARIOS / "crime.yaml", "en", ("1. unnamed handler (person 1): referral to the supervision commission (duty crime) "
     "or the competent authority for criminal prosecution according to law.")),
    ("shandong-supervision", SHANDONG_CASE, "zh",
     ("2. 赵某：建议由处分决定机关（任免机关或者监察机关）依法给予处分，"
      "具体措施为处分（由任免机关、单位或者监察机关按照管理权限决定）。")),
    (str(ROOT / "rulebooks" / "shandong-supervision"), SHANDONG_CASE, "en",
     ("2. 赵某: a sanction according to law by the sanctioning authority (the appointing authority or the supervisory "
      "commission), measure: sanction (decided by the appointing body or unit, or the supervision commission, "
      "within its authority).")),
])
def test_cli_letter_referral_sentence(rulebook: str | None, case: Path, lang: str, line: str) -> None:
    """`accountrules letter [--rulebook R]`: a referred person's recommendation is the rulebook's referral_advice,
    printed once (not 建议<level name>依规依纪依法处理, which doubled 依法给予处分 and 追究刑事责任)."""
    args = ["letter", str(case), "--format", "md", "--lang", lang] + (["--rulebook", rulebook] if rulebook else [])
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert line in res.output.splitlines()


def test_cli_letter_rulebook_option_and_shandong_crime(tmp_path: Path) -> None:
    """--rulebook takes a bundled name or a directory, as `evaluate --rulebook` does; Shandong's criminal referral
    reads as one sentence, and an unknown rulebook is a clear error."""
    data = read_case_file(SHANDONG_CASE).model_dump(mode="json", exclude_none=True)
    data["persons"][0]["crime_suspected"] = True
    case = tmp_path / "sd-crime.yaml"
    case.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    by_name = runner.invoke(cli, ["letter", str(case), "--rulebook", "shandong-supervision"])
    by_dir = runner.invoke(cli, ["letter", str(case), "--rules", str(ROOT / "rulebooks" / "shandong-supervision")])
    assert by_name.exit_code == 0 and by_dir.exit_code == 0, by_name.output + by_dir.output
    assert by_name.output == by_dir.output
    assert ("1. 王某：建议移送监察机关（职务犯罪）或者有管辖权的机关依法追究刑事责任，"
            "具体措施为移送监察机关（职务犯罪）或者有管辖权的机关。") in by_name.output.splitlines()
    assert "山东省行政执法监督条例" in by_name.output and "毕节" not in by_name.output
    bad = runner.invoke(cli, ["letter", str(case), "--rulebook", "no-such-rulebook"])
    assert bad.exit_code == 1 and isinstance(bad.exception, RuleFileError)  # main() prints it, no traceback
    assert "rulebook-not-found" in str(bad.exception) and "shandong-supervision" in str(bad.exception)


@pytest.mark.parametrize("book_name", ["guizhou-bijie-default", "shandong-supervision"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_ladder_level_reads_as_one_sentence(book_name: str, lang: str) -> None:
    """Every level above 0 of both bundled rulebooks, put on one person: the recommendation names the level or
    the referral once, with the band once (no 在该档次内在该层级内, no 依法…依法)."""
    book = load_rulebook(book_name)
    case = EXAMPLE if book_name == "guizhou-bijie-default" else SHANDONG_CASE
    c = read_case_file(case)
    rec = Engine(book, backend="python").evaluate(c, lang=lang)
    first = rec.persons[0]
    name = c.persons[0].name or ""
    for lv in book.levels.values():
        if lv.rank == 0:
            continue
        p = first.model_copy(update={"level": lv.id, "rank": lv.rank, "referral": lv.referral, "band": "upper",
                                     "measures": [], "influence": None, "exemption": None})
        letter = build_letter(c, rec.model_copy(update={"persons": [p]}), book, lang=lang)
        assert letter.gaps == []
        line = _handling_line(render_letter(letter, "md").decode(), name)
        band = book.label("band", "upper", lang)
        if lang == "zh":
            advice = book.label("referral_advice", lv.referral, lang) if lv.referral else ""
            body = letter.persons[0].body
            # no band on a criminal referral: the court weighs the circumstances, not the rulebook's level
            tail = "" if lv.referral == "criminal" else f"，{band}"
            want = (f"建议{advice}{tail}。" if lv.referral
                    else f"建议由{body}按照管理权限对其予以{lv.name.get(lang)}{tail}。")
            assert line == f"1. {name}：{want}", lv.id
            for word in ("依法", "给予", "予以", "依规依纪依法处理", "在该层级内", "建议"):
                assert line.count(word) <= 1, (lv.id, word, line)
        else:
            assert ("to be decided by" in line) is (lv.referral is None), (lv.id, line)
            assert line.count(f"({band})") == (0 if lv.referral == "criminal" else 1), line


@pytest.mark.parametrize("lang,line", [
    ("zh", ("2. 负责人无正当理由不出庭应诉、仅委托律师、中途退庭或拒绝解释说明（应诉、纠错与配合监督）。倒查涉及人员：未具体认定。"
            "另认定承担责任的人员：未具名主要负责人（第2人）、未具名分管负责人（第3人）。")),
    ("en", ("2. Agency head absent without justification, lawyer-only representation, walking out (Litigation response, "
            "correction and cooperation with oversight). Persons identified by the review: not named. Also held responsible: unnamed principal "
            "(person 2), unnamed leader in charge (person 3).")),
])
def test_letter_finding_names_who_answers_by_role(engine: Engine, lang: str, line: str) -> None:
    """A finding that names nobody (R1, absent_nobody) still says who is held responsible for it, by role."""
    letter = _letter(engine, SCENARIOS / "absent_nobody.yaml", lang=lang)
    assert line in render_letter(letter, "md").decode().splitlines()
    _, text = _docx_text(render_letter(letter, "docx"))
    assert line in text.splitlines()


@pytest.mark.parametrize("book_name", ["guizhou-bijie-default", "shandong-supervision"])
def test_responsibility_names_read_after_chengdan(book_name: str) -> None:
    """The letter and the matrix reasons print 承担<responsibility name>: every name above rank 0 is a
    responsibility (…责任), not a class of person (Shandong printed 承担直接责任人员, 承担直接负责的主管人员)."""
    book = load_rulebook(book_name)
    for r in book.responsibilities.values():
        if r.rank > 0:
            for text in (r.name, *([r.non_leader_name] if r.non_leader_name else [])):
                name = re.sub(r"（[^（）]*）$", "", text.get("zh"))  # a trailing note: 其他领导责任（本条例未规定，不适用）
                assert name.endswith("责任"), (r.id, text.get("zh"))
    if book_name == "shandong-supervision":
        md = render_letter(_letter(Engine(book, backend="python"), SHANDONG_CASE), "md").decode()
        assert "综合认定承担主管责任（直接负责的主管人员）。" in md
        assert not re.search(r"承担(直接责任人员|直接负责的主管人员)[，。；]", md)
