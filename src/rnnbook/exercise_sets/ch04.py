"""Exercise set 04, "Training a character-level RNN": tests for solutions/04_char_rnn_numpy.

Expected values are computed here, independently of the learner's code: top-k probabilities by
sorting and a plain softmax written out row by row, bigram cross-entropies by counting pairs in a
Python loop, RMSprop by the update rule written out step by step (the form of
``torch.optim.RMSprop`` with ``momentum=0, centered=False``), and the character model's loss
with one-hot vectors, one sequence and one step at a time, differentiated by centred
differences.
"""

from __future__ import annotations

import math

import numpy as np

from rnnbook.grading import ExerciseSet
from rnnbook.scratch.gradcheck import numerical_gradient

SET = ExerciseSet("04", "Training a character-level RNN")


# --------------------------------------------------------------------------------------------
# 4.1 Top-k sampling probabilities


def _top_k_reference(scores, k, temperature):
    """Row by row: keep the k largest scores, softmax of (score / temperature) over them."""
    scores = np.asarray(scores, dtype=np.float64)
    out = np.zeros_like(scores)
    for n in range(scores.shape[0]):
        keep = np.argsort(scores[n])[::-1][:k]
        z = scores[n, keep] / temperature
        e = np.exp(z - z.max())
        out[n, keep] = e / e.sum()
    return out


def _distinct_scores(rng, N, V, scale=2.0):
    """Scores without ties (a permutation of spread-out values per row)."""
    base = np.linspace(-scale, scale, V)
    return np.stack(
        [rng.permutation(base) + 1e-3 * rng.standard_normal(V) for _ in range(N)]
    )


@SET.exercise("4.1", "top_k_probs", points=4)
def _(t):
    rng = np.random.default_rng(41)
    with t.case("k = V is the plain temperature softmax", points=1):
        s = _distinct_scores(rng, 3, 6)
        got = t.call(s, 6, 0.7)
        t.expect_shape(got, (3, 6), "the probabilities")
        t.expect_close(
            got,
            _top_k_reference(s, 6, 0.7),
            "the probabilities (k = V)",
            rtol=1e-9,
            atol=1e-12,
        )
    with t.case("k = 1 puts all the probability on the largest score", points=1):
        s = _distinct_scores(rng, 4, 5)
        expected = np.zeros((4, 5))
        expected[np.arange(4), np.argmax(s, axis=1)] = 1.0
        t.expect_close(
            t.call(s, 1, 1.0),
            expected,
            "the probabilities (k = 1)",
            rtol=1e-9,
            atol=1e-12,
        )
    with t.case(
        "general k and temperature: zeros outside the top k, rows sum to 1", points=1
    ):
        for k, tau in ((3, 1.0), (2, 0.5), (4, 2.0)):
            s = _distinct_scores(rng, 5, 7)
            got = t.call(s, k, tau)
            t.expect_close(
                got,
                _top_k_reference(s, k, tau),
                f"the probabilities (k = {k}, temperature {tau})",
                rtol=1e-9,
                atol=1e-12,
            )
    with t.case(
        "large scores (around 1000) give no overflow or NaN; one row (N = 1)", points=1
    ):
        s = 1000.0 + _distinct_scores(rng, 1, 8, scale=50.0)
        got = t.call(s, 3, 0.5)
        t.expect(
            np.all(np.isfinite(np.asarray(got, dtype=float))),
            "the probabilities contain NaN or inf: subtract the row maximum before np.exp",
        )
        t.expect_close(
            got,
            _top_k_reference(s, 3, 0.5),
            "the probabilities (large scores)",
            rtol=1e-9,
            atol=1e-12,
        )


# --------------------------------------------------------------------------------------------
# 4.2 A bigram baseline


