"""Exercise set 11, "Recurrent layers in Keras": tests for solutions/11_keras_recurrent_layers.

The references are computed here, independently of the learner's code and without TensorFlow:

* 11.1: ``expected_shapes`` spells out Keras' rules case by case (tests/test_keras_interop.py
  checks this table against real Keras layers);
* 11.2: a loop over the sequences, averaging only the real steps (``h[n, mask[n]]``);
* 11.3: one step of an LSTM written in Keras' own layout (``x @ kernel + h @ recurrent_kernel +
  bias``, split i, f, c, o) against the package's ``lstm_step_forward`` run on the learner's
  converted weights: the conversion is judged by what it computes;
* 11.4: the masked steps are *removed* from each sequence and the remaining ones run with the
  Keras-layout step above: a state that masked steps leave unchanged is the state of the
  shortened sequence.
"""

from __future__ import annotations

import numpy as np

from rnnbook.grading import ExerciseSet
from rnnbook.scratch.lstm import lstm_step_forward

SET = ExerciseSet("11", "Recurrent layers in Keras")


# --------------------------------------------------------------------------------------------
# 11.1 What a layer returns

# (kind, return_sequences, return_state, bidirectional); bidirectional is None (no wrapper),
# a merge mode ("concat", "sum", "ave", "mul") or "unmerged" (merge_mode=None).
CONFIGS = [
    ("LSTM", False, False, None),
    ("GRU", True, False, None),
    ("SimpleRNN", False, True, None),
    ("GRU", True, True, None),
    ("LSTM", False, True, None),
    ("LSTM", True, True, None),
    ("GRU", True, False, "concat"),
    ("LSTM", False, False, "sum"),
    ("SimpleRNN", True, False, "ave"),
    ("GRU", True, False, "unmerged"),
    ("LSTM", True, True, "concat"),
    ("GRU", False, True, "mul"),
    ("LSTM", False, True, "unmerged"),
]


def expected_shapes(config, N, T, H):
    """The shapes Keras returns for ``config`` (see CONFIGS), as a list in Keras' order."""
    kind, return_sequences, return_state, bidirectional = config
    per_step = (N, T, H) if return_sequences else (N, H)
    if bidirectional is None:
        outputs = [per_step]
        directions = 1
    elif bidirectional == "concat":
        outputs = [per_step[:-1] + (2 * H,)]
        directions = 2
    elif bidirectional == "unmerged":
        outputs = [per_step, per_step]
        directions = 2
    else:  # sum, ave, mul: elementwise, H features
        outputs = [per_step]
        directions = 2
    if not return_state:
        return outputs
    states_per_direction = 2 if kind == "LSTM" else 1  # h (and c)
    return outputs + [(N, H)] * (states_per_direction * directions)


def _as_shape_list(t, value):
    if not isinstance(value, (list, tuple)):
        t.fail(
            f"the result should be a list of shape tuples, got {type(value).__name__}"
        )
    try:
        return [tuple(int(d) for d in s) for s in value]
    except (TypeError, ValueError):
        t.fail(f"the result should be a list of shape tuples of ints, got {value!r}")


def _check_shapes(t, configs, N=8, T=20, H=16):
    for config in configs:
        kind, rs, st, bi = config
        got = _as_shape_list(
            t,
            t.call(
                kind, N, T, H, return_sequences=rs, return_state=st, bidirectional=bi
            ),
        )
        expected = expected_shapes(config, N, T, H)
        args = f"{kind}, return_sequences={rs}, return_state={st}, bidirectional={bi!r}"
        t.expect(
            got == expected,
            f"for {args} (N={N}, T={T}, H={H}) Keras returns {expected}, got {got}",
        )


@SET.exercise("11.1", "keras_output_shapes", points=3)
def _(t):
    with t.case("a single layer: return_sequences picks (N, T, H) or (N, H)", points=1):
        _check_shapes(t, CONFIGS[:2])
    with t.case(
        "return_state appends the final states: h, and c for an LSTM", points=1
    ):
        _check_shapes(t, CONFIGS[2:6])
        _check_shapes(t, [CONFIGS[4]], N=1, T=1, H=3)
    with t.case(
        "Bidirectional: the merge mode sets the output; two directions of states",
        points=1,
    ):
        _check_shapes(t, CONFIGS[6:])


