"""Levenshtein distance, PER and WER (rnnbook.scratch.edit_distance) against brute force."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from rnnbook.scratch.edit_distance import (
    closest_reference,
    levenshtein,
    phoneme_error_rate,
    word_error_rate,
)


def brute_force(a, b):
    """The recursive definition, with no table: delete, insert or (mis)match the first token."""

    @functools.lru_cache(maxsize=None)
    def d(i, j):
        if i == len(a):
            return len(b) - j
        if j == len(b):
            return len(a) - i
        return min(d(i + 1, j) + 1, d(i, j + 1) + 1, d(i + 1, j + 1) + (a[i] != b[j]))

    return d(0, 0)


def test_levenshtein_equals_brute_force_on_random_sequences():
    rng = np.random.default_rng(0)
    for _ in range(300):
        a = tuple(rng.choice(list("ABC"), size=rng.integers(0, 7)))
        b = tuple(rng.choice(list("ABC"), size=rng.integers(0, 7)))
        assert levenshtein(a, b) == brute_force(a, b), (a, b)


def test_levenshtein_all_short_binary_pairs():
    seqs = [s for n in range(4) for s in itertools.product("ab", repeat=n)]
    for a, b in itertools.product(seqs, seqs):
        assert levenshtein(a, b) == brute_force(a, b)
        assert levenshtein(a, b) == levenshtein(b, a)


def test_known_values_over_phonemes():
    assert levenshtein(("K", "AE", "T"), ("K", "AE", "T")) == 0
    assert levenshtein(("N", "AY", "T"), ("K", "N", "AY", "T")) == 1
    assert levenshtein((), ("B", "AA", "K", "S")) == 4
    assert levenshtein(("B", "AA", "K"), ("B", "AA", "K", "S")) == 1
    assert levenshtein("kitten", "sitting") == 3


def test_closest_reference_and_error_rates_with_several_references():
    refs_read = [("R", "IY", "D"), ("R", "EH", "D")]
    assert closest_reference(("R", "EH", "D"), refs_read) == (0, ("R", "EH", "D"))
    hyps = [("R", "EH", "D"), ("K", "AE")]
    refs = [refs_read, [("K", "AE", "T")]]
    # 0 edits of 3 + 1 edit of 3
    assert phoneme_error_rate(hyps, refs) == pytest.approx(1 / 6)
    assert word_error_rate(hyps, refs) == pytest.approx(0.5)
    # a hypothesis matching the second reference is a correct word
    assert word_error_rate([("R", "IY", "D")], [refs_read]) == 0.0


def test_per_uses_the_closest_references_length():
    # 1 edit to the long reference (length 4) beats 2 edits to the short one (length 2)
    hyps = [("A", "B", "C")]
    refs = [[("X", "Y"), ("A", "B", "C", "D")]]
    assert phoneme_error_rate(hyps, refs) == pytest.approx(1 / 4)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="reference lists"):
        phoneme_error_rate([("A",)], [])
    with pytest.raises(ValueError, match="refs"):
        closest_reference(("A",), [])
