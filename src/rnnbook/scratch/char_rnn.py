r"""A character-level language model built from the package's NumPy layers (chapter 4).

The model reads one character per step and scores the next one::

    x_t = onehot(c_t)                            (V,)
    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)    scratch.rnn.rnn_forward
    s_t = W_hy h_t + b_y                         scratch.layers.temporal_affine_forward
    L   = mean_t  -log softmax(s_t)[c_{t+1}]     scratch.losses.temporal_softmax_cross_entropy

Multiplying ``W_xh`` by a one-hot vector picks one column, so ``W_xh`` doubles as a character
embedding of size H. ``CharRNN`` only ties the layers together: every equation lives in the
module named on its right, which the tests check against PyTorch.

=========  ==========  ====================================
name       shape       meaning
=========  ==========  ====================================
``Wxh``    (H, V)      input (embedding) weights
``Whh``    (H, H)      recurrent weights
``bh``     (H,)        hidden bias
``Why``    (V, H)      output weights
``by``     (V,)        output bias
=========  ==========  ====================================

The loss is the mean cross-entropy per character in nats (``normalize="tokens"``), so it can be
compared directly with ``ln V`` (a uniform guess) and ``exp(loss)`` is the perplexity.
"""

from __future__ import annotations

import numpy as np

from rnnbook.data.text import num_tbptt_batches, tbptt_batches
from rnnbook.scratch.layers import temporal_affine_backward, temporal_affine_forward
from rnnbook.scratch.losses import log_softmax, temporal_softmax_cross_entropy
from rnnbook.scratch.rnn import rnn_backward, rnn_forward, rnn_step_forward

__all__ = ["one_hot", "softmax_with_temperature", "CharRNN"]


