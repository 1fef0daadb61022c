"""The progress database file under faults: opening it, telling our store from garbage and from another
program's SQLite file, and transactions whose failures say what happened.

- **Ours or not.** A file is our store when its tables have exactly the columns our migrations give for its
  ``user_version`` (a newer version: at least today's columns); version 0 is ours only when empty. Anything
  else (not SQLite, structurally corrupt, another program's database whatever version it claims) is renamed
  aside, never deleted, and a fresh store starts.
- **Rows, not files.** ``PRAGMA quick_check`` failures that concern single rows (a CHECK constraint, a NULL in
  a NOT NULL column, typically a hand edit) keep the store: the readers skip and name such rows.
- **Read-only.** Where the file or its folder cannot be written (a read-only mount, permissions), reading
  commands (``open_database(write=False)``) get a read-only connection (``mode=ro``; ``immutable=1`` when
  SQLite cannot even share the WAL index there), or an empty in-memory store when there is no file yet; a
  command that must write is told why it cannot, before it starts.
- **Failures.** ``transaction`` is ``BEGIN IMMEDIATE`` ... ``COMMIT``; whatever fails inside it is rolled back
  only while a transaction is still open (SQLite ends one itself on a full disk) and becomes a message:
  ``StoreBusy``, ``StoreFull`` (the disk is full), ``StoreReadOnly``, or an I/O error, never SQLite's
  "cannot rollback - no transaction is active".
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from rnn_tutor.errors import RnnTutorError

BUSY_TIMEOUT_MS = 15_000
FULL_BELOW = 256 * 1024  # free bytes under which a write failure is put down to a full disk
_GARBAGE_CODES = {getattr(sqlite3, "SQLITE_NOTADB", 26), getattr(sqlite3, "SQLITE_CORRUPT", 11)}
_FULL, _READONLY, _IOERR, _CANTOPEN = 13, 8, 10, 14  # SQLite's primary result codes
ROW_PROBLEMS = ("CHECK constraint failed", "NULL value in", "NOT NULL constraint failed")


class StoreBusy(RnnTutorError):
    """Another process held the database longer than the busy timeout."""


class StoreFull(RnnTutorError):
    """The disk holding the database is full."""


class StoreReadOnly(RnnTutorError):
    """The database (or its folder) cannot be written."""


class NotOurs(Exception):
    """The file at the store's path is not a store of ours (``reason`` says what it is)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------------------------- failures


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return _code(exc) in (5, 6) or "locked" in text or "busy" in text


def disk_full(path: Path | None) -> bool:
    if path is None:
        return False
    try:
        st = os.statvfs(Path(path).parent)
    except (AttributeError, OSError):
        return False
    return st.f_bavail * st.f_frsize < FULL_BELOW


def failure(exc: sqlite3.Error, path: Path | None = None) -> RnnTutorError:
    """What an SQLite error means for the user, as an error with a hint."""
    where = f"the progress database {path}" if path else "the progress database"
    if _is_busy(exc):
        return StoreBusy(f"{where} stayed busy: {exc}", "another rnn-tutor quiz may be holding it; try again")
    code = _code(exc)
    if code == _FULL or (code in (_IOERR, _CANTOPEN, None) and disk_full(path)):
        return StoreFull(f"cannot save to {where}: the disk is full",
                         "free some space and run it again; everything saved before is kept")
    if code == _READONLY or "readonly" in str(exc).lower():
        return StoreReadOnly(f"cannot save to {where}: it is read-only here",
                             "choose a writable --data-dir; 'quiz export', 'list' and 'stats' still read it")
    if code == _IOERR:
        return RnnTutorError(f"cannot save to {where}: the disk reported an I/O error ({exc})",
                             "check the disk; everything saved before is kept")
    return RnnTutorError(f"{where} failed: {exc}",
                         "check the file's permissions and free disk space, or choose another --data-dir")


class transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; on any error (Ctrl-C included) a ROLLBACK if one is still open, and an
    SQLite error comes out as ``failure``'s message."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None):
        self.conn, self.path = conn, path

    def __enter__(self):
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise failure(exc, self.path) from None
        return self.conn

    def _rollback(self) -> None:
        if self.conn.in_transaction:  # SQLite may have ended it already (a full disk does)
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as err:
                self._rollback()
                raise failure(err, self.path) from None
            return False
        self._rollback()
        if isinstance(exc, sqlite3.Error):
            raise failure(exc, self.path) from None
        return False


