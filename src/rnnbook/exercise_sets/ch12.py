"""Exercise set 12, "One model, three implementations": tests for solutions/12_one_model_three_
implementations.

The references are independent of the learner's code and need no framework at grading time:

* 12.1: a Python loop over the steps, one relative difference at a time;
* 12.2: parameter values after one to three steps of the real ``torch.optim.Adam`` (torch 2.13)
  and ``keras.optimizers.Adam`` (Keras 3.15), computed once offline in float64 and stored
  below; ``tests/test_convert.py`` recomputes them with both frameworks when they are
  installed;
* 12.3: the learner's ``state_dict`` arrays are run by a stacked bidirectional LSTM written
  here in PyTorch's layout (``W x + b_ih + W h + b_hh``), and compared with the same network
  written here in Keras' layout (``x K + h R + b``), run on the original Keras weights.
  ``tests/test_convert.py`` checks both against ``torch.nn.LSTM`` and ``keras.layers.LSTM``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("12", "One model, three implementations")


# --------------------------------------------------------------------------------------------
# 12.1 The largest relative difference between two loss curves


def _rel_loop(a, b):
    worst = 0.0
    for x, y in zip(a, b):
        scale = max(abs(x), abs(y))
        if scale > 0:
            worst = max(worst, abs(x - y) / scale)
    return worst


@SET.exercise("12.1", "max_relative_difference", points=3)
def _(t):
    rng = np.random.default_rng(121)
    a = rng.uniform(0.5, 2.0, 40)
    b = a * (1 + 1e-3 * rng.standard_normal(40))
    with t.case("two close curves: the largest relative difference", points=1):
        got = t.call(a, b)
        t.expect_close(
            float(got), _rel_loop(a, b), "the largest relative difference", rtol=1e-9
        )
    with t.case(
        "symmetric: divide by the larger of |a| and |b|, so f(a, b) = f(b, a)",
        points=1,
    ):
        c = np.array([1.0, 2.0, 4.0, 1e-3])
        d = np.array([1.0, 2.0, 4.0, 3e-3])  # the last step differs by a factor of 3
        t.expect_close(float(t.call(c, d)), _rel_loop(c, d), "f(a, b)", rtol=1e-9)
        t.expect_close(float(t.call(d, c)), _rel_loop(c, d), "f(b, a)", rtol=1e-9)
    with t.case(
        "steps where both losses are 0 count as equal (no 0/0 = nan)", points=1
    ):
        e = np.array([0.0, 0.5, 0.0, 0.25])
        f = np.array([0.0, 0.5, 0.0, 0.2])
        got = float(t.call(e, f))
        t.expect(np.isfinite(got), f"expected a finite number, got {got}")
        t.expect_close(got, _rel_loop(e, f), "the largest relative difference")


# --------------------------------------------------------------------------------------------
# 12.2 One Adam step, PyTorch's and Keras' conventions

ADAM_THETA0 = np.array([0.5, -1.2, 0.03, 2.0, -0.7])
ADAM_GRADS = np.array(
    [
        [0.3, -2e-4, 1e-3, -0.05, 4e-5],
        [0.1, 3e-4, -2e-3, -0.04, -1e-5],
        [-0.2, -1e-4, 5e-4, 0.06, 2e-5],
    ]
)
ADAM_HYPER = dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-3)
# theta after steps 1, 2, 3 of torch.optim.Adam(lr=0.1, betas=(0.9, 0.999), eps=1e-3) and of
# keras.optimizers.Adam(learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-3), float64
# (keras.config.set_floatx("float64"), so that the optimizer's own variables are float64)
ADAM_TORCH = [
    [0.4003322259136213, -1.1833333333333333, -0.020000000000000004, 2.0980392156862746,
     -0.7038461538461538],
    [0.3136137253908253, -1.1883659331468286, 0.0024278580726168238, 2.194716436251618,
     -0.7051758174332718],
    [0.29099592198101476, -1.1886086984299424, 0.010212139513982638, 2.206500921935276,
     -0.706736026007915],
]  # fmt: skip
ADAM_KERAS = [
    [0.40953637130946274, -1.1993715235243125, 0.026934677460259335, 2.0612570023892096,
     -0.7001263304651819],
    [0.3303525083407953, -1.1996507188869285, 0.02935221553819548, 2.1273954906261614,
     -0.7001874327761274],
    [0.3094019819398014, -1.1996666907603324, 0.03027522100894287, 2.1362280797910214,
     -0.7002749780274095],
]  # fmt: skip


def _adam_run(t, convention, steps):
    theta, m, v = ADAM_THETA0.copy(), np.zeros(5), np.zeros(5)
    expected = ADAM_TORCH if convention == "torch" else ADAM_KERAS
    for step in range(1, steps + 1):
        result = t.expect_tuple(
            t.call(
                theta, ADAM_GRADS[step - 1], m, v, step, convention=convention,
                **ADAM_HYPER,
            ),
            3,
            "(theta, m, v)",
        )  # fmt: skip
        theta, m, v = (np.asarray(r, dtype=np.float64) for r in result)
        t.expect_shape(theta, (5,), "theta")
        t.expect_close(
            theta,
            np.array(expected[step - 1]),
            f"theta after step {step} ({convention} convention)",
            rtol=RTOL[convention],
            atol=1e-12,
        )


# Keras casts beta_2 = 0.999 to float32 before it reaches the float64 update (1 - beta_2
# becomes 0.0009999871), which moves its result by ~1e-6 relative; the two conventions differ
# by far more (over 1e-2 here), so a tolerance of 1e-5 still tells them apart.
RTOL = {"torch": 1e-9, "keras": 1e-5}


@SET.exercise("12.2", "adam_step", points=4)
def _(t):
    with t.case("PyTorch's convention, the first step", points=1):
        _adam_run(t, "torch", 1)
    with t.case(
        "PyTorch's convention, three steps (moments and bias corrections carry over)",
        points=1,
    ):
        _adam_run(t, "torch", 3)
    with t.case(
        "Keras' convention: epsilon is added to sqrt(v) before the bias correction",
        points=2,
    ):
        _adam_run(t, "keras", 3)


# --------------------------------------------------------------------------------------------
# 12.3 A Keras -> PyTorch converter for a stacked bidirectional LSTM


def _sigma(a):
    return 1.0 / (1.0 + np.exp(-a))


def _lstm_torch_layout(x, w_ih, w_hh, b_ih, b_hh):
    """One direction in PyTorch's layout: a = W_ih x + b_ih + W_hh h + b_hh (i, f, g, o)."""
    N, T, _ = x.shape
    H = w_hh.shape[1]
    h, c, out = np.zeros((N, H)), np.zeros((N, H)), []
    for step in range(T):
        a = x[:, step] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
        c = _sigma(f) * c + _sigma(i) * np.tanh(g)
        h = _sigma(o) * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def _lstm_keras_layout(x, kernel, recurrent_kernel, bias):
    """One direction in Keras' layout: z = x K + h R + b, blocks i, f, c, o."""
    N, T, _ = x.shape
    H = recurrent_kernel.shape[0]
    h, c, out = np.zeros((N, H)), np.zeros((N, H)), []
    for step in range(T):
        z = x[:, step] @ kernel + h @ recurrent_kernel + bias
        zi, zf, zc, zo = np.split(z, 4, axis=1)
        c = _sigma(zf) * c + _sigma(zi) * np.tanh(zc)
        h = _sigma(zo) * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def _stack(x, layers, run):
    """Stacked bidirectional: direction 1 runs on the reversed sequence, outputs concatenated."""
    for dirs in layers:
        outs = [run(x, *dirs[0])]
        if len(dirs) == 2:
            outs.append(run(x[:, ::-1], *dirs[1])[:, ::-1])
        x = np.concatenate(outs, axis=2)
    return x


