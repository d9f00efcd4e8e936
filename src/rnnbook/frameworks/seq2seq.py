"""Encoder-decoder RNNs for grapheme-to-phoneme conversion, with and without attention (torch).

One model class, :class:`Seq2Seq`, covers the three variants of chapter 16:

* ``attention="none"``: the context is the encoder's last state (the final forward state and,
  for a bidirectional encoder, the final backward state, concatenated) -- the same vector at
  every decoder step (Sutskever et al. 2014, Cho et al. 2014).
* ``attention="additive"``: the Bahdanau et al. (2015) score
  ``e_ts = v^T tanh(W_q q_t + W_k m_s)``.
* ``attention="multiplicative"``: the Luong et al. (2015) "general" score ``e_ts = q_t^T W m_s``.

Both attention scores sit in the same decoder (Luong et al.'s layout): the query ``q_t`` is the
decoder state *after* step ``t``; the weights ``alpha_t = softmax(e_t)`` over the real (not
padded) encoder positions give the context ``c_t = sum_s alpha_ts m_s``; the attentional vector
``h~_t = tanh(W_c [h_t; c_t])`` gives the logits ``W_o h~_t`` and is fed into the next step
("input feeding"). Without attention, ``c_t`` is the fixed encoder summary.

Shapes: ``N`` batch, ``S`` source length (letters), ``T`` target steps, ``V`` phoneme vocabulary,
``M`` encoder memory width (2 x encoder hidden size when bidirectional), ``H`` decoder size.

The decoder runs one step at a time (:meth:`Seq2Seq.decode_step`); training
(:meth:`Seq2Seq.forward`) loops over it with teacher forcing, optionally with scheduled sampling
(Bengio et al. 2015). :mod:`rnnbook.frameworks.decoding` uses the same step for greedy and beam
search, so training and inference share one code path.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = [
    "Seq2SeqConfig",
    "AdditiveAttention",
    "MultiplicativeAttention",
    "masked_softmax",
    "Seq2Seq",
    "masked_cross_entropy",
    "batch_to_tensors",
    "train_epoch",
    "evaluate_loss",
    "count_parameters",
    "save_checkpoint",
    "load_checkpoint",
]

ATTENTIONS = ("none", "additive", "multiplicative")


@dataclass
class Seq2SeqConfig:
    n_src: int  # grapheme vocabulary size (0 = padding)
    n_tgt: int  # phoneme vocabulary size (0 = padding, 1 = <s>, 2 = </s>)
    attention: str = "additive"
    embed: int = 64
    enc_hidden: int = 128  # per direction
    dec_hidden: int = 256
    attn_dim: int = 128  # additive attention only
    bidirectional: bool = True
    dropout: float = 0.0


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis with the positions where ``mask`` is False excluded.

    scores (N, S) float; mask (N, S) bool, True at real positions (at least one per row).
    Padded positions get weight exactly 0 (their score is set to -inf before the softmax).
    """
    if scores.shape != mask.shape:
        raise ValueError(
            f"expected scores and mask of the same shape (N, S), got {tuple(scores.shape)} "
            f"and {tuple(mask.shape)}"
        )
    return scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)


