"""Plausible wrong solutions of exercise set 15 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points, run_cell

from rnnbook.grading import run_exercise

WINDOWS_RIGHT = """
def scaled_train_windows(y, n_train, L, H):
    train = y[:n_train]
    mean, std = train.mean(), train.std()
    z = (train - mean) / std
    N = n_train - L - H + 1
    X = np.array([z[i : i + L] for i in range(N)])
    Y = np.array([z[i + L : i + L + H] for i in range(N)])
    return X, Y, float(mean), float(std)
"""

MASE_RIGHT = """
def mase(y_true, y_pred, y_train, m):
    scale = np.mean(np.abs(y_train[m:] - y_train[:-m]))
    return float(np.mean(np.abs(y_true - y_pred)) / scale)
"""

RECURSIVE_RIGHT = """
def recursive_forecast(one_step, y, origins, L, H):
    windows = np.stack([y[o - L + 1 : o + 1] for o in origins])
    steps = []
    for _ in range(H):
        nxt = np.asarray(one_step(windows), dtype=float)
        steps.append(nxt)
        windows = np.concatenate([windows[:, 1:], nxt[:, None]], axis=1)
    return np.stack(steps, axis=1)
"""

WRONG = [
    # ---------------------------------------------------------- 15.1 scaled_train_windows
    Wrong(
        "15.1",
        "statistics-of-the-whole-series",
        WINDOWS_RIGHT.replace(
            "mean, std = train.mean(), train.std()", "mean, std = y.mean(), y.std()"
        ),
        "test data leaks in",
    ),
    Wrong(
        "15.1",
        "targets-run-into-the-test-period",
        """
        def scaled_train_windows(y, n_train, L, H):
            train = y[:n_train]
            mean, std = train.mean(), train.std()
            z = (y - mean) / std
            N = n_train - L + 1  # windows up to the split, targets after it
            X = np.array([z[i : i + L] for i in range(N)])
            Y = np.array([z[i + L : i + L + H] for i in range(N)])
            return X, Y, float(mean), float(std)
        """,
        "test data",
    ),
    Wrong(
        "15.1",
        "targets-overlap-the-last-input",
        WINDOWS_RIGHT.replace("z[i + L : i + L + H]", "z[i + L - 1 : i + L - 1 + H]"),
        "targets",
    ),
    Wrong(
        "15.1",
        "sample-std",
        WINDOWS_RIGHT.replace("train.std()", "train.std(ddof=1)"),
        "std",
    ),
    # ---------------------------------------------------------------------- 15.2 mase
    Wrong(
        "15.2",
        "scale-from-the-test-period",
        MASE_RIGHT.replace("y_train[m:] - y_train[:-m]", "y_true[m:] - y_true[:-m]"),
        "MASE",
    ),
    Wrong(
        "15.2",
        "non-seasonal-scale",
        MASE_RIGHT.replace("y_train[m:] - y_train[:-m]", "y_train[1:] - y_train[:-1]"),
        "m = 7",
    ),
    Wrong(
        "15.2",
        "off-by-one-lag",
        MASE_RIGHT.replace(
            "y_train[m:] - y_train[:-m]", "y_train[m + 1:] - y_train[:-m - 1]"
        ),
        "MASE",
    ),
    Wrong(
        "15.2",
        "divides-by-n-not-n-minus-m",
        """
        def mase(y_true, y_pred, y_train, m):
            scale = np.sum(np.abs(y_train[m:] - y_train[:-m])) / len(y_train)
            return float(np.mean(np.abs(y_true - y_pred)) / scale)
        """,
        "MASE",
    ),
    # ---------------------------------------------------------- 15.3 recursive_forecast
    Wrong(
        "15.3",
        "teacher-forcing-at-test-time",
        """
        def recursive_forecast(one_step, y, origins, L, H):
            steps = []
            for h in range(H):
                windows = np.stack([y[o - L + 1 + h : o + 1 + h] for o in origins])
                steps.append(np.asarray(one_step(windows), dtype=float))
            return np.stack(steps, axis=1)
        """,
        "after the origin",
    ),
    Wrong(
        "15.3",
        "window-misses-the-origin",
        RECURSIVE_RIGHT.replace("y[o - L + 1 : o + 1]", "y[o - L : o]"),
        "h = 1",
    ),
    Wrong(
        "15.3",
        "window-never-slides",
        """
        def recursive_forecast(one_step, y, origins, L, H):
            windows = np.stack([y[o - L + 1 : o + 1] for o in origins])
            nxt = np.asarray(one_step(windows), dtype=float)
            return np.stack([nxt] * H, axis=1)  # the one-step value repeated
        """,
        "h = 2..H",
    ),
    Wrong(
        "15.3",
        "one-origin-at-a-time",
        """
        def recursive_forecast(one_step, y, origins, L, H):
            out = []
            for o in origins:
                window = y[o - L + 1 : o + 1]
                row = []
                for _ in range(H):
                    nxt = float(one_step(window[None])[0])
                    row.append(nxt)
                    window = np.append(window[1:], nxt)
                out.append(row)
            return np.array(out)
        """,
        "called",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


@pytest.mark.parametrize(
    "exercise_id, source",
    [("15.1", WINDOWS_RIGHT), ("15.2", MASE_RIGHT), ("15.3", RECURSIVE_RIGHT)],
)
def test_right_solution_earns_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
