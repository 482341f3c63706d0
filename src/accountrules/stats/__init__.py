"""Statistics over a corpus of cases: loss, correction and head-appearance rates, error cases by
definition and item, persons by level and responsibility, units by measure — and the flags the
rulebook's ``stat_thresholds`` raise (each naming its rule and source). Tables as text, CSV or JSON;
charts as PNG and SVG.

>>> from accountrules import Engine, load_rulebook                       # doctest: +SKIP
>>> from accountrules.stats import compute_corpus, read_caseload          # doctest: +SKIP
>>> report = compute_corpus(Engine(load_rulebook()), ["cases/"], read_caseload("caseload.csv"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..engine import Engine
from .caseload import CaseloadRow as CaseloadRow
from .caseload import read_caseload as read_caseload
from .compute import ADVERSE_OUTCOMES as ADVERSE_OUTCOMES
from .compute import Flag as Flag
from .compute import StatsReport as StatsReport
from .compute import compute_stats as compute_stats
from .records import SCHEMES as RECORD_SCHEMES
from .records import DecisionRecords as DecisionRecords
from .sources import ADAPTERS as ADAPTERS
from .sources import CaseFiles as CaseFiles
from .sources import CorpusSource as CorpusSource
from .sources import PairedJsonl as PairedJsonl
from .sources import StatInput as StatInput
from .sources import source_for as source_for

ADAPTERS.update({scheme: DecisionRecords for scheme in RECORD_SCHEMES})

__all__ = ["ADAPTERS", "ADVERSE_OUTCOMES", "CaseFiles", "CaseloadRow", "CorpusSource", "DecisionRecords", "Flag", "PairedJsonl",
           "StatInput", "StatsReport", "compute_corpus", "compute_stats", "read_caseload", "source_for"]


def _inputs(engine: Engine, sources: Sequence[CorpusSource]) -> Iterator[StatInput]:
    for s in sources:
        yield from s.inputs(engine)


def compute_corpus(engine: Engine, corpus: Sequence[str], caseload: list[CaseloadRow] | None = None, *,
                   lang: str = "zh", db: Sequence[str] = ()) -> StatsReport:
    """Statistics over corpus arguments (files, directories, JSON Lines, ``sqlite://``/``postgresql://``
    URLs of decision-record databases) and ``db`` (decision-record databases: SQLite paths or URLs).

    Raises:
        InvalidCase: a corpus entry breaks the contract (with its file and line, or its record).
    """
    sources = [source_for(c) for c in corpus] + [DecisionRecords(d) for d in db]
    for s in sources:
        if isinstance(s, DecisionRecords):
            s.lang = lang  # its notes, in the report's language
    report = compute_stats(engine.rulebook, _inputs(engine, sources), caseload, lang=lang)
    for s in sources:
        report.notes += getattr(s, "notes", [])
    report.notes.sort()
    return report
