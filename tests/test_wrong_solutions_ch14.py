"""Plausible wrong solutions of exercise set 14 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import textwrap

import pytest

pytest.importorskip("torch")

from exercise_harness import Wrong, assert_loses_points, run_cell  # noqa: E402

from rnnbook.grading import run_exercise  # noqa: E402

IMPORTS = "import numpy as np\nimport torch\n"

F1_RIGHT = """
def macro_f1(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = []
    for c in np.union1d(y_true, y_pred):
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0)
    return float(np.mean(scores))
"""

FINAL_RIGHT = """
from torch.nn.utils.rnn import pack_padded_sequence

def final_states(rnn, x, lengths):
    lengths = torch.as_tensor(lengths, dtype=torch.int64)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    _, state = rnn(packed)
    h_n = state[0] if isinstance(state, tuple) else state
    dirs = 2 if rnn.bidirectional else 1
    last = h_n.view(rnn.num_layers, dirs, x.shape[0], rnn.hidden_size)[-1]
    return torch.cat(list(last), dim=1)
"""

DTW_RIGHT = """
def dtw_distance(a, b, window=None):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    R = np.full((len(a) + 1, len(b) + 1), np.inf)
    R[0, 0] = 0.0
    for i in range(len(a)):
        for j in range(len(b)):
            if window is not None and abs(i - j) > window:
                continue
            cost = np.sum((a[i] - b[j]) ** 2)
            R[i + 1, j + 1] = cost + min(R[i, j], R[i, j + 1], R[i + 1, j])
    return float(R[-1, -1])
"""

WEIGHTS_RIGHT = """
def class_weights(labels, num_classes):
    counts = np.bincount(np.asarray(labels), minlength=num_classes).astype(float)
    w = np.zeros(num_classes)
    w[counts > 0] = len(labels) / (num_classes * counts[counts > 0])
    return w
