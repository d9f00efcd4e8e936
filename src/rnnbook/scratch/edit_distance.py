"""Levenshtein distance over token sequences, and the phoneme and word error rates of G2P.

``levenshtein(a, b)`` is the least number of substitutions, insertions and deletions (each of
cost 1) that turn ``a`` into ``b``, by dynamic programming over prefixes:
``D[i][j] = min(D[i-1][j] + 1, D[i][j-1] + 1, D[i-1][j-1] + [a_i != b_j])``.

With several reference pronunciations per word (``read``: R IY D / R EH D), a hypothesis is
scored against its **closest** reference (fewest edits; on a tie, the first listed):

* phoneme error rate ``PER = sum of edits / sum of the chosen references' lengths``;
* word error rate ``WER`` = fraction of words whose hypothesis equals **no** reference.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["levenshtein", "closest_reference", "phoneme_error_rate", "word_error_rate"]


def levenshtein(a: Sequence, b: Sequence) -> int:
    """Edit distance between two sequences of hashable tokens (strings, tuples, lists)."""
    prev = list(range(len(b) + 1))  # D[0][j] = j insertions
    for i, x in enumerate(a, start=1):
        cur = [i] + [0] * len(b)  # D[i][0] = i deletions
        for j, y in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def closest_reference(hyp: Sequence, refs: Sequence[Sequence]) -> tuple[int, Sequence]:
    """``(edits, reference)`` of the reference with the fewest edits (first one on ties)."""
    if len(refs) == 0:
        raise ValueError(
            "refs must hold at least one reference pronunciation, got none"
        )
    best = None
    for ref in refs:
        d = levenshtein(hyp, ref)
        if best is None or d < best[0]:
            best = (d, ref)
    return best


def _check_lengths(hyps, refs_list):
    if len(hyps) != len(refs_list):
        raise ValueError(
            f"expected one list of references per hypothesis, got {len(hyps)} hypotheses "
            f"and {len(refs_list)} reference lists"
        )
    if len(hyps) == 0:
        raise ValueError("expected at least one hypothesis, got none")


def phoneme_error_rate(
    hyps: Sequence[Sequence], refs_list: Sequence[Sequence[Sequence]]
):
    """Total edits to the closest references / total length of those references."""
    _check_lengths(hyps, refs_list)
    edits = length = 0
    for hyp, refs in zip(hyps, refs_list):
        d, ref = closest_reference(hyp, refs)
        edits += d
        length += len(ref)
    return edits / length


def word_error_rate(hyps: Sequence[Sequence], refs_list: Sequence[Sequence[Sequence]]):
    """Fraction of hypotheses that equal none of their references."""
    _check_lengths(hyps, refs_list)
    wrong = sum(
        all(tuple(hyp) != tuple(r) for r in refs) for hyp, refs in zip(hyps, refs_list)
    )
    return wrong / len(hyps)
