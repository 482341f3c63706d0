"""The README's examples are run: the Python snippet executes and the shown output is real."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block_after(marker: str) -> str:
    i = README.index(marker)
    m = re.search(r"```[a-z]*\n(.*?)```", README[i:], re.DOTALL)
    assert m
    return m.group(1)


def test_python_snippet_runs() -> None:
    code = _block_after("## Python API")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("T3 [('p1', 'notified_criticism'), ('p2', 'notified_criticism')]")


def test_worked_example_output_is_current() -> None:
    marker = "<!-- example-output: accountrules evaluate examples/bj-2023-017.yaml --format text --lang en -->"
    shown = _block_after(marker)
    env = dict(os.environ)
    actual = subprocess.run([sys.executable, "-m", "accountrules", "evaluate", "examples/bj-2023-017.yaml",
                             "--format", "text", "--lang", "en"], capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=120, check=False).stdout
    from accountrules.engine import default_backend

    if default_backend() == "python":  # Python 3.13: the same recommendation, made by the python backend
        assert shown.endswith("/durable\n")
        shown = shown[: -len("durable\n")] + "python\n"
    assert shown == actual, "README example output is stale: run `python tests/update_readme.py`"


def test_two_commands_present() -> None:
    assert ".venv/bin/accountrules evaluate examples/bj-2023-017.yaml" in README
    assert ".venv/bin/python -m pytest" in README


def test_rule_snippet_agrees_with_the_rulebook() -> None:
    import yaml

    from accountrules import load_rulebook

    snippet = yaml.safe_load(_block_after("## How to write a rule"))["chain"][0]
    rule = load_rulebook().by_id[snippet["id"]].rule.model_dump(exclude_none=True)
    for key in ("title", "then", "inference"):
        assert rule[key] == snippet[key], key
    assert snippet["citations"][0] in rule["citations"]
    from accountrules.conditions import tests_of

    # the condition is the same: same tests, same order
    book = load_rulebook()
    got = [(t.path, t.op, t.value) for t in tests_of(book.by_id[snippet["id"]].cond)]
    want = [(next(iter(t.items()))[1], *next((k, v) for k, v in t.items() if k != "fact"))
            for t in snippet["when"]["all"]]
    assert got == want