# ------------------------------------------------------------------------------------------- ours or not


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")]
    return {n: {r[1] for r in conn.execute(f'PRAGMA table_info("{n.replace(chr(34), chr(34) * 2)}")')}
            for n in names}


def expected_columns(migrations: dict[int, list[str]], version: int) -> dict[str, set[str]]:
    """The tables and columns our migrations 1..version make (run on an empty in-memory database)."""
    conn = sqlite3.connect(":memory:")
    try:
        for v in range(1, version + 1):
            for statement in migrations[v]:
                conn.execute(statement)
        return _columns(conn)
    finally:
        conn.close()


def schema_problem(conn: sqlite3.Connection, migrations: dict[int, list[str]], latest: int) -> str | None:
    """Why the database on ``conn`` is not a store of ours, or None."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = _columns(conn)
    if version < 0:
        return f"its schema version is {version}"
    if version == 0:
        return None if not tables else f"it holds other tables ({', '.join(sorted(tables)[:4])})"
    want = expected_columns(migrations, min(version, latest))
    for table, columns in want.items():
        have = tables.get(table)
        if have is None:
            return f"it has no {table} table"
        if (have != columns) if version <= latest else not columns <= have:
            return f"its {table} table has other columns ({', '.join(sorted(have)[:6])})"
    return None


def check_file(conn: sqlite3.Connection, migrations, latest: int) -> None:
    """Raise NotOurs if the database is damaged as a file or is not ours; row-level problems pass."""
    problems = [r[0] for r in conn.execute("PRAGMA quick_check")]
    if problems != ["ok"] and not all(str(p).startswith(ROW_PROBLEMS) for p in problems):
        raise NotOurs(f"it is damaged ({problems[0]})")
    problem = schema_problem(conn, migrations, latest)
    if problem:
        raise NotOurs(f"it is not an rnn-tutor progress database: {problem}")


# ------------------------------------------------------------------------------------------- opening


def location_problem(path: Path) -> str | None:
    """Why the store at ``path`` (with its -wal and -shm beside it) cannot be written, or None."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1):
            return "the file system is read-only"
    except (AttributeError, OSError):
        pass
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} is not writable"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable"
    return None


@dataclass
class Opened:
    conn: sqlite3.Connection
    moved_aside: Path | None = None
    read_only: bool = False


def open_database(path: Path, migrations: dict[int, list[str]], latest: int, *, write: bool) -> Opened:
    """Open (creating and migrating as needed) the store at ``path``; see the module docstring."""
    problem = location_problem(path)
    if problem is not None:
        if write:
            raise StoreReadOnly(f"cannot save progress in {path}: {problem}",
                                "choose a writable --data-dir; 'quiz export', 'list' and 'stats' still read it")
        return Opened(read_only_database(path, migrations, latest), None, True)
    for attempt in range(3):  # creating the store races other sessions starting at once
        try:
            try:
                return Opened(_connect_checked(path, migrations, latest))
            except NotOurs as why:
                moved = move_aside(path, why.reason)
                return Opened(_connect_checked(path, migrations, latest), moved)
        except StoreBusy:
            if attempt == 2:
                raise
        except (StoreFull, StoreReadOnly):  # a full disk: reading commands still read what is there
            if write or not path.exists():
                raise
            return Opened(read_only_database(path, migrations, latest), None, True)
    raise AssertionError("unreachable")


def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, uri=uri)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _connect_checked(path: Path, migrations, latest: int) -> sqlite3.Connection:
    """Open, check and migrate the store; NotOurs if the file is not ours."""
    try:
        conn = _connect(str(path))
    except sqlite3.Error as exc:
        raise RnnTutorError(f"cannot open {path}: {exc}",
                            "check the permissions or choose another --data-dir") from None
    try:
        check_file(conn, migrations, latest)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > latest:
            raise RnnTutorError(f"{path} was written by a newer rnn-tutor (schema {version}, this one knows up "
                                f"to {latest})", "upgrade rnn-tutor; your progress is untouched")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        if version < latest:
            migrate(conn, migrations, latest, path)
        return conn
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.DatabaseError):
            if _code(exc) in _GARBAGE_CODES or "not a database" in str(exc) or "malformed" in str(exc):
                raise NotOurs("it is not a readable SQLite database") from None
            raise failure(exc, path) from None
        raise


