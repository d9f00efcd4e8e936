"""Exercise set 05, "Vanishing and exploding gradients".

Tests for solutions/05_vanishing_exploding_gradients.ipynb.

Expected values are computed here, independently of the learner's code: step Jacobians by
centred differences of a forward step written in this module, Jacobian products by multiplying
explicit matrices in a loop (the order checked against finite differences in the package tests of
chapter 5), and clipping by the formula of ``torch.nn.utils.clip_grad_norm_`` written out.

The requirement of 5.2 ("one running matrix, one multiplication per distance") is tested by
time: on a long sequence the learner's function must run within a generous factor of a
running-product loop timed here at the same moment (a product rebuilt for every distance does
T^2 / 2 multiplications and is about a hundred times slower).
"""

from __future__ import annotations

import math
import time

import numpy as np

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("05", "Vanishing and exploding gradients")

_ACTIVATIONS = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}


# --------------------------------------------------------------------------------------------
# 5.1 Step Jacobians for a batch


def _step_case(seed, N, D, H, nonlinearity):
    rng = np.random.default_rng(seed)
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wxh, Whh = (
        rng.standard_normal((H, D)) / np.sqrt(D),
        rng.standard_normal((H, H)) / np.sqrt(H),
    )
    bh = 0.1 * rng.standard_normal(H)
    a = x @ Wxh.T + h_prev @ Whh.T + bh
    # centred differences with eps = 1e-6 are exact for ReLU unless a pre-activation is that close
    # to the kink at 0; the fixed seeds keep every |a| far larger
    assert np.abs(a).min() > 1e-4
    f = _ACTIVATIONS[nonlinearity]

    def step(hp):
        return f(x @ Wxh.T + hp @ Whh.T + bh)

    h_next = step(h_prev)
    eps = 1e-6
    J = np.empty((N, H, H))
    for j in range(H):  # column j: derivative with respect to h_prev[:, j]
        plus, minus = h_prev.copy(), h_prev.copy()
        plus[:, j] += eps
        minus[:, j] -= eps
        J[:, :, j] = (step(plus) - step(minus)) / (2 * eps)
    return h_next, Whh, J


