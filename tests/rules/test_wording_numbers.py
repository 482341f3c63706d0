"""Rates print as percentages and fault ranks as fault labels, in reasons, facts and condition prose
(a hillcounty case: the county's loss rate 0.23 against a 20 % parameter, the handler's gross negligence)."""

from __future__ import annotations

from click.testing import CliRunner

from accountrules import load_rulebook
from accountrules.cli.evaluate import command
from accountrules.rules.wording import value_text

from ..conftest import ROOT

HILL = ROOT / "tests" / "fixtures" / "hillcounty"
CASE = ROOT / "tests" / "fixtures" / "hillcounty-cases" / "hc-2024-031.yaml"


def _text(lang: str) -> str:
    res = CliRunner().invoke(command, ["--rules", str(HILL), str(CASE), "--format", "text", "--lang", lang])
    assert res.exit_code == 0, res.output
    return res.output


def test_a_loss_rate_prints_as_a_percentage_beside_the_parameter() -> None:
    zh, en = _text("zh"), _text("en")
    assert "本县行政诉讼败诉率为23%，超过20%" in zh and "0.23" not in zh
    assert "本县行政诉讼败诉率：23%" in zh
    assert "23%" in en and "0.23" not in en


def test_a_fault_rank_prints_as_the_fault_label() -> None:
    zh = _text("zh")
    assert "该情形承办人的最重过错程度：重大过失" in zh
    assert "最重过错程度：2" not in zh


def test_value_text_of_numbers() -> None:
    book = load_rulebook(HILL)
    assert value_text(book, "case.history.agency_loss_rate", 0.125, "en") == "12.5%"
    assert value_text(book, "person.fault_rank", 3, "zh") == "故意"
    assert value_text(book, "outcome.liable_max_fault_rank", 0, "en") == "no fault"
    assert value_text(book, "case.consequences.economic_loss_yuan", 80000, "zh") == "80000"