"""

WRONG = [
    # ------------------------------------------------------------------ 14.1 macro_f1
    Wrong(
        "14.1",
        "accuracy-instead",  # micro-averaged F1 equals accuracy for single-label data
        """
        def macro_f1(y_true, y_pred):
            return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
        """,
        "macro-F1",
    ),
    Wrong(
        "14.1",
        "skips-never-predicted-classes",  # precision 0/0 -> class left out of the mean
        """
        def macro_f1(y_true, y_pred):
            y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
            scores = []
            for c in np.union1d(y_true, y_pred):
                if not np.any(y_pred == c):
                    continue
                tp = np.sum((y_true == c) & (y_pred == c))
                p = tp / np.sum(y_pred == c)
                r = tp / max(np.sum(y_true == c), 1)
                scores.append(0.0 if tp == 0 else 2 * p * r / (p + r))
            return float(np.mean(scores))
        """,
        "never predicted",
    ),
    Wrong(
        "14.1",
        "only-true-classes",  # a class that is only predicted is ignored
        """
        def macro_f1(y_true, y_pred):
            y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
            scores = []
            for c in np.unique(y_true):
                tp = np.sum((y_true == c) & (y_pred == c))
                fp = np.sum((y_true != c) & (y_pred == c))
                fn = np.sum((y_true == c) & (y_pred != c))
                scores.append(2 * tp / (2 * tp + fp + fn))
            return float(np.mean(scores))
        """,
        "predicted but never true",
    ),
    Wrong(
        "14.1",
        "weighted-by-support",  # sklearn's average="weighted"
        """
        def macro_f1(y_true, y_pred):
            y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
            total = 0.0
            for c in np.union1d(y_true, y_pred):
                tp = np.sum((y_true == c) & (y_pred == c))
                fp = np.sum((y_true != c) & (y_pred == c))
                fn = np.sum((y_true == c) & (y_pred != c))
                f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
                total += f1 * np.sum(y_true == c)
            return float(total / len(y_true))
        """,
        "imbalanced",
    ),
    Wrong(
        "14.1",
        "calls-sklearn",  # the exercise asks for the computation itself
        """
        from sklearn.metrics import f1_score

        def macro_f1(y_true, y_pred):
            labels = np.union1d(y_true, y_pred)
            return float(f1_score(y_true, y_pred, labels=labels, average="macro"))
        """,
        "f1_score",
    ),
    # ------------------------------------------------------------------ 14.2 final_states
    Wrong(
        "14.2",
        "reads-the-padding",  # no packing: the state after step T - 1
        """
        def final_states(rnn, x, lengths):
            _, state = rnn(x)
            h_n = state[0] if isinstance(state, tuple) else state
            dirs = 2 if rnn.bidirectional else 1
            last = h_n.view(rnn.num_layers, dirs, x.shape[0], rnn.hidden_size)[-1]
            return torch.cat(list(last), dim=1)
        """,
        "L_n - 1",
    ),
    Wrong(
        "14.2",
        "output-at-last-step-for-both-directions",  # backward half read at L_n - 1
        """
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        def final_states(rnn, x, lengths):
            lengths = torch.as_tensor(lengths, dtype=torch.int64)
            packed = pack_padded_sequence(
                x, lengths, batch_first=True, enforce_sorted=False
            )
            out, _ = rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True)
            return out[torch.arange(x.shape[0]), lengths - 1]
        """,
        "backward read back to step 0",
    ),
    Wrong(
        "14.2",
        "first-layer-of-h_n",  # h_n[0], h_n[1]: the first layer when num_layers = 2
        """
        from torch.nn.utils.rnn import pack_padded_sequence

        def final_states(rnn, x, lengths):
            lengths = torch.as_tensor(lengths, dtype=torch.int64)
            packed = pack_padded_sequence(
                x, lengths, batch_first=True, enforce_sorted=False
            )
            _, state = rnn(packed)
            h_n = state[0] if isinstance(state, tuple) else state
            dirs = 2 if rnn.bidirectional else 1
            return torch.cat([h_n[d] for d in range(dirs)], dim=1)
        """,
        "last layer",
    ),
    Wrong(
        "14.2",
        "lstm-cell-state",  # state[-1] is c_n for an LSTM
        """
        from torch.nn.utils.rnn import pack_padded_sequence

        def final_states(rnn, x, lengths):
            lengths = torch.as_tensor(lengths, dtype=torch.int64)
            packed = pack_padded_sequence(
                x, lengths, batch_first=True, enforce_sorted=False
            )
            _, state = rnn(packed)
            h_n = state[-1] if isinstance(state, tuple) else state
            dirs = 2 if rnn.bidirectional else 1
            last = h_n.view(rnn.num_layers, dirs, x.shape[0], rnn.hidden_size)[-1]
            return torch.cat(list(last), dim=1)
        """,
        "not the cell state",
    ),
    Wrong(
        "14.2",
        "sorted-but-not-unsorted",  # sorts by length for enforce_sorted=True, forgets order
        """
        from torch.nn.utils.rnn import pack_padded_sequence

        def final_states(rnn, x, lengths):
            lengths = torch.as_tensor(lengths, dtype=torch.int64)
            order = torch.argsort(lengths, descending=True)
            packed = pack_padded_sequence(x[order], lengths[order], batch_first=True)
            _, state = rnn(packed)
            h_n = state[0] if isinstance(state, tuple) else state
            dirs = 2 if rnn.bidirectional else 1
            last = h_n.view(rnn.num_layers, dirs, x.shape[0], rnn.hidden_size)[-1]
            return torch.cat(list(last), dim=1)
        """,
        "final states",
    ),
    # ------------------------------------------------------------------ 14.3 dtw_distance
    Wrong(
        "14.3",
        "no-diagonal-step",  # only horizontal and vertical predecessors
        DTW_RIGHT.replace(
            "min(R[i, j], R[i, j + 1], R[i + 1, j])", "min(R[i, j + 1], R[i + 1, j])"
        ).replace("R[0, 0] = 0.0", "R[0, 0] = 0.0\n    R[0, 1] = 0.0"),
        "three predecessors",
    ),
    Wrong(
        "14.3",
        "no-horizontal-step",  # forgets R[i, j-1]
        DTW_RIGHT.replace(
            "min(R[i, j], R[i, j + 1], R[i + 1, j])", "min(R[i, j], R[i, j + 1])"
        ),
        "three predecessors",
    ),
    Wrong(
        "14.3",
        "window-ignored",
        DTW_RIGHT.replace(
            "if window is not None and abs(i - j) > window:", "if False:"
        ),
        "window",
    ),
    Wrong(
        "14.3",
        "absolute-cost",  # |a_i - b_j| summed, not the squared Euclidean cost
        DTW_RIGHT.replace("np.sum((a[i] - b[j]) ** 2)", "np.sum(np.abs(a[i] - b[j]))"),
        "DTW distance",
    ),
    Wrong(
        "14.3",
        "euclidean-not-warped",  # truncates to the shorter series, no warping
        """
        def dtw_distance(a, b, window=None):
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            T = min(len(a), len(b))
            return float(np.sum((a[:T] - b[:T]) ** 2))
        """,
        "different lengths",
    ),
    Wrong(
        "14.3",
        "calls-the-package",
        """
        from rnnbook.scratch import dtw

        def dtw_distance(a, b, window=None):
            return dtw.dtw_distance(a, b, window)
        """,
        "dtw_distance",
    ),
    # ------------------------------------------------------------------ 14.4 class_weights
    Wrong(
        "14.4",
        "unnormalised-inverse-count",  # 1 / N_c
        """
        def class_weights(labels, num_classes):
            counts = np.bincount(np.asarray(labels), minlength=num_classes)
            return np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
        """,
        "class weights",
    ),
    Wrong(
        "14.4",
        "inverse-squared",
        """
        def class_weights(labels, num_classes):
            counts = np.bincount(np.asarray(labels), minlength=num_classes).astype(float)
            w = np.zeros(num_classes)
            w[counts > 0] = (len(labels) / (num_classes * counts[counts > 0])) ** 2
            return w
        """,
        "class weights",
    ),
    Wrong(
        "14.4",
        "divides-by-zero",  # inf for an absent class
        """
        def class_weights(labels, num_classes):
            counts = np.bincount(np.asarray(labels), minlength=num_classes).astype(float)
            with np.errstate(divide="ignore"):
                return len(labels) / (num_classes * counts)
        """,
        "finite",
    ),
    Wrong(
        "14.4",
        "classes-from-labels",  # C = number of distinct labels, not num_classes
        """
        def class_weights(labels, num_classes):
            labels = np.asarray(labels)
            counts = np.bincount(labels, minlength=num_classes).astype(float)
            C = len(np.unique(labels))
            w = np.zeros(num_classes)
            w[counts > 0] = len(labels) / (C * counts[counts > 0])
            return w
        """,
        "without examples",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(
        Wrong(
            wrong.exercise_id,
            wrong.mistake,
            IMPORTS + textwrap.dedent(wrong.source),
            wrong.reason,
        )
    )


@pytest.mark.parametrize(
    "exercise_id, source",
    [
        ("14.1", F1_RIGHT),
        ("14.2", FINAL_RIGHT),
        ("14.3", DTW_RIGHT),
        ("14.4", WEIGHTS_RIGHT),
    ],
)
def test_reference_earns_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(IMPORTS + source), quiet=True)
    assert result.points == result.max_points, result.reasons
