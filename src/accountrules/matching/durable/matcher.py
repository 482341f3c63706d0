"""The durable-rules backend: :class:`DurableMatcher`.

This package (``accountrules.matching.durable``) is the **only** place that imports durable-rules. What durable does that we design around
(see ``docs/architecture.md``):

* facts are *asserted* (a posted event is consumed by the first rule it matches), through the
  binding ``assert_facts`` + ``do_actions`` (``Host.assert_facts`` loses the actions of a batch
  when one fact matches nothing);
* one long-lived state per rulebook whose facts are retracted in ``finally`` — no state is ever
  created per case (1,024-state cap, O(rules) creation cost) or deleted (the segfault on a fresh
  state is also avoided by firing a warm-up rule once at load time);
* one ``Host`` subclass without polling threads per rulebook, a unique ruleset name each time
  (durable's registry is global);
* a lock around every call (durable is not thread-safe);
* compilation checked in a subprocess under a timeout the first time a rulebook is seen
  (``create_ruleset`` can loop forever), cached by the hash of the compiled definitions;
* durable's bare numeric error codes become :class:`~accountrules.errors.RuleFileError` /
  :class:`~accountrules.errors.EngineFailure` pointing at our rule.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from typing import Any

from ..._version import __version__
from ...diagnostics import Diagnostic
from ...errors import EngineFailure, RuleFileError, UnsupportedPython
from ...rules.cache import default_cache_dir
from ..compile import CompiledRulebook
from ..protocol import Backend, FactBatch
from .numbers import clamp, numeric_paths
from .translate import durable_key, length_key

DURABLE_ERRORS = {
    101: "out of memory in the rules engine",
    102: "a rule's condition could not be parsed",
    103: "a rule's condition uses an unknown operator",
    106: "too many rules (durable-rules accepts at most 4,096)",
    107: "too many alternatives ($or) under one condition node (at most 128)",
    202: "an unsupported condition expression",
    301: "the durable state could not be found",
}


_WATCHDOG_SCRIPT = r"""
import json, sys
from durable import engine
class H(engine.Host):
    def _run(self): pass
defs = json.load(open(sys.argv[1], encoding="utf-8"))
for d in defs.values():
    d["run"] = lambda c: None
