"""Damaged progress files, generated: what the reading commands (list, stats, export) and the writing ones (a
session, undo) do with each, now that a reading command checks every table but the history at open and a
writing command checks the whole file (``quiz/storefile.py``).

Each damage is made on a copy of one generated store of 3,000 reviews: a page of the history overwritten with
random bytes, the history's time index zeroed where stats reads it, a schedule page (a small table) overwritten,
the file cut by whole pages or mid-page, another program's database. Every test asserts the exit code, the
message, and that nothing was deleted: a file that is not used is moved aside byte for byte, and a reading
command changes nothing at all."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta

import pytest

from rnn_tutor.quiz import schedule, storefile
from rnn_tutor.quiz.cards import builtin_deck
from rnn_tutor.quiz.store import DB_NAME, Store, StoreDamaged
from tests.fuzzing import invoke, loads_strict
from tests.hostile import btree_pages, overwrite_page, snapshot
from tests.quiz.history import fill_history
from tests.quiz.test_store_faults import read_only, ro_home  # noqa: F401  (a fixture)

N = 3000


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """One healthy store (and the --now its stats are taken at), copied by every test."""
    folder = tmp_path_factory.mktemp("base")
    last = fill_history(folder, N)
    return folder, (last + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _copy(base, tmp_path, name="home"):
    folder = tmp_path / name
    shutil.copytree(base[0], folder)
    return folder


def _run(folder, *args, input=None):
    return invoke(["quiz", *args, "--data-dir", str(folder)], input=input)


def _aside(folder):
    return sorted(p for p in folder.iterdir() if ".unreadable-" in p.name)


def _middle_history_page(path):
    pages = btree_pages(path, "reviews")
    return pages[len(pages) // 2]


def _damage_history(path):
    overwrite_page(path, _middle_history_page(path), seed=1)


def _damage_time_index(path):  # the end of the time index: where stats counts this week's reviews
    overwrite_page(path, btree_pages(path, "reviews_by_time")[-1], bytes(65536))


def _damage_schedule(path):  # a small table: every open checks it
    overwrite_page(path, btree_pages(path, "card_state")[0], seed=2)


def _cut_pages(path):
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size * 6 // 10 // 4096 * 4096)


def _cut_mid_page(path):
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size - 1000)


def _damage_freelist(path):  # free pages (a deleted import), then the freelist's first trunk page made to lie
    conn = sqlite3.connect(path)
    conn.executemany("INSERT INTO user_cards VALUES (?, 't', ?, 'a', '', '2020-01-01T00:00:00.000000Z')",
                     [(f"big-{i}", "q" * 3000) for i in range(200)])
    conn.commit()
    conn.execute("DELETE FROM user_cards WHERE id LIKE 'big-%'")
    conn.commit()
    conn.close()
    with open(path, "r+b") as fh:
        head = fh.read(100)
        page, trunk = int.from_bytes(head[16:18], "big"), int.from_bytes(head[32:36], "big")
        assert trunk and int.from_bytes(head[36:40], "big") > 1  # there are free pages
        fh.seek((trunk - 1) * page + 4)
        fh.write((10 ** 6).to_bytes(4, "big"))  # "a million leaves on this trunk page"


def _foreign(path):
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE reviews (a, b)")
    conn.execute("INSERT INTO reviews VALUES (1, 2)")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()


READERS = [["stats", "-f", "json"], ["list", "-f", "json"], ["export"]]
WRITERS = [["undo"], ["--no-fuzz", "--limit", "1", "--format", "jsonl"]]


def _stats(folder, now):
    r = _run(folder, "stats", "-f", "json", "--now", now)
    assert r.exit_code == 0, r.stderr
    return loads_strict(r.stdout)


# ------------------------------------------------------------------------------------------- the history


def test_a_damaged_history_page_reading_commands(base, tmp_path):
    """Stats and list do not read that page: they work and show what the healthy store shows. Export reads every
    page: it stops with a clear message. None of them changes anything (another session may be using the file)."""
    healthy = _copy(base, tmp_path, "healthy")
    folder = _copy(base, tmp_path)
    _damage_history(folder / DB_NAME)
    before = snapshot(folder)
    assert _stats(folder, base[1]) == _stats(healthy, base[1])
    listed = _run(folder, "list", "-f", "json")
    assert listed.exit_code == 0 and listed.stdout == _run(healthy, "list", "-f", "json").stdout
    for args in (["export"], ["export", "--format", "csv"], ["export", "-o", str(tmp_path / "out.jsonl")]):
        r = _run(folder, *args)
        assert r.exit_code == 1, (args, r.stderr)
        assert "is damaged: SQLite found a damaged page while reading it" in r.stderr
        assert "nothing was changed" in r.stderr and ".recover" in r.stderr and "internal error" not in r.stderr
    assert not (tmp_path / "out.jsonl").exists() and not list(tmp_path.glob(".out.jsonl-*"))  # no half file
    assert snapshot(folder) == before


def test_a_damaged_page_that_stats_reads_is_a_clear_message(base, tmp_path):
    folder = _copy(base, tmp_path)
    _damage_time_index(folder / DB_NAME)
    before = snapshot(folder)
    r = _run(folder, "stats", "-f", "json", "--now", base[1])
    assert r.exit_code == 1 and r.stdout == ""
    assert "is damaged" in r.stderr and "nothing was changed" in r.stderr and "internal error" not in r.stderr
    assert snapshot(folder) == before


@pytest.mark.parametrize("args", WRITERS, ids=["undo", "session"])
def test_a_damaged_history_page_writing_commands_move_it_aside(base, tmp_path, args):
    """A command that writes checks the whole file first, finds the page and moves the file aside, as it does
    any unusable file, byte for byte."""
    folder = _copy(base, tmp_path)
    _damage_history(folder / DB_NAME)
    damaged = (folder / DB_NAME).read_bytes()
    r = _run(folder, *args, input="\n3\n")
    assert r.exit_code == 0, r.stderr
    assert "could not be used: it is damaged" in r.stderr and "kept, not deleted" in r.stderr
    aside = _aside(folder)
    assert len(aside) == 1 and aside[0].read_bytes() == damaged
    with Store.open(folder) as s:
        assert s.review_count() == (1 if len(args) > 1 else 0)  # a fresh store (the session's one answer)


# ------------------------------------------------------------------------------------------- the whole file


@pytest.mark.parametrize("damage, words", [
    (_damage_schedule, "it is damaged"),
    (_damage_freelist, "freelist leaf count too big"),
    (_cut_pages, "it looks cut short (its header counts"),
    (_cut_mid_page, "it looks cut short"),
    (_foreign, "not an rnn-tutor progress database"),
], ids=["schedule-page", "freelist", "cut-by-pages", "cut-mid-page", "foreign"])
def test_a_file_damaged_as_a_file_is_moved_aside_by_every_command(base, tmp_path, damage, words):
    """What every open checks (a small table, a cut file, whose schema): readers and writers alike move it aside
    (never deleting it) and go on with a fresh store."""
    for i, args in enumerate(READERS + WRITERS):
        folder = _copy(base, tmp_path, f"home{i}")
        damage(folder / DB_NAME)
        original = (folder / DB_NAME).read_bytes()
        r = _run(folder, *args, input="\n3\n")
        assert r.exit_code == 0, (args, r.stderr)
        assert words in r.stderr and "kept, not deleted" in r.stderr and "internal error" not in r.stderr, r.stderr
        aside = _aside(folder)
        assert len(aside) == 1 and aside[0].read_bytes() == original, args


# ------------------------------------------------------------------------------------------- read-only


def test_damage_on_a_read_only_location(base, ro_home):  # noqa: F811
    """Nothing can be moved there: a damaged history page still lets stats read; export says what is wrong; a
    small table damaged says it cannot be read nor moved. Nothing changes."""
    shutil.copy(base[0] / DB_NAME, ro_home / DB_NAME)
    _damage_history(ro_home / DB_NAME)
    with read_only(ro_home):
        before = snapshot(ro_home)
        assert _run(ro_home, "stats", "-f", "json", "--now", base[1]).exit_code == 0
        r = _run(ro_home, "export")
        assert r.exit_code == 1 and "is damaged" in r.stderr and "nothing was changed" in r.stderr
        assert snapshot(ro_home) == before
    _damage_schedule(ro_home / DB_NAME)
    with read_only(ro_home):
        before = snapshot(ro_home)
        r = _run(ro_home, "list")
        assert r.exit_code == 1 and "cannot be moved aside here" in r.stderr and "damaged" in r.stderr
        assert snapshot(ro_home) == before


# ------------------------------------------------------------------------------------------- damage found later


def _damage_indexes_under(store_path):
    """Damage, after a writer's check at open, the pages its next review writes into (the card and uid indexes),
    and commit an unrelated change from another connection so the writer's cached pages are dropped, as when
    the disk fails mid-session."""
    for name in ("reviews_by_card", "sqlite_autoindex_reviews_1"):
        for page in btree_pages(store_path, name):
            overwrite_page(store_path, page, bytes(65536))
    other = sqlite3.connect(store_path)
    other.execute("INSERT INTO user_cards VALUES ('later', 't', 'q', 'a', '', '2026-01-01T00:00:00.000000Z')")
    other.commit()
    other.close()


def test_damage_met_by_a_write_moves_the_file_aside_and_names_the_card(base, tmp_path):
    folder = _copy(base, tmp_path)
    store = Store.open(folder)  # the whole file checked: healthy
    _damage_indexes_under(folder / DB_NAME)
    card = builtin_deck()[0]
    with pytest.raises(StoreDamaged) as caught:
        store.record_review(card, 3, schedule.utc(), schedule.make_scheduler(fuzzing=False))
    store.close()
    message = caught.value.user_message()
    aside = _aside(folder)
    assert len(aside) == 1 and not (folder / DB_NAME).exists()
    assert f"moved aside to {aside[0]}" in message and f"({card.id}) was not saved" in message
    conn = sqlite3.connect(aside[0])  # every review is still in it (the table itself is whole)
    assert conn.execute("SELECT COUNT(*) FROM reviews NOT INDEXED").fetchone()[0] == N
    conn.close()


def test_a_session_meeting_damage_stops_with_the_message(base, tmp_path, monkeypatch):
    """The CLI's side of the same: the open's check is made to pass over the damage (as if the disk failed just
    after it); the first answer meets it, the session ends with exit 1 and the message, the file moved aside."""
    folder = _copy(base, tmp_path)
    _damage_indexes_under(folder / DB_NAME)
    check = storefile.check_file
    monkeypatch.setattr(storefile, "check_file", lambda *a, **k: check(*a, **dict(k, full=False)))
    r = _run(folder, "--no-fuzz", "--limit", "1", "--format", "jsonl", input="\n3\n")
    assert r.exit_code == 1 and "internal error" not in r.stderr
    assert "is damaged: SQLite found a damaged page" in r.stderr and "was not saved" in r.stderr
    assert len(_aside(folder)) == 1


def test_reading_checks_skip_the_history_and_writing_checks_do_not(base, tmp_path):
    folder = _copy(base, tmp_path)
    _damage_history(folder / DB_NAME)
    from rnn_tutor.quiz.store import MIGRATIONS, SCHEMA_VERSION

    conn = sqlite3.connect(folder / DB_NAME)
    try:
        storefile.check_file(conn, MIGRATIONS, SCHEMA_VERSION, full=False, path=folder / DB_NAME)
        with pytest.raises(storefile.NotOurs, match="damaged"):
            storefile.check_file(conn, MIGRATIONS, SCHEMA_VERSION, full=True, path=folder / DB_NAME)
    finally:
        conn.close()


def test_a_reading_command_checks_the_whole_file_before_its_one_write(base, tmp_path):
    """Moving progress from an old 40-bit id to today's id is the one write a reading command makes; on a file
    with a damaged history page it checks the whole file first, finds the damage and leaves the file alone."""
    from rnn_tutor.quiz.cards import derived_id

    folder = _copy(base, tmp_path)
    q = "A question imported by an older rnn-tutor?"
    old = derived_id(q)[:12]
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("INSERT INTO user_cards VALUES (?, 't', ?, 'a', '', '2020-01-01T00:00:00.000000Z')", (old, q))
    conn.execute("INSERT INTO reviews (uid, card_id, topic, reviewed_at, grade) VALUES "
                 "('legacy', ?, 't', '2020-01-01T00:00:00.000000Z', 3)", (old,))
    conn.commit()
    conn.close()
    healthy = _copy(base, tmp_path, "healthy")
    shutil.copy(folder / DB_NAME, healthy / DB_NAME)
    _damage_history(folder / DB_NAME)
    before = snapshot(folder)
    r = _run(folder, "list", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert old in {row["id"] for row in loads_strict(r.stdout)}  # not adopted: the card keeps its old id
    assert snapshot(folder) == before
    r = _run(healthy, "list", "-f", "json")  # the same file, whole: adopted under today's id
    assert r.exit_code == 0 and derived_id(q) in {row["id"] for row in loads_strict(r.stdout)}


# ------------------------------------------------------------------------------------------- no unchecked write


def test_a_store_opened_for_reading_checks_the_whole_file_before_any_write(base, tmp_path):
    """Every write of a store a reading command opened (its open checked all but the history) goes through the
    whole-file check first: on a damaged history page it is StoreDamaged and nothing is written; on a whole file
    the write is made (and the check is made once)."""
    folder = _copy(base, tmp_path)
    _damage_history(folder / DB_NAME)
    before = snapshot(folder)
    card = builtin_deck()[0]
    with Store.open(folder, write=False) as store:
        assert not store.whole_checked
        with pytest.raises(StoreDamaged) as caught:
            store.record_review(card, 3, schedule.utc(), schedule.make_scheduler(fuzzing=False))
        assert "is damaged" in caught.value.user_message() and "nothing was changed" in caught.value.user_message()
        with pytest.raises(StoreDamaged):
            store.undo_review(store.last_review().uid)
    assert snapshot(folder) == before and not _aside(folder)
    healthy = _copy(base, tmp_path, "healthy")
    calls = []
    whole = storefile.whole_file_problem
    with Store.open(healthy, write=False) as store:
        storefile.whole_file_problem = lambda conn: calls.append(1) or whole(conn)
        try:
            store.record_review(card, 3, schedule.utc(), schedule.make_scheduler(fuzzing=False))
            store.record_review(card, 4, schedule.utc(), schedule.make_scheduler(fuzzing=False))
        finally:
            storefile.whole_file_problem = whole
        assert store.review_count() == N + 2 and calls == [1]


def test_reading_commands_leave_an_older_journal_mode_alone(base, tmp_path):
    """A store in SQLite's rollback-journal mode (a copy made by another tool): reading commands change not a
    byte of it (switching to WAL writes the header); a session checks the whole file, then switches it."""
    folder = _copy(base, tmp_path)
    conn = sqlite3.connect(folder / DB_NAME)
    assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    conn.close()
    before = snapshot(folder)
    for args in READERS:
        r = _run(folder, *args)
        assert r.exit_code == 0, (args, r.stderr)
    assert snapshot(folder) == before
    r = _run(folder, "--no-fuzz", "--limit", "1", "--format", "jsonl", input="\n3\n")
    assert r.exit_code == 0, r.stderr
    conn = sqlite3.connect(folder / DB_NAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == N + 1
    conn.close()
