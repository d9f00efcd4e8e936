r"""Personal names labelled with a language, from the name lists of the PyPI package ``faker``.

``faker`` (MIT licence) ships, for each locale, lists of first and last names as Python
modules (``faker.providers.person.<locale>``). Nothing is downloaded: the lists are read from
the installed package. This module turns them into a classification data set, *name ->
language*:

1. **Languages.** ``LANGUAGES`` maps 18 languages written in the Latin alphabet to the locales
   whose names stand for them (German: ``de_DE``, ``de_AT``, ``de_CH``; ...). Only Latin-script
   locales are used, so that the task is about spelling, not about telling alphabets apart.
2. **Names.** Every first and last name of a language's locales (male, female, neutral), with
   Unicode NFC normalisation and surrounding spaces removed; a name listed in two locales of
   the same language counts once.
3. **Names in two languages.** ``Maria``, ``Anna`` or ``Martin`` appear in several languages'
   lists. Their label is undefined, so they are **removed from every class** (not given to one
   language at random, which would teach the model noise); ``load_names`` returns them as
   ``ambiguous`` so that a notebook can count them. Case matters: ``de Vries`` and ``De
   Vries`` are different strings.
4. **Split.** A fixed, stratified split by a stable hash: within each language the names are
   sorted by the SHA-256 hash of ``"<language>/<name>"`` and cut at the fractions of
   ``SPLIT_FRACTIONS`` (train, validation, test). Every language keeps its share in every part,
   and the split does not depend on Python's hash seed, on the order of faker's lists or on
   NumPy's random generator.

``CharVocabulary`` maps characters to ids (0 is padding, 1 an unknown character) and
``encode_names`` / ``pad_ids`` turn names into padded id arrays with their lengths.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import unicodedata
from dataclasses import dataclass

import numpy as np

__all__ = [
    "LANGUAGES",
    "SPLIT_FRACTIONS",
    "NameData",
    "names_by_language",
    "load_names",
    "CharVocabulary",
    "encode_names",
    "pad_ids",
]

# language -> faker locales (all written in the Latin alphabet)
LANGUAGES: dict[str, tuple[str, ...]] = {
    "Croatian": ("hr_HR",),
    "Czech": ("cs_CZ",),
    "Danish": ("da_DK",),
    "Dutch": ("nl_NL", "nl_BE"),
    "English": ("en_US", "en_GB"),
    "Finnish": ("fi_FI",),
    "French": ("fr_FR", "fr_CH"),
    "German": ("de_DE", "de_AT", "de_CH"),
    "Hungarian": ("hu_HU",),
    "Icelandic": ("is_IS",),
    "Irish": ("ga_IE",),
    "Italian": ("it_IT",),
    "Norwegian": ("no_NO",),
    "Portuguese": ("pt_PT", "pt_BR"),
    "Slovak": ("sk_SK",),
    "Spanish": ("es_ES", "es_MX"),
    "Swedish": ("sv_SE",),
    "Turkish": ("tr_TR",),
}

SPLIT_FRACTIONS = (0.7, 0.15, 0.15)  # train, validation, test

_NAME_LISTS = (
    "first_names",
    "first_names_male",
    "first_names_female",
    "first_names_nonbinary",
    "last_names",
    "last_names_male",
    "last_names_female",
)


def _allowed(char: str) -> bool:
    # Latin letters, space, hyphen, apostrophe. This drops the few abbreviations ("Hans-J."),
    # inverted forms ("Bourgondië, van") and corrupted entries ("N˜zamett˜n") of the lists.
    return char in " -'" or "LATIN" in unicodedata.name(char, "")


def _locale_names(locale: str) -> set[str]:
    """All first and last names of one faker locale, NFC-normalised and stripped."""
    try:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            f"faker has no person provider for locale {locale!r} "
            "(install the data extra: pip install 'rnnbook[data]')"
        ) from err
    names: set[str] = set()
    for attr in _NAME_LISTS:
        value = provider.__dict__.get(attr)
        if value is None:
            # the list may be inherited from a base class (e.g. the English provider)
            value = getattr(provider, attr, None)
        if value is None or isinstance(value, property):
            continue
        for name in value:  # a tuple, a list, or a dict of name -> weight
            name = unicodedata.normalize("NFC", str(name)).strip()
            if name and all(_allowed(c) for c in name):
                names.add(name)
    return names


@functools.lru_cache(maxsize=None)
def names_by_language() -> dict[str, frozenset[str]]:
    """The distinct names of each language of ``LANGUAGES``, before removing shared names."""
    return {
        language: frozenset().union(*(_locale_names(loc) for loc in locales))
        for language, locales in LANGUAGES.items()
    }


def _stable_key(language: str, name: str) -> bytes:
    return hashlib.sha256(f"{language}/{name}".encode()).digest()


@dataclass(frozen=True)
class NameData:
    """The names data set. Lists are aligned: ``names[i]`` has label ``labels[i]``.

    languages : the class names, label k is ``languages[k]`` (sorted alphabetically)
    train, val, test : ``(names, labels)`` with ``names`` a list of str, ``labels`` (N,) int64
    ambiguous : names listed under two or more languages, removed from every class
    """

    languages: tuple[str, ...]
    train: tuple[list[str], np.ndarray]
    val: tuple[list[str], np.ndarray]
    test: tuple[list[str], np.ndarray]
    ambiguous: tuple[str, ...]


@functools.lru_cache(maxsize=None)
def load_names() -> NameData:
    """Build the name -> language data set with its fixed stratified split (see the module)."""
    by_language = names_by_language()
    languages = tuple(sorted(by_language))
    count: dict[str, int] = {}
    for names in by_language.values():
        for name in names:
            count[name] = count.get(name, 0) + 1
    ambiguous = tuple(sorted(n for n, c in count.items() if c > 1))
    parts: list[tuple[list[str], list[int]]] = [([], []), ([], []), ([], [])]
    f_train, f_val, _ = SPLIT_FRACTIONS
    for label, language in enumerate(languages):
        names = sorted(
            (n for n in by_language[language] if count[n] == 1),
            key=lambda n: _stable_key(language, n),
        )
        n_train = round(f_train * len(names))
        n_val = round(f_val * len(names))
        cuts = (
            names[:n_train],
            names[n_train : n_train + n_val],
            names[n_train + n_val :],
        )
        for (part_names, part_labels), chunk in zip(parts, cuts):
            part_names.extend(chunk)
            part_labels.extend([label] * len(chunk))
    train, val, test = ((n, np.asarray(y, dtype=np.int64)) for n, y in parts)
    return NameData(languages, train, val, test, ambiguous)


class CharVocabulary:
    """Characters <-> ids. Id 0 is padding, id 1 stands for any character not in the vocabulary.

    Build it from the training names only, so that nothing about the test set leaks in.
    """

    PAD, UNK = 0, 1

    def __init__(self, names):
        chars = sorted({c for name in names for c in name})
        self.chars = ["<pad>", "<unk>"] + chars
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_chars(cls, chars) -> "CharVocabulary":
        """Rebuild a vocabulary from its ``chars`` list (e.g. stored with a checkpoint)."""
        chars = list(chars)
        if chars[:2] != ["<pad>", "<unk>"]:
            raise ValueError("expected chars to start with '<pad>', '<unk>'")
        vocab = cls([])
        vocab.chars = chars
        vocab.index = {c: i for i, c in enumerate(chars)}
        return vocab

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, name: str) -> np.ndarray:
        return np.array([self.index.get(c, self.UNK) for c in name], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids if i != self.PAD)


def encode_names(names, vocab: CharVocabulary) -> list[np.ndarray]:
    """Each name as an int64 array of character ids (its length is the name's length)."""
    encoded = [vocab.encode(name) for name in names]
    empty = [i for i, e in enumerate(encoded) if len(e) == 0]
    if empty:
        raise ValueError(
            f"expected non-empty names, got an empty one at index {empty[0]}"
        )
    return encoded


def pad_ids(seqs, pad: int = CharVocabulary.PAD) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id sequences: returns ``ids`` (N, T) int64 and ``lengths`` (N,) int64."""
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    if len(lengths) == 0 or lengths.min() < 1:
        raise ValueError("expected seqs to be a non-empty list of non-empty sequences")
    ids = np.full((len(seqs), lengths.max()), pad, dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
    return ids, lengths
