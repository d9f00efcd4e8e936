"""What crosses the batch grader's pipe (rnnbook.grading.box), and declared forbidden helpers.

Fast, in-process checks of the pieces that tests/test_grading_all_sets.py exercises end to end:
torch values round-trip exactly; the grader's side never unpickles; a test module's own
``nn.Module`` travels by value; module arguments are compared by their state; ``Forbidden``
records calls wherever the helper is bound and restores everything; ``t.forbid`` and
``forbidden=`` fail a case in ``check``.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict

import numpy as np
import pytest

from rnnbook.grading import ExerciseSet, run_exercise
from rnnbook.grading import box as wire
from rnnbook.grading.feedback import same_value

torch = pytest.importorskip("torch")


def _no_refs(obj):
    raise AssertionError(f"unexpected reference to {obj!r}")


def roundtrip(value, trusted=False, refer=_no_refs, **flags):
    enc = wire.Encoder(refer)
    for key, flag in flags.items():
        setattr(enc, key, flag)
    data = json.loads(json.dumps(enc(value)))  # what really travels: JSON + buffers
    return wire.Decoder(enc.buffers, _no_refs, trusted=trusted)(data)


@pytest.mark.parametrize(
    "dtype", [torch.float64, torch.float32, torch.bfloat16, torch.int64, torch.bool]
)
def test_tensors_keep_values_and_dtype(dtype):
    x = (torch.arange(6.0).reshape(2, 3) - 2.5).to(dtype)
    got = roundtrip(x)
    assert isinstance(got, torch.Tensor) and got.dtype == dtype
    assert torch.equal(got, x) and not got.requires_grad


def test_requires_grad_parameters_sizes_and_containers_survive():
    w = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    leaf = torch.zeros(3, requires_grad=True)
    value = OrderedDict(
        w=w,
        leaf=leaf,
        size=torch.Size([2, 3]),
        dtype=torch.float16,
        view=torch.arange(10.0)[::3],
    )
    got = roundtrip(value)
    assert type(got) is OrderedDict and list(got) == list(value)
    assert type(got["w"]) is torch.nn.Parameter and got["w"].requires_grad
    assert got["leaf"].requires_grad and got["leaf"].is_leaf
    assert got["size"] == torch.Size([2, 3]) and got["dtype"] is torch.float16
    assert torch.equal(got["view"], torch.tensor([0.0, 3.0, 6.0, 9.0]))


def test_packed_sequences_cross():
    from torch.nn.utils.rnn import pack_sequence

    packed = pack_sequence([torch.ones(3, 2), torch.zeros(1, 2)], enforce_sorted=False)
    got = roundtrip(packed)
    assert type(got) is type(packed)
    assert all(torch.equal(a, b) for a, b in zip(got, packed) if a is not None)


@pytest.mark.parametrize("name", ["__class__", "float64; x", "Tensor", "qint8", 3])
def test_unknown_torch_dtypes_are_refused(name):
    data = {"t": "tdtype", "v": name}
    with pytest.raises(wire.WireError):
        wire.Decoder([], _no_refs)(data)


def test_the_grader_never_unpickles():
    payload, classes = wire.pickle_by_value(torch.nn.GRU(2, 3))
    data = {"t": "pickled", "b": 0, "classes": classes}
    with pytest.raises(wire.WireError, match="refused"):
        wire.Decoder([payload], _no_refs)(data)  # the grader's side: not trusted
    gru = wire.Decoder([payload], _no_refs, trusted=True)(data)  # the learner's side
    assert isinstance(gru, torch.nn.GRU)


class Scaled(torch.nn.Module):
    """A test module's own class: it reaches the learner's process as source."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x):
        return 2 * self.linear(x)


