"""The lesson cache (core/lesson_cache.py): a second read of a lesson gives the same output without computing,
and anything that could change a number, or a cache file that cannot be trusted, means computing again.

Lesson 6's training is replaced by a counting stand-in here (the real figures are checked in
test_lesson_limits.py), so these tests count computations instead of timing them."""

from __future__ import annotations

import json
import os
import sys

import pytest

from rnn_tutor.core import lesson_cache, lessons
from rnn_tutor.core.lesson_cache import LessonCache
from tests.fuzzing import invoke, loads_strict

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
FAKE = (8, 0.388671875, 0.9921875)


@pytest.fixture
def trained(monkeypatch):
    """Lesson 6's four training runs replaced by a stand-in that counts how often it is asked."""
    calls = []

    def fake():
        calls.append(1)
        return FAKE

    monkeypatch.setattr(lessons, "_decoders", fake)
    return calls


def home() -> str:
    return os.environ["RNN_TUTOR_HOME"]  # a fresh folder for every test (tests/conftest.py)


def entry_path(topic: str = "limits"):
    from pathlib import Path

    return Path(home()) / lesson_cache.FOLDER / f"{topic}.json"


LIMITS = lessons.find_lesson("limits")


def render_limits():
    """Lesson 6 as ``learn`` renders it, through the cache in the data directory (in-process, without the CLI)."""
    return lessons.render(LIMITS, LessonCache.in_data_dir(home(), lessons.cache_parameters()))


def read_limits(*extra: str, env: dict | None = None):
    r = invoke(["learn", "limits", *extra], env=env)
    assert r.exit_code == 0, r.stderr
    assert "Traceback" not in r.stderr and "Error" not in r.stderr
    return r


def test_a_second_read_is_the_first_without_computing(trained):
    cold_json = read_limits("-f", "json").stdout
    assert trained and entry_path().is_file()
    computed = len(trained)
    warm_json = read_limits("-f", "json").stdout
    warm_table = read_limits().stdout
    assert len(trained) == computed  # nothing computed again
    assert warm_json == cold_json
    data = loads_strict(warm_json)
    assert data["values"]["attn.first_fail"] == "8" and data["values"]["attn.plain_at_fail"] == "38.9%"
    assert data["values"]["attn.attention_at_fail"] == "99.2%" and "length 8 (38.9%)" in data["markdown"]
    assert list(data["values"]) == list(dict.fromkeys(lessons.find_lesson("limits").placeholders))
    cold_table = read_limits("--no-cache").stdout
    assert warm_table == cold_table and len(trained) > computed


@pytest.mark.parametrize("lesson", lessons.all_lessons(), ids=lambda lesson: lesson.topic)
def test_every_lesson_reads_the_same_from_the_cache(lesson, trained, tmp_path):
    cache = LessonCache(tmp_path, lessons.cache_parameters())
    cold = lessons.render(lesson)
    first = lessons.render(lesson, cache)
    names = list(dict.fromkeys(lesson.placeholders))
    assert cache.load(lesson.topic, names) == cold.values
    warm = lessons.render(lesson, cache)
    assert cold == first == warm


def test_the_cache_lives_in_the_quiz_data_directory(trained, tmp_path, monkeypatch):
    from rnn_tutor.quiz.paths import data_dir

    monkeypatch.setenv("RNN_TUTOR_HOME", str(tmp_path / "elsewhere"))
    read_limits("-f", "json")
    assert (data_dir() / "lesson-cache" / "limits.json").is_file()
    assert sorted(p.name for p in (tmp_path / "elsewhere" / "lesson-cache").iterdir()) == ["limits.json"]  # no temp


