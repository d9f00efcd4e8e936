"""The equal-size character language models that chapter 18 compares with the LSTM.

``build(name, V, hidden)`` makes one of the two-layer models for a vocabulary of ``V``
characters; ``matched_hidden(name, V, target)`` finds the state size whose parameter count is
closest to ``target``. ``scripts/train_min_rnn_lm.py`` trains them with chapter 13's loop;
``load_models`` rebuilds them from what it saves (chapters 13 and 18 load the committed weights
with it).

- ``"lstm"``, ``"gru"``, ``"rnn"``: ``CharLM`` (``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` layers,
  embedding of size ``EMBED``, no dropout), chapter 13's model;
- ``"mingru"``: ``MinRNNLM``, a plain stack of minGRU layers (embedding of size ``EMBED``);
- ``"mingru_mlp"``: ``MinRNNLM`` with ``mlp_ratio=2``, residual blocks of a minGRU layer and
  an MLP (embedding of size ``hidden``).

The minGRU models are built with ``mode="scan"`` (linear-space Blelloch scan), which gives the
states of the log-space form and trains several times faster on a CPU.
"""

from __future__ import annotations

from torch import nn

from rnnbook.frameworks.char_lm import CharLM, count_parameters
from rnnbook.frameworks.min_rnn import MinRNNLM

__all__ = ["EMBED", "MODELS", "build", "load_models", "matched_hidden"]

EMBED = 64
MODELS = ("lstm", "gru", "rnn", "mingru", "mingru_mlp")


def build(name: str, V: int, hidden: int) -> nn.Module:
    """The two-layer model ``name`` (one of ``MODELS``) with state size ``hidden``."""
    if name in ("lstm", "gru", "rnn"):
        return CharLM(V, EMBED, hidden, layers=2, cell=name, dropout=0.0)
    if name == "mingru":
        return MinRNNLM(V, EMBED, hidden, layers=2, cell="mingru", mode="scan")
    if name == "mingru_mlp":
        return MinRNNLM(
            V, hidden, hidden, layers=2, cell="mingru", mlp_ratio=2, mode="scan"
        )
    raise ValueError(f"name must be one of {MODELS}, got {name!r}")


def matched_hidden(name: str, V: int, target: int) -> int:
    """The even state size in [8, 1024] whose parameter count is closest to ``target``."""
    if target < 1:
        raise ValueError(f"target must be a positive parameter count, got {target}")
    return min(
        range(8, 1025, 2),
        key=lambda H: abs(count_parameters(build(name, V, H)) - target),
    )


def load_models(saved: dict, V: int, names=None) -> dict[str, nn.Module]:
    """Rebuild saved models in float32, in eval mode.

    ``saved["models"]`` maps a name to ``{"hidden": H, "state_dict": ...}`` (float16 tensors,
    as ``scripts/train_min_rnn_lm.py`` stores them); ``names`` picks some (default: all).
    """
    names = list(saved["models"]) if names is None else list(names)
    unknown = [name for name in names if name not in saved["models"]]
    if unknown:
        raise ValueError(
            f"names {unknown} not in the saved models {list(saved['models'])}"
        )
    models = {}
    for name in names:
        entry = saved["models"][name]
        model = build(name, V, entry["hidden"])
        model.load_state_dict({k: v.float() for k, v in entry["state_dict"].items()})
        models[name] = model.eval()
    return models
