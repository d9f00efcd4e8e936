"""Plausible wrong solutions of exercise set 20 must lose points (see tests/exercise_harness.py).

Each wrong solution is the reference solution with one learner mistake edited in (``mutate``).
"""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points, run_cell

from rnnbook.grading import run_exercise


def mutate(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, (
        f"the mutation target {old!r} must occur exactly once"
    )
    return source.replace(old, new)


STEP = """
def selective_step(h_prev, x_t, delta_t, A, B_t, C_t):
    Abar = np.exp(delta_t[:, :, None] * A)
    Bbar = delta_t[:, :, None] * B_t[:, None, :]
    h_t = Abar * h_prev + Bbar * x_t[:, :, None]
    y_t = np.einsum("ndp,np->nd", h_t, C_t)
    return h_t, y_t
"""

CHUNK = """
def selective_chunk(x, delta, A, B, C, h0):
    T = x.shape[1]
    L = np.cumsum(delta[..., None] * A, axis=1)
    b = (delta * x)[..., None] * B[:, :, None, :]
    diff = L[:, :, None] - L[:, None, :]
    causal = np.tril(np.ones((T, T), dtype=bool))[None, :, :, None, None]
    decay = np.exp(np.where(causal, diff, -np.inf))
    h = np.exp(L) * h0[:, None] + np.einsum("ntsdp,nsdp->ntdp", decay, b)
    y = np.einsum("ntdp,ntp->ntd", h, C)
    return y, h[:, -1]
"""

WKV = """
def wkv_step(state, k_t, v_t, w, u):
    a, b, p = state
    q = np.maximum(p, u + k_t)
    old, new = np.exp(p - q), np.exp(u + k_t - q)
    wkv_t = (old * a + new * v_t) / (old * b + new)
    p_next = np.maximum(p - w, k_t)
    old, new = np.exp(p - w - p_next), np.exp(k_t - p_next)
    a, b, p = old * a + new * v_t, old * b + new, p_next
    return wkv_t, (a, b, p)
"""

WKV_UNSTABILISED = """
def wkv_step(state, k_t, v_t, w, u):
    a, b, p = state
    wkv_t = (a + np.exp(u + k_t) * v_t) / (b + np.exp(u + k_t))
    a = np.exp(-w) * a + np.exp(k_t) * v_t
    b = np.exp(-w) * b + np.exp(k_t)
    return wkv_t, (a, b, p)
"""

MEMORY = """
def generation_memory(T, n_layers, d_model, d_state, bytes_per_number):
    kv_cache_bytes = 2 * n_layers * T * d_model * bytes_per_number
    state_bytes = n_layers * d_state * bytes_per_number
    return kv_cache_bytes, state_bytes
"""

WRONG = [
    # 20.1 ------------------------------------------------------------------------------------
    Wrong(
        "20.1",
        "delta-not-applied-to-B",
        mutate(
            STEP,
            "Bbar = delta_t[:, :, None] * B_t[:, None, :]",
            "Bbar = B_t[:, None, :]",
        ),
        "Bbar = delta * B",
    ),
    Wrong(
        "20.1",
        "C-applied-before-update",
        mutate(
            STEP,
            'y_t = np.einsum("ndp,np->nd", h_t, C_t)',
            'y_t = np.einsum("ndp,np->nd", h_prev, C_t)',
        ),
        "y_t",
    ),
    Wrong(
        "20.1",
        "decay-without-delta",
        mutate(STEP, "np.exp(delta_t[:, :, None] * A)", "np.exp(A)[None]"),
        "Abar = exp(delta * A)",
    ),
    # 20.2 ------------------------------------------------------------------------------------
    Wrong(
        "20.2",
        "ignores-h0",
        mutate(CHUNK, "np.exp(L) * h0[:, None] + ", ""),
        "h0 != 0",
    ),
    Wrong(
        "20.2",
        "h0-decayed-one-step-short",
        mutate(
            CHUNK,
            "np.exp(L) * h0[:, None]",
            "np.exp(L - delta[..., None] * A) * h0[:, None]",
        ),
        "h0 != 0",
    ),
    Wrong(
        "20.2",
        "exp-of-each-cumsum-overflows",
        mutate(
            CHUNK,
            "decay = np.exp(np.where(causal, diff, -np.inf))",
            "decay = np.where(causal, np.exp(L)[:, :, None] * np.exp(-L)[:, None], 0.0)",
        ),
        "strong decay",
    ),
    Wrong(
        "20.2",
        "mask-includes-the-future",
        mutate(
            CHUNK,
            "np.tril(np.ones((T, T), dtype=bool))",
            "np.ones((T, T), dtype=bool)",
        ),
        "y",
    ),
    Wrong(
        "20.2",
        "last-state-is-first",
        mutate(CHUNK, "return y, h[:, -1]", "return y, h[:, 0]"),
        "h_last",
    ),
    # 20.4 ------------------------------------------------------------------------------------
    Wrong("20.4", "unstabilised-exp-of-keys", WKV_UNSTABILISED, "large keys"),
    Wrong(
        "20.4",
        "past-decayed-once-more-in-the-output",
        mutate(
            mutate(WKV, "q = np.maximum(p, u + k_t)", "q = np.maximum(p - w, u + k_t)"),
            "old, new = np.exp(p - q), np.exp(u + k_t - q)",
            "old, new = np.exp(p - w - q), np.exp(u + k_t - q)",
        ),
        "12 steps",
    ),
    Wrong(
        "20.4",
        "no-bonus-for-the-current-token",
        mutate(
            mutate(WKV, "q = np.maximum(p, u + k_t)", "q = np.maximum(p, k_t)"),
            "np.exp(u + k_t - q)",
            "np.exp(k_t - q)",
        ),
        "12 steps",
    ),
    Wrong(
        "20.4",
        "output-read-after-the-update",
        """
def wkv_step(state, k_t, v_t, w, u):
    a, b, p = state
    p_next = np.maximum(p - w, k_t)
    old, new = np.exp(p - w - p_next), np.exp(k_t - p_next)
    a, b, p = old * a + new * v_t, old * b + new, p_next
    q = np.maximum(p, u + k_t)
    old, new = np.exp(p - q), np.exp(u + k_t - q)
    wkv_t = (old * a + new * v_t) / (old * b + new)
    return wkv_t, (a, b, p)
""",
        "12 steps",
    ),
    # 20.3 ------------------------------------------------------------------------------------
    Wrong(
        "20.3",
        "keys-only",
        mutate(MEMORY, "2 * n_layers * T", "n_layers * T"),
        "kv_cache_bytes",
    ),
    Wrong(
        "20.3",
        "state-grows-with-T",
        mutate(
            MEMORY,
            "state_bytes = n_layers * d_state",
            "state_bytes = T * n_layers * d_state",
        ),
        "state_bytes",
    ),
    Wrong(
        "20.3",
        "one-layer-only",
        mutate(
            mutate(MEMORY, "2 * n_layers * T", "2 * T"),
            "state_bytes = n_layers * d_state",
            "state_bytes = d_state",
        ),
        "",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


@pytest.mark.parametrize(
    "exercise_id, source",
    [("20.1", STEP), ("20.2", CHUNK), ("20.3", MEMORY), ("20.4", WKV)],
)
def test_reference_solutions_earn_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
