"""rnnbook.data.windows: windows and scalers must not read the test period.

The leakage tests change (or poison with NaN) every value after the split and assert that
nothing fitted or built for training moves; the same for the input at a forecast origin
and everything after that origin. Reference windows come from plain loops.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from rnnbook.data.windows import (
    WindowScaler,
    origin_targets,
    origin_windows,
    rolling_origins,
    sliding_windows,
    train_windows,
)

RNG = np.random.default_rng(0)
Y = np.cumsum(RNG.normal(size=80)) + 10 * np.sin(np.arange(80) / 3)


def _poisoned(y, start):
    z = y.copy()
    z[start:] = np.nan  # any read of these would show up as NaN
    return z


@pytest.mark.parametrize("mode", ["level", "relative"])
def test_scaler_ignores_test_period(mode):
    n_train = 60
    ref = WindowScaler.fit(Y, n_train, mode)
    other = Y.copy()
    other[n_train:] = 1e6 + RNG.normal(size=20) * 1e3
    assert WindowScaler.fit(other, n_train, mode) == ref
    assert WindowScaler.fit(_poisoned(Y, n_train), n_train, mode) == ref


def test_scaler_statistics_by_hand():
    n_train = 50
    level = WindowScaler.fit(Y, n_train, "level")
    train = list(Y[:n_train])
    mean = sum(train) / n_train
    std = (sum((v - mean) ** 2 for v in train) / n_train) ** 0.5
    assert level.center == pytest.approx(mean) and level.scale == pytest.approx(std)
    rel = WindowScaler.fit(Y, n_train, "relative")
    diffs = [train[t] - train[t - 1] for t in range(1, n_train)]
    dm = sum(diffs) / len(diffs)
    dstd = (sum((v - dm) ** 2 for v in diffs) / len(diffs)) ** 0.5
    assert rel.center == 0 and rel.scale == pytest.approx(dstd)


def test_train_windows_stay_in_training_part():
    n_train, L, H = 60, 7, 4
    X, Yw = train_windows(Y, n_train, L, H)
    X2, Y2 = train_windows(_poisoned(Y, n_train), n_train, L, H)
    assert np.array_equal(X, X2) and np.array_equal(Yw, Y2)  # no NaN: nothing read
    # every pair that fits, by a loop: the last target is y[n_train - 1]
    ref = [(Y[i : i + L], Y[i + L : i + L + H]) for i in range(n_train - L - H + 1)]
    assert len(X) == len(ref)
    for k, (x, t) in enumerate(ref):
        assert np.array_equal(X[k], x) and np.array_equal(Yw[k], t)
    assert Yw[-1, -1] == Y[n_train - 1]


@pytest.mark.parametrize("mode", ["level", "relative"])
def test_origin_inputs_use_nothing_after_the_origin(mode):
    n_train, L, H = 60, 7, 4
    scaler = WindowScaler.fit(Y, n_train, mode)
    origins = rolling_origins(len(Y), len(Y) - n_train, H)
    for o in origins:
        X = origin_windows(Y, [o], L)
        X_poisoned = origin_windows(_poisoned(Y, o + 1), [o], L)
        assert np.array_equal(X, X_poisoned)
        assert np.array_equal(X[0], Y[o - L + 1 : o + 1])
        assert np.array_equal(scaler.inputs(X), scaler.inputs(X_poisoned))


def test_rolling_origins_cover_only_the_test_period():
    n, n_test, H = 80, 20, 4
    origins = rolling_origins(n, n_test, H)
    assert origins[0] == n - n_test - 1 and origins[-1] == n - 1 - H
    T = origin_targets(Y, origins, H)
    assert np.array_equal(T[0], Y[n - n_test : n - n_test + H])
    assert np.array_equal(rolling_origins(n, n_test, H, step=3), origins[::3])


def test_relative_mode_round_trip_and_meaning():
    scaler = WindowScaler.fit(Y, 60, "relative")
    X, Yw = sliding_windows(Y, 5, 3)
    Z = scaler.targets(X, Yw)
    assert np.allclose(scaler.inputs(X)[:, -1], 0)  # each window relative to its end
    assert np.allclose(Z[:, 0], (Yw[:, 0] - X[:, -1]) / scaler.scale)
    assert np.allclose(scaler.inverse(X, Z), Yw)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="n_train"):
        WindowScaler.fit(Y, 100)
    with pytest.raises(ValueError, match="mode"):
        WindowScaler.fit(Y, 50, "minmax")
    with pytest.raises(ValueError, match="too short"):
        sliding_windows(Y[:5], 4, 3)
    with pytest.raises(ValueError, match="origin"):
        origin_windows(Y, [2], 5)
    with pytest.raises(TypeError, match="y"):
        train_windows(list(Y), 50, 3, 2)
    with pytest.raises(ValueError, match="n_test"):
        rolling_origins(80, 2, 4)


# -------------------------------------------------------------------- rnnbook.data.series


def test_co2_monthly_means_and_filled_months():
    pytest.importorskip("statsmodels")
    from statsmodels.datasets import co2

    from rnnbook.data.series import load_co2_monthly

    s = load_co2_monthly()
    assert len(s) == 526 and s.period == 12 and s.filled.sum() == 5
    weekly = co2.load_pandas().data["co2"]
    # each observed month is the mean of its observed weeks (a loop over the weeks)
    sums, counts = {}, {}
    for stamp, value in weekly.items():
        if value == value:  # not NaN
            key = np.datetime64(stamp, "M")
            sums[key] = sums.get(key, 0.0) + value
            counts[key] = counts.get(key, 0) + 1
    for month, value, filled in zip(s.times, s.values, s.filled):
        if filled:
            assert month not in counts and month < np.datetime64("1965-01")
        else:
            assert value == pytest.approx(sums[month] / counts[month])
    s.check_filled_before(len(s) - 120)
    with pytest.raises(ValueError, match="test period"):
        s.check_filled_before(10)


def test_sunspots_and_airline():
    pytest.importorskip("statsmodels")
    from rnnbook.data.series import load_airline, load_sunspots

    s = load_sunspots()
    assert len(s) == 309 and s.times[0] == 1700 and s.times[-1] == 2008
    if importlib.util.find_spec("sktime") is not None:
        a = load_airline()
        assert len(a) == 144 and a.values[0] == 112.0 and a.period == 12
