"""Tests for rnnbook.frameworks.torch_models: shapes for every cell, agreement with the NumPy
RNN, training, parameter counts and the weights of stacked / bidirectional RNNs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnbook.data.tasks import adding_problem  # noqa: E402
from rnnbook.frameworks.torch_models import (  # noqa: E402
    SequenceModel,
    as_tensor,
    count_parameters,
    deep_rnn_weights_from_torch,
    evaluate,
    load_deep_rnn_weights,
    train,
)
from rnnbook.scratch.rnn import rnn_forward  # noqa: E402


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("N, T, D, H, n_out", [(4, 7, 3, 5, 2), (1, 1, 1, 1, 1)])
def test_forward_shapes(cell, N, T, D, H, n_out):
    torch.manual_seed(0)
    x = torch.randn(N, T, D)
    last = SequenceModel(cell, D, H, n_out, readout="last")
    every = SequenceModel(cell, D, H, n_out, readout="all")
    assert last(x).shape == (N, n_out)
    assert every(x).shape == (N, T, n_out)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_last_readout_is_last_step_of_all_readout(cell):
    torch.manual_seed(1)
    model = SequenceModel(cell, 3, 4, 2, readout="all")
    x = torch.randn(2, 6, 3)
    y_all = model(x)
    model.readout = "last"
    torch.testing.assert_close(model(x), y_all[:, -1])


def test_rnn_model_matches_numpy_reference_float64():
    rng = np.random.default_rng(0)
    N, T, D, H, n_out = 3, 5, 2, 4, 1
    model = SequenceModel("rnn", D, H, n_out).double()
    x = rng.normal(size=(N, T, D))
    p = {k: v.detach().numpy() for k, v in model.named_parameters()}
    h, _ = rnn_forward(
        x,
        np.zeros((N, H)),
        p["rnn.weight_ih_l0"],
        p["rnn.weight_hh_l0"],
        p["rnn.bias_ih_l0"] + p["rnn.bias_hh_l0"],
    )
    expected = h[:, -1] @ p["head.weight"].T + p["head.bias"]
    got = model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_forget_bias_initialisation():
    model = SequenceModel("lstm", 2, 3, 1, forget_bias=1.0, num_layers=2)
    for layer in range(2):
        b = getattr(model.rnn, f"bias_ih_l{layer}") + getattr(
            model.rnn, f"bias_hh_l{layer}"
        )
        torch.testing.assert_close(b[3:6], torch.ones(3))  # gate order (i, f, g, o)


def test_bad_arguments_have_clear_messages():
    with pytest.raises(ValueError, match="one of"):
        SequenceModel("transformer", 2, 3, 1)
    with pytest.raises(ValueError, match="readout"):
        SequenceModel("rnn", 2, 3, 1, readout="first")
    with pytest.raises(ValueError, match="LSTM only"):
        SequenceModel("gru", 2, 3, 1, forget_bias=1.0)
    with pytest.raises(
        ValueError, match=r"expected x of shape \(N, T, D\) with D = 2, got \(4, 2, 7\)"
    ):
        SequenceModel("rnn", 2, 3, 1)(torch.zeros(4, 2, 7))


def test_as_tensor_dtypes():
    assert as_tensor(np.zeros(3)).dtype == torch.float32
    assert as_tensor(np.zeros(3, dtype=np.int32)).dtype == torch.int64


@pytest.fixture
def one_thread():
    """Tiny models train fastest on one thread (and do not fight other processes for cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_tiny_training_run_reduces_loss(one_thread):
    torch.manual_seed(0)
    T = 6
    model = SequenceModel("lstm", 2, 16, 1)
    mse = lambda out, y: ((out[:, 0] - y) ** 2).mean()  # noqa: E731
    test = adding_problem(256, T, seed=123)
    history = train(
        model,
        lambda step: adding_problem(32, T, seed=step),
        mse,
        steps=300,
        test_data=test,
        lr=1e-2,
        eval_every=100,
        progress=False,
    )
    assert history["step"] == [0, 100, 200, 300]
    assert len(history["test_loss"]) == len(history["train_loss"]) == 4
    assert history["test_metric"] == [None] * 4
    assert history["test_loss"][-1] < 0.5 * min(history["test_loss"][0], 1 / 6)
    loss, _ = evaluate(model, *test, mse)
    assert loss == pytest.approx(history["test_loss"][-1])


def test_count_parameters_matches_formula():
    D, H, n_out = 2, 7, 1
    assert (
        count_parameters(SequenceModel("rnn", D, H, n_out))
        == H * (D + H + 2) + H * n_out + n_out
    )
    assert (
        count_parameters(SequenceModel("lstm", D, H, n_out))
        == 4 * H * (D + H + 2) + H + 1
    )


def test_deep_rnn_weight_round_trip_and_bad_layouts():
    layer = torch.nn.RNN(3, 4, num_layers=2, bidirectional=True)
    layers = deep_rnn_weights_from_torch(layer)
    assert [len(row) for row in layers] == [2, 2]
    assert layers[1][1][0].shape == (4, 8)
    other = torch.nn.RNN(3, 4, num_layers=2, bidirectional=True)
    load_deep_rnn_weights(other, layers)
    for name, p in layer.named_parameters():
        q = getattr(other, name)
        if name.startswith("bias_hh"):
            assert torch.all(q == 0)
        elif name.startswith("bias_ih"):
            hh = getattr(layer, name.replace("ih", "hh"))
            torch.testing.assert_close(q, p + hh)
        else:
            torch.testing.assert_close(q, p)
    with pytest.raises(ValueError, match="2 layers x 2 directions"):
        load_deep_rnn_weights(other, layers[:1])
    with pytest.raises(ValueError, match=r"weight_ih_l1 of shape \(4, 8\)"):
        bad = [layers[0], [(layers[1][0][0][:, :4], *layers[1][0][1:]), layers[1][1]]]
        load_deep_rnn_weights(other, bad)
    with pytest.raises(ValueError, match="tanh"):
        deep_rnn_weights_from_torch(torch.nn.RNN(3, 4, nonlinearity="relu"))
