"""Decision records in a real database (SQLAlchemy 2 Core): SQLite by default, PostgreSQL by URL.

Three tables:

* ``decisions`` — one row per evaluation: decision id, time, the input (canonical JSON, masked
  fields replaced), digests of the input and of the output as returned, the output, rulebook
  id/version/sha256, engine version and backend, language and detail, and a digest over all of it
  (an HMAC seal too when a key is configured);
* ``rulebook_snapshots`` and ``rulebook_files`` — every file of each rulebook a decision used, stored
  once under the rulebook's sha256, so that a record can be re-evaluated years later.

Each record is written in one transaction (and its snapshot, idempotently, in one before it), so a
crash leaves either the whole record or none of it. SQLite runs in WAL mode with ``synchronous=FULL``
and a busy timeout, so several worker processes can write at once; PostgreSQL needs nothing special.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from .._version import __version__
from ..contract.models import Case
from ..output.render import to_json
from ..rules.citations import parse_as_of
from .mask import Mask

if TYPE_CHECKING:
    from ..engine import Engine
    from ..rules import Rulebook

metadata = sa.MetaData()

decisions = sa.Table(
    "decisions", metadata,
    sa.Column("decision_id", sa.String(36), primary_key=True),
    sa.Column("recorded_at", sa.String(32), nullable=False, index=True),
    sa.Column("case_id", sa.String(80), nullable=False, index=True),
    sa.Column("input_digest", sa.String(64), nullable=False),
    sa.Column("input_json", sa.Text, nullable=False),
    sa.Column("masked", sa.Text, nullable=False),
    sa.Column("output_digest", sa.String(64), nullable=False),
    sa.Column("output_json", sa.Text, nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("detail", sa.String(16), nullable=False),
    sa.Column("rulebook_id", sa.String(80), nullable=False),
    sa.Column("rulebook_version", sa.String(40), nullable=False),
    sa.Column("rulebook_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("files_digest", sa.String(64), nullable=False),
    sa.Column("engine_version", sa.String(40), nullable=False),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("record_digest", sa.String(64), nullable=False),
    sa.Column("seal", sa.String(64), nullable=True),
    # added after the first release: databases made before it get it from create_schema (ALTER TABLE)
    sa.Column("as_of", sa.String(10), nullable=True),
)

snapshots = sa.Table(
    "rulebook_snapshots", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("rulebook_id", sa.String(80), nullable=False),
    sa.Column("version", sa.String(40), nullable=False),
    sa.Column("display_root", sa.String(500), nullable=False),
    sa.Column("files_digest", sa.String(64), nullable=False),
    sa.Column("stored_at", sa.String(32), nullable=False),
)

snapshot_files = sa.Table(
    "rulebook_files", metadata,
    sa.Column("sha256", sa.String(64), sa.ForeignKey("rulebook_snapshots.sha256"), primary_key=True),
    sa.Column("path", sa.String(500), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

_SEALED_FIELDS = ("decision_id", "recorded_at", "case_id", "input_digest", "input_json", "masked", "output_digest",
                  "output_json", "lang", "detail", "rulebook_id", "rulebook_version", "rulebook_sha256",
                  "files_digest", "engine_version", "backend")
# sealed too when set; left out of the sealed text when null, so records made before the field existed
# keep their digest and seal
_SEALED_IF_SET = ("as_of",)


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text (the form digests are taken of)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256(text: str | bytes) -> str:
    """Hex SHA-256 of text (UTF-8) or bytes."""
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


@dataclass(frozen=True)
class DecisionRecord:
    """One recorded decision (a row of ``decisions``)."""

    decision_id: str
    recorded_at: str
    case_id: str
    input_digest: str
    input_json: str
    masked: str
    output_digest: str
    output_json: str
    lang: str
    detail: str
    rulebook_id: str
    rulebook_version: str
    rulebook_sha256: str
    files_digest: str
    engine_version: str
    backend: str
    record_digest: str
    seal: str | None = None
    as_of: str | None = None
    """The date of evaluation (``YYYY-MM-DD``) the decision was given with; None: the engine's
    default, the case's ``decided_on``."""

    def sealed_text(self) -> str:
        """The canonical text the record digest and seal are taken over (``as_of`` only when set)."""
        d = asdict(self)
        sealed = {k: d[k] for k in _SEALED_FIELDS}
        sealed.update({k: d[k] for k in _SEALED_IF_SET if d[k] is not None})
        return canonical(sealed)

    def computed_digest(self) -> str:
        """The record digest as recomputed from the fields."""
        return sha256(self.sealed_text())

    def computed_seal(self, key: bytes) -> str:
        """The HMAC seal as recomputed under ``key``."""
        return hmac.new(key, self.sealed_text().encode("utf-8"), hashlib.sha256).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        """The record as plain data (what ``accountrules verify RECORD.json`` reads)."""
        return asdict(self)