def _corrupt(path, how: str) -> None:
    good = path.read_bytes()
    if how == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "binary":
        path.write_bytes(bytes(range(256)) * 8)
    elif how == "not-an-object":
        path.write_text("[1, 2, 3]")
    elif how == "values-not-text":
        entry = json.loads(good)
        entry["values"] = {k: 1.5 for k in entry["values"]}
        path.write_text(json.dumps(entry))
    elif how == "a-value-missing":  # say, a placeholder the lesson has gained since
        entry = json.loads(good)
        del entry["values"]["attn.first_fail"]
        path.write_text(json.dumps(entry))
    elif how == "deeply-nested":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif how == "huge":
        path.write_bytes(b" " * (lesson_cache.MAX_BYTES + 1) + good)
    elif how == "folder":
        path.unlink()
        path.mkdir()
    elif how == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif how == "device-link":
        path.unlink()
        path.symlink_to("/dev/zero")
    elif how == "unreadable":
        path.chmod(0)
    else:
        raise AssertionError(how)


CORRUPTIONS = ["truncated", "empty", "binary", "not-an-object", "values-not-text", "a-value-missing",
               "deeply-nested", "huge", "folder", "fifo", "device-link", "unreadable"]


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_a_cache_file_that_cannot_be_trusted_is_ignored(trained, how):
    if how == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    if how == "unreadable" and ROOT:
        pytest.skip("root reads a file without read permission")
    cold = render_limits()
    _corrupt(entry_path(), how)
    before = len(trained)
    assert render_limits() == cold  # computed again, the same
    assert len(trained) > before
    if how in ("folder", "fifo", "device-link"):  # not a file of ours: left as it is
        p = entry_path()
        assert {"folder": p.is_dir, "fifo": p.is_fifo, "device-link": p.is_symlink}[how]()
        return
    if how == "unreadable":
        entry_path().chmod(0o600)
    after = len(trained)  # a regular file is replaced by good values: the next read hits
    assert render_limits() == cold and len(trained) == after


def _edit_entry(change) -> None:
    entry = json.loads(entry_path().read_text())
    change(entry)
    entry_path().write_text(json.dumps(entry))


@pytest.mark.parametrize("change", [
    lambda e: e["environment"].update(rnn_tutor="0.0.9"),  # another version of the package
    lambda e: e["environment"]["numpy"].update(version_py="0" * 64),  # another numpy
    lambda e: e["environment"].update(python="3.0.0"),
    lambda e: e["environment"]["env"].update(OPENBLAS_CORETYPE="Haswell"),  # another BLAS kernel
    lambda e: e["parameters"]["decoders"].update(seed=1),  # other seeds or sizes
    lambda e: e["sources"].update({"core/train.py": "0" * 64}),  # an edited source file
    lambda e: e["sources"].pop("content/lessons/06-limits.md"),  # a data file that was not there then
    lambda e: e["sources"].update({"core/no_such_module.py": "0" * 64}),  # a module since removed
    lambda e: e.update(format=lesson_cache.FORMAT + 1),
    lambda e: e.update(topic="order"),
], ids=["version", "numpy", "python", "blas-env", "parameters", "source", "content-file-new", "source-gone",
        "format", "topic"])
def test_a_changed_fingerprint_computes_again(trained, change):
    cold = render_limits()
    n = len(trained)
    assert render_limits() == cold and len(trained) == n  # as it was: a hit
    _edit_entry(change)
    assert render_limits() == cold and len(trained) > n


def test_what_the_fingerprint_holds(trained):
    render_limits()
    entry = json.loads(entry_path().read_text())
    assert entry["environment"] == lesson_cache.environment()
    from rnn_tutor import __version__

    assert entry["environment"]["rnn_tutor"] == __version__ and entry["environment"]["python"] == sys.version
    assert entry["parameters"] == {"decoders": lessons.DECODER_RUNS}
    # the calculators' code and data (lessons, deck), each hashed
    for name in ("core/lessons.py", "core/lesson_cache.py", "__init__.py", "content/deck.toml",
                 "content/lessons/06-limits.md"):
        assert len(entry["sources"][name]) == 64, name


