"""Interpolated Kneser–Ney n-gram model (rnnbook.scratch.ngram) against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook.scratch.ngram import KneserNeyLM, kneser_ney_family, ngram_keys


def reference_kn(ids, V, order):
    """Interpolated Kneser–Ney written from the definition with tuples and dictionaries."""
    ids = [int(i) for i in ids]
    grams = {k: {} for k in range(1, order + 1)}
    for k in range(1, order + 1):
        for t in range(k - 1, len(ids)):
            g = tuple(ids[t - k + 1 : t + 1])
            grams[k][g] = grams[k].get(g, 0) + 1
    counts = {order: dict(grams[order])}
    for k in range(1, order):  # continuation counts: distinct left neighbours
        counts[k] = {}
        for g in grams[k + 1]:
            counts[k][g[1:]] = counts[k].get(g[1:], 0) + 1
    discounts = {}
    for k, c in counts.items():
        n1 = sum(1 for v in c.values() if v == 1)
        n2 = sum(1 for v in c.values() if v == 2)
        d = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
        discounts[k] = min(max(d, 0.05), 1.0)

    def prob(w, h):  # h: tuple of the previous k-1 ids, k = len(h) + 1
        k = len(h) + 1
        lower = 1.0 / V if k == 1 else prob(w, h[1:])
        c = counts[k]
        total = sum(v for g, v in c.items() if g[:-1] == h)
        if total == 0:
            return lower
        types = sum(1 for g in c if g[:-1] == h)
        D = discounts[k]
        return max(c.get(h + (w,), 0) - D, 0) / total + D * types / total * lower

    return prob, discounts


def test_ngram_keys_are_base_V_numbers():
    ids = np.array([1, 2, 0, 3])
    assert ngram_keys(ids, 2, 4).tolist() == [1 * 4 + 2, 2 * 4 + 0, 0 * 4 + 3]
    assert ngram_keys(ids, 1, 4).tolist() == ids.tolist()


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_matches_brute_force_reference(order):
    rng = np.random.default_rng(order)
    V = 4
    ids = rng.integers(0, V, size=60)
    ids[10:20] = [0, 1, 2, 0, 1, 2, 0, 1, 2, 3]  # some repeated structure
    model = KneserNeyLM(ids, V, order)
    prob, discounts = reference_kn(ids, V, order)
    assert model.discounts == pytest.approx([discounts[k] for k in range(1, order + 1)])
    test = rng.integers(0, V, size=30)
    got = np.exp(model.log_probs(test))
    want = [
        prob(int(test[t]), tuple(int(i) for i in test[t - order + 1 : t]))
        for t in range(order - 1, len(test))
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_distribution_sums_to_one_for_random_contexts(order):
    rng = np.random.default_rng(0)
    V = 7
    ids = rng.integers(0, V, size=500)
    model = KneserNeyLM(ids, V, order)
    for _ in range(20):
        # mixes contexts seen in training with unseen ones
        context = rng.integers(0, V, size=order + 2)
        p = model.next_distribution(context)
        assert p.shape == (V,)
        assert np.all(p > 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_next_distribution_agrees_with_log_probs():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 5, size=300)
    model = KneserNeyLM(ids, 5, 3)
    seq = rng.integers(0, 5, size=12)
    lp = model.log_probs(seq)
    for t in range(2, 12):
        p = model.next_distribution(seq[:t])
        assert np.log(p[seq[t]]) == pytest.approx(lp[t - 2], rel=1e-12)


def test_family_shares_tables_and_equals_separate_models():
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 6, size=400)
    family = kneser_ney_family(ids, 6, 4)
    test = rng.integers(0, 6, size=50)
    for n, model in enumerate(family, start=1):
        alone = KneserNeyLM(ids, 6, n)
        np.testing.assert_allclose(
            model.log_probs(test, 3), alone.log_probs(test, 3), rtol=1e-13
        )


def test_more_context_helps_on_structured_text():
    text = "the cat sat on the mat. " * 40
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    ce = [
        KneserNeyLM(ids, len(chars), n).cross_entropy(ids[:200], 4) for n in (1, 3, 5)
    ]
    assert ce[0] > ce[1] > ce[2]


def test_bad_input_messages():
    with pytest.raises(ValueError, match="order"):
        KneserNeyLM(np.arange(5), 5, 0)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\)"):
        KneserNeyLM(np.array([0, 1, 5]), 3, 2)
    with pytest.raises(ValueError, match="shape"):
        KneserNeyLM(np.zeros((2, 3), dtype=int), 3, 2)
    model = KneserNeyLM(np.array([0, 1, 2, 1, 0]), 3, 3)
    with pytest.raises(ValueError, match="start"):
        model.log_probs(np.array([0, 1, 2]), start=1)
