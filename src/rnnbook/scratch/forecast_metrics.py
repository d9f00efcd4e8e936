r"""Forecast accuracy: MAE, RMSE and MASE, and the naive forecasts MASE is scaled by.

For errors $e = y - \hat y$ over all origins and horizons,
$\mathrm{MAE} = \operatorname{mean}|e|$ and $\mathrm{RMSE} = \sqrt{\operatorname{mean} e^2}$,
both in the series' units. The mean absolute scaled error (Hyndman and Koehler, 2006) divides
the MAE by the in-sample MAE of the seasonal naive forecast on the **training part**
$y_1..y_n$:

$$ q = \frac{1}{n - m}\sum_{t=m+1}^{n} |y_t - y_{t-m}|, \qquad
   \mathrm{MASE} = \mathrm{MAE} / q. $$

$m$ is the season length ($m = 1$: the plain naive forecast). MASE < 1 means smaller errors
than the (seasonal) naive method made, one step ahead, on the training data. The scale never
reads the test period, so the same scale serves every model and every origin.
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import check_array, check_sizes

__all__ = ["mae", "rmse", "naive_scale", "mase", "naive_forecasts"]


def _errors(y_true, y_pred) -> np.ndarray:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"expected y_pred of the shape of y_true {y_true.shape}, got {y_pred.shape}"
        )
    if y_true.size == 0:
        raise ValueError("expected at least one forecast, got empty arrays")
    if not np.all(np.isfinite(y_pred)):
        raise ValueError("y_pred holds NaN or inf")
    return y_true - y_pred


def mae(y_true, y_pred) -> float:
    """Mean absolute error over all entries (arrays of one shape, e.g. (K, H))."""
    return float(np.mean(np.abs(_errors(y_true, y_pred))))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error over all entries."""
    return float(np.sqrt(np.mean(_errors(y_true, y_pred) ** 2)))


def naive_scale(y_train, m: int = 1) -> float:
    """In-sample MAE of the seasonal naive forecast y_t = y_{t-m} on y_train (n,)."""
    y_train = check_array("y_train", np.asarray(y_train, dtype=np.float64), ndim=1)
    check_sizes(m=m)
    if len(y_train) <= m:
        raise ValueError(
            f"expected y_train longer than m = {m}, got length {len(y_train)}"
        )
    q = float(np.mean(np.abs(y_train[m:] - y_train[:-m])))
    if not q > 0:
        raise ValueError("y_train's naive errors are all zero: MASE is undefined")
    return q


def mase(y_true, y_pred, y_train, m: int = 1) -> float:
    """MAE of the forecasts divided by ``naive_scale(y_train, m)``."""
    return mae(y_true, y_pred) / naive_scale(y_train, m)


def naive_forecasts(y, origins, H: int, m: int = 1) -> np.ndarray:
    """Seasonal naive forecasts from each origin: (K, H).

    From origin o, horizon h gets the last observed value of the same season,
    ``y[o + h - m * ceil(h / m)]`` (m = 1: the last value ``y[o]`` for every h).
    """
    y = check_array("y", np.asarray(y, dtype=np.float64), ndim=1)
    check_sizes(H=H, m=m)
    origins = np.asarray(origins)
    h = np.arange(1, H + 1)
    idx = origins[:, None] + h - m * np.ceil(h / m).astype(int)
    if idx.size and (idx.min() < 0 or origins.max() >= len(y)):
        raise ValueError(
            f"origins must lie in [m - 1, len(y) - 1] = [{m - 1}, {len(y) - 1}]"
        )
    return y[idx]
