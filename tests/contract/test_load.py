"""Stage 1: the strict YAML loader."""

from __future__ import annotations

import time

import pytest

from accountrules.load import YamlProblem, load_yaml


def test_positions_for_every_node() -> None:
    doc = load_yaml("a: 1\nb:\n  - x: 2\n    y: [1, 2]\n", "f.yaml")
    assert doc.data == {"a": 1, "b": [{"x": 2, "y": [1, 2]}]}
    assert (doc.span(("b", 0, "y", 1)).line, doc.span(("b", 0, "y", 1)).column) == (4, 12)
    # a missing key maps to its nearest ancestor
    assert doc.span(("b", 0, "zzz")).line == 3


def test_duplicate_keys_rejected_with_both_positions() -> None:
    with pytest.raises(YamlProblem) as ei:
        load_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    (d,) = ei.value.diagnostics
    assert d.code == "duplicate-key" and d.span is not None and d.span.line == 3
    assert "line 1" in d.message


def test_alias_bomb_refused_quickly() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(8)
    )
    t = time.perf_counter()
    with pytest.raises(YamlProblem) as ei:
        load_yaml(bomb, "bomb.yaml")
    assert time.perf_counter() - t < 2.0  # generous: a hang would take minutes
    assert ei.value.diagnostics[0].code == "document-too-complex"


def test_oversized_input_refused() -> None:
    with pytest.raises(YamlProblem) as ei:
        load_yaml("a: " + "x" * 100, "big.yaml", max_bytes=50)
    assert ei.value.diagnostics[0].code == "file-too-large"


@pytest.mark.parametrize("text", ["a: !!python/object/apply:os.system [ls]", "a: !!binary aGk="])
def test_unsafe_tags_rejected(text: str) -> None:
    with pytest.raises(YamlProblem) as ei:
        load_yaml(text, "t.yaml")
    assert ei.value.diagnostics[0].code == "bad-tag"


def test_syntax_error_has_position() -> None:
    with pytest.raises(YamlProblem) as ei:
        load_yaml("a: [1, 2\nb: 3\n", "s.yaml")
    d = ei.value.diagnostics[0]
    assert d.code == "yaml-syntax" and d.span is not None and d.span.file == "s.yaml"


def test_merge_keys_rejected() -> None:
    with pytest.raises(YamlProblem) as ei:
        load_yaml("base: &b {x: 1}\nc:\n  <<: *b\n", "m.yaml")
    assert ei.value.diagnostics[0].code == "merge-key"