# --------------------------------------------------------------------------------------------
# 11.2 A masking-aware mean over time


def _mean_case(seed, lengths, H=3, garbage=True):
    rng = np.random.default_rng(seed)
    N, T = len(lengths), max(lengths)
    h = rng.standard_normal((N, T, H))
    mask = np.arange(T)[None, :] < np.asarray(lengths)[:, None]
    if not garbage:
        h[~mask] = 0.0
    expected = np.stack([h[n][mask[n]].mean(axis=0) for n in range(N)])
    return h, mask, expected


@SET.exercise("11.2", "masked_mean", points=3)
def _(t):
    with t.case("returns (N, H); without padding it is the mean over time", points=1):
        h, mask, expected = _mean_case(111, [4, 4, 4])
        got = t.call(h, mask)
        t.expect_shape(got, (3, 3), "the mean")
        t.expect_close(
            got, expected, "the mean with no padding", rtol=1e-10, atol=1e-12
        )
    with t.case(
        "zero padding: divide by each sequence's real length, not by T", points=1
    ):
        h, mask, expected = _mean_case(112, [5, 2, 3, 1], garbage=False)
        t.expect_close(
            t.call(h, mask),
            expected,
            "the mean of zero-padded rows",
            rtol=1e-10,
            atol=1e-12,
        )
    with t.case(
        "padded steps holding non-zero values (a layer ran over them) must not count",
        points=1,
    ):
        h, mask, expected = _mean_case(113, [6, 1, 4, 2, 6])
        t.expect_close(
            t.call(h, mask), expected, "the mean of padded rows", rtol=1e-10, atol=1e-12
        )
        mask_holes = mask.copy()
        mask_holes[0, 2] = False  # masks may have holes; only True steps count
        expected_holes = expected.copy()
        expected_holes[0] = h[0][mask_holes[0]].mean(axis=0)
        t.expect_close(
            t.call(h, mask_holes),
            expected_holes,
            "the mean with a masked step inside a sequence",
            rtol=1e-10,
            atol=1e-12,
        )


# --------------------------------------------------------------------------------------------
# 11.3 Keras LSTM -> NumPy


def keras_lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One LSTM step written in Keras' layout: z = x K + h R + b, gate blocks i, f, c, o."""
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    i, f, g, o = np.split(z, 4, axis=1)

    def sigma(a):
        return 1.0 / (1.0 + np.exp(-a))

    c = sigma(f) * c_prev + sigma(i) * np.tanh(g)
    return sigma(o) * np.tanh(c), c


def _keras_weights(rng, D, H):
    return (
        rng.standard_normal((D, 4 * H)) / np.sqrt(D),
        rng.standard_normal((H, 4 * H)) / np.sqrt(H),
        0.5 * rng.standard_normal(4 * H),
    )


def _check_step(t, weights, N, what):
    rng = np.random.default_rng(N + 1000)
    H = weights[1].shape[0]
    x = rng.standard_normal((N, weights[0].shape[0]))
    h_prev, c_prev = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = t.expect_tuple(t.call(*weights), 3, "(Wx, Wh, b)")
    for name, value, shape in [("Wx", Wx, (4 * H, x.shape[1])), ("Wh", Wh, (4 * H, H))]:
        t.expect_shape(value, shape, name)
    t.expect_shape(b, (4 * H,), "b")
    (h_ours, c_ours), _ = lstm_step_forward(
        x, h_prev, c_prev, np.asarray(Wx), np.asarray(Wh), np.asarray(b)
    )
    h_keras, c_keras = keras_lstm_step(x, h_prev, c_prev, *weights)
    t.expect_close(c_ours, c_keras, f"c_t {what}", rtol=1e-10, atol=1e-12)
    t.expect_close(h_ours, h_keras, f"h_t {what}", rtol=1e-10, atol=1e-12)


