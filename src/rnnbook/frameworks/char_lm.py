"""A character-level language model in PyTorch, its training loop and its samplers.

``CharLM`` is embedding -> stacked recurrent layer (``"lstm"``, ``"gru"`` or ``"rnn"``) ->
dropout -> linear read-out over the ``V`` characters. ``train_char_lm`` trains it with truncated
backpropagation through time: the training ids are laid out as ``N`` parallel streams, the state
at the end of one ``(N, T)`` chunk is carried into the next one and *detached* (so that gradients
stop at the chunk boundary while the forward computation still sees the whole past), AdamW,
gradient-norm clipping with the norm logged, a warm-up + cosine learning-rate schedule,
validation at regular intervals, early stopping and a checkpoint of the best model.

``evaluate`` measures the mean cross-entropy in nats per character with the state carried over
a whole text. The samplers (``sample``, ``filter_top_k``, ``filter_top_p``) draw text with a
temperature, top-k or nucleus (top-p) truncation. ``save_checkpoint`` / ``load_checkpoint``
store the weights (optionally in float16, to keep package data small) with the configuration
and the vocabulary.

Kept apart from the NumPy modules so that ``import rnnbook`` never pulls in torch.
"""

from __future__ import annotations

import io
import json
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

__all__ = [
    "CharLM",
    "LMConfig",
    "detach_state",
    "evaluate",
    "train_char_lm",
    "lr_at",
    "filter_top_k",
    "filter_top_p",
    "sample",
    "save_checkpoint",
    "load_checkpoint",
    "lstm_gates",
]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class CharLM(nn.Module):
    """Embedding, stacked recurrent layers, dropout and a linear read-out.

    Parameters
    ----------
    V : vocabulary size
    embed : E, size of the character embedding
    hidden : H, state size of every recurrent layer
    layers : number of stacked recurrent layers
    cell : ``"lstm"``, ``"gru"`` or ``"rnn"`` (Elman, tanh)
    dropout : dropout probability on the embedding output, between layers and before the
        read-out (active in ``train()`` mode only)

    ``forward(x, state)`` takes ids x of shape (N, T) and the state from the previous chunk
    (None for zeros) and returns logits of shape (N, T, V) and the final state: a pair
    ``(h, c)`` of (layers, N, H) tensors for the LSTM, one (layers, N, H) tensor otherwise.
    """

    def __init__(
        self,
        V: int,
        embed: int = 64,
        hidden: int = 384,
        layers: int = 2,
        cell: str = "lstm",
        dropout: float = 0.1,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"expected cell in {sorted(CELLS)}, got {cell!r}")
        for name, value in (("V", V), ("embed", embed), ("hidden", hidden)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if layers < 1:
            raise ValueError(f"layers must be at least 1, got {layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.V, self.cell, self.hidden, self.layers = V, cell, hidden, layers
        self.embedding = nn.Embedding(V, embed)
        self.rnn = CELLS[cell](
            embed,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)
        self.readout = nn.Linear(hidden, V)

    def forward(self, x: torch.Tensor, state=None):
        if x.ndim != 2:
            raise ValueError(f"expected x of shape (N, T), got {tuple(x.shape)}")
        out, state = self.rnn(self.drop(self.embedding(x)), state)
        return self.readout(self.drop(out)), state

    def init_state(self, N: int, device=None):
        """Zero state for a batch of N streams."""
        zeros = torch.zeros(self.layers, N, self.hidden, device=device)
        return (zeros, zeros.clone()) if self.cell == "lstm" else zeros


def count_parameters(model: nn.Module) -> int:
    """Number of trainable weights."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def detach_state(state):
    """The same state values cut from the graph of the chunk that produced them.

    Carrying the state keeps the forward computation exact across chunk boundaries; detaching it
    stops backpropagation at the boundary, so that the cost of one update stays O(T) and the
    graph of the previous chunk (already used by its own backward pass) is released.
    """
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def _as_tensor(ids, name: str) -> torch.Tensor:
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    if ids.ndim != 1:
        raise ValueError(f"expected {name} of shape (L,), got {tuple(ids.shape)}")
    return ids


@torch.no_grad()
def evaluate(model: CharLM, ids, N: int = 32, T: int = 256) -> float:
    """Mean cross-entropy in nats per character of ``model`` on the id sequence ``ids``.

    The ids are cut into N contiguous streams (the last ``len(ids) % N`` are dropped) and read
    chunk by chunk with the state carried across chunks, so every character except the first
    of each stream is predicted from its whole stream's past. Each of the ``N * (L - 1)``
    predicted characters counts once, where ``L = len(ids) // N``.
    """
    ids = _as_tensor(ids, "ids")
    L = len(ids) // N
    if L < 2:
        raise ValueError(f"{len(ids)} ids are too few for N={N} streams")
    streams = ids[: N * L].view(N, L)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    for start in range(0, L - 1, T):
        x = streams[:, start : min(start + T, L - 1)]
        y = streams[:, start + 1 : start + 1 + x.shape[1]]
        logits, state = model(x, state)
        total += nn.functional.cross_entropy(
            logits.reshape(-1, model.V), y.reshape(-1), reduction="sum"
        ).item()
        count += y.numel()
    model.train(was_training)
    return total / count


@dataclass
class LMConfig:
    """Hyper-parameters of ``train_char_lm`` (all of them, so a log can record them)."""

    N: int = 64  # parallel streams (batch size)
    T: int = 128  # truncation length
    steps: int = 2000  # optimiser updates (fixed, not a wall-clock limit)
    lr: float = 3e-3  # peak learning rate
    min_lr_ratio: float = 0.1  # the cosine schedule ends at lr * min_lr_ratio
    warmup: int = 50  # steps of linear warm-up
    weight_decay: float = 0.01  # AdamW's decoupled weight decay
    max_norm: float = 1.0  # gradient-norm clipping threshold
    eval_every: int = 250  # validate every this many steps (and at the end)
    eval_chars: int | None = 100_000  # validation characters used during training
    eval_N: int = 32
    patience: int = 4  # stop after this many validations without improvement
    seed: int = 0
    extra: dict = field(default_factory=dict)


def lr_at(step: int, cfg: LMConfig) -> float:
    """Learning rate at update ``step`` (1-based): linear warm-up, then cosine decay."""
    if step <= cfg.warmup:
        return cfg.lr * step / max(cfg.warmup, 1)
    progress = (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)
    ratio = cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (
        1 + math.cos(math.pi * min(progress, 1.0))
    )
    return cfg.lr * ratio


def train_char_lm(
    model: CharLM,
    train_ids,
    val_ids,
    cfg: LMConfig,
    checkpoint: Callable[[CharLM, dict], None] | None = None,
    log: Callable[[dict], None] | None = None,
) -> dict:
    """Train ``model`` with truncated BPTT; return the history.

    Each epoch is one pass over the ``N`` training streams; the state is reset to zeros at the
    start of every epoch and carried (detached) from chunk to chunk within it. Every
    ``cfg.eval_every`` steps the model is evaluated on the first ``cfg.eval_chars`` validation
    characters (all of them when None); ``checkpoint(model, record)`` is called whenever that
    loss improves, and training stops early after ``cfg.patience`` validations without
    improvement. ``log(record)`` receives every validation record.

    Returns a dict with per-step ``loss``, ``grad_norm`` (before clipping) and ``lr``, and the
    list ``val`` of validation records ``{"step", "epoch", "val", "train", "seconds"}``.
    """
    train_ids = _as_tensor(train_ids, "train_ids")
    streams = train_ids[: (len(train_ids) // cfg.N) * cfg.N].view(cfg.N, -1)
    chunks_per_epoch = (streams.shape[1] - 1) // cfg.T
    if chunks_per_epoch < 1:
        raise ValueError(
            f"train_ids ({len(train_ids)} ids) too short for N={cfg.N}, T={cfg.T}"
        )
    val_subset = val_ids if cfg.eval_chars is None else val_ids[: cfg.eval_chars]
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay
    )
    history = {"loss": [], "grad_norm": [], "lr": [], "val": []}
    best, since_best, state, t0 = math.inf, 0, None, time.perf_counter()
    model.train()
    for step in range(1, cfg.steps + 1):
        k = (step - 1) % chunks_per_epoch
        if k == 0:
            state = None  # a new epoch starts every stream from its beginning
        x = streams[:, k * cfg.T : (k + 1) * cfg.T]
        y = streams[:, k * cfg.T + 1 : (k + 1) * cfg.T + 1]
        for group in optimiser.param_groups:
            group["lr"] = lr_at(step, cfg)
        logits, state = model(x, detach_state(state))
        loss = nn.functional.cross_entropy(logits.reshape(-1, model.V), y.reshape(-1))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), cfg.max_norm)
        optimiser.step()
        history["loss"].append(loss.item())
        history["grad_norm"].append(float(norm))
        history["lr"].append(optimiser.param_groups[0]["lr"])
        if step % cfg.eval_every == 0 or step == cfg.steps:
            val = evaluate(model, val_subset, N=cfg.eval_N)
            recent = history["loss"][-cfg.eval_every :]
            record = {
                "step": step,
                "epoch": round(step / chunks_per_epoch, 3),
                "train": float(np.mean(recent)),
                "val": val,
                "grad_norm_median": float(np.median(history["grad_norm"][-100:])),
                "lr": history["lr"][-1],
                "seconds": round(time.perf_counter() - t0, 1),
            }
            history["val"].append(record)
            if log is not None:
                log(record)
            if val < best:
                best, since_best = val, 0
                if checkpoint is not None:
                    checkpoint(model, record)
            else:
                since_best += 1
                if since_best >= cfg.patience:
                    break
            model.train()
    return history


# ----------------------------------------------------------------------------- sampling


def filter_top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Logits with all but the k largest entries (last axis) set to -inf.

    Ties at the k-th value are all kept, so the result may keep more than k entries.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if k >= logits.shape[-1]:
        return logits.clone()
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, -math.inf)


def filter_top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering: keep the smallest set of most probable entries whose mass >= p.

    Entries are ranked by probability (last axis); the set grows until its total probability
    reaches p, and every entry tied with the last one admitted is kept too. ``p = 1`` keeps
    every entry with non-zero probability. The kept logits are unchanged (a softmax of the
    result renormalises over the nucleus); the others become -inf.
    """
    if not 0.0 < p <= 1.0:
        raise ValueError(f"p must lie in (0, 1], got {p}")
    probs = torch.softmax(logits, dim=-1)
    sorted_probs, _ = torch.sort(probs, dim=-1, descending=True)
    before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs  # mass ranked above
    # the last admitted entry is the first whose cumulative mass reaches p
    admitted = before < p - 1e-12
    threshold = torch.where(admitted, sorted_probs, torch.ones_like(sorted_probs))
    threshold = threshold.min(dim=-1, keepdim=True).values
    return logits.masked_fill(probs < threshold, -math.inf)


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of softmax(logits) along the last axis (-inf logits allowed)."""
    logp = torch.log_softmax(logits, dim=-1)
    p = logp.exp()
    return -(p * torch.where(p > 0, logp, torch.zeros_like(logp))).sum(-1)


@torch.no_grad()
def sample(
    model: CharLM,
    prompt_ids,
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    return_entropy: bool = False,
):
    """Draw ``length`` ids after priming the model with ``prompt_ids`` (at least one id).

    The next-character logits are divided by ``temperature``, then truncated by top-k and/or
    top-p, then sampled. Returns the (length,) int64 array of new ids; with
    ``return_entropy=True`` also the (length,) entropies in nats of the distributions they
    were drawn from (after temperature and truncation).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    prompt = _as_tensor(prompt_ids, "prompt_ids")
    if len(prompt) == 0:
        raise ValueError("prompt_ids must hold at least one id")
    was_training = model.training
    model.eval()
    logits, state = model(prompt[None, :])
    logits = logits[0, -1]
    out, ents = [], []
    for _ in range(length):
        z = logits / temperature
        if top_k is not None:
            z = filter_top_k(z, top_k)
        if top_p is not None:
            z = filter_top_p(z, top_p)
        ents.append(float(entropy(z)))
        nxt = torch.multinomial(torch.softmax(z, -1), 1, generator=generator)
        out.append(int(nxt))
        logits, state = model(nxt[None, :], state)
        logits = logits[0, -1]
    model.train(was_training)
    ids = np.array(out, dtype=np.int64)
    return (ids, np.array(ents)) if return_entropy else ids


# ----------------------------------------------------------------------------- inspection


@torch.no_grad()
def lstm_gates(model: CharLM, ids, layer: int = 0):
    """Gate activations and cell states of one LSTM layer while reading ``ids`` (one stream).

    Returns a dict of (L, H) NumPy arrays ``i``, ``f``, ``g``, ``o``, ``c``, ``h``, recomputed
    step by step from the layer's weights (PyTorch gate order i, f, g, o) and checked against
    ``nn.LSTM``'s own output.
    """
    if model.cell != "lstm":
        raise ValueError(f"lstm_gates needs an LSTM model, got cell={model.cell!r}")
    if not 0 <= layer < model.layers:
        raise ValueError(f"layer must lie in [0, {model.layers}), got {layer}")
    ids = _as_tensor(ids, "ids")
    model.eval()
    x = model.embedding(ids[None, :])
    h_all, _ = model.rnn(x)  # to check the recomputation below
    inp = x[0]
    for k in range(layer):  # outputs of the layers below
        inp = _run_lstm_layer(model.rnn, k, inp)["h"]
    out = _run_lstm_layer(model.rnn, layer, inp)
    if layer == model.layers - 1:
        gap = (out["h"] - h_all[0]).abs().max().item()
        if gap > 1e-4:
            raise RuntimeError(f"recomputed LSTM state differs from nn.LSTM by {gap}")
    return {k: v.numpy() for k, v in out.items()}


def _run_lstm_layer(rnn: nn.LSTM, k: int, inp: torch.Tensor) -> dict:
    W_ih, W_hh = getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")
    b = getattr(rnn, f"bias_ih_l{k}") + getattr(rnn, f"bias_hh_l{k}")
    H = W_hh.shape[1]
    pre_x = inp @ W_ih.T + b
    h, c = torch.zeros(H), torch.zeros(H)
    rec = {key: [] for key in "ifgoch"}
    for t in range(inp.shape[0]):
        a = pre_x[t] + W_hh @ h
        i, f = torch.sigmoid(a[:H]), torch.sigmoid(a[H : 2 * H])
        g, o = torch.tanh(a[2 * H : 3 * H]), torch.sigmoid(a[3 * H :])
        c = f * c + i * g
        h = o * torch.tanh(c)
        for key, v in zip("ifgoch", (i, f, g, o, c, h)):
            rec[key].append(v)
    return {key: torch.stack(v) for key, v in rec.items()}


# ----------------------------------------------------------------------------- checkpoints


def save_checkpoint(
    path, model: CharLM, chars: list[str], extra: dict | None = None, half=True
):
    """Write the weights (float16 when ``half``), the model's shape and the vocabulary."""
    state = {
        k: (v.half() if half and v.is_floating_point() else v).clone()
        for k, v in model.state_dict().items()
    }
    meta = {
        "V": model.V,
        "embed": model.embedding.embedding_dim,
        "hidden": model.hidden,
        "layers": model.layers,
        "cell": model.cell,
        "dropout": model.drop.p,
        "chars": "".join(chars),
        "extra": extra or {},
    }
    torch.save({"state_dict": state, "meta": json.dumps(meta)}, path)


def load_checkpoint(source) -> tuple[CharLM, dict]:
    """Rebuild the model (float32, eval mode) from a path or bytes; return it and its meta."""
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    blob = torch.load(source, map_location="cpu", weights_only=True)
    meta = json.loads(blob["meta"])
    model = CharLM(
        meta["V"],
        meta["embed"],
        meta["hidden"],
        meta["layers"],
        meta["cell"],
        meta["dropout"],
    )
    model.load_state_dict({k: v.float() for k, v in blob["state_dict"].items()})
    model.eval()
    return model, meta


def config_dict(cfg: LMConfig) -> dict:
    """The configuration as a JSON-ready dict."""
    return asdict(cfg)