@SET.exercise("5.1", "step_jacobians", points=3)
def _(t):
    with t.case("tanh, a batch of 4 (N = 4, H = 5)", points=1):
        h_next, Whh, J = _step_case(51, 4, 3, 5, "tanh")
        got = t.call(h_next, Whh)
        t.expect_shape(got, (4, 5, 5), "the Jacobians")
        t.expect_close(got, J, "the Jacobians dh_next/dh_prev", rtol=1e-6, atol=1e-8)
    with t.case(
        "edge sizes: one sequence and one hidden unit (N = 1, H = 1)", points=1
    ):
        h_next, Whh, J = _step_case(52, 1, 2, 1, "tanh")
        got = t.call(h_next, Whh)
        t.expect_shape(got, (1, 1, 1), "the Jacobians")
        t.expect_close(got, J, "the Jacobian", rtol=1e-6, atol=1e-8)
    with t.case("ReLU: the slope is 1 where h_next > 0 and 0 elsewhere", points=1):
        h_next, Whh, J = _step_case(53, 3, 3, 6, "relu")
        got = t.call(h_next, Whh, nonlinearity="relu")
        t.expect_shape(got, (3, 6, 6), "the Jacobians")
        t.expect_close(got, J, "the ReLU Jacobians", rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------------------------
# 5.2 Norm of the Jacobian product against the distance


def _tanh_sequence(rng, T, D, H, Whh, x_scale=1.0):
    Wxh = rng.standard_normal((H, D)) / np.sqrt(D)
    x = x_scale * rng.standard_normal((T, D))
    h = np.zeros((T, H))
    prev = np.zeros(H)
    for t in range(T):
        prev = np.tanh(Wxh @ x[t] + Whh @ prev)
        h[t] = prev
    return h


def _product_norms(h, Whh):
    T, H = h.shape
    out = np.empty(T)
    # d h_T / d h_{T-d} = J_T J_{T-1} ... J_{T-d+1} with J_t = diag(1 - h_t^2) Whh,
    # rebuilt from scratch for every d: slow, but nothing can go wrong with the order
    for d in range(T):
        P = np.eye(H)
        for t in range(T - 1, T - 1 - d, -1):
            P = P @ (np.diag(1.0 - h[t] ** 2) @ Whh)
        out[d] = np.linalg.norm(P, 2)
    return out


_SLOWER = 10  # generous: a product rebuilt for every distance is ~100 times slower


def _running_norms(h, Whh):
    """The fast way, timed as the yardstick: one running product, one factor per distance."""
    P = np.eye(Whh.shape[0])
    out = [1.0]
    for t in range(len(h) - 1, 0, -1):
        P = P @ (np.diag(1.0 - h[t] ** 2) @ Whh)
        out.append(np.linalg.norm(P, 2))
    return np.array(out)


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


@SET.exercise("5.2", "jacobian_norms", points=4)
def _(t):
    rng = np.random.default_rng(54)
    with t.case("a random tanh sequence (T = 7, H = 4)", points=1):
        Whh = 1.2 * rng.standard_normal((4, 4)) / 2.0
        h = _tanh_sequence(rng, 7, 3, 4, Whh)
        got = t.call(h, Whh)
        t.expect_shape(got, (7,), "the norms")
        t.expect_close(
            got,
            _product_norms(h, Whh),
            "the norms for d = 0 .. T-1",
            rtol=1e-8,
            atol=1e-12,
        )
    with t.case(
        "a longer sequence with a non-symmetric W_hh (the order of the product matters)",
        points=1,
    ):
        Whh = rng.standard_normal((6, 6)) / np.sqrt(6)
        # rows scaled unevenly: a wrong order of multiplication changes the norms
        Whh[0] *= 3.0
        h = _tanh_sequence(rng, 12, 2, 6, Whh)
        got = t.call(h, Whh)
        t.expect_close(
            got,
            _product_norms(h, Whh),
            "the norms for d = 0 .. T-1",
            rtol=1e-8,
            atol=1e-12,
        )
    with t.case(
        "near the linear regime with W_hh = 1.1 Q (Q orthogonal) the norms follow 1.1^d",
        points=1,
    ):
        Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
        h = _tanh_sequence(rng, 10, 2, 5, 1.1 * Q, x_scale=1e-5)
        got = t.call(h, 1.1 * Q)
        t.expect_close(
            got,
            1.1 ** np.arange(10),
            "the norms (compare with 1.1**d)",
            rtol=1e-4,
            atol=0,
        )
    with t.case(
        "one running matrix: T = 1000 steps cost about T products",
        points=1,
    ):
        Whh = rng.standard_normal((4, 4)) / 2.0
        h = _tanh_sequence(rng, 1000, 2, 4, Whh)
        reference = min(_timed(_running_norms, h, Whh)[1] for _ in range(3))
        got, seconds = _timed(t.call, h, Whh)
        if (
            seconds > _SLOWER * reference + 0.03
        ):  # a second try, in case the machine stalled
            got, seconds = _timed(t.call, h, Whh)
        t.expect_close(got, _running_norms(h, Whh), "the norms", rtol=1e-6, atol=1e-12)
        t.expect(
            seconds <= _SLOWER * reference + 0.03,
            f"took {seconds:.2f} s where one running product takes {reference:.3f} s: "
            "keep one matrix P and multiply it by one new Jacobian per distance instead "
            "of rebuilding the product for every d",
        )


# --------------------------------------------------------------------------------------------
# 5.3 Global-norm clipping without side effects


def _clip_reference(grads, max_norm):
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    coef = min(1.0, max_norm / (norm + 1e-6))
    return {k: g * coef for k, g in grads.items()}, norm


def _expect_clip_result(t, got, keys):
    t.expect_tuple(got, 2, "the result (clipped, norm)")
    clipped, norm = got
    t.expect(
        isinstance(clipped, dict),
        f"clipped should be a dict, got {type(clipped).__name__}",
    )
    t.expect(
        set(clipped) == set(keys),
        f"clipped should have the keys {sorted(keys)}, got {sorted(clipped)}",
    )
    t.expect(
        isinstance(norm, (float, np.floating)),
        f"norm should be a float, got {type(norm).__name__}",
    )
    return clipped, float(norm)


@SET.exercise("5.3", "clip_global_norm", points=3)
def _(t):
    rng = np.random.default_rng(55)
    shapes = {"Wxh": (4, 3), "Whh": (4, 4), "bh": (4,)}
    with t.case(
        "a gradient below the threshold is returned unchanged, with its norm", points=1
    ):
        grads = {k: 0.01 * rng.standard_normal(s) for k, s in shapes.items()}
        exp, exp_norm = _clip_reference(grads, 5.0)
        clipped, norm = _expect_clip_result(t, t.call(grads, 5.0), shapes)
        t.expect(
            math.isclose(norm, exp_norm, rel_tol=1e-10),
            f"expected the norm {exp_norm:.6g}, got {norm:.6g}",
        )
        for k in shapes:
            t.expect_close(clipped[k], exp[k], f"clipped[{k!r}]", rtol=1e-12, atol=0)
    with t.case(
        "a large gradient is rescaled by max_norm / (norm + 1e-6): same direction",
        points=1,
    ):
        grads = {k: 10.0 * rng.standard_normal(s) for k, s in shapes.items()}
        exp, exp_norm = _clip_reference(grads, 1.0)
        clipped, norm = _expect_clip_result(t, t.call(grads, 1.0), shapes)
        t.expect(
            math.isclose(norm, exp_norm, rel_tol=1e-10),
            f"expected the norm before clipping {exp_norm:.6g}, got {norm:.6g}",
        )
        for k in shapes:
            # rtol 1e-6: the 1e-6 in the denominator changes the result by about 1e-8 relative, so
            # the textbook rule min(1, c / ||g||) of the chapter passes too; real mistakes do not
            t.expect_close(clipped[k], exp[k], f"clipped[{k!r}]", rtol=1e-6, atol=1e-14)
    with t.case(
        "the norm is global: one huge tensor scales all the others too", points=1
    ):
        grads = {"big": np.full(3, 100.0), "small": np.array([[0.001, -0.002]])}
        exp, _ = _clip_reference(grads, 2.0)
        clipped, _ = _expect_clip_result(t, t.call(grads, 2.0), ["big", "small"])
        t.expect_close(
            clipped["small"],
            exp["small"],
            "clipped['small'] (scaled by the global factor)",
            rtol=1e-6,
            atol=1e-16,
        )
        t.expect_close(
            clipped["big"], exp["big"], "clipped['big']", rtol=1e-6, atol=1e-14
        )
