"""rnnbook.data.results: the committed benchmark results load from the installed package."""

from __future__ import annotations

import pytest

from rnnbook.data.results import available_benchmarks, load_benchmark

# what the chapters read: chapter 12, 13, 17 and 21
READ_BY_CHAPTERS = ("frameworks_cpu", "char_lm_cpu", "scan_cpu", "generation_cpu")


def test_every_result_a_chapter_reads_is_in_the_package():
    assert set(READ_BY_CHAPTERS) <= set(available_benchmarks())


@pytest.mark.parametrize("name", READ_BY_CHAPTERS)
def test_each_result_records_its_date_and_machine_load(name):
    result = load_benchmark(name)
    assert str(result["date"]).startswith("2026-")
    text = str(result)
    assert "load_average" in text, f"{name} does not record the machine's load"


def test_an_unknown_name_is_named_in_the_error():
    with pytest.raises(
        ValueError, match=r"name must be one of \[.*'scan_cpu'.*\], got 'scan'"
    ):
        load_benchmark("scan")
