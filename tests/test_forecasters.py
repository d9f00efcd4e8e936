"""rnnbook.frameworks.forecasters (PyTorch) and keras_forecaster (Keras in a subprocess)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnbook.data.windows import WindowScaler, sliding_windows  # noqa: E402
from rnnbook.frameworks.forecasters import (  # noqa: E402
    RNNForecaster,
    direct_forecast,
    pinball_loss,
    predict,
    recursive_forecast,
    train_forecaster,
)

Y = np.sin(np.arange(120) * 2 * np.pi / 12) + 0.01 * np.arange(120)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_forward_shape_and_layer(kind):
    model = RNNForecaster(kind, 5, 3)
    assert isinstance(model.rnn, torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)
    assert model(torch.zeros(4, 7)).shape == (4, 3)
    with pytest.raises(ValueError, match="x of shape"):
        model(torch.zeros(4, 7, 1))


def test_recursive_forecast_feeds_back_its_own_predictions():
    torch.manual_seed(0)
    model = RNNForecaster("gru", 4, 1)
    scaler = WindowScaler.fit(Y, 100, "relative")
    X, _ = sliding_windows(Y, 6, 1)
    X = X[:3]
    got = recursive_forecast(model, scaler, X, 4)
    # independent loop, one window at a time, in torch
    for i in range(3):
        window = list(X[i])
        for h in range(4):
            w = torch.tensor(window[-6:], dtype=torch.float32)
            z = model(((w - w[-1]) / scaler.scale)[None])[0, 0].item()
            window.append(z * scaler.scale + window[-1])
            assert got[i, h] == pytest.approx(window[-1], rel=1e-5, abs=1e-5)


def test_direct_and_quantile_shapes():
    scaler = WindowScaler.fit(Y, 100, "level")
    X, _ = sliding_windows(Y, 6, 3)
    model = RNNForecaster("lstm", 4, 3 * 2)
    out = direct_forecast(model, scaler, X[:5], quantiles=(0.1, 0.9))
    assert out.shape == (5, 3, 2)
    raw = predict(model, scaler.inputs(X[:5])).reshape(5, 3, 2)
    assert np.allclose(out, raw * scaler.scale + scaler.center)
    with pytest.raises(ValueError, match="one-step"):
        recursive_forecast(model, scaler, X[:5], 2)


def test_pinball_loss_by_hand_and_minimiser():
    pred = torch.tensor([[[1.0, 1.0]]])  # (1, 1, 2) at tau 0.1 and 0.9
    target = torch.tensor([[3.0]])  # under-forecast by 2
    assert pinball_loss(pred, target, (0.1, 0.9)).item() == pytest.approx(
        (0.1 * 2 + 0.9 * 2) / 2
    )
    # the constant that minimises the pinball loss is the empirical quantile
    samples = torch.tensor(np.random.default_rng(0).normal(size=(1, 401)))
    grid = np.linspace(-3, 3, 601)
    for tau in (0.1, 0.5, 0.9):
        losses = [
            pinball_loss(
                torch.full((1, 401, 1), c, dtype=torch.float64), samples, [tau]
            )
            for c in grid
        ]
        best = grid[int(np.argmin(losses))]
        assert best == pytest.approx(np.quantile(samples.numpy(), tau), abs=0.02)
    with pytest.raises(ValueError, match="pred of shape"):
        pinball_loss(torch.zeros(2, 3), torch.zeros(2, 3), [0.5])


def test_training_learns_a_seasonal_series():
    scaler = WindowScaler.fit(Y, 100, "relative")
    X, Yw = sliding_windows(Y[:100], 12, 1)
    torch.manual_seed(0)
    model = RNNForecaster("gru", 16, 1)
    losses = train_forecaster(
        model, scaler.inputs(X), scaler.targets(X, Yw), epochs=60, batch_size=32
    )
    assert losses[-1] < 0.1 * losses[0]
    with pytest.raises(ValueError, match="Z with"):
        train_forecaster(model, scaler.inputs(X), np.zeros((len(X), 2)), epochs=1)


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="needs keras")
def test_keras_twin_runs_in_a_subprocess():
    from rnnbook.frameworks.keras_forecaster import fit_predict_keras

    X, Yw = sliding_windows(Y, 6, 2)
    pred, losses = fit_predict_keras(X, Yw, X[:3], epochs=2, batch_size=32)
    assert pred.shape == (3, 2) and losses.shape == (2,)
    assert np.all(np.isfinite(pred))
