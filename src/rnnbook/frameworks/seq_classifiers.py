r"""Many-to-one sequence classifiers in PyTorch: a GRU or LSTM over a packed batch, a linear head.

A batch of ``N`` sequences of lengths ``L_1 ... L_N`` arrives padded to (N, T, ...) with its
``lengths``. The recurrent layer runs it as a **packed** batch (``torch_sequences.run_packed``),
so padding is never read, and the classifier reads each sequence's **final** state:

    forward direction  h_fwd(L_n)  (after the last real step of sequence n)
    backward direction h_bwd(1)    (after reading sequence n back to its first step)

concatenated to (N, dirs * H) for a bidirectional layer (``torch_sequences.last_layer_state``).
A linear layer maps it to class scores (logits) ``s = W_hy h + b_y``, (N, C), trained with the
cross-entropy; ``class_weights`` gives the loss a weight per class for imbalanced data.

Inputs are either token ids (``vocab_size`` given: an ``nn.Embedding`` with ``padding_idx=0``
turns ids (N, T) into vectors (N, T, E)) or real-valued frames (N, T, D).

- ``SeqClassifier``: the model; ``model(x, lengths) -> logits`` (N, C)
- ``train_classifier``: mini-batch Adam with gradient clipping, optional class weights and
  early stopping on a validation set (the best epoch's weights are kept)
- ``predict_logits``: logits for a whole data set, in batches, in eval mode
- ``save_classifier`` / ``load_classifier``: a state_dict plus the constructor's arguments
"""

from __future__ import annotations

import copy
import io

import numpy as np
import torch
from torch import nn

from rnnbook.frameworks.torch_sequences import last_layer_state, run_packed

__all__ = [
    "SeqClassifier",
    "train_classifier",
    "predict_logits",
    "save_classifier",
    "load_classifier",
]

_LAYERS = {"gru": nn.GRU, "lstm": nn.LSTM}


