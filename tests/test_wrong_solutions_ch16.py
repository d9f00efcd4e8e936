"""Plausible wrong solutions of exercise set 16 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest
from exercise_harness import Wrong, assert_loses_points, run_cell

from rnnbook.grading import run_exercise

IMPORTS = "import numpy as np\n"

EDIT_RIGHT = """
def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            sub = prev[j - 1] + (a[i - 1] != b[j - 1])
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, sub)
        prev = cur
    return prev[-1]
"""

PER_RIGHT = (
    EDIT_RIGHT
    + """
def phoneme_error_rate(hyps, refs_list):
    edits = length = 0
    for hyp, refs in zip(hyps, refs_list):
        dists = [edit_distance(hyp, r) for r in refs]
        best = int(np.argmin(dists))
        edits += dists[best]
        length += len(refs[best])
    return edits / length
"""
)

ATT_RIGHT = """
def additive_attention(query, memory, mask, W_q, W_k, v):
    hidden = np.tanh((query @ W_q.T)[:, None, :] + memory @ W_k.T)
    scores = np.where(mask, hidden @ v, -np.inf)
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    weights = e / e.sum(axis=1, keepdims=True)
    return weights, np.einsum("ns,nsm->nm", weights, memory)
"""

BEAM_RIGHT = """
def beam_step(scores, finished, logp, K, pad):
    V = logp.shape[1]
    cont = np.where(finished[:, None], -np.inf, logp)
    cont[finished, pad] = 0.0
    cand = scores[:, None] + cont
    flat = np.argsort(-cand, axis=None, kind="stable")[:K]
    return cand.reshape(-1)[flat], flat // V, flat % V
"""

GREEDY_RIGHT = """
def greedy_decode(table, bos, eos, max_len):
    y, ids, score = bos, [], 0.0
    for t in range(max_len):
        row = table[t, y]
        y = int(np.argmax(row))
        ids.append(y)
        score += float(row[y])
        if y == eos:
            break
    return ids, score
"""

WRONG = [
    # ------------------------------------------------------------------ 16.1 edit_distance
    Wrong(
        "16.1",
        "substitution-costs-two",
        EDIT_RIGHT.replace("(a[i - 1] != b[j - 1])", "2 * (a[i - 1] != b[j - 1])"),
        "two substitutions",
    ),
    Wrong(
        "16.1",
        "first-column-not-initialised",
        EDIT_RIGHT.replace("cur = [i] + [0] * len(b)", "cur = [0] * (len(b) + 1)"),
        "distance",
    ),
    Wrong(
        "16.1",
        "hamming-distance-plus-length-difference",
        """
        def edit_distance(a, b):
            return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))
        """,
        "one insertion",
    ),
    # -------------------------------------------------------------- 16.2 phoneme_error_rate
    Wrong(
        "16.2",
        "divides-by-the-hypothesis-length",
        PER_RIGHT.replace("length += len(refs[best])", "length += len(hyp)"),
        "PER",
    ),
    Wrong(
        "16.2",
        "only-the-first-reference",
        PER_RIGHT.replace(
            "dists = [edit_distance(hyp, r) for r in refs]", "refs = refs[:1]"
        )
        .replace("best = int(np.argmin(dists))", "best = 0")
        .replace("edits += dists[best]", "edits += edit_distance(hyp, refs[0])"),
        "every word matches a reference",
    ),
    Wrong(
        "16.2",
        "denominator-is-the-longest-reference",
        PER_RIGHT.replace(
            "length += len(refs[best])", "length += max(len(r) for r in refs)"
        ),
        "chosen reference",
    ),
    Wrong(
        "16.2",
        "mean-of-per-word-rates",
        EDIT_RIGHT
        + """
def phoneme_error_rate(hyps, refs_list):
    rates = []
    for hyp, refs in zip(hyps, refs_list):
        rates.append(min(edit_distance(hyp, r) / len(r) for r in refs))
    return float(np.mean(rates))