class AdditiveAttention(nn.Module):
    """Bahdanau score ``e_s = v^T tanh(W_q q + W_k m_s)``.

    :meth:`keys` precomputes ``W_k m_s`` once per source (N, S, A); :meth:`scores` takes the
    query (N, Q) and those keys and returns (N, S).
    """

    def __init__(self, query_dim: int, mem_dim: int, attn_dim: int):
        super().__init__()
        self.W_q = nn.Linear(query_dim, attn_dim, bias=False)
        self.W_k = nn.Linear(mem_dim, attn_dim, bias=True)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.W_k(memory)

    def scores(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return self.v(torch.tanh(keys + self.W_q(query)[:, None, :])).squeeze(-1)


class MultiplicativeAttention(nn.Module):
    """Luong "general" score ``e_s = q^T W m_s``; :meth:`keys` precomputes ``W m_s`` (N, S, Q)."""

    def __init__(self, query_dim: int, mem_dim: int):
        super().__init__()
        self.W = nn.Linear(mem_dim, query_dim, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.W(memory)

    def scores(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return torch.bmm(keys, query[:, :, None]).squeeze(-1)


class Seq2Seq(nn.Module):
    """LSTM encoder-decoder; see the module docstring for the three ``attention`` variants."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        if cfg.attention not in ATTENTIONS:
            raise ValueError(
                f"attention must be one of {ATTENTIONS}, got {cfg.attention!r}"
            )
        self.cfg = cfg
        M = cfg.enc_hidden * (2 if cfg.bidirectional else 1)
        H = cfg.dec_hidden
        self.src_embed = nn.Embedding(cfg.n_src, cfg.embed, padding_idx=0)
        self.encoder = nn.LSTM(
            cfg.embed, cfg.enc_hidden, batch_first=True, bidirectional=cfg.bidirectional
        )
        self.init_h = nn.Linear(M, H)
        self.init_c = nn.Linear(M, H)
        self.tgt_embed = nn.Embedding(cfg.n_tgt, cfg.embed, padding_idx=0)
        # input feeding: the previous attentional vector (H) -- or, without attention, the
        # fixed summary (M) -- enters every step next to the embedded previous phoneme
        feed = M if cfg.attention == "none" else H
        self.decoder = nn.LSTMCell(cfg.embed + feed, H)
        if cfg.attention == "additive":
            self.attn = AdditiveAttention(H, M, cfg.attn_dim)
        elif cfg.attention == "multiplicative":
            self.attn = MultiplicativeAttention(H, M)
        else:
            self.attn = None
        self.W_c = nn.Linear(H + M, H)
        self.W_o = nn.Linear(H, cfg.n_tgt)
        self.drop = nn.Dropout(cfg.dropout)

    # -- encoder ---------------------------------------------------------------------------
    def encode(self, src: torch.Tensor, src_len: torch.Tensor):
        """src (N, S) int64, src_len (N,) -> ``enc``, a tuple of batch-first tensors:
        memory (N, S, M), mask (N, S) bool, keys (N, S, K) (or memory when there is no
        attention), summary (N, M)."""
        if src.dim() != 2 or src_len.shape != (src.shape[0],):
            raise ValueError(
                f"expected src of shape (N, S) and src_len of shape (N,), got "
                f"{tuple(src.shape)} and {tuple(src_len.shape)}"
            )
        N, S = src.shape
        x = self.drop(self.src_embed(src))
        packed = pack_padded_sequence(
            x, src_len.cpu(), batch_first=True, enforce_sorted=False
        )
        out, (h_n, _) = self.encoder(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=S)
        # h_n: (directions, N, enc_hidden); the last state of each direction (the backward
        # direction ends at the first letter), concatenated
        summary = torch.cat(list(h_n), dim=-1)
        mask = torch.arange(S, device=src.device)[None, :] < src_len[:, None].to(
            src.device
        )
        keys = memory if self.attn is None else self.attn.keys(memory)
        return memory, mask, keys, summary

    def init_state(self, enc):
        """Initial decoder state ``(h, c, feed)`` from the encoder summary."""
        _, _, _, summary = enc
        h = torch.tanh(self.init_h(summary))
        c = self.init_c(summary)
        feed = summary if self.attn is None else torch.zeros_like(h)
        return h, c, feed

    # -- one decoder step ------------------------------------------------------------------
    def decode_step(self, y_prev: torch.Tensor, state, enc):
        """y_prev (B,) int64 previous phonemes -> logits (B, V), new state, weights (B, S).

        The weights are ``None`` without attention.
        """
        memory, mask, keys, summary = enc
        h, c, feed = state
        x = torch.cat([self.drop(self.tgt_embed(y_prev)), feed], dim=-1)
        h, c = self.decoder(x, (h, c))
        if self.attn is None:
            context, alpha = summary, None
        else:
            alpha = masked_softmax(self.attn.scores(h, keys), mask)
            context = torch.bmm(alpha[:, None, :], memory).squeeze(1)
        h_att = torch.tanh(self.W_c(torch.cat([h, context], dim=-1)))
        logits = self.W_o(self.drop(h_att))
        new_feed = summary if self.attn is None else h_att
        return logits, (h, c, new_feed), alpha

    # -- training pass ---------------------------------------------------------------------
    def forward(self, src, src_len, tgt_in, sampling_prob: float = 0.0, generator=None):
        """Teacher-forced pass: logits (N, T, V) and attention weights (N, T, S) (or None).

        tgt_in (N, T) starts with ``<s>``. With ``sampling_prob`` p > 0 (scheduled sampling),
        from the second step on each example's input is, with probability p, the model's own
        previous prediction (the arg max, detached) instead of the true phoneme.
        """
        if tgt_in.dim() != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(
                f"expected tgt_in of shape (N, T) with N = {src.shape[0]}, "
                f"got {tuple(tgt_in.shape)}"
            )
        enc = self.encode(src, src_len)
        state = self.init_state(enc)
        logits_all, alphas = [], []
        y_prev = tgt_in[:, 0]
        for t in range(tgt_in.shape[1]):
            if t > 0:
                y_prev = tgt_in[:, t]
                if sampling_prob > 0.0:
                    own = logits_all[-1].argmax(-1).detach()
                    use_own = (
                        torch.rand(y_prev.shape, generator=generator) < sampling_prob
                    ).to(y_prev.device)
                    y_prev = torch.where(use_own, own, y_prev)
            logits, state, alpha = self.decode_step(y_prev, state, enc)
            logits_all.append(logits)
            alphas.append(alpha)
        logits = torch.stack(logits_all, dim=1)
        attn = None if self.attn is None else torch.stack(alphas, dim=1)
        return logits, attn


def masked_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor
):
    """Mean cross-entropy over the real target positions only.

    logits (N, T, V); targets (N, T) int64; mask (N, T) bool (True at real positions).
    Returns ``(mean_loss, n_tokens)``; padded positions contribute nothing.
    """
    if logits.shape[:2] != targets.shape or targets.shape != mask.shape:
        raise ValueError(
            f"expected logits (N, T, V) with targets and mask (N, T), got "
            f"{tuple(logits.shape)}, {tuple(targets.shape)}, {tuple(mask.shape)}"
        )
    nll = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    ).reshape(targets.shape)
    n = mask.sum()
    return (nll * mask).sum() / n.clamp(min=1), int(n)


def batch_to_tensors(batch):
    """A :class:`rnnbook.data.g2p.Batch` -> dict of torch tensors."""
    return {
        "src": torch.from_numpy(batch.src),
        "src_len": torch.from_numpy(batch.src_len),
        "tgt_in": torch.from_numpy(batch.tgt_in),
        "tgt_out": torch.from_numpy(batch.tgt_out),
        "tgt_mask": torch.from_numpy(batch.tgt_mask),
    }


def train_epoch(
    model,
    batches,
    optimizer,
    clip: float = 5.0,
    sampling_prob: float = 0.0,
    generator=None,
    max_batches: int | None = None,
) -> float:
    """One pass over ``batches`` (an iterable of g2p ``Batch``); returns the mean token loss."""
    model.train()
    total, count = 0.0, 0
    for i, batch in enumerate(batches):
        if max_batches is not None and i >= max_batches:
            break
        b = batch_to_tensors(batch)
        logits, _ = model(b["src"], b["src_len"], b["tgt_in"], sampling_prob, generator)
        loss, n = masked_cross_entropy(logits, b["tgt_out"], b["tgt_mask"])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total += loss.item() * n
        count += n
    return total / max(count, 1)


@torch.no_grad()
def evaluate_loss(model, batches) -> float:
    """Mean teacher-forced cross-entropy per target token (nats) over ``batches``."""
    model.eval()
    total, count = 0.0, 0
    for batch in batches:
        b = batch_to_tensors(batch)
        logits, _ = model(b["src"], b["src_len"], b["tgt_in"])
        loss, n = masked_cross_entropy(logits, b["tgt_out"], b["tgt_mask"])
        total += loss.item() * n
        count += n
    return total / max(count, 1)


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def save_checkpoint(model: Seq2Seq, path, meta: dict | None = None) -> None:
    """Write the weights in float16 (halves the file) with the configuration and ``meta``."""
    state = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    torch.save(
        {"config": asdict(model.cfg), "state": state, "meta": json.dumps(meta or {})},
        path,
    )


def load_checkpoint(source) -> tuple[Seq2Seq, dict]:
    """Read a checkpoint written by :func:`save_checkpoint` from a path, an
    ``importlib.resources`` traversable, or bytes; returns ``(model in eval mode, meta)``."""
    if isinstance(source, (bytes, bytearray)):
        blob = io.BytesIO(source)
    elif hasattr(source, "read_bytes"):
        blob = io.BytesIO(source.read_bytes())
    else:
        blob = source
    ckpt = torch.load(blob, map_location="cpu", weights_only=True)
    model = Seq2Seq(Seq2SeqConfig(**ckpt["config"]))
    model.load_state_dict({k: v.to(torch.float32) for k, v in ckpt["state"].items()})
    model.eval()
    return model, json.loads(ckpt["meta"])
