"""Exercise set 13, "Character language models": tests for solutions/13_char_language_models.

Every expected value is computed here independently of the package code the exercises mirror:
13.1 from the definitions of the units; 13.2 from the characterisation "an entry is in the
nucleus iff the probability mass of the entries strictly more probable than it is below p"
(an O(V^2) loop, not a sort-and-cumsum); 13.3 by running each chunk's loss and gradient with
autograd from the state that one long forward pass over the whole prefix produces; 13.4 by
loops over a dictionary of bigram counts.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("13", "Character language models")


def _float(value, what, t):
    try:
        return float(value)
    except (TypeError, ValueError):
        t.fail(f"{what} should be a number, got {type(value).__name__}")


# --------------------------------------------------------------------------------------------
# 13.1 Nats, bits and perplexity


@SET.exercise("13.1", "lm_metrics", points=3)
def _(t):
    with t.case("a loss in nats: bits = nats / ln 2, perplexity = e^nats", points=1):
        got = t.expect_tuple(t.call(1.5, "nats"), 3, "(nats, bits, perplexity)")
        vals = [_float(v, "each entry", t) for v in got]
        t.expect_close(vals, [1.5, 1.5 / math.log(2), math.exp(1.5)], "metrics")
    with t.case("a loss in bits: perplexity = 2^bits", points=1):
        got = t.expect_tuple(t.call(2.0, "bits"), 3, "(nats, bits, perplexity)")
        vals = [_float(v, "each entry", t) for v in got]
        t.expect_close(vals, [2.0 * math.log(2), 2.0, 4.0], "metrics")
    with t.case("the uniform model over V characters has perplexity V", points=1):
        for V in (2, 65, 75):
            got = t.call(math.log(V), "nats")
            t.expect_close(_float(got[2], "perplexity", t), V, f"perplexity, V = {V}")
            got = t.call(math.log2(V), "bits")
            t.expect_close(_float(got[0], "nats", t), math.log(V), f"nats, V = {V}")


# --------------------------------------------------------------------------------------------
# 13.2 Nucleus (top-p) filtering


def _nucleus_reference(probs, p):
    """Keep i iff the mass strictly above probs[i] is below p; renormalise."""
    V = len(probs)
    keep = np.zeros(V, dtype=bool)
    for i in range(V):
        above = sum(probs[j] for j in range(V) if probs[j] > probs[i])
        keep[i] = probs[i] > 0 and above < p - 1e-12
    out = np.where(keep, probs, 0.0)
    return out / out.sum()


def _random_probs(rng, V, zeros=0):
    probs = rng.dirichlet(np.full(V, 0.7))
    probs[rng.choice(V, size=zeros, replace=False)] = 0.0
    return probs / probs.sum()


@SET.exercise("13.2", "top_p_filter", points=4)
def _(t):
    rng = np.random.default_rng(13)
    with t.case("returns a (V,) distribution that sums to 1", points=1):
        probs = _random_probs(rng, 10)
        got = np.asarray(t.call(probs, 0.5), dtype=float)
        t.expect_shape(got, (10,), "filtered probabilities")
        t.expect_close(got.sum(), 1.0, "sum of the filtered probabilities")
        t.expect(np.all(got >= 0), "probabilities must not be negative")
    with t.case("keeps the smallest set of most probable entries reaching p", points=1):
        for p in (0.3, 0.5, 0.8, 0.95):
            probs = _random_probs(rng, 12)
            got = np.asarray(t.call(probs, p), dtype=float)
            t.expect_close(got, _nucleus_reference(probs, p), f"result for p = {p}")
    with t.case("the entry that crosses p is kept (mass reaches p)", points=1):
        probs = np.array([0.5, 0.3, 0.15, 0.05])
        got = np.asarray(t.call(probs, 0.6), dtype=float)
        t.expect_close(got, [0.625, 0.375, 0.0, 0.0], "result for p = 0.6")
        got = np.asarray(t.call(probs, 0.8), dtype=float)
        t.expect_close(got, [0.625, 0.375, 0.0, 0.0], "result for p = 0.8 (exact)")
        got = np.asarray(t.call(probs, 0.5), dtype=float)
        t.expect_close(got, [1.0, 0.0, 0.0, 0.0], "result for p = 0.5 (exact)")
    with t.case(
        "ties at the boundary are all kept; p = 1 keeps every non-zero", points=1
    ):
        probs = np.array([0.4, 0.2, 0.2, 0.2])
        got = np.asarray(t.call(probs, 0.5), dtype=float)
        t.expect_close(got, probs, "result with three tied entries, p = 0.5")
        probs = _random_probs(rng, 9, zeros=2)
        got = np.asarray(t.call(probs, 1.0), dtype=float)
        t.expect_close(got, probs, "result for p = 1")
        probs = np.array([0.1, 0.3, 0.2, 0.3, 0.1])
        got = np.asarray(t.call(probs, 0.35), dtype=float)
        t.expect_close(
            got, [0, 0.5, 0, 0.5, 0], "result, tie for first place, p = 0.35"
        )


# --------------------------------------------------------------------------------------------
# 13.3 Truncated BPTT: carry the state, detach it


class _TinyLM(nn.Module):
    """Embedding -> LSTM or GRU -> linear, with ``forward(x, state) -> (logits, state)``."""

    def __init__(self, cell, V=6, E=3, H=4, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.V = V
        self.embedding = nn.Embedding(V, E, dtype=torch.float64)
        layer = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = layer(E, H, batch_first=True, dtype=torch.float64)
        self.readout = nn.Linear(H, V, dtype=torch.float64)
        with torch.no_grad():  # larger recurrent weights: the past matters more
            self.rnn.weight_hh_l0.mul_(3.0)

    def forward(self, x, state=None):
        out, state = self.rnn(self.embedding(x), state)
        return self.readout(out), state


def _chunk_reference(model, x, y, T):
    """Per-chunk losses and gradients, each from the state of one long forward pass."""
    L = x.shape[1]
    losses, grads = [], []
    for start in range(0, L, T):
        with torch.no_grad():
            state = None if start == 0 else model(x[:, :start])[1]
        logits, _ = model(x[:, start : start + T], state)
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, model.V), y[:, start : start + T].reshape(-1)
        )
        model.zero_grad()
        loss.backward()
        losses.append(loss.item())
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    model.zero_grad()
    with torch.no_grad():
        final = model(x)[1]
    return losses, grads, final


def _data(seed, N, L, V=6):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, V, (N, L + 1), generator=g)
    return ids[:, :-1], ids[:, 1:]


def _states(state):
    return state if isinstance(state, tuple) else (state,)


def _check_tbptt(t, cell, seed, N, L, T, check_grads, check_state):
    model = _TinyLM(cell, seed=seed)
    x, y = _data(seed, N, L)
    ref_losses, ref_grads, ref_final = _chunk_reference(model, x, y, T)
    # backward() writes .grad into the model's parameters: that is expected here
    result = t.call_with(args=(model, x, y, T), check_mutation=False)
    got = t.expect_tuple(result, 3, "(losses, grads, final_state)")
    losses, grads, final = got
    t.expect_close(
        [_float(v, "each loss", t) for v in losses], ref_losses, "chunk losses"
    )
    if check_grads:
        t.expect(
            len(grads) == len(ref_grads),
            f"expected {len(ref_grads)} gradient dicts (one per chunk), got {len(grads)}",
        )
        for k, (g, ref) in enumerate(zip(grads, ref_grads)):
            for name in ref:
                t.expect(name in g, f"gradient dict of chunk {k} lacks {name!r}")
                t.expect_close(
                    torch.as_tensor(g[name]).detach().numpy(),
                    ref[name].numpy(),
                    f"gradient of {name} for chunk {k} (only that chunk's loss)",
                )
    if check_state:
        got_states, ref_states = _states(final), _states(ref_final)
        t.expect(
            len(got_states) == len(ref_states),
            f"final_state should have the structure of the model's state "
            f"({len(ref_states)} tensor(s))",
        )
        for s, r in zip(got_states, ref_states):
            t.expect(
                not s.requires_grad,
                "final_state still requires grad: detach it before returning",
            )
            t.expect_close(s.detach().numpy(), r.numpy(), "final_state")


@SET.exercise("13.3", "tbptt_epoch", points=5, time_limit=30)
def _(t):
    with t.case("chunk losses use the state carried from the previous chunk", points=2):
        _check_tbptt(t, "lstm", 1, 3, 12, 4, check_grads=False, check_state=False)
    with t.case(
        "each chunk's gradient stops at the chunk boundary (state detached)", points=2
    ):
        _check_tbptt(t, "lstm", 2, 2, 15, 5, check_grads=True, check_state=False)
    with t.case(
        "a GRU (one state tensor) works; final state returned, detached", points=1
    ):
        _check_tbptt(t, "gru", 3, 2, 12, 3, check_grads=True, check_state=True)
        _check_tbptt(t, "lstm", 4, 2, 8, 4, check_grads=False, check_state=True)


# --------------------------------------------------------------------------------------------
# 13.4 An interpolated Kneser-Ney bigram


def _kn_bigram_reference(ids, V, D):
    ids = [int(i) for i in ids]
    pairs = {}
    for a, b in zip(ids[:-1], ids[1:]):
        pairs[(a, b)] = pairs.get((a, b), 0) + 1
    left = {w: sum(1 for (a, b) in pairs if b == w) for w in range(V)}
    n_types = len(pairs)
    P = np.zeros((V, V))
    for h in range(V):
        total = sum(c for (a, _), c in pairs.items() if a == h)
        types = sum(1 for (a, _) in pairs if a == h)
        for w in range(V):
            cont = left[w] / n_types
            if total == 0:
                P[h, w] = cont
            else:
                c = pairs.get((h, w), 0)
                P[h, w] = max(c - D, 0) / total + D * types / total * cont
    return P


@SET.exercise("13.4", "kneser_ney_bigram", points=4)
def _(t):
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 5, size=80)
    ids[:12] = [0, 1, 0, 1, 0, 1, 2, 2, 2, 2, 3, 0]
    with t.case("returns a (V, V) matrix whose rows sum to 1", points=1):
        got = np.asarray(t.call(ids, 6, 0.75), dtype=float)
        t.expect_shape(got, (6, 6), "P")
        t.expect_close(got.sum(1), np.ones(6), "row sums")
    with t.case("seen contexts: discounted counts plus the freed mass", points=2):
        for D in (0.5, 0.75, 1.0):
            got = np.asarray(t.call(ids, 5, D), dtype=float)
            t.expect_close(got, _kn_bigram_reference(ids, 5, D), f"P for D = {D}")
    with t.case(
        "lower order uses continuation counts; unseen contexts fall back", points=1
    ):
        text = np.array([0, 1, 0, 1, 0, 1, 0, 1, 2, 0, 1, 0, 3])
        got = np.asarray(t.call(text, 5, 0.75), dtype=float)
        t.expect_close(got, _kn_bigram_reference(text, 5, 0.75), "P on a skewed text")
