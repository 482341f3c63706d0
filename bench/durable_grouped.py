"""Does grouping durable rules cut the number of Python actions? (issue #6, "the durable path").

durable-rules' cost is per action: every match crosses from C to Python. Issue #6 suggests one
action per *group* of rules that records which of them matched. In durable the natural way to
write that is one rule whose condition is ``any`` of the group's conditions. This script measures
it on the default rulebook (or ``--rules DIR``): the engine's own durable rules, then the same
rules in groups of ``k`` (one ``any`` rule per group), over the same recorded fact batches:

* actions: how many messages durable hands to Python;
* µs/case: assert, consume every action, retract;
* same matches: whether the (fact, rule) pairs read from the grouped actions equal ours.

Each variant runs in its own subprocess with a timeout, because durable can loop forever while
asserting facts into some rulesets (it did with groups of 64). Run: ``python bench/durable_grouped.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _child(group: int, rules_dir: str | None, cases: int, seed: int) -> dict[str, Any]:
    import durable_rules_engine as dre
    import run as bench  # type: ignore[import-not-found]
    from durable import engine as durable_engine

    from accountrules import Engine, load_rulebook
    from accountrules.rules.compile import compile_rulebook

    book = load_rulebook(rules_dir)
    engine = Engine(book, backend="durable")
    matcher = engine.matcher
    durable_rules = compile_rulebook(book).durable_rules

    batches: list[Any] = []
    original = matcher.match

    def record(batch: Any) -> Any:
        batches.append(batch)
        return original(batch)

    matcher.match = record  # type: ignore[method-assign]
    for c in bench.generate_cases(book, cases, seed):
        engine.evaluate(c)

    class Host(durable_engine.Host):  # type: ignore[misc]
        def _run(self) -> None:
            pass

    def noop(c: Any) -> None:
        pass

    owner: dict[tuple[str, str], int] = {}  # (durable rule, alternative) → our rule index
    if group <= 1:
        defs: dict[str, Any] = {r.name: {"all": [{"m": r.expr}], "run": noop} for r in durable_rules}
        for r in durable_rules:
            owner[(r.name, "m")] = r.rule_index
    else:
        defs = {}
        for g in range(0, len(durable_rules), group):
            members = durable_rules[g:g + group]
            defs[f"g{g}"] = {"any": [{f"a{i}": r.expr} for i, r in enumerate(members)], "run": noop}
            for i, r in enumerate(members):
                owner[(f"g{g}", f"a{i}")] = r.rule_index
    defs["__warmup__"] = {"all": [{"m": {"kind": "__warmup__"}}], "run": noop}
    host = Host()
    name = f"grouped_{group}_{os.getpid()}"
    host.register_rulesets({name: defs})
    handle = host.get_ruleset(name)._handle

    def run_batch(facts: list[dict[str, Any]]) -> list[str]:
        payload = json.dumps(facts, ensure_ascii=False)
        _code, state = dre.assert_facts(handle, payload)
        messages = []
        result = dre.start_action_for_state(handle, state)
        message = result[1] if result else None
        while message:
            messages.append(message)
            message = dre.complete_and_start_action(handle, state)
        dre.retract_facts(handle, payload)
        return messages

    run_batch([{"sid": "0", "id": "warmup", "kind": "__warmup__", "n": -1}])  # durable's segfault guard
    encoded = []
    uid = 0
    for batch in batches:
        facts = []
        for n, (stage, f) in enumerate(batch):
            uid += 1
            e = matcher._encode(stage, f, n, uid)
            if e is not None:
                facts.append(e)
        if facts:
            encoded.append(facts)
    actions = 0
    pairs: set[tuple[str, int]] = set()
    t = time.perf_counter()
    for facts in encoded:
        actions += len(run_batch(facts))
    seconds = time.perf_counter() - t
    for facts in encoded:  # again, untimed, to read which rule matched which fact
        for message in run_batch(facts):
            for rule, body in json.loads(message).items():
                for alternative, fact in body.items():
                    pairs.add((fact["id"], owner[(rule, alternative)]))
    return {"actions": actions, "us_per_case": seconds / cases * 1e6, "pairs": sorted(pairs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", help="rulebook directory (default: the bundled one)")
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--groups", default="1,4,8,16,64", help="group sizes (1: one durable rule per action, ours)")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child is not None:
        sys.stdout.write(json.dumps(_child(a.child, a.rules, a.cases, a.seed)))
        return
    print(f"durable-rules, one rule per action vs one `any` rule per group ({a.cases} cases, seed {a.seed})")
    print("| group size | actions | µs/case | same matches as ours |")
    print("|---|---:|---:|---|")
    ours: dict[str, Any] | None = None
    for k in (int(x) for x in a.groups.split(",")):
        cmd = [sys.executable, __file__, "--child", str(k), "--cases", str(a.cases), "--seed", str(a.seed)]
        if a.rules:
            cmd += ["--rules", a.rules]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout, check=False)
        except subprocess.TimeoutExpired:
            print(f"| {k} | — | — | durable did not finish within {a.timeout:.0f} s (it loops while asserting) |")
            continue
        if p.returncode != 0:
            print(f"| {k} | — | — | failed (exit {p.returncode}): {p.stderr.strip().splitlines()[-1:]} |")
            continue
        r = json.loads(p.stdout)
        if k <= 1:
            ours = r
        same = "—" if ours is None or k <= 1 else ("yes" if r["pairs"] == ours["pairs"] else "no")
        ratio = f" ({r['actions'] / ours['actions']:.2f}×)" if ours and k > 1 else ""
        print(f"| {k}{' (ours)' if k <= 1 else ''} | {r['actions']:,}{ratio} | {r['us_per_case']:.0f} | {same} |")


if __name__ == "__main__":
    main()
