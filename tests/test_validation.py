"""Every public function of the NumPy layers rejects every malformed argument by name.

The rules (written in each module's docstring and in book/notation.md):

* an array argument is a float ``numpy.ndarray`` of exactly its documented shape: a scalar, a
  list, an array of the wrong rank or size, and a (1, H) or (H,) array that NumPy would
  broadcast across the batch all raise an error whose message names the argument;
* every size is at least 1: an empty sequence (T = 0) is rejected by every layer;
* a ``cache`` is the tuple the matching forward function returned;
* dtype: forward in ``np.result_type`` of the inputs, backward in ``np.result_type`` of the
  cached forward values and the upstream gradients (NumPy promotion; nothing is cast down).

The malformed arguments are generated from each function's shape table, so a new argument of an
existing function is covered by adding one line to ``CASES``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from rnnbook import shapes
from rnnbook.scratch import gru, layers, losses, lstm, rnn

N, T, D, H, V = (
    2,
    3,
    4,
    5,
    6,
)  # all different, so a swapped axis is always a wrong shape


def _params(rng, shapes_by_name, dtype=np.float64):
    return {
        k: (0.3 * rng.standard_normal(s)).astype(dtype)
        for k, s in shapes_by_name.items()
    }


# ----------------------------------------------------------------------------- the functions


def _rnn_step(dtype=np.float64):
    rng = np.random.default_rng(0)
    p = _params(
        rng,
        dict(x=(N, D), h_prev=(N, H), Wxh=(H, D), Whh=(H, H), bh=(H,)),
        dtype,
    )
    return p


def _rnn_seq(dtype=np.float64):
    rng = np.random.default_rng(1)
    return _params(
        rng, dict(x=(N, T, D), h0=(N, H), Wxh=(H, D), Whh=(H, H), bh=(H,)), dtype
    )


def _lstm_step(dtype=np.float64):
    rng = np.random.default_rng(2)
    return _params(
        rng,
        dict(
            x=(N, D),
            h_prev=(N, H),
            c_prev=(N, H),
            Wx=(4 * H, D),
            Wh=(4 * H, H),
            b=(4 * H,),
        ),
        dtype,
    )


def _lstm_seq(dtype=np.float64):
    rng = np.random.default_rng(3)
    return _params(
        rng,
        dict(
            x=(N, T, D), h0=(N, H), c0=(N, H), Wx=(4 * H, D), Wh=(4 * H, H), b=(4 * H,)
        ),
        dtype,
    )


def _gru_step(dtype=np.float64):
    rng = np.random.default_rng(4)
    return _params(
        rng,
        dict(
            x=(N, D),
            h_prev=(N, H),
            Wx=(3 * H, D),
            Wh=(3 * H, H),
            bx=(3 * H,),
            bh=(3 * H,),
        ),
        dtype,
    )


def _gru_seq(dtype=np.float64):
    rng = np.random.default_rng(5)
    return _params(
        rng,
        dict(
            x=(N, T, D),
            h0=(N, H),
            Wx=(3 * H, D),
            Wh=(3 * H, H),
            bx=(3 * H,),
            bh=(3 * H,),
        ),
        dtype,
    )


def _affine(dtype=np.float64):
    rng = np.random.default_rng(6)
    return _params(rng, dict(h=(N, T, H), Why=(V, H), by=(V,)), dtype)


def _upstream(shape, dtype=np.float64, seed=7):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _case(fn, args, symbols, fixed=False):
    """fn, its keyword arguments, the symbolic shape of each array argument; ``fixed``: every
    size is set by something other than the arrays passed (a forward cache)."""
    return dict(fn=fn, args=args, symbols=symbols, fixed=fixed)


def make_case(name):
    """A valid call of the public function ``name``: fn, kwargs and the array arguments'
    symbolic shapes."""
    if name == "rnn_step_forward":
        return _case(
            rnn.rnn_step_forward,
            _rnn_step(),
            dict(x="ND", h_prev="NH", Wxh="HD", Whh="HH", bh="H"),
        )
    if name == "rnn_forward":
        return _case(
            rnn.rnn_forward,
            _rnn_seq(),
            dict(x="NTD", h0="NH", Wxh="HD", Whh="HH", bh="H"),
        )
    if name == "rnn_step_backward":
        _, cache = rnn.rnn_step_forward(**_rnn_step())
        args = dict(dh_next=_upstream((N, H)), cache=cache)
        return _case(rnn.rnn_step_backward, args, dict(dh_next="NH"), fixed=True)
    if name == "rnn_backward":
        _, cache = rnn.rnn_forward(**_rnn_seq())
        args = dict(dh=_upstream((N, T, H)), cache=cache)
        return _case(rnn.rnn_backward, args, dict(dh="NTH"), fixed=True)
    if name == "lstm_step_forward":
        return _case(
            lstm.lstm_step_forward,
            _lstm_step(),
            dict(x="ND", h_prev="NH", c_prev="NH", Wx="GD", Wh="GH", b="G"),
        )
    if name == "lstm_forward":
        return _case(
            lstm.lstm_forward,
            _lstm_seq(),
            dict(x="NTD", h0="NH", c0="NH", Wx="GD", Wh="GH", b="G"),
        )
    if name == "lstm_step_backward":
        _, cache = lstm.lstm_step_forward(**_lstm_step())
        args = dict(
            dh_next=_upstream((N, H)), dc_next=_upstream((N, H), seed=8), cache=cache
        )
        return _case(
            lstm.lstm_step_backward, args, dict(dh_next="NH", dc_next="NH"), fixed=True
        )
    if name == "lstm_backward":
        _, cache = lstm.lstm_forward(**_lstm_seq())
        args = dict(
            dh=_upstream((N, T, H)), cache=cache, dc_T=_upstream((N, H), seed=8)
        )
        return _case(lstm.lstm_backward, args, dict(dh="NTH", dc_T="NH"), fixed=True)
    if name == "gru_step_forward":
        return _case(
            gru.gru_step_forward,
            _gru_step(),
            dict(x="ND", h_prev="NH", Wx="GD", Wh="GH", bx="G", bh="G"),
        )
    if name == "gru_forward":
        return _case(
            gru.gru_forward,
            _gru_seq(),
            dict(x="NTD", h0="NH", Wx="GD", Wh="GH", bx="G", bh="G"),
        )
    if name == "gru_step_backward":
        _, cache = gru.gru_step_forward(**_gru_step())
        args = dict(dh_next=_upstream((N, H)), cache=cache)
        return _case(gru.gru_step_backward, args, dict(dh_next="NH"), fixed=True)
    if name == "gru_backward":
        _, cache = gru.gru_forward(**_gru_seq())
        args = dict(dh=_upstream((N, T, H)), cache=cache)
        return _case(gru.gru_backward, args, dict(dh="NTH"), fixed=True)
    if name == "temporal_affine_forward":
        return _case(
            layers.temporal_affine_forward, _affine(), dict(h="NTH", Why="VH", by="V")
        )
    if name == "temporal_affine_backward":
        _, cache = layers.temporal_affine_forward(**_affine())
        args = dict(dscores=_upstream((N, T, V)), cache=cache)
        return _case(layers.temporal_affine_backward, args, dict(dscores="NTV"), True)
    if name == "temporal_softmax_cross_entropy":
        # scores defines N, T and V; targets and mask are checked against it below.
        args = dict(
            scores=_upstream((N, T, V)),
            targets=np.zeros((N, T), dtype=np.int64),
            mask=np.ones((N, T), dtype=bool),
        )
        return _case(losses.temporal_softmax_cross_entropy, args, dict(scores="NTV"))
    raise KeyError(name)


CASES = [
    "rnn_step_forward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_backward",
    "lstm_step_forward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_backward",
    "gru_step_forward",
    "gru_forward",
    "gru_step_backward",
    "gru_backward",
    "temporal_affine_forward",
    "temporal_affine_backward",
    "temporal_softmax_cross_entropy",
]
SEQUENCE_FORWARD = ["rnn_forward", "lstm_forward", "gru_forward"]


def _names_argument(message: str, name: str) -> bool:
    """The message is about ``name``: it starts with "expected <name>", or (when two arrays tie
    on a size and the vote cannot tell which is wrong) it names ``name`` as the other suspect."""
    n = re.escape(name)
    return bool(
        re.match(rf"expected {n}\b", message)
        or re.search(rf"was read from {n} of shape", message)
    )


def _call_expecting_error(case, name, value, exc=(TypeError, ValueError)):
    args = dict(case["args"])
    args[name] = value
    with pytest.raises(exc) as excinfo:
        case["fn"](**args)
    message = str(excinfo.value)
    assert _names_argument(message, name), (
        f"{case['fn'].__name__}({name}=<{type(value).__name__} "
        f"{getattr(value, 'shape', '')}>) raised {message!r}, which does not name {name}"
    )
    return excinfo


# ----------------------------------------------------------------------------- malformations


def _grow(arr, axis, by=1):
    """``arr`` with ``by`` more entries along ``axis`` (a wrong size, same rank)."""
    extra = np.take(arr, [0] * by, axis=axis)
    return np.concatenate([arr, extra], axis=axis)


def _malformed(arr: np.ndarray, symbols: str, shared: set[str]):
    """(label, bad value) pairs for one float array argument of symbolic shape ``symbols``."""
    out = [
        ("python scalar", 1.0),
        ("numpy scalar", np.float64(1.0)),
        ("list", arr.tolist()),
        ("0-d array", np.array(1.0)),
        ("extra leading axis", arr[None]),
        ("one axis fewer", arr[0]),
        ("int dtype", arr.astype(np.int64)),
        ("bool dtype", arr > 0),
        ("str dtype", arr.astype(str)),
        ("complex dtype", arr.astype(np.complex128)),
        ("object dtype", arr.astype(object)),
    ]
    for axis, symbol in enumerate(symbols):
        out.append((f"empty axis {axis} ({symbol} = 0)", np.take(arr, [], axis=axis)))
        if symbol in shared:
            out.append((f"axis {axis} ({symbol}) one too long", _grow(arr, axis)))
            if arr.shape[axis] > 1:
                # (1, H) or (1, T, H): what NumPy would broadcast across the batch
                out.append(
                    (f"axis {axis} ({symbol}) of size 1", np.take(arr, [0], axis))
                )
    if arr.ndim == 2:
        out.append(("one row, no batch axis (H,)", arr[0]))
        if arr.shape[0] != arr.shape[1]:
            out.append(("transposed", arr.T))
    return out


def _shared_symbols(case) -> dict[str, set[str]]:
    """Per argument, the symbols that some other array (or the cache) also fixes: a wrong size
    there is an error; a size that only this array sets (T of x in a forward pass) is free."""
    symbols = case["symbols"]
    if case["fixed"]:
        return {name: set(s) for name, s in symbols.items()}
    out = {}
    for name, s in symbols.items():
        others = "".join(v for k, v in symbols.items() if k != name)
        out[name] = {sym for sym in s if sym in others}
    return out


def _malformed_calls():
    for case_name in CASES:
        case = make_case(case_name)
        shared = _shared_symbols(case)
        for arg, symbols in case["symbols"].items():
            bad = _malformed(case["args"][arg], symbols, shared[arg])
            labels = [label for label, _ in bad]
            if arg != "dc_T":  # dc_T=None is valid (it means a zero gradient)
                labels.append("none")
            for label in labels:
                yield pytest.param(
                    case_name, arg, label, id=f"{case_name}-{arg}-{label}"
                )


@pytest.mark.parametrize("case_name,arg,label", list(_malformed_calls()))
def test_malformed_array_argument_is_named(case_name, arg, label):
    case = make_case(case_name)
    shared = _shared_symbols(case)
    bad = dict(_malformed(case["args"][arg], case["symbols"][arg], shared[arg]))
    value = None if label == "none" else bad[label]
    _call_expecting_error(case, arg, value)


@pytest.mark.parametrize("case_name", CASES)
def test_valid_call_passes(case_name):
    """The generated calls are valid, so each rejection above is caused by its one change."""
    case = make_case(case_name)
    case["fn"](**case["args"])


# ----------------------------------------------------------------------------- upstream gradients
# The examples: gradients of shape (1, H), (H,) or a scalar used to broadcast silently.


@pytest.mark.parametrize(
    "case_name,arg",
    [
        ("rnn_step_backward", "dh_next"),
        ("lstm_step_backward", "dh_next"),
        ("lstm_step_backward", "dc_next"),
        ("gru_step_backward", "dh_next"),
    ],
)
@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda g: g[:1], id="(1, H)"),
        pytest.param(lambda g: g[0], id="(H,)"),
        pytest.param(lambda g: 0.5, id="scalar"),
        pytest.param(lambda g: np.ones((N, H + 1)), id="(N, H+1)"),
        pytest.param(lambda g: np.ones((N, 1)), id="(N, 1)"),
    ],
)
def test_step_gradient_never_broadcasts(case_name, arg, bad):
    case = make_case(case_name)
    value = bad(case["args"][arg])
    excinfo = _call_expecting_error(case, arg, value)
    if isinstance(value, np.ndarray) and value.ndim == 2:
        # the expected shape is spelled out
        assert f"= ({N}, {H})" in str(excinfo.value)


# ----------------------------------------------------------------------------- caches


def _caches():
    """One valid cache of each kind, to pass to the wrong backward function."""
    return {
        "rnn_step_forward": rnn.rnn_step_forward(**_rnn_step())[1],
        "rnn_forward": rnn.rnn_forward(**_rnn_seq())[1],
        "lstm_step_forward": lstm.lstm_step_forward(**_lstm_step())[1],
        "lstm_forward": lstm.lstm_forward(**_lstm_seq())[1],
        "gru_step_forward": gru.gru_step_forward(**_gru_step())[1],
        "gru_forward": gru.gru_forward(**_gru_seq())[1],
        "temporal_affine_forward": layers.temporal_affine_forward(**_affine())[1],
    }


BACKWARD_OF = {
    "rnn_step_backward": "rnn_step_forward",
    "rnn_backward": "rnn_forward",
    "lstm_step_backward": "lstm_step_forward",
    "lstm_backward": "lstm_forward",
    "gru_step_backward": "gru_step_forward",
    "gru_backward": "gru_forward",
    "temporal_affine_backward": "temporal_affine_forward",
}


@pytest.mark.parametrize("backward", list(BACKWARD_OF))
def test_a_foreign_or_broken_cache_is_named(backward):
    case = make_case(backward)
    producer = BACKWARD_OF[backward]
    caches = _caches()
    bad_caches = [None, [1, 2], (), tuple(caches[producer])[:-1]]
    bad_caches += [c for k, c in caches.items() if k != producer]
    for bad in bad_caches:
        args = dict(case["args"], cache=bad)
        with pytest.raises((TypeError, ValueError)) as excinfo:
            case["fn"](**args)
        assert str(excinfo.value).startswith(
            f"expected cache to be the tuple returned by {producer}"
        ), (backward, type(bad).__name__, str(excinfo.value))


# ----------------------------------------------------------------------------- T = 0


@pytest.mark.parametrize("case_name", SEQUENCE_FORWARD)
def test_empty_sequence_is_rejected_by_every_forward_pass(case_name):
    case = make_case(case_name)
    x = case["args"]["x"][:, :0]
    excinfo = _call_expecting_error(case, "x", x, ValueError)
    assert "T >= 1 (at least one time step)" in str(excinfo.value)
    assert f"got ({N}, 0, {D})" in str(excinfo.value)


@pytest.mark.parametrize(
    "case_name,arg",
    [
        ("rnn_backward", "dh"),
        ("lstm_backward", "dh"),
        ("gru_backward", "dh"),
        ("temporal_affine_backward", "dscores"),
    ],
)
def test_empty_upstream_gradient_is_rejected_by_every_backward_pass(case_name, arg):
    case = make_case(case_name)
    excinfo = _call_expecting_error(case, arg, case["args"][arg][:, :0], ValueError)
    assert f"({N}, 0, " in str(excinfo.value)


def test_empty_sequence_is_rejected_by_the_affine_layer_and_the_loss():
    case = make_case("temporal_affine_forward")
    excinfo = _call_expecting_error(case, "h", case["args"]["h"][:, :0], ValueError)
    assert "T >= 1" in str(excinfo.value)
    case = make_case("temporal_softmax_cross_entropy")
    args = dict(case["args"], scores=np.zeros((N, 0, V)))
    args.update(targets=np.zeros((N, 0), dtype=int), mask=np.ones((N, 0), dtype=bool))
    with pytest.raises(ValueError, match=r"^expected scores .*T >= 1"):
        losses.temporal_softmax_cross_entropy(**args)


# ----------------------------------------------------------------------------- the loss's
# integer and mask arguments


@pytest.mark.parametrize(
    "arg,bad",
    [
        ("targets", np.zeros((N, T), dtype=np.float64)),  # float class indices
        ("targets", np.zeros((N, T), dtype=bool)),
        ("targets", np.array([["a"] * T] * N)),
        ("targets", np.zeros((1, T), dtype=np.int64)),  # would broadcast over the batch
        ("targets", np.zeros((T,), dtype=np.int64)),
        ("targets", np.zeros((N, T + 1), dtype=np.int64)),
        ("targets", 0),  # a scalar
        ("targets", [[0, 1], [2]]),  # ragged
        ("targets", np.full((N, T), V)),  # out of range where the mask is on
        ("targets", np.full((N, T), -1)),
        ("mask", np.ones((1, T), dtype=bool)),
        ("mask", np.ones((N,), dtype=bool)),
        ("mask", np.array([["yes"] * T] * N)),
        ("mask", 1.0),
        ("mask", [[1, 0], [1]]),
    ],
)
def test_loss_integer_and_mask_arguments_are_named(arg, bad):
    case = make_case("temporal_softmax_cross_entropy")
    excinfo = _call_expecting_error(case, arg, bad)
    if arg == "targets" and isinstance(bad, np.ndarray) and bad.dtype.kind == "i":
        assert "targets" in str(excinfo.value)


def test_loss_normalize_is_named():
    case = make_case("temporal_softmax_cross_entropy")
    with pytest.raises(ValueError, match="^normalize must be one of"):
        losses.temporal_softmax_cross_entropy(**case["args"], normalize="mean")


# ----------------------------------------------------------------------------- small helpers


@pytest.mark.parametrize(
    "bad,exc,pattern",
    [
        ([0.0, 1.0], TypeError, "^expected scores to be a numpy array"),
        (2.0, TypeError, "^expected scores to be a numpy array"),
        (np.array(2.0), ValueError, "^expected scores to have at least 1 dimension"),
        (np.array([1, 2]), TypeError, "^expected scores to hold floats"),
        (np.zeros((2, 0)), ValueError, "^expected scores to have at least one class"),
    ],
)
def test_log_softmax_validates_scores(bad, exc, pattern):
    with pytest.raises(exc, match=pattern):
        losses.log_softmax(bad)


def test_log_softmax_validates_axis():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        losses.log_softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="^expected axis to be an integer"):
        losses.log_softmax(np.zeros((2, 3)), axis=1.0)


@pytest.mark.parametrize("module", [lstm, gru])
def test_gate_slice_validates_gate_and_size(module):
    with pytest.raises(ValueError, match="^gate must be one of"):
        module.gate_slice("x", 4)
    for bad, exc in [
        (0, ValueError),
        (-1, ValueError),
        (2.0, TypeError),
        (True, TypeError),
    ]:
        with pytest.raises(exc, match="^expected H to be a positive integer"):
            module.gate_slice(module.GATE_ORDER[0], bad)
    assert module.gate_slice(module.GATE_ORDER[1], np.int64(4)) == slice(4, 8)


def test_sigmoid_accepts_numbers_and_rejects_the_rest():
    assert lstm.sigmoid(0.0) == 0.5
    np.testing.assert_allclose(lstm.sigmoid([0.0, 0.0]), [0.5, 0.5])
    for bad in ["a", np.array(["a"]), np.array([True]), None]:
        with pytest.raises(TypeError, match="^expected a to hold numbers"):
            lstm.sigmoid(bad)


def test_random_rnn_problem_validates_its_arguments():
    with pytest.raises(TypeError, match="^expected rng to be a numpy.random.Generator"):
        rnn.random_rnn_problem(0, 2, 3, 4, 5, 6)
    rng = np.random.default_rng(0)
    for name, k in zip("NTDHV", range(5)):
        sizes = [2, 3, 4, 5, 6]
        sizes[k] = 0
        with pytest.raises(
            ValueError, match=f"^expected {name} to be a positive integer"
        ):
            rnn.random_rnn_problem(rng, *sizes)
        sizes[k] = 2.5
        with pytest.raises(
            TypeError, match=f"^expected {name} to be a positive integer"
        ):
            rnn.random_rnn_problem(rng, *sizes)


def test_shapes_helpers_name_the_argument():
    sizes = dict(N=2, H=3)
    with pytest.raises(ValueError, match=r"^expected g of shape \(N, H\) = \(2, 3\)"):
        shapes.check_shape("g", np.zeros((1, 3)), ("N", "H"), sizes)
    with pytest.raises(TypeError, match="^expected g to be a numpy array, got float"):
        shapes.check_shape("g", 1.0, ("N", "H"), sizes)
    with pytest.raises(ValueError, match=r"^expected a of shape \(N,\) with N >= 1"):
        shapes.match_shapes({"a": ("N",)}, {"a": np.zeros(0)})
    with pytest.raises(
        TypeError, match="^expected cache to be the tuple returned by f"
    ):
        shapes.check_cache([np.zeros(2)], "f", (1,))
    with pytest.raises(ValueError, match="entry 0 should be a 2-D array, got a 1-D"):
        shapes.check_cache((np.zeros(2),), "f", (2,))


# ----------------------------------------------------------------------------- dtype rule


def _forward_backward(case_name, dtype_in, dtype_up):
    """Forward with every input in ``dtype_in``; backward with upstream gradients in
    ``dtype_up``.  Returns (forward outputs, gradients)."""
    builders = {
        "rnn_step": (_rnn_step, rnn.rnn_step_forward, rnn.rnn_step_backward),
        "rnn": (_rnn_seq, rnn.rnn_forward, rnn.rnn_backward),
        "lstm_step": (_lstm_step, lstm.lstm_step_forward, lstm.lstm_step_backward),
        "lstm": (_lstm_seq, lstm.lstm_forward, lstm.lstm_backward),
        "gru_step": (_gru_step, gru.gru_step_forward, gru.gru_step_backward),
        "gru": (_gru_seq, gru.gru_forward, gru.gru_backward),
        "affine": (_affine, layers.temporal_affine_forward, None),
    }
    make, forward, backward = builders[case_name]
    out, cache = forward(**make(dtype_in))
    outs = out if isinstance(out, tuple) else (out,)
    if case_name == "affine":
        grads = layers.temporal_affine_backward(_upstream(out.shape, dtype_up), cache)
    elif case_name == "lstm_step":
        grads = backward(*[_upstream(o.shape, dtype_up) for o in outs], cache)
    elif case_name == "lstm":
        dh, dc_T = _upstream(outs[0].shape, dtype_up), _upstream((N, H), dtype_up)
        grads = backward(dh, cache, dc_T=dc_T)
        # dc_T alone is promoted too: float32 dh with a float64 dc_T
        mixed = backward(dh.astype(np.float32), cache, dc_T=dc_T.astype(np.float64))
        assert {g.dtype for g in mixed} == {np.result_type(dtype_in, np.float64)}
    else:
        grads = backward(_upstream(outs[0].shape, dtype_up), cache)
    return outs, grads


LAYERS = ["rnn_step", "rnn", "lstm_step", "lstm", "gru_step", "gru", "affine"]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize(
    "dtype_in,dtype_up",
    [
        (np.float32, np.float32),
        (
            np.float32,
            np.float64,
        ),  # float64 upstream on a float32 layer: promoted, not cast down
        (np.float64, np.float32),
        (np.float64, np.float64),
    ],
)
def test_dtype_rule(layer, dtype_in, dtype_up):
    outs, grads = _forward_backward(layer, dtype_in, dtype_up)
    assert {o.dtype for o in outs} == {np.dtype(dtype_in)}
    expected = np.result_type(dtype_in, dtype_up)
    assert [g.dtype for g in grads] == [expected] * len(grads)


@pytest.mark.parametrize("layer", ["rnn", "lstm", "gru"])
def test_float32_layer_with_float64_gradient_is_as_accurate_as_its_forward_values(
    layer,
):
    """Promoting is not just a dtype label: the float64 upstream gradient is not rounded to
    float32, so the result matches the float64 computation on the same float32 forward values
    to float64 precision (up to the float32 rounding of the forward values themselves)."""
    _, g_mixed = _forward_backward(layer, np.float32, np.float64)
    _, g_32 = _forward_backward(layer, np.float32, np.float32)
    _, g_64 = _forward_backward(layer, np.float64, np.float64)
    for gm, g32, g64 in zip(g_mixed, g_32, g_64):
        scale = np.abs(g64).max()
        assert np.abs(gm - g64).max() <= 1e-5 * scale  # forward values are float32
        assert np.abs(g32 - g64).max() <= 1e-5 * scale


def test_mixed_forward_inputs_compute_in_the_widest_dtype():
    p = _rnn_seq(np.float32)
    p["h0"] = p["h0"].astype(np.float64)
    h, cache = rnn.rnn_forward(**p)
    assert h.dtype == np.float64
    grads = rnn.rnn_backward(_upstream(h.shape, np.float32), cache)
    assert all(g.dtype == np.float64 for g in grads)
    p = _gru_seq(np.float32)
    p["bh"] = p["bh"].astype(np.float64)
    h, cache = gru.gru_forward(**p)
    assert h.dtype == np.float64
    assert all(
        g.dtype == np.float64
        for g in gru.gru_backward(_upstream(h.shape, np.float32), cache)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_gradient_has_the_dtype_of_the_scores(dtype):
    scores = _upstream((N, T, V), dtype)
    loss, dscores = losses.temporal_softmax_cross_entropy(
        scores, np.zeros((N, T), dtype=int)
    )
    assert isinstance(loss, float)
    assert dscores.dtype == dtype
