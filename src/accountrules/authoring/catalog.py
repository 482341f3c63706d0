"""The rulebook as a catalogue: definitions, categories and items, ladder, circumstances, rules —
each with its citations — as JSON (contract §3) or Markdown (``docs/catalog.*.md``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..contract.models import Citation
from ..language.facts import FACTS
from ..output.render import cite_text
from ..rules import schema as rb
from ..rules.validate import Rulebook


def _cits(book: Rulebook, specs: Sequence[rb.CitationSpec], lang: str = "zh") -> list[dict[str, Any]]:
    """Each citation as data, with ``text``: the citation as a recommendation prints it (the case
    renderer's :func:`~accountrules.output.render.cite_text`: 参照 for an analogue, no "unknown" version,
    施行日期不详 for a binding text whose in-force dates are unknown)."""
    out = []
    for c in specs:
        inst = book.instruments[c.instrument]
        version = c.version or inst.version
        analogue = inst.analogue if c.analogue is None else c.analogue
        in_force = None if inst.in_force_from is None and inst.in_force_until is None else True
        d: dict[str, Any] = {"instrument": inst.name, "article": c.article, "version": version}
        if c.quote:
            d["quote"] = c.quote
        d["reliability"] = inst.reliability
        d["analogue"] = analogue
        d["date"] = c.basis
        d["text"] = cite_text(Citation(instrument=inst.name, article=c.article,
                                       version="" if version in (None, "unknown") else version,
                                       analogue=analogue, in_force=in_force), lang)
        out.append(d)
    return out


def catalog_dict(book: Rulebook, lang: str = "zh") -> dict[str, Any]:
    """The catalogue as plain data (contract §3 shape, plus rules and instruments)."""
    def name(t: rb.Text) -> str:
        return t.get(lang)

    cats = []
    for cat in book.categories.values():
        items = [{"id": i.id, "name": name(i.name), "base_grade": i.base_grade,
                  "roles": {"direct": i.roles.direct, "oversight": i.roles.oversight},
                  "citations": _cits(book, i.citations, lang), "inference": i.inference}
                 for i in book.items.values() if i.category == cat.id]
        cats.append({"id": cat.id, "name": name(cat.name), "items": items})
    return {
        "rulebook": {"id": book.manifest.id, "version": book.manifest.version, "sha256": book.sha256,
                     "title": name(book.manifest.title), "jurisdiction": name(book.manifest.jurisdiction),
                     "policy": book.manifest.policy.model_dump()},
        "definitions": [{"id": d.id, "name": name(d.name), "citations": _cits(book, d.citations, lang),
                         "inference": d.inference} for d in book.definitions.values()],
        "categories": cats,
        "grades": [{"id": g.id, "value": g.value, "name": name(g.name)} for g in book.grades.values()],
        "responsibilities": [{"id": r.id, "rank": r.rank, "name": name(r.name), "citations": _cits(book, r.citations, lang)}
                             for r in book.responsibilities.values()],
        "matrix": {g: dict(row) for g, row in book.matrix.cells.items()},
        "ladder": [{"id": lv.id, "rank": lv.rank, "name": name(lv.name), "referral": lv.referral,
                    "citations": _cits(book, lv.citations, lang),
                    "influence": {k: {"months": v.months, "effects": v.effects, "verified": v.verified}
                                  for k, v in lv.influence.items()}} for lv in book.ladder],
        "circumstances": [{"code": c.code, "kind": c.kind, "name": name(c.name), "citations": _cits(book, c.citations, lang),
                           "inference": c.inference} for c in book.circumstances.values()],
        "channels": [{"id": c.id, "name": name(c.name), "citations": _cits(book, c.citations, lang)}
                     for c in book.channels.values()],
        "unit_measures": [{"id": u.id, "code": u.code, "name": name(u.name), "citations": _cits(book, u.citations, lang)}
                          for u in book.unit_measure_types.values()],
        "review_tracks": [{"id": t.id, "rank": t.rank, "name": name(t.name)} for t in book.review_tracks.values()],
        "parameters": [{"id": p.id, "name": name(p.name), "unit": p.unit,
                        "values": [v.model_dump() for v in p.values], "citations": _cits(book, p.citations),
                        "inference": p.inference} for p in book.parameters.values()],
        "rules": [{"id": e.id, "section": e.section, "title": name(e.rule.title), "source": book.source(e.span),
                   "citations": _cits(book, e.rule.citations, lang), "inference": e.rule.inference,
                   "exception_to": e.rule.exception_to} for e in book.rules],
        "code_maps": [{"from_rulebook": cm.from_rulebook, "items": dict(cm.items),
                       "circumstances": dict(cm.circumstances), "note": cm.note} for cm in book.code_maps],
        "labels": {kind: {code: name(t) for code, t in texts.items()} for kind, texts in book.labels.items()},
        "instruments": [{"id": i.id, "name": i.name, "version": i.version, "kind": i.kind,
                         "reliability": i.reliability, "in_force_from": i.in_force_from,
                         "in_force_until": i.in_force_until, "analogue": i.analogue, "governs": i.governs}
                        for i in book.instruments.values()],
    }


def catalog_json(book: Rulebook, lang: str = "zh") -> str:
    """The catalogue as JSON."""
    return json.dumps(catalog_dict(book, lang), ensure_ascii=False, indent=2) + "\n"


_H = {
    "zh": {"title": "规则库目录", "defs": "错案认定", "cats": "问责情形（{ncat}类{nitem}项）", "ladder": "处理梯度",
           "circ": "情节", "matrix": "等级×责任→处理", "rules": "规则", "inst": "引用的法律文件",
           "cit": "依据", "inf": "推断", "grade": "基准等级", "roles": "责任人员",
           "labels": "用语", "vocab": "词表", "code": "代码", "label": "名称", "force": "施行期间",
           "undated": "施行日期不详"},
    "en": {"title": "Rulebook catalogue", "defs": "Error-case definitions",
           "cats": "Situations ({ncat} categories, {nitem} items)", "ladder": "Sanction ladder",
           "circ": "Circumstances", "matrix": "Grade × responsibility → "
           "level", "rules": "Rules", "inst": "Instruments cited", "cit": "basis", "inf": "inference",
           "grade": "base grade", "roles": "roles", "labels": "Labels", "vocab": "vocabulary", "code": "code",
           "label": "label", "force": "in force", "undated": "dates unknown"},
}


_ANALOGUE_MARK = {"zh": "参照 ", "en": "参照 (analogue) "}


def _cite_md(c: dict[str, Any]) -> str:
    q = f" —「{c['quote']}」" if c.get("quote") else ""
    return f"{c['text']}{q}"


def _parameters_md(params: list[dict[str, Any]], lang: str) -> list[str]:
    """The rulebook's parameters (thresholds), each value with its dates and the citations."""
    if not params:
        return []
    out = ["", "## " + ("参数（阈值）" if lang == "zh" else "Parameters (thresholds)"), ""]
    for p in params:
        vals = "; ".join(f"{v['value']}" + (f" {v['in_force_from'] or '…'}–{v['in_force_until'] or '…'}"
                                           if v["in_force_from"] or v["in_force_until"] else "") for v in p["values"])
        out.append(f"- **`{p['id']}`** {p['name']} ({p['unit']}): {vals}")
        out += [f"  - {_cite_md(x)}" for x in p["citations"]]
        if p["inference"]:
            out.append(f"  - *{_H[lang]['inf']}:* {p['inference']}")
    return out


