"""Greedy and batched beam-search decoding for :class:`rnnbook.frameworks.seq2seq.Seq2Seq`.

Both work with any model that has ``encode(src, src_len) -> enc`` (a tuple of batch-first
tensors), ``init_state(enc) -> state`` (a tuple of batch-first tensors) and
``decode_step(y_prev, state, enc) -> (logits, state, weights)``.

Conventions shared by both decoders and by the tests:

* A hypothesis is the list of generated ids up to and including ``</s>`` (id ``eos``), or
  ``max_len`` ids when ``</s>`` never came. Its **score** is the sum of the log-probabilities
  ``log p(y_t | y_<t, x)`` of its ids, ``</s>`` included -- exactly what a teacher-forced pass
  over the hypothesis gives (``rescore``).
* The padding id and the start id can never be generated: their log-probabilities are set to
  ``-inf`` after the log-softmax (no renormalisation, so the scores stay the model's).
* Length normalisation (beam search): hypotheses are ranked by ``score / length ** alpha``
  (``alpha = 0``: raw score; ``alpha = 1``: mean log-probability per id), where ``length``
  counts the ids, ``</s>`` included. Raw sums favour short outputs, because every extra id
  adds a negative term.
* Beam search keeps finished hypotheses in the beam: a hypothesis that emitted ``</s>`` is
  continued only by padding at log-probability 0, so it keeps its score and length and competes
  with the live ones at every step; all candidates (``beam x vocabulary``) are ranked by their
  normalised score. With ``beam_size=1`` this is greedy decoding exactly; with a beam as large
  as the number of possible outputs nothing is ever pruned, so the result is the exhaustive
  optimum of the normalised score.
"""

from __future__ import annotations

import torch

__all__ = ["greedy_decode", "beam_search", "rescore", "transcribe"]

PAD, BOS, EOS = 0, 1, 2


def _log_probs(logits: torch.Tensor, pad: int, bos: int) -> torch.Tensor:
    logp = torch.log_softmax(logits.float(), dim=-1)
    logp[:, pad] = float("-inf")
    logp[:, bos] = float("-inf")
    return logp


def _take(tensors, index: torch.Tensor):
    return tuple(t.index_select(0, index) for t in tensors)


@torch.no_grad()
def greedy_decode(
    model,
    src,
    src_len,
    max_len: int = 30,
    pad: int = PAD,
    bos: int = BOS,
    eos: int = EOS,
):
    """Pick the most probable id at every step until ``</s>`` or ``max_len`` ids.

    src (N, S), src_len (N,). Returns ``tokens`` (N, L) int64 (padded with ``pad`` after
    ``</s>``), ``lengths`` (N,) (ids generated, ``</s>`` included) and ``scores`` (N,) (sum of
    log-probabilities). Weights of attention are returned as ``attn`` (N, L, S) or None.
    """
    model.eval()
    enc = model.encode(src, src_len)
    state = model.init_state(enc)
    N = src.shape[0]
    y = torch.full((N,), bos, dtype=torch.long)
    finished = torch.zeros(N, dtype=torch.bool)
    scores = torch.zeros(N)
    lengths = torch.zeros(N, dtype=torch.long)
    tokens, attns = [], []
    for _ in range(max_len):
        logits, state, alpha = model.decode_step(y, state, enc)
        logp = _log_probs(logits, pad, bos)
        best, y = logp.max(dim=-1)
        y = torch.where(finished, torch.full_like(y, pad), y)
        scores += torch.where(finished, torch.zeros_like(best), best)
        lengths += (~finished).long()
        tokens.append(y)
        attns.append(alpha)
        finished |= y == eos
        if bool(finished.all()):
            break
    attn = None if attns[0] is None else torch.stack(attns, dim=1)
    return torch.stack(tokens, dim=1), lengths, scores, attn


