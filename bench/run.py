#!/usr/bin/env python
"""accountrules benchmark (issue #6): load time, throughput, stage shares, memory, baseline, scaling.

    python bench/run.py --quick          # < 60 s on 2 cores; what CI and a fresh install run
    python bench/run.py                  # the full run behind docs/performance.md
    python bench/run.py --json out.json  # also write every figure as JSON
    python bench/run.py --profile        # cProfile of the python pipeline on the default rulebook

Each measurement runs in a fresh child process (``--child``), so load times are cold, peak memory
(``ru_maxrss``) belongs to one rulebook and one backend, and durable-rules' global state never
leaks from one measurement into the next. The parent prints the tables, compares the two
backends' JSON for every benchmark case, and exits 1 if any differs.

Rulebooks: the bundled default one (skipped with a note if it does not load) and generated ones
of about 100, 1,000 and 2,000 rules, written as YAML into a temporary directory (the structure of
``tests/fixtures/mini`` plus synthetic items, each with chain, effect and case rules of 2-4
conditions over real fact paths), so load, validation and compilation are exercised for real.

Cases: synthetic valid cases with 1-6 persons, drawn from the contract's vocabularies and the
rulebook's items and circumstances with a fixed seed.

This is a benchmark script, not a timed test: it never asserts a speed.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"
SIZES = (100, 1000, 2000)

# --------------------------------------------------------------------------- small helpers


def rss_kib() -> int:
    """Current resident set size (KiB), from /proc (0 where unavailable)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError):
        return 0


