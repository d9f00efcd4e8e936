"""Exercise set 17, "Linear recurrences and the parallel scan": tests for
solutions/17_linear_recurrences_and_scans.ipynb.

Expected values are computed here independently of the learner's code and of the package's
scans: every reference runs the recurrence one step at a time (composition of maps for 17.1,
running products and the plain loop for the scans 17.2 and 17.3, the loop in ordinary space
for the log-space form 17.4). 17.3 hands the learner the package's up-sweep and forbids the
package's down-sweep and scans.
"""

from __future__ import annotations

import numpy as np

from rnnbook.grading import ExerciseSet
from rnnbook.scratch.scan import blelloch_upsweep

SET = ExerciseSet("17", "Linear recurrences and the parallel scan")

_FORBIDDEN_SCANS = (
    "rnnbook.scratch.scan.scan_blelloch",
    "rnnbook.scratch.scan.scan_hillis_steele",
    "rnnbook.scratch.scan.blelloch_downsweep",
    "rnnbook.scratch.scan.linear_recurrence_scan",
    "rnnbook.scratch.scan.linear_recurrence_log",
)


def _pairs(seed, N, T, H, positive=False):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.3, 1.2, (N, T, H))
    b = rng.standard_normal((N, T, H))
    if positive:
        b = np.abs(b) + 0.05
    return a, b


def _prefixes_by_loop(a, b):
    """Inclusive prefixes (A_t, B_t) one step at a time: A_t = a_0...a_t, B_t = h_t from 0."""
    A, B = np.empty_like(a), np.empty_like(b)
    A_run = np.ones_like(a[:, 0])
    B_run = np.zeros_like(b[:, 0])
    for t in range(a.shape[1]):
        A_run = A_run * a[:, t]
        B_run = a[:, t] * B_run + b[:, t]
        A[:, t], B[:, t] = A_run, B_run
    return A, B


# --------------------------------------------------------------------------------------------
# 17.1 The associative operator


@SET.exercise("17.1", "combine", points=3)
def _(t):
    rng = np.random.default_rng(171)
    e1 = (rng.uniform(0.5, 2.0, 4), rng.standard_normal(4))
    e2 = (rng.uniform(0.5, 2.0, 4), rng.standard_normal(4))
    h = rng.standard_normal(4)
    with t.case("the identity (1, 0) on either side changes nothing"):
        one, zero = np.ones(4), np.zeros(4)
        got = t.expect_tuple(t.call((one, zero), e2), 2, "combine(identity, e)")
        t.expect_close(got[0], e2[0], "a of combine(identity, e)")
        t.expect_close(got[1], e2[1], "b of combine(identity, e)")
        got = t.expect_tuple(t.call(e1, (one, zero)), 2, "combine(e, identity)")
        t.expect_close(got[1], e1[1], "b of combine(e, identity)")
    with t.case("(a, b) of the result applied to h = apply left first, then right", 2):
        got = t.expect_tuple(t.call(e1, e2), 2, "combine(left, right)")
        a, b = (np.asarray(v) for v in got)
        one_by_one = e2[0] * (e1[0] * h + e1[1]) + e2[1]
        t.expect_close(a * h + b, one_by_one, "a * h + b (the composed map at h)")
        t.expect_close(a, e1[0] * e2[0], "a of combine(left, right)")


# --------------------------------------------------------------------------------------------
# 17.2 Hillis-Steele


@SET.exercise("17.2", "hillis_steele_scan", points=4, forbidden=_FORBIDDEN_SCANS)
def _(t):
    def case(seed, N, T, H):
        a, b = _pairs(seed, N, T, H)
        A_ref, B_ref = _prefixes_by_loop(a, b)
        got = t.expect_tuple(t.call(a, b), 2, "the result (A, B)")
        t.expect_shape(got[0], (N, T, H), "A")
        t.expect_shape(got[1], (N, T, H), "B")
        t.expect_close(
            got[1], B_ref, f"B (inclusive prefixes, T = {T})", rtol=1e-9, atol=1e-12
        )
        t.expect_close(
            got[0], A_ref, f"A (inclusive prefixes, T = {T})", rtol=1e-9, atol=1e-12
        )

    with t.case("T = 1 and T = 2"):
        case(1, 2, 1, 3)
        case(2, 2, 2, 3)
    with t.case("T = 8, a power of two (inclusive: position t includes step t)"):
        case(3, 2, 8, 3)
    with t.case("T = 13 and T = 300, not powers of two (every level up to T)", 2):
        case(4, 3, 13, 2)
        case(5, 1, 300, 4)


