"""Charts of the statistics (matplotlib, PNG and SVG) with Chinese labels in a CJK font.

The font is found by name among the usual CJK families (Noto Sans CJK SC — Debian's
``fonts-noto-cjk``, which the README's setup installs — Source Han Sans, WenQuanYi …) or given as a
file in ``ACCOUNTRULES_CJK_FONT``. Without one, charts are refused with a message rather than
drawn with empty boxes. Files are deterministic (fixed SVG ids, no dates).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..rules.validate import Rulebook
from .compute import StatsReport

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC",
                "Source Han Sans CN", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei",
                "PingFang SC")
FONT_ENV = "ACCOUNTRULES_CJK_FONT"

_T = {
    "zh": {"trend": "行政错案数量与行政诉讼败诉率（按年度）", "year": "年度", "count": "案件数", "rate": "败诉率",
           "lost": "败诉", "corrected": "复议纠错", "error_cases": "错案", "rates": "各区域行政诉讼败诉率与预警线",
           "region": "区域", "items": "问责情形出现频次", "freq": "次数", "threshold": "预警线"},
    "en": {"trend": "Wrongful cases and litigation loss rate by year", "year": "year", "count": "cases",
           "rate": "loss rate", "lost": "lost", "corrected": "corrected in reconsideration",
           "error_cases": "error cases", "rates": "Litigation loss rate by region against the threshold",
           "region": "region", "items": "Situation items by frequency", "freq": "count", "threshold": "threshold"},
}


class ChartsUnavailable(RuntimeError):
    """matplotlib or a CJK font is missing (the message says how to install it)."""


def cjk_font() -> str:
    """The family name of an installed CJK font (or of the file named by ``ACCOUNTRULES_CJK_FONT``)."""
    from matplotlib import font_manager

    path = os.environ.get(FONT_ENV)
    if path:
        if not Path(path).is_file():
            raise ChartsUnavailable(f"{FONT_ENV}={path}: no such font file")
        font_manager.fontManager.addfont(path)
        return str(font_manager.FontProperties(fname=path).get_name())
    names = {f.name for f in font_manager.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    raise ChartsUnavailable("no CJK font found for the chart labels: install one (Debian: apt-get install "
                            f"fonts-noto-cjk) or set {FONT_ENV} to a .ttf/.otf/.ttc file")


def _figure(font: str) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    return fig


def _style(font: str) -> dict[str, Any]:
    return {"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"], "axes.unicode_minus": False,
            "svg.hashsalt": "accountrules", "svg.fonttype": "path", "axes.spines.top": False,
            "axes.spines.right": False}


def _save(fig: Any, out: Path, stem: str) -> list[Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.tight_layout()
    paths = [out / f"{stem}.png", out / f"{stem}.svg"]
    fig.savefig(paths[0], format="png", metadata={"Software": None})
    fig.savefig(paths[1], format="svg", metadata={"Date": None, "Creator": None})
    return paths


def _trend(report: StatsReport, t: dict[str, str], font: str, out: Path) -> list[Path]:
    rows = report.tables["year"]
    fig = _figure(font)
    ax = fig.add_subplot()
    years = [str(r["year"]) for r in rows]
    x = list(range(len(years)))
    w = 0.27
    for i, key in enumerate(("error_cases", "lost", "corrected")):
        ax.bar([v + (i - 1) * w for v in x], [r[key] for r in rows], w, label=t[key], gid=f"bars-{key}")
    ax.set_xticks(x, years)
    ax.set_xlabel(t["year"])
    ax.set_ylabel(t["count"])
    ax.set_title(t["trend"])
    if report.has_caseload:
        ax2 = ax.twinx()
        ax2.plot(x, [float("nan") if r["litigation_loss_rate"] is None else r["litigation_loss_rate"] * 100
                                 for r in rows], color="black", marker="o",
                 label=t["rate"], gid="line-loss-rate")
        ax2.set_ylabel(t["rate"] + " (%)")
        ax2.set_ylim(0, 100)
        ax2.spines["right"].set_visible(True)
        ax2.legend(loc="upper right")
    ax.legend(loc="upper left")
    return _save(fig, out, "trend")


def _rates(report: StatsReport, book: Rulebook, t: dict[str, str], font: str, out: Path) -> list[Path]:
    """Loss rate per region (agencies pooled, at the threshold's level) and year, with the threshold line."""
    th = next((x for x in book.stat_thresholds.values() if x.metric == "litigation_loss_rate"), None)
    key = "agency" if th is not None and th.group == "agency" else "region"
    pooled: dict[tuple[str, int], list[int]] = {}
    for r in report.tables["agency_year"]:
        if th is not None and th.agency_level and r["level"] != th.agency_level:
            continue
        acc = pooled.setdefault((str(r[key]), int(r["year"])), [0, 0])
        if r["litigated"] is None:  # a member without its denominator: no rate for the pool (never a guess)
            acc[1] = -1
        elif acc[1] >= 0:
            acc[0] += r["lost"]
            acc[1] += r["litigated"]
    groups = sorted({g for g, _y in pooled})
    years = sorted({y for _g, y in pooled})
    fig = _figure(font)
    ax = fig.add_subplot()
    w = 0.8 / max(len(years), 1)
    for j, year in enumerate(years):
        vals = [pooled.get((g, year), [0, -1]) for g in groups]
        ax.bar([i + (j - (len(years) - 1) / 2) * w for i in range(len(groups))],
               [100 * n / d if d > 0 else float("nan") for n, d in vals], w, label=str(year), gid=f"bars-{year}")
    if th is not None and th.above is not None:
        ax.axhline(th.above * 100, color="red", linestyle="--", linewidth=1.5, gid=f"threshold-{th.id}",
                   label=f"{t['threshold']} {th.above * 100:g}%（{th.id}）")
    ax.set_xticks(list(range(len(groups))), groups)
    ax.set_ylabel(t["rate"] + " (%)")
    ax.set_xlabel(t["region"])
    ax.set_ylim(0, 100)
    ax.set_title(t["rates"])
    ax.legend(loc="upper right")
    return _save(fig, out, "rates")


def _items(report: StatsReport, book: Rulebook, t: dict[str, str], font: str, out: Path, lang: str) -> list[Path]:
    from ..output.letter.labels import label

    totals: dict[str, int] = {}
    for r in report.tables["items"]:
        totals[r["item"]] = totals.get(r["item"], 0) + r["count"]
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
    names = []
    for code, _n in ranked:
        name = label(book, "item", code, lang) or code
        names.append(name if len(name) <= 18 else name[:17] + "…")
    fig = _figure(font)
    ax = fig.add_subplot()
    ax.barh(list(range(len(ranked)))[::-1], [n for _c, n in ranked], gid="bars-items")
    ax.set_yticks(list(range(len(ranked)))[::-1], names)
    ax.set_xlabel(t["freq"])
    ax.set_title(t["items"])
    return _save(fig, out, "items")


def write_charts(report: StatsReport, book: Rulebook, directory: str | Path) -> list[Path]:
    """Write ``trend``, ``rates`` and ``items`` as PNG and SVG into ``directory``; returns the paths.

    Raises:
        ChartsUnavailable: matplotlib or a CJK font is missing.
    """
    try:
        import matplotlib
    except ImportError as exc:
        raise ChartsUnavailable("charts need matplotlib: pip install 'accountrules[stats]'") from exc
    font = cjk_font()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    t = _T[report.lang]
    with matplotlib.rc_context(_style(font)):  # type: ignore[arg-type]  # keys are valid rcParams
        return [*_trend(report, t, font, out), *_rates(report, book, t, font, out),
                *_items(report, book, t, font, out, report.lang)]