_CODE_MAPS = {
    "zh": {"title": "其他规则库的代码（code_maps）", "from": "按 {} 填写的案卷", "item": "情形", "circ": "情节",
           "none": "无对应（案件不予评价）", "head": "| 类别 | 原代码 | 本规则库的代码 |", "intro": "本规则库未定义的代码按下表读为本规则库的代码；未列出的代码不予接受。"},
    "en": {"title": "Codes of other rulebooks (code_maps)", "from": "A case written for {}", "item": "item",
           "circ": "circumstance", "none": "no counterpart (the case is refused)",
           "head": "| kind | their code | this rulebook's code |",
           "intro": "A code this rulebook does not define reads as the code below; a code not listed is refused."},
}


def _code_maps_md(maps: list[dict[str, Any]], book: Rulebook, lang: str) -> list[str]:
    """Each code map: its source rulebook, then every mapped code with the counterpart's name."""
    if not maps:
        return []
    w = _CODE_MAPS[lang]
    out = ["", f"## {w['title']}", "", w["intro"]]
    for cm in maps:
        out += ["", f"### {w['from'].format(cm['from_rulebook'])}", ""]
        if cm["note"]:
            out += [cm["note"], ""]
        out += [w["head"], "| --- | --- | --- |"]
        for kind, table in (("item", cm["items"]), ("circumstance", cm["circumstances"])):
            for code, to in table.items():
                target = w["none"] if to is None else f"`{to}` {book.label(kind, to, lang)}"
                out.append(f"| {w['item'] if kind == 'item' else w['circ']} | `{code}` | {target} |")
    return out