@dataclass(frozen=True)
class Snapshot:
    """A stored rulebook: its identity and every file, by relative path."""

    sha256: str
    rulebook_id: str
    version: str
    display_root: str
    files_digest: str
    files: dict[str, bytes]

    def computed_files_digest(self) -> str:
        """The digest of the files as stored now."""
        return files_digest(self.files)

    def materialize(self, directory: Path) -> Path:
        """Write the files under ``directory``; returns it."""
        for rel, content in self.files.items():
            target = directory / rel
            if directory.resolve() not in target.resolve().parents:
                raise ValueError(f"snapshot path '{rel}' leaves the directory")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return directory


def files_digest(files: dict[str, bytes]) -> str:
    """SHA-256 over every (path, content) of a rulebook directory, in path order."""
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode("utf-8") + b"\0" + hashlib.sha256(files[rel]).digest())
    return h.hexdigest()


def rulebook_files(book: Rulebook) -> dict[str, bytes]:
    """Every file of a rulebook directory (rule files, law texts, cases), by relative path."""
    root = book.directory
    out: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            out[rel.as_posix()] = p.read_bytes()
    return out


def database_url(target: str) -> str:
    """A SQLite file path or a database URL → a SQLAlchemy URL (``postgresql://`` uses psycopg 3)."""
    if "://" not in target:
        return "sqlite:///" + os.path.abspath(target)
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    return target


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RecordStore:
    """Writes and reads decision records; safe to use from several threads and processes."""

    def __init__(self, target: str, *, mask: Mask | None = None, key: bytes | None = None) -> None:
        self.url = database_url(target)
        self.mask = mask
        self.key = key
        self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._columns: frozenset[str] | None = None

    # ----------------------------------------------------------------- schema

    def create_schema(self) -> None:
        """Create the tables if they are missing (several processes may do this at once)."""
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7201606)"))
                    metadata.create_all(conn, checkfirst=True)
                    _add_missing_columns(conn)
                self._columns = None
                return
            except DBAPIError:
                if attempt == 4:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def has_schema(self) -> bool:
        """Whether the database holds decision records (a ``decisions`` table).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the database cannot be reached or read.
        """
        with self.engine.connect() as conn:
            return bool(sa.inspect(conn).has_table("decisions"))

    def ping(self) -> None:
        """Raise if the database does not answer."""
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # ----------------------------------------------------------------- writing

    def store_snapshot(self, book: Rulebook) -> str:
        """Store a rulebook's files under its sha256 (once); returns the files digest."""
        files = rulebook_files(book)
        digest = files_digest(files)
        with self._lock:
            if book.sha256 in self._known:
                return digest
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(snapshots.c.sha256).where(snapshots.c.sha256 == book.sha256)).first()
        if exists is None:
            with self.engine.begin() as conn:
                ins = _insert_ignore(conn, snapshots)
                conn.execute(ins, [{"sha256": book.sha256, "rulebook_id": book.manifest.id,
                                    "version": book.manifest.version, "display_root": book.display_root,
                                    "files_digest": digest, "stored_at": _now()}])
                conn.execute(_insert_ignore(conn, snapshot_files),
                             [{"sha256": book.sha256, "path": rel, "content": data} for rel, data in files.items()])
        with self._lock:
            self._known.add(book.sha256)
        return digest

    def record(self, case: Case, output_json: str, engine: Engine, *, lang: str, detail: str,
               as_of: _dt.date | str | None = None) -> DecisionRecord:
        """Record one evaluation: ``output_json`` is the recommendation as returned (``to_json``),
        evaluated with the date of evaluation ``as_of`` (None: the engine's default).

        With a mask, the stored input has the masked fields replaced and the stored output is the
        evaluation of that masked input (the same outcome; the masked values where the output
        echoes them); ``output_digest`` stays the digest of the output as returned.
        """
        book = engine.rulebook
        fdigest = self.store_snapshot(book)
        data = case.model_dump(mode="json")
        stored_input, stored_output, masked = data, output_json, []
        if self.mask is not None:
            stored_input = self.mask.apply(data)
            if stored_input != data:
                masked = self.mask.paths
                stored_output = to_json(engine.evaluate(stored_input, lang=lang, detail=detail, as_of=as_of))
        fields: dict[str, Any] = {
            "decision_id": str(uuid.uuid4()), "recorded_at": _now(), "case_id": str(stored_input["case"]["id"]),
            "input_digest": sha256(canonical(data)), "input_json": canonical(stored_input),
            "masked": canonical(masked), "output_digest": sha256(output_json), "output_json": stored_output,
            "lang": lang, "detail": detail, "rulebook_id": book.manifest.id, "rulebook_version": book.manifest.version,
            "rulebook_sha256": book.sha256, "files_digest": fdigest, "engine_version": __version__,
            "backend": engine.backend, "record_digest": "", "seal": None,
            "as_of": None if as_of is None else parse_as_of(as_of).isoformat(),
        }
        rec = DecisionRecord(**fields)
        rec = DecisionRecord(**{**fields, "record_digest": rec.computed_digest(),
                                "seal": rec.computed_seal(self.key) if self.key else None})
        self.insert(rec)
        return rec

    def insert(self, rec: DecisionRecord) -> None:
        """Write one record in one transaction (a database made before ``as_of`` existed gets the
        column first)."""
        if rec.as_of is not None and "as_of" not in self.columns():
            self.create_schema()
        present = self.columns()
        with self.engine.begin() as conn:
            conn.execute(decisions.insert(), [{k: v for k, v in rec.as_dict().items() if k in present}])

    def columns(self) -> frozenset[str]:
        """The columns the ``decisions`` table has in this database (older databases lack ``as_of``)."""
        if self._columns is None:
            with self.engine.connect() as conn:
                names = {c["name"] for c in sa.inspect(conn).get_columns("decisions")}
            self._columns = frozenset(names)
        return self._columns

    def _select(self) -> sa.Select[Any]:
        present = self.columns()
        return sa.select(*[c for c in decisions.c if c.name in present])

    # ----------------------------------------------------------------- reading

    def get(self, decision_id: str) -> DecisionRecord | None:
        """One record, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(self._select().where(decisions.c.decision_id == decision_id)).mappings().first()
        return DecisionRecord(**row) if row is not None else None

    def records(self) -> Iterator[DecisionRecord]:
        """Every record, oldest first."""
        with self.engine.connect() as conn:
            q = self._select().order_by(decisions.c.recorded_at, decisions.c.decision_id)
            for row in conn.execute(q).mappings():
                yield DecisionRecord(**row)

    def count(self) -> int:
        """How many records there are."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(decisions)).scalar_one())

    def snapshot(self, sha: str) -> Snapshot | None:
        """A stored rulebook, or None."""
        with self.engine.connect() as conn:
            meta = conn.execute(sa.select(snapshots).where(snapshots.c.sha256 == sha)).mappings().first()
            if meta is None:
                return None
            rows = conn.execute(sa.select(snapshot_files.c.path, snapshot_files.c.content)
                                .where(snapshot_files.c.sha256 == sha)).all()
        return Snapshot(sha, meta["rulebook_id"], meta["version"], meta["display_root"], meta["files_digest"],
                        {r[0]: bytes(r[1]) for r in rows})


def _add_missing_columns(conn: sa.Connection) -> None:
    """Bring a ``decisions`` table made by an older version up to date: add the nullable columns it
    lacks (``as_of``); its rows keep null there, which means what they meant."""
    present = {c["name"] for c in sa.inspect(conn).get_columns("decisions")}
    for col in decisions.c:
        if col.name not in present:
            kind = col.type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f'ALTER TABLE decisions ADD COLUMN "{col.name}" {kind}'))


def _insert_ignore(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the dialect at hand."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    return table.insert()  # pragma: no cover - other databases: a duplicate snapshot is an error


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