@torch.no_grad()
def beam_search(
    model,
    src,
    src_len,
    beam_size: int = 5,
    max_len: int = 30,
    alpha: float = 1.0,
    pad: int = PAD,
    bos: int = BOS,
    eos: int = EOS,
):
    """Batched beam search with length normalisation (see the module docstring).

    src (N, S), src_len (N,). Returns ``tokens`` (N, L) int64 of the best hypothesis per source
    (padded after ``</s>``), ``lengths`` (N,), ``scores`` (N,) (its sum of log-probabilities)
    and ``norm_scores`` (N,) (``score / length ** alpha``, the quantity that was maximised).
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}")
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    model.eval()
    N = src.shape[0]
    K = beam_size
    enc = model.encode(src, src_len)
    state = model.init_state(enc)
    # every source's encoding and state, repeated K times: row n * K + k is beam k of source n
    rep = torch.arange(N).repeat_interleave(K)
    enc = _take(enc, rep)
    state = _take(state, rep)
    y = torch.full((N * K,), bos, dtype=torch.long)
    # only beam 0 is live at the start (the K copies are identical)
    scores = torch.full((N, K), float("-inf"))
    scores[:, 0] = 0.0
    lengths = torch.zeros(N, K, dtype=torch.long)
    finished = torch.zeros(N, K, dtype=torch.bool)
    history = torch.zeros(N, K, 0, dtype=torch.long)
    for _ in range(max_len):
        logits, state, _ = model.decode_step(y, state, enc)
        logp = _log_probs(logits, pad, bos).view(N, K, -1)
        V = logp.shape[-1]
        # a finished hypothesis continues only with padding, at log-probability 0
        fin_row = torch.full((V,), float("-inf"))
        fin_row[pad] = 0.0
        logp = torch.where(finished[:, :, None], fin_row, logp)
        cand = scores[:, :, None] + logp  # (N, K, V) raw sums
        cand_len = lengths[:, :, None] + (~finished[:, :, None]).long()
        cand_len = cand_len.expand(N, K, V)
        ranked = cand / cand_len.clamp(min=1).float() ** alpha
        top, flat = ranked.view(N, -1).topk(K, dim=-1)
        beam_idx = flat // V
        tok = flat % V
        scores = cand.view(N, -1).gather(1, flat)
        lengths = cand_len.reshape(N, -1).gather(1, flat)
        was_finished = finished.gather(1, beam_idx)
        finished = was_finished | (tok == eos)
        history = torch.cat(
            [
                history.gather(
                    1, beam_idx[:, :, None].expand(-1, -1, history.shape[2])
                ),
                tok[:, :, None],
            ],
            dim=2,
        )
        rows = (torch.arange(N)[:, None] * K + beam_idx).reshape(-1)
        state = _take(state, rows)
        y = tok.reshape(-1)
        if bool(finished[torch.isfinite(scores)].all()):
            break
    norm = scores / lengths.clamp(min=1).float() ** alpha
    best = norm.argmax(dim=1)
    ar = torch.arange(N)
    return history[ar, best], lengths[ar, best], scores[ar, best], norm[ar, best]


@torch.no_grad()
def rescore(model, src, src_len, tokens, lengths, pad: int = PAD, bos: int = BOS):
    """Teacher-forced sum of log-probabilities of given outputs.

    tokens (N, L) (the generated ids, ``</s>`` included when present), lengths (N,): the number
    of ids that count. Uses the same masking of the padding and start ids as the decoders.
    """
    model.eval()
    N, L = tokens.shape
    tgt_in = torch.cat(
        [torch.full((N, 1), bos, dtype=torch.long), tokens[:, :-1]], dim=1
    )
    tgt_in = torch.where(tgt_in == pad, torch.full_like(tgt_in, bos), tgt_in)
    logits, _ = model(src, src_len, tgt_in)
    logp = torch.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(2, tokens[:, :, None]).squeeze(2)
    mask = torch.arange(L)[None, :] < lengths[:, None]
    return torch.where(mask, picked, torch.zeros_like(picked)).sum(dim=1)


def transcribe(
    model,
    words,
    vocab,
    method: str = "greedy",
    beam_size: int = 5,
    alpha: float = 1.0,
    batch_size: int = 256,
    max_len: int = 30,
):
    """Words -> tuples of phonemes with ``greedy`` or ``beam`` decoding (batched)."""
    from rnnbook.data.g2p import make_batch

    if method not in ("greedy", "beam"):
        raise ValueError(f"method must be 'greedy' or 'beam', got {method!r}")
    words = list(words)
    out = []
    for i in range(0, len(words), batch_size):
        chunk = words[i : i + batch_size]
        b = make_batch([(w, ()) for w in chunk], vocab)
        src, src_len = torch.from_numpy(b.src), torch.from_numpy(b.src_len)
        if method == "greedy":
            tokens = greedy_decode(model, src, src_len, max_len=max_len)[0]
        else:
            tokens = beam_search(model, src, src_len, beam_size, max_len, alpha)[0]
        out += [vocab.decode_phonemes(row.tolist()) for row in tokens]
    return out
