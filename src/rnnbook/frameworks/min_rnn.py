r"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?") in PyTorch (chapter 18).

Drop the dependence of the gates and of the candidate state on ``h_{t-1}`` and the GRU and
LSTM updates become *linear* recurrences ``h_t = a_t * h_{t-1} + b_t`` whose coefficients are
known for all t before the recurrence starts, so training can run them through a parallel scan
(``rnnbook.frameworks.torch_scan``) while generation still takes one cheap step per token.

minGRU, with ``k_t, p_t`` the two halves of ``W x_t + c`` (``W`` : (2H, D)):

    z_t = sigmoid(k_t),  h~_t = g(p_t),  h_t = (1 - z_t) * h_{t-1} + z_t * h~_t

minLSTM, with ``k^f_t, k^i_t, p_t`` the three thirds of ``W x_t + c`` (``W`` : (3H, D)):

    f_t = sigmoid(k^f_t),  i_t = sigmoid(k^i_t),  h~_t = g(p_t)
    f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t)
    h_t = f'_t * h_{t-1} + i'_t * h~_t

``g(x) = x + 1/2`` for x >= 0 and ``sigmoid(x)`` for x < 0 (continuous, positive), so that with
a positive (or zero) initial state every h_t is positive and the recurrence can run in log
space: ``log a_t`` and ``log b_t`` come straight from log-sigmoids
(``log z = logsigmoid(k)``, ``log (1 - z) = logsigmoid(-k)``) and
``rnnbook.frameworks.torch_scan.linear_recurrence_log`` does the rest. These follow the
paper's description; the models built from the layers below (``MinRNNRegressor``,
``MinRNNLM``) are this course's choices.