def test_a_test_modules_class_travels_by_value(monkeypatch):
    model = Scaled()
    # a class of the exercise sets must not be imported by the learner's process
    monkeypatch.setattr(Scaled, "__module__", "rnnbook.exercise_sets.ch94")
    monkeypatch.setitem(
        __import__("sys").modules, "rnnbook.exercise_sets.ch94", _module()
    )
    payload, classes = wire.pickle_by_value(model)
    assert [c["name"] for c in classes] == ["Scaled"]
    copy_ = wire.Decoder([payload], _no_refs, trusted=True)(
        {"t": "pickled", "b": 0, "classes": json.loads(json.dumps(classes))}
    )
    assert type(copy_) is not Scaled and type(copy_).__name__ == "Scaled"
    x = torch.randn(4, 2)
    assert torch.equal(copy_(x), model(x))


def _module():
    import types

    module = types.ModuleType("rnnbook.exercise_sets.ch94")
    module.__file__ = __file__  # where inspect finds the class's source
    module.torch = torch
    return module


def test_module_arguments_compare_by_state():
    gru = torch.nn.GRU(2, 3)
    assert same_value(gru, copy.deepcopy(gru))  # a deep copy is the same module
    state = roundtrip(copy.deepcopy(gru), modules_as_state=True, refer=_no_refs)
    assert same_value(gru, state)
    changed = copy.deepcopy(gru)
    with torch.no_grad():
        changed.weight_hh_l0.add_(1.0)
    assert not same_value(gru, roundtrip(changed, modules_as_state=True))
    assert not same_value(torch.zeros(2), torch.ones(2))
    assert same_value(torch.tensor([np.nan, 1.0]), torch.tensor([np.nan, 1.0]))


def test_forbidden_records_calls_through_every_binding_and_restores():
    import rnnbook.scratch.lstm as lstm

    original = lstm.lstm_step_backward
    namespace = {"alias": original}
    spy = wire.Forbidden(["rnnbook.scratch.lstm.lstm_step_backward"], [namespace])
    with spy:
        assert lstm.lstm_step_backward is not original
        assert namespace["alias"] is lstm.lstm_step_backward
        with pytest.raises(Exception):
            namespace[
                "alias"
            ]()  # still the real function underneath: it needs arguments
    assert spy.called == ["rnnbook.scratch.lstm.lstm_step_backward"]
    assert lstm.lstm_step_backward is original and namespace["alias"] is original


def test_forbidden_attributes_found_by_getattr_are_removed_again():
    from torch import _VF

    with wire.Forbidden(["torch._VF.gru_cell"]) as spy:
        assert "gru_cell" in vars(_VF)
    assert "gru_cell" not in vars(_VF) and spy.called == []


SET94 = ExerciseSet("94", "Forbidden helpers (test only)")


@SET94.exercise(
    "94.1", "step_back", points=2, forbidden=("rnnbook.scratch.lstm.lstm_backward",)
)
def _(t):
    with t.case("whole-exercise ban", points=1):
        t.expect_equal(t.call(2), 4, "value")
    with t.case("a ban around some calls", points=1):
        with t.forbid("numpy.square", reason="multiply it yourself"):
            t.expect_equal(t.call(3), 9, "value")


def test_check_fails_the_cases_that_call_a_forbidden_helper():
    honest = {"step_back": lambda x: x * x}
    assert run_exercise("94.1", honest, quiet=True).points == 2

    import rnnbook.scratch.lstm as lstm

    def via_package(x):
        try:
            lstm.lstm_backward(None, None)
        except Exception:
            pass
        return x * x

    result = run_exercise("94.1", {"step_back": via_package}, quiet=True)
    assert result.points == 0, result.reasons
    assert "calls `rnnbook.scratch.lstm.lstm_backward`" in result.reasons[0]
    assert "write yourself" in result.reasons[0]

    result = run_exercise(
        "94.1", {"step_back": lambda x: int(np.square(x))}, quiet=True
    )
    assert result.points == 1
    assert "calls `numpy.square`: multiply it yourself" in " ".join(result.reasons)


def test_forbidden_names_are_checked_when_declared():
    with pytest.raises(ValueError, match="dotted"):
        SET94.exercise("94.2", "f", points=1, forbidden=("lstm_backward",))
