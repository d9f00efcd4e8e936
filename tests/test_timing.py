"""rnnbook.frameworks.timing: what best_of measures, and that the timed steps compute gradients."""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook.frameworks.timing import best_of, numpy_step, ratio_table, torch_steps


def recorder(name, calls):
    """A step that only records that it ran."""

    def step():
        calls.append(name)

    return step


def test_best_of_times_each_variant_in_a_block_after_one_warm_up():
    calls = []
    steps = {"a": recorder("a", calls), "b": recorder("b", calls)}
    out = best_of(steps, repeats=3)
    # all calls of one variant before the next: interleaving let one library's idle
    # threads slow the other (see the module's docstring)
    assert calls == ["a"] * 4 + ["b"] * 4
    assert set(out) == {"a", "b"}
    for r in out.values():
        assert 0 <= r["best_ms"] <= r["median_ms"]


def test_best_of_divides_by_steps_per_call_and_keeps_errors(monkeypatch):
    clock = iter(np.arange(0.0, 100.0, 1.0))  # every timed call lasts one second
    monkeypatch.setattr(
        "rnnbook.frameworks.timing.time.perf_counter", lambda: next(clock)
    )

    def fit():
        pass

    fit.steps_per_call = 4
    out = best_of({"fit": fit, "broken": "RuntimeError: no compiler"}, repeats=2)
    assert out["fit"] == {"best_ms": 250.0, "median_ms": 250.0}
    assert out["broken"] == {"error": "RuntimeError: no compiler"}


def test_ratio_table_divides_by_the_fastest_variant_per_layer():
    results = {
        "lstm": {"x": {"best_ms": 10.0}, "y": {"best_ms": 30.0}},
        "gru": {"x": {"best_ms": 8.0}, "y": {"error": "failed to compile"}},
    }
    lines = ratio_table(results)
    assert lines[2].split() == ["x", "10.0", "1.0", "8.0", "1.0"]
    assert lines[3].split() == ["y", "30.0", "3.0", "failed"]


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_every_timed_variant_runs_a_forward_and_backward_pass(kind):
    sizes = dict(N=2, T=3, D=4, H=5)
    dx, *_ = numpy_step(kind, **sizes)()
    assert dx.shape == (2, 3, 4) and np.isfinite(dx).all()
    for name, step in torch_steps(kind, **sizes, compile=False).items():
        assert callable(step), name
        step()
