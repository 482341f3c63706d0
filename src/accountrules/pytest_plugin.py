"""pytest plugin (entry point ``pytest11``): collects ``*.cases.yaml`` rule cases as test items.

A failing case prints its file and line, the case name and a diff of expected against actual.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_ENGINES: dict[str, Any] = {}


def _engines_for(path: Path) -> dict[str, Any]:
    from .authoring.casefile import make_engines

    root = path.parent
    while root != root.parent and not (root / "rulebook.yaml").exists():
        root = root.parent
    key = str(root)
    if key not in _ENGINES:
        _ENGINES[key] = make_engines(root if (root / "rulebook.yaml").exists() else None)
    engines: dict[str, Any] = _ENGINES[key]
    return engines


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """Collect ``*.cases.yaml`` files."""
    if file_path.name.endswith(".cases.yaml"):
        return CasesFile.from_parent(parent, path=file_path)
    return None


class CasesFile(pytest.File):
    """A cases file."""

    def collect(self) -> Iterator[pytest.Item]:
        """One item per case."""
        from .authoring.casefile import load_cases

        for case in load_cases(self.path):
            yield CaseItem.from_parent(self, name=case.name, case=case)


class CaseFailed(Exception):
    """A rule case did not give the expected outcome."""


class CaseItem(pytest.Item):
    """One rule case, run on both backends."""

    def __init__(self, *, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        """Evaluate and compare."""
        from .authoring.casefile import run_case

        bad = [r for r in run_case(self.case, _engines_for(self.path)) if not r.ok]
        if bad:
            raise CaseFailed("\n".join(f"[{r.backend}]\n{r.diff}" for r in bad))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """File, case name and the diff."""
        if isinstance(excinfo.value, CaseFailed):
            return f"{self.case.span}: case '{self.case.name}'\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the case is written."""
        return self.path, self.case.span.line - 1, f"case: {self.case.name}"
