r"""PyTorch LSTM/GRU forecasters: one-step, recursive multi-step, direct multi-step, quantiles.

A forecaster reads a scaled input window (N, L) -- one value per step, fed to the recurrent
layer as (N, L, 1) -- and maps the last hidden state $h_L$ through a linear head to its
outputs (``torch.nn.Linear``'s weight: (n_out, H)):

- **one-step** (``n_out = 1``): $\hat z_{o+1}$. Multi-step forecasts come **recursively**: the
  prediction is appended to the window, the oldest value dropped, and the model run again, H
  times (``recursive_forecast``). Errors feed back into later inputs.
- **direct** (``n_out = H``): all horizons at once from one window (``direct_forecast``). No
  feedback of errors, but every horizon is learnt from fewer effective examples.
- **quantile** (``n_out = H * Q``): for quantile levels $\tau_1..\tau_Q$, trained with the
  pinball loss $\rho_\tau(u) = \max(\tau u, (\tau - 1) u)$, $u = z - \hat z_\tau$, whose
  minimiser is the $\tau$-quantile; the 0.1 and 0.9 quantiles bound an 80% interval.

Windows are built and scaled by ``rnnbook.data.windows`` (scaling fitted on the training
part only); the forecasts here are returned in the series' units through
``WindowScaler.inverse``. Training is full-batch or mini-batch Adam with a fixed number of
epochs (no early stopping on test data), seeded for reproducibility.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from rnnbook.shapes import check_array

__all__ = [
    "RNNForecaster",
    "pinball_loss",
    "train_forecaster",
    "predict",
    "recursive_forecast",
    "direct_forecast",
]

_LAYERS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RNNForecaster(nn.Module):
    """A one-layer LSTM or GRU on a window of scalars, with a linear head on its last state.

    kind : ``"lstm"`` or ``"gru"``; hidden_size : H; n_out : 1 (one-step), H_f (direct) or
    H_f * Q (quantiles). ``forward(x)``: x (N, L) -> (N, n_out).
    """

    def __init__(self, kind: str = "gru", hidden_size: int = 32, n_out: int = 1):
        super().__init__()
        if kind not in _LAYERS:
            raise ValueError(
                f"expected kind to be one of {tuple(_LAYERS)}, got {kind!r}"
            )
        self.kind, self.n_out = kind, n_out
        self.rnn = _LAYERS[kind](1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2:
            raise ValueError(f"expected x of shape (N, L), got {tuple(x.shape)}")
        out, _ = self.rnn(x.unsqueeze(-1))
        return self.head(out[:, -1])


def pinball_loss(pred: torch.Tensor, target: torch.Tensor, quantiles) -> torch.Tensor:
    """Mean pinball loss. pred (N, H, Q), target (N, H), quantiles (Q,) in (0, 1)."""
    q = torch.as_tensor(quantiles, dtype=pred.dtype)
    if pred.ndim != 3 or pred.shape[:2] != target.shape or pred.shape[2] != len(q):
        raise ValueError(
            f"expected pred of shape (N, H, Q) = {tuple(target.shape) + (len(q),)}, "
            f"got {tuple(pred.shape)}"
        )
    u = target.unsqueeze(-1) - pred
    return torch.maximum(q * u, (q - 1) * u).mean()


def train_forecaster(
    model: RNNForecaster,
    X,
    Z,
    epochs: int = 200,
    lr: float = 1e-2,
    batch_size: int | None = None,
    quantiles=None,
    seed: int = 0,
) -> np.ndarray:
    """Fit ``model`` to scaled windows X (N, L) and scaled targets Z (N, n_out or H).

    With ``quantiles`` (Q levels) Z is (N, H) and the model's n_out must be H * Q (pinball
    loss); otherwise the loss is the mean squared error and Z is (N, n_out). Returns the
    training loss of each epoch (E,).
    """
    X, Z = check_array("X", X, ndim=2), check_array("Z", Z, ndim=2)
    if len(Z) != len(X):
        raise ValueError(f"expected Z with {len(X)} rows like X, got {Z.shape}")
    Q = 1 if quantiles is None else len(quantiles)
    if Z.shape[1] * Q != model.n_out:
        raise ValueError(
            f"expected Z with n_out / Q = {model.n_out // Q} columns, got {Z.shape[1]}"
        )
    gen = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(X, dtype=torch.float32)
    z = torch.as_tensor(Z, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    B = len(X) if batch_size is None else batch_size
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=gen)
        total = 0.0
        for start in range(0, len(X), B):
            rows = order[start : start + B]
            out = model(x[rows])
            if quantiles is None:
                loss = ((out - z[rows]) ** 2).mean()
            else:
                out = out.reshape(len(rows), Z.shape[1], Q)
                loss = pinball_loss(out, z[rows], quantiles)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        losses.append(total / len(X))
    model.eval()
    return np.array(losses)


def predict(model: RNNForecaster, X) -> np.ndarray:
    """The model's outputs for scaled windows X (N, L): (N, n_out) float64."""
    X = check_array("X", X, ndim=2)
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float32)).double().numpy()


def recursive_forecast(model: RNNForecaster, scaler, X, H: int) -> np.ndarray:
    """H-step forecasts (N, H), in series units, from a one-step model and raw windows X (N, L).

    Step h scales the current window, predicts one value, maps it back to series units and
    slides the window over it: only the model's own predictions enter, never observed
    future values.
    """
    X = check_array("X", X, ndim=2)
    if model.n_out != 1:
        raise ValueError(
            f"recursive forecasts need a one-step model, got n_out = {model.n_out}"
        )
    window, steps = X.copy(), []
    for _ in range(H):
        z_next = predict(model, scaler.inputs(window))[:, 0]
        y_next = scaler.inverse(window, z_next)
        steps.append(y_next)
        window = np.concatenate([window[:, 1:], y_next[:, None]], axis=1)
    return np.stack(steps, axis=1)


def direct_forecast(model: RNNForecaster, scaler, X, quantiles=None) -> np.ndarray:
    """Direct forecasts from raw windows X (N, L): (N, H), or (N, H, Q) with ``quantiles``."""
    X = check_array("X", X, ndim=2)
    out = predict(model, scaler.inputs(X))
    if quantiles is not None:
        out = out.reshape(len(X), -1, len(quantiles))
    return scaler.inverse(X, out)