def test_a_blas_setting_and_the_decoder_settings_are_part_of_the_key(trained, monkeypatch):
    cold = render_limits()
    n = len(trained)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert render_limits() == cold and len(trained) > n
    n = len(trained)
    monkeypatch.setitem(lessons.DECODER_RUNS, "steps", 999)
    render_limits()
    assert len(trained) > n


def test_an_edited_source_file_computes_again(trained, tmp_path, monkeypatch):
    """A module that was loaded when the values were computed, edited afterwards (as a developer would)."""
    import importlib.util

    probe = tmp_path / "probe.py"
    probe.write_text("X = 1\n")
    past = lesson_cache._STARTED - 60
    os.utime(probe, (past, past))
    spec = importlib.util.spec_from_file_location("rnn_tutor._cache_probe", probe)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "rnn_tutor._cache_probe", module)
    cold = render_limits()
    assert str(probe) in json.loads(entry_path().read_text())["sources"]
    n = len(trained)
    render_limits()
    assert len(trained) == n  # unchanged: a hit
    probe.write_text("X = 2\n")
    os.utime(probe, (past, past))  # even with its old time: the contents count
    assert render_limits() == cold and len(trained) > n


def test_values_are_not_kept_when_a_source_changed_while_they_were_computed(trained, tmp_path, monkeypatch):
    import importlib.util

    probe = tmp_path / "probe.py"
    probe.write_text("X = 1\n")  # written now: after this process started, so perhaps not what ran
    spec = importlib.util.spec_from_file_location("rnn_tutor._cache_probe", probe)
    monkeypatch.setitem(sys.modules, "rnn_tutor._cache_probe", importlib.util.module_from_spec(spec))
    render_limits()
    assert not entry_path().exists()


def test_no_cache_option_and_variable_neither_read_nor_write(trained, monkeypatch):
    read_limits("--no-cache", "-f", "json")
    assert not entry_path().exists()
    read_limits("-f", "json", env={"RNN_TUTOR_NO_CACHE": "1"})
    assert not entry_path().exists()
    cold = read_limits("-f", "json").stdout
    n = len(trained)
    _edit_entry(lambda e: e["values"].update({"attn.first_fail": "999"}))  # a cache file edited by hand
    assert read_limits("--no-cache", "-f", "json").stdout == cold  # computed, not read
    assert read_limits("-f", "json", env={"RNN_TUTOR_NO_CACHE": "yes"}).stdout == cold
    assert len(trained) == n + 2 * 3  # the lesson's three attn.* placeholders, twice
    assert "999" in entry_path().read_text()  # and not written


@pytest.mark.parametrize("value, off", [("", False), ("0", False), ("false", False), ("No", False),
                                        ("off", False), ("1", True), ("yes", True), ("true", True)])
def test_the_variable(value, off):
    assert lesson_cache.disabled_by_env({"RNN_TUTOR_NO_CACHE": value}) is off


@pytest.fixture
def ro_home(tmp_path, monkeypatch):
    """A data directory that really cannot be written: a read-only tmpfs as root, a folder without write
    permission otherwise (tests/quiz/test_store_faults.py's helpers)."""
    from tests.quiz.test_store_faults import _mount_tmpfs, _umount

    folder = tmp_path / "ro"
    if ROOT and not _mount_tmpfs(folder, "1m"):
        pytest.skip("root, but cannot mount a tmpfs here")
    folder.mkdir(exist_ok=True)
    monkeypatch.setenv("RNN_TUTOR_HOME", str(folder))
    yield folder
    if ROOT:
        _umount(folder)