H().register_rulesets({"watchdog": defs})
print("ok")
"""


def _durable_json(compiled: CompiledRulebook) -> dict[str, Any]:
    return {r.name: {"all": [{"m": r.expr}]} for r in compiled.durable_rules}


def check_compiles(compiled: CompiledRulebook, timeout: float = 60.0) -> None:
    """Compile the durable definitions in a subprocess under a timeout (cached when it passed).

    Raises:
        RuleFileError: durable-rules hung or failed on this rulebook.
    """
    defs = _durable_json(compiled)
    blob = json.dumps(defs, sort_keys=True, ensure_ascii=False).encode()
    digest = hashlib.sha256(blob + __version__.encode()).hexdigest()
    cache = default_cache_dir()
    marker = cache / f"durable-ok-{digest[:32]}" if cache else None
    if marker is not None and marker.exists():
        return
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as fh:
        fh.write(blob)
        name = fh.name
    try:
        proc = subprocess.run([sys.executable, "-c", _WATCHDOG_SCRIPT, name], capture_output=True, text=True, check=False,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuleFileError([Diagnostic("compile-hang", f"durable-rules did not finish compiling this rulebook "
                                        f"within {timeout:.0f} s (its compiler can loop forever on some "
                                        "condition shapes). Use backend='python' or simplify the rules.",
                                        compiled.rulebook.manifest.span)]) from None
    finally:
        os.unlink(name)
    if proc.returncode != 0 or "ok" not in proc.stdout:
        detail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuleFileError([Diagnostic("compile-failed", f"durable-rules could not compile this rulebook: "
                                        f"{_translate(detail)}", compiled.rulebook.manifest.span)])
    if marker is not None:
        try:
            marker.write_text("ok\n")
        except OSError:
            pass


def _translate(message: str) -> str:
    for code, words in DURABLE_ERRORS.items():
        if f"error code: {code}" in message or message.strip().endswith(str(code)):
            return f"{words} (durable error {code})"
    return message


# the head of an action message: the durable rule's name and the id of the fact it matched
_ACTION_HEAD = re.compile(r'\{"([A-Za-z0-9_.#-]+)":\{"m":\{"sid": "\d+", "id": "(\d+)"')


class DurableMatcher:
    """durable-rules as a matcher: one long-lived state, facts asserted then retracted."""

    backend: Backend = "durable"
    _names = itertools.count(1)

    def __init__(self, compiled: CompiledRulebook, *, watchdog: bool = True) -> None:
        if sys.version_info >= (3, 13):
            raise UnsupportedPython("durable-rules does not import on Python 3.13+; use the python backend "
                                    "(the default there: same recommendations), or Python 3.11 or 3.12.")
        try:
            import durable_rules_engine as dre
            from durable import engine as durable_engine
        except ImportError as exc:  # pragma: no cover - installation problem
            raise UnsupportedPython(f"durable-rules is not importable here: {exc}") from None
        if compiled.durable_problems:
            raise RuleFileError(compiled.durable_problems)
        if watchdog:
            check_compiles(compiled)
        self._dre = dre
        self._lock = threading.Lock()
        self._hits: list[tuple[int, int]] = []
        self._ids = itertools.count()
        # only the properties that some rule of the fact's stage tests travel to durable: less JSON
        # to build, for durable to parse, and to read back in every action message
        self._stage_keys = {
            stage: ([(p, durable_key(p)) for p in paths],
                    [(p, length_key(p)) for p in paths if p in compiled.list_paths],
                    [(p, durable_key(p)) for p in numeric_paths(paths)])
            for stage, paths in compiled.stage_paths.items()}

        class _QuietHost(durable_engine.Host):  # type: ignore[misc]
            def _run(self) -> None:  # no polling threads for a synchronous library
                pass

        self._rule_index = {r.name: r.rule_index for r in compiled.durable_rules}
        self._always = compiled.unconditional  # rules without a condition match every fact of their stage

        def noop(c: Any) -> None:  # actions are consumed in _run_batch; durable requires a callable
            pass

        defs: dict[str, Any] = {r.name: {"all": [{"m": r.expr}], "run": noop} for r in compiled.durable_rules}
        defs["__warmup__"] = {"all": [{"m": {"kind": "__warmup__"}}], "run": lambda c: None}
        self._name = f"accountrules_{compiled.rulebook.sha256[:12]}_{next(self._names)}"
        host = _QuietHost()
        try:
            host.register_rulesets({self._name: defs})
        except Exception as exc:  # noqa: BLE001 - durable raises bare errors with numeric codes
            raise RuleFileError([Diagnostic("compile-failed", "durable-rules could not compile this rulebook: "
                                            f"{_translate(str(exc))}", compiled.rulebook.manifest.span)]) from None
        self._host = host
        self._ruleset = host.get_ruleset(self._name)
        self._handle = self._ruleset._handle
        # segfault guard: run one action in the state before anything else happens in it
        self._run_batch([{"sid": "0", "id": "warmup", "kind": "__warmup__", "n": -1}])

    def _encode(self, stage: str, facts: Mapping[str, Any], n: int, uid: int) -> dict[str, Any] | None:
        """The fact as durable sees it, or None when no durable rule of its stage could match it."""
        keys = self._stage_keys.get(stage)
        if keys is None:
            return None
        # the action loop reads "sid" and "id" at the head of each message: keep them first
        out: dict[str, Any] = {"sid": "0", "id": f"{uid}", "kind": stage, "n": n}
        for p, key in keys[0]:
            if p in facts:
                out[key] = facts[p]
        for p, key in keys[1]:
            if p in facts:
                out[key] = len(facts[p])
        for p, key in keys[2]:  # numbers durable would crash on become an exact stand-in (numbers.py)
            if key in out:
                out[key] = clamp(out[key])
        return out

    def _run_batch(self, batch: list[dict[str, Any]]) -> None:
        """Assert a batch, consume every action it produced, retract it.

        Actions are consumed straight from the binding (``start_action_for_state`` /
        ``complete_and_start_action``): each message names the durable rule that matched and the
        fact it matched. This is what ``Ruleset.do_actions`` does underneath, without building a
        promise chain, a closure and a state round trip per match (4x faster, same matches —
        pinned by the differential property and ``tests/test_engine.py``).
        """
        dre = self._dre
        handle = self._handle
        payload = json.dumps(batch, ensure_ascii=False)
        try:
            code, state = dre.assert_facts(handle, payload)
            if code not in (0, 1):
                raise EngineFailure(f"durable-rules refused the facts: {_translate(f'error code: {code}')}")
            self._consume_actions(state)
        except EngineFailure:
            raise
        except MemoryError:
            raise EngineFailure("durable-rules ran out of states (it caps live states at 1,024).") from None
        except Exception as exc:  # noqa: BLE001 - durable raises bare errors with numeric codes
            raise EngineFailure(f"durable-rules failed: {_translate(str(exc))}") from None
        finally:
            try:
                dre.retract_facts(handle, payload)
            except Exception:  # noqa: BLE001, S110  # pragma: no cover - defensive: the facts were never asserted
                pass

    def _consume_actions(self, state: int) -> None:
        """Record (fact id, rule index) for every action pending in ``state``.

        A message is ``{"RULE":{"m":{FACT}}}`` with the fact as we wrote it, so the rule name and
        the fact's id are read from its head without parsing the rest (the fact is most of the
        message, and json.loads of it was the largest cost of the whole durable path). Anything
        else is parsed in full.
        """
        dre, handle, index, hits = self._dre, self._handle, self._rule_index, self._hits
        head = _ACTION_HEAD.match
        result = dre.start_action_for_state(handle, state)
        message = result[1] if result else None
        while message:
            found = head(message)
            if found is not None:
                rule = index.get(found[1])
                if rule is not None:
                    hits.append((int(found[2]), rule))
            else:
                for name, body in json.loads(message).items():
                    fact = body.get("m", body) if isinstance(body, dict) else {}
                    rule = index.get(name)
                    if rule is not None and isinstance(fact, dict) and "id" in fact:
                        hits.append((int(fact["id"]), rule))
            message = dre.complete_and_start_action(handle, state)

    def match(self, batch: FactBatch) -> list[list[int]]:
        """Assert the facts, collect the actions, retract — under one lock."""
        with self._lock:
            self._hits.clear()
            base = next(self._ids) * 100_000
            encoded = [e for n, (stage, f) in enumerate(batch)
                       if (e := self._encode(stage, f, n, base + n)) is not None]
            try:
                if encoded:
                    self._run_batch(encoded)
                out: list[set[int]] = [set(self._always.get(stage, ())) for stage, _ in batch]
                for uid, idx in self._hits:
                    n = uid - base
                    if 0 <= n < len(out):
                        out[n].add(idx)
            finally:
                self._hits.clear()
        return [sorted(s) for s in out]
