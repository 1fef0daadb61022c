"""The progress store under faults (issue 17 §3): foreign SQLite files whatever version they claim, rows that
break a constraint, a disk that fills mid-session, a read-only location.

Full and read-only disks are real where the test can make them: as root, a small tmpfs mounted for the test
(and remounted read-only); without root, a read-only location is a folder and file without write permission.
A full disk without root is simulated with SQLite's own ``max_page_count``, which makes SQLite return the same
SQLITE_FULL "database or disk is full" a full disk gives."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from rnn_tutor.quiz import schedule
from rnn_tutor.quiz.cards import Card
from rnn_tutor.quiz.store import DB_NAME, SCHEMA_VERSION, Store, StoreFull, StoreReadOnly
from tests.fuzzing import invoke, loads_strict
from tests.hostile import snapshot

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def sched():
    return schedule.make_scheduler(fuzzing=False)


def _with_reviews(folder, sched, n=3):
    with Store.open(folder) as s:
        for i in range(n):
            s.record_review(Card(f"c{i}", "t", f"Q{i}?", "A."), 3, T0 + timedelta(minutes=i), sched)


def _mount_tmpfs(folder, size: str) -> bool:
    if not ROOT:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    return r.returncode == 0


def _umount(folder) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@contextlib.contextmanager
def read_only(folder):
    """Make ``folder`` (holding a store) read-only for real: remounted read-only (root) or no write permission."""
    if ROOT:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)
        try:
            yield
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(folder)], capture_output=True)
    else:
        modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)


@pytest.fixture
def ro_home(tmp_path):
    """A folder that can be made read-only: a tmpfs of its own as root, a plain folder otherwise."""
    folder = tmp_path / "ro"
    if ROOT and not _mount_tmpfs(folder, "4m"):
        pytest.skip("root, but cannot mount a tmpfs here")
    folder.mkdir(exist_ok=True)
    yield folder
    if ROOT:
        _umount(folder)


# ------------------------------------------------------------------------------------------- not ours


def _foreign(path, *statements):
    conn = sqlite3.connect(path)
    for st in statements:
        conn.execute(st)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("statements", [
    ["CREATE TABLE foo (x)", "PRAGMA user_version = 1"],
    ["CREATE TABLE reviews (a, b)", "CREATE TABLE card_state (c)", "CREATE TABLE user_cards (d)",
     "PRAGMA user_version = 1"],
    ["CREATE TABLE foo (x)", "PRAGMA user_version = -5"],
    ["CREATE TABLE foo (x)", "PRAGMA user_version = 7"],
    ["CREATE TABLE bar (y)"],
], ids=["other-table-v1", "our-names-other-columns", "version-minus-5", "version-7", "version-0"])
def test_a_foreign_database_is_moved_aside_whatever_its_version(tmp_path, statements):
    _foreign(tmp_path / DB_NAME, *statements, "INSERT INTO " + statements[0].split()[2] + " VALUES "
             + "(" + ", ".join(["1"] * statements[0].count(",") + ["1"]) + ")")
    original = (tmp_path / DB_NAME).read_bytes()
    r = invoke(["quiz", "stats", "-f", "json", "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.stderr
    assert "moved to" in r.stderr and "kept, not deleted" in r.stderr and "internal error" not in r.stderr
    aside = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == original  # never deleted, never changed
    with Store.open(tmp_path) as s:  # a fresh store of ours in its place
        assert s.schema_version() == SCHEMA_VERSION and s.review_count() == 0


@pytest.mark.parametrize("make, words", [
    (lambda p: os.mkfifo(p), "a pipe (FIFO)"),
    (lambda p: p.symlink_to("/dev/zero"), "a character device (/dev/zero)"),
    (lambda p: p.mkdir(), "a folder"),
], ids=["fifo", "dev-zero", "folder"])
def test_a_store_path_that_is_not_a_file_is_named_and_left_alone(tmp_path, make, words):
    make(tmp_path / DB_NAME)
    before = snapshot(tmp_path)
    for args in (["quiz", "stats"], ["quiz", "export"], ["quiz"]):
        r = invoke([*args, "--data-dir", str(tmp_path)], input="")
        assert r.exit_code == 1 and f"is {words}, not a database file" in r.stderr, r.stderr
    assert snapshot(tmp_path) == before


def test_our_own_store_is_recognised_at_every_step(tmp_path, sched):
    _with_reviews(tmp_path, sched)
    for _ in range(2):
        with Store.open(tmp_path) as s:
            assert s.moved_aside is None and s.review_count() == 3


# ------------------------------------------------------------------------------------------- rows


def test_a_row_breaking_a_check_constraint_is_skipped_and_the_store_kept(tmp_path, sched):
    _with_reviews(tmp_path, sched, n=41)
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute("UPDATE reviews SET grade = 9 WHERE card_id = 'c7'")
    conn.commit()
    conn.close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "CHECK constraint failed in reviews"
    conn.close()
    r = invoke(["quiz", "export", "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.stderr
    assert "moved" not in r.stderr and "uid" in r.stderr and "'c7'" in r.stderr  # the row named
    lines = [loads_strict(x) for x in r.stdout.splitlines()]
    assert len(lines) == 40 and "c7" not in {x["card_id"] for x in lines}
    assert not [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    with Store.open(tmp_path) as s:
        assert s.conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 41  # kept in the file


# ------------------------------------------------------------------------------------------- full disk


def test_sqlite_full_mid_session_says_so_and_keeps_what_was_saved(tmp_path, sched):
    """SQLITE_FULL from SQLite itself (max_page_count): the message says the disk is full and which answer was
    lost; no 'cannot rollback - no transaction is active'; every earlier review is kept."""
    _with_reviews(tmp_path, sched, n=2)
    with Store.open(tmp_path) as s:
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
        s.conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreFull) as e:
            for i in range(200):  # until a page must be added
                s.record_review(Card(f"n{i}-" + "y" * 70, "t" * 3000, "Q", "A"), 3, T0, sched)
        text = e.value.user_message()
        assert "the disk is full" in text and "was not saved" in text and "every card answered before" in text
        assert "rollback" not in text and not s.conn.in_transaction
        n = s.review_count()
    with Store.open(tmp_path) as s:
        assert s.review_count() == n >= 2 and len(s.reviews()) == n


@pytest.fixture
def full_home(tmp_path, sched):
    folder = tmp_path / "full"
    if not _mount_tmpfs(folder, "1m"):
        pytest.skip("needs root to mount a small tmpfs (the simulated test above covers the rest)")
    try:
        _with_reviews(folder, sched, n=1)
        free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
        with open(folder / "filler", "wb") as fh:
            fh.write(bytes(free - 100 * 1024))  # leave about 100 kB: a few reviews fit, then the disk is full
        yield folder
    finally:
        _umount(folder)


def test_a_real_disk_filling_mid_session(full_home):
    stdin = "\n3\n" * 60
    r = invoke(["quiz", "--limit", "60", "--new", "60", "--format", "jsonl", "--data-dir", str(full_home)],
               input=stdin)
    assert r.exit_code == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: cannot save to the progress database") and "the disk is full" in last
    assert "Your answer to this card" in last and "rollback" not in r.stderr and "internal error" not in r.stderr
    saved = [loads_strict(x) for x in r.stdout.splitlines() if x.strip()]
    assert saved, "some cards fit before the disk filled"
    with open(full_home / "more", "wb") as fh:  # now really nothing left
        fh.write(bytes(os.statvfs(full_home).f_bavail * os.statvfs(full_home).f_frsize))
    r = invoke(["quiz", "export", "--data-dir", str(full_home)])  # the data still comes out
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 1 + len(saved), r.stderr
    (full_home / "filler").unlink()
    with Store.open(full_home) as s:
        assert s.review_count() == 1 + len(saved)  # exactly the answers reported saved, plus the one before


# ------------------------------------------------------------------------------------------- read-only


def test_reading_commands_work_on_a_read_only_location(ro_home, sched):
    _with_reviews(ro_home, sched)
    with read_only(ro_home):
        before = snapshot(ro_home)
        r = invoke(["quiz", "export", "--data-dir", str(ro_home)])
        assert r.exit_code == 0, r.stderr
        assert [loads_strict(x)["card_id"] for x in r.stdout.splitlines()] == ["c0", "c1", "c2"]
        for args in (["quiz", "list", "-f", "json"], ["quiz", "stats", "-f", "json"],
                     ["quiz", "export", "--format", "csv"]):
            r = invoke([*args, "--data-dir", str(ro_home)])
            assert r.exit_code == 0, (args, r.stderr)
        assert loads_strict(invoke(["quiz", "stats", "-f", "json", "--data-dir", str(ro_home)]).stdout)[
            "reviews_total"] == 3
        for args, stdin in ((["quiz"], "\n3\n"), (["quiz", "reset", "--yes"], None)):
            r = invoke([*args, "--data-dir", str(ro_home)], input=stdin)
            assert r.exit_code == 1 and "cannot save progress" in r.stderr, r.stderr
            assert "export" in r.stderr  # it says how to get the data out
        assert snapshot(ro_home) == before


def test_no_store_yet_on_a_read_only_location(ro_home):
    with read_only(ro_home):
        r = invoke(["quiz", "stats", "-f", "json", "--data-dir", str(ro_home)])
        assert r.exit_code == 0 and loads_strict(r.stdout)["reviews_total"] == 0, r.stderr
        r = invoke(["quiz", "export", "--data-dir", str(ro_home)])
        assert r.exit_code == 0 and r.stdout == ""
        assert list(ro_home.iterdir()) == []


@pytest.mark.skipif(not ROOT, reason="needs a read-only mount, which needs root")
def test_read_only_with_an_unmerged_wal_and_no_shm_still_exports_everything(ro_home, sched):
    """The last reviews can sit in the -wal file; without its -shm SQLite cannot read them on a read-only
    mount, so rnn-tutor reads a copy of both instead of silently dropping them."""
    _with_reviews(ro_home, sched, n=1)
    script = ("import sqlite3, os, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
              "c.execute('PRAGMA wal_autocheckpoint = 0'); "
              "c.execute(\"INSERT INTO reviews (uid, card_id, topic, reviewed_at, grade, cram) VALUES "
              "('in-wal', 'w1', 't', '2026-12-01T00:00:00.000000Z', 3, 1)\"); os._exit(0)")
    subprocess.run([os.sys.executable, "-c", script, str(ro_home / DB_NAME)], check=True)
    (ro_home / (DB_NAME + "-shm")).unlink()
    assert (ro_home / (DB_NAME + "-wal")).stat().st_size > 0
    with read_only(ro_home):
        r = invoke(["quiz", "export", "--data-dir", str(ro_home)])
        assert r.exit_code == 0, r.stderr
        assert [loads_strict(x)["uid"] for x in r.stdout.splitlines()][-1] == "in-wal"


def test_a_write_on_a_read_only_store_says_why(ro_home, sched):
    _with_reviews(ro_home, sched)
    with read_only(ro_home):
        with Store.open(ro_home, write=False) as s:
            assert s.read_only and s.review_count() == 3
            with pytest.raises(StoreReadOnly) as e:
                s.record_review(Card("c9", "t", "Q", "A"), 3, T0, sched)
            assert "not saved" in e.value.user_message()


def test_an_older_store_on_a_read_only_location_is_read_through_an_upgraded_copy(ro_home, sched):
    """A schema-1 store (before review counts) on a read-only location: the upgrade cannot be written there,
    so reading commands upgrade a temporary copy; the original stays byte for byte."""
    _with_reviews(ro_home, sched)
    conn = sqlite3.connect(ro_home / DB_NAME)
    for trigger in ("insert", "delete", "update"):  # what schema 1 looked like: no counts, no triggers
        conn.execute(f"DROP TRIGGER review_counts_{trigger}")
    conn.execute("DROP TABLE review_counts")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with read_only(ro_home):
        before = snapshot(ro_home)
        r = invoke(["quiz", "stats", "-f", "json", "--data-dir", str(ro_home)])
        assert r.exit_code == 0 and loads_strict(r.stdout)["reviews_total"] == 3, r.stderr
        r = invoke(["quiz", "export", "--data-dir", str(ro_home)])
        assert r.exit_code == 0 and len(r.stdout.splitlines()) == 3, r.stderr
        assert snapshot(ro_home) == before
