"""Official law texts: Chinese article numerals, parsing and exact quote checks.

The law files (``rules/law/*.md``) come from LawRefBook/Laws. Each file has a
metadata block ending with ``<!-- INFO END -->``, Markdown headings for
chapters and sections (``## 第一章 总则``, ``### 第一节 ...``) and one paragraph
per line, separated by blank lines. An article starts with its label
``第N条`` at the beginning of a line followed by a space; the paragraphs that
follow, up to the next label or heading, belong to the same article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MARK_CLOSE",
    "MARK_OPEN",
    "LawLibrary",
    "NearMatch",
    "article_label",
    "cn_to_int",
    "int_to_cn",
    "nearest_passage",
    "normalize",
    "parse_article_ref",
    "parse_law_text",
    "quote_in_article",
]

_DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
_DIGIT_CHARS = "一二三四五六七八九"
_NUMERAL_CLASS = "零〇一二三四五六七八九两十百千万"

_ARTICLE_RE = re.compile(rf"^第([{_NUMERAL_CLASS}]+)条(?:[ \t\u3000]+|$)")
_REF_CN_RE = re.compile(rf"^第?([{_NUMERAL_CLASS}]+)条?$")
_REF_ARABIC_RE = re.compile(r"^(?:(?:art(?:icle)?|第)\.?\s*)?(\d+)\s*条?$", re.IGNORECASE)
_FILE_RE = re.compile(r"^(?P<name>.+)\((?P<version>\d{4}-\d{2}-\d{2})\)$")
_CHAPTER_RE = re.compile(rf"^第[{_NUMERAL_CLASS}]+[编章节](?:[ \t\u3000]|$)")
# A bare heading line (e.g. "行政执法程序" in 河南省行政执法条例, which lacks the "## 第N章"
# marker): short and without any punctuation, whereas paragraphs and items always end
# with punctuation.
_BARE_HEADING_RE = re.compile(r"^[^，。；：、！？,.;:!?（）()《》“”\u201c\u201d]{1,30}$")
# Whitespace plus invisible zero-width characters (one file has a U+200B line).
_WHITESPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_STRIP_CHARS = " \t\r\u3000\u200b\u200c\u200d\u2060\ufeff"
_ELLIPSIS_RE = re.compile(r"…+|\.{3,}")
INFO_END = "<!-- INFO END -->"


def cn_to_int(s: str) -> int:
    """Convert a Chinese numeral as used in article labels to an integer.

    Handles 一 … 九十九, 十 / 十一 (leading 一 omitted), 一百零一, 一百一十,
    两百, 一千零八 and values up to 9999 (plus 万 for completeness).

    Args:
        s: The numeral, e.g. ``"一百二十八"``. Surrounding whitespace is ignored.

    Returns:
        The integer value.

    Raises:
        ValueError: If ``s`` is empty or contains a character that is not a
            Chinese numeral, or is malformed (e.g. two digits in a row).
    """
    text = s.strip()
    if not text:
        raise ValueError("empty numeral")
    total = 0  # completed groups of 万
    section = 0  # value below 万
    digit: int | None = None
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and digit != 0:
                raise ValueError(f"malformed Chinese numeral: {s!r}")
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        elif ch == "万":
            section += digit or 0
            total += (section or 1) * 10000
            section = 0
            digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {s!r}")
    section += digit or 0
    return total + section


def int_to_cn(n: int) -> str:
    """Convert a positive integer (1 to 9999) to a Chinese numeral.

    Uses the conventions of official article labels: ``10 -> 十``,
    ``11 -> 十一``, ``110 -> 一百一十``, ``101 -> 一百零一``, ``1001 -> 一千零一``.

    Args:
        n: The number, between 1 and 9999.

    Returns:
        The Chinese numeral.

    Raises:
        ValueError: If ``n`` is out of range.
    """
    if not 1 <= n <= 9999:
        raise ValueError(f"number out of range (1-9999): {n}")
    if 10 <= n < 20:
        return "十" + (_DIGIT_CHARS[n - 11] if n > 10 else "")
    parts: list[str] = []
    zero_pending = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            if parts:
                zero_pending = True
            continue
        if zero_pending:
            parts.append("零")
            zero_pending = False
        parts.append(_DIGIT_CHARS[d - 1] + unit)
    return "".join(parts)


def article_label(n: int) -> str:
    """Return the official label of article ``n``.

    Args:
        n: The article number.

    Returns:
        The label, e.g. ``"第一百二十八条"`` for 128.
    """
    return f"第{int_to_cn(n)}条"


def parse_article_ref(ref: str) -> int:
    """Parse an article reference to its number.

    Accepts ``"第四十四条"``, ``"四十四"``, ``"44"``, ``"第44条"``, ``"art 44"``,
    ``"Art. 44"`` and ``"article 44"``.

    Args:
        ref: The reference.

    Returns:
        The article number.

    Raises:
        ValueError: If the reference cannot be parsed.
    """
    text = ref.strip()
    lead = re.match(r"^第([〇零一二两三四五六七八九十百千万]+)条", text)
    if lead:  # "第七十条第一款第（一）项" -> 70
        return cn_to_int(lead.group(1))
    m = _REF_ARABIC_RE.match(text)
    if m:
        return int(m.group(1))
    m = _REF_CN_RE.match(text)
    if m:
        return cn_to_int(m.group(1))
    raise ValueError(f"not an article reference: {ref!r}")


def _is_heading(line: str) -> bool:
    """Tell whether a non-article line is a heading rather than a paragraph."""
    return (
        line.startswith("#")
        or _CHAPTER_RE.match(line) is not None
        or _BARE_HEADING_RE.match(line) is not None
    )


def parse_law_text(text: str) -> dict[int, str]:
    """Parse the text of a law file into its articles.

    The metadata before ``<!-- INFO END -->`` (if present) and headings are
    skipped: Markdown headings (``## 第一章 总则``), unmarked ``第N章`` / ``第N节``
    lines, and short lines without any punctuation (chapter titles some files
    give without a marker). Each article's text starts after its ``第N条`` label; its
    paragraphs (non-blank lines up to the next label or heading) are joined
    with ``"\\n"``.

    Args:
        text: The file content.

    Returns:
        A dict from article number to article text, in file order.

    Raises:
        ValueError: If an article number occurs twice.
    """
    if INFO_END in text:
        text = text.split(INFO_END, 1)[1]
    articles: dict[int, str] = {}
    current: int | None = None
    paragraphs: list[str] = []

    def flush() -> None:
        if current is not None:
            articles[current] = "\n".join(paragraphs)

    for raw in text.splitlines():
        line = raw.strip(_STRIP_CHARS)
        if not line:
            continue
        m = _ARTICLE_RE.match(line)
        if m is None and _is_heading(line):
            flush()
            current = None
            paragraphs = []
            continue
        if m:
            flush()
            number = cn_to_int(m.group(1))
            if number in articles:
                raise ValueError(f"duplicate article {number}")
            current = number
            rest = line[m.end() :].strip(_STRIP_CHARS)
            paragraphs = [rest] if rest else []
            continue
        if current is not None:
            paragraphs.append(line)
    flush()
    return articles


def normalize(s: str) -> str:
    """Remove all whitespace (including the full-width space U+3000).

    Zero-width characters (U+200B, U+FEFF and the like) are removed as well.

    Args:
        s: Any text.

    Returns:
        The text without whitespace, for comparison.
    """
    return _WHITESPACE_RE.sub("", s)


def quote_in_article(article_text: str, quote: str) -> bool:
    """Check that a quote occurs verbatim in an article (whitespace aside).

    The quote may mark omitted text with ``……`` or ``…`` (or ``...``): then
    each non-empty segment must occur in the article, in order and without
    overlapping.

    Args:
        article_text: The article text (e.g. from :func:`parse_law_text`).
        quote: The quoted text.

    Returns:
        True if the quote matches; False otherwise, and for an empty quote.
    """
    haystack = normalize(article_text)
    segments = [seg for seg in (normalize(p) for p in _ELLIPSIS_RE.split(quote)) if seg]
    if not segments:
        return False
    pos = 0
    for seg in segments:
        found = haystack.find(seg, pos)
        if found < 0:
            return False
        pos = found + len(seg)
    return True


@dataclass
class LawLibrary:
    """A set of law files, keyed by (short name, version).

    Files are named like ``行政处罚法(2021-01-22).md``; the key is then
    ``("行政处罚法", "2021-01-22")``. Files are parsed on first use and cached.

    Attributes:
        files: Mapping from (name, version) to the file path.
    """

    files: dict[tuple[str, str], Path]
    _cache: dict[tuple[str, str], dict[int, str]] = field(
        default_factory=dict, init=False, repr=False
    )

    @classmethod
    def from_dir(cls, path: str | Path) -> LawLibrary:
        """Index all ``*.md`` law files of a directory.

        Files whose name does not end in ``(YYYY-MM-DD)`` (e.g. README.md)
        are ignored.

        Args:
            path: The directory.

        Returns:
            The library (nothing parsed yet).
        """
        files: dict[tuple[str, str], Path] = {}
        for file in sorted(Path(path).glob("*.md")):
            m = _FILE_RE.match(file.stem)
            if m:
                files[(m.group("name"), m.group("version"))] = file
        return cls(files)

    def names(self) -> list[str]:
        """Return the short names of all instruments, sorted."""
        return sorted({name for name, _ in self.files})

    def versions(self, name: str) -> list[str]:
        """Return the versions available for an instrument.

        Args:
            name: The short name, e.g. ``"行政复议法"``.

        Returns:
            The versions (ISO dates), sorted oldest first; empty if unknown.
        """
        return sorted(v for n, v in self.files if n == name)

    def articles(self, name: str, version: str) -> dict[int, str]:
        """Return all articles of one version of an instrument.

        Args:
            name: The short name.
            version: The version date, e.g. ``"2021-01-22"``.

        Returns:
            Article number to text.

        Raises:
            KeyError: If the instrument version is not in the library.
        """
        key = (name, version)
        if key not in self._cache:
            text = self.files[key].read_text(encoding="utf-8")
            self._cache[key] = parse_law_text(text)
        return self._cache[key]

    def article(self, name: str, version: str, n: int) -> str | None:
        """Return the text of one article.

        Args:
            name: The short name.
            version: The version date.
            n: The article number.

        Returns:
            The article text, or None if the instrument version or the article
            does not exist.
        """
        if (name, version) not in self.files:
            return None
        return self.articles(name, version).get(n)

    def _by_file(self, filename: str) -> tuple[str, str] | None:
        for key, path in self.files.items():
            if path.name == filename or path.name == Path(filename).name:
                return key
        return None

    def has_file(self, filename: str) -> bool:
        """Whether a law file of that name (e.g. ``行政处罚法(2021-01-22).md``) is in the library."""
        return self._by_file(filename) is not None

    def article_by_file(self, filename: str, n: int) -> str | None:
        """The text of article ``n`` of the law file ``filename``, or None."""
        key = self._by_file(filename)
        return None if key is None else self.articles(*key).get(n)


#: how differing parts are marked in :class:`NearMatch`
MARK_OPEN, MARK_CLOSE = "⟦", "⟧"


@dataclass(frozen=True)
class NearMatch:
    """The official text nearest to a quote that is not in its article, differences marked ⟦…⟧.

    Attributes:
        official: The nearest passage of the article, with some text around it; what differs from
            the quote is in ``⟦…⟧`` (an empty ``⟦⟧`` where the quote has text the article lacks).
        quoted: The part of the quote that was not found, marked the same way.
        line: The index of the article's line (paragraph) where the passage begins.
        ratio: How close the passage is to the quoted part (0–1).
    """

    official: str
    quoted: str
    line: int
    ratio: float


def _failing_segment(haystack: str, quote: str) -> str | None:
    """The first ``……``-separated part of ``quote`` not found (in order) in ``haystack``."""
    pos = 0
    for seg in (s for s in (normalize(p) for p in _ELLIPSIS_RE.split(quote)) if s):
        found = haystack.find(seg, pos)
        if found < 0:
            return seg
        pos = found + len(seg)
    return None


def _candidates(haystack: str, seg: str) -> list[int]:
    """Where in ``haystack`` a passage like ``seg`` could start: aligned on its shared n-grams."""
    for n in (4, 2, 1):
        if len(seg) < n:
            continue
        starts: set[int] = set()
        for off in range(0, len(seg) - n + 1, n):
            gram = seg[off:off + n]
            i = haystack.find(gram)
            while i >= 0 and len(starts) < 400:
                starts.add(max(0, i - off))
                i = haystack.find(gram, i + 1)
        if starts:
            return sorted(starts)
    return []


def _shorten(text: str, keep: int, where: str) -> str:
    """An unchanged run of text cut to ``keep`` characters next to the differences."""
    if len(text) <= 2 * keep + 1:
        return text
    if where == "start":
        return "…" + text[-keep:]
    if where == "end":
        return text[:keep] + "…"
    return text[:keep] + "…" + text[-keep:]


def nearest_passage(article_text: str, quote: str, context: int = 12) -> NearMatch | None:
    """The passage of an article nearest to a quote that :func:`quote_in_article` rejects.

    The first ``……``-separated part of the quote that is not in the article is aligned with the
    article (``difflib``), and both are shown with their differences marked.

    Args:
        article_text: The article (from :func:`parse_law_text`).
        quote: The quote that does not match.
        context: How many unchanged characters to keep around each difference.

    Returns:
        The nearest passage, or None when the quote matches or shares no character with the article.
    """
    from difflib import SequenceMatcher

    lines = [normalize(x) for x in article_text.split("\n")]
    haystack = "".join(lines)
    seg = _failing_segment(haystack, quote)
    if seg is None:
        return None
    best: tuple[float, int] | None = None
    for start in _candidates(haystack, seg):
        ratio = SequenceMatcher(None, seg, haystack[start:start + len(seg)], autojunk=False).ratio()
        if best is None or ratio > best[0]:
            best = (ratio, start)
    if best is None:
        return None
    slack = max(4, len(seg) // 5)
    lo = max(0, best[1] - slack)
    window = haystack[lo:best[1] + len(seg) + slack]
    blocks = [b for b in SequenceMatcher(None, seg, window, autojunk=False).get_matching_blocks() if b.size]
    w0 = max(0, blocks[0].b - blocks[0].a)
    w1 = min(len(window), blocks[-1].b + blocks[-1].size + len(seg) - blocks[-1].a - blocks[-1].size)
    target = window[w0:w1]
    ops = SequenceMatcher(None, seg, target, autojunk=False).get_opcodes()
    quoted, official = [], []
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            where = "start" if k == 0 else "end" if k == len(ops) - 1 else "middle"
            same = _shorten(seg[i1:i2], context, where)
            quoted.append(same)
            official.append(same)
        else:
            quoted.append(f"{MARK_OPEN}{seg[i1:i2]}{MARK_CLOSE}")
            official.append(f"{MARK_OPEN}{target[j1:j2]}{MARK_CLOSE}")
    begin = lo + w0
    end = begin + len(target)
    # the article's text on either side: up to ``context`` characters, and … where it goes on
    if ops[0][0] == "equal":
        head = "" if official[0].startswith("…") or begin == 0 else "…"
    else:
        head = ("…" if begin > context else "") + haystack[max(0, begin - context):begin]
    if ops[-1][0] == "equal":
        tail = "" if official[-1].endswith("…") or end >= len(haystack) else "…"
    else:
        tail = haystack[end:end + context] + ("…" if end + context < len(haystack) else "")
    official_text = head + "".join(official) + tail
    offsets, total = [], 0
    for x in lines:
        offsets.append(total)
        total += len(x)
    line = max(i for i, off in enumerate(offsets) if off <= begin) if offsets else 0
    return NearMatch(official_text, "".join(quoted), line, round(best[0], 2))
