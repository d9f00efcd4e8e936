"""rnnbook.data.uea: our reader of the UEA/UCR archive's .ts files shipped with sktime."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from rnnbook.data.uea import load_uea, parse_ts, sktime_data_dir

needs_sktime = pytest.mark.skipif(
    importlib.util.find_spec("sktime") is None,
    reason="sktime (data extra) not installed",
)

SMALL = """# a comment
@problemName Toy
@timeStamps false
@univariate false
@dimensions 2
@equalLength false
@classLabel true up down
@data
1,2,3:4,5,6:up
0.5,?:-1,1e-3:down
"""


def test_parse_small_file():
    d = parse_ts(SMALL)
    assert d.classes == ("up", "down") and d.labels.tolist() == [0, 1]
    np.testing.assert_array_equal(d.series[0], [[1, 4], [2, 5], [3, 6]])
    assert d.series[1].shape == (2, 2) and np.isnan(d.series[1][1, 0])
    assert d.series[1][1, 1] == 1e-3
    x, lengths = d.padded()
    assert (
        x.shape == (2, 3, 2)
        and lengths.tolist() == [3, 2]
        and x[1, 2].tolist() == [0, 0]
    )
    assert d.header["problemname"] == "Toy"


@pytest.mark.parametrize(
    "bad, message",
    [
        (SMALL.replace("1,2,3:4,5,6:up", "1,2,3:4,5:up"), "different lengths"),
        (SMALL.replace("-1,1e-3:down", "-1,1e-3:left"), "not in @classLabel"),
        (SMALL.replace("@timeStamps false", "@timeStamps true"), "time stamps"),
        (SMALL.replace("@data\n", ""), "header line"),
        (SMALL.replace("0.5,?", "0.5,x"), "expected a number"),
        (SMALL.replace("@dimensions 2", "@dimensions 3"), "@dimensions 3"),
    ],
)
def test_parse_errors_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_ts(bad)


@needs_sktime
def test_japanese_vowels_official_split():
    train, test = (
        load_uea("JapaneseVowels", "train"),
        load_uea("JapaneseVowels", "test"),
    )
    assert len(train.series) == 270 and len(test.series) == 370
    assert train.classes == tuple(str(k) for k in range(1, 10))
    assert np.bincount(train.labels).tolist() == [30] * 9
    lengths = [len(s) for s in train.series + test.series]
    assert min(lengths) == 7 and max(lengths) == 29
    assert all(s.shape[1] == 12 for s in train.series + test.series)
    # independent reading of the first case: split the raw line by hand
    path = sktime_data_dir() / "JapaneseVowels" / "JapaneseVowels_TRAIN.ts"
    lines = path.read_text().splitlines()
    first = lines[[ln.strip().lower() for ln in lines].index("@data") + 1]
    channels = first.split(":")
    assert channels[-1] == train.classes[train.labels[0]]
    np.testing.assert_array_equal(
        train.series[0][:, 3], [float(v) for v in channels[3].split(",")]
    )


@needs_sktime
def test_basic_motions():
    train, test = load_uea("BasicMotions", "train"), load_uea("BasicMotions", "test")
    assert len(train.series) == len(test.series) == 40
    assert {s.shape for s in train.series + test.series} == {(100, 6)}
    assert sorted(train.classes) == ["Badminton", "Running", "Standing", "Walking"]
    assert np.bincount(test.labels).tolist() == [10] * 4


@needs_sktime
def test_reading_does_not_import_sktime():
    code = (
        "import sys; from rnnbook.data.uea import load_uea; "
        "load_uea('BasicMotions', 'test'); print('sktime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


@needs_sktime
def test_bad_names():
    with pytest.raises(ValueError, match="split"):
        load_uea("BasicMotions", "validation")
    with pytest.raises(FileNotFoundError, match="JapaneseVowels"):
        load_uea("NoSuchSet", "train")