def peak_kib() -> int:
    """Peak resident set size of this process (KiB)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r // 1024 if sys.platform == "darwin" else r


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def digest(text: str) -> str:
    """Hash of a recommendation's JSON with the backend blanked (the one field allowed to differ)."""
    rec = json.loads(text)
    rec["engine"]["backend"] = "-"
    return hashlib.sha256(json.dumps(rec, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    try:
        from importlib.metadata import version

        import durable  # noqa: F401
        durable_v = version("durable-rules")
    except Exception:  # noqa: BLE001 - any failure: the figure is reported as unavailable
        durable_v = "not importable"
    from importlib.metadata import version as v

    return {"nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "cpu": cpu, "mem_mib": mem, "python": platform.python_version(),
            "platform": platform.platform(), "pydantic": v("pydantic"), "durable_rules": durable_v,
            "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None}


# --------------------------------------------------------------------------- generated rulebooks

ROLES = ("handler", "reviewer", "legal_reviewer", "approver", "leader_in_charge", "principal",
         "collective_member", "superior")
CONDUCTS = ("proposed_wrong_opinion", "failed_to_detect", "detected_not_corrected", "overrode_correct_opinion",
            "decided_without_review", "instructed_or_interfered", "acted_beyond_approval",
            "held_wrong_opinion_in_collective")
CITE = [{"instrument": "S09", "article": "第七十六条"}]


def _item_code(k: int) -> str:
    return f"{'XYZW'[k // 999]}{k % 999 + 1:03d}"


MAX_ITEMS = 400


def _rule(rid: str, title: str, when: list[dict[str, Any]], then: dict[str, Any]) -> dict[str, Any]:
    return {"id": rid, "title": {"zh": title, "en": title}, "when": {"all": when}, "then": then, "citations": CITE}


def _t_oversight(code: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "chain", _rule(f"gen-{code}-oversight", f"{code} oversight failed", [
        {"fact": "finding.item", "eq": code}, {"fact": "person.role", "eq": rng.choice(ROLES[1:6])},
        {"fact": "person.conduct", "contains": rng.choice(CONDUCTS)}],
        {"responsibility": rng.choice(["primary_leadership", "important_leadership"])})


def _t_direct(code: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "chain", _rule(f"gen-{code}-direct", f"{code} direct", [
        {"fact": "finding.item", "eq": code}, {"fact": "finding.named", "eq": True},
        {"fact": "person.fault", "in": ["gross_negligence", "intentional"]}, {"fact": "person.role", "eq": "handler"}],
        {"responsibility": "direct"})


def _t_effect(code: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "circumstance_effects", _rule(f"gen-{code}-mt7", f"{code} mitigates", [
        {"fact": "finding.item", "eq": code}, {"fact": "person.circumstances", "contains": "MT7"}],
        {"code": "MT7", "effect": "mitigate"})


def _t_intent(code: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "personal_grade_modifiers", _rule(f"gen-{code}-intent", f"{code} intent", [
        {"fact": "finding.item", "eq": code}, {"fact": "person.fault", "eq": "intentional"},
        {"fact": "person.fault_rank", "ge": 3}], {"group": "intent", "delta": 1})


def _t_aggravate(code: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "circumstance_effects", _rule(f"gen-{code}-ag2", f"{code} repeat aggravates", [
        {"fact": "finding.item", "eq": code}, {"fact": "person.circumstances", "contains": "AG2"},
        {"fact": "finding.named_count", "ge": 1}], {"code": "AG2", "effect": "aggravate"})


def _t_exempt(code: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "exemptions", _rule(f"gen-{code}-ex5", f"{code} dissent exempts", [
        {"fact": "finding.item", "eq": code}, {"fact": "person.circumstances", "contains": "EX5"},
        {"fact": "person.diligent_review", "eq": True}], {"code": "EX5"})


def generate_rulebook(target: int, dest: Path) -> int:
    """Write a rulebook of about ``target`` rules into ``dest``; returns the exact count."""
    import yaml

    shutil.copytree(MINI / "law", dest / "law")
    shutil.copy(MINI / "rulebook.yaml", dest / "rulebook.yaml")
    # every code of every vocabulary needs a zh/en label (missing-label): the mini rulebook's
    # labels cover its own codes; synthetic items are labelled by their ``name``
    shutil.copy(MINI / "labels.yaml", dest / "labels.yaml")
    book = yaml.safe_load((MINI / "book.yaml").read_text(encoding="utf-8"))
    book["status_rules"].insert(0, {
        "id": "gen-any-corrected", "title": {"zh": "纠错", "en": "corrected"},
        "when": {"all": [{"fact": "case.outcome", "in": ["revoked", "partly_revoked", "varied",
                                                          "confirmed_illegal"]},
                         {"fact": "case.effective", "eq": True}]},
        "then": {"status": "error_case", "definition": "T3"}, "citations": CITE})
    for r in book["status_rules"]:
        if r["id"] == "pending":
            r["exception_to"] = ["T3-reconsideration", "gen-any-corrected"]
    base = sum(len(v) for k, v in book.items() if k in RULE_KEYS)
    n_case = min(150, max(2, (target - base) // 12))
    budget = target - base - n_case
    # durable-rules keeps at most 512 distinct child tests under one network node (a 32-slot hash
    # with linear probing over 512 buckets; the 513th makes create_ruleset loop forever), and
    # finding.item is the first test under {kind: pf}: so at most 400 synthetic items, with more
    # rules per item as the rulebook grows.
    n_items = max(1, min(MAX_ITEMS, budget // 3))
    rng = random.Random(target)
    rules: dict[str, list[dict[str, Any]]] = {s: [] for s in ("chain", "circumstance_effects", "grade_modifiers",
                                                            "personal_grade_modifiers", "exemptions")}
    items = []
    for k in range(n_items):
        code = _item_code(k)
        items.append({"id": code, "category": "P", "name": {"zh": f"合成情形{code}", "en": f"synthetic {code}"},
                      "base_grade": rng.choice(["G1", "G2", "G3"]),
                      "roles": {"direct": ["handler"], "oversight": [rng.choice(ROLES[1:5])]}, "citations": CITE})
    templates = [_t_oversight, _t_direct, _t_effect, _t_intent, _t_aggravate, _t_exempt]
    made = 0
    for rnd in range(len(templates)):
        for k in range(n_items):
            if made >= budget:
                break
            sec, rule = templates[rnd](_item_code(k), rng)
            rules[sec].append(rule)
            made += 1
    for j in range(n_case):
        code = _item_code(rng.randrange(n_items))
        rules["grade_modifiers"].append({
            "id": f"gen-case-{j}", "title": {"zh": f"领域{j}", "en": f"field {j}"},
            "when": {"all": [{"fact": "case.agency.field", "eq": f"field_{j}"},
                             {"fact": "case.items", "contains": code},
                             {"fact": "case.consequences.economic_loss_yuan", "ge": 10000 * (1 + j % 5)}]},
            "then": {"group": "consequence", "delta": 1}, "citations": CITE})
    book["items"] += items
    for sec, rs in rules.items():
        book[sec] = book.get(sec, []) + rs
    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    (dest / "book.yaml").write_text(yaml.dump(book, Dumper=NoAliases, allow_unicode=True, sort_keys=False,
                                              width=120), encoding="utf-8")
    return sum(len(v) for k, v in book.items() if k in RULE_KEYS)


RULE_KEYS = ("status_rules", "grounds", "grade_modifiers", "personal_grade_modifiers", "chain",
             "circumstance_effects", "exemptions", "exemption_blocks", "level_rules", "channel_rules",
             "unit_measures", "review")


# --------------------------------------------------------------------------- cases


def generate_cases(book: Any, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` valid case dicts (contract §1) from the contract's and the rulebook's vocabularies."""
    from accountrules import models as m

    rng = random.Random(seed)
    items = sorted(book.items)
    circs = sorted(book.circumstances)
    fields = ["market", "transport", "land", "environment"] + [f"field_{j}" for j in range(20)]
    strong = ["revoked", "partly_revoked", "varied", "confirmed_illegal", "confirmed_void", "compensation"]
    out = []
    for i in range(n):
        n_p = rng.randint(1, 6)
        persons = []
        for j in range(n_p):
            p: dict[str, Any] = {
                "id": f"p{j + 1}", "name": f"人员{j + 1}", "role": rng.choice(m.ROLES), "fault": rng.choice(m.FAULTS),
                "conduct": rng.sample(m.CONDUCTS, rng.choice([0, 1, 1, 2])),
                "circumstances": rng.sample(circs, min(len(circs), rng.choice([0, 0, 0, 1, 1, 2]))),
                "party_member": rng.random() < 0.5, "leading_cadre": rng.random() < 0.25,
            }
            if rng.random() < 0.1:
                p["private_gain"] = True
            if rng.random() < 0.1:
                p["diligent_review"] = True
            persons.append(p)
        ids = [p["id"] for p in persons]
        findings = []
        for item in rng.sample(items, min(len(items), rng.choice([1, 1, 2, 2, 3]))):
            findings.append({"item": item, "persons": rng.sample(ids, rng.randint(0, min(2, n_p)))})
        origin = rng.choice(m.ORIGINS)
        case: dict[str, Any] = {
            "id": f"B{seed}-{i}", "origin": origin,
            "outcome": rng.choice(strong) if rng.random() < 0.75 else rng.choice(m.OUTCOMES),
            "effective": rng.random() < 0.9, "act_type": rng.choice(m.ACT_TYPES),
            "decided_on": (dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2200))).isoformat(),
            "conduct_date": (dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(1500))).isoformat(),
            "grounds": rng.sample(m.GROUNDS, rng.choice([0, 1, 1, 2])),
            "agency": {"name": "某县市场监督管理局", "level": rng.choice(m.AGENCY_LEVELS), "field": rng.choice(fields)},
            "findings": findings,
            "consequences": {"economic_loss_yuan": rng.choice([0, 0, 3000, 50000, 150000, 2_000_000]),
                             "social_impact": rng.choice(m.SOCIAL_IMPACTS),
                             "state_compensation": rng.random() < 0.2, "mass_incident": rng.random() < 0.05},
            "history": {"same_field_losses_3y": rng.choice([0, 0, 1, 3]),
                        "same_issue_lost_before": rng.random() < 0.15, "series_cases": rng.choice([0, 0, 2])},
        }
        if origin == "court":
            appeared = rng.random() < 0.7
            case["hearing"] = {"head_summoned": rng.random() < 0.6, "head_appeared": appeared,
                               "absence_reason": "none" if appeared else rng.choice(m.ABSENCE_REASONS),
                               "absence_documented": rng.random() < 0.5, "staff_appeared": True}
        out.append({"case": case, "persons": persons})
    return out


# --------------------------------------------------------------------------- the plain-Python baseline


class Baseline:
    """A minimal hand-written evaluator: the same compiled predicates over the same facts, every
    rule of a stage tried on every fact (no index), no decide/explain; JSON of the fired ids out."""

    def __init__(self, compiled: Any) -> None:
        from accountrules.facts import STAGES

        book = compiled.rulebook
        self.book = book
        self.by_stage = {s: [(e.id, compiled.predicates[e.order]) for e in book.rules if e.stage == s]
                         for s in STAGES}
        self.policy = book.manifest.policy.model_dump()
        self.item_cat = {i.id: i.category for i in book.items.values()}

    def match(self, stage: str, facts: dict[str, Any]) -> list[str]:
        return [rid for rid, pred in self.by_stage[stage] if pred(facts)]

    def run(self, data: dict[str, Any]) -> str:
        from accountrules.facts import case_facts, finding_facts, person_facts
        from accountrules.models import Case

        book = self.book
        case = Case.model_validate(data)
        cf = case_facts(case, self.policy, self.item_cat)
        fired: dict[str, list[str]] = {"case": self.match("case", cf)}
        for p in case.persons:
            pf = {**cf, **person_facts(case, p)}
            fired[p.id] = self.match("person", pf)
            for fi, f in enumerate(case.case.findings):
                item = book.items[f.item]
                g = book.grades[item.base_grade].value
                ff = finding_facts(case, f, p, category=item.category, base_grade=g, grade=g,
                                   direct_roles=tuple(item.roles.direct), oversight_roles=tuple(item.roles.oversight))
                fired[f"{p.id}×{fi}"] = self.match("pf", {**pf, **ff})
        items = sorted({f.item for f in case.case.findings})
        of = {**cf, "outcome.status": "error_case" if fired["case"] else "not_error_case", "outcome.definition": "",
              "outcome.max_grade": 0, "outcome.max_rank": 0, "outcome.items": items,
              "outcome.categories": sorted({self.item_cat[i] for i in items}), "outcome.referral": False,
              "outcome.liable_count": 0, "outcome.liable_max_fault_rank": 0}
        fired["outcome"] = self.match("outcome", of)
        return json.dumps({"case_id": case.case.id, "fired": fired}, ensure_ascii=False)


# --------------------------------------------------------------------------- instrumentation


class TimedMatcher:
    """Wraps a matcher: time inside ``match``, and (optionally) the fact batches it saw."""

    def __init__(self, inner: Any, keep: bool) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.seconds = 0.0
        self.keep = keep
        self.batches: list[list[tuple[str, dict[str, Any]]]] = []
        self.current: list[Any] = []

    def match(self, batch: Any) -> list[list[int]]:
        t = time.perf_counter()
        out = self.inner.match(batch)
        self.seconds += time.perf_counter() - t
        if self.keep:
            self.current.append([(s, dict(f)) for s, f in batch])
        return out  # type: ignore[no-any-return]


class ExplainTimer:
    """Times the Explainer's entry points (reason, rule_reason, why_not), outermost calls only."""

    NAMES = ("reason", "rule_reason", "why_not")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.depth = 0
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> Self:
        from accountrules.explain import Explainer

        for name in self.NAMES:
            orig = getattr(Explainer, name)
            self.saved[name] = orig
            setattr(Explainer, name, self._wrap(orig))
        return self

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*a: Any, **k: Any) -> Any:
            if self.depth:
                return fn(*a, **k)
            self.depth += 1
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.seconds += time.perf_counter() - t
                self.depth -= 1
        return inner

    def __exit__(self, *exc: object) -> None:
        from accountrules.explain import Explainer

        for name, fn in self.saved.items():
            setattr(Explainer, name, fn)


def durable_variant(compiled: Any, *, fresh_state: bool = False, full_facts: bool = False) -> Any:
    """The engine's DurableMatcher with one design choice undone, to measure what it buys:

    * ``fresh_state``: a new durable state per case, deleted after, instead of one long-lived
      state whose facts are retracted (the batch carries the warm-up fact, so an action always
      runs in the state before it is deleted — durable's delete_state segfault);
    * ``full_facts``: every fact property is asserted, not only those some rule tests.

    Built on the matcher's internals (``_encode``, ``_run_batch``, the binding handle); if those
    change, the lever is reported as unavailable rather than measured wrongly.
    """
    from accountrules.engine import DurableMatcher
    from accountrules.rules.compile import durable_key, length_key

    list_paths = tuple(compiled.list_paths)

    class Variant(DurableMatcher):  # type: ignore[misc, valid-type]
        sids = 0

        def _encode(self, stage: str, facts: Any, n: int, uid: int) -> dict[str, Any]:
            out: dict[str, Any] = super()._encode(stage, facts, n, uid) or {
                "sid": "0", "id": f"{uid}", "kind": stage, "n": n}
            if full_facts:
                for k, v in facts.items():
                    out.setdefault(durable_key(k), v)
                for k in list_paths:
                    if k in facts:
                        out.setdefault(length_key(k), len(facts[k]))
            return out

        def _run_batch(self, batch: list[dict[str, Any]]) -> None:
            if not fresh_state:
                return super()._run_batch(batch)  # type: ignore[no-any-return]
            Variant.sids += 1
            sid = str(Variant.sids % 900 + 1)
            batch = [{**b, "sid": sid} for b in batch] + [
                {"sid": sid, "id": f"w{Variant.sids}", "kind": "__warmup__", "n": -1}]
            dre, handle = self._dre, self._handle
            _code, state = dre.assert_facts(handle, json.dumps(batch, ensure_ascii=False))
            self._consume_actions(state)
            dre.delete_state(handle, sid)
            return None

    m = Variant(compiled, watchdog=False)
    for attr in ("_dre", "_handle", "_consume_actions"):
        if not hasattr(m, attr):
            raise RuntimeError(f"DurableMatcher has no {attr} any more")
    return m


# --------------------------------------------------------------------------- child tasks


def _imports() -> float:
    t = time.perf_counter()
    import accountrules
    import accountrules.batch
    import accountrules.cache
    import accountrules.decide
    import accountrules.render  # noqa: F401
    from accountrules.rules import compile as _c  # noqa: F401
    return time.perf_counter() - t


def task_pipeline(a: argparse.Namespace) -> dict[str, Any]:
    """Load (cold, cache), engine, throughput, stages, match-only, baseline, memory, digests."""
    t_import = _imports()
    from accountrules import cache
    from accountrules.cache import load_rulebook_cached
    from accountrules.engine import Engine
    from accountrules.models import Case
    from accountrules.render import to_json
    from accountrules.rules import load_rulebook
    from accountrules.rules.compile import compile_rulebook

    rules = a.rules or None
    r: dict[str, Any] = {"import_s": t_import, "rss_start_kib": rss_kib()}
    if a.backend == "python":
        # load: cold (first load in this process), the cache write, then cache hits
        r["load_cold_s"], book = timed(lambda: load_rulebook(rules))
        r["cache_key_s"], key = timed(lambda: cache.rulebook_key(rules))
        entry = cache._entry_path(Path(a.cache_dir), key)
        r["cache_write_s"] = timed(lambda: cache._write(entry, key, book))[0]
        hits = [timed(lambda: load_rulebook_cached(rules, cache_dir=a.cache_dir))[0] for _ in range(5)]
        r["cache_hit_s"] = statistics.median(hits)
        r["cache_bytes"] = entry.stat().st_size if entry.exists() else 0
    else:
        book = load_rulebook_cached(rules, cache_dir=a.cache_dir)
    r["rules"] = len(book.rules)
    r["compile_s"], compiled = timed(lambda: compile_rulebook(book))
    r["durable_rules"] = len(compiled.durable_rules)
    r["engine_s"], engine = timed(lambda: Engine(book, backend=a.backend))
    r["rss_engine_kib"] = rss_kib()
    cases = generate_cases(book, a.cases, a.seed)
    # steady state: the engine's caches (citations, reasons, the JSON writers) are warmed on other
    # cases of the same shape (another seed), as a batch worker's are after its first cases
    for d in generate_cases(book, min(a.cases, 300), a.seed + 1000):
        to_json(engine.evaluate(Case.model_validate(d)))

    # throughput: validated input → JSON out (best of `repeat` passes, each over cases it has never
    # seen: a pass over the same cases again would find their reasons cached); wall and CPU time.
    # Nothing is kept (the stage pass below computes the digests), so peak RSS is the engine's own.
    rates, cpu_rates = [], []
    for k in range(a.repeat):
        fresh = generate_cases(book, a.cases, a.seed + 2000 + k)
        gc.collect()
        t, c0 = time.perf_counter(), time.process_time()
        for d in fresh:
            to_json(engine.evaluate(Case.model_validate(d)))
        rates.append(len(fresh) / (time.perf_counter() - t))
        cpu_rates.append(len(fresh) / max(time.process_time() - c0, 1e-9))
    r["rate"], r["cpu_rate"] = max(rates), max(cpu_rates)
    r["rss_after_kib"] = rss_kib()
    r["peak_kib"] = peak_kib()

    # stage shares (instrumented pass)
    tm = TimedMatcher(engine.matcher, keep=True)
    inner, engine.matcher = engine.matcher, tm
    stages = {"validate": 0.0, "match": 0.0, "decide": 0.0, "explain": 0.0, "serialise": 0.0}
    batches: list[list[list[tuple[str, dict[str, Any]]]]] = []
    digests: list[str] = []
    out_bytes = 0
    with ExplainTimer() as et:
        for i, d in enumerate(cases):
            t0 = time.perf_counter()
            c = Case.model_validate(d)
            t1 = time.perf_counter()
            m0, e0 = tm.seconds, et.seconds
            tm.keep = i < a.match_cases
            tm.current = []
            rec = engine.evaluate(c)
            t2 = time.perf_counter()
            text = to_json(rec)
            t3 = time.perf_counter()
            if tm.keep:
                batches.append(tm.current)
            dm, de = tm.seconds - m0, et.seconds - e0
            stages["validate"] += t1 - t0
            stages["match"] += dm
            stages["explain"] += de
            stages["decide"] += (t2 - t1) - dm - de
            stages["serialise"] += t3 - t2
            digests.append(digest(text))
            out_bytes += len(text.encode())
    r["digests"] = digests
    r["out_bytes"] = out_bytes / len(cases)
    engine.matcher = inner
    total = sum(stages.values())
    r["stages_us"] = {k: v / len(cases) * 1e6 for k, v in stages.items()}
    r["stages_share"] = {k: v / total for k, v in stages.items()}

    # match only: the recorded fact batches replayed through the matcher
    n_m = min(len(batches), a.match_cases)
    per_case: list[tuple[float, int]] = []
    t = time.perf_counter()
    for calls in batches[:n_m]:
        t0 = time.perf_counter()
        fired = 0
        for b in calls:
            fired += sum(len(x) for x in engine.matcher.match(b))
        per_case.append((time.perf_counter() - t0, fired))
    r["match_us"] = (time.perf_counter() - t) / n_m * 1e6
    r["facts_per_case"] = sum(len(b) for calls in batches[:n_m] for b in calls) / n_m
    r["actions_per_case"] = sum(f for _, f in per_case) / n_m
    if a.backend == "durable" and len(per_case) > 10:
        xs = [f for _, f in per_case]
        ys = [s * 1e6 for s, _ in per_case]
        try:
            slope, intercept = statistics.linear_regression(xs, ys)
            r["durable_fixed_us"], r["durable_per_action_us"] = intercept, slope
        except statistics.StatisticsError:
            pass
    # the same batches, every rule of the stage tried (no index): the matching baseline
    base = Baseline(compiled)
    t = time.perf_counter()
    agree = 0
    for calls in batches[:n_m]:
        for b in calls:
            for stage, facts in b:
                base.match(stage, facts)
    r["match_brute_us"] = (time.perf_counter() - t) / n_m * 1e6
    # and the matcher must find exactly what trying every rule finds
    rule_stage = [(e.order, e.stage) for e in book.rules]
    checked = 0
    for calls in batches[: min(n_m, 200)]:
        for b in calls:
            got = engine.matcher.match(b)
            brute = [[o for o, s in rule_stage if s == st and compiled.predicates[o](f)] for st, f in b]
            checked += 1
            agree += got == brute
    r["match_checked"], r["match_agree"] = checked, agree

    # the plain-Python full baseline: validate → facts → every predicate → JSON of fired ids
    if a.backend == "python":
        for d in cases[:20]:
            base.run(d)
        rates = []
        sub = cases[: max(30, min(len(cases), 60_000 // max(1, len(book.rules))))]
        for _ in range(a.repeat):
            t = time.perf_counter()
            for d in sub:
                base.run(d)
            rates.append(len(sub) / (time.perf_counter() - t))
        r["baseline_rate"] = max(rates)

    # durable levers: what one long-lived state + retract and slim facts buy (each undone in turn)
    if a.backend == "durable" and a.lever:
        sample = batches[:n_m]
        for label, kw in (("fresh_state", {"fresh_state": True}), ("full_facts", {"full_facts": True})):
            try:
                alt = durable_variant(compiled, **kw)
            except Exception as exc:  # noqa: BLE001 - report, don't fail the run
                r[f"{label}_error"] = str(exc)[:200]
                continue
            for calls in sample[:10]:
                for b in calls:
                    alt.match(b)
            t = time.perf_counter()
            for calls in sample:
                for b in calls:
                    alt.match(b)
            r[f"{label}_match_us"] = (time.perf_counter() - t) / n_m * 1e6
            same = total_b = 0
            for calls in sample[:100]:
                for b in calls:
                    total_b += 1
                    same += alt.match(b) == engine.matcher.match(b)
            r[f"{label}_same"], r[f"{label}_checked"] = same, total_b
    r["peak_end_kib"] = peak_kib()
    return r


def task_flat(a: argparse.Namespace) -> dict[str, Any]:
    """Many cases through one engine (durable by default): throughput and RSS as it goes.
    With ``--seconds``, stops early when the time is up (``--quick`` must stay under a minute)."""
    _imports()
    from accountrules.cache import load_rulebook_cached
    from accountrules.engine import Engine
    from accountrules.models import Case
    from accountrules.render import to_json

    book = load_rulebook_cached(a.rules or None, cache_dir=a.cache_dir)
    engine = Engine(book, backend=a.backend)
    pool = generate_cases(book, 500, a.seed)
    for d in pool[:50]:
        to_json(engine.evaluate(Case.model_validate(d)))
    gc.collect()
    marks = []
    start = rss_kib()
    t = time.perf_counter()
    deadline = t + a.seconds if a.seconds else float("inf")
    step = max(1, a.cases // 20)
    done = 0
    for i in range(a.cases):
        d = pool[i % len(pool)]
        to_json(engine.evaluate(Case.model_validate(d)))
        done = i + 1
        if done % step == 0:
            marks.append(rss_kib())
            if time.perf_counter() > deadline:
                break
    el = time.perf_counter() - t
    return {"cases": done, "asked": a.cases, "rate": done / el, "rss_start_kib": start, "rss_marks_kib": marks,
            "rss_end_kib": rss_kib(), "peak_kib": peak_kib(), "seconds": el}


def task_scale(a: argparse.Namespace) -> dict[str, Any]:
    """batch.evaluate_many (models), evaluate_many_json and evaluate_jsonl with 1 and 2 processes."""
    _imports()
    from accountrules.batch import evaluate_jsonl, evaluate_many, evaluate_many_json
    from accountrules.cache import load_rulebook_cached
    from accountrules.engine import Engine

    book = load_rulebook_cached(a.rules or None, cache_dir=a.cache_dir)
    cases = generate_cases(book, a.cases, a.seed)
    warm = generate_cases(book, 300, a.seed + 1000)
    r: dict[str, Any] = {"cases": len(cases)}

    def engine_() -> Engine:
        """An engine warmed on other cases (forked python workers inherit its caches)."""
        e = Engine(book, backend=a.backend)
        evaluate_many_json(warm, engine=e, workers=1)
        return e

    def measure(key: str, fn: Callable[[], Any]) -> None:
        """Wall rate, and the CPU seconds of this process and of the workers (reaped at pool exit)."""
        gc.collect()
        t0, c0 = time.perf_counter(), os.times()
        out = fn()
        el, c1 = time.perf_counter() - t0, os.times()
        r[key] = len(cases) / el
        r[key + "_cpu_parent"] = (c1.user - c0.user) + (c1.system - c0.system)
        r[key + "_cpu_workers"] = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
        del out

    path = Path(a.cache_dir) / f"scale-{os.getpid()}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in cases)

    out_path = Path(a.cache_dir) / f"scale-{os.getpid()}.out.jsonl"

    def jsonl(w: int, e: Engine) -> None:
        """File → file, as ``accountrules evaluate FILE.jsonl --workers N > OUT`` runs (a real output
        file: writing it is part of the work, with one process as with two)."""
        with open(out_path, "w", encoding="utf-8") as out:
            probs = evaluate_jsonl(e, path, lang="zh", workers=w, out=out)
        if probs:
            raise RuntimeError(f"evaluate_jsonl reported problems: {probs[:3]}")

    # every run gets its own engine, warmed on other cases first (not timed); main() starts one
    # process per API and worker count (--api, --scale-workers), this loop serves a bare --child run
    apis = [a.api] if a.api else ["jsonl", "many", "json"]
    counts = [a.scale_workers] if a.scale_workers else [1, 2]
    runs = {"jsonl": jsonl,
            "many": lambda w, e: evaluate_many(cases, engine=e, workers=w),
            "json": lambda w, e: evaluate_many_json(cases, engine=e, workers=w)}
    for k in apis:
        for w in counts:
            e = engine_()
            measure(f"{k}_{w}", lambda w=w, e=e, k=k: runs[k](w, e))
    _scale_ratios(r)
    path.unlink()
    out_path.unlink(missing_ok=True)
    return r


def _scale_ratios(r: dict[str, Any]) -> None:
    """What two free cores would give: the one-process CPU cost against the two-process total
    (parent + workers) shared by 2 cores — robust to other load on the machine."""
    for k in ("jsonl", "many", "json"):
        if f"{k}_1_cpu_parent" in r and f"{k}_2_cpu_parent" in r:
            one = r[f"{k}_1_cpu_parent"]
            two = r[f"{k}_2_cpu_parent"] + r[f"{k}_2_cpu_workers"]
            r[f"{k}_cpu_ratio"] = 2 * one / max(two, 1e-9)


TASKS = {"pipeline": task_pipeline, "flat": task_flat, "scale": task_scale}


def child_main(a: argparse.Namespace) -> None:
    try:
        out = TASKS[a.child](a)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the parent's table
        import traceback

        out = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
    sys.stdout.write("\n@@RESULT@@" + json.dumps(out) + "\n")


def run_child(task: str, *, rules: str | None, backend: str, cases: int, seed: int, cache_dir: str,
              timeout: float = 600, **extra: Any) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", task, "--backend", backend, "--cases",
           str(cases), "--seed", str(seed), "--cache-dir", cache_dir]
    if rules:
        cmd += ["--rules", rules]
    for k, v in extra.items():
        flag = "--" + k.replace("_", "-")
        if v is True:
            cmd.append(flag)
        elif v not in (False, None):
            cmd += [flag, str(v)]
    env = {**os.environ, "ACCOUNTRULES_CACHE_DIR": cache_dir, "PYTHONHASHSEED": "0"}
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("@@RESULT@@"):
            out: dict[str, Any] = json.loads(line[len("@@RESULT@@"):])
            out["wall_s"] = wall
            return out
    tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"error": f"child exited {p.returncode}: {tail}", "wall_s": wall}


# --------------------------------------------------------------------------- printing


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.0f} ms" if x >= 0.0995 else f"{x * 1000:.1f} ms"


def fmt_rate(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}/s"


def fmt_mib(kib: float | None) -> str:
    return "—" if not kib else f"{kib / 1024:.0f} MiB"


def table(headers: list[str], rows: list[list[str]]) -> str:
    w = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i])
                                           for i, c in enumerate(cells)) + " |"
    return "\n".join([line(headers), "|" + "|".join("-" * (x + 2) for x in w) + "|"] + [line(r) for r in rows])


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "MISSED")


# --------------------------------------------------------------------------- parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a smaller run (< 60 s on 2 cores)")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="generated rulebook sizes (rules)")
    ap.add_argument("--cases", type=int, default=None, help="cases per rulebook and backend")
    ap.add_argument("--flat-cases", type=int, default=None, help="cases for the durable flat-memory run")
    ap.add_argument("--no-default", action="store_true", help="skip the bundled default rulebook")
    ap.add_argument("--json", help="also write all figures to this file")
    ap.add_argument("--profile", action="store_true", help="cProfile the python pipeline on the default rulebook")
    ap.add_argument("--seed", type=int, default=6)
    # child mode (internal)
    ap.add_argument("--child", choices=sorted(TASKS), help=argparse.SUPPRESS)
    ap.add_argument("--rules", help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="python", help=argparse.SUPPRESS)
    ap.add_argument("--cache-dir", help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--match-cases", type=int, default=300, help=argparse.SUPPRESS)
    ap.add_argument("--stage-cases", type=int, default=300, help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--lever", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--api", choices=["jsonl", "many", "json"], help=argparse.SUPPRESS)
    ap.add_argument("--scale-workers", type=int, choices=[1, 2], help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child_main(a)
        return 0
    if a.profile:
        return profile(a)
    return parent(a)


def profile(a: argparse.Namespace) -> int:
    import cProfile
    import pstats

    _imports()
    from accountrules.engine import Engine
    from accountrules.models import Case
    from accountrules.render import to_json
    from accountrules.rules import load_rulebook

    book = load_rulebook(None if not a.rules else a.rules)
    engine = Engine(book, backend=a.backend)
    cases = generate_cases(book, a.cases or 2000, a.seed)

    def run() -> None:
        for d in cases:
            to_json(engine.evaluate(Case.model_validate(d)))

    run()
    prof = cProfile.Profile()
    prof.runcall(run)
    st = pstats.Stats(prof)
    st.sort_stats("tottime").print_stats(30)
    st.sort_stats("cumulative").print_stats(40)
    return 0


def parent(a: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    quick = a.quick
    n_cases = a.cases or (300 if quick else 3000)
    n_flat = a.flat_cases or (20_000 if quick else 100_000)
    flat_seconds = 10.0 if quick else 0.0
    n_scale = 2000 if quick else 6000
    repeat = 1 if quick else 2
    sizes = [int(x) for x in a.sizes.split(",") if x.strip()]
    mc = 100 if quick else 600
    info = machine()
    print(f"accountrules benchmark ({'quick' if quick else 'full'}) — {dt.datetime.now():%Y-%m-%d %H:%M}")
    load = f"; load average at start {info['load_avg'][0]:.2f}" if info["load_avg"] else ""
    print(f"machine: {info['nproc']} CPUs ({info['affinity']} usable), {info['cpu']}, {info['mem_mib']:,} MiB RAM; "
          f"Python {info['python']}, pydantic {info['pydantic']}, durable-rules {info['durable_rules']}{load}")
    print(f"workload: {n_cases} synthetic cases (1-6 persons, 1-3 findings, seed {a.seed}) per rulebook and backend;"
          " each row runs in a fresh process")
    print()
    tmp = Path(tempfile.mkdtemp(prefix="accountrules-bench-"))
    results: dict[str, Any] = {"machine": info, "quick": quick, "cases": n_cases, "rulebooks": {}}
    try:
        books: list[tuple[str, str | None]] = []
        if not a.no_default:
            books.append(("default", None))
        for n in sizes:
            d = tmp / f"gen-{n}"
            d.mkdir()
            exact = generate_rulebook(n, d)
            books.append((f"gen-{exact}", str(d)))
        for name, path in books:
            entry: dict[str, Any] = {}
            cache = tmp / f"cache-{name}"  # shared by the two rows: durable loads from the cache
            cache.mkdir()
            for backend in ("python", "durable"):
                entry[backend] = run_child("pipeline", rules=path, backend=backend, cases=n_cases, seed=a.seed,
                                           cache_dir=str(cache), repeat=repeat, match_cases=mc,
                                           lever=(name == "default" or name == f"gen-{max(sizes, default=0)}"))
                err = entry[backend].get("error")
                print(f"  {name:>10} {backend:<8} " + (f"error: {err}" if err else
                      f"{fmt_rate(entry[backend]['rate'])} ({entry[backend]['wall_s']:.1f} s)"), flush=True)
                if err and backend == "python":
                    break
            results["rulebooks"][name] = entry
        default_ok = "default" in results["rulebooks"] and "error" not in results["rulebooks"]["default"]["python"]
        ref_name, ref_path = ("default", None) if default_ok else (books[-1] if books else ("", None))
        shared = tmp / "cache-ref"
        shared.mkdir()
        print(f"  flat memory: durable, up to {n_flat:,} cases on '{ref_name}'"
              + (f" (at most {flat_seconds:.0f} s)" if flat_seconds else "") + " …", flush=True)
        results["flat"] = run_child("flat", rules=ref_path, backend="durable", cases=n_flat, seed=a.seed + 1,
                                    cache_dir=str(shared), seconds=flat_seconds or None, timeout=3600)
        print(f"  scaling: 1 vs 2 worker processes on '{ref_name}' …", flush=True)
        results["scale"] = {}
        for backend in ("python",) if quick else ("python", "durable"):
            # each API and worker count in a fresh process, as a batch job runs: forked workers
            # copy the parent's address space, so what an earlier run left behind would weigh on them
            merged: dict[str, Any] = {}
            for api in ("jsonl", "many", "json"):
                for w in (1, 2):
                    got = run_child("scale", rules=ref_path, backend=backend, cases=n_scale, seed=a.seed + 2,
                                    cache_dir=str(shared), api=api, scale_workers=w)
                    if "error" in got:
                        merged = got
                        break
                    merged.update(got)
                if "error" in merged:
                    break
            _scale_ratios(merged)
            results["scale"][backend] = merged
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["elapsed_s"] = time.perf_counter() - t_start
    results["load_avg_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    ok = report(results)
    if a.json:
        slim = copy.deepcopy(results)
        for e in slim["rulebooks"].values():
            for b in e.values():
                b.pop("digests", None)
        Path(a.json).write_text(json.dumps(slim, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if ok else 1


def report(res: dict[str, Any]) -> bool:
    books = res["rulebooks"]
    print()
    print("## Load (ms; a fresh process per rulebook)")
    rows = []
    for name, e in books.items():
        p = e.get("python", {})
        d = e.get("durable", {})
        if "error" in p:
            rows.append([name, "error: " + p["error"][:70]] + [""] * 7)
            continue
        rows.append([name, str(p["rules"]), str(p["durable_rules"]), fmt_s(p["import_s"]), fmt_s(p["load_cold_s"]),
                     fmt_s(p["cache_hit_s"]), fmt_s(p["cache_key_s"] + p["cache_write_s"]), fmt_s(p["compile_s"]),
                     fmt_s(p["engine_s"]) + " / " + (fmt_s(d.get("engine_s")) if d and "error" not in d else "error")])
    print(table(["rulebook", "rules", "durable rules", "import", "load cold", "cache hit", "cache write",
                 "compile", "Engine() python / durable"], rows))
    print("(load cold: the first load_rulebook in a fresh process (YAML, validation, citation checks); cache hit:\n"
          " load_rulebook_cached from the sha256-keyed pickle, key included; Engine() includes compile, and for\n"
          " durable its ruleset and the first-time compile check in a watchdog subprocess)")

    print()
    print("## Throughput: validated input → JSON out, one process")
    rows = []
    for name, e in books.items():
        p = e.get("python", {})
        if "error" in p:
            continue
        for backend in ("python", "durable"):
            r = e.get(backend, {})
            if not r:
                continue
            if "error" in r:
                rows.append([name, backend, "error: " + r["error"][:70]] + [""] * 8)
                continue
            ratio = r["rate"] / p["baseline_rate"] if p.get("baseline_rate") else None
            rows.append([name, backend, fmt_rate(r["rate"]), fmt_rate(r["cpu_rate"]), fmt_rate(p.get("baseline_rate")),
                         f"{ratio:.2f}×" if ratio else "—", f"{r['match_us']:.0f}", f"{p['match_brute_us']:.0f}",
                         f"{r['actions_per_case']:.1f}", f"{r['out_bytes'] / 1024:.0f} KiB", fmt_mib(r["peak_kib"])])
    print(table(["rulebook", "backend", "cases/s", "per CPU-s", "baseline/s", "ratio", "match µs/case",
                 "brute µs/case", "matches/case", "JSON/case", "peak RSS"], rows))
    print("(baseline: a plain-Python evaluator in the same run — validate, build the facts, try every compiled\n"
          " predicate, JSON of the fired rule ids; ratio = cases/s ÷ baseline/s. match: the recorded fact batches\n"
          " replayed through the matcher; brute: the same batches with every rule of the stage tried, no index;\n"
          " peak RSS: the row's process after the throughput pass, which keeps nothing. The engine is warmed on\n"
          " 300 other cases (another seed) first: figures are steady-state, as in a batch worker)")

    print()
    print("## Share of time per stage (instrumented pass; µs per case)")
    rows = []
    for name, e in books.items():
        for backend in ("python", "durable"):
            r = e.get(backend, {})
            if "error" in r or not r:
                continue
            s, u = r["stages_share"], r["stages_us"]
            rows.append([name, backend] + [f"{s[k]:.0%} ({u[k]:.0f})" for k in
                                           ("validate", "match", "decide", "explain", "serialise")])
    print(table(["rulebook", "backend", "validate", "match", "decide", "explain", "serialise"], rows))

    print()
    print("## durable-rules levers")
    rows = []
    for name, e in books.items():
        d = e.get("durable", {})
        if "error" in d or not d:
            continue
        fresh = d.get("fresh_state_match_us")
        full = d.get("full_facts_match_us")
        same = all(d.get(f"{k}_same") == d.get(f"{k}_checked") for k in ("fresh_state", "full_facts")
                   if f"{k}_checked" in d)
        rows.append([name, f"{d['facts_per_case']:.1f}", f"{d['actions_per_case']:.1f}",
                     f"{d.get('durable_fixed_us', 0):.0f}", f"{d.get('durable_per_action_us', 0):.1f}",
                     f"{d['match_us']:.0f}", f"{fresh:.0f} ({fresh / d['match_us']:.2f}×)" if fresh else "—",
                     f"{full:.0f} ({full / d['match_us']:.2f}×)" if full else "—",
                     ("yes" if same else "NO") if fresh or full else "—"])
    print(table(["rulebook", "facts/case", "matches/case", "fixed µs/case", "µs/match", "ours µs/case",
                 "fresh state per case", "all fact properties", "same matches"], rows))
    print("(ours: one long-lived state whose facts are retracted, only the properties rules test, actions read\n"
          " straight from the binding. fixed and per-match cost: least squares of each case's match time on its\n"
          " number of matches. The last two columns undo one choice each: a fresh state per case (deleted after),\n"
          " or every fact property asserted; same matches: checked against ours on 100 cases)")

    flat = res.get("flat", {})
    print()
    if "error" in flat:
        print(f"## Flat memory (durable): error: {flat['error']}")
    elif flat:
        marks = " → ".join(f"{k / 1024:.0f}" for k in [flat["rss_start_kib"]] + flat["rss_marks_kib"][1::2])
        boxed = "" if flat["cases"] >= flat["asked"] else f" (time-boxed: {flat['cases']:,} of {flat['asked']:,})"
        print(f"## Flat memory (durable, full pipeline, {flat['cases']:,} cases{boxed}): {fmt_rate(flat['rate'])}; "
              f"RSS MiB every 10%: {marks}")

    scale = res.get("scale", {})
    print()
    print("## Scaling over processes (accountrules.batch; ×2 ÷ ×1)")
    rows = []
    for backend, sc in scale.items():
        if "error" in sc:
            rows.append([backend, "error: " + sc["error"][:70]] + [""] * 4)
            continue
        for k, label in (("many", "evaluate_many (models)"), ("json", "evaluate_many_json"),
                         ("jsonl", "evaluate_jsonl")):
            rows.append([backend, label, fmt_rate(sc[f"{k}_1"]), fmt_rate(sc[f"{k}_2"]),
                         f"{sc[f'{k}_2'] / sc[f'{k}_1']:.2f}×", f"{sc[f'{k}_cpu_ratio']:.2f}×"])
    print(table(["backend", f"{next(iter(scale.values()), {}).get('cases', '')} cases", "1 process", "2 workers",
                 "wall ratio", "CPU ratio"], rows))
    print("(models: Recommendation objects, rebuilt in the parent from accountrules.transport's encoding;\n"
          " evaluate_many_json: to_json text rendered in the workers, joined in the parent; evaluate_jsonl:\n"
          " file → file. Each API and worker count runs in a fresh process, with an engine warmed on 300 other\n"
          " cases first. CPU ratio: 2 × CPU-s of one process ÷ CPU-s of parent + workers — what two otherwise idle\n"
          " cores give, whatever else runs)")

    # agreement
    print()
    total = 0
    mismatches: list[str] = []
    for name, e in books.items():
        p, d = e.get("python", {}), e.get("durable", {})
        if "digests" not in p or "digests" not in d:
            continue
        for i, (x, y) in enumerate(zip(p["digests"], d["digests"], strict=True)):
            total += 1
            if x != y:
                mismatches.append(f"{name} case #{i}")
        for b in (p, d):
            if b.get("match_agree") is not None:
                pass
    print(f"## Agreement: {total - len(mismatches)}/{total} benchmark cases give identical JSON on both backends"
          + ("" if not mismatches else f" — MISMATCH: {', '.join(mismatches[:10])}"))

    # targets
    print()
    print("## Targets")
    dflt = books.get("default", {})
    pyd, dud = dflt.get("python", {}), dflt.get("durable", {})
    rows = []

    def add(what: str, value: str, ok: bool | None) -> None:
        rows.append([what, value, verdict(ok)])

    if "rate" in pyd:
        add("python ≥ 10,000 recommendations/s (default rulebook)",
            f"{pyd['cpu_rate']:,.0f} per CPU-s, {pyd['rate']:,.0f}/s wall ({pyd['rate'] / pyd['baseline_rate']:.2f}×"
            " baseline)", pyd["cpu_rate"] >= 10_000)
    else:
        add("python ≥ 10,000 recommendations/s (default rulebook)", "default rulebook not measured", None)
    if "rate" in dud:
        add("durable ≥ 1,000 recommendations/s (default rulebook)",
            f"{dud['cpu_rate']:,.0f} per CPU-s, {dud['rate']:,.0f}/s wall ({dud['rate'] / pyd['baseline_rate']:.2f}×"
            " baseline)", dud["cpu_rate"] >= 1_000)
    if flat and "error" not in flat:
        growth = (flat["rss_end_kib"] - flat["rss_marks_kib"][0]) / 1024 if flat["rss_marks_kib"] else 0
        add(f"durable memory flat over {flat['cases']:,} cases", f"RSS {flat['rss_start_kib'] / 1024:.0f} → "
            f"{flat['rss_end_kib'] / 1024:.0f} MiB ({growth:+.1f} MiB after the first 5%)", growth < 5)
    gens = sorted(((e["python"]["rules"], e) for n, e in books.items() if n.startswith("gen-")
                   and "error" not in e.get("python", {})), key=lambda x: x[0])
    if len(gens) >= 2:
        for backend in ("python", "durable"):
            (n0, e0), (n1, e1) = gens[0], gens[-1]
            if "error" in e0.get(backend, {}) or "error" in e1.get(backend, {}):
                continue
            m0, m1 = e0[backend]["match_us"], e1[backend]["match_us"]
            grow = m1 / m0
            add(f"{backend}: match cost grows < linearly with rules ({n0} → {n1} rules, ×{n1 / n0:.0f})",
                f"{m0:.0f} → {m1:.0f} µs/case (×{grow:.2f})", grow < n1 / n0)
    if "load_cold_s" in pyd:
        add("default rulebook loads < 200 ms cold", fmt_s(pyd["load_cold_s"]), pyd["load_cold_s"] < 0.2)
        add("default rulebook loads < 20 ms from the cache", fmt_s(pyd["cache_hit_s"]), pyd["cache_hit_s"] < 0.02)
    for backend, sc in scale.items():
        if "error" not in sc:
            for k, label in (("many", "evaluate_many, models"), ("json", "evaluate_many_json"),
                             ("jsonl", "evaluate_jsonl")):
                ratio = sc[f"{k}_2"] / sc[f"{k}_1"]
                add(f"two processes ≥ 1.7× one ({backend}, {label})",
                    f"{ratio:.2f}× wall, {sc[f'{k}_cpu_ratio']:.2f}× CPU", max(ratio, sc[f"{k}_cpu_ratio"]) >= 1.7)
    add("the two backends agree on every benchmark case", f"{total - len(mismatches)}/{total}",
        not mismatches and total > 0)
    print(table(["target", "measured", ""], rows))
    end = res.get("load_avg_end")
    print(f"\n(total {res['elapsed_s']:.0f} s" + (f"; load average at the end {end:.2f}" if end is not None else "")
          + ")")
    return not mismatches


if __name__ == "__main__":
    sys.exit(main())