def one_hot(ids, V: int, dtype=np.float64) -> np.ndarray:
    """One-hot encode integer ids of any shape S into an array of shape S + (V,)."""
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"expected integer ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(
            f"ids must lie in [0, V) = [0, {V}), got min {ids.min()}, max {ids.max()}"
        )
    out = np.zeros(ids.shape + (V,), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out


def softmax_with_temperature(scores, temperature: float = 1.0) -> np.ndarray:
    r"""Probabilities :math:`p_i \propto \exp(s_i / \tau)` along the last axis.

    Parameters
    ----------
    scores : (..., V) unnormalised log-probabilities
    temperature : :math:`\tau > 0`. :math:`\tau < 1` sharpens the distribution, :math:`\tau > 1`
        flattens it, :math:`\tau = 1` is the model's own distribution.
    """
    if not temperature > 0:
        raise ValueError(
            f"temperature must be positive, got {temperature} (use greedy=True for argmax)"
        )
    return np.exp(log_softmax(np.asarray(scores, dtype=np.float64) / temperature))


class CharRNN:
    r"""Vanilla-RNN character model: parameters in ``self.params``, NumPy forward and backward.

    Parameters
    ----------
    V : vocabulary size
    H : hidden size
    seed : seed of the initialisation
    dtype : ``np.float32`` for training speed, ``np.float64`` for gradient checks

    Initialisation as in ``torch.nn.RNN`` and ``torch.nn.Linear``: every weight and bias uniform
    in :math:`[-1/\sqrt{H}, 1/\sqrt{H}]`.
    """

    def __init__(self, V: int, H: int, seed: int = 0, dtype=np.float32):
        if V < 1 or H < 1:
            raise ValueError(f"V and H must be positive, got V={V}, H={H}")
        self.V, self.H, self.dtype = V, H, np.dtype(dtype)
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(H)
        shapes = {"Wxh": (H, V), "Whh": (H, H), "bh": (H,), "Why": (V, H), "by": (V,)}
        self.params = {
            name: rng.uniform(-k, k, size=s).astype(self.dtype)
            for name, s in shapes.items()
        }

    def __repr__(self) -> str:
        n = sum(p.size for p in self.params.values())
        return f"CharRNN(V={self.V}, H={self.H}, parameters={n:,}, dtype={self.dtype.name})"

    def init_hidden(self, N: int) -> np.ndarray:
        """(N, H) zeros: the state before the first character."""
        return np.zeros((N, self.H), dtype=self.dtype)

    def forward(self, inputs, h0=None):
        """Scores for the next character at every step.

        Parameters
        ----------
        inputs : (N, T) integer character ids
        h0 : (N, H) initial hidden state, or None for zeros

        Returns
        -------
        scores : (N, T, V)
        h_last : (N, H) the final hidden state (the next chunk's ``h0``)
        cache : for ``backward``
        """
        inputs = np.asarray(inputs)
        if inputs.ndim != 2:
            raise ValueError(f"expected inputs of shape (N, T), got {inputs.shape}")
        p = self.params
        if h0 is None:
            h0 = self.init_hidden(inputs.shape[0])
        elif np.shape(h0) != (inputs.shape[0], self.H):
            raise ValueError(
                f"expected h0 of shape (N, H) = {(inputs.shape[0], self.H)}, got {np.shape(h0)}"
            )
        x = one_hot(inputs, self.V, dtype=self.dtype)  # (N, T, V)
        h, rnn_cache = rnn_forward(x, h0, p["Wxh"], p["Whh"], p["bh"])
        scores, affine_cache = temporal_affine_forward(h, p["Why"], p["by"])
        return scores, h[:, -1], (rnn_cache, affine_cache)

    def backward(self, dscores, cache):
        """Gradients of the loss from ``dscores`` (N, T, V).

        Returns
        -------
        grads : dict with the keys of ``self.params`` (``grads["Whh"]`` is dL/dWhh)
        dh0 : (N, H) gradient with respect to the initial state (dropped by truncated BPTT)
        """
        rnn_cache, affine_cache = cache
        dh, dWhy, dby = temporal_affine_backward(dscores, affine_cache)
        _, dh0, dWxh, dWhh, dbh = rnn_backward(dh, rnn_cache)
        return {"Wxh": dWxh, "Whh": dWhh, "bh": dbh, "Why": dWhy, "by": dby}, dh0

    def loss(self, inputs, targets, h0=None):
        """Mean cross-entropy per character (nats) and its gradients, for one chunk.

        Parameters
        ----------
        inputs : (N, T) ids of the characters read
        targets : (N, T) ids of the characters to predict (``inputs`` shifted by one)
        h0 : (N, H) initial hidden state, or None for zeros

        Returns
        -------
        loss : float
        grads : dict name -> gradient, the shapes of ``self.params``
        h_last : (N, H) final hidden state, to carry into the next chunk
        """
        scores, h_last, cache = self.forward(inputs, h0)
        loss, dscores = temporal_softmax_cross_entropy(
            scores, targets, normalize="tokens"
        )
        grads, _ = self.backward(dscores, cache)
        return loss, grads, h_last

    def evaluate(self, ids, N: int = 16, T: int = 100) -> float:
        """Mean loss per character (nats) over a whole id sequence, without gradients.

        The sequence is read as ``N`` streams in chunks of ``T`` steps, carrying the hidden state
        across chunks exactly as in training (``rnnbook.data.tbptt_batches``).
        """
        h = self.init_hidden(N)
        total, count = 0.0, 0
        if num_tbptt_batches(len(ids), N, T) == 0:
            raise ValueError(
                f"{len(ids)} ids are too few for one chunk of N={N} streams x T={T} steps"
            )
        for inputs, targets in tbptt_batches(ids, N, T):
            scores, h, _ = self.forward(inputs, h)
            loss, _ = temporal_softmax_cross_entropy(
                scores, targets, normalize="tokens"
            )
            total += loss * inputs.size
            count += inputs.size
        return total / count

    def sample(
        self, prefix, n: int, temperature: float = 1.0, rng=None, greedy: bool = False
    ):
        """Generate ``n`` characters after reading ``prefix``.

        Parameters
        ----------
        prefix : (P,) ids with P >= 1, read first to set the hidden state
        n : number of characters to generate
        temperature : divides the scores before the softmax (see ``softmax_with_temperature``)
        rng : ``np.random.Generator`` (or a seed) that draws the characters
        greedy : take the most likely character instead of sampling

        Returns
        -------
        ids : (n,) int64 generated ids (the prefix not included)
        """
        prefix = np.asarray(prefix)
        if prefix.ndim != 1 or prefix.size == 0:
            raise ValueError(
                f"expected a non-empty prefix of shape (P,), got {prefix.shape}"
            )
        rng = np.random.default_rng(rng)
        p = self.params
        scores, h, _ = self.forward(prefix[None, :])  # h: (1, H)
        s = scores[0, -1]
        out = np.empty(n, dtype=np.int64)
        for i in range(n):
            if greedy:
                c = int(np.argmax(s))
            else:
                probs = softmax_with_temperature(s, temperature)
                c = int(rng.choice(self.V, p=probs))
            out[i] = c
            x = np.zeros((1, self.V), dtype=self.dtype)
            x[0, c] = 1.0
            h, _ = rnn_step_forward(x, h, p["Wxh"], p["Whh"], p["bh"])
            s = h[0] @ p["Why"].T + p["by"]
        return out
