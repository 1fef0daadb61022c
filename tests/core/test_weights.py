"""Weights files: round trip, metadata, and every kind of bad file (each exits 1 with a clear message)."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from rnn_tutor.core import cells
from rnn_tutor.core.weights import load_weights, save_weights
from rnn_tutor.errors import BadValueError, RnnTutorError


@pytest.mark.parametrize("cell", cells.CELLS)
def test_round_trip_exact(tmp_path, cell):
    p = cells.init_params(cell, 3, 4, seed=11)
    path = save_weights(tmp_path / "w.npz", cell, p)
    assert path == tmp_path / "w.npz" and path.exists()
    w = load_weights(path)
    assert (w.cell, w.input_size, w.hidden_size, w.nonlinearity) == (cell, 3, 4, "tanh")
    for k in cells.PARAM_KEYS:
        np.testing.assert_array_equal(w.params[k], p[k])
        assert w.params[k].dtype == np.float64


def test_saved_file_is_plain_arrays_with_metadata(tmp_path):
    p = cells.init_params("rnn", 2, 3)
    save_weights(tmp_path / "w.npz", "rnn", p, nonlinearity="relu")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as z:
        assert str(z["meta_cell"]) == "rnn"
        assert int(z["meta_input_size"]) == 2 and int(z["meta_hidden_size"]) == 3
        assert str(z["meta_nonlinearity"]) == "relu"
        assert all(z[k].dtype != object for k in z.files)
    assert load_weights(tmp_path / "w.npz").nonlinearity == "relu"


def test_exact_name_without_npz_suffix(tmp_path):
    save_weights(tmp_path / "model.weights", "gru", cells.init_params("gru", 1, 2))
    assert (tmp_path / "model.weights").exists() and not (tmp_path / "model.weights.npz").exists()
    assert load_weights(tmp_path / "model.weights").cell == "gru"


def test_plain_state_dict_without_metadata_is_recognised(tmp_path):
    for cell in cells.CELLS:
        p = cells.init_params(cell, 2, 5, seed=1)
        np.savez(tmp_path / f"{cell}.npz", **{k: v.astype(np.float32) for k, v in p.items()})
        w = load_weights(tmp_path / f"{cell}.npz")
        assert w.cell == cell and w.hidden_size == 5 and w.input_size == 2
        np.testing.assert_allclose(w.params["weight_hh_l0"], p["weight_hh_l0"], rtol=1e-7)


def test_float32_dtype_on_request(tmp_path):
    save_weights(tmp_path / "w.npz", "lstm", cells.init_params("lstm", 1, 2))
    w = load_weights(tmp_path / "w.npz", dtype=np.float32)
    assert all(v.dtype == np.float32 for v in w.params.values())


# ---------------------------------------------------------------- bad files


def _expect(path, *words, **kw):
    with pytest.raises(RnnTutorError) as e:
        load_weights(path, **kw)
    assert not isinstance(e.value, BadValueError)  # a bad file is a runtime failure: exit 1
    assert e.value.exit_code == 1
    text = e.value.user_message()
    for w in words:
        assert w in text, text
    return text


def _good(tmp_path, cell="lstm", d=2, h=3):
    return {k: v for k, v in cells.init_params(cell, d, h).items()}


def test_missing_file(tmp_path):
    _expect(tmp_path / "nope.npz", "does not exist")


def test_folder(tmp_path):
    _expect(tmp_path, "folder")


def test_missing_key(tmp_path):
    p = _good(tmp_path)
    del p["bias_hh_l0"]
    np.savez(tmp_path / "w.npz", **p)
    _expect(tmp_path / "w.npz", "lacks bias_hh_l0")


def test_wrong_shape(tmp_path):
    p = _good(tmp_path)
    p["bias_ih_l0"] = p["bias_ih_l0"][:-1]
    np.savez(tmp_path / "w.npz", **p)
    _expect(tmp_path / "w.npz", "bias_ih_l0", "(11,)", "expects (12,)")


def test_weight_hh_not_a_cell_shape(tmp_path):
    p = _good(tmp_path)
    p["weight_hh_l0"] = np.zeros((6, 3))  # G = 2
    np.savez(tmp_path / "w.npz", **p)
    _expect(tmp_path / "w.npz", "weight_hh_l0", "G = 1 (rnn), 3 (gru) or 4 (lstm)")


def test_pickled_object_inside_never_runs(tmp_path):
    ran = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(ran), "w"))

    p = _good(tmp_path)
    p["weight_ih_l0"] = np.array([Evil()], dtype=object)
    np.savez(tmp_path / "w.npz", **p)  # numpy pickles object arrays when saving
    _expect(tmp_path / "w.npz", "pickled")
    assert not ran.exists()


def test_whole_file_is_a_pickle(tmp_path):
    ran = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(ran), "w"))

    (tmp_path / "w.npz").write_bytes(pickle.dumps({"weight_ih_l0": Evil()}))
    _expect(tmp_path / "w.npz", "pickled")
    assert not ran.exists()


def test_not_a_zip(tmp_path):
    (tmp_path / "w.npz").write_text("hello, I am text\n")
    _expect(tmp_path / "w.npz", "not a .npz archive")  # not numpy's misleading "pickled data"


def test_empty_file(tmp_path):
    (tmp_path / "w.npz").write_bytes(b"")
    _expect(tmp_path / "w.npz", "the file is empty")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated(tmp_path, keep):
    save_weights(tmp_path / "full.npz", "gru", cells.init_params("gru", 4, 6))
    data = (tmp_path / "full.npz").read_bytes()
    (tmp_path / "w.npz").write_bytes(data[: int(len(data) * keep)])
    _expect(tmp_path / "w.npz", "weights file")


def test_corrupted_member(tmp_path):
    save_weights(tmp_path / "full.npz", "gru", cells.init_params("gru", 4, 6))
    buf = io.BytesIO()
    with zipfile.ZipFile(tmp_path / "full.npz") as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "weight_hh_l0.npy":
                data = data[:40]  # header cut short
            dst.writestr(info, data)
    (tmp_path / "w.npz").write_bytes(buf.getvalue())
    _expect(tmp_path / "w.npz", "weight_hh_l0")


def test_single_npy_array(tmp_path):
    np.save(tmp_path / "w.npy", np.zeros((4, 3)))
    _expect(tmp_path / "w.npy", "single array")


def test_another_cell_type_than_asked(tmp_path):
    save_weights(tmp_path / "w.npz", "gru", cells.init_params("gru", 1, 3))
    _expect(tmp_path / "w.npz", "holds a GRU cell", "an LSTM cell was asked for", cell="lstm")


def test_meta_cell_disagrees_with_shapes(tmp_path):
    p = _good(tmp_path, "gru")
    np.savez(tmp_path / "w.npz", meta_cell=np.array("lstm"), **p)
    _expect(tmp_path / "w.npz", "holds an LSTM cell", "shape of a GRU cell")


def test_size_mismatch_with_request(tmp_path):
    save_weights(tmp_path / "w.npz", "rnn", cells.init_params("rnn", 1, 3))
    _expect(tmp_path / "w.npz", "hidden size 3", hidden_size=4)
    _expect(tmp_path / "w.npz", "expects 1 number", input_size=5)


def test_half_a_second_layer(tmp_path):
    p = _good(tmp_path)
    np.savez(tmp_path / "w.npz", weight_ih_l1=np.zeros((12, 3)), **p)
    _expect(tmp_path / "w.npz", "lacks weight_hh_l1, bias_ih_l1, bias_hh_l1")


def test_a_layer_past_a_gap_and_a_reverse_direction(tmp_path):
    p = _good(tmp_path)
    np.savez(tmp_path / "w.npz", **{k.replace("_l0", "_l2"): v for k, v in p.items()}, **p)
    _expect(tmp_path / "w.npz", "without a gap")
    np.savez(tmp_path / "r.npz", weight_ih_l0_reverse=p["weight_ih_l0"], **p)
    _expect(tmp_path / "r.npz", "bidirectional")


def test_a_stack_loads_with_every_layer(tmp_path):
    p = cells.init_params("lstm", 2, 3, seed=1, num_layers=3)
    save_weights(tmp_path / "s.npz", "lstm", p)
    w = load_weights(tmp_path / "s.npz", cell="lstm")
    assert (w.num_layers, w.input_size, w.hidden_size) == (3, 2, 3)
    assert list(w.params) == list(cells.param_keys(3))
    for k in p:
        np.testing.assert_array_equal(w.params[k], p[k])
    bad = dict(p, weight_ih_l1=np.zeros((12, 2)))  # an upper layer reading D instead of H numbers
    np.savez(tmp_path / "b.npz", **bad)
    _expect(tmp_path / "b.npz", "weight_ih_l1 has shape (12, 2)")


def test_unexpected_key(tmp_path):
    p = _good(tmp_path)
    np.savez(tmp_path / "w.npz", weight_hr_l0=np.zeros((3, 2)), **p)
    _expect(tmp_path / "w.npz", "unexpected entries weight_hr_l0")


def test_integer_and_nan_weights(tmp_path):
    p = _good(tmp_path)
    p["weight_ih_l0"] = np.ones((12, 2), dtype=np.int64)
    np.savez(tmp_path / "a.npz", **p)
    _expect(tmp_path / "a.npz", "dtype int64")
    p = _good(tmp_path)
    p["bias_hh_l0"][0] = np.nan
    np.savez(tmp_path / "b.npz", **p)
    _expect(tmp_path / "b.npz", "NaN")


def test_meta_size_disagrees(tmp_path):
    p = _good(tmp_path)
    np.savez(tmp_path / "w.npz", meta_hidden_size=np.array(7), **p)
    _expect(tmp_path / "w.npz", "meta_hidden_size says 7")


def test_save_to_missing_folder(tmp_path):
    with pytest.raises(RnnTutorError) as e:
        save_weights(tmp_path / "no" / "such" / "w.npz", "rnn", cells.init_params("rnn", 1, 2))
    assert "cannot write" in e.value.message


def test_save_rejects_wrong_params(tmp_path):
    p = cells.init_params("gru", 1, 2)
    with pytest.raises(RnnTutorError):
        save_weights(tmp_path / "w.npz", "lstm", p)
    assert not (tmp_path / "w.npz").exists()
