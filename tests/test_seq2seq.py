"""The encoder-decoder of rnnbook.frameworks.seq2seq: masking, packing, loss, checkpoints."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from rnnbook.frameworks.seq2seq import (  # noqa: E402
    AdditiveAttention,
    MultiplicativeAttention,
    Seq2Seq,
    Seq2SeqConfig,
    load_checkpoint,
    masked_cross_entropy,
    masked_softmax,
    save_checkpoint,
)


def model_for(attention, seed=0):
    torch.manual_seed(seed)
    cfg = Seq2SeqConfig(
        n_src=7,
        n_tgt=9,
        attention=attention,
        embed=6,
        enc_hidden=5,
        dec_hidden=8,
        attn_dim=4,
    )
    return Seq2Seq(cfg).eval()


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    src_len = torch.tensor([6, 2, 4])
    src = torch.randint(1, 7, (3, 6), generator=g)
    src[torch.arange(6)[None, :] >= src_len[:, None]] = 0
    tgt_in = torch.randint(3, 9, (3, 5), generator=g)
    tgt_in[:, 0] = 1
    return src, src_len, tgt_in


@pytest.mark.parametrize("attention", ["additive", "multiplicative"])
def test_padded_encoder_positions_get_exactly_zero_weight(attention):
    model = model_for(attention)
    src, src_len, tgt_in = batch()
    _, attn = model(src, src_len, tgt_in)
    assert attn.shape == (3, 5, 6)
    pad = (torch.arange(6)[None, :] >= src_len[:, None])[:, None, :].expand_as(attn)
    assert bool((attn[pad] == 0).all())
    torch.testing.assert_close(attn.sum(-1), torch.ones(3, 5))
    assert bool((attn[~pad] > 0).all())


@pytest.mark.parametrize("attention", ["none", "additive", "multiplicative"])
def test_padding_does_not_change_a_words_output(attention):
    """A word decoded in a padded batch gets the logits it gets alone (packing and masking)."""
    model = model_for(attention, seed=1)
    src, src_len, tgt_in = batch(seed=2)
    logits, _ = model(src, src_len, tgt_in)
    for n in range(3):
        S = int(src_len[n])
        alone, _ = model(src[n : n + 1, :S], src_len[n : n + 1], tgt_in[n : n + 1])
        torch.testing.assert_close(logits[n : n + 1], alone, atol=1e-5, rtol=1e-5)
    # changing the ids at padded positions changes nothing either
    noisy = src.clone()
    noisy[noisy == 0] = 3
    again, _ = model(noisy, src_len, tgt_in)
    torch.testing.assert_close(logits, again)


def test_masked_softmax_and_scores_by_hand():
    scores = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 7.0]])
    mask = torch.tensor([[True, True, False], [True, False, False]])
    w = masked_softmax(scores, mask)
    e = torch.exp(torch.tensor([1.0, 2.0]))
    torch.testing.assert_close(w[0], torch.cat([e / e.sum(), torch.zeros(1)]))
    torch.testing.assert_close(w[1], torch.tensor([1.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="mask"):
        masked_softmax(scores, mask[:, :2])

    torch.manual_seed(0)
    add = AdditiveAttention(4, 3, 5)
    q, m = torch.randn(2, 4), torch.randn(2, 6, 3)
    loop = torch.empty(2, 6)
    for n in range(2):
        for s in range(6):
            hidden = add.W_q.weight @ q[n] + add.W_k.weight @ m[n, s] + add.W_k.bias
            loop[n, s] = add.v.weight[0] @ torch.tanh(hidden)
    torch.testing.assert_close(add.scores(q, add.keys(m)), loop)
    mul = MultiplicativeAttention(4, 3)
    loop = torch.stack(
        [
            torch.stack([q[n] @ mul.W.weight @ m[n, s] for s in range(6)])
            for n in range(2)
        ]
    )
    torch.testing.assert_close(mul.scores(q, mul.keys(m)), loop)


def test_masked_cross_entropy_ignores_padding():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 5)
    targets = torch.tensor([[3, 4, 2, 0], [3, 2, 0, 0]])
    mask = targets != 0
    loss, n = masked_cross_entropy(logits, targets, mask)
    logp = torch.log_softmax(logits, -1)
    manual = -sum(
        logp[i, t, targets[i, t]] for i in range(2) for t in range(4) if mask[i, t]
    )
    assert n == 5
    torch.testing.assert_close(loss, manual / 5)
    # garbage logits at padded positions change nothing
    logits2 = logits.clone()
    logits2[~mask] = 100.0
    torch.testing.assert_close(masked_cross_entropy(logits2, targets, mask)[0], loss)
    with pytest.raises(ValueError, match="targets"):
        masked_cross_entropy(logits, targets[:, :3], mask[:, :3])


def test_no_attention_context_is_the_last_encoder_state():
    model = model_for("none")
    src, src_len, _ = batch()
    memory, mask, _, summary = model.encode(src, src_len)
    H = model.cfg.enc_hidden
    rows = torch.arange(3)
    torch.testing.assert_close(summary[:, :H], memory[rows, src_len - 1, :H])
    torch.testing.assert_close(summary[:, H:], memory[:, 0, H:])


def test_scheduled_sampling_with_probability_zero_is_teacher_forcing():
    model = model_for("additive")
    src, src_len, tgt_in = batch()
    a, _ = model(src, src_len, tgt_in)
    b, _ = model(src, src_len, tgt_in, sampling_prob=0.0)
    torch.testing.assert_close(a, b)
    c, _ = model(src, src_len, tgt_in, sampling_prob=1.0)
    assert not torch.allclose(a[:, 1:], c[:, 1:])
    torch.testing.assert_close(a[:, 0], c[:, 0])


def test_checkpoint_round_trip_in_float16(tmp_path):
    model = model_for("multiplicative")
    save_checkpoint(model, tmp_path / "m.pt", {"epoch": 3})
    again, meta = load_checkpoint(tmp_path / "m.pt")
    assert meta == {"epoch": 3}
    for (k, v), (k2, v2) in zip(model.state_dict().items(), again.state_dict().items()):
        assert k == k2
        torch.testing.assert_close(v2, v.half().float())


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="attention"):
        model_for("dot")
    model = model_for("additive")
    src, src_len, tgt_in = batch()
    with pytest.raises(ValueError, match="src_len"):
        model.encode(src, src_len[:2])
    with pytest.raises(ValueError, match="tgt_in"):
        model(src, src_len, tgt_in[:2])