def catalog_markdown(book: Rulebook, lang: str = "zh") -> str:
    """The catalogue as Markdown, in one language."""
    h = _H[lang]
    d = catalog_dict(book, lang)
    rbk = d["rulebook"]
    out = [f"# {h['title']}: {rbk['title']}", "",
           f"`{rbk['id']}` {rbk['version']} · {rbk['jurisdiction']} · sha256 `{rbk['sha256'][:16]}`", "",
           "<!-- generated by `accountrules docs`; do not edit by hand -->", "", f"## {h['defs']}", ""]
    cats_title = h["cats"].format(ncat=len(book.categories), nitem=len(book.items))
    for x in d["definitions"]:
        out.append(f"- **{x['id']}** {x['name']}")
        out += [f"  - {_cite_md(c)}" for c in x["citations"]]
        if x["inference"]:
            out.append(f"  - *{h['inf']}:* {x['inference']}")
    out += ["", f"## {cats_title}", ""]
    for cat in d["categories"]:
        out += [f"### {cat['id']} {cat['name']}", ""]
        for it in cat["items"]:
            roles = "、".join(book.label("role", r, lang) for r in it["roles"]["direct"]) + (
                " / " + "、".join(book.label("role", r, lang) for r in it["roles"]["oversight"])
                if it["roles"]["oversight"] else "")
            out.append(f"- **{it['id']}** {it['name']} — {h['grade']} {it['base_grade']}; {h['roles']}: {roles}")
            out += [f"  - {_cite_md(c)}" for c in it["citations"]]
            if it["inference"]:
                out.append(f"  - *{h['inf']}:* {it['inference']}")
        out.append("")
    out += [f"## {h['ladder']}", "", "| rank | id | name | referral |", "| --- | --- | --- | --- |"]
    for lv in d["ladder"]:
        ref = book.label("referral", lv["referral"], lang) if lv["referral"] else "—"
        out.append(f"| {lv['rank']} | `{lv['id']}` | {lv['name']} | {ref} |")
    cols = [r.id for r in sorted(book.responsibilities.values(), key=lambda r: -r.rank) if r.rank > 0]
    out += ["", f"## {h['matrix']}", "", "| | " + " | ".join(book.label("responsibility", c, lang) for c in cols)
            + " |", "| --- " * (len(cols) + 1) + "|"]
    for g, row in d["matrix"].items():
        out.append(f"| {book.label('grade', g, lang)}（{g}） | "
                   + " | ".join(book.label("level", row[c], lang) for c in cols) + " |")
    out += ["", f"## {h['circ']}", ""]
    for c in d["circumstances"]:
        out.append(f"- **{c['code']}** ({book.label('circumstance_kind', c['kind'], lang)}) {c['name']}")
        out += [f"  - {_cite_md(x)}" for x in c["citations"]]
    out += _parameters_md(d["parameters"], lang)
    out += _code_maps_md(d["code_maps"], book, lang)
    out += ["", f"## {h['rules']}", "", "| id | section | title | source | basis | inference |",
            "| --- | --- | --- | --- | --- | --- |"]
    for r in d["rules"]:
        basis = "<br>".join(c["text"] for c in r["citations"])
        out.append(f"| `{r['id']}` | {r['section']} | {r['title']} | {r['source']} | {basis} | "
                   f"{(r['inference'] or '').replace('|', '/')} |")
    out += ["", f"## {h['labels']}", "", f"| {h['vocab']} | {h['code']} | {h['label']} |", "| --- | --- | --- |"]
    for kind, texts in d["labels"].items():
        for code, text in texts.items():
            out.append(f"| `{kind}` | `{code}` | {text} |")
    out += ["", f"## {h['inst']}", "", f"| id | name | version | {h['force']} | kind | reliability |",
            "| --- | --- | --- | --- | --- | --- |"]
    for i in d["instruments"]:
        version = i["version"] if i["version"] not in (None, "unknown") else "—"
        force = (f"{i['in_force_from'] or '…'} – {i['in_force_until'] or ''}".rstrip()
                 if i["in_force_from"] or i["in_force_until"] else h["undated"])
        name = f"{_ANALOGUE_MARK[lang]}{i['name']}" if i["analogue"] else i["name"]
        out.append(f"| {i['id']} | {name} | {version} | {force} | {i['kind']} | {i['reliability']} |")
    return "\n".join(out) + "\n"


def facts_markdown() -> str:
    """The fact vocabulary as Markdown."""
    out = ["| path | type | values | stages | meaning |", "| --- | --- | --- | --- | --- |"]
    for p, s in FACTS.items():
        vals = s.values if isinstance(s.values, str) else ", ".join(s.values) if s.values else ""
        out.append(f"| `{p}` | {s.type} | {vals} | {', '.join(s.stages)} | {s.doc} |")
    return "\n".join(out) + "\n"