# --------------------------------------------------------------------------------------------
# 17.3 Blelloch's down-sweep


@SET.exercise(
    "17.3", "blelloch_downsweep_exclusive", points=6, forbidden=_FORBIDDEN_SCANS
)
def _(t):
    def case(seed, N, T, H):
        a, b = _pairs(seed, N, T, H)
        A_up, B_up = blelloch_upsweep(a, b)
        P = A_up.shape[1]
        got = t.expect_tuple(t.call(A_up, B_up), 2, "the result (A, B)")
        t.expect_shape(got[0], (N, P, H), "A")
        t.expect_shape(got[1], (N, P, H), "B")
        A_got, B_got = np.asarray(got[0]), np.asarray(got[1])
        a_pad = np.pad(a, ((0, 0), (0, P - T), (0, 0)), constant_values=1.0)
        b_pad = np.pad(b, ((0, 0), (0, P - T), (0, 0)))
        A_inc, B_inc = _prefixes_by_loop(a_pad, b_pad)
        t.expect_close(A_got[:, 0], np.ones((N, H)), "A at t = 0 (the identity)")
        t.expect_close(
            B_got[:, 0], np.zeros((N, H)), "B at t = 0 (the identity)", atol=1e-12
        )
        t.expect_close(
            B_got[:, 1:],
            B_inc[:, :-1],
            f"B (exclusive prefixes, P = {P})",
            rtol=1e-9,
            atol=1e-12,
        )
        t.expect_close(
            A_got[:, 1:],
            A_inc[:, :-1],
            f"A (exclusive prefixes, P = {P})",
            rtol=1e-9,
            atol=1e-12,
        )

    with t.case("P = 2: one parent, two leaves"):
        case(31, 1, 2, 3)
    with t.case("P = 4: the exclusive scan (position t holds steps 0 .. t-1)", 2):
        case(32, 2, 4, 3)
    with t.case(
        "P = 16 from T = 11 (padded) and P = 256: prefix before the left total", 3
    ):
        case(33, 2, 11, 2)
        case(34, 1, 256, 3)


# --------------------------------------------------------------------------------------------
# 17.4 The log-space form


def _loop(a, b, h0):
    h = np.empty_like(b)
    state = h0
    for t in range(a.shape[1]):
        state = a[:, t] * state + b[:, t]
        h[:, t] = state
    return h


@SET.exercise("17.4", "log_linear_recurrence", points=4, forbidden=_FORBIDDEN_SCANS)
def _(t):
    def case(seed, N, T, H, decay=None):
        a, b = _pairs(seed, N, T, H, positive=True)
        if decay is not None:
            a = np.full_like(a, decay)
        h0 = np.random.default_rng(seed + 1).uniform(0.1, 2.0, (N, H))
        got = t.call(np.log(a), np.log(b), np.log(h0))
        t.expect_shape(got, (N, T, H), "log h")
        expected = np.log(_loop(a, b, h0))
        t.expect_close(got, expected, f"log h (T = {T})", rtol=1e-9, atol=1e-9)

    with t.case("T = 1: log(a_0 h0 + b_0)"):
        case(41, 2, 1, 3)
    with t.case("T = 50, random positive a, b, h0 (h0 counts at every step)", 2):
        case(42, 2, 50, 3)
    with t.case("T = 3000 with a = 0.6: the product of the a's underflows to 0"):
        case(43, 1, 3000, 2, decay=0.6)
