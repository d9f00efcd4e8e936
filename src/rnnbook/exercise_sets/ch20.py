"""Exercise set 20, "Selective state spaces and attention" (solutions/20_selective_state_spaces).

Expected values are computed here independently of the learner's code and of
``rnnbook.scratch.selective_scan``: every (sequence, channel, state) of the selective scan is run
as its own scalar recurrence in plain Python loops, the memory counts are summed tensor by
tensor over an explicit list of what a decoder stores, and RWKV's wkv is summed term by term
from its formula (not with ``rnnbook.scratch.rwkv``).
"""

from __future__ import annotations

import numpy as np

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("20", "Selective state spaces and attention")


def _scalar_scan(x, delta, A, B, C, h0):
    """y (N, T, D) and the last state (N, D, P), one scalar recurrence per (n, d, p)."""
    N, T, D = x.shape
    P = A.shape[1]
    y = np.zeros((N, T, D))
    h_last = np.zeros((N, D, P))
    for n in range(N):
        for d in range(D):
            for p in range(P):
                h = h0[n, d, p]
                for t in range(T):
                    decay = np.exp(delta[n, t, d] * A[d, p])
                    h = decay * h + delta[n, t, d] * B[n, t, p] * x[n, t, d]
                    y[n, t, d] += C[n, t, p] * h
                h_last[n, d, p] = h
    return y, h_last


def _inputs(N, T, D, P, seed, h0_scale=1.0, delta_range=(0.05, 1.5)):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    delta = rng.uniform(*delta_range, (N, T, D))
    A = -rng.uniform(0.2, 2.0, (D, P))
    B = rng.standard_normal((N, T, P))
    C = rng.standard_normal((N, T, P))
    h0 = h0_scale * rng.standard_normal((N, D, P))
    return x, delta, A, B, C, h0


# --------------------------------------------------------------------------------------------
# 20.1 One step of the selective scan


@SET.exercise("20.1", "selective_step", points=4)
def _(t):
    with t.case("returns (h_t, y_t) of shapes (N, D, P) and (N, D)", points=1):
        x, delta, A, B, C, h0 = _inputs(2, 1, 3, 4, seed=0)
        out = t.call(h0, x[:, 0], delta[:, 0], A, B[:, 0], C[:, 0])
        h_t, y_t = t.expect_tuple(out, 2, "the return value (h_t, y_t)")
        t.expect_shape(h_t, (2, 3, 4), "h_t")
        t.expect_shape(y_t, (2, 3), "y_t")
    with t.case("from h_prev = 0 (only the input term): Bbar = delta * B", points=1):
        x, delta, A, B, C, h0 = _inputs(2, 1, 3, 4, seed=1, h0_scale=0.0)
        y, h = _scalar_scan(x, delta, A, B, C, h0)
        h_t, y_t = t.expect_tuple(
            t.call(h0, x[:, 0], delta[:, 0], A, B[:, 0], C[:, 0]), 2, "(h_t, y_t)"
        )
        t.expect_close(h_t, h, "h_t", rtol=1e-9, atol=1e-12)
    with t.case("the decay of h_prev: Abar = exp(delta * A)", points=1):
        x, delta, A, B, C, h0 = _inputs(2, 1, 3, 4, seed=2)
        x = np.zeros_like(x)  # no input: h_t is the decayed h_prev
        y, h = _scalar_scan(x, delta, A, B, C, h0)
        h_t, y_t = t.expect_tuple(
            t.call(h0, x[:, 0], delta[:, 0], A, B[:, 0], C[:, 0]), 2, "(h_t, y_t)"
        )
        t.expect_close(h_t, h, "h_t", rtol=1e-9, atol=1e-12)
    with t.case("y_t reads the updated state h_t with C_t", points=1):
        x, delta, A, B, C, h0 = _inputs(3, 1, 2, 5, seed=3)
        y, h = _scalar_scan(x, delta, A, B, C, h0)
        h_t, y_t = t.expect_tuple(
            t.call(h0, x[:, 0], delta[:, 0], A, B[:, 0], C[:, 0]), 2, "(h_t, y_t)"
        )
        t.expect_close(y_t, y[:, 0], "y_t", rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------------
# 20.2 A chunk of the selective scan in closed form (hard)


@SET.exercise("20.2", "selective_chunk", points=5)
def _(t):
    with t.case("returns (y, h_last) of shapes (N, T, D) and (N, D, P)", points=1):
        args = _inputs(2, 6, 3, 4, seed=10)
        y, h = t.expect_tuple(t.call(*args), 2, "the return value (y, h_last)")
        t.expect_shape(y, (2, 6, 3), "y")
        t.expect_shape(h, (2, 3, 4), "h_last")
    with t.case("from h0 = 0: y for T = 7", points=1):
        args = _inputs(2, 7, 3, 4, seed=11, h0_scale=0.0)
        y_ref, _ = _scalar_scan(*args)
        y, _ = t.expect_tuple(t.call(*args), 2, "(y, h_last)")
        t.expect_close(y, y_ref, "y", rtol=1e-8, atol=1e-10)
    with t.case(
        "with an incoming state h0 (the carry from the previous chunk)", points=1
    ):
        args = _inputs(1, 5, 2, 3, seed=12, h0_scale=3.0)
        y_ref, _ = _scalar_scan(*args)
        y, _ = t.expect_tuple(t.call(*args), 2, "(y, h_last)")
        t.expect_close(y, y_ref, "y with h0 != 0", rtol=1e-8, atol=1e-10)
    with t.case("h_last is the state after the last step", points=1):
        args = _inputs(2, 9, 2, 3, seed=13)
        _, h_ref = _scalar_scan(*args)
        _, h = t.expect_tuple(t.call(*args), 2, "(y, h_last)")
        t.expect_close(h, h_ref, "h_last", rtol=1e-8, atol=1e-10)
    with t.case("strong decay over 100 steps: no overflow, no NaN", points=1):
        # sum of delta * A reaches about -1000: exp(-L_s) alone would overflow
        args = _inputs(1, 100, 2, 3, seed=14, delta_range=(4.0, 12.0))
        y_ref, h_ref = _scalar_scan(*args)
        with np.errstate(all="ignore"):
            y, h = t.expect_tuple(t.call(*args), 2, "(y, h_last)")
        t.expect_close(y, y_ref, "y (strong decay)", rtol=1e-7, atol=1e-10)


# --------------------------------------------------------------------------------------------
# 20.3 Memory for generating the next token


def _decoder_memory(T, n_layers, d_model, d_state, bytes_per_number):
    kv = 0
    for _layer in range(n_layers):
        for _tensor in ("keys", "values"):
            kv += T * d_model * bytes_per_number
    state = sum(d_state * bytes_per_number for _layer in range(n_layers))
    return kv, state


@SET.exercise("20.3", "generation_memory", points=3)
def _(t):
    with t.case("one layer, T = 10, d_model = 4, d_state = 6, 4 bytes", points=1):
        out = t.call(10, 1, 4, 6, 4)
        t.expect_tuple(out, 2, "the return value (kv_cache_bytes, state_bytes)")
        t.expect_equal(
            tuple(int(v) for v in out),
            _decoder_memory(10, 1, 4, 6, 4),
            "(kv_cache_bytes, state_bytes)",
        )
    with t.case(
        "12 layers, T = 2048, d_model = 768, d_state = 12288, 2 bytes", points=1
    ):
        out = t.call(2048, 12, 768, 12288, 2)
        t.expect_tuple(out, 2, "the return value")
        t.expect_equal(
            int(out[0]),
            _decoder_memory(2048, 12, 768, 12288, 2)[0],
            "kv_cache_bytes (keys and values, every layer)",
        )
    with t.case("the recurrent state does not grow with T", points=1):
        a = t.call(100, 4, 64, 256, 4)
        b = t.call(10_000, 4, 64, 256, 4)
        ref = _decoder_memory(10_000, 4, 64, 256, 4)
        t.expect_equal(int(b[1]), ref[1], "state_bytes at T = 10000")
        t.expect(int(a[1]) == int(b[1]), "state_bytes must be the same for every T")


# --------------------------------------------------------------------------------------------
# 20.4 One stabilised step of RWKV's wkv


def _wkv_formula(w, u, k, v):
    """wkv (N, T, C) summed term by term: sum_{i<t} e^{-(t-1-i)w + k_i} v_i + e^{u+k_t} v_t,
    divided by the same sums without v. Keys are shifted by their maximum per channel first,
    which cancels in the ratio and keeps every exponential finite."""
    N, T, C = k.shape
    out = np.zeros((N, T, C))
    for n in range(N):
        for c in range(C):
            shift = max(k[n, :, c].max(), u[c] + k[n, :, c].max())
            for step in range(T):
                weight = np.exp(u[c] + k[n, step, c] - shift)
                num, den = weight * v[n, step, c], weight
                for i in range(step):
                    weight = np.exp(-(step - 1 - i) * w[c] + k[n, i, c] - shift)
                    num, den = num + weight * v[n, i, c], den + weight
                out[n, step, c] = num / den
    return out


def _wkv_inputs(N, T, C, seed, key_shift=0.0):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.05, 1.5, C)
    u = rng.normal(size=C)
    k = rng.normal(size=(N, T, C)) + key_shift
    v = rng.normal(size=(N, T, C))
    return w, u, k, v