def read_only_database(path: Path, migrations, latest: int) -> sqlite3.Connection:
    """A read-only connection (or an empty in-memory store when there is no file)."""
    if not path.exists():
        conn = _connect(":memory:")
        migrate(conn, migrations, latest, None)
        return conn
    conn = _try_read_only(path, "mode=ro")
    wal = path.with_name(path.name + "-wal")
    if conn is None and wal.exists() and wal.stat().st_size:
        conn = _read_copy(path)  # SQLite cannot read the WAL here without its -shm: read a copy of both
    if conn is None:
        conn = _try_read_only(path, "immutable=1")  # nothing in a WAL: the file alone is the whole store
    if conn is None:
        raise RnnTutorError(f"cannot read {path}: SQLite cannot open it here, read-only",
                            "copy the folder somewhere writable and use --data-dir")
    try:
        check_file(conn, migrations, latest)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except NotOurs as why:
        conn.close()
        raise RnnTutorError(f"{path} cannot be read ({why.reason}), and it cannot be moved aside here, read-only",
                            "copy it somewhere writable, or choose another --data-dir") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise RnnTutorError(f"{path} cannot be read: {exc}", "copy it somewhere writable and look") from None
    if version > latest:
        conn.close()
        raise RnnTutorError(f"{path} was written by a newer rnn-tutor (schema {version}, this one knows up to "
                            f"{latest})", "upgrade rnn-tutor; your progress is untouched")
    if version < latest:  # an older store: upgrade a copy (the original cannot be written here)
        conn.close()
        conn = _read_copy(path, migrations, latest)
        if conn is None:
            raise RnnTutorError(f"{path} has schema {version} and needs an upgrade, which cannot be written here "
                                "(read-only) nor in a temporary copy", "open it once from a writable location")
    return conn


def _try_read_only(path: Path, query: str) -> sqlite3.Connection | None:
    conn = None
    try:
        conn = _connect(f"file:{quote(str(path.resolve()))}?{query}", uri=True)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        return None


def _read_copy(path: Path, migrations=None, latest: int = 0) -> sqlite3.Connection | None:
    """A connection to a temporary copy of the store and its WAL (removed when the program ends): read-only,
    or upgraded to ``latest`` first when ``migrations`` are given. The original is never written."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="rnn-tutor-readonly-"))
    conn = None
    try:
        for suffix in ("", "-wal"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                shutil.copyfile(side, folder / side.name)
        copy = folder / path.name
        if migrations is None:
            conn = _try_read_only(copy, "mode=ro")
        else:
            conn = _connect_checked(copy, migrations, latest)
    except (OSError, NotOurs, RnnTutorError, sqlite3.Error):
        conn = None
    if conn is None:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        atexit.register(shutil.rmtree, folder, True)
    return conn


def migrate(conn: sqlite3.Connection, migrations, latest: int, path: Path | None) -> None:
    with transaction(conn, path):
        # Re-read inside the lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for target in range(version + 1, latest + 1):
            for statement in migrations[target]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")


# ------------------------------------------------------------------------------------------- moving aside


def free_name(path: Path, suffix: str = "") -> Path:
    """``path`` + ``suffix``, or with -2, -3... before the suffix if that name is taken."""
    candidate, n = path.with_name(path.name + suffix), 1
    while candidate.exists() or candidate.with_name(candidate.name + "-wal").exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}{suffix}")
    return candidate


def move_aside(path: Path, reason: str = "it is not a readable progress database") -> Path:
    """Rename a file that is not our store (and its -wal/-shm companions) aside. Never deletes."""
    when = datetime.now().strftime("%Y%m%dT%H%M%S")
    target = free_name(path.with_name(f"{path.name}.unreadable-{when}"))  # ...-{when}-2 if taken
    try:
        os.replace(path, target)
        for suffix in ("-wal", "-shm", "-journal"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
    except OSError as exc:
        raise RnnTutorError(f"{path} cannot be used ({reason}) and could not be moved aside: "
                            f"{exc.strerror or exc}", "move it away yourself or choose another --data-dir") from None
    return target
