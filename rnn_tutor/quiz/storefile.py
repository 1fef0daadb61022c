"""The progress database file under faults: opening it, telling our store from garbage and from another
program's SQLite file, and transactions whose failures say what happened.

- **Ours or not.** A file is our store when its tables have exactly the columns our migrations give for its
  ``user_version`` (a newer version: at least today's columns); version 0 is ours only when empty. Anything
  else (not SQLite, structurally corrupt, another program's database whatever version it claims) is renamed
  aside, never deleted, and a fresh store starts.
- **What is checked at open, and when.** SQLite's ``PRAGMA quick_check`` reads every page of the file: at a
  million reviews (~400 MB) that is ~0.45 s of CPU and more of disk, longer than everything else a reading
  command does. Almost all of those pages are the history (``reviews`` and its indexes); every other table has
  a row per card. So the check depends on what the command will do to the file:

  * a command that writes (a session, import, undo, reset, and any schema upgrade) checks the WHOLE file before
    its first write: writing into a damaged b-tree (a page listed free that is in use, say) can destroy
    good rows, so this check is not skipped, whatever it costs (it is the first half-second of a session at a
    million reviews, nothing at a few thousand);
  * a reading command (list, stats, export) checks, in milliseconds however long the history:

    - the file is as long as its header says (a whole number of pages, at least as many as the header counts),
      so a file cut short is named as such;
    - what SQLite checks at open (a header it refuses: "not a database");
    - ``quick_check("sqlite_schema")``: the schema's b-tree and, because the schema's root page is in the set
      checked, the freelist (its trunk and leaf pages: the list a write takes pages from);
    - the schema is ours (``schema_problem``);
    - ``quick_check(TABLE)`` (SQLite >= 3.33; older ones check the whole file) of every table but the history,
      with its indexes: ``card_state``, ``user_cards``, ``review_counts`` (what stats and list show).

    It leaves to the next write's whole-file check: the b-trees of ``reviews`` and its three indexes (almost
    all of the file), and what only a walk of every b-tree can see (a page that two b-trees use, or a b-tree
    and the freelist; a page nothing uses). Until then, a damaged history page is met only if the command
    reads it: stats reads ranges of the time index (the calendar's days, the streak; of the card index with
    ``--topic``) and the last week's rows, list none (bar the card index's range of old ids), export all.
    SQLite checks every page it loads (its header and where its cells lie), so such a page fails with
    SQLITE_CORRUPT, which becomes ``StoreDamaged`` (a clear message; nothing is changed, since another
    session may be using the file); a damaged page it does not read cannot change what it shows. Damage that
    leaves a page well formed (a changed byte inside a value) is found by neither check: SQLite keeps no
    checksums of pages, and ``quick_check`` does not compare an index with its table.
  * no write goes into a file that has not been checked whole: ``Store._transaction`` makes the whole-file
    check before the first write of a store a reading command opened (its one write, adopting old ids, skips
    itself quietly if the file is damaged; any other is ``StoreDamaged``), and a reading command leaves an
    older file's journal mode alone (switching it to WAL writes the header; a writing command does it after
    its check). The one thing SQLite itself may write when a reading command closes is a checkpoint of a WAL
    left by another session: it copies committed pages whole (each frame has a checksum), reading no b-tree.

  We considered remembering the last clean check (file size, mtime, WAL state) so that an unchanged file is
  not checked twice, and decided against it: a reading command no longer needs the whole check, and for a
  writing command the record would trust the file's size and mtime, which damage on the disk (a bad sector, a
  flipped bit) leaves as they were, would need a file of its own beside the store (or a write to the store that
  changes what it records), and could not be kept on a read-only location.
- **Rows, not files.** ``PRAGMA quick_check`` failures that concern single rows (a CHECK constraint, a NULL in
  a NOT NULL column, typically a hand edit) keep the store: the readers skip and name such rows.
- **Damage found later.** A query that meets a damaged page raises ``StoreDamaged``; a command that writes then
  moves the file aside as at open (``quiz.store`` does it, after closing its connection).
- **Read-only.** Where the file or its folder cannot be written (a read-only mount, permissions), reading
  commands (``open_database(write=False)``) get a read-only connection (``mode=ro``; ``immutable=1`` when
  SQLite cannot even share the WAL index there), or an empty in-memory store when there is no file yet; a
  command that must write is told why it cannot, before it starts.
- **Failures.** ``transaction`` is ``BEGIN IMMEDIATE`` ... ``COMMIT``; whatever fails inside it is rolled back
  only while a transaction is still open (SQLite ends one itself on a full disk) and becomes a message:
  ``StoreBusy``, ``StoreFull`` (the disk is full), ``StoreReadOnly``, ``StoreDamaged``, or an I/O error, never
  SQLite's "cannot rollback - no transaction is active".
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
HISTORY_TABLE = "reviews"  # the table that grows with the history; a reading command does not check it at open
TABLE_CHECKS = sqlite3.sqlite_version_info >= (3, 33, 0)  # PRAGMA quick_check(TABLE) exists since 3.33


class StoreBusy(RnnTutorError):
    """Another process held the database longer than the busy timeout."""


class StoreFull(RnnTutorError):
    """The disk holding the database is full."""


class StoreReadOnly(RnnTutorError):
    """The database (or its folder) cannot be written."""


class StoreDamaged(RnnTutorError):
    """SQLite found a damaged page while reading or writing the store (SQLITE_CORRUPT, "database disk image is
    malformed"); ``reason`` is SQLite's words."""

    def __init__(self, message: str, hint: str | None = None, reason: str = ""):
        super().__init__(message, hint)
        self.reason = reason


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


def is_damage(exc: BaseException) -> bool:
    """Whether an SQLite error says the file is damaged (or is not a database at all)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    text = str(exc).lower()
    return _code(exc) in _GARBAGE_CODES or "malformed" in text or "not a database" in text


def damaged(exc: sqlite3.Error, path: Path | None) -> StoreDamaged:
    """A damaged page met by a query, as a reading command says it (nothing is changed)."""
    where = f"the progress database {path}" if path else "the progress database"
    rescue = f"; to rescue what can still be read: sqlite3 {path} .recover > rescued.sql" if path else ""
    return StoreDamaged(f"{where} is damaged: SQLite found a damaged page while reading it ({exc}); nothing "
                        "was changed", f"the next 'rnn-tutor quiz' session moves the file aside, never deleting "
                        f"it, and starts a fresh store{rescue}", str(exc))


def reading_failure(exc: sqlite3.Error, path: Path | None) -> RnnTutorError:
    """What an SQLite error raised by a query means (``failure`` is for writes)."""
    if is_damage(exc):
        return damaged(exc, path)
    if _is_busy(exc) or _code(exc) in (_FULL, _READONLY):
        return failure(exc, path)
    where = f"the progress database {path}" if path else "the progress database"
    return RnnTutorError(f"cannot read {where}: {exc}", "check the disk and the file's permissions")


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
    if is_damage(exc):
        return StoreDamaged(f"cannot save to {where}: SQLite found a damaged page ({exc})",
                            "everything saved before is kept in the file", str(exc))
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
    """The tables and columns our migrations 1..version make (run on an empty in-memory database, once per set
    of statements: every open asks)."""
    statements = tuple(tuple(migrations[v]) for v in range(1, version + 1))
    if statements not in _EXPECTED:
        conn = sqlite3.connect(":memory:")
        try:
            for step in statements:
                for statement in step:
                    conn.execute(statement)
            _EXPECTED[statements] = _columns(conn)
        finally:
            conn.close()
    return {table: set(columns) for table, columns in _EXPECTED[statements].items()}


_EXPECTED: dict[tuple, dict[str, set[str]]] = {}


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


def _quick_check(conn: sqlite3.Connection, table: str | None = None) -> list[str]:
    """``PRAGMA quick_check`` of the whole file or of one table and its indexes: ["ok"] or the problems (an error
    SQLite raises on a damaged page is one)."""
    sql = "PRAGMA quick_check" if table is None else f'PRAGMA quick_check("{table}")'
    try:
        return [str(r[0]) for r in conn.execute(sql)]
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return [str(exc)]
        raise


def _size_problem(path: Path | None) -> str | None:
    """Whether the file was cut short (its own header and its size tell, without reading a page): an SQLite
    file is a whole number of pages, and holds at least the pages its header counts (SQLite refuses the latter
    too, as "malformed"; this says why). A file that is not SQLite at all is left to SQLite to name."""
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
        size = os.stat(path).st_size
    except OSError:
        return None
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return None
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1):
        return None
    if size % page:
        return f"it looks cut short ({size:,} bytes is not a whole number of its {page:,}-byte pages)"
    counted, valid = int.from_bytes(head[28:32], "big"), head[24:28] == head[92:96]
    wal = path.with_name(path.name + "-wal")
    pending = wal.exists() and wal.stat().st_size > 0  # pages may be in the WAL: SQLite counts those itself
    if valid and counted * page > size and not pending:
        return (f"it looks cut short (its header counts {counted:,} pages of {page:,} bytes; the file holds "
                f"{size // page:,})")
    return None


def check_file(conn: sqlite3.Connection, migrations, latest: int, *, full: bool = True,
               path: Path | None = None) -> None:
    """Raise NotOurs if the database is damaged as a file or is not ours; row-level problems pass.

    ``full``: ``quick_check`` of the whole file (before writing); else of every table but the history (what a
    reading command needs; see the module docstring)."""
    problem = _size_problem(path)
    if problem:
        raise NotOurs(problem)
    if full or not TABLE_CHECKS:
        _raise_if_damaged(_quick_check(conn))
    else:
        _raise_if_damaged(_quick_check(conn, "sqlite_schema"))
    problem = schema_problem(conn, migrations, latest)
    if problem:
        raise NotOurs(f"it is not an rnn-tutor progress database: {problem}")
    if not full and TABLE_CHECKS:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for table in sorted(expected_columns(migrations, min(version, latest))):
            if table != HISTORY_TABLE:
                _raise_if_damaged(_quick_check(conn, table))


def whole_file_problem(conn: sqlite3.Connection) -> str | None:
    """The whole-file check alone (for a reading command that is about to write): why the file is damaged, or
    None."""
    try:
        _raise_if_damaged(_quick_check(conn))
    except NotOurs as why:
        return why.reason
    return None


def _raise_if_damaged(problems: list[str]) -> None:
    if problems != ["ok"] and not all(p.startswith(ROW_PROBLEMS) for p in problems):
        raise NotOurs(f"it is damaged ({problems[0]})")


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
    reason: str | None = None  # why the file moved aside was not used


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
                return Opened(_connect_checked(path, migrations, latest, full=write))
            except NotOurs as why:
                moved = move_aside(path, why.reason)
                return Opened(_connect_checked(path, migrations, latest, full=write), moved, reason=why.reason)
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


def _connect_checked(path: Path, migrations, latest: int, *, full: bool) -> sqlite3.Connection:
    """Open, check (``full``: the whole file; else what a reading command needs) and migrate the store; NotOurs
    if the file is not ours. An upgrade writes, so it checks the whole file first."""
    try:
        conn = _connect(str(path))
    except sqlite3.Error as exc:
        raise RnnTutorError(f"cannot open {path}: {exc}",
                            "check the permissions or choose another --data-dir") from None
    try:
        check_file(conn, migrations, latest, full=full, path=path)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > latest:
            raise RnnTutorError(f"{path} was written by a newer rnn-tutor (schema {version}, this one knows up "
                                f"to {latest})", "upgrade rnn-tutor; your progress is untouched")
        if version < latest and not full:  # the upgrade writes: the whole file first
            check_file(conn, migrations, latest, full=True, path=path)
            full = True
        # Switching an older file to WAL writes its header: a command that writes does it, after its whole-file
        # check; a reading command reads the file in the journal mode it has (and so changes nothing).
        if full and conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        if version < latest:
            migrate(conn, migrations, latest, path)
        return conn
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.DatabaseError):
            if is_damage(exc):
                raise NotOurs(f"it is not a readable SQLite database ({exc})") from None
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
        check_file(conn, migrations, latest, full=False, path=path)
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
            conn = _connect_checked(copy, migrations, latest, full=False)  # (an upgrade checks it all)
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
