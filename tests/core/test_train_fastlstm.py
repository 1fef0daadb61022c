"""fastlstm.py must equal cells.py's LSTM: forward values, gates, and every gradient."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import cells, fastlstm


def setup(B=3, T=6, D=4, H=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    p = cells.init_params("lstm", D, H, seed=seed)
    p = {k: (v * 2).astype(dtype) for k, v in p.items()}  # larger weights: saturating gates get exercised
    x = rng.normal(size=(B, T, D)).astype(dtype)
    h0, c0 = rng.normal(size=(B, H)).astype(dtype), rng.normal(size=(B, H)).astype(dtype)
    dh = rng.normal(size=(B, T, H)).astype(dtype)
    dhl, dcl = rng.normal(size=(B, H)).astype(dtype), rng.normal(size=(B, H)).astype(dtype)
    return p, x, h0, c0, dh, dhl, dcl


@pytest.mark.parametrize("H", [1, 5, 30, 96])  # 30 takes the large-H backward branch, 96 the wide one
@pytest.mark.parametrize("T", [1, 2, 7])
def test_equal_to_cells(H, T):
    p, x, h0, c0, dh, dhl, dcl = setup(T=T, H=H)
    ref = cells.forward("lstm", p, x, h0, c0)
    got = fastlstm.forward(p, x, h0, c0)
    np.testing.assert_allclose(got.h, ref.h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got.c, ref.c, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got.h_last, ref.h_last, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(got.c_last, ref.c_last, rtol=1e-12, atol=1e-13)
    for name in "ifgo":
        np.testing.assert_allclose(got.gates[name], ref.gates[name], rtol=1e-12, atol=1e-13)
    gref = cells.backward("lstm", p, ref, dh=dh, dh_last=dhl, dc_last=dcl)
    ggot = fastlstm.backward(p, got, dh=dh, dh_last=dhl, dc_last=dcl)
    for key in (*cells.PARAM_KEYS, "x", "h0", "c0"):
        np.testing.assert_allclose(ggot[key], gref[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_only_last_state_gradient_and_zero_initial_state():
    p, x, *_ = setup()
    rng = np.random.default_rng(1)
    dhl = rng.normal(size=(3, 5))
    ref = cells.forward("lstm", p, x)
    got = fastlstm.forward(p, x)
    gref = cells.backward("lstm", p, ref, dh_last=dhl)
    ggot = fastlstm.backward(p, got, dh_last=dhl)
    for key in (*cells.PARAM_KEYS, "x", "h0", "c0"):
        np.testing.assert_allclose(ggot[key], gref[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_workspace_reuse_gives_the_same_numbers():
    ws = fastlstm.Workspace()
    p, x, h0, c0, dh, *_ = setup()
    first = fastlstm.backward(p, fastlstm.forward(p, x, h0, c0, ws=ws), dh=dh)
    p2, x2, *_ = setup(seed=5)
    fastlstm.backward(p2, fastlstm.forward(p2, x2, ws=ws), dh=dh)  # something else in between
    again = fastlstm.backward(p, fastlstm.forward(p, x, h0, c0, ws=ws), dh=dh)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    fastlstm.forward(p, setup(T=9)[1], ws=ws)  # a new shape reallocates


def test_float32_runs_in_float32_and_is_close():
    p64, x64, h0, c0, dh, *_ = setup()
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    f32 = fastlstm.forward(p32, x64.astype(np.float32))
    assert f32.h.dtype == np.float32
    g32 = fastlstm.backward(p32, f32, dh=dh.astype(np.float32))
    assert g32["weight_hh_l0"].dtype == np.float32
    ref = cells.backward("lstm", p64, cells.forward("lstm", p64, x64), dh=dh)
    np.testing.assert_allclose(g32["weight_hh_l0"], ref["weight_hh_l0"], rtol=1e-3, atol=1e-4)


def test_need_x_false_skips_only_the_input_gradient():
    p, x, h0, c0, dh, *_ = setup()
    full = fastlstm.backward(p, fastlstm.forward(p, x, h0, c0), dh=dh)
    lean = fastlstm.backward(p, fastlstm.forward(p, x, h0, c0), dh=dh, need_x=False)
    assert "x" not in lean and set(full) - set(lean) == {"x"}
    for k in lean:
        np.testing.assert_array_equal(full[k], lean[k])


@pytest.mark.parametrize("H", [5, 30, 96])  # the three backward branches (small, large, wide)
def test_long_sequence_equal_to_cells(H):
    p, x, h0, c0, dh, dhl, dcl = setup(B=4, T=41, H=H, seed=3)
    ref = cells.forward("lstm", p, x, h0, c0)
    ws = fastlstm.Workspace()
    got = fastlstm.forward(p, x, h0, c0, ws=ws)
    np.testing.assert_allclose(got.h, ref.h, rtol=1e-12, atol=1e-13)
    gref = cells.backward("lstm", p, ref, dh=dh, dh_last=dhl, dc_last=dcl)
    for _ in range(2):  # the second pass reuses the workspace and must not accumulate into the first
        ggot = fastlstm.backward(p, fastlstm.forward(p, x, h0, c0, ws=ws), dh=dh, dh_last=dhl, dc_last=dcl)
        for key in (*cells.PARAM_KEYS, "x", "h0", "c0"):
            np.testing.assert_allclose(ggot[key], gref[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_float32_large_hidden_is_close():
    p64, x64, h0, c0, dh, *_ = setup(B=3, T=12, H=40)
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    g32 = fastlstm.backward(p32, fastlstm.forward(p32, x64.astype(np.float32)), dh=dh.astype(np.float32))
    ref = cells.backward("lstm", p64, cells.forward("lstm", p64, x64), dh=dh)
    for key in (*cells.PARAM_KEYS, "x"):
        assert g32[key].dtype == np.float32
        np.testing.assert_allclose(g32[key], ref[key], rtol=1e-3, atol=2e-4, err_msg=key)


@pytest.mark.parametrize("H", [8, 32])  # both branches, with H x B a multiple of 16: the small ufunc buffer
def test_small_ufunc_buffer_gives_the_same_numbers_and_is_put_back(H):
    before = np.getbufsize()
    assert fastlstm._bufsize(H, 16) == H * 16 < before
    p, x, h0, c0, dh, dhl, dcl = setup(B=16, T=13, H=H, seed=4)
    ref = cells.backward("lstm", p, cells.forward("lstm", p, x, h0, c0), dh=dh, dh_last=dhl, dc_last=dcl)
    got = fastlstm.backward(p, fastlstm.forward(p, x, h0, c0), dh=dh, dh_last=dhl, dc_last=dcl)
    assert np.getbufsize() == before
    for key in (*cells.PARAM_KEYS, "x", "h0", "c0"):
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_buffer_size_is_one_numpy_accepts():
    for H in range(1, 70):
        for B in (1, 3, 16, 32, 33, 4096):
            n = fastlstm._bufsize(H, B)
            assert n % 16 == 0 and 16 <= n <= 8192


@pytest.mark.parametrize("H", [5, 30, 96])  # the three backward branches
@pytest.mark.parametrize("L", [2, 3])
def test_stack_equal_to_cells(H, L):
    rng = np.random.default_rng(L)
    B, T, D = 3, 7, 4
    p = {k: 2 * v for k, v in cells.init_params("lstm", D, H, seed=L, num_layers=L).items()}
    x = rng.normal(size=(B, T, D))
    h0, c0 = rng.normal(size=(L, B, H)), rng.normal(size=(L, B, H))
    dh, dhn, dcn = rng.normal(size=(B, T, H)), rng.normal(size=(L, B, H)), rng.normal(size=(L, B, H))
    ref = cells.forward("lstm", p, x, h0, c0)
    ws = fastlstm.Workspace()
    for _ in range(2):  # the second pass reuses every layer's workspace
        got = fastlstm.forward(p, x, h0, c0, ws=ws)
        assert len(got.layers) == L
        for mine, theirs in zip(got.layers, ref.layers):
            np.testing.assert_allclose(mine.h, theirs.h, rtol=1e-12, atol=1e-13)
            np.testing.assert_allclose(mine.c, theirs.c, rtol=1e-12, atol=1e-13)
            for name in "ifgo":
                np.testing.assert_allclose(mine.gates[name], theirs.gates[name], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(got.h_n, ref.h_n, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(got.c_n, ref.c_n, rtol=1e-12, atol=1e-13)
        gref = cells.backward("lstm", p, ref, dh=dh, dh_last=dhn, dc_last=dcn)
        ggot = fastlstm.backward(p, got, dh=dh, dh_last=dhn, dc_last=dcn)
        assert list(ggot) == list(gref)
        for key in gref:
            np.testing.assert_allclose(ggot[key], gref[key], rtol=1e-10, atol=1e-12, err_msg=key)
    # only the top layer's final state, no initial state: (B, H) in, states out as (L, B, H)
    gref = cells.backward("lstm", p, cells.forward("lstm", p, x), dh_last=dhn[-1])
    lean = fastlstm.backward(p, fastlstm.forward(p, x, ws=ws), dh_last=dhn[-1], need_x=False)
    assert "x" not in lean and lean["h0"].shape == (L, B, H)
    for key in lean:
        np.testing.assert_allclose(lean[key], gref[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_stack_refuses_one_state_for_several_layers():
    from rnn_tutor.errors import BadValueError

    p = cells.init_params("lstm", 2, 3, num_layers=2)
    with pytest.raises(BadValueError, match=r"\(L, B, H\)"):
        fastlstm.forward(p, np.ones((4, 3, 2)), h0=np.zeros((4, 3)))


def test_wide_float32_is_close_and_blocks_of_steps_cover_every_step():
    """The wide branch gathers the dz_t in blocks of steps: a length that is not a multiple of the block, and one
    shorter than a block, still give every step's gradient."""
    for T in (fastlstm._CHUNK + 3, 2):
        p64, x64, h0, c0, dh, dhl, dcl = setup(B=2, T=T, D=3, H=fastlstm.WIDE_H, seed=T)
        ref = cells.backward("lstm", p64, cells.forward("lstm", p64, x64, h0, c0), dh=dh, dh_last=dhl, dc_last=dcl)
        got = fastlstm.backward(p64, fastlstm.forward(p64, x64, h0, c0), dh=dh, dh_last=dhl, dc_last=dcl)
        for key in ref:
            np.testing.assert_allclose(got[key], ref[key], rtol=1e-10, atol=1e-12, err_msg=key)
        p32 = {k: v.astype(np.float32) for k, v in p64.items()}
        g32 = fastlstm.backward(p32, fastlstm.forward(p32, x64.astype(np.float32)), dh=dh.astype(np.float32))
        ref0 = cells.backward("lstm", p64, cells.forward("lstm", p64, x64), dh=dh)
        for key in (*cells.PARAM_KEYS, "x"):
            assert g32[key].dtype == np.float32
            np.testing.assert_allclose(g32[key], ref0[key], rtol=1e-3, atol=3e-4, err_msg=key)
