"""Exercise set 14, "Sequence classification": tests for solutions/14_sequence_classification.

Expected values are computed independently of the learner's code and of the package functions
the exercises re-implement: 14.1 with scikit-learn's ``f1_score`` (when installed) and a
per-class loop; 14.2 by running every sequence of the batch alone through the same
``torch.nn`` layer (no padding, so nothing to pack); 14.3 by a memoised recursion over warping
paths (not ``rnnbook.scratch.dtw``); 14.4 by counting labels in a Python loop.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("14", "Sequence classification")


# --------------------------------------------------------------------------------------------
# 14.1 Macro-F1 from predictions


def _macro_f1_loop(y_true, y_pred):
    """Mean F1 over the classes that occur in y_true or y_pred (0/0 counts as 0)."""
    classes = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    scores = []
    for c in classes:
        tp = sum(1 for t, p in zip(y_true, y_pred) if t == c and p == c)
        fp = sum(1 for t, p in zip(y_true, y_pred) if t != c and p == c)
        fn = sum(1 for t, p in zip(y_true, y_pred) if t == c and p != c)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


def _expected_f1(y_true, y_pred):
    value = _macro_f1_loop(y_true, y_pred)
    try:
        from sklearn.metrics import f1_score
    except ImportError:  # scikit-learn is in the data extra; the loop alone is enough
        return value
    labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    ref = f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    assert abs(ref - value) < 1e-12, "the two references of 14.1 disagree"
    return value


@SET.exercise(
    "14.1",
    "macro_f1",
    points=4,
    forbidden=(
        "sklearn.metrics.f1_score",
        "sklearn.metrics.precision_recall_fscore_support",
    ),
)
def _(t):
    with t.case("a balanced example: the mean of three per-class F1 scores", points=1):
        y_true = np.array([0, 0, 1, 1, 2, 2])
        y_pred = np.array([0, 1, 1, 1, 2, 0])
        t.expect_close(
            t.call(y_true, y_pred), _expected_f1(y_true, y_pred), "macro-F1", rtol=1e-9
        )
    with t.case(
        "imbalanced classes: every class counts the same, not every example", points=1
    ):
        rng = np.random.default_rng(141)
        y_true = rng.choice(4, size=300, p=[0.7, 0.2, 0.07, 0.03])
        y_pred = np.where(rng.random(300) < 0.75, y_true, rng.integers(0, 4, 300))
        t.expect_close(
            t.call(y_true, y_pred), _expected_f1(y_true, y_pred), "macro-F1", rtol=1e-9
        )
    with t.case("a class that is never predicted counts with F1 = 0", points=1):
        y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2])
        y_pred = np.array([0, 0, 1, 1, 1, 0, 0, 1])  # class 2 never predicted
        t.expect_close(
            t.call(y_true, y_pred), _expected_f1(y_true, y_pred), "macro-F1", rtol=1e-9
        )
    with t.case(
        "a class that is predicted but never true counts too; labels need not be 0..C-1",
        points=1,
    ):
        y_true = np.array([3, 3, 5, 5, 5, 9])
        y_pred = np.array([3, 7, 5, 5, 9, 9])  # 7 occurs only as a prediction
        t.expect_close(
            t.call(y_true, y_pred), _expected_f1(y_true, y_pred), "macro-F1", rtol=1e-9
        )
        t.expect_close(
            t.call(list(y_true), list(y_pred)),
            _expected_f1(y_true, y_pred),
            "macro-F1 for Python lists",
            rtol=1e-9,
        )


# --------------------------------------------------------------------------------------------
# 14.2 Final states of a packed batch


def _final_case(seed, kind, lengths, num_layers, bidirectional, D=3, H=4):
    torch.manual_seed(seed)
    layer = {"gru": nn.GRU, "lstm": nn.LSTM}[kind]
    rnn = layer(
        D,
        H,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=True,
        dtype=torch.float64,
    )
    seqs = [torch.randn(L, D, dtype=torch.float64) for L in lengths]
    x = pad_sequence(seqs, batch_first=True, padding_value=5.0)  # visible if read
    dirs = 2 if bidirectional else 1
    expected = []
    with torch.no_grad():
        for s in seqs:  # each sequence alone: no padding anywhere
            _, state = rnn(s[None])
            h_n = state[0] if kind == "lstm" else state
            expected.append(torch.cat([h_n[-dirs + d, 0] for d in range(dirs)]))
    return rnn, x, torch.tensor(lengths), torch.stack(expected).numpy()


def _np(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _call_final(t, rnn, x, lengths):
    # A torch layer's deep copy never compares equal to the original (its flat weight
    # buffers are rebuilt), so the generic "changed its input" check is off for this call.
    return _np(t.call_with(args=(rnn, x, lengths), check_mutation=False))


@SET.exercise("14.2", "final_states", points=4)
def _(t):
    with t.case("one GRU layer, one direction: the state after step L_n - 1", points=1):
        rnn, x, lengths, expected = _final_case(1, "gru", [4, 2, 6], 1, False)
        got = _call_final(t, rnn, x, lengths)
        t.expect_shape(got, expected.shape, "the final states")
        t.expect_close(got, expected, "the final states", rtol=1e-9, atol=1e-12)
    with t.case(
        "bidirectional GRU: [forward, backward], backward read back to step 0",
        points=1,
    ):
        rnn, x, lengths, expected = _final_case(2, "gru", [3, 7, 1, 5], 1, True)
        got = _call_final(t, rnn, x, lengths)
        t.expect_shape(got, expected.shape, "the final states (N, 2H)")
        t.expect_close(got, expected, "the final states", rtol=1e-9, atol=1e-12)
    with t.case(
        "two layers: only the last layer's states; lengths in any order", points=1
    ):
        rnn, x, lengths, expected = _final_case(3, "gru", [2, 6, 6, 3, 5], 2, True)
        got = _call_final(t, rnn, x, lengths)
        t.expect_shape(got, expected.shape, "the final states (N, 2H)")
        t.expect_close(got, expected, "the final states", rtol=1e-9, atol=1e-12)
    with t.case("an LSTM: the hidden state h, not the cell state c", points=1):
        rnn, x, lengths, expected = _final_case(4, "lstm", [5, 1, 3], 2, True)
        got = _call_final(t, rnn, x, lengths)
        t.expect_shape(got, expected.shape, "the final states (N, 2H)")
        t.expect_close(got, expected, "the final states", rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------------
# 14.3 DTW distance


def _dtw_recursive(a, b, window=None):
    """Smallest total squared cost over warping paths, by memoised recursion."""
    a = np.asarray(a, dtype=float).reshape(len(a), -1)
    b = np.asarray(b, dtype=float).reshape(len(b), -1)

    @functools.lru_cache(maxsize=None)
    def best(i, j):
        if i < 0 or j < 0 or (window is not None and abs(i - j) > window):
            return np.inf
        cost = float(((a[i] - b[j]) ** 2).sum())
        if i == 0 and j == 0:
            return cost
        return cost + min(best(i - 1, j - 1), best(i - 1, j), best(i, j - 1))

    return best(len(a) - 1, len(b) - 1)


@SET.exercise(
    "14.3",
    "dtw_distance",
    points=5,
    time_limit=20,
    forbidden=("rnnbook.scratch.dtw.dtw_distance", "rnnbook.scratch.dtw.dtw_matrix"),
)
def _(t):
    rng = np.random.default_rng(143)
    with t.case("equal lengths, one channel (the example of the chapter)", points=1):
        a = np.array([[0.0], [1.0], [2.0], [1.0]])
        b = np.array([[0.0], [2.0], [1.0], [1.0]])
        t.expect_close(t.call(a, b), _dtw_recursive(a, b), "DTW distance", rtol=1e-9)
    with t.case(
        "different lengths, several channels: all three predecessors count", points=2
    ):
        for Ta, Tb in ((5, 8), (9, 3), (1, 4)):
            a, b = rng.normal(size=(Ta, 3)), rng.normal(size=(Tb, 3))
            t.expect_close(
                t.call(a, b),
                _dtw_recursive(a, b),
                f"DTW distance ({Ta}, {Tb})",
                rtol=1e-9,
            )
        a = np.repeat(b, 2, axis=0)
        t.expect_close(
            t.call(a, b), 0.0, "DTW of a series and its slowed-down copy", atol=1e-12
        )
    with t.case("a Sakoe-Chiba window |i - j| <= w", points=1):
        a, b = rng.normal(size=(7, 2)), rng.normal(size=(6, 2))
        for w in (1, 3):
            t.expect_close(
                t.call(a, b, window=w),
                _dtw_recursive(a, b, w),
                f"DTW distance with window={w}",
                rtol=1e-9,
            )
        a, b = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
        t.expect_close(
            t.call(a, b, window=0),
            float(((a - b) ** 2).sum()),
            "window=0 on equal lengths (no warping)",
            rtol=1e-9,
        )
    with t.case("no path fits the window: the distance is inf", points=1):
        a, b = rng.normal(size=(9, 2)), rng.normal(size=(4, 2))
        got = t.call(a, b, window=2)
        t.expect(
            np.isinf(got) and got > 0,
            f"with lengths 9 and 4 and window=2 no warping path exists; expected inf, "
            f"got {got}",
        )


# --------------------------------------------------------------------------------------------
# 14.4 Class weights for an imbalanced loss


def _balanced_loop(labels, num_classes):
    counts = [0] * num_classes
    for y in labels:
        counts[int(y)] += 1
    N, C = len(labels), num_classes
    return np.array([N / (C * n) if n > 0 else 0.0 for n in counts])


@SET.exercise("14.4", "class_weights", points=3)
def _(t):
    with t.case("two classes, 3:1", points=1):
        y = np.array([0, 0, 0, 1])
        got = t.call(y, 2)
        t.expect_shape(got, (2,), "the class weights")
        t.expect_close(got, _balanced_loop(y, 2), "the class weights", rtol=1e-9)
    with t.case(
        "weighted counts are equal and the weights average to 1 over examples", points=1
    ):
        rng = np.random.default_rng(144)
        y = rng.choice(5, size=400, p=[0.5, 0.25, 0.15, 0.07, 0.03])
        got = t.call(y, 5)
        t.expect_close(got, _balanced_loop(y, 5), "the class weights", rtol=1e-9)
    with t.case(
        "a class without examples gets weight 0 (no division by zero)", points=1
    ):
        y = np.array([0, 2, 2, 2, 3])
        got = np.asarray(t.call(y, 4), dtype=float)
        t.expect(np.all(np.isfinite(got)), f"expected finite weights, got {got}")
        t.expect_close(got, _balanced_loop(y, 4), "the class weights", rtol=1e-9)
