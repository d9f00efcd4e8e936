"""rnnbook.data.names: the name -> language data set built from faker's name lists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata

import numpy as np
import pytest

pytest.importorskip("faker")

from rnnbook.data.names import (  # noqa: E402
    LANGUAGES,
    SPLIT_FRACTIONS,
    CharVocabulary,
    encode_names,
    load_names,
    names_by_language,
    pad_ids,
)


@pytest.fixture(scope="module")
def data():
    return load_names()


def test_languages_and_sizes(data):
    assert 15 <= len(data.languages) <= 20
    assert list(data.languages) == sorted(LANGUAGES)
    counts = np.bincount(data.train[1], minlength=len(data.languages))
    assert counts.min() >= 50, dict(zip(data.languages, counts))
    # the classes are imbalanced (the chapter's reason for macro-F1)
    assert counts.max() >= 10 * counts.min()


def test_parts_are_disjoint_and_labels_unique(data):
    parts = [set(p[0]) for p in (data.train, data.val, data.test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2])
    assert not (parts[1] & parts[2])
    # within a part, no duplicates
    for p in (data.train, data.val, data.test):
        assert len(set(p[0])) == len(p[0])


def test_shared_names_are_removed_from_every_class(data):
    raw = names_by_language()
    every = set(data.train[0]) | set(data.val[0]) | set(data.test[0])
    assert data.ambiguous, "some names (e.g. Anna) are listed in several languages"
    assert not set(data.ambiguous) & every
    for name in data.ambiguous[:200]:
        assert sum(name in names for names in raw.values()) >= 2, name
    # every other name keeps exactly the label of the one language that lists it
    for names, labels in (data.train, data.test):
        for name, label in list(zip(names, labels))[::50]:
            owners = [lang for lang, ns in raw.items() if name in ns]
            assert owners == [data.languages[label]], (name, owners)
    total = sum(len(ns) for ns in raw.values())
    assert (
        len(every) + sum(sum(n in ns for ns in raw.values()) for n in data.ambiguous)
        == total
    )


def test_split_is_stratified(data):
    C = len(data.languages)
    n = [np.bincount(p[1], minlength=C) for p in (data.train, data.val, data.test)]
    total = sum(n)
    for part, fraction in zip(n, SPLIT_FRACTIONS):
        assert np.all(np.abs(part - fraction * total) <= 1.0), (part, fraction * total)


def test_split_does_not_depend_on_the_hash_seed(data):
    code = (
        "import json; from rnnbook.data.names import load_names; d = load_names(); "
        "print(json.dumps([d.test[0][:50], d.val[0][-50:], len(d.train[0])]))"
    )
    outs = []
    for seed in ("1", "12345"):
        res = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        outs.append(json.loads(res.stdout))
    assert outs[0] == outs[1]
    assert outs[0][0] == data.test[0][:50]


def test_names_are_latin_script(data):
    allowed_other = {" ", "-", "'"}
    for name in data.train[0] + data.test[0]:
        for ch in name:
            assert ch in allowed_other or "LATIN" in unicodedata.name(ch, ""), (
                name,
                ch,
            )


def test_vocabulary_round_trip_and_unknown():
    vocab = CharVocabulary(["Ana", "Bo"])
    assert vocab.chars[:2] == ["<pad>", "<unk>"] and len(vocab) == 2 + 5
    ids = vocab.encode("Bola")
    assert ids.dtype == np.int64 and ids[2] == vocab.UNK  # "l" is not in the vocabulary
    assert vocab.decode(vocab.encode("Ana")) == "Ana"
    padded, lengths = pad_ids(encode_names(["Ana", "Bo"], vocab))
    assert padded.shape == (2, 3) and lengths.tolist() == [3, 2] and padded[1, 2] == 0


def test_vocabulary_from_stored_chars():
    vocab = CharVocabulary(["Ana", "Bo"])
    again = CharVocabulary.from_chars(vocab.chars)
    assert again.chars == vocab.chars and again.encode("Bola").tolist() == (
        vocab.encode("Bola").tolist()
    )
    with pytest.raises(ValueError, match="chars"):
        CharVocabulary.from_chars(["a", "b"])


def test_bad_input_is_named():
    vocab = CharVocabulary(["a"])
    with pytest.raises(ValueError, match="non-empty names"):
        encode_names(["a", ""], vocab)
    with pytest.raises(ValueError, match="seqs"):
        pad_ids([])
