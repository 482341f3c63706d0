"""``accountrules lint``: what validation cannot see — rules that can never fire, rules that fire
together with incompatible outcomes, vocabulary nobody handles, ladder levels nothing reaches,
citations without a version, and rulebooks that approach durable-rules' limits.

Every finding is a :class:`~accountrules.diagnostics.Diagnostic` (``FILE:LINE:COL: CODE:
message``); ``severity`` is ``error`` (the command exits 1) or ``warning`` (listed apart).

The reasoning is *symbolic*: each rule's condition is rewritten into disjunctive normal form
(:func:`~accountrules.conditions.to_dnf`) and every alternative — a conjunction of tests — is
checked against what the fact vocabulary allows (:mod:`accountrules.facts`): closed value sets,
numeric ranges, list membership, links between facts (``person.fault`` and
``person.fault_rank``; ``finding.item`` and its category, base grade and typical roles; an absent
hearing and its fields; an outcome that is not an error case and its counts) and what a stage
implies (``pf`` facts exist only for error cases, so a ``pf`` rule can only fire together with
some ``error_case`` status rule). A conjunction the checker cannot refute is taken as
satisfiable, so every ``unsatisfiable`` finding is a proof, never a guess.

Codes (see ``docs/errors.md``):

=====================  ========  =====================================================
``unsatisfiable``      error     a rule can never fire
``conflict``           error     two status rules can fire together with different outcomes
``missing-version``    error     a citation with no version (and none on its instrument); a warning
                                 when the instrument's version is a placeholder (``0000``)
``durable-limit``      error     the rulebook exceeds a durable-rules limit (warning near it)
``never-silent``       warning   a written condition that is always true
``dormant``            warning   a rule that cannot fire under the manifest's ``policy``
``overlap``            warning   two channel rules with different channels can both fire
``gap-item``           warning   an item that can never lead to a level above rank 0
``gap-outcome``        warning   a ``case.outcome`` for which, in some case, no status rule fires
``gap-circumstance``   warning   a circumstance code no effect or exemption rule handles
``unreachable-level``  warning   a ladder level no cell, step or level rule can reach
``floor-above-ceiling`` warning  a ``min_level`` and a lower ``max_level`` can apply together
``unused``             warning   a definition, channel, measure … that nothing refers to
``unknown-value``      error     an item's typical role that is not a role of the case contract
``citation-gap``       error     a case reaches a conclusion none of whose citations applies to it
``citation-never``     warning   a citation whose ``when`` never holds where its rule fires
``analogue-unmarked``  error     another jurisdiction's local text not marked ``analogue: true``
``procedure-date``     error     the correcting body's procedural law cited on the conduct date
=====================  ========  =====================================================
"""

from __future__ import annotations

from ...diagnostics import Diagnostic, sort_diagnostics
from ...rules.validate import Rulebook
from .base import CODES, DEFERRED_CODES, NEAR_LIMIT, WITNESS_BUDGET
from .citation_fit import check_citations
from .citations import _check_versions, check_procedure_dates, iter_citations
from .conflicts import _check_conflicts
from .durable_limits import _check_durable
from .gaps import _check_gaps, check_uncovered_roles
from .loading import load_for_lint, render, split
from .reasoner import Reasoner
from .rules import _check_rules
from .unused import _check_roles, _check_unused

__all__ = ["CODES", "DEFERRED_CODES", "NEAR_LIMIT", "WITNESS_BUDGET", "Reasoner", "iter_citations", "lint",
           "load_for_lint", "render", "split"]


def lint(book: Rulebook) -> list[Diagnostic]:
    """Every lint finding of a validated rulebook, sorted by position.

    Args:
        book: a rulebook from :func:`~accountrules.rules.load_rulebook` (or :func:`load_for_lint`).

    Returns:
        Errors and warnings (``Diagnostic.severity``), sorted by file, line and column.
    """
    rs = Reasoner(book)
    out, dead = _check_rules(book, rs)
    out += _check_conflicts(book, rs, dead)
    gaps, _ = _check_gaps(book, rs, dead)
    out += gaps
    out += check_uncovered_roles(book, rs, dead)
    out += _check_unused(book)
    out += _check_versions(book)
    out += _check_roles(book)
    out += _check_durable(book)
    out += check_citations(book, rs)
    out += check_procedure_dates(book)
    return sort_diagnostics(out)