@SET.exercise("11.3", "keras_lstm_to_numpy", points=4)
def _(t):
    rng = np.random.default_rng(131)
    weights = _keras_weights(rng, 3, 5)
    with t.case("returns Wx (4H, D), Wh (4H, H), b (4H,)", points=1):
        Wx, Wh, b = t.expect_tuple(t.call(*weights), 3, "(Wx, Wh, b)")
        t.expect_shape(Wx, (20, 3), "Wx")
        t.expect_shape(Wh, (20, 5), "Wh")
        t.expect_shape(b, (20,), "b")
    with t.case(
        "lstm_step_forward with the converted weights computes Keras' LSTM step",
        points=2,
    ):
        _check_step(t, weights, 4, "of lstm_step_forward with your (Wx, Wh, b)")
    with t.case("other sizes: D = H, D > 4H, one unit", points=1):
        for seed, D, H in [(132, 4, 4), (133, 9, 2), (134, 1, 1)]:
            _check_step(
                t,
                _keras_weights(np.random.default_rng(seed), D, H),
                2,
                f"for D={D}, H={H}",
            )


# --------------------------------------------------------------------------------------------
# 11.4 The final state of a masked LSTM


def _masked_reference(x, mask, kernel, recurrent_kernel, bias):
    """Run each sequence with its masked steps removed: that is what the mask means."""
    N, H = x.shape[0], recurrent_kernel.shape[0]
    h_last, c_last = np.zeros((N, H)), np.zeros((N, H))
    for n in range(N):
        h, c = np.zeros((1, H)), np.zeros((1, H))
        for x_t in x[n][mask[n]]:
            h, c = keras_lstm_step(x_t[None], h, c, kernel, recurrent_kernel, bias)
        h_last[n], c_last[n] = h[0], c[0]
    return h_last, c_last


def _masked_case(seed, lengths, D=3, H=4, holes=()):
    rng = np.random.default_rng(seed)
    N, T = len(lengths), max(lengths)
    x = rng.standard_normal((N, T, D))
    mask = np.arange(T)[None, :] < np.asarray(lengths)[:, None]
    for n, t in holes:
        mask[n, t] = False
    x[~mask] = 0.0  # padding as Masking(mask_value=0.0) would see it
    weights = _keras_weights(rng, D, H)
    return (x, mask, *weights), _masked_reference(x, mask, *weights)


def _expect_states(t, args, expected, what):
    N, H = args[0].shape[0], args[3].shape[0]
    h, c = t.expect_tuple(t.call(*args), 2, "(h, c)")
    t.expect_shape(h, (N, H), "h")
    t.expect_shape(c, (N, H), "c")
    t.expect_close(c, expected[1], f"c {what}", rtol=1e-9, atol=1e-12)
    t.expect_close(h, expected[0], f"h {what}", rtol=1e-9, atol=1e-12)


@SET.exercise("11.4", "masked_lstm_final_state", points=5)
def _(t):
    with t.case("returns (h, c), each (N, H)", points=1):
        args, _ = _masked_case(141, [5, 5])
        h, c = t.expect_tuple(t.call(*args), 2, "(h, c)")
        t.expect_shape(h, (2, 4), "h")
        t.expect_shape(c, (2, 4), "c")
    with t.case(
        "no padding: the LSTM's final state (Keras' gate order i, f, c, o)", points=1
    ):
        args, expected = _masked_case(142, [6, 6, 6])
        _expect_states(t, args, expected, "without padding")
    with t.case(
        "right-padded batch: the state at each sequence's last real step, not at step T",
        points=2,
    ):
        args, expected = _masked_case(143, [7, 3, 1, 5])
        _expect_states(t, args, expected, "of a right-padded batch")
    with t.case(
        "a masked step anywhere leaves both h and c unchanged (holes, left padding)",
        points=1,
    ):
        args, expected = _masked_case(144, [6, 5, 6], holes=[(0, 2), (2, 0), (2, 1)])
        _expect_states(t, args, expected, "with masked steps inside the sequences")
