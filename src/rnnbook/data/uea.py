r"""A small reader for the UEA/UCR time-series classification archive's ``.ts`` files.

The ``sktime`` wheel ships a few data sets of the archive as plain text files under
``sktime/datasets/data/<Name>/<Name>_TRAIN.ts`` and ``..._TEST.ts`` -- the archive's **official
train/test split**, the one published results use. This module finds those files through
``importlib.util.find_spec("sktime")`` **without importing sktime** (its import machinery is
heavy and not needed) and parses them itself. Nothing is downloaded.

The ``.ts`` format (as used by these files): lines starting with ``#`` are comments; a header
of ``@key value`` lines (``@problemName``, ``@univariate``, ``@dimensions``, ``@equalLength``,
``@classLabel true <labels...>``, ...) ends with ``@data``; then one case per line::

    v11,v12,...,v1T:v21,v22,...,v2T: ... :label

the ``D`` channels separated by ``:``, values within a channel by ``,``, the class label last.
Missing values are written ``?`` (read as NaN). The variant with time stamps
(``@timeStamps true``, values as ``(t,v)``) is not supported and raises an error.

Data sets used by the course:

- ``JapaneseVowels`` (Kudo, Toyama and Shimbo 1999): 9 speakers, 12 LPC cepstrum coefficients
  per frame, 7--29 frames; 270 training and 370 test utterances.
- ``BasicMotions``: a smartwatch's 3-axis accelerometer and 3-axis gyroscope, 100 steps, four
  activities (standing, walking, running, badminton); 40 training and 40 test cases.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["UEADataset", "sktime_data_dir", "parse_ts", "load_uea"]


@dataclass(frozen=True)
class UEADataset:
    """One part (train or test) of an archive data set.

    series : list of N arrays, each (T_n, D) float64 (time along axis 0)
    labels : (N,) int64 class ids, ``classes[labels[n]]`` is the label written in the file
    classes : the labels in the order of the header's ``@classLabel`` line
    header : the ``@key -> value`` entries of the header (lower-case keys)
    """

    series: list[np.ndarray]
    labels: np.ndarray
    classes: tuple[str, ...]
    header: dict[str, str]

    def padded(self) -> tuple[np.ndarray, np.ndarray]:
        """``x`` (N, T_max, D) with zeros after each series' end, and ``lengths`` (N,)."""
        lengths = np.array([len(s) for s in self.series], dtype=np.int64)
        D = self.series[0].shape[1]
        x = np.zeros((len(self.series), lengths.max(), D))
        for n, s in enumerate(self.series):
            x[n, : len(s)] = s
        return x, lengths


def sktime_data_dir() -> Path:
    """``sktime/datasets/data`` of the installed sktime, found without importing sktime."""
    spec = importlib.util.find_spec("sktime")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the UEA data files ship with the package sktime, which is not installed "
            "(install the data extra: pip install 'rnnbook[data]')"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def _parse_value(text: str, where: str) -> float:
    text = text.strip()
    if text == "?":
        return float("nan")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: expected a number or '?', got {text!r}") from None


def parse_ts(text: str, source: str = "<string>") -> UEADataset:
    """Parse the contents of a ``.ts`` file (see the module docstring for the format)."""
    header: dict[str, str] = {}
    classes: tuple[str, ...] = ()
    series, labels = [], []
    in_data = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"{source} line {lineno}"
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if not line.startswith("@"):
                raise ValueError(
                    f"{where}: expected a header line '@key value' or '@data'"
                )
            key, _, value = line[1:].partition(" ")
            key = key.lower()
            if key == "data":
                in_data = True
                continue
            header[key] = value.strip()
            if key == "classlabel":
                flag, *rest = value.split()
                if flag.lower() != "true":
                    raise ValueError(
                        f"{where}: only classification files are supported"
                    )
                classes = tuple(rest)
            if key == "timestamps" and value.strip().lower() == "true":
                raise ValueError(f"{where}: files with time stamps are not supported")
            continue
        *channels, label = line.split(":")
        if not channels:
            raise ValueError(f"{where}: expected 'channel:...:channel:label'")
        rows = [[_parse_value(v, where) for v in ch.split(",")] for ch in channels]
        if len({len(r) for r in rows}) != 1:
            raise ValueError(
                f"{where}: channels have different lengths {[len(r) for r in rows]}"
            )
        series.append(np.array(rows, dtype=np.float64).T)  # (T, D)
        labels.append(label.strip())
    if not in_data:
        raise ValueError(f"{source}: no '@data' line")
    if not series:
        raise ValueError(f"{source}: no cases after '@data'")
    dims = {s.shape[1] for s in series}
    if len(dims) != 1:
        raise ValueError(f"{source}: cases have different numbers of channels {dims}")
    expected = header.get("dimensions")
    if expected is not None and int(expected) != dims.pop():
        raise ValueError(
            f"{source}: header says @dimensions {expected}, "
            f"the cases have {series[0].shape[1]}"
        )
    if not classes:
        classes = tuple(sorted(set(labels)))
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"{source}: labels {unknown} are not in @classLabel {classes}")
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index[lab] for lab in labels], dtype=np.int64)
    return UEADataset(series, y, classes, header)


def load_uea(name: str, split: str) -> UEADataset:
    """Read ``<name>_<SPLIT>.ts`` shipped with sktime; ``split`` is ``"train"`` or ``"test"``.

    >>> train = load_uea("JapaneseVowels", "train")   # doctest: +SKIP
    """
    if split not in ("train", "test"):
        raise ValueError(f"expected split 'train' or 'test', got {split!r}")
    folder = sktime_data_dir() / name
    path = folder / f"{name}_{split.upper()}.ts"
    if not path.is_file():
        available = sorted(p.name for p in sktime_data_dir().iterdir() if p.is_dir())
        raise FileNotFoundError(
            f"no file {path.name} in the installed sktime; data sets there: {available}"
        )
    return parse_ts(path.read_text(encoding="utf-8"), source=path.name)