def torch_names(num_layers, bidirectional):
    """The parameter names of torch.nn.LSTM(num_layers, bidirectional), in its order."""
    names = []
    for layer in range(num_layers):
        for sfx in ("", "_reverse") if bidirectional else ("",):
            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                names.append(f"{w}_l{layer}{sfx}")
    return names


def _keras_weights(rng, D, H, num_layers, bidirectional):
    dirs = 2 if bidirectional else 1
    layers = []
    for layer in range(num_layers):
        d_in = D if layer == 0 else dirs * H
        layers.append(
            [
                [
                    rng.standard_normal((d_in, 4 * H)) / np.sqrt(d_in),
                    rng.standard_normal((H, 4 * H)) / np.sqrt(H),
                    0.5 * rng.standard_normal(4 * H),
                ]
                for _ in range(dirs)
            ]
        )
    return layers


def _check_converter(t, seed, D, H, num_layers, bidirectional, N=3, T=5):
    rng = np.random.default_rng(seed)
    kw = _keras_weights(rng, D, H, num_layers, bidirectional)
    x = rng.standard_normal((N, T, D))
    sd = t.call(kw)
    if not isinstance(sd, dict):
        t.fail(f"expected a dict name -> array, got {type(sd).__name__}")
    expected_names = torch_names(num_layers, bidirectional)
    missing = [n for n in expected_names if n not in sd]
    extra = [n for n in sd if n not in expected_names]
    t.expect(
        not missing and not extra,
        f"for {num_layers} layer(s), bidirectional={bidirectional}, torch.nn.LSTM has "
        f"the parameters {expected_names}; missing {missing}, unexpected {extra}",
    )
    dirs = 2 if bidirectional else 1
    torch_layers = []
    for layer in range(num_layers):
        d_in = D if layer == 0 else dirs * H
        shapes = [(4 * H, d_in), (4 * H, H), (4 * H,), (4 * H,)]
        per_dir = []
        for d in range(dirs):
            names = [
                n for n in expected_names if n.endswith(f"_l{layer}" + "_reverse" * d)
            ]
            arrays = [np.asarray(sd[n], dtype=np.float64) for n in names]
            for name, a, shape in zip(names, arrays, shapes):
                t.expect_shape(a, shape, name)
            per_dir.append(arrays)
        torch_layers.append(per_dir)
    got = _stack(x, torch_layers, _lstm_torch_layout)
    expected = _stack(x, kw, _lstm_keras_layout)
    t.expect_close(
        got,
        expected,
        f"the output of the converted {num_layers}-layer LSTM "
        f"(bidirectional={bidirectional}) against the Keras one",
        rtol=1e-9,
        atol=1e-12,
    )


@SET.exercise("12.3", "keras_lstm_to_torch", points=5)
def _(t):
    with t.case("one layer, one direction: names, shapes and outputs", points=1):
        _check_converter(t, 1231, D=3, H=4, num_layers=1, bidirectional=False)
    with t.case("one bidirectional layer: the backward layer is _reverse", points=1):
        _check_converter(t, 1232, D=3, H=4, num_layers=1, bidirectional=True)
    with t.case("two stacked unidirectional layers: layer k is _l{k}", points=1):
        _check_converter(t, 1233, D=2, H=3, num_layers=2, bidirectional=False)
    with t.case(
        "three stacked bidirectional layers: upper layers read 2H inputs", points=2
    ):
        _check_converter(t, 1234, D=5, H=3, num_layers=3, bidirectional=True)