def test_a_read_only_home_computes_and_carries_on(trained, ro_home):
    from tests.quiz.test_store_faults import read_only

    with read_only(ro_home):
        cold = read_limits("-f", "json").stdout
        n = len(trained)
        assert read_limits("-f", "json").stdout == cold and len(trained) > n  # every read computes
        assert not LessonCache.in_data_dir(ro_home).writable()
    assert list(ro_home.iterdir()) == []  # nothing left behind
    read_limits("-f", "json")  # writable again: kept
    n = len(trained)
    with read_only(ro_home):  # a cache made before the folder became read-only is still read
        assert read_limits("-f", "json").stdout == cold and len(trained) == n


@pytest.mark.parametrize("where", ["under-a-file", "absent", "unknown-user", "too-long"])
def test_a_home_that_cannot_be_made_is_no_error(trained, tmp_path, monkeypatch, where):
    if where == "unknown-user":  # expanduser cannot say where that is
        monkeypatch.setenv("RNN_TUTOR_HOME", "~no-such-user-here/rnn")
    elif where == "too-long":
        monkeypatch.setenv("RNN_TUTOR_HOME", str(tmp_path / ("a" * 300)))
    elif where == "under-a-file":
        (tmp_path / "file").write_text("x")
        monkeypatch.setenv("RNN_TUTOR_HOME", str(tmp_path / "file" / "home"))  # NotADirectoryError, even as root
    else:
        monkeypatch.setenv("RNN_TUTOR_HOME", str(tmp_path / "not" / "yet"))
    cold = read_limits("-f", "json").stdout
    assert loads_strict(cold)["values"]["attn.first_fail"] == "8"
    assert (tmp_path / "not" / "yet" / "lesson-cache" / "limits.json").is_file() == (where == "absent")


def test_a_full_or_failing_write_leaves_no_temporary_file(trained, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    cache = LessonCache(tmp_path, {})
    assert cache.save("limits", {"a": "1"}) is False
    assert list(tmp_path.iterdir()) == []


def test_a_topic_that_is_not_a_plain_name_is_never_a_path(tmp_path):
    cache = LessonCache(tmp_path, {})
    for topic in ("../escape", "a/b", "", ".hidden", "x" * 100):
        assert cache.file(topic) is None and cache.save(topic, {"a": "1"}) is False and cache.load(topic, []) is None
    assert list(tmp_path.iterdir()) == []


def test_the_hint_while_computing_only_on_a_terminal(trained, monkeypatch):
    from rnn_tutor.render import learn as rlearn

    r = read_limits("-f", "json")
    assert r.stderr == ""  # not a terminal: nothing (and the cache is warm now)
    monkeypatch.setattr(rlearn, "stderr_is_terminal", lambda: True)
    assert read_limits("-f", "json").stderr == ""  # read from the cache: nothing to wait for
    cold = read_limits("--no-cache", "-f", "json")
    line = "Training small LSTMs for the figures (about 4-10 s) ..."
    assert cold.stderr.splitlines() == [line]  # --no-cache saves nothing: no "kept for later reads"
    assert cold.stdout == r.stdout  # JSON unaffected
    entry_path().unlink()
    line = "Training small LSTMs for the figures (about 4-10 s, kept for later reads) ..."
    assert read_limits().stderr.splitlines() == [line]
    line = "Building n-gram models for the figures (about 1 s, kept for later reads) ..."
    assert invoke(["learn", "language"]).stderr.splitlines() == [line]
    assert invoke(["learn", "hand-trace"]).stderr == ""  # a lesson that computes in well under a second: no hint


def test_every_hint_fits_one_line_at_80_columns(monkeypatch, capsys):
    from rnn_tutor.render import learn as rlearn

    monkeypatch.setattr(rlearn, "stderr_is_terminal", lambda: True)
    for prefix in lessons.SLOW_VALUES:
        rlearn.computing_hint(lessons.slow_work([prefix + "x"]), LessonCache(os.environ["RNN_TUTOR_HOME"]))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(lessons.SLOW_VALUES) and all(len(line) < 80 for line in lines)
    assert lessons.slow_work(["hand05.h1", "order.vocab"]) is None
