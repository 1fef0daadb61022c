"""core.fileio: every kind of path a user can name is read or refused with a message, never a hang, a traceback
or a replaced device node."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time

import pytest

from rnn_tutor.core import fileio
from rnn_tutor.errors import BadValueError, RnnTutorError
from tests.hostile import snapshot

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


def _problem(kind, func, *args, **kw):
    with pytest.raises(RnnTutorError) as e:
        func(*args, **kw)
    assert getattr(e.value, "kind", None) == kind, e.value.user_message()
    return e.value.user_message()


# ------------------------------------------------------------------------------------------- reading


def test_regular_file_reads_and_decodes(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("\ufeffh\u00e9llo\n".encode("utf-8"))
    assert fileio.read_text(p, limit=100) == "h\u00e9llo\n"


def test_devices_are_refused_by_what_they_are(tmp_path):
    text = _problem("not_regular", fileio.read_bytes, "/dev/zero", limit=10, what="deck")
    assert "deck /dev/zero is a character device" in text
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    text = _problem("not_regular", fileio.read_bytes, link, limit=10)
    assert "(/dev/zero)" in text and "character device" in text  # the link named by what it points to


def test_folder_missing_and_loop(tmp_path):
    assert "is a folder" in _problem("directory", fileio.read_bytes, tmp_path, limit=10)
    assert "does not exist" in _problem("missing", fileio.read_bytes, tmp_path / "nope", limit=10)
    (tmp_path / "file").write_text("x")
    assert "part of the path is a file" in _problem("missing", fileio.read_bytes, tmp_path / "file" / "x", limit=10)
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert "link loop" in _problem("bad_path", fileio.read_bytes, tmp_path / "a", limit=10)


@pytest.mark.skipif(ROOT, reason="root reads any file")
def test_permission_denied(tmp_path):
    p = tmp_path / "secret"
    p.write_text("x")
    p.chmod(0)
    assert "permission denied" in _problem("permission", fileio.read_bytes, p, limit=10)


def test_names_over_the_system_limit(tmp_path):
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    long_name = tmp_path / ("x" * (name_max + 1))
    text = _problem("bad_path", fileio.read_bytes, long_name, limit=10, what="model file")
    assert f"{name_max + 1:,} bytes long" in text and f"at most {name_max}" in text
    deep = tmp_path.joinpath(*(["d" * 200] * 25))  # every name fine, the whole path too long
    assert "the path is" in _problem("bad_path", fileio.read_bytes, deep, limit=10)
    assert "NUL" in _problem("bad_path", fileio.read_bytes, "a\x00b", limit=10)
    with pytest.raises(BadValueError) as e:  # with an option: exit 2 naming it
        fileio.read_bytes(long_name, limit=10, option="--deck")
    assert e.value.option == "--deck" and e.value.exit_code == 2


def test_regular_file_over_the_limit_is_refused_unread(tmp_path):
    p = tmp_path / "big"
    with open(p, "wb") as fh:
        fh.truncate(10**12)  # a sparse terabyte: refused from its size, nothing read
    t = time.process_time()
    assert "larger than 1 kB" in _problem("too_large", fileio.read_bytes, p, limit=1000)
    assert time.process_time() - t < 1


def test_a_fifo_nobody_writes_to_reads_as_empty_not_a_hang(tmp_path):
    fifo = tmp_path / "deck.toml"
    os.mkfifo(fifo)
    assert fileio.read_bytes(fifo, limit=100) == b""
    assert "pipe (FIFO)" in _problem("not_regular", fileio.read_bytes, fifo, limit=100, pipes_ok=False)


def test_a_pipe_is_capped_by_what_arrives_not_by_st_size(tmp_path):
    fifo = tmp_path / "numbers"
    os.mkfifo(fifo)

    # A placeholder reader end keeps the FIFO open, so the writer's open returns at once and what it writes waits
    # in the pipe for read_bytes, whichever of the two gets there first (reading a FIFO before any writer has
    # opened it gives end-of-file at once, which is what a FIFO nobody writes to should give).
    opened = threading.Event()

    def writer(data):
        with open(fifo, "wb") as fh:
            opened.set()
            fh.write(data)

    holder = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        t = threading.Thread(target=writer, args=(b"1 2 3\n",))
        t.start()
        assert opened.wait(10)
        data = fileio.read_bytes(fifo, limit=100)
        t.join(10)
    finally:
        os.close(holder)
    assert data == b"1 2 3\n"
    # /dev/zero behind a pipe (st_size 0, endless): stops at the cap
    p = subprocess.Popen(["cat", "/dev/zero"], stdout=subprocess.PIPE)
    try:
        path = f"/proc/self/fd/{p.stdout.fileno()}"
        assert "larger than 1.05 MB" in _problem("too_large", fileio.read_bytes, path, limit=1_048_576)
    finally:
        p.kill()
        p.wait()


def test_not_utf8_names_the_line(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes(b"question,answer\nq,\xff\n")
    assert "d.csv, line 2: not UTF-8" in _problem("not_text", fileio.read_text, p, limit=100)


# ------------------------------------------------------------------------------------------- writing


def _write(path, data=b"new", **kw):
    return fileio.write_atomic(path, lambda fh: fh.write(data), **kw)


def test_write_atomic_replaces_a_regular_file_and_keeps_its_mode(tmp_path):
    p = tmp_path / "m.npz"
    p.write_bytes(b"old")
    p.chmod(0o640)
    _write(p)
    assert p.read_bytes() == b"new" and stat.S_IMODE(p.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]  # no temporary file left behind


def test_a_new_file_gets_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        _write(tmp_path / "new.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o644  # not mkstemp's 0600


def test_write_through_a_symlink_keeps_the_link(tmp_path):
    (tmp_path / "real.npz").write_bytes(b"old")
    (tmp_path / "link.npz").symlink_to("real.npz")
    _write(tmp_path / "link.npz")
    assert (tmp_path / "link.npz").is_symlink() and (tmp_path / "real.npz").read_bytes() == b"new"


def test_a_target_that_is_not_a_regular_file_is_never_replaced(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    before = snapshot(tmp_path)
    text = _problem("not_regular", _write, fifo, doing="save the model to")
    assert "cannot save the model to" in text and "pipe (FIFO)" in text and "only regular files" in text
    assert snapshot(tmp_path) == before
    # the device of the report: checked, never written (as root a rename would replace the node)
    text = _problem("not_regular", fileio.check_writable, "/dev/full")
    assert "character device" in text
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    link = tmp_path / "full.npz"
    link.symlink_to("/dev/full")
    assert "character device" in _problem("not_regular", _write, link)
    assert link.is_symlink()


def test_write_into_a_missing_folder_or_over_a_folder(tmp_path):
    assert "the folder" in _problem("missing", _write, tmp_path / "no" / "m.npz")
    assert "that is a folder" in _problem("directory", _write, tmp_path)
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    assert "bytes long" in _problem("bad_path", _write, tmp_path / ("x" * (name_max + 1)))


def test_an_error_while_writing_leaves_the_old_file_whole(tmp_path):
    p = tmp_path / "m.npz"
    p.write_bytes(b"old")

    def boom(fh):
        fh.write(b"half")
        raise OSError(28, "No space left on device")

    text = _problem("unwritable", fileio.write_atomic, p, boom)
    assert "the disk is full" in text
    assert p.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_size_text():
    assert fileio.size_text(4_294_967_424) == "4.29 GB"
    assert fileio.size_text(500_000_000) == "500 MB" and fileio.size_text(80) == "80 bytes"


# ------------------------------------------------------------------------------------------- .npz


def test_npz_reads_what_numpy_reads(tmp_path):
    """Every plain kind of array numpy writes comes back equal: C and Fortran order, byte orders, text, bytes,
    empty and 0-d arrays, stored and compressed archives."""
    import numpy as np

    arrays = {"a": np.asfortranarray(np.arange(12.0).reshape(3, 4)), "b": np.arange(6, dtype=">i4").reshape(2, 3),
              "c": np.array("lstm"), "d": np.array(b"xy"), "e": np.zeros((0, 3)), "f": np.float32(1.5) * np.ones(5),
              "g": np.array(True)}
    for save in (np.savez, np.savez_compressed):
        save(tmp_path / "f.npz", **arrays)
        with fileio.NpzArchive(tmp_path / "f.npz") as z, np.load(tmp_path / "f.npz") as ref:
            assert sorted(z.infos) == sorted(arrays)
            for k in arrays:
                v = z.read(k)
                assert v.dtype == ref[k].dtype and v.shape == ref[k].shape and np.array_equal(v, ref[k]), k
                assert v.flags.writeable
