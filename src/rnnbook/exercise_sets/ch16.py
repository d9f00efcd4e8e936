"""Exercise set 16, "Sequence to sequence with attention": tests for solutions/16_seq2seq_attention.

Expected values are computed here, independently of the learner's code and of the package:
edit distances by the recursive definition (memoised, no table), PER by trying every reference,
attention weights with explicit loops over positions (softmax over the real positions only),
a beam step by enumerating every (hypothesis, next id) pair as a Python list and sorting it, and
greedy decoding by a plain loop over a table of log-probabilities.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("16", "Sequence to sequence with attention")


# --------------------------------------------------------------------------------------------
# 16.1 Edit distance


def _edit_reference(a, b):
    a, b = tuple(a), tuple(b)

    @functools.lru_cache(maxsize=None)
    def d(i, j):
        if i == len(a):
            return len(b) - j
        if j == len(b):
            return len(a) - i
        return min(d(i + 1, j) + 1, d(i, j + 1) + 1, d(i + 1, j + 1) + (a[i] != b[j]))

    return d(0, 0)


@SET.exercise("16.1", "edit_distance", points=3)
def _(t):
    with t.case("equal sequences and an empty one", points=1):
        t.expect_equal(
            t.call(("K", "AE", "T"), ("K", "AE", "T")), 0, "distance(cat, cat)"
        )
        t.expect_equal(t.call((), ("B", "AA", "K", "S")), 4, "distance((), B AA K S)")
        t.expect_equal(t.call(("N", "AY"), ()), 2, "distance(N AY, ())")
    with t.case("insertions, deletions and substitutions each cost 1", points=1):
        t.expect_equal(
            t.call(("N", "AY", "T"), ("K", "N", "AY", "T")), 1, "one insertion"
        )
        t.expect_equal(
            t.call(("K", "N", "AY", "T"), ("N", "AY", "T")), 1, "one deletion"
        )
        t.expect_equal(
            t.call(("AH", "B", "AH"), ("AA", "B", "AA")), 2, "two substitutions"
        )
        t.expect_equal(
            t.call(tuple("kitten"), tuple("sitting")), 3, "kitten -> sitting"
        )
    with t.case("equals the recursive definition on random sequences", points=1):
        rng = np.random.default_rng(161)
        for _ in range(40):
            a = tuple(str(s) for s in rng.choice(list("ABC"), size=rng.integers(0, 7)))
            b = tuple(str(s) for s in rng.choice(list("ABC"), size=rng.integers(0, 7)))
            got = t.call(a, b)
            want = _edit_reference(a, b)
            t.expect_equal(got, want, f"distance({' '.join(a)} | {' '.join(b)})")


# --------------------------------------------------------------------------------------------
# 16.2 Phoneme error rate with several references


def _per_reference(hyps, refs_list):
    edits = length = 0
    for hyp, refs in zip(hyps, refs_list):
        scored = [(_edit_reference(hyp, r), i) for i, r in enumerate(refs)]
        d, i = min(scored)
        edits += d
        length += len(refs[i])
    return edits / length


@SET.exercise("16.2", "phoneme_error_rate", points=3)
def _(t):
    with t.case(
        "one reference per word: total edits / total reference length", points=1
    ):
        hyps = [("K", "AE"), ("B", "AA", "K", "S")]
        refs = [[("K", "AE", "T")], [("B", "AA", "K", "S")]]
        t.expect_close(t.call(hyps, refs), 1 / 7, "PER", rtol=1e-12)
    with t.case("several references: the closest one counts", points=1):
        hyps = [("R", "EH", "D"), ("L", "IY", "D")]
        refs = [
            [("R", "IY", "D"), ("R", "EH", "D")],
            [("L", "EH", "D"), ("L", "IY", "D")],
        ]
        t.expect_close(
            t.call(hyps, refs), 0.0, "PER when every word matches a reference"
        )
    with t.case("the denominator is the length of the chosen reference", points=1):
        hyps = [("A", "B", "C"), ("X", "Q")]
        refs = [
            [("X", "Y"), ("A", "B", "C", "D")],
            [("X", "Y"), ("P", "Q", "R", "S", "T")],
        ]
        t.expect_close(
            t.call(hyps, refs),
            _per_reference(hyps, refs),
            "PER (1 + 1 edits over the chosen references' 4 + 2 phonemes)",
        )


# --------------------------------------------------------------------------------------------
# 16.3 Additive attention with a mask


def _attention_reference(query, memory, mask, W_q, W_k, v):
    N, S, _ = memory.shape
    weights = np.zeros((N, S))
    context = np.zeros((N, memory.shape[2]))
    for n in range(N):
        real = [s for s in range(S) if mask[n, s]]
        e = [float(v @ np.tanh(W_q @ query[n] + W_k @ memory[n, s])) for s in real]
        top = max(e)
        z = sum(math.exp(x - top) for x in e)
        for s, x in zip(real, e):
            weights[n, s] = math.exp(x - top) / z
            context[n] += weights[n, s] * memory[n, s]
    return weights, context


def _attention_case(
    seed, N=3, S=5, Q=4, M=6, A=3, lengths=(5, 2, 3), scale=1.0, v_scale=1.0
):
    rng = np.random.default_rng(seed)
    query = rng.standard_normal((N, Q))
    memory = rng.standard_normal((N, S, M))
    mask = np.arange(S)[None, :] < np.array(lengths)[:, None]
    W_q = scale * rng.standard_normal((A, Q))
    W_k = scale * rng.standard_normal((A, M))
    v = scale * v_scale * rng.standard_normal(A)
    return query, memory, mask, W_q, W_k, v


@SET.exercise("16.3", "additive_attention", points=4)
def _(t):
    args = _attention_case(163, lengths=(5, 5, 5))
    want_w, want_c = _attention_reference(*args)
    with t.case("returns (weights (N, S), context (N, M))", points=1):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        t.expect_shape(got[0], (3, 5), "weights")
        t.expect_shape(got[1], (3, 6), "context")
    with t.case("no padding: weights and context equal the equations", points=1):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        t.expect_close(got[0], want_w, "weights", rtol=1e-9, atol=1e-12)
        t.expect_close(got[1], want_c, "context", rtol=1e-9, atol=1e-12)
    args = _attention_case(164, lengths=(5, 2, 3))
    want_w, want_c = _attention_reference(*args)
    with t.case("padded positions get weight exactly 0, each row sums to 1", points=1):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        w = np.asarray(got[0])
        t.expect(
            np.all(w[~args[2]] == 0),
            "padded positions (mask False) must get weight exactly 0; attending to "
            "padding mixes in memory vectors of letters that do not exist",
        )
        t.expect_close(w.sum(axis=1), np.ones(3), "the sum of each row of weights")
    with t.case("with padding: weights and context equal the equations", points=1):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        t.expect_close(got[0], want_w, "weights (with padding)", rtol=1e-9, atol=1e-12)
        t.expect_close(got[1], want_c, "context (with padding)", rtol=1e-9, atol=1e-12)
        big = _attention_case(165, lengths=(4, 1, 2), v_scale=500.0)  # scores ~ 1e3
        bw, bc = _attention_reference(*big)
        got = t.expect_tuple(t.call(*big), 2, "the result for large scores")
        t.expect_close(got[0], bw, "weights for large scores (overflow?)", rtol=1e-7)


# --------------------------------------------------------------------------------------------
# 16.4 One beam-search step


def _beam_step_reference(scores, finished, logp, K, pad):
    cands = []
    for k in range(len(scores)):
        if not np.isfinite(scores[k]):
            continue
        if finished[k]:
            cands.append((float(scores[k]), k, pad))
            continue
        for y in range(logp.shape[1]):
            if np.isfinite(logp[k, y]):
                cands.append((float(scores[k] + logp[k, y]), k, y))
    cands.sort(key=lambda c: -c[0])
    cands = cands[:K]
    return (
        np.array([c[0] for c in cands]),
        np.array([c[1] for c in cands]),
        np.array([c[2] for c in cands]),
    )


def _beam_case(seed, K=3, V=6, finished=(False, True, False), scores=None):
    rng = np.random.default_rng(seed)
    logits = 2.0 * rng.standard_normal((K, V))
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    if scores is None:
        scores = -np.sort(rng.uniform(0.5, 3.0, K))
    return np.asarray(scores, dtype=float), np.array(finished), logp


def _check_beam(t, args, K, what):
    scores, finished, logp = args
    got = t.expect_tuple(t.call(scores, finished, logp, K, 0), 3, "the result")
    ws, wb, wy = _beam_step_reference(scores, finished, logp, K, 0)
    t.expect_close(
        np.asarray(got[0], dtype=float), ws, f"new scores ({what})", rtol=1e-12
    )
    t.expect_equal(np.asarray(got[1]).astype(int), wb, f"parent hypotheses ({what})")
    t.expect_equal(np.asarray(got[2]).astype(int), wy, f"next ids ({what})")


@SET.exercise("16.4", "beam_step", points=5)
def _(t):
    with t.case("no finished hypothesis: the K best of beam x vocabulary", points=2):
        _check_beam(t, _beam_case(1641, finished=(False, False, False)), 3, "all live")
        # the best continuations can all come from one hypothesis
        scores, fin, logp = _beam_case(1642, finished=(False, False, False))
        logp[0] = np.log(np.array([0.0001, 0.0001, 0.31, 0.29, 0.3896, 0.0102]))
        _check_beam(
            t, (np.array([-0.1, -4.0, -5.0]), fin, logp), 3, "one strong parent"
        )
    with t.case(
        "a finished hypothesis is kept once, with its score unchanged", points=2
    ):
        _check_beam(t, _beam_case(1643), 3, "beam 1 finished")
        scores, fin, logp = _beam_case(1644, finished=(True, False, False))
        _check_beam(
            t, (np.array([-0.2, -1.0, -1.5]), fin, logp), 3, "best one finished"
        )
    with t.case("the first step: only the live copy of the start expands", points=1):
        scores, fin, logp = _beam_case(1645, K=4, finished=(False,) * 4)
        start = np.array([0.0, -np.inf, -np.inf, -np.inf])
        _check_beam(t, (start, fin, logp), 4, "first step")


# --------------------------------------------------------------------------------------------
# 16.5 Greedy decoding with a stop token


def _greedy_reference(table, bos, eos, max_len):
    y, out, score = bos, [], 0.0
    for step in range(max_len):
        row = table[step, y]
        y = max(range(len(row)), key=lambda j: row[j])
        out.append(y)
        score += float(row[y])
        if y == eos:
            break
    return out, score


def _greedy_table(seed, max_len=6, V=6, eos=2, stop_at=None):
    rng = np.random.default_rng(seed)
    logits = 1.5 * rng.standard_normal((max_len, V, V))
    logits[:, :, 0] = -1e9  # padding and start are never generated
    logits[:, :, 1] = -1e9
    logits[:, :, eos] -= 3.0
    if stop_at is not None:
        logits[stop_at, :, eos] += 50.0
    return logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))


@SET.exercise("16.5", "greedy_decode", points=3)
def _(t):
    def check(table, max_len, what):
        got = t.expect_tuple(t.call(table, 1, 2, max_len), 2, "the result")
        ids, score = _greedy_reference(table, 1, 2, max_len)
        t.expect_equal([int(i) for i in got[0]], ids, f"the ids ({what})")
        t.expect_close(float(got[1]), score, f"the score ({what})", rtol=1e-12)

    with t.case("stops right after </s>, which is part of the output", points=1):
        check(_greedy_table(1651, stop_at=2), 6, "</s> at step 3")
    with t.case("feeds each chosen id back in as the next input", points=1):
        table = _greedy_table(1652, stop_at=4)
        check(table, 6, "</s> at step 5")
    with t.case("without </s>, stops after max_len ids", points=1):
        table = _greedy_table(1653, max_len=5)
        table[:, :, 2] = -1e9
        check(table, 5, "no </s>")
