"""rnnbook.frameworks.seq_classifiers: a packed batch gives each sequence's own result."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnbook.frameworks.seq_classifiers import (  # noqa: E402
    SeqClassifier,
    load_classifier,
    predict_logits,
    save_classifier,
    train_classifier,
)

CONFIGS = [
    (kind, bi, layers)
    for kind in ("gru", "lstm")
    for bi in (False, True)
    for layers in (1, 2)
]


def _batch(seed, frames: bool):
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([5, 1, 7, 3])
    if frames:
        x = torch.randn(4, 7, 3, generator=gen, dtype=torch.float64)
    else:
        x = torch.randint(2, 9, (4, 7), generator=gen)
    return x, lengths


@pytest.mark.parametrize("kind, bi, layers", CONFIGS)
@pytest.mark.parametrize("frames", [True, False], ids=["frames", "ids"])
def test_packed_batch_equals_each_sequence_alone(kind, bi, layers, frames):
    torch.manual_seed(0)
    inputs = dict(input_size=3) if frames else dict(vocab_size=9, embed_dim=4)
    model = (
        SeqClassifier(
            3, hidden_size=5, kind=kind, bidirectional=bi, num_layers=layers, **inputs
        )
        .double()
        .eval()
    )
    x, lengths = _batch(1, frames)
    # garbage in the padding must not matter
    for n, L in enumerate(lengths):
        if frames:
            x[n, L:] = 1e3
        else:
            x[n, L:] = 8
    with torch.no_grad():
        batch = model(x, lengths)
        for n, L in enumerate(lengths.tolist()):
            alone = model(x[n : n + 1, :L], torch.tensor([L]))
            torch.testing.assert_close(batch[n : n + 1], alone, rtol=1e-12, atol=1e-12)
        # and the unpacked final state is different: the test can fail
        h = model.head(model.rnn(model.embed(x) if model.embed else x)[0][:, -1])
        assert not torch.allclose(h[1], batch[1])


def test_save_load_and_predict():
    torch.manual_seed(0)
    model = SeqClassifier(4, vocab_size=10, hidden_size=6, bidirectional=True).eval()
    x, lengths = _batch(2, frames=False)
    again = load_classifier(save_classifier(model))
    np.testing.assert_allclose(
        predict_logits(model, x, lengths, batch_size=3),
        predict_logits(again, x, lengths),
        rtol=1e-6,
    )
    assert again.config == model.config


def test_training_learns_a_simple_task():
    # class = whether the sequence's mean is positive; lengths vary within each batch
    rng = np.random.default_rng(0)
    N, T = 256, 12
    lengths = rng.integers(2, T + 1, size=N)
    x = rng.normal(size=(N, T, 1)).astype(np.float32)
    for n, L in enumerate(lengths):
        x[n, L:] = 0
    y = np.array([int(x[n, :L].mean() > 0) for n, L in enumerate(lengths)])
    torch.manual_seed(0)
    model = SeqClassifier(2, input_size=1, hidden_size=16)
    weights = np.array([1.0, 1.0])
    hist = train_classifier(
        model,
        x,
        lengths,
        y,
        epochs=15,
        batch_size=32,
        lr=1e-2,
        class_weights=weights,
        val=(x, lengths, y),
    )
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert max(hist["val_acc"]) > 0.85
    acc = (predict_logits(model, x, lengths).argmax(1) == y).mean()
    assert acc == pytest.approx(max(hist["val_acc"]))  # the best epoch was restored


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="exactly one of input_size and vocab_size"):
        SeqClassifier(3)
    with pytest.raises(ValueError, match="kind"):
        SeqClassifier(3, input_size=2, kind="rnn2")
    model = SeqClassifier(3, input_size=2)
    with pytest.raises(ValueError, match="lengths"):
        predict_logits(model, np.zeros((2, 4, 2)), [3])
    with pytest.raises(ValueError, match="y of shape"):
        train_classifier(model, np.zeros((2, 4, 2)), [3, 4], [0], epochs=1)


def test_keras_twin_with_mask_equals_packed_torch(tmp_path):
    """Torch weights copied into the Keras model (own process): masking == packing."""
    pytest.importorskip("tensorflow")
    from rnnbook.frameworks.convert import state_dict_to_keras
    from rnnbook.frameworks.keras_seq_classifier import run_keras_classifier

    torch.manual_seed(3)
    model = SeqClassifier(
        3, vocab_size=9, embed_dim=4, hidden_size=5, bidirectional=True
    )
    x, lengths = _batch(4, frames=False)
    for n, L in enumerate(lengths):
        x[n, L:] = 0  # Keras reads padding from the ids: 0 is masked
    sd = {k: v.double() for k, v in model.state_dict().items()}
    rnn_sd = {k.removeprefix("rnn."): v for k, v in sd.items() if k.startswith("rnn.")}
    [[fwd, bwd]] = state_dict_to_keras("gru", rnn_sd, num_layers=1, bidirectional=True)
    weights = [sd["embed.weight"], *fwd, *bwd, sd["head.weight"].T, sd["head.bias"]]
    meta = dict(V=9, E=4, H=5, C=3, bidirectional=True, unmasked_too=True)
    _, reply = run_keras_classifier(
        tmp_path,
        "predict",
        meta,
        ids=x.numpy(),
        **{f"w{i}": np.asarray(w) for i, w in enumerate(weights)},
    )
    expected = predict_logits(model, x, lengths)
    np.testing.assert_allclose(reply["logits"], expected, atol=1e-5)
    assert np.abs(reply["logits_unmasked"] - expected).max() > 1e-3
