"""PyTorch character language model (rnnbook.frameworks.char_lm)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnbook.frameworks.char_lm import (  # noqa: E402
    CharLM,
    LMConfig,
    detach_state,
    entropy,
    evaluate,
    filter_top_k,
    filter_top_p,
    load_checkpoint,
    lr_at,
    lstm_gates,
    sample,
    save_checkpoint,
    train_char_lm,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models: a second thread only adds synchronisation (and stalls on a busy CPU)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_two_chunks_equal_one_long_chunk(cell):
    torch.manual_seed(0)
    model = CharLM(11, embed=5, hidden=7, layers=2, cell=cell, dropout=0.3).eval()
    x = torch.randint(0, 11, (3, 20))
    full, state_full = model(x)
    first, state = model(x[:, :8])
    second, state2 = model(x[:, 8:], detach_state(state))
    torch.testing.assert_close(torch.cat([first, second], 1), full)
    for a, b in zip(
        state_full if cell == "lstm" else (state_full,),
        state2 if cell == "lstm" else (state2,),
    ):
        torch.testing.assert_close(a, b)


def test_detach_state_cuts_the_graph_and_keeps_values():
    model = CharLM(5, 3, 4, 1, "lstm", 0.0)
    _, (h, c) = model(torch.randint(0, 5, (2, 6)))
    assert h.grad_fn is not None
    hd, cd = detach_state((h, c))
    assert hd.grad_fn is None and cd.grad_fn is None
    assert torch.equal(hd, h) and torch.equal(cd, c)
    assert detach_state(None) is None


def test_evaluate_matches_a_direct_computation():
    torch.manual_seed(1)
    model = CharLM(6, 4, 5, 1, "gru", 0.0)
    ids = np.random.default_rng(0).integers(0, 6, size=2 * 30 + 1)
    got = evaluate(model, ids, N=2, T=7)  # chunks of 7 with the state carried
    streams = torch.as_tensor(ids[:60]).view(2, 30)
    with torch.no_grad():
        logits, _ = model(streams[:, :-1])
        want = torch.nn.functional.cross_entropy(
            logits.reshape(-1, 6), streams[:, 1:].reshape(-1)
        ).item()
    assert got == pytest.approx(want, rel=1e-5)


def test_lr_schedule_warms_up_then_decays_to_the_floor():
    cfg = LMConfig(steps=100, lr=1.0, warmup=10, min_lr_ratio=0.1)
    assert lr_at(5, cfg) == pytest.approx(0.5)
    assert lr_at(10, cfg) == pytest.approx(1.0)
    assert lr_at(100, cfg) == pytest.approx(0.1)
    values = [lr_at(s, cfg) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_top_k_keeps_k_and_ties():
    logits = torch.tensor([1.0, 3.0, 2.0, 0.5, 2.0])
    kept = torch.isfinite(filter_top_k(logits, 1))
    assert kept.tolist() == [False, True, False, False, False]
    kept = torch.isfinite(filter_top_k(logits, 2))  # 2.0 ties for second place
    assert kept.tolist() == [False, True, True, False, True]
    assert torch.isfinite(filter_top_k(logits, 10)).all()
    with pytest.raises(ValueError, match="k must"):
        filter_top_k(logits, 0)


def brute_force_nucleus(probs, p):
    """Smallest set (by size) of entries with mass >= p, ties at the boundary kept."""
    order = np.argsort(-probs, kind="stable")
    mass, kept = 0.0, []
    for i in order:
        if mass >= p - 1e-12:
            break
        kept.append(i)
        mass += probs[i]
    last = probs[kept[-1]]
    return set(kept) | {i for i in range(len(probs)) if probs[i] == last}


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.9, 0.999, 1.0])
def test_top_p_is_the_smallest_set_reaching_p(p):
    rng = np.random.default_rng(0)
    for _ in range(20):
        logits = torch.tensor(rng.normal(size=9) * 2)
        probs = torch.softmax(logits, -1).numpy()
        kept = torch.isfinite(filter_top_p(logits, p)).numpy()
        assert set(np.flatnonzero(kept)) == brute_force_nucleus(probs, p)
        assert probs[kept].sum() >= p - 1e-9


def test_top_p_ties_and_edges():
    logits = torch.log(torch.tensor([0.4, 0.2, 0.2, 0.2]))
    kept = torch.isfinite(filter_top_p(logits, 0.5)).tolist()
    assert kept == [True, True, True, True]  # the three tied entries stay together
    assert torch.isfinite(filter_top_p(logits, 0.4)).tolist() == [
        True,
        False,
        False,
        False,
    ]
    with pytest.raises(ValueError, match="p must"):
        filter_top_p(logits, 0.0)


def test_entropy_of_uniform_and_truncated():
    z = torch.zeros(8)
    assert float(entropy(z)) == pytest.approx(math.log(8))
    assert float(entropy(filter_top_k(torch.arange(8.0), 1))) == pytest.approx(0.0)


def constant_model(probs):
    """A CharLM whose next-character distribution is ``probs`` whatever the input."""
    V = len(probs)
    model = CharLM(V, 2, 3, 1, "rnn", 0.0)
    with torch.no_grad():
        model.readout.weight.zero_()
        model.readout.bias.copy_(torch.log(torch.tensor(probs)))
    return model


def test_sampling_frequencies_follow_the_truncated_distribution():
    probs = [0.5, 0.3, 0.15, 0.05]
    model = constant_model(probs)
    g = torch.Generator().manual_seed(0)
    ids, ents = sample(model, [0], 1500, top_k=2, generator=g, return_entropy=True)
    assert set(ids.tolist()) <= {0, 1}
    assert np.mean(ids == 0) == pytest.approx(0.5 / 0.8, abs=0.04)
    assert ents[0] == pytest.approx(
        -(0.625 * math.log(0.625) + 0.375 * math.log(0.375))
    )
    ids = sample(model, [0], 1500, top_p=0.9, generator=g)
    assert set(ids.tolist()) == {0, 1, 2}
    ids = sample(model, [0], 1500, temperature=0.5, generator=g)
    sharp = np.array(probs) ** 2 / np.sum(np.array(probs) ** 2)
    np.testing.assert_allclose(np.bincount(ids, minlength=4) / 1500, sharp, atol=0.04)


def test_checkpoint_round_trip_in_float16(tmp_path):
    torch.manual_seed(0)
    model = CharLM(9, 4, 6, 2, "lstm", 0.1).eval()
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, list("abcdefghi"))
    loaded, meta = load_checkpoint(path)
    assert meta["chars"] == "abcdefghi" and meta["cell"] == "lstm"
    x = torch.randint(0, 9, (2, 5))
    torch.testing.assert_close(loaded(x)[0], model(x)[0], atol=5e-3, rtol=5e-3)
    assert loaded.embedding.weight.dtype == torch.float32


def test_lstm_gates_recompute_the_layer():
    torch.manual_seed(0)
    model = CharLM(7, 3, 5, 2, "lstm", 0.0)
    ids = np.arange(12) % 7
    top = lstm_gates(model, ids, layer=1)
    with torch.no_grad():
        h_all, _ = model.rnn(model.embedding(torch.as_tensor(ids)[None]))
    np.testing.assert_allclose(top["h"], h_all[0].numpy(), atol=1e-5)
    assert top["f"].shape == (12, 5)
    assert ((top["i"] > 0) & (top["i"] < 1)).all()
    with pytest.raises(ValueError, match="LSTM"):
        lstm_gates(CharLM(7, 3, 5, 1, "gru"), ids)


def test_training_lowers_the_loss_and_checkpoints_the_best():
    torch.manual_seed(0)
    text = np.array([0, 1, 2, 3, 4] * 400)
    model = CharLM(5, 4, 16, 1, "lstm", 0.0)
    saved = []
    cfg = LMConfig(N=4, T=10, steps=60, lr=1e-2, warmup=5, eval_every=20, eval_N=2)
    history = train_char_lm(
        model, text, text[:200], cfg, checkpoint=lambda m, r: saved.append(r["step"])
    )
    assert len(history["loss"]) == 60 and len(history["grad_norm"]) == 60
    assert history["val"][-1]["val"] < 0.5 < history["loss"][0]
    assert saved and saved[0] == 20


def test_early_stopping_stops_after_patience():
    torch.manual_seed(0)
    text = np.random.default_rng(0).integers(0, 5, size=2000)  # nothing to learn
    model = CharLM(5, 4, 8, 1, "rnn", 0.0)
    cfg = LMConfig(
        N=4, T=10, steps=400, lr=0.3, warmup=1, eval_every=5, patience=2, eval_N=2
    )
    history = train_char_lm(model, text, text[:300], cfg)
    assert len(history["loss"]) < 400


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="cell"):
        CharLM(5, cell="transformer")
    with pytest.raises(ValueError, match=r"x of shape \(N, T\)"):
        CharLM(5, 2, 3, 1)(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="temperature"):
        sample(CharLM(5, 2, 3, 1), [0], 3, temperature=0)
