"""A cache of validated rulebooks, so a service or a batch worker starts fast.

:func:`load_rulebook_cached` returns what :func:`~accountrules.rules.load_rulebook` returns, but
keeps the validated :class:`~accountrules.rules.Rulebook` as a pickle in a cache directory that
belongs to this user (``$ACCOUNTRULES_CACHE_DIR``, else ``$XDG_CACHE_HOME/accountrules``, else
``~/.cache/accountrules``). It is never loaded from a path a caller or a rulebook names.

The key is the SHA-256 of everything the validated rulebook depends on:

* every rule file's name and bytes (the files :func:`load_rulebook` reads) and every file under
  ``law/`` (quotes are checked against the official texts);
* the directory, and the display root written into reasons (``rules/book.yaml:12``);
* the accountrules version, a fingerprint of its own source files (an editable install changes
  without a version bump), and the Python and pydantic versions (pickles are version-bound).

An entry is ``MAGIC key sha256(payload) payload``. On a hit the key written in the entry and the
payload's digest are checked *before* anything is unpickled; an entry not owned by this user, a
stale key or a corrupt payload is ignored (and rewritten). An unwritable cache is skipped
silently: the rulebook is then simply loaded from its files each time.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pydantic

from . import __version__
from .errors import RuleFileError
from .rules.validate import Rulebook, _rule_files, load_rulebook

MAGIC = b"accountrules-rulebook-cache/1\n"
_DIGEST = 64  # hex characters of a sha256


def default_cache_dir() -> Path | None:
    """The user's cache directory for accountrules (created), or None when it cannot be."""
    base = os.environ.get("ACCOUNTRULES_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "accountrules")
    return _usable_dir(Path(base))


def _usable_dir(p: Path) -> Path | None:
    try:
        p.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return p if os.access(p, os.W_OK | os.X_OK) else None


@lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """SHA-256 of this package's Python sources (an editable install changes without a new version)."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    for f in sorted(pkg.rglob("*.py")):
        try:
            h.update(f.relative_to(pkg).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
        except OSError:  # pragma: no cover - a file vanished while we looked
            continue
    return h.digest()


def _resolve(path: str | Path | None, display_root: str | None) -> tuple[Path, str | None]:
    from .rules.registry import resolve_rulebook

    try:
        return resolve_rulebook(path, display_root)
    except RuleFileError:  # neither a directory nor a bundled name: load_rulebook reports it
        return Path(str(path)), display_root


def rulebook_key(path: str | Path | None = None, *, display_root: str | None = None) -> str | None:
    """The cache key of a rulebook directory (hex SHA-256), or None if it cannot be read."""
    directory, display_root = _resolve(path, display_root)
    root = display_root if display_root is not None else str(path).rstrip("/")
    h = hashlib.sha256()
    h.update(MAGIC)
    h.update(f"accountrules {__version__}\0python {sys.version}\0pydantic {pydantic.VERSION}\0".encode())
    h.update(_code_fingerprint())
    h.update(f"dir {directory.resolve()}\0root {root}\0".encode())
    try:
        files = _rule_files(directory)
        law = directory / "law"
        if law.is_dir():
            files += sorted(p for p in law.rglob("*") if p.is_file())
        for f in files:
            h.update(f.relative_to(directory).as_posix().encode() + b"\0")
            h.update(f.read_bytes())
            h.update(b"\0")
    except OSError:
        return None
    return h.hexdigest()


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while many acyclic objects are built — a rulebook (un)pickled here, the
    results :mod:`accountrules.batch` rebuilds from its workers: collections triggered by the
    allocations would scan them over and over. Restored on exit (left off if it was off)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _entry_path(directory: Path, key: str) -> Path:
    return directory / f"rulebook-{key[:32]}.pickle"


def _read(entry: Path, key: str) -> Rulebook | None:
    """The cached rulebook if the entry is ours, for this key, and intact; else None."""
    try:
        with open(entry, "rb") as fh:
            st = os.fstat(fh.fileno())
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                return None
            blob = fh.read()
    except OSError:
        return None
    head = len(MAGIC)
    if not blob.startswith(MAGIC) or len(blob) < head + 2 * _DIGEST + 2:
        return None
    stored_key = blob[head:head + _DIGEST].decode("ascii", "replace")
    digest = blob[head + _DIGEST + 1:head + 2 * _DIGEST + 1].decode("ascii", "replace")
    payload = blob[head + 2 * _DIGEST + 2:]
    if stored_key != key or hashlib.sha256(payload).hexdigest() != digest:
        return None
    try:
        with no_gc():
            book = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a pickle from an incompatible build: treat as a miss
        return None
    return book if isinstance(book, Rulebook) else None


def _write(entry: Path, key: str, book: Rulebook) -> None:
    try:
        with no_gc():
            payload = pickle.dumps(book, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001  # pragma: no cover - a rulebook that cannot be pickled is not cached
        return
    blob = MAGIC + key.encode() + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    try:
        fd, tmp = tempfile.mkstemp(prefix=".rulebook-", suffix=".tmp", dir=entry.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, entry)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def load_rulebook_cached(path: str | Path | None = None, *, cache_dir: str | Path | None = None,
                         display_root: str | None = None) -> Rulebook:
    """:func:`~accountrules.rules.load_rulebook`, through the cache.

    Args:
        path: the rulebook directory (default: the bundled one).
        cache_dir: where entries live (default: :func:`default_cache_dir`). Tests use a temporary one.
        display_root: as for ``load_rulebook`` (part of the key: it is written into reasons).

    Raises:
        RuleFileError: as ``load_rulebook`` does (an invalid rulebook is never cached).
    """
    where = _usable_dir(Path(cache_dir)) if cache_dir is not None else default_cache_dir()
    key = rulebook_key(path, display_root=display_root) if where is not None else None
    if where is None or key is None:
        return load_rulebook(path, display_root=display_root)
    entry = _entry_path(where, key)
    book = _read(entry, key)
    if book is not None:
        return book
    book = load_rulebook(path, display_root=display_root)
    # fill the derived views before pickling, so a hit has them for free
    for attr in ("by_section", "by_id", "levels", "levels_by_rank", "vocabs"):
        getattr(book, attr)
    _write(entry, key, book)
    return book


def clear(cache_dir: str | Path | None = None) -> int:
    """Delete every cached rulebook; returns how many entries were removed."""
    where = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if where is None or not where.is_dir():
        return 0
    n = 0
    for p in where.glob("rulebook-*.pickle"):
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n
