"""rnnbook.scratch.forecast_metrics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook.scratch.forecast_metrics import (
    mae,
    mase,
    naive_forecasts,
    naive_scale,
    rmse,
)


def test_mae_rmse_by_hand():
    y = np.array([1.0, 2.0, 4.0])
    p = np.array([2.0, 2.0, 1.0])  # errors -1, 0, 3
    assert mae(y, p) == pytest.approx(4 / 3)
    assert rmse(y, p) == pytest.approx(np.sqrt(10 / 3))


def test_naive_scale_by_hand():
    y = np.array([1.0, 3.0, 2.0, 6.0, 5.0])
    # lag 1: |2| + |-1| + |4| + |-1| = 8 over 4 differences
    assert naive_scale(y, 1) == pytest.approx(2.0)
    # lag 2: |2 - 1| + |6 - 3| + |5 - 2| = 7 over 3
    assert naive_scale(y, 2) == pytest.approx(7 / 3)


def test_mase_by_hand():
    y_train = np.array([1.0, 3.0, 2.0, 6.0, 5.0])
    assert mase([4.0, 8.0], [5.0, 5.0], y_train, m=1) == pytest.approx(2.0 / 2.0)
    assert mase([4.0, 8.0], [5.0, 5.0], y_train, m=2) == pytest.approx(2.0 / (7 / 3))


@pytest.mark.parametrize("m", [1, 4])
def test_naive_forecast_on_training_data_has_mase_one(m):
    y = np.random.default_rng(m).normal(size=40).cumsum()
    fc = np.array([y[t - m] for t in range(m, len(y))])  # one step ahead, in sample
    assert mase(y[m:], fc, y, m) == pytest.approx(1.0)


def test_naive_forecasts_from_origins():
    y = np.arange(20.0) ** 2
    origins = np.array([9, 12])
    assert np.array_equal(naive_forecasts(y, origins, 3, 1), y[[[9] * 3, [12] * 3]])
    # season 4 from origin 9: h=1..4 -> y[6], y[7], y[8], y[9]; h=5 -> y[6] again
    got = naive_forecasts(y, origins, 5, 4)
    assert np.array_equal(got[0], y[[6, 7, 8, 9, 6]])
    assert np.array_equal(got[1], y[[9, 10, 11, 12, 9]])


def test_errors():
    with pytest.raises(ValueError, match="y_pred"):
        mae(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="y_train"):
        naive_scale(np.zeros(3), 4)
    with pytest.raises(ValueError, match="zero"):
        naive_scale(np.ones(5), 1)
    with pytest.raises(ValueError, match="NaN"):
        mae(np.zeros(2), np.array([0.0, np.nan]))