def _bigram_reference(train_ids, val_ids, V, alpha):
    counts = [[0] * V for _ in range(V)]
    for a, b in zip(train_ids[:-1].tolist(), train_ids[1:].tolist()):
        counts[a][b] += 1
    total = 0.0
    pairs = list(zip(val_ids[:-1].tolist(), val_ids[1:].tolist()))
    for a, b in pairs:
        row = sum(counts[a])
        total -= math.log((counts[a][b] + alpha) / (row + alpha * V))
    return total / len(pairs)


@SET.exercise("4.2", "bigram_cross_entropy", points=3)
def _(t):
    rng = np.random.default_rng(42)
    with t.case(
        "a hand-sized example: train 'abab', validate 'aba' (V = 2, alpha = 1)",
        points=1,
    ):
        train, val = np.array([0, 1, 0, 1]), np.array([0, 1, 0])
        # counts: a->b twice, b->a once.  P(b|a) = 3/4, P(a|b) = 2/3
        expected = -(math.log(3 / 4) + math.log(2 / 3)) / 2
        got = t.call(train, val, 2)
        t.expect(
            isinstance(got, (float, np.floating)),
            f"return a float, got {type(got).__name__}",
        )
        t.expect(
            math.isclose(float(got), expected, rel_tol=1e-9),
            f"expected {expected:.6f} nats per character, got {float(got):.6f}",
        )
    with t.case(
        "random text with V = 7, alpha = 1 (unseen pairs in the validation text)",
        points=1,
    ):
        train, val = rng.integers(0, 7, size=300), rng.integers(0, 7, size=80)
        val[:3] = [
            6,
            6,
            6,
        ]  # a pair that may never occur in training still gets probability > 0
        expected = _bigram_reference(train, val, 7, 1.0)
        got = float(t.call(train, val, 7))
        t.expect(
            math.isclose(got, expected, rel_tol=1e-9),
            f"expected {expected:.6f}, got {got:.6f}",
        )
    with t.case(
        "another smoothing strength alpha = 0.1, and a character that never occurs in training",
        points=1,
    ):
        train = rng.integers(
            0, 5, size=400
        )  # symbol 5 never occurs in training (V = 6)
        val = np.concatenate([rng.integers(0, 6, size=60), [5, 5]])
        expected = _bigram_reference(train, val, 6, 0.1)
        got = float(t.call(train, val, 6, alpha=0.1))
        t.expect(
            math.isclose(got, expected, rel_tol=1e-9),
            f"expected {expected:.6f}, got {got:.6f}",
        )


# --------------------------------------------------------------------------------------------
# 4.3 An RMSprop step


def _rmsprop_reference(params, grads, state, lr, alpha, eps):
    new_params, new_state = {}, {}
    for name, p in params.items():
        v = state.get(name, np.zeros_like(p))
        v = alpha * v + (1.0 - alpha) * grads[name] ** 2
        new_state[name] = v
        new_params[name] = p - lr * grads[name] / (np.sqrt(v) + eps)
    return new_params, new_state


def _random_dict(rng, shapes, scale=1.0):
    return {k: scale * rng.standard_normal(s) for k, s in shapes.items()}


def _expect_pair_of_dicts(t, got, keys):
    t.expect_tuple(got, 2, "the result (new_params, new_state)")
    for what, d in zip(("new_params", "new_state"), got):
        t.expect(
            isinstance(d, dict), f"{what} should be a dict, got {type(d).__name__}"
        )
        t.expect(
            set(d) == set(keys),
            f"{what} should have the keys {sorted(keys)}, got {sorted(d)}",
        )
    return got


