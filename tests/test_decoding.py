"""Greedy and beam search (rnnbook.frameworks.decoding) on small random models.

* beam width 1 is greedy decoding, exactly (same ids, lengths and scores);
* with a beam wider than the number of possible outputs, beam search returns the exhaustive
  optimum of the length-normalised score (every output enumerated and scored by a
  teacher-forced pass);
* the scores returned are log-probabilities: a teacher-forced re-scoring of the returned
  outputs gives the same numbers;
* decoding a batch gives the same result as decoding each source alone.
"""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

from rnnbook.frameworks.decoding import (  # noqa: E402
    EOS,
    beam_search,
    greedy_decode,
    rescore,
)
from rnnbook.frameworks.seq2seq import Seq2Seq, Seq2SeqConfig  # noqa: E402


def toy_model(attention="additive", n_tgt=5, seed=0, scale=1.5):
    """A random model; weights scaled up so that its distributions are far from uniform."""
    torch.manual_seed(seed)
    model = Seq2Seq(
        Seq2SeqConfig(
            n_src=6,
            n_tgt=n_tgt,
            attention=attention,
            embed=8,
            enc_hidden=8,
            dec_hidden=8,
            attn_dim=8,
        )
    )
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
        # make </s> likely enough that outputs of every length occur
        model.W_o.bias[EOS] += 1.0
    return model.eval()


def sources(N=5, S=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    src_len = torch.randint(1, S + 1, (N,), generator=g)
    src_len[0] = S
    src = torch.randint(1, 6, (N, S), generator=g)
    src[torch.arange(S)[None, :] >= src_len[:, None]] = 0
    return src, src_len


def all_outputs(n_tgt, max_len):
    """Every possible output: k ids (not pad/<s>/</s>) then </s>, or max_len ids, no </s>."""
    symbols = list(range(3, n_tgt))
    outs = [
        (*body, EOS)
        for k in range(max_len)
        for body in itertools.product(symbols, repeat=k)
    ]
    outs += list(itertools.product(symbols, repeat=max_len))
    return outs


@pytest.mark.parametrize("attention", ["none", "additive", "multiplicative"])
def test_beam_width_one_is_greedy_exactly(attention):
    model = toy_model(attention, n_tgt=9, seed=3)
    src, src_len = sources(N=7, seed=4)
    g_tok, g_len, g_score, _ = greedy_decode(model, src, src_len, max_len=12)
    b_tok, b_len, b_score, _ = beam_search(model, src, src_len, 1, max_len=12)
    L = max(g_tok.shape[1], b_tok.shape[1])
    pad = lambda x: torch.nn.functional.pad(x, (0, L - x.shape[1]))  # noqa: E731
    assert torch.equal(pad(g_tok), pad(b_tok))
    assert torch.equal(g_len, b_len)
    assert torch.equal(g_score, b_score)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
@pytest.mark.parametrize("attention", ["none", "additive"])
def test_wide_beam_equals_exhaustive_search(attention, alpha):
    n_tgt, max_len = 5, 4  # symbols 3, 4: 15 finished outputs + 16 unfinished ones
    model = toy_model(attention, n_tgt=n_tgt, seed=5)
    src, src_len = sources(N=4, seed=6)
    outs = all_outputs(n_tgt, max_len)
    assert len(outs) == 31
    tokens, lengths, scores, norm = beam_search(
        model, src, src_len, beam_size=40, max_len=max_len, alpha=alpha
    )
    for n in range(src.shape[0]):
        S = int(src_len[n])
        one_src = src[n : n + 1, :S].expand(len(outs), S)
        one_len = torch.full((len(outs),), S)
        out_tok = torch.zeros(len(outs), max_len, dtype=torch.long)
        out_len = torch.tensor([len(o) for o in outs])
        for i, o in enumerate(outs):
            out_tok[i, : len(o)] = torch.tensor(o)
        logp = rescore(model, one_src, one_len, out_tok, out_len)
        normed = logp / out_len.float() ** alpha
        best = int(normed.argmax())
        # the optimum is unique (not a near tie) for these seeds
        assert normed.topk(2).values.diff().abs().item() > 1e-4
        got = tuple(tokens[n, : lengths[n]].tolist())
        assert got == outs[best], (n, got, outs[best])
        assert norm[n].item() == pytest.approx(normed[best].item(), abs=1e-5)
        assert scores[n].item() == pytest.approx(logp[best].item(), abs=1e-5)


def test_a_narrow_beam_can_miss_the_optimum_but_never_beats_it():
    n_tgt, max_len = 5, 4
    model = toy_model("additive", n_tgt=n_tgt, seed=5)
    src, src_len = sources(N=4, seed=6)
    wide = beam_search(model, src, src_len, beam_size=40, max_len=max_len)[3]
    for K in (1, 2, 3):
        narrow = beam_search(model, src, src_len, beam_size=K, max_len=max_len)[3]
        assert bool((narrow <= wide + 1e-6).all())


@pytest.mark.parametrize("beam_size", [1, 3, 6])
def test_scores_equal_teacher_forced_rescoring(beam_size):
    model = toy_model("multiplicative", n_tgt=12, seed=7)
    src, src_len = sources(N=6, seed=8)
    tokens, lengths, scores, norm = beam_search(
        model, src, src_len, beam_size, max_len=10, alpha=0.8
    )
    again = rescore(model, src, src_len, tokens, lengths)
    torch.testing.assert_close(scores, again, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(norm, scores / lengths.float() ** 0.8)
    g_tok, g_len, g_score, _ = greedy_decode(model, src, src_len, max_len=10)
    torch.testing.assert_close(g_score, rescore(model, src, src_len, g_tok, g_len))


def test_batched_beam_equals_one_source_at_a_time():
    model = toy_model("additive", n_tgt=10, seed=9)
    src, src_len = sources(N=5, seed=10)
    tokens, lengths, scores, _ = beam_search(model, src, src_len, 4, max_len=9)
    for n in range(5):
        S = int(src_len[n])
        t1, l1, s1, _ = beam_search(model, src[n : n + 1, :S], src_len[n : n + 1], 4, 9)
        assert int(l1[0]) == int(lengths[n])
        assert tokens[n, : lengths[n]].tolist() == t1[0, : l1[0]].tolist()
        assert s1[0].item() == pytest.approx(scores[n].item(), abs=1e-5)


def test_outputs_are_padded_after_the_end_token_and_never_hold_pad_or_start():
    model = toy_model("additive", n_tgt=8, seed=11)
    src, src_len = sources(N=6, seed=12)
    for tokens, lengths in (
        greedy_decode(model, src, src_len, max_len=8)[:2],
        beam_search(model, src, src_len, 3, max_len=8)[:2],
    ):
        for row, n in zip(tokens.tolist(), lengths.tolist()):
            assert all(t >= 2 for t in row[:n])
            assert all(t == 0 for t in row[n:])
            assert EOS not in row[: n - 1]


def test_bad_arguments_are_named():
    model = toy_model()
    src, src_len = sources()
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(model, src, src_len, 0)
    with pytest.raises(ValueError, match="max_len"):
        beam_search(model, src, src_len, 2, max_len=0)
