"""The bundled rulebooks, selectable by name as well as by directory.

The library ships more than one rulebook: the default one (``rules/`` in the source tree,
``accountrules/_rulebook`` in the wheel) and every folder of ``rulebooks/`` that holds a
``rulebook.yaml`` (``accountrules/_rulebooks`` in the wheel). A bundled rulebook's *name* is its
folder's name (``shandong-supervision``), and the default one's is its manifest id
(:data:`DEFAULT_NAME`). Adding a rulebook is adding a folder: no Python changes.

Wherever a command or function takes a rulebook directory, it also takes one of these names
(:func:`resolve_rulebook`): an existing directory always wins over a name, so a local folder is
never shadowed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..diagnostics import Diagnostic
from ..errors import RuleFileError

__all__ = ["DEFAULT_NAME", "bundled_rulebooks", "canonical_root", "resolve_rulebook"]

#: the name of the default rulebook (its manifest id)
DEFAULT_NAME = "guizhou-bijie-default"

_SOURCE_ROOT = Path(__file__).resolve().parents[3]


def _default_dir() -> Path:
    packaged = resources.files("accountrules") / "_rulebook"
    if packaged.is_dir():
        return Path(str(packaged))
    return _SOURCE_ROOT / "rules"


def _others_dir() -> Path:
    packaged = resources.files("accountrules") / "_rulebooks"
    if packaged.is_dir():
        return Path(str(packaged))
    return _SOURCE_ROOT / "rulebooks"


def bundled_rulebooks() -> dict[str, Path]:
    """Every bundled rulebook, name -> directory, the default first, then by name.

    >>> sorted(bundled_rulebooks())[:1]
    ['guizhou-bijie-default']
    """
    out = {DEFAULT_NAME: _default_dir()}
    others = _others_dir()
    if others.is_dir():
        for d in sorted(others.iterdir()):
            if d.is_dir() and (d / "rulebook.yaml").is_file() and d.name not in out:
                out[d.name] = d
    return out


def _display(name: str) -> str:
    """How positions in a bundled rulebook are shown: its path in the source tree."""
    return "rules" if name == DEFAULT_NAME else f"rulebooks/{name}"


def canonical_root(directory: Path) -> str:
    """How a rulebook's sources are named in its output, whatever the spelling of its path.

    A bundled rulebook (reached by any path) is named by its folder in the source tree (``rules``,
    ``rulebooks/shandong-supervision``); any other by its folder's name (``hillcounty``), so that
    ``hillcounty``, ``./hillcounty``, ``/tmp/blind/hillcounty`` and ``.`` inside it give the same
    catalogue and reason ``source`` fields from any working directory.
    """
    resolved = directory.resolve()
    for name, d in bundled_rulebooks().items():
        if d.resolve() == resolved or _is_source_copy(resolved, name, d):
            return _display(name)
    return resolved.name or resolved.as_posix()


def _is_source_copy(directory: Path, name: str, bundled: Path) -> bool:
    """``directory`` is the source-tree folder of a bundled rulebook (``…/rulebooks/shandong-supervision``
    of a checkout while the installed wheel holds the bundled copy): same place in the tree, same manifest."""
    if not directory.as_posix().endswith("/" + _display(name)):
        return False
    try:
        return (directory / "rulebook.yaml").read_bytes() == (bundled / "rulebook.yaml").read_bytes()
    except OSError:
        return False


def resolve_rulebook(path: str | Path | None, display_root: str | None = None) -> tuple[Path, str | None]:
    """The directory of a rulebook given as a directory, a bundled name, or ``None`` (the default).

    Args:
        path: a rulebook directory, the name of a bundled rulebook, or ``None``.
        display_root: how file positions are shown (default: ``path`` as given; for a bundled
            rulebook, its folder in the source tree, e.g. ``rulebooks/shandong-supervision``).

    Returns:
        The directory and the display root to use.

    Raises:
        RuleFileError: ``rulebook-not-found`` when ``path`` is neither a directory nor a bundled
            name (the message lists the bundled names).
    """
    if path is None:
        return _default_dir(), display_root if display_root is not None else _display(DEFAULT_NAME)
    directory = Path(path)
    if directory.is_dir():
        return directory, display_root
    name = str(path)
    books = bundled_rulebooks()
    if name in books:
        return books[name], display_root if display_root is not None else _display(name)
    if "/" in name or "\\" in name or directory.exists():
        return directory, display_root  # a path: the loader reports what is wrong with it
    raise RuleFileError([Diagnostic(
        "rulebook-not-found",
        f"'{name}' is neither a rulebook directory nor a bundled rulebook. Bundled: {', '.join(books)}.",
        path=name)])