class SeqClassifier(nn.Module):
    """(Embedding) -> GRU/LSTM (packed) -> final state(s) -> dropout -> Linear.

    Parameters
    ----------
    num_classes : C
    input_size : D, for real-valued inputs (N, T, D); give this or ``vocab_size``
    vocab_size : V, for token ids (N, T) with 0 = padding; then ``embed_dim`` = E
    hidden_size : H per direction
    kind : "gru" or "lstm"
    bidirectional, num_layers, dropout : as for ``torch.nn.GRU``; ``dropout`` is also applied
        to the final state before the head
    """

    def __init__(
        self,
        num_classes: int,
        *,
        input_size: int | None = None,
        vocab_size: int | None = None,
        embed_dim: int = 32,
        hidden_size: int = 64,
        kind: str = "gru",
        bidirectional: bool = False,
        num_layers: int = 1,
        dropout: float = 0.0,
    ):
        super().__init__()
        if (input_size is None) == (vocab_size is None):
            raise ValueError("expected exactly one of input_size and vocab_size")
        if kind not in _LAYERS:
            raise ValueError(f"expected kind in {sorted(_LAYERS)}, got {kind!r}")
        self.config = dict(
            num_classes=num_classes,
            input_size=input_size,
            vocab_size=vocab_size,
            embed_dim=embed_dim,
            hidden_size=hidden_size,
            kind=kind,
            bidirectional=bidirectional,
            num_layers=num_layers,
            dropout=dropout,
        )
        if vocab_size is not None:
            self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
            input_size = embed_dim
        else:
            self.embed = None
        self.rnn = _LAYERS[kind](
            input_size,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear((2 if bidirectional else 1) * hidden_size, num_classes)

    def final_state(self, x, lengths):
        """The last layer's final state(s) of each sequence, (N, dirs * H)."""
        if self.embed is not None:
            if x.dim() != 2:
                raise ValueError(
                    f"expected token ids x of shape (N, T), got {tuple(x.shape)}"
                )
            x = self.embed(x)
        _, state = run_packed(self.rnn, x, lengths)
        h_n = state[0] if isinstance(state, tuple) else state
        return last_layer_state(h_n, self.rnn.num_layers, self.rnn.bidirectional)

    def forward(self, x, lengths):
        """x: (N, T) ids or (N, T, D) frames; lengths: (N,). Returns logits (N, C)."""
        return self.head(self.drop(self.final_state(x, lengths)))


def _as_tensors(x, lengths, y=None):
    x = torch.as_tensor(x)
    if not torch.is_floating_point(x):
        x = x.long()
    else:
        x = x.float()
    lengths = torch.as_tensor(lengths, dtype=torch.int64)
    if lengths.shape != (x.shape[0],):
        raise ValueError(
            f"expected lengths of shape (N,) = ({x.shape[0]},), got {tuple(lengths.shape)}"
        )
    if y is None:
        return x, lengths
    y = torch.as_tensor(y, dtype=torch.int64)
    if y.shape != (x.shape[0],):
        raise ValueError(
            f"expected y of shape (N,) = ({x.shape[0]},), got {tuple(y.shape)}"
        )
    return x, lengths, y


def _trim(xb, lb):
    # drop padding columns that no sequence of this batch reaches (less work when packing)
    return xb[:, : int(lb.max())], lb


@torch.no_grad()
def predict_logits(model: nn.Module, x, lengths, batch_size: int = 512) -> np.ndarray:
    """Logits (N, C) for padded inputs ``x`` with ``lengths``, in eval mode (no dropout)."""
    x, lengths = _as_tensors(x, lengths)
    was_training = model.training
    model.eval()
    out = [
        model(*_trim(x[i : i + batch_size], lengths[i : i + batch_size]))
        for i in range(0, len(x), batch_size)
    ]
    model.train(was_training)
    return torch.cat(out).numpy()


def train_classifier(
    model: nn.Module,
    x,
    lengths,
    y,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 3e-3,
    weight_decay: float = 0.0,
    class_weights=None,
    clip: float = 1.0,
    val=None,
    seed: int = 0,
    progress=None,
) -> dict:
    """Train with Adam on shuffled mini-batches; returns the history.

    x : (N, T) ids or (N, T, D) frames, padded; lengths, y : (N,)
    class_weights : (C,) weights of the cross-entropy per class, or None (all 1)
    val : optional ``(x_val, lengths_val, y_val)``; then the weights of the epoch with the best
        validation accuracy are restored at the end
    progress : optional callable ``progress(epoch, history)`` called after each epoch
    Returns ``{"loss": [...], "val_acc": [...], "best_epoch": int}`` (loss per epoch).
    """
    x, lengths, y = _as_tensors(x, lengths, y)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # dropout masks
    weight = None
    if class_weights is not None:
        weight = torch.as_tensor(class_weights, dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = {"loss": [], "val_acc": [], "best_epoch": epochs - 1}
    best, best_state = -1.0, None
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            logits = model(*_trim(x[idx], lengths[idx]))
            loss = loss_fn(logits, y[idx])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            total += loss.item() * len(idx)
        history["loss"].append(total / len(x))
        if val is not None:
            xv, lv, yv = val
            acc = float(
                (predict_logits(model, xv, lv).argmax(1) == np.asarray(yv)).mean()
            )
            history["val_acc"].append(acc)
            if acc > best:
                best, best_state = acc, copy.deepcopy(model.state_dict())
                history["best_epoch"] = epoch
        if progress is not None:
            progress(epoch, history)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def save_classifier(model: SeqClassifier) -> bytes:
    """The model as bytes (``torch.save`` of its config and float32 state_dict)."""
    buffer = io.BytesIO()
    state = {k: v.detach().float().clone() for k, v in model.state_dict().items()}
    torch.save({"config": model.config, "state_dict": state}, buffer)
    return buffer.getvalue()


def load_classifier(data: bytes) -> SeqClassifier:
    """Rebuild a ``SeqClassifier`` from ``save_classifier``'s bytes (eval mode)."""
    blob = torch.load(io.BytesIO(data), weights_only=True)
    model = SeqClassifier(**blob["config"])
    model.load_state_dict(blob["state_dict"])
    return model.eval()