""",
        "PER",
    ),
    # -------------------------------------------------------------- 16.3 additive_attention
    Wrong(
        "16.3",
        "mask-ignored",
        ATT_RIGHT.replace("np.where(mask, hidden @ v, -np.inf)", "hidden @ v"),
        "padding",
    ),
    Wrong(
        "16.3",
        "mask-multiplied-after-softmax-not-renormalised",
        """
        def additive_attention(query, memory, mask, W_q, W_k, v):
            hidden = np.tanh((query @ W_q.T)[:, None, :] + memory @ W_k.T)
            scores = hidden @ v
            e = np.exp(scores - scores.max(axis=1, keepdims=True))
            weights = e / e.sum(axis=1, keepdims=True) * mask
            return weights, np.einsum("ns,nsm->nm", weights, memory)
        """,
        "sum of each row",
    ),
    Wrong(
        "16.3",
        "padded-scores-set-to-zero",
        ATT_RIGHT.replace("-np.inf)", "0.0)"),
        "padding",
    ),
    Wrong(
        "16.3",
        "softmax-without-max-subtraction-overflows",
        ATT_RIGHT.replace("scores = scores - scores.max(axis=1, keepdims=True)", ""),
        "large scores",
    ),
    Wrong(
        "16.3",
        "softmax-over-the-batch-axis",
        ATT_RIGHT.replace(
            "weights = e / e.sum(axis=1, keepdims=True)",
            "weights = e / e.sum(axis=0, keepdims=True)",
        ),
        "",
    ),
    # ---------------------------------------------------------------------- 16.4 beam_step
    Wrong(
        "16.4",
        "finished-hypotheses-expanded-like-live-ones",
        """
        def beam_step(scores, finished, logp, K, pad):
            V = logp.shape[1]
            cand = scores[:, None] + logp
            flat = np.argsort(-cand, axis=None, kind="stable")[:K]
            return cand.reshape(-1)[flat], flat // V, flat % V
        """,
        "finished",
    ),
    Wrong(
        "16.4",
        "finished-hypotheses-dropped",
        BEAM_RIGHT.replace("cont[finished, pad] = 0.0", ""),
        "finished",
    ),
    Wrong(
        "16.4",
        "best-continuation-per-hypothesis-only",
        """
        def beam_step(scores, finished, logp, K, pad):
            cont = np.where(finished[:, None], -np.inf, logp)
            cont[finished, pad] = 0.0
            best = cont.argmax(axis=1)
            new = scores + cont[np.arange(len(scores)), best]
            order = np.argsort(-new, kind="stable")[:K]
            return new[order], order, best[order]
        """,
        "all live",
    ),
    Wrong(
        "16.4",
        "previous-score-not-added",
        BEAM_RIGHT.replace(
            "cand = scores[:, None] + cont", "cand = cont + 0 * scores[:, None]"
        ),
        "new scores",
    ),
    Wrong(
        "16.4",
        "worst-first",
        BEAM_RIGHT.replace(
            "np.argsort(-cand,", "np.argsort(np.where(np.isinf(cand), np.inf, cand),"
        ),
        "",
    ),
    # ------------------------------------------------------------------ 16.5 greedy_decode
    Wrong(
        "16.5",
        "stop-token-left-out",
        GREEDY_RIGHT.replace(
            "        ids.append(y)\n        score += float(row[y])\n        if y == eos:\n"
            "            break\n",
            "        if y == eos:\n            break\n        ids.append(y)\n"
            "        score += float(row[y])\n",
        ),
        "</s>",
    ),
    Wrong(
        "16.5",
        "never-stops-at-eos",
        GREEDY_RIGHT.replace("        if y == eos:\n            break\n", ""),
        "</s>",
    ),
    Wrong(
        "16.5",
        "always-feeds-the-start-token",
        GREEDY_RIGHT.replace("row = table[t, y]", "row = table[t, bos]"),
        "back in",
    ),
    Wrong(
        "16.5",
        "one-step-too-few",
        GREEDY_RIGHT.replace("range(max_len)", "range(max_len - 1)"),
        "max_len",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(
        dataclasses.replace(wrong, source=IMPORTS + textwrap.dedent(wrong.source))
    )


@pytest.mark.parametrize(
    "exercise_id, source",
    [
        ("16.1", EDIT_RIGHT),
        ("16.2", PER_RIGHT),
        ("16.3", ATT_RIGHT),
        ("16.4", BEAM_RIGHT),
        ("16.5", GREEDY_RIGHT),
    ],
)
def test_reference_solution_earns_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(IMPORTS + source, {}), quiet=True)
    assert result.points == result.max_points, result.reasons