@SET.exercise("4.3", "rmsprop_update", points=3)
def _(t):
    rng = np.random.default_rng(43)
    shapes = {"Whh": (3, 3), "bh": (3,)}
    with t.case("the first step from an empty state", points=1):
        params, grads = _random_dict(rng, shapes), _random_dict(rng, shapes)
        got = _expect_pair_of_dicts(t, t.call(params, grads, {}, 0.01), shapes)
        exp_p, exp_s = _rmsprop_reference(params, grads, {}, 0.01, 0.99, 1e-8)
        for name in shapes:
            t.expect_close(
                got[1][name],
                exp_s[name],
                f"new_state[{name!r}]",
                rtol=1e-10,
                atol=1e-14,
            )
            t.expect_close(
                got[0][name],
                exp_p[name],
                f"new_params[{name!r}]",
                rtol=1e-10,
                atol=1e-14,
            )
    with t.case(
        "five steps in a row, feeding each new state into the next call", points=1
    ):
        params, state = _random_dict(rng, shapes), {}
        ref_p, ref_s = dict(params), {}
        for _ in range(5):
            grads = _random_dict(rng, shapes, scale=10.0 ** rng.uniform(-2, 1))
            params, state = _expect_pair_of_dicts(
                t, t.call(params, grads, state, 0.05, alpha=0.9), shapes
            )
            ref_p, ref_s = _rmsprop_reference(ref_p, grads, ref_s, 0.05, 0.9, 1e-8)
        for name in shapes:
            t.expect_close(
                params[name],
                ref_p[name],
                f"the parameters {name!r} after 5 steps",
                rtol=1e-10,
                atol=1e-14,
            )
    with t.case(
        "eps is added to the square root, not inside it (eps = 0.1, a tiny gradient)",
        points=1,
    ):
        params = {"w": np.array([1.0, -2.0])}
        grads = {"w": np.array([1e-4, -3e-4])}
        got = _expect_pair_of_dicts(t, t.call(params, grads, {}, 0.1, eps=0.1), ["w"])
        exp_p, _ = _rmsprop_reference(params, grads, {}, 0.1, 0.99, 0.1)
        t.expect_close(
            got[0]["w"], exp_p["w"], "new_params['w']", rtol=1e-10, atol=1e-14
        )


# --------------------------------------------------------------------------------------------
# 4.4 The training step of a character model with an embedding lookup


CHAR_NAMES = ("Wxh", "Whh", "bh", "Why", "by")


def _char_params(rng, V, H):
    k = 1.0 / np.sqrt(H)
    shapes = {"Wxh": (H, V), "Whh": (H, H), "bh": (H,), "Why": (V, H), "by": (V,)}
    return {name: rng.uniform(-k, k, size=s) for name, s in shapes.items()}


def _char_forward(params, inputs, targets, h0):
    """Mean loss and final states, with one-hot inputs, one sequence and one step at a time."""
    V = params["Why"].shape[0]
    N, T = inputs.shape
    total, h_last = 0.0, np.empty_like(h0)
    for n in range(N):
        h = h0[n]
        for t in range(T):
            x = np.zeros(V)
            x[inputs[n, t]] = 1.0
            h = np.tanh(params["Wxh"] @ x + params["Whh"] @ h + params["bh"])
            s = params["Why"] @ h + params["by"]
            total += np.log(np.sum(np.exp(s - s.max()))) + s.max() - s[targets[n, t]]
        h_last[n] = h
    return total / (N * T), h_last


def _char_case(seed, N, T, V, H, carried=False, repeat=False):
    rng = np.random.default_rng(seed)
    params = _char_params(rng, V, H)
    inputs = rng.integers(0, V, size=(N, T))
    if repeat:  # the same character read by every sequence at two steps
        inputs[:, 1] = 2
        inputs[:, -1] = 2
    targets = rng.integers(0, V, size=(N, T))
    h0 = 0.5 * rng.standard_normal((N, H)) if carried else np.zeros((N, H))
    loss, h_last = _char_forward(params, inputs, targets, h0)
    work = {k: v.copy() for k, v in params.items()}
    grads = {
        name: numerical_gradient(
            lambda _: _char_forward(work, inputs, targets, h0)[0], work[name]
        )
        for name in CHAR_NAMES
    }
    return (params, inputs, targets, h0), loss, grads, h_last


