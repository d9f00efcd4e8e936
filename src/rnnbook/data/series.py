"""Univariate time series for forecasting, all shipped inside installed packages.

- ``load_sunspots()``: yearly mean sunspot numbers 1700--2008 (309 values), from
  ``statsmodels.datasets.sunspots``. No fixed season; the solar cycle lasts about 11 years
  but its length and height vary from cycle to cycle.
- ``load_co2_monthly()``: the Mauna Loa CO2 record of ``statsmodels.datasets.co2`` (weekly,
  March 1958 -- December 2001, in ppm), turned into **monthly means** (526 months, season 12).
- ``load_airline()``: monthly international airline passengers 1949--1960 (144 values, in
  thousands), the classic Box--Jenkins series, read from the CSV file the ``sktime`` wheel ships
  (found without importing sktime).

Missing CO2 weeks. The weekly record has 59 missing weeks. We average the available weeks of
each calendar month, which uses no value from outside that month (so no value from a later
test period). Five months have no observation at all (in 1958 and 1964); they are filled by
linear interpolation between the neighbouring months and flagged in ``TimeSeries.filled``.
That interpolation does look one month ahead, so a caller must keep every filled month inside
the training part: ``TimeSeries.check_filled_before(n_train)`` raises otherwise.

``statsmodels`` and ``pandas`` (the ``data`` extra) are imported inside the loaders only.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["TimeSeries", "load_sunspots", "load_co2_monthly", "load_airline"]


@dataclass(frozen=True)
class TimeSeries:
    """A univariate series and what a forecaster needs to know about it.

    values : (n,) float64 observations in time order
    times : (n,) labels of the observations (years as int64, or ``datetime64[M]`` months)
    period : the season length m used by seasonal baselines (1 = no season)
    unit : the unit of ``values``, for axis labels
    filled : (n,) bool, True where a value was filled in rather than observed
    """

    name: str
    values: np.ndarray
    times: np.ndarray
    period: int
    unit: str
    filled: np.ndarray

    def __len__(self) -> int:
        return len(self.values)

    def check_filled_before(self, n_train: int) -> None:
        """Raise if a filled-in value lies at or after index ``n_train`` (the test period)."""
        late = np.flatnonzero(self.filled[n_train:])
        if late.size:
            raise ValueError(
                f"{self.name}: {late.size} filled-in values lie in the test period "
                f"(first at index {n_train + late[0]}); their interpolation would use "
                "test data"
            )


def load_sunspots() -> TimeSeries:
    """Yearly sunspot numbers 1700--2008 (statsmodels' ``sunspots``)."""
    from statsmodels.datasets import sunspots

    df = sunspots.load_pandas().data
    values = df["SUNACTIVITY"].to_numpy(dtype=np.float64)
    years = df["YEAR"].to_numpy().astype(np.int64)
    return TimeSeries(
        "sunspots", values, years, 1, "sunspot number", np.zeros(len(values), bool)
    )


def load_co2_monthly() -> TimeSeries:
    """Monthly mean CO2 at Mauna Loa, March 1958 -- December 2001, in ppm.

    Each month is the mean of its observed weeks; months without any observed week are
    linearly interpolated and flagged in ``filled`` (see the module docstring).
    """
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean()
    filled = monthly.isna().to_numpy()
    values = monthly.interpolate(method="linear").to_numpy(dtype=np.float64)
    months = monthly.index.to_numpy().astype("datetime64[M]")
    return TimeSeries("co2", values, months, 12, "CO2 (ppm)", filled)


def load_airline() -> TimeSeries:
    """Monthly airline passengers 1949--1960, in thousands (the file in sktime's wheel)."""
    spec = importlib.util.find_spec("sktime")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the airline series is read from the sktime package: pip install sktime"
        )
    path = (
        Path(spec.submodule_search_locations[0]) / "datasets/data/Airline/Airline.csv"
    )
    rows = path.read_text().strip().splitlines()[1:]
    months = np.array([r.split(",")[0] for r in rows], dtype="datetime64[M]")
    values = np.array([float(r.split(",")[1]) for r in rows])
    return TimeSeries(
        "airline",
        values,
        months,
        12,
        "passengers (thousands)",
        np.zeros(len(rows), bool),
    )
