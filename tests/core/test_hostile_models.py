"""Hostile model files (issue 17 §1), all generated here: each is refused with exit 1 and a message naming what is
wrong, in bounded time and memory, before its data is read, and no file is changed.

The zip bombs run in a child process limited to 1 GiB of address space: had the reader decompressed the 4.3 GB
member (or the extra 2 GiB one), it would have failed with "out of memory" instead of the message asserted."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from rnn_tutor.core import fileio, train as core, weights
from rnn_tutor.errors import RnnTutorError
from tests import hostile
from tests.fuzzing import invoke


@pytest.fixture(scope="module")
def model_arrays(tmp_path_factory):
    """The arrays of a real saved model (recall, small), to make hostile variants of."""
    path = tmp_path_factory.mktemp("model") / "recall.npz"
    r = core.train(core.TrainConfig(task="recall", length=8, steps=2, eval_every=1, eval_size=16, hidden=4))
    core.save_model(path, r)
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _both_commands(path):
    """trace --weights and predict on the same file: both refuse it."""
    return [invoke(["trace", "--cell", "lstm", "--weights", str(path)]), invoke(["predict", str(path)])]


def _refused(path, *words):
    before = hostile.snapshot(path.parent)
    for r in _both_commands(path):
        assert r.exit_code == 1, r.stderr
        assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr and "internal error" not in r.stderr
        for w in words:
            assert w in r.stderr, r.stderr
    assert hostile.snapshot(path.parent) == before


# ------------------------------------------------------------------------------------------- bombs


BOMBS = [
    (hostile.bomb_model, ["entry 'weight_hh_l0' declares shape (16, 33554432) of float64, 4.29 GB", "500 MB"],
     ["predict", "{path}"]),
    (hostile.extra_bomb_model, ["entry 'junk' declares shape (268435456,) of float64, 2.15 GB", "500 MB"],
     ["trace", "--cell", "lstm", "--weights", "{path}"]),
]


@pytest.mark.parametrize("make, words, args", BOMBS)
def test_zip_bombs_are_refused_in_a_process_limited_to_1_gib(tmp_path, make, words, args):
    path = tmp_path / "bomb.npz"
    make(path)
    assert path.stat().st_size < 5_000_000  # a few MB on disk, gigabytes if inflated
    before = hostile.snapshot(tmp_path)
    r, cpu = hostile.run_limited([a.format(path=path) for a in args], cwd=tmp_path, memory=1 << 30, cpu=60)
    assert r.returncode == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
    assert "memory" not in r.stderr and "Traceback" not in r.stderr
    assert cpu < 30, f"{cpu:.1f} s of CPU for a refusal"  # bounded (it takes well under a second)
    assert hostile.snapshot(tmp_path) == before


@pytest.mark.parametrize("make, words, args", BOMBS)
def test_zip_bombs_allocate_nothing_big_in_either_command(tmp_path, make, words, args):
    import tracemalloc

    path = tmp_path / "bomb.npz"
    make(path)
    for load in (weights.load_weights, core.load_model):  # what trace --weights and predict call
        tracemalloc.start()  # numpy reports its buffers to tracemalloc too
        try:
            with pytest.raises(RnnTutorError) as e:
                load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert all(w in e.value.message for w in words), e.value.message
        assert peak < 5_000_000, f"peak {peak:,} bytes"


def test_a_bomb_really_inflates_to_what_it_declares(tmp_path):
    """The generator is honest: a naive reader would have to allocate the declared gigabytes."""
    name, data, size, method = hostile.bomb_member("w", (3, 2**20))
    raw = zipfile._get_decompressor(method).decompress(data)  # raw deflate
    assert len(raw) == size and raw[:6] == b"\x93NUMPY" and not any(raw[-1000:])


def test_an_800_gb_shape_says_what_is_wrong(tmp_path):
    path = tmp_path / "huge.npz"
    members = [m for m in hostile.npz_bytes(hostile.good_arrays()) if m[0] != "weight_hh_l0.npy"]
    header = hostile.npy_header((10**11,))
    members.append(("weight_hh_l0.npy", header, len(header) + 8 * 10**11, zipfile.ZIP_STORED))
    hostile.write_zip(path, members)
    _refused(path, "weight_hh_l0", "(100000000000,)", "800 GB", "at most 500 MB")


def test_total_of_members_is_capped(tmp_path):
    path = tmp_path / "many.npz"
    np.savez(path, **{f"meta_x{i}": np.zeros(100) for i in range(20)}, **hostile.good_arrays())
    with pytest.raises(RnnTutorError) as e:
        fileio.NpzArchive(path, limit=10_000)
    assert "in all" in e.value.message and "10 kB" in e.value.message


# ------------------------------------------------------------------------------------------- members


@pytest.mark.parametrize("member, data, words", [
    ("weight_ih_l0.npy", b"hello, raw bytes", ["entry 'weight_ih_l0' is not in .npy format", "raw bytes"]),
    ("weight_ih_l0.npy", b"\x80\x04\x95\x00evil", ["entry 'weight_ih_l0'", "pickled data, which is never loaded"]),
    ("weight_ih_l0.npy", b"", ["entry 'weight_ih_l0'", "empty"]),
    ("notes.txt", b"hi", ["entry 'notes.txt' is not a .npy array"]),
    ("sub/", b"", ["entry 'sub/' is not a .npy array"]),
])
def test_members_that_are_not_npy_are_refused_by_name(tmp_path, member, data, words):
    path = tmp_path / "m.npz"
    members = [m for m in hostile.npz_bytes(hostile.good_arrays()) if m[0] != member]
    hostile.write_zip(path, members + [(member, data, len(data), zipfile.ZIP_STORED)])
    _refused(path, *words)


def test_a_member_named_twice(tmp_path):
    path = tmp_path / "m.npz"
    members = hostile.npz_bytes(hostile.good_arrays())
    hostile.write_zip(path, members + [members[0]])
    _refused(path, "two entries named 'weight_ih_l0.npy'")


def test_compression_numpy_never_writes(tmp_path):
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as z:
        for name, data, _, _ in hostile.npz_bytes(hostile.good_arrays()):
            z.writestr(name, data)
    _refused(path, "compression method 12")


@pytest.mark.parametrize("shape, dtype, words", [
    ((12, 1), "|O", ["pickled objects"]),
    ((12, 1), [("a", "<f8")], ["structured dtype"]),
])
def test_headers_declaring_objects_or_records(tmp_path, shape, dtype, words):
    path = tmp_path / "m.npz"
    members = [m for m in hostile.npz_bytes(hostile.good_arrays()) if m[0] != "weight_ih_l0.npy"]
    header = hostile.npy_header(shape, dtype)
    itemsize = np.dtype(dtype).itemsize
    data = header + bytes(12 * itemsize)
    hostile.write_zip(path, members + [("weight_ih_l0.npy", data, len(data), zipfile.ZIP_STORED)])
    _refused(path, "entry 'weight_ih_l0'", *words)


def test_header_and_zip_disagree_on_the_size(tmp_path):
    path = tmp_path / "m.npz"
    good = hostile.good_arrays()
    members = [m for m in hostile.npz_bytes(good) if m[0] != "weight_hh_l0.npy"]
    header = hostile.npy_header(good["weight_hh_l0"].shape)
    data = header + bytes(40)  # far fewer bytes than (12, 3) float64
    hostile.write_zip(path, members + [("weight_hh_l0.npy", data, len(data), zipfile.ZIP_STORED)])
    _refused(path, "entry 'weight_hh_l0' declares shape (12, 3)", "damaged or truncated")


def test_a_checksum_mismatch_is_named(tmp_path):
    good = hostile.good_arrays()
    buf = io.BytesIO()
    np.savez(buf, **good)
    data = bytearray(buf.getvalue())
    at = data.index(b"weight_hh_l0.npy") + 16 + 200  # inside the member's data, past its header
    data[at] ^= 0xFF
    (tmp_path / "m.npz").write_bytes(bytes(data))
    _refused(tmp_path / "m.npz", "weight_hh_l0", "checksum")


def test_every_single_byte_flip_is_a_message(tmp_path):
    """Flip each byte of a small weights file in turn (zip headers and directory, .npy headers, data): loading
    it either works (a flip inside a number) or raises an RnnTutorError, never anything else."""
    path = tmp_path / "m.npz"
    hostile.model_with(path, hostile.good_arrays("rnn", 1, 1), meta_cell=np.array("rnn"))
    data = path.read_bytes()
    bad = tmp_path / "flip.npz"
    outcomes = set()
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        try:
            weights.load_weights(bad)
            outcomes.add("loaded")
        except RnnTutorError as e:
            outcomes.add(e.exit_code)
    assert outcomes <= {"loaded", 1} and 1 in outcomes


def test_model_files_must_be_regular(tmp_path):
    import os

    os.mkfifo(tmp_path / "m.npz")
    _refused(tmp_path / "m.npz", "pipe (FIFO)", "not a regular file")
    (tmp_path / "z.npz").symlink_to("/dev/zero")
    _refused(tmp_path / "z.npz", "character device (/dev/zero)")


def test_a_long_model_path(tmp_path):
    r = invoke(["predict", "x" * 300])
    assert r.exit_code == 1 and "300 bytes long" in r.stderr and "at most 255" in r.stderr


# ------------------------------------------------------------------------------------------- metadata


def _bad_values(field: weights.MetaField):
    """Values of the wrong type or range for one metadata field: one entry per way it can be wrong."""
    yield np.array(["a", "b"]), "single value"
    if field.kind == "text":
        yield np.array(b"\xff"), "not text"
        yield np.array(5), "got a whole number (int64)"
        yield np.array("x" * 2000), "longer than 1,000"
        if field.choices:
            yield np.array("zz"), "expected one of"
        return
    yield np.array("7"), "got text (<U1)"
    if field.kind == "int":
        yield np.array(np.inf), "got a floating-point number (float64)"
        yield np.array(True), "got true/false (bool)"
        yield np.array(field.low - 1, dtype=np.int64), "expected a whole number"
        if field.high is not None and field.high < 2**62:
            yield np.array(field.high + 1, dtype=np.int64), "expected a whole number"
    else:
        yield np.array(np.inf), "expected a number"
        if not field.nan_ok:
            yield np.array(np.nan), "NaN"
        yield np.array(field.low - 1.0), "expected a number"


CASES = [(key, value, words) for key, field in core.MODEL_META.items() for value, words in _bad_values(field)]


def test_every_metadata_field_is_checked(tmp_path, model_arrays):
    """Table-driven: each field of MODEL_META (a new one included) gets each wrong type and range."""
    for key, value, words in CASES:
        path = tmp_path / "m.npz"
        hostile.model_with(path, model_arrays, **{key: value})
        with pytest.raises(RnnTutorError) as e:
            core.load_model(path)
        text = e.value.user_message()
        assert e.value.exit_code == 1 and key in text and words in text, (key, value, text)


def test_the_reported_meta_values_of_the_issue(tmp_path, model_arrays):
    hostile.model_with(tmp_path / "m.npz", model_arrays, meta_cell=np.array(b"\xff"))
    _refused(tmp_path / "m.npz", "meta_cell should be one of rnn, gru, lstm, got bytes that are not text")
    for key in ("meta_length", "meta_seed"):  # predict reads them; trace --weights reads only the cell's fields
        hostile.model_with(tmp_path / "m.npz", model_arrays, **{key: np.array(np.inf)})
        r = invoke(["predict", str(tmp_path / "m.npz")])
        assert r.exit_code == 1 and f"{key} should be a whole number" in r.stderr and "got a floating-point number" in r.stderr


def test_good_model_and_nan_accuracy_still_load(tmp_path, model_arrays):
    hostile.model_with(tmp_path / "m.npz", model_arrays, meta_accuracy=np.array(np.nan))
    saved = core.load_model(tmp_path / "m.npz")
    assert saved.model.task.name == "recall" and saved.meta["accuracy"] != saved.meta["accuracy"]
    assert saved.meta["seed"] == 0 and saved.meta["gate_init"] == "chrono"


def test_unknown_meta_entries_are_never_read(tmp_path, model_arrays, monkeypatch):
    hostile.model_with(tmp_path / "m.npz", model_arrays, meta_future=np.zeros(1000))
    read = []
    original = fileio.NpzArchive.read
    monkeypatch.setattr(fileio.NpzArchive, "read", lambda self, key: read.append(key) or original(self, key))
    core.load_model(tmp_path / "m.npz")
    assert "meta_future" not in read and "weight_hh_l0" in read


def test_nothing_is_read_before_the_names_and_shapes_pass(tmp_path, model_arrays, monkeypatch):
    hostile.model_with(tmp_path / "m.npz", model_arrays, weight_hh_l0=np.zeros((5, 4)))
    read = []
    monkeypatch.setattr(fileio.NpzArchive, "read", lambda self, key: read.append(key))
    with pytest.raises(RnnTutorError, match="weight_hh_l0"):
        core.load_model(tmp_path / "m.npz")
    assert read == []


def test_meta_field_table_is_what_save_model_writes(model_arrays, tmp_path):
    """Every scalar a saved model carries is in the table (so it is checked), and the table has no typos.
    (An encoder-decoder with attention also says which decoder and score it has.)"""
    scalars = {k for k, v in model_arrays.items() if k.startswith("meta_") and v.ndim == 0}
    r = core.train(core.TrainConfig(task="reverse", decoder="attention", steps=1, eval_every=1, eval_size=4,
                                    hidden=3))
    with np.load(core.save_model(tmp_path / "attention.npz", r)) as z:
        attentive = {k for k in z.files if k.startswith("meta_") and z[k].ndim == 0}
    assert scalars <= attentive
    assert attentive == set(core.MODEL_META)
