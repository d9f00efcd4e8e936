"""Exercise set 08, "Long-range benchmarks": tests for solutions/08_long_range_benchmarks.

Expected values are computed here, independently of the learner's code: the multiplication
problem's target by a loop over the learner's own inputs (so any correct random layout passes);
the baseline from the moments of the uniform distribution, written out below; the recall report
by plain Python loops over hand-made score arrays.
"""

from __future__ import annotations

import numpy as np

from rnnbook.data.tasks import copy_memory, one_hot
from rnnbook.grading import ExerciseSet

SET = ExerciseSet("08", "Long-range benchmarks")


# --------------------------------------------------------------------------------------------
# 8.1 The multiplication problem


def _marked_product(x):
    """Loop over rows: product of the values at the marked steps (None if not exactly two)."""
    out = []
    for row in x:
        marked = [row[t, 0] for t in range(row.shape[0]) if row[t, 1] == 1.0]
        out.append(marked[0] * marked[1] if len(marked) == 2 else None)
    return out


def _check_distribution(t, x, y, T):
    """Frequencies on a large batch against the specification (tolerances ~6 standard errors).

    With n rows, a frequency p has standard error sqrt(p (1 - p) / n); at n = 20000 and p = 1/5
    that is 0.0028, so a tolerance of 0.02 never fails a correct generator by chance in practice
    but catches fixed, skewed or half-ignoring marker positions and non-uniform values.
    """
    x = np.asarray(x)
    half = T // 2
    markers = x[..., 1] == 1.0
    if not np.all(markers.sum(axis=1) == 2):
        t.fail("every row needs exactly two markers")
    first = markers[:, :half].argmax(axis=1)
    second = markers[:, half:].argmax(axis=1) + half
    for name, positions, lo, hi in (
        ("first", first, 0, half),
        ("second", second, half, T),
    ):
        freq = np.bincount(positions, minlength=T)[lo:hi] / len(positions)
        expected = 1.0 / (hi - lo)
        t.expect(
            np.all(np.abs(freq - expected) < 0.02),
            f"the {name} marker must be uniform over steps [{lo}, {hi}) for T = {T}: "
            f"expected each step with frequency {expected:.2f}, got {np.round(freq, 3)}",
        )
    rows = np.arange(len(x))
    for name, values in (
        ("all values", x[..., 0].ravel()),
        ("the marked values", np.concatenate([x[rows, first, 0], x[rows, second, 0]])),
    ):
        deciles = np.histogram(values, bins=10, range=(0.0, 1.0))[0] / values.size
        t.expect(
            np.all(np.abs(deciles - 0.1) < 0.015),
            f"{name} must be uniform on [0, 1]: expected 10% in each tenth of [0, 1], "
            f"got {np.round(100 * deciles, 1)} %",
        )


@SET.exercise("8.1", "multiplication_problem", points=5)
def _(t):
    with t.case("returns x of shape (N, T, 2) and y of shape (N,)", points=1):
        out = t.call(5, 8, seed=0)
        t.expect_tuple(out, 2, "the return value (x, y)")
        x, y = out
        t.expect_shape(x, (5, 8, 2), "x")
        t.expect_shape(y, (5,), "y")
    with t.case("values in [0, 1]; exactly one marker in each half", points=1):
        x, _ = t.call(200, 9, seed=1)
        x = np.asarray(x)
        t.expect(
            np.all((x[..., 0] >= 0) & (x[..., 0] <= 1)), "values must lie in [0, 1]"
        )
        t.expect(
            set(np.unique(x[..., 1])) <= {0.0, 1.0},
            "the marker channel must hold only 0 and 1",
        )
        half = 9 // 2
        t.expect(
            np.all(x[:, :half, 1].sum(axis=1) == 1),
            "every row needs exactly one marker in the first half, steps [0, T//2)",
        )
        t.expect(
            np.all(x[:, half:, 1].sum(axis=1) == 1),
            "every row needs exactly one marker in the second half, steps [T//2, T)",
        )
    with t.case(
        "y is the product of the two marked values (also for N = 1, T = 2)", points=1
    ):
        for n, T, seed in [(50, 12, 2), (1, 2, 3)]:
            x, y = t.call(n, T, seed=seed)
            expected = _marked_product(np.asarray(x))
            if any(e is None for e in expected):
                t.fail(f"for N={n}, T={T} some rows do not have exactly two markers")
            t.expect_close(
                y, np.array(expected), f"y for N={n}, T={T}", rtol=1e-6, atol=1e-12
            )
    with t.case(
        "the same seed gives the same batch, another seed another batch", points=1
    ):
        a, _ = t.call(4, 10, seed=7)
        b, _ = t.call(4, 10, seed=7)
        c, _ = t.call(4, 10, seed=8)
        t.expect(
            np.array_equal(a, b), "two calls with seed=7 returned different batches"
        )
        t.expect(not np.array_equal(a, c), "seed=7 and seed=8 returned the same batch")
    with t.case(
        "on a large batch, markers are uniform within each half and values uniform on [0, 1]",
        points=1,
    ):
        _check_distribution(t, *t.call(20_000, 10, seed=11), T=10)


