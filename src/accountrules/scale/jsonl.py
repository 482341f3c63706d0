"""Reading JSON Lines batches: the one place both batch runners take their lines from.

:func:`accountrules.scale.batch.evaluate_jsonl` and :func:`accountrules.scale.batchfile.run`
(what ``accountrules evaluate FILE.jsonl`` runs) split a file into runs of lines the same way,
number the lines the same way, parse each line with the same strict reader and locate each bad
line's diagnostics at ``FILE:LINE`` the same way:

* lines end at ``\\n`` (a ``\\r`` before it is JSON whitespace); blank lines are skipped but
  counted, so line numbers are those of the file;
* :func:`line_ranges` cuts the file into byte ranges of ``size`` non-blank lines, each with the
  number of its first line, and :func:`read_range` reads one back (in a worker, from the file
  itself);
* :func:`parse_line` is :func:`~accountrules.contract.intake.read_case_json` named ``FILE:LINE``;
* :func:`located` gives each diagnostic of a bad line the location ``FILE:LINE`` (a field path
  it had goes in front of the message), so nothing the reader said is lost.

The two runners differ only in what a line that is not UTF-8 does: ``evaluate_jsonl`` decodes
first (:func:`decoded`) and stops there (:class:`BadEncoding`), the CLI's run reports the line
(``not-utf8``) and goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ..contract.intake import read_case_json
from ..contract.models import Case
from ..diagnostics import Diagnostic
from ..errors import AccountRulesError

__all__ = ["BadEncoding", "decoded", "line_ranges", "located", "numbered_lines", "parse_line", "read_range"]


def located(path: str, n: int, exc: AccountRulesError) -> list[Diagnostic]:
    """Diagnostics of one bad line, each located at ``FILE:LINE`` (a field path moves into the message)."""
    where = f"{path}:{n}"
    out = []
    for d in exc.diagnostics:
        msg = d.message
        if d.path and d.path != where and not msg.startswith(d.path):
            msg = f"{d.path}: {msg}"
        out.append(Diagnostic(d.code, msg, None, d.severity, d.rule_id, where))
    return out


def parse_line(path: str, n: int, line: str | bytes) -> Case:
    """Line ``n`` of ``path`` → a case (the strict reader of every case file, named ``FILE:LINE``).

    Raises:
        InvalidCase: the line is too long, not UTF-8 (bytes), not JSON, or not a valid case.
    """
    return read_case_json(line, f"{path}:{n}")


class BadEncoding(Exception):
    """A line that is not UTF-8 (for readers that stop there)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(line, reason)
        self.line, self.reason = line, reason


def decoded(raw_lines: Iterable[bytes], first: int) -> Iterator[tuple[int, str]]:
    """Number and decode lines, skipping blank ones.

    Raises:
        BadEncoding: at the first line that is not UTF-8.
    """
    for n, raw in enumerate(raw_lines, first):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadEncoding(n, exc.reason) from None
        if line.strip():
            yield n, line


def numbered_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """The file's non-blank lines, numbered and decoded (:func:`decoded`)."""
    with open(path, "rb") as fh:
        yield from decoded(fh, 1)


def line_ranges(path: str, size: int) -> Iterator[tuple[int, int, int]]:
    """``(start byte, end byte, first line number)`` of consecutive runs of ``size`` non-blank lines."""
    with open(path, "rb") as fh:
        pos = start = 0
        first = 1
        count = 0
        for n, raw in enumerate(fh, 1):
            if count == 0 and pos == start:
                first = n
            pos += len(raw)
            if raw.strip():
                count += 1
                if count >= size:
                    yield start, pos, first
                    start, count = pos, 0
        if pos > start:
            yield start, pos, first


def read_range(path: str, span: tuple[int, int, int]) -> tuple[list[bytes], int]:
    """The raw lines (without their ``\\n``) of one range of :func:`line_ranges`, and the number of
    the first."""
    start, end, first = span
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    return raw_lines, first