def _run_wkv_steps(t, w, u, k, v):
    """Feed the learner's wkv_step T steps from the empty state; outputs (N, T, C)."""
    N, T, C = k.shape
    state = (np.zeros((N, C)), np.zeros((N, C)), np.full((N, C), -np.inf))
    outputs = []
    for step in range(T):
        out = t.call(state, k[:, step], v[:, step], w, u)
        wkv_t, state = t.expect_tuple(out, 2, "the return value (wkv_t, state)")
        state = t.expect_tuple(state, 3, "the returned state (a, b, p)")
        t.expect_shape(wkv_t, (N, C), f"wkv_t at step {step}")
        outputs.append(np.asarray(wkv_t, dtype=float))
    return np.stack(outputs, axis=1)


@SET.exercise("20.4", "wkv_step", points=4)
def _(t):
    with t.case(
        "returns (wkv_t, (a, b, p)); from the empty state wkv_0 = v_0", points=1
    ):
        w, u, k, v = _wkv_inputs(2, 1, 3, seed=20)
        out = _run_wkv_steps(t, w, u, k, v)
        t.expect_close(
            out[:, 0], v[:, 0], "wkv_0 (only the first token exists)", rtol=1e-9
        )
    with t.case("12 steps reproduce the formula (decay, bonus u)", points=2):
        w, u, k, v = _wkv_inputs(2, 12, 3, seed=21)
        out = _run_wkv_steps(t, w, u, k, v)
        t.expect_close(out, _wkv_formula(w, u, k, v), "wkv over 12 steps", rtol=1e-8)
    with t.case("keys near 1000 (exp(k) overflows): still the formula", points=1):
        w, u, k, v = _wkv_inputs(1, 8, 2, seed=22, key_shift=1000.0)
        with np.errstate(all="ignore"):
            out = _run_wkv_steps(t, w, u, k, v)
        t.expect_close(out, _wkv_formula(w, u, k, v), "wkv with large keys", rtol=1e-8)