Layers: ``forward(x, h0=None, mode="parallel" | "scan" | "sequential")`` on x : (N, T, D)
returns all states h : (N, T, H); ``step(x_t, h_prev)`` is one step for generation. All modes
give the same states up to rounding (the tests check it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rnnbook.frameworks.torch_scan import linear_recurrence_log, linear_recurrence_scan

__all__ = [
    "g",
    "log_g",
    "MinGRU",
    "MinLSTM",
    "MinRNNRegressor",
    "MinRNNLM",
    "count_parameters",
]


def g(x: torch.Tensor) -> torch.Tensor:
    """``x + 1/2`` for x >= 0, ``sigmoid(x)`` for x < 0: continuous and positive."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x: torch.Tensor) -> torch.Tensor:
    """``log g(x)`` without forming g: ``log(x + 1/2)`` or ``-softplus(-x)``."""
    # relu keeps the unused branch finite, so its gradient is 0 rather than NaN.
    # (F.softplus switches to the identity above 20, an error of 2e-9; logsigmoid does not.)
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), F.logsigmoid(x))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable weights."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class _MinRNN(nn.Module):
    blocks = 0  # number of H-sized blocks in W x_t + c

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.linear = nn.Linear(input_size, self.blocks * hidden_size)

    def _check(self, x, h0):
        D, H = self.input_size, self.hidden_size
        if x.dim() != 3 or x.shape[2] != D:
            raise ValueError(
                f"expected x of shape (N, T, D) with D = {D}, got {tuple(x.shape)}"
            )
        if h0 is not None:
            if h0.shape != (x.shape[0], H):
                raise ValueError(
                    f"expected h0 of shape (N, H) = {(x.shape[0], H)}, got {tuple(h0.shape)}"
                )
            if (h0 < 0).any():
                raise ValueError(
                    "expected h0 >= 0: the log-space scan needs non-negative states "
                    "(every state the layer produces from h0 >= 0 is positive)"
                )

    def forward(self, x: torch.Tensor, h0=None, mode: str = "parallel") -> torch.Tensor:
        """All states h : (N, T, H) for x : (N, T, D) and h0 : (N, H) (None: zeros).

        ``mode``: ``"parallel"`` (log-space scan, the paper's form), ``"scan"`` (Blelloch
        scan in linear space) or ``"sequential"`` (one ``step`` per time step).
        """
        self._check(x, h0)
        if mode == "parallel":
            log_a, log_b = self.log_coefficients(x)
            log_h0 = None if h0 is None else torch.log(h0)
            return torch.exp(linear_recurrence_log(log_a, log_b, log_h0))
        if mode == "scan":
            # linear space: a_t in (0, 1) and b_t > 0, so products of a's can only
            # underflow towards 0 (forgetting), never overflow; on a CPU the Blelloch
            # scan is several times faster than torch.logcumsumexp and its backward
            log_a, log_b = self.log_coefficients(x)
            return linear_recurrence_scan(log_a.exp(), log_b.exp(), h0)
        if mode == "sequential":
            h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0
            states = []
            # unbind, not x[:, t]: the backward of T slices would be quadratic in T
            for x_t in x.unbind(1):
                h = self.step(x_t, h)
                states.append(h)
            return torch.stack(states, dim=1)
        raise ValueError(
            f"mode must be 'parallel', 'scan' or 'sequential', got {mode!r}"
        )


class MinGRU(_MinRNN):
    """minGRU layer: ``h_t = (1 - z_t) * h_{t-1} + z_t * g(p_t)``, ``z_t = sigmoid(k_t)``.

    ``linear.weight`` : (2H, D), rows ``[k; p]``; ``linear.bias`` : (2H,).
    """

    blocks = 2

    def step(self, x_t: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
        """One step: x_t : (N, D), h_prev : (N, H) -> h_t : (N, H)."""
        k, p = self.linear(x_t).chunk(2, dim=-1)
        z = torch.sigmoid(k)
        return (1 - z) * h_prev + z * g(p)

    def log_coefficients(self, x: torch.Tensor):
        """``log a``, ``log b`` : (N, T, H) of the recurrence, for x : (N, T, D)."""
        k, p = self.linear(x).chunk(2, dim=-1)
        log_a = F.logsigmoid(-k)  # log(1 - z) = log sigmoid(-k)
        log_b = F.logsigmoid(k) + log_g(p)  # log z + log h~
        return log_a, log_b


class MinLSTM(_MinRNN):
    """minLSTM layer: ``h_t = f'_t * h_{t-1} + i'_t * g(p_t)`` with normalised gates.

    ``linear.weight`` : (3H, D), rows ``[k^f; k^i; p]``; ``linear.bias`` : (3H,).
    """

    blocks = 3

    def step(self, x_t: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
        """One step: x_t : (N, D), h_prev : (N, H) -> h_t : (N, H)."""
        kf, ki, p = self.linear(x_t).chunk(3, dim=-1)
        f, i = torch.sigmoid(kf), torch.sigmoid(ki)
        return (f * h_prev + i * g(p)) / (f + i)

    def log_coefficients(self, x: torch.Tensor):
        """``log a = log f'``, ``log b = log i' + log h~`` : (N, T, H)."""
        kf, ki, p = self.linear(x).chunk(3, dim=-1)
        diff = F.logsigmoid(ki) - F.logsigmoid(kf)  # log(i / f)
        log_a = F.logsigmoid(-diff)  # log f' = -log(1 + i / f)
        log_b = F.logsigmoid(diff) + log_g(p)  # log i' = -log(1 + f / i)
        return log_a, log_b


CELLS = {"mingru": MinGRU, "minlstm": MinLSTM}


def _make_layer(cell: str, D: int, H: int) -> nn.Module:
    if cell not in CELLS:
        raise ValueError(f"expected cell in {sorted(CELLS)}, got {cell!r}")
    return CELLS[cell](D, H)


class MinRNNRegressor(nn.Module):
    """Stacked min-RNN layers and a linear read-out of the last state: (N, T, D) -> (N,).

    Layer l > 0 reads the states of layer l - 1, so its gates depend (through them) on the
    past: the stack is what gives the model back the interactions a single layer lacks.
    """

    def __init__(
        self,
        D: int,
        H: int,
        layers: int = 2,
        cell: str = "mingru",
        mode: str = "parallel",
    ):
        super().__init__()
        if mode not in ("parallel", "scan", "sequential"):
            raise ValueError(
                f"mode must be 'parallel', 'scan' or 'sequential', got {mode!r}"
            )
        self.mode = mode
        self.rnns = nn.ModuleList(
            [_make_layer(cell, D if layer == 0 else H, H) for layer in range(layers)]
        )
        self.readout = nn.Linear(H, 1)

    def forward(self, x: torch.Tensor, mode: str | None = None) -> torch.Tensor:
        """Predictions (N,) for x : (N, T, D); ``mode`` None: the constructor's mode."""
        mode = self.mode if mode is None else mode
        for rnn in self.rnns:
            x = rnn(x, mode=mode)
        return self.readout(x[:, -1]).squeeze(-1)


class MinRNNLM(nn.Module):
    """Character LM: embedding, stacked min-RNN layers, read-out.

    The interface is that of ``rnnbook.frameworks.char_lm.CharLM`` (``V``, ``forward(x, state)``
    -> ``(logits, state)`` with state (layers, N, H)), so ``train_char_lm`` and ``evaluate``
    train and score it unchanged; the carried state is the positive last state of each layer.

    Two architectures:

    - ``mlp_ratio=0`` (plain stack): embedding of size ``embed``, then the min-RNN layers, each
      from the second on added to its input (residual), then the read-out.
    - ``mlp_ratio=r > 0`` (blocks): embedding of size ``hidden`` (``embed`` must equal
      ``hidden``), then per layer two pre-normalised residual steps,
      ``u = u + minRNN(LayerNorm(u))`` and ``u = u + MLP(LayerNorm(u))`` with a GELU MLP of
      width ``r * hidden``, then a final LayerNorm and the read-out. The MLP gives every
      position a non-linear function of the state, which a single min-RNN layer lacks.

    ``mode`` (``"parallel"``, ``"scan"`` or ``"sequential"``, see ``MinGRU.forward``) is the
    layers' mode when ``forward`` is called without one, as the training loop does.
    """

    def __init__(
        self,
        V: int,
        embed: int = 64,
        hidden: int = 256,
        layers: int = 2,
        cell: str = "mingru",
        mlp_ratio: int = 0,
        mode: str = "parallel",
    ):
        super().__init__()
        if mode not in ("parallel", "scan", "sequential"):
            raise ValueError(
                f"mode must be 'parallel', 'scan' or 'sequential', got {mode!r}"
            )
        for name, value in (("V", V), ("embed", embed), ("hidden", hidden)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
            raise ValueError(f"layers must be a positive integer, got {layers!r}")
        if (
            isinstance(mlp_ratio, bool)
            or not isinstance(mlp_ratio, int)
            or mlp_ratio < 0
        ):
            raise ValueError(f"mlp_ratio must be an integer >= 0, got {mlp_ratio!r}")
        if mlp_ratio and embed != hidden:
            raise ValueError(
                f"with mlp_ratio > 0 the blocks are residual, so embed must equal hidden; "
                f"got embed = {embed}, hidden = {hidden}"
            )
        self.V, self.hidden, self.layers, self.cell = V, hidden, layers, cell
        self.mlp_ratio, self.mode = mlp_ratio, mode
        self.embedding = nn.Embedding(V, embed)
        self.rnns = nn.ModuleList(
            [
                _make_layer(cell, embed if k == 0 else hidden, hidden)
                for k in range(layers)
            ]
        )
        if mlp_ratio:
            self.rnn_norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
            self.mlp_norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
            self.mlps = nn.ModuleList(
                nn.Sequential(
                    nn.Linear(hidden, mlp_ratio * hidden),
                    nn.GELU(),
                    nn.Linear(mlp_ratio * hidden, hidden),
                )
                for _ in range(layers)
            )
            self.final_norm = nn.LayerNorm(hidden)
        self.readout = nn.Linear(hidden, V)

    def forward(self, x: torch.Tensor, state=None, mode: str | None = None):
        """Logits (N, T, V) and last states (layers, N, H) for ids x : (N, T).

        ``state`` : (layers, N, H), non-negative (as returned by a previous call), or None;
        ``mode`` : the layers' mode, None for the one given to the constructor.
        """
        mode = self.mode if mode is None else mode
        if x.ndim != 2:
            raise ValueError(f"expected x of shape (N, T), got {tuple(x.shape)}")
        out, last = self.embedding(x), []
        for k, rnn in enumerate(self.rnns):
            h0 = None if state is None else state[k]
            if self.mlp_ratio:
                h = rnn(self.rnn_norms[k](out), h0, mode=mode)
                out = out + h
                out = out + self.mlps[k](self.mlp_norms[k](out))
            else:
                h = rnn(out, h0, mode=mode)
                out = h if k == 0 else out + h
            last.append(h[:, -1])
        if self.mlp_ratio:
            out = self.final_norm(out)
        return self.readout(out), torch.stack(last)