# --------------------------------------------------------------------------------------------
# 8.2 The memoryless baseline of the multiplication problem


def _product_baseline(a, b):
    """Best constant E[U1 U2] = m^2 and its MSE Var(U1 U2) = E[U^2]^2 - m^4, U ~ Uniform[a, b]."""
    m = (a + b) / 2
    second_moment = (a * a + a * b + b * b) / 3
    return m * m, second_moment**2 - m**4


@SET.exercise("8.2", "product_baseline", points=3)
def _(t):
    with t.case("values in [0, 1]: constant 1/4, MSE 7/144", points=1):
        out = t.call(0.0, 1.0)
        t.expect_tuple(out, 2, "the return value (constant, mse)")
        t.expect_close(
            np.array(out, dtype=float),
            np.array([0.25, 7 / 144]),
            "(constant, mse)",
            rtol=1e-9,
            atol=1e-12,
        )
    with t.case("values in [-1, 1]: constant 0", points=1):
        t.expect_close(
            np.array(t.call(-1.0, 1.0), dtype=float),
            np.array(_product_baseline(-1.0, 1.0)),
            "(constant, mse)",
            rtol=1e-9,
            atol=1e-12,
        )
    with t.case("any interval [a, b]", points=1):
        for a, b in [(0.5, 2.0), (-3.0, 1.0), (2.0, 2.5)]:
            t.expect_close(
                np.array(t.call(a, b), dtype=float),
                np.array(_product_baseline(a, b)),
                f"(constant, mse) for [{a}, {b}]",
                rtol=1e-9,
                atol=1e-12,
            )


# --------------------------------------------------------------------------------------------
# 8.3 A finer evaluation of copy memory


def _report_by_loops(scores, y):
    N, L, _ = scores.shape
    per_position = np.zeros(10)
    exact = 0
    for i in range(N):
        row_ok = True
        for k in range(10):
            t_ = L - 10 + k
            ok = int(np.argmax(scores[i, t_])) == int(y[i, t_])
            per_position[k] += ok
            row_ok = row_ok and ok
        exact += row_ok
    return per_position / N, exact / N


def _noisy_scores(y, seed, flip):
    """One-hot scores of y with a fraction ``flip`` of the recalled symbols replaced."""
    rng = np.random.default_rng(seed)
    wrong = y.copy()
    mask = rng.random(y.shape) < flip
    wrong[mask] = 1 + (wrong[mask] % 8)  # another data symbol
    return one_hot(wrong, 10, dtype=np.float64) + 0.01 * rng.standard_normal(
        y.shape + (10,)
    )


@SET.exercise("8.3", "copy_recall_report", points=4)
def _(t):
    _, y = copy_memory(6, 5, seed=80)
    with t.case("returns (per_position of shape (10,), exact_match)", points=1):
        out = t.call(one_hot(y, 10, dtype=np.float64), y)
        t.expect_tuple(out, 2, "the return value (per_position, exact_match)")
        t.expect_shape(out[0], (10,), "per_position")
    with t.case("perfect scores: all ones and exact match 1", points=1):
        per, exact = t.call(one_hot(y, 10, dtype=np.float64), y)
        t.expect_close(per, np.ones(10), "per_position")
        t.expect_close(exact, 1.0, "exact_match")
    with t.case("blank positions are ignored", points=1):
        scores = one_hot(y, 10, dtype=np.float64)
        scores[:, :-10] = one_hot(
            np.full(y[:, :-10].shape, 3), 10, dtype=np.float64
        )  # wrong blanks
        per, exact = t.call(scores, y)
        t.expect_close(per, np.ones(10), "per_position when only blank steps are wrong")
        t.expect_close(exact, 1.0, "exact_match when only blank steps are wrong")
        # and with a few recalled symbols wrong too, so that a constant answer cannot pass
        wrong = y.copy()
        wrong[0, -8] = 1 + wrong[0, -8] % 8
        wrong[1:3, -3] = 1 + wrong[1:3, -3] % 8
        scores = one_hot(wrong, 10, dtype=np.float64)
        scores[:, :-10] = one_hot(np.full(y[:, :-10].shape, 3), 10, dtype=np.float64)
        per_exp, exact_exp = _report_by_loops(scores, y)
        per, exact = t.call(scores, y)
        t.expect_close(
            per,
            per_exp,
            "per_position when blank steps and three recalled symbols are wrong",
        )
        t.expect_close(
            exact,
            exact_exp,
            "exact_match when blank steps and three recalled symbols are wrong",
        )
    with t.case(
        "some recalled symbols wrong (several batches, batch of one)", points=1
    ):
        for seed, n, T in [(81, 40, 7), (82, 1, 3), (83, 25, 1)]:
            _, y2 = copy_memory(n, T, seed=seed)
            scores = _noisy_scores(y2, seed, flip=0.2)
            per_exp, exact_exp = _report_by_loops(scores, y2)
            per, exact = t.call(scores, y2)
            t.expect_close(per, per_exp, f"per_position (N={n}, T={T})")
            t.expect_close(exact, exact_exp, f"exact_match (N={n}, T={T})")
