"""Chapter 18's equal-size language models: sizes match, and each is the architecture named."""

from __future__ import annotations

import pytest
import torch

from rnnbook.frameworks.char_lm import CharLM, count_parameters, evaluate
from rnnbook.frameworks.lm_comparison import MODELS, build, matched_hidden
from rnnbook.frameworks.min_rnn import MinRNNLM


def _lstm_count(V, E, H):
    # written out: two LSTM layers (4 gates, two bias vectors each), embedding, read-out
    first = 4 * H * (E + H) + 8 * H
    second = 4 * H * (H + H) + 8 * H
    return V * E + first + second + H * V + V


def test_lstm_is_chapter_13s_model_with_the_counted_size():
    model = build("lstm", 75, 128)
    assert isinstance(model, CharLM) and model.cell == "lstm"
    assert count_parameters(model) == _lstm_count(75, 64, 128)


@pytest.mark.parametrize("name", ["gru", "rnn", "mingru", "mingru_mlp"])
def test_matched_sizes_are_within_one_step_of_the_lstm(name):
    target = _lstm_count(75, 64, 128)
    H = matched_hidden(name, 75, target)
    here = abs(count_parameters(build(name, 75, H)) - target)
    for other in (H - 2, H + 2):
        assert here <= abs(count_parameters(build(name, 75, other)) - target)
    assert here / target < 0.02
    model = build(name, 75, H)
    if name in ("gru", "rnn"):
        assert isinstance(model, CharLM) and model.cell == name
        return
    assert isinstance(model, MinRNNLM) and model.mode == "scan"
    assert model.mlp_ratio == (2 if name == "mingru_mlp" else 0)


@pytest.mark.parametrize("name", MODELS)
def test_models_score_a_text(name):
    torch.manual_seed(0)
    ids = torch.randint(0, 11, (500,)).numpy()
    loss = evaluate(build(name, 11, 16), ids, N=2, T=50)
    assert 1.0 < loss < 5.0  # an untrained model is near ln 11 = 2.4


def test_bad_names_and_targets_are_rejected():
    with pytest.raises(ValueError, match="name must be one of"):
        build("lstm2", 11, 16)
    with pytest.raises(ValueError, match="target"):
        matched_hidden("mingru", 11, 0)


def test_load_models_rebuilds_the_float16_weights():
    from rnnbook.frameworks.lm_comparison import load_models

    torch.manual_seed(0)
    originals = {name: build(name, 11, 16) for name in ("lstm", "mingru_mlp")}
    saved = {
        "models": {
            name: {
                "hidden": 16,
                "state_dict": {k: v.half() for k, v in m.state_dict().items()},
            }
            for name, m in originals.items()
        }
    }
    loaded = load_models(saved, 11)
    x = torch.randint(0, 11, (2, 30))
    for name, model in loaded.items():
        assert not model.training
        for key, value in model.state_dict().items():
            assert value.dtype == torch.float32
            expected = originals[name].state_dict()[key].half().float()
            assert torch.equal(value, expected), (name, key)
        with torch.no_grad():
            got, _ = model(x)
            ref, _ = originals[name].eval()(x)
        assert (got - ref).abs().max() < 1e-2  # float16 rounding only
    assert list(load_models(saved, 11, ["mingru_mlp"])) == ["mingru_mlp"]
    with pytest.raises(ValueError, match="not in the saved models"):
        load_models(saved, 11, ["gru"])