def _expect_step(t, got, what):
    loss, grads, h_last = t.expect_tuple(got, 3, f"{what}: the result")
    t.expect(
        isinstance(grads, dict) and set(grads) == set(CHAR_NAMES),
        f"{what}: grads should be a dict with the keys {list(CHAR_NAMES)}",
    )
    return loss, grads, h_last


@SET.exercise("4.4", "char_rnn_step", points=6)
def _(t):
    args, loss, grads, h_last = _char_case(44, 2, 5, 6, 4)
    with t.case(
        "the loss (mean over all N*T characters) and h_last from h0 = 0", points=1
    ):
        got_loss, _, got_h = _expect_step(t, t.call(*args), "char_rnn_step")
        t.expect_close(got_loss, loss, "the loss", rtol=1e-7, atol=1e-10)
        t.expect_shape(got_h, h_last.shape, "h_last")
        t.expect_close(got_h, h_last, "h_last", rtol=1e-7, atol=1e-10)
    with t.case("dWhy and dby (the output layer, summed over steps)", points=1):
        _, got, _ = _expect_step(t, t.call(*args), "char_rnn_step")
        for name in ("Why", "by"):
            t.expect_close(
                got[name], grads[name], f"grads[{name!r}]", rtol=1e-5, atol=1e-8
            )
    with t.case("dWhh, dbh and dWxh: backpropagation through time", points=1):
        _, got, _ = _expect_step(t, t.call(*args), "char_rnn_step")
        for name in ("Whh", "bh", "Wxh"):
            t.expect_close(
                got[name], grads[name], f"grads[{name!r}]", rtol=1e-5, atol=1e-8
            )
    with t.case(
        "dWxh when several sequences read the same character at the same step", points=1
    ):
        args_r, _, grads_r, _ = _char_case(45, 3, 4, 5, 3, repeat=True)
        _, got, _ = _expect_step(t, t.call(*args_r), "char_rnn_step")
        t.expect_close(
            got["Wxh"],
            grads_r["Wxh"],
            "grads['Wxh'] with a character repeated across the batch (every read adds up)",
            rtol=1e-5,
            atol=1e-8,
        )
    with t.case(
        "a carried state: h0 is used, and two chunks in a row equal one long chunk",
        points=1,
    ):
        args_c, loss_c, grads_c, h_last_c = _char_case(46, 2, 6, 5, 4, carried=True)
        got_loss, got, got_h = _expect_step(t, t.call(*args_c), "char_rnn_step")
        t.expect_close(
            got_loss, loss_c, "the loss from a non-zero h0", rtol=1e-7, atol=1e-10
        )
        t.expect_close(got["Whh"], grads_c["Whh"], "grads['Whh'] from a non-zero h0")
        params, inputs, targets, h0 = args_c
        _, _, h_mid = _expect_step(
            t, t.call(params, inputs[:, :3], targets[:, :3], h0), "the first half"
        )
        _, _, h_end = _expect_step(
            t, t.call(params, inputs[:, 3:], targets[:, 3:], h_mid), "the second half"
        )
        t.expect_close(
            h_end,
            h_last_c,
            "h_last after two chunks of 3 (vs one chunk of 6)",
            rtol=1e-7,
        )
    with t.case("edge sizes: N = 1, T = 1, H = 1 (all gradients)", points=1):
        for seed, N, T, V, H in [(47, 1, 3, 4, 2), (48, 3, 1, 4, 3), (49, 1, 1, 3, 1)]:
            args_e, loss_e, grads_e, _ = _char_case(seed, N, T, V, H, carried=True)
            got_loss, got, _ = _expect_step(t, t.call(*args_e), "char_rnn_step")
            label = f"N={N}, T={T}, H={H}"
            t.expect_close(
                got_loss, loss_e, f"the loss for {label}", rtol=1e-7, atol=1e-10
            )
            for name in CHAR_NAMES:
                t.expect_close(
                    got[name],
                    grads_e[name],
                    f"grads[{name!r}] for {label}",
                    rtol=1e-5,
                    atol=1e-8,
                )
