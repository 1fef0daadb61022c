"""The decay calculator: closed forms, numpy.linalg, finite differences, clipping arithmetic, threshold edges."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rnn_tutor.core import clipping, horizon, jacobians
from rnn_tutor.core import decay as D
from rnn_tutor.errors import BadValueError

# ---------------------------------------------------------------------------------------------------------------
# scalar closed forms


@pytest.mark.parametrize("w", [0.5, -0.5, 0.9, 1.1, -2.0, 0.01])
def test_linear_scalar_factors_are_powers_of_w(w):
    r = D.compute_decay(weight=w, steps=30)
    norms = np.array([s.norm for s in r.steps])
    np.testing.assert_allclose(norms, abs(w) ** np.arange(1, 31), rtol=1e-12)
    assert [s.k for s in r.steps] == list(range(1, 31))


@pytest.mark.parametrize(
    "w, expected", [(0.5, "vanishing"), (-0.99, "vanishing"), (1.0, "neither"), (-1.0, "neither"),
                    (1.01, "exploding"), (-3.0, "exploding"), (0.0, "vanishing")])
def test_linear_scalar_verdict(w, expected):
    assert D.compute_decay(weight=w).verdict == expected


def test_horizon_closed_form_beyond_the_steps():
    # the shell user's example: 0.9^k reaches 1e-3 at k = ceil(ln 1e-3 / ln 0.9) = 66, even with 20 steps shown
    r = D.compute_decay(weight=0.9)
    assert r.n_steps == 20 and r.horizon == 66 and r.horizon_searched_to is None
    assert 0.9 ** 66 < 1e-3 < 0.9 ** 65
    assert D.compute_decay(weight=0.5).horizon == 10          # 0.5^10 = 9.8e-4, 0.5^9 = 2.0e-3
    assert D.compute_decay(weight=2.0).horizon == 10          # 2^10 = 1024 >= 1000
    assert D.compute_decay(weight=-2.0).horizon == 10
    assert D.compute_decay(weight=1.0).horizon is None
    assert D.compute_decay(weight=0.0).horizon == 1


def test_half_life_and_doubling_time():
    r = D.compute_decay(weight=0.5)
    assert r.half_life == pytest.approx(1.0) and r.doubling_time is None
    r = D.compute_decay(weight=0.9)
    assert r.half_life == pytest.approx(math.log(0.5) / math.log(0.9))
    r = D.compute_decay(weight=2.0)
    assert r.doubling_time == pytest.approx(1.0) and r.half_life is None
    r = D.compute_decay(weight=1.0)
    assert r.half_life is None and r.doubling_time is None


# ---------------------------------------------------------------------------------------------------------------
# the threshold rule: reaching the threshold counts, compared in log10 with a 1e-9 tolerance


def test_point_one_cubed_reaches_one_in_a_thousand():
    assert 0.1 ** 3 > 1e-3  # the floating-point edge the rule must handle
    r = D.compute_decay(weight=0.1, threshold=1e-3)
    assert r.horizon == 3
    assert D.compute_decay(weight=10.0, threshold=1e-3).horizon == 3   # 10^3 reaches 1/1e-3
    assert D.compute_decay(matrix="0.1", threshold=1e-3).horizon == 3  # the searched path agrees


@pytest.mark.parametrize("w, thr, k", [
    (0.5, 0.25, 2),                 # exactly equal
    (0.5, 0.25 * (1 - 1e-12), 2),   # below by rounding noise: still reached (inside the tolerance)
    (0.5, 0.25 * (1 - 1e-6), 3),    # genuinely below: not reached at k = 2
    (0.5, 0.25 * (1 + 1e-6), 2),
    (0.5, 0.5, 1),
    (0.3, 0.027, 3),                # 0.3^3 = 0.026999999999999996 in floats
    (0.2, 0.008, 3),
    (2.0, 0.25 * (1 - 1e-6), 3),    # exploding: 1/thr slightly above 4 needs k = 3
    (2.0, 0.25, 2),
])
def test_threshold_edges(w, thr, k):
    assert D.compute_decay(weight=w, threshold=thr).horizon == k
    assert horizon.scalar_horizon(w, thr) == k
    # the searched (matrix) path applies the same rule
    assert D.compute_decay(matrix=str(w), threshold=thr).horizon == k


def test_reaches_is_the_documented_rule():
    lt = math.log10(1e-3)
    assert horizon.reaches(lt + 0.5e-9, 1e-3, "vanishing")
    assert not horizon.reaches(lt + 2e-9, 1e-3, "vanishing")
    assert horizon.reaches(-lt - 0.5e-9, 1e-3, "exploding")
    assert not horizon.reaches(-lt - 2e-9, 1e-3, "exploding")
    assert not horizon.reaches(-100.0, 1e-3, "neither")


# ---------------------------------------------------------------------------------------------------------------
# matrix mode against numpy.linalg


def test_radius_and_singular_value_against_numpy():
    m = np.array([[0.5, 2.0], [0.0, 0.5]])
    r = D.compute_decay(matrix="0.5,2;0,0.5")
    assert r.spectral_radius == pytest.approx(max(abs(np.linalg.eigvals(m))))
    assert r.max_singular_value == pytest.approx(np.linalg.norm(m, 2))
    for k in (1, 2, 5, 20):
        assert r.steps[k - 1].norm == pytest.approx(np.linalg.norm(np.linalg.matrix_power(m, k), 2), rel=1e-12)


@pytest.mark.parametrize("size, radius, seed", [(1, 0.7, 0), (3, 0.9, 1), (8, 1.2, 2), (20, 0.5, 3)])
def test_random_matrix_has_the_asked_radius(size, radius, seed):
    r = D.compute_decay(size=size, radius=radius, seed=seed, steps=15)
    w = np.array(r.matrix)
    assert w.shape == (size, size)
    assert max(abs(np.linalg.eigvals(w))) == pytest.approx(radius, rel=1e-10)
    assert r.spectral_radius == pytest.approx(radius, rel=1e-10)
    assert r.max_singular_value == pytest.approx(np.linalg.norm(w, 2), rel=1e-12)
    for k in (1, 7, 15):
        assert r.steps[k - 1].norm == pytest.approx(np.linalg.norm(np.linalg.matrix_power(w, k), 2), rel=1e-9)


def test_seed_reproducible_and_different():
    a = D.compute_decay(size=4, radius=0.9, seed=5)
    b = D.compute_decay(size=4, radius=0.9, seed=5)
    c = D.compute_decay(size=4, radius=0.9, seed=6)
    assert a.matrix == b.matrix and a.matrix != c.matrix


def test_transient_growth_below_radius_one():
    # radius 0.5 yet ||W^k|| stays above 1 for four steps (a non-normal matrix)
    r = D.compute_decay(matrix="0.5,2;0,0.5", steps=10)
    assert r.verdict == "vanishing" and r.transient_growth
    assert [s.norm > 1 for s in r.steps[:5]] == [True, True, True, True, False]
    assert r.peak_norm == pytest.approx(np.linalg.norm(np.array([[0.5, 2], [0, 0.5]]), 2))
    # the horizon lies past the 10 steps shown; it is searched further
    assert r.horizon == 16 and r.horizon_searched_to == D.MAX_STEPS
    m = np.linalg.matrix_power(np.array([[0.5, 2.0], [0.0, 0.5]]), 16)
    assert np.linalg.norm(m, 2) <= 1e-3 < np.linalg.norm(m @ np.linalg.inv(np.array([[0.5, 2.0], [0.0, 0.5]])), 2)
    # a normal matrix with the same radius has no transient
    assert not D.compute_decay(matrix="0.5,0;0,0.5").transient_growth


def test_jordan_block_radius_one_is_neither():
    r = D.compute_decay(matrix="1,1;0,1", steps=10)
    assert r.verdict == "neither" and r.horizon is None
    # ||[[1,k],[0,1]]||_2 grows only linearly
    assert r.steps[9].norm == pytest.approx(np.linalg.norm(np.array([[1, 10], [0, 1]]), 2))


# ---------------------------------------------------------------------------------------------------------------
# tanh: products along a trajectory, against finite differences of the forward map


def _forward_map(w, x, u, h_start, t_from, t_to):
    """h_{t_to} as a function of h_{t_from}, running steps t_from+1 .. t_to of h = tanh(W h + u x_t)."""
    h = np.array(h_start, dtype=float)
    for t in range(t_from + 1, t_to + 1):
        h = np.tanh(w @ h + u * x[t - 1])
    return h


@pytest.mark.parametrize("n, seed", [(1, 0), (3, 1), (5, 2)])
def test_jacobian_products_match_finite_differences(n, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n, n)) * 0.8
    steps, u = 8, 0.7
    x = rng.standard_normal((steps, n))
    hs = jacobians.tanh_trajectory(w, x, u)
    eps = 1e-6
    for k in (1, 3, 8):
        jp = jacobians.jacobian_product(w, hs, steps, k)
        fd = np.zeros((n, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = eps
            hp = _forward_map(w, x, u, hs[steps - k] + e, steps - k, steps)
            hm = _forward_map(w, x, u, hs[steps - k] - e, steps - k, steps)
            fd[:, j] = (hp - hm) / (2 * eps)
        np.testing.assert_allclose(jp, fd, rtol=1e-6, atol=1e-9)


def test_tanh_norms_are_the_norms_of_the_jacobian_products():
    r = D.compute_decay(size=4, radius=1.5, seed=3, activation="tanh", steps=12)
    w = np.array(r.matrix)
    x = np.random.default_rng([3, 1]).standard_normal((12, 4))  # the documented inputs stream
    hs = jacobians.tanh_trajectory(w, x, 1.0)
    for k in (1, 4, 12):
        assert r.steps[k - 1].norm == pytest.approx(np.linalg.norm(jacobians.jacobian_product(w, hs, 12, k), 2), rel=1e-9)


def test_tanh_scalar_with_given_inputs_closed_form():
    # zero inputs keep h = 0, so 1 - h^2 = 1 and the factor is |w|^k exactly
    r = D.compute_decay(weight=0.8, activation="tanh", inputs="0,0,0,0,0")
    assert r.n_steps == 5 and not r.inputs_seeded
    np.testing.assert_allclose([s.norm for s in r.steps], 0.8 ** np.arange(1, 6), rtol=1e-12)
    # non-zero inputs: the product of w (1 - h_t^2), last step first
    xs = [1.0, 2.0, 3.0, 4.0, 5.0]
    r = D.compute_decay(weight=0.5, activation="tanh", inputs="1,2,3,4,5", input_weight=0.5)
    h, hs = 0.0, []
    for xv in xs:
        h = math.tanh(0.5 * h + 0.5 * xv)
        hs.append(h)
    expect = np.cumprod([0.5 * (1 - v * v) for v in reversed(hs)])
    np.testing.assert_allclose([s.norm for s in r.steps], expect, rtol=1e-12)
    assert r.inputs == tuple(xs)


def test_tanh_factor_never_exceeds_linear():
    lin = D.compute_decay(weight=1.3, steps=30)
    th = D.compute_decay(weight=1.3, steps=30, activation="tanh")
    assert all(t.log10_norm <= l.log10_norm + 1e-12 for t, l in zip(th.steps, lin.steps))
    assert th.inputs_seeded and len(th.inputs) == 30


# ---------------------------------------------------------------------------------------------------------------
# Pascanu, Mikolov & Bengio (2013)


def test_conditions_linear_and_tanh():
    lin = D.compute_decay(matrix="0.5,2;0,0.5")
    van, exp = lin.conditions
    assert van.quantity == "spectral radius" and van.value == pytest.approx(0.5) and van.holds
    assert not exp.holds
    th = D.compute_decay(matrix="0.5,2;0,0.5", activation="tanh")
    van, exp = th.conditions
    assert van.quantity == "largest singular value" and van.value == pytest.approx(2.1180339887)
    assert not van.holds and exp.holds
    small = D.compute_decay(matrix="0.3,0.2;0.1,0.4", activation="tanh", steps=50)
    assert small.conditions[0].holds and small.verdict == "vanishing"
    big = D.compute_decay(size=3, radius=1.5, seed=0)
    assert big.conditions[1].holds and not big.conditions[0].holds and big.verdict == "exploding"


# ---------------------------------------------------------------------------------------------------------------
# overflow: shown as overflow, never inf


def test_overflow_is_flagged_and_json_is_valid():
    r = D.compute_decay(weight=1e6, steps=100)
    assert r.overflow and r.verdict == "exploding" and r.horizon == 1
    assert r.steps[50].norm == pytest.approx(1e306) and not r.steps[50].overflow  # k = 51: still a float
    assert r.steps[51].norm is None and r.steps[51].overflow                      # k = 52: 1e312
    assert r.steps[51].log10_norm == pytest.approx(6 * 52)
    assert r.steps[10].norm == pytest.approx(1e66) and not r.steps[10].overflow
    rec = r.to_record()
    text = json.dumps(rec, allow_nan=False)  # raises on NaN or inf
    assert json.loads(text)["steps"][51]["norm"] is None


def test_huge_matrix_entries_do_not_overflow_the_products():
    r = D.compute_decay(matrix="1e100,1e100;1e100,1e100", steps=10, clip=1.0)
    assert r.overflow and r.steps[0].norm == pytest.approx(2e100)
    assert r.steps[9].log10_norm == pytest.approx(10 * math.log10(2e100))
    json.dumps(r.to_record(), allow_nan=False)


def test_underflow_is_zero_not_nan():
    r = D.compute_decay(weight=1e-100, steps=5)
    assert r.steps[4].norm == 0.0 and r.steps[4].log10_norm == pytest.approx(-500)
    json.dumps(r.to_record(), allow_nan=False)


# ---------------------------------------------------------------------------------------------------------------
# clipping


def test_clip_primitives():
    g = np.array([3.0, 4.0])
    np.testing.assert_allclose(clipping.clip_by_norm(g, 1.0), [0.6, 0.8])
    np.testing.assert_allclose(clipping.clip_by_norm(g, 10.0), g)
    np.testing.assert_allclose(clipping.clip_by_value(g, 1.0), [1.0, 1.0])
    assert clipping.angle_deg(g, clipping.clip_by_norm(g, 1.0)) == pytest.approx(0.0, abs=1e-12)
    assert clipping.angle_deg(g, clipping.clip_by_value(g, 1.0)) == pytest.approx(math.degrees(math.atan2(4, 3)) - 45.0)
    assert clipping.angle_deg(np.zeros(2), g) is None


def test_scalar_clip_against_plain_arithmetic():
    # the gradient g_k = dh_T/dh_{T-k} = 2^k for k = 1..5 (w = 2)
    r = D.compute_decay(weight=2.0, steps=5, clip=5.0)
    g = 2.0 ** np.arange(1, 6)
    c = r.clip
    assert c.norm_before == pytest.approx(np.linalg.norm(g))
    assert c.norm_clipped and c.norm_after_norm_clip == pytest.approx(5.0)
    np.testing.assert_allclose([p.by_norm for p in c.components], clipping.clip_by_norm(g, 5.0))
    np.testing.assert_allclose([p.by_value for p in c.components], clipping.clip_by_value(g, 5.0))
    np.testing.assert_allclose([p.original for p in c.components], g)
    assert c.values_clipped == 3
    assert c.norm_after_value_clip == pytest.approx(np.linalg.norm(clipping.clip_by_value(g, 5.0)))
    assert c.angle_norm_clip_deg == pytest.approx(0.0, abs=1e-9)
    assert c.angle_value_clip_deg == pytest.approx(clipping.angle_deg(g, clipping.clip_by_value(g, 5.0)))


def test_negative_weight_keeps_signs():
    r = D.compute_decay(weight=-2.0, steps=4, clip=3.0)
    g = (-2.0) ** np.arange(1, 5)
    np.testing.assert_allclose([p.original for p in r.clip.components], g)
    np.testing.assert_allclose([p.by_value for p in r.clip.components], np.clip(g, -3, 3))


def test_matrix_clip_against_direct_gradient():
    r = D.compute_decay(size=3, radius=1.3, seed=4, steps=6, clip=1.0)
    w = np.array(r.matrix)
    v = np.random.default_rng([4, 2]).standard_normal(3)
    v /= np.linalg.norm(v)
    g = np.concatenate([np.linalg.matrix_power(w, k).T @ v for k in range(1, 7)])  # dL/dh_{T-k}, L = v . h_T
    np.testing.assert_allclose([p.original for p in r.clip.components], g, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([p.by_norm for p in r.clip.components], clipping.clip_by_norm(g, 1.0), rtol=1e-9)
    np.testing.assert_allclose([p.by_value for p in r.clip.components], clipping.clip_by_value(g, 1.0), rtol=1e-9)
    assert r.clip.angle_value_clip_deg == pytest.approx(clipping.angle_deg(g, clipping.clip_by_value(g, 1.0)), rel=1e-6)


def test_clip_of_an_overflowing_gradient():
    r = D.compute_decay(weight=30.0, steps=300, clip=1.0)
    c = r.clip
    assert c.overflow and c.norm_before is None and c.log10_norm_before == pytest.approx(300 * math.log10(30))
    assert c.norm_after_norm_clip == pytest.approx(1.0)
    assert c.values_clipped == 300 and c.norm_after_value_clip == pytest.approx(math.sqrt(300))
    # the norm-clipped vector points almost entirely along the last component (30^300 dwarfs the rest)
    assert c.components[-1].by_norm == pytest.approx(1.0, rel=1e-3)
    json.dumps(r.to_record(), allow_nan=False)


def test_small_gradient_is_not_clipped_by_norm():
    r = D.compute_decay(weight=0.5, steps=5, clip=10.0)
    assert not r.clip.norm_clipped and r.clip.values_clipped == 0
    assert r.clip.angle_value_clip_deg == pytest.approx(0.0, abs=1e-9)


def test_zero_gradient_clip():
    r = D.compute_decay(weight=0.0, steps=3, clip=1.0)
    assert r.clip.norm_before == 0.0 and r.clip.angle_value_clip_deg is None


# ---------------------------------------------------------------------------------------------------------------
# gated cells


def test_constant_forget_gate_closed_form():
    r = D.compute_decay(weight=0.5, steps=30, cell="lstm", forget=0.95)
    np.testing.assert_allclose([s.cell_path for s in r.steps], 0.95 ** np.arange(1, 31), rtol=1e-12)
    assert r.cell.horizon == horizon.scalar_horizon(0.95, 1e-3) == 135
    assert r.cell.half_life == pytest.approx(math.log(0.5) / math.log(0.95))
    assert r.horizon == 10  # the vanilla path is gone long before
    assert r.to_record()["steps"][0]["cell_path"] == pytest.approx(0.95)


def test_seeded_gates_come_from_the_shared_cells():
    from rnn_tutor.core import cells

    r = D.compute_decay(weight=0.9, steps=12, cell="lstm", forget_bias=3.0, seed=7, activation="tanh")
    params = cells.init_params("lstm", 1, 4, 7)
    params["bias_ih_l0"][4:8] = 3.0
    params["bias_hh_l0"][4:8] = 0.0
    x = np.array(r.inputs).reshape(1, 12, 1)
    f = cells.forward("lstm", params, x).gates["f"][0]  # (T, H)
    expect = np.max(np.cumprod(f[::-1], axis=0), axis=1)
    np.testing.assert_allclose([s.cell_path for s in r.steps], expect, rtol=1e-10)
    assert r.cell.source == "seeded" and r.cell.hidden_size == 4


def test_bigger_forget_bias_keeps_more():
    lo = D.compute_decay(steps=40, cell="lstm", forget_bias=0.0)
    hi = D.compute_decay(steps=40, cell="lstm", forget_bias=4.0)
    assert hi.steps[-1].cell_log10 > lo.steps[-1].cell_log10
    gru = D.compute_decay(steps=40, cell="gru", forget_bias=4.0)
    assert gru.cell.gate == "z" and gru.steps[-1].cell_path > 0.3


# ---------------------------------------------------------------------------------------------------------------
# bad values name the option


@pytest.mark.parametrize("kwargs, option", [
    ({"matrix": "1,2;3"}, "--matrix"),             # ragged
    ({"matrix": "1,2,3;4,5,6"}, "--matrix"),       # not square
    ({"matrix": "1,a;2,3"}, "--matrix"),           # not numeric
    ({"matrix": "nan,0;0,1"}, "--matrix"),
    ({"matrix": ""}, "--matrix"),
    ({"matrix": "1;;2"}, "--matrix"),
    ({"matrix": "1e200"}, "--matrix"),
    ({"size": 0, "radius": 0.9}, "--size"),
    ({"size": D.MAX_SIZE + 1}, "--size"),
    ({"radius": 0.9}, "--size"),
    ({"size": 3, "radius": float("nan")}, "--radius"),
    ({"size": 3, "radius": -1.0}, "--radius"),
    ({"weight": float("nan")}, "--weight"),
    ({"weight": float("inf")}, "--weight"),
    ({"weight": 0.5, "matrix": "1"}, "--weight"),
    ({"matrix": "1", "size": 2}, "--matrix"),
    ({"steps": 0}, "--steps"),
    ({"steps": D.MAX_STEPS + 1}, "--steps"),
    ({"threshold": 0.0}, "--threshold"),
    ({"threshold": 1.0}, "--threshold"),
    ({"threshold": float("nan")}, "--threshold"),
    ({"clip": 0.0}, "--clip"),
    ({"clip": -1.0}, "--clip"),
    ({"activation": "relu"}, "--activation"),
    ({"cell": "xyz"}, "--cell"),
    ({"forget": 0.9}, "--cell"),
    ({"cell": "lstm", "forget": 1.5}, "--forget"),
    ({"cell": "lstm", "forget": 0.5, "forget_bias": 1.0}, "--forget"),
    ({"inputs": "1,2,x"}, "--inputs"),
    ({"inputs": "1,2,3", "steps": 5}, "--steps"),
    ({"inputs": "1,2", "matrix": "1"}, "--inputs"),
    ({"seed": -1}, "--seed"),
])
def test_bad_values(kwargs, option):
    with pytest.raises(BadValueError) as e:
        D.compute_decay(**kwargs)
    assert e.value.option == option
    assert e.value.exit_code == 2


def test_core_does_not_import_cli_libraries():
    import subprocess
    import sys

    code = "import sys, rnn_tutor.core.decay; print('typer' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# ---------------------------------------------------------------------------------------------------------------
# properties


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(w=st.floats(min_value=0.02, max_value=0.995), log_thr=st.floats(min_value=-12, max_value=-0.05))
def test_closed_form_horizon_is_the_first_k_reaching(w, log_thr):
    thr = 10.0 ** log_thr
    k = horizon.scalar_horizon(w, thr)
    lw = math.log10(w)
    assert horizon.reaches(k * lw, thr, "vanishing")
    assert k == 1 or not horizon.reaches((k - 1) * lw, thr, "vanishing")
    if k <= D.MAX_STEPS:  # the searched path (a 1x1 matrix) finds the same k
        assert D.compute_decay(matrix=repr(w), threshold=thr, steps=1).horizon == k
        assert D.compute_decay(weight=-w, threshold=thr).horizon == k
        assert D.compute_decay(weight=1.0 / w, threshold=thr).horizon == k  # exploding mirrors vanishing


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 6), radius=st.floats(0.1, 2.0), seed=st.integers(0, 10_000), steps=st.integers(1, 40))
def test_log_norms_match_direct_products(n, radius, seed, steps):
    r = D.compute_decay(size=n, radius=radius, seed=seed, steps=steps, activation="tanh")
    w = np.array(r.matrix)
    x = np.random.default_rng([seed, 1]).standard_normal((steps, n))
    hs = jacobians.tanh_trajectory(w, x)
    for k in {1, steps // 2 or 1, steps}:
        direct = np.linalg.norm(jacobians.jacobian_product(w, hs, steps, k), 2)
        if direct > 0:
            assert r.steps[k - 1].log10_norm == pytest.approx(math.log10(direct), abs=1e-9)


def test_the_exploding_condition_says_what_it_means_for_the_factor_shown():
    """rho(W) > 1 is only necessary for a gradient to explode (it may miss the growing directions), but the
    factor decay shows is ||W^k|| >= rho^k: for a linear recurrence it does grow, and for one weight it is |w|^k."""
    from rnn_tutor.core.decay import pascanu_conditions

    _, exp = pascanu_conditions("linear", 1.5, 1.5, size=1)
    assert exp.holds and "exactly |w|^k, so it explodes" in exp.meaning
    _, exp = pascanu_conditions("linear", 1.2, 1.3, size=2)
    assert exp.holds and "grows at least like 1.2^k" in exp.meaning and "miss the growing directions" in exp.meaning
    _, exp = pascanu_conditions("tanh", 1.2, 1.5, size=2)
    assert exp.holds and "possible (not certain" in exp.meaning
    _, exp = pascanu_conditions("linear", 0.5, 0.5, size=1)
    assert not exp.holds and "cannot explode" in exp.meaning
