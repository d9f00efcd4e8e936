"""Plausible wrong solutions of exercise set 13 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from exercise_harness import Wrong, assert_loses_points, run_cell  # noqa: E402

from rnnbook.grading import run_exercise  # noqa: E402

IMPORTS = "import math\nimport numpy as np\nimport torch\nfrom torch import nn\n"

RIGHT = {
    "13.1": """
def lm_metrics(loss, unit):
    nats = loss if unit == "nats" else loss * math.log(2)
    return nats, nats / math.log(2), math.exp(nats)
""",
    "13.2": """
def top_p_filter(probs, p):
    probs = np.asarray(probs, dtype=float)
    ranked = np.sort(probs)[::-1]
    before = np.cumsum(ranked) - ranked
    threshold = ranked[int(np.sum(before < p - 1e-12)) - 1]
    kept = np.where((probs >= threshold) & (probs > 0), probs, 0.0)
    return kept / kept.sum()
""",
    "13.3": """
def tbptt_epoch(model, x, y, T):
    losses, grads, state = [], [], None
    for s in range(0, x.shape[1], T):
        logits, state = model(x[:, s : s + T], state)
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y[:, s : s + T].reshape(-1))
        model.zero_grad()
        loss.backward()
        losses.append(loss.item())
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
        state = (tuple(v.detach() for v in state) if isinstance(state, tuple)
                 else state.detach())
    return losses, grads, state
""",
    "13.4": """
def kneser_ney_bigram(ids, V, D):
    C = np.zeros((V, V))
    np.add.at(C, (ids[:-1], ids[1:]), 1.0)
    seen = C > 0
    cont = seen.sum(0) / seen.sum()
    total = C.sum(1, keepdims=True)
    safe = np.where(total > 0, total, 1.0)
    P = np.maximum(C - D, 0) / safe + D * seen.sum(1, keepdims=True) / safe * cont
    return np.where(total > 0, P, cont)
""",
}

TBPTT_LOOP = """
def tbptt_epoch(model, x, y, T):
    losses, grads, state = [], [], None
    for s in range(0, x.shape[1], T):
        {before}
        logits, state = model(x[:, s : s + T], state)
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y[:, s : s + T].reshape(-1))
        {zero}
        loss.backward({retain})
        losses.append(loss.item())
        grads.append({{n: p.grad.clone() for n, p in model.named_parameters()}})
        {after}
    return losses, grads, state
"""
DETACH = (
    "state = (tuple(v.detach() for v in state) if isinstance(state, tuple) "
    "else state.detach())"
)


def tbptt(before="pass", zero="model.zero_grad()", retain="", after=DETACH):
    return TBPTT_LOOP.format(before=before, zero=zero, retain=retain, after=after)


WRONG = [
    # ---------------------------------------------------------------- 13.1 lm_metrics
    Wrong(
        "13.1",
        "bits-times-ln2",  # converts in the wrong direction
        """
        def lm_metrics(loss, unit):
            nats = loss if unit == "nats" else loss / math.log(2)
            return nats, nats * math.log(2), math.exp(nats)
        """,
        "metrics",
    ),
    Wrong(
        "13.1",
        "ignores-unit",  # treats every loss as nats
        """
        def lm_metrics(loss, unit):
            return loss, loss / math.log(2), math.exp(loss)
        """,
        "a loss in bits",
    ),
    Wrong(
        "13.1",
        "perplexity-exp-of-bits",
        """
        def lm_metrics(loss, unit):
            nats = loss if unit == "nats" else loss * math.log(2)
            bits = nats / math.log(2)
            return nats, bits, math.exp(bits)
        """,
        "perplexity",
    ),
    # ---------------------------------------------------------------- 13.2 top_p_filter
    Wrong(
        "13.2",
        "drops-the-crossing-entry",  # keeps cumulative mass < p only
        """
        def top_p_filter(probs, p):
            order = np.argsort(-probs)
            keep = np.cumsum(probs[order]) < p
            keep[0] = True
            out = np.zeros_like(probs)
            out[order[keep]] = probs[order[keep]]
            return out / out.sum()
        """,
        "crosses p",
    ),
    Wrong(
        "13.2",
        "not-renormalised",
        """
        def top_p_filter(probs, p):
            order = np.argsort(-probs)
            before = np.cumsum(probs[order]) - probs[order]
            keep = order[before < p]
            out = np.zeros_like(probs)
            out[keep] = probs[keep]
            return out
        """,
        "sum",
    ),
    Wrong(
        "13.2",
        "ties-broken-by-the-sort",  # cuts a group of tied entries
        """
        def top_p_filter(probs, p):
            order = np.argsort(-probs, kind="stable")
            before = np.cumsum(probs[order]) - probs[order]
            keep = order[before < p - 1e-12]
            out = np.zeros_like(probs)
            out[keep] = probs[keep]
            return out / out.sum()
        """,
        "tied",
    ),
    Wrong(
        "13.2",
        "sorted-ascending",
        """
        def top_p_filter(probs, p):
            order = np.argsort(probs)
            before = np.cumsum(probs[order]) - probs[order]
            keep = order[before < p]
            out = np.zeros_like(probs)
            out[keep] = probs[keep]
            return out / out.sum()
        """,
    ),
    # ---------------------------------------------------------------- 13.3 tbptt_epoch
    Wrong(
        "13.3",
        "state-not-detached",  # backward through a freed graph raises
        tbptt(after="pass"),
        "",
    ),
    Wrong(
        "13.3",
        "not-detached-retain-graph",  # "fixes" the error: gradients leak across chunks
        tbptt(after="pass", retain="retain_graph=True"),
        "only that chunk's loss",
    ),
    Wrong(
        "13.3",
        "state-reset-every-chunk",
        tbptt(before="state = None"),
        "chunk losses",
    ),
    Wrong(
        "13.3",
        "gradients-not-cleared",  # accumulates over chunks
        tbptt(zero="pass"),
        "only that chunk's loss",
    ),
    Wrong(
        "13.3",
        "final-state-attached",  # detaches before the forward pass, returns it attached
        tbptt(
            before=DETACH.replace("state = (", "state = None if state is None else ("),
            after="pass",
        ),
        "detach",
    ),
    # ---------------------------------------------------------------- 13.4 kneser_ney_bigram
    Wrong(
        "13.4",
        "raw-unigram-as-lower-order",
        RIGHT["13.4"].replace(
            "cont = seen.sum(0) / seen.sum()", "cont = C.sum(0) / C.sum()"
        ),
        "P for D",
    ),
    Wrong(
        "13.4",
        "no-freed-mass",  # the discounted mass is thrown away
        """
        def kneser_ney_bigram(ids, V, D):
            C = np.zeros((V, V))
            np.add.at(C, (ids[:-1], ids[1:]), 1.0)
            total = np.maximum(C.sum(1, keepdims=True), 1)
            return np.maximum(C - D, 0) / total
        """,
        "row sums",
    ),
    Wrong(
        "13.4",
        "unseen-context-divides-by-zero",
        """
        def kneser_ney_bigram(ids, V, D):
            C = np.zeros((V, V))
            np.add.at(C, (ids[:-1], ids[1:]), 1.0)
            seen = C > 0
            cont = seen.sum(0) / seen.sum()
            total = C.sum(1, keepdims=True)
            return (np.maximum(C - D, 0) + D * seen.sum(1, keepdims=True) * cont) / total
        """,
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    wrong = Wrong(
        wrong.exercise_id, wrong.mistake, IMPORTS + _dedent(wrong.source), wrong.reason
    )
    assert_loses_points(wrong)


@pytest.mark.parametrize("exercise_id", sorted(RIGHT))
def test_right_solution_earns_full_marks(exercise_id):
    result = run_exercise(
        exercise_id, run_cell(IMPORTS + RIGHT[exercise_id]), quiet=True
    )
    assert result.points == result.max_points, result.reasons


def _dedent(source):
    import textwrap

    return textwrap.dedent(source).lstrip("\n")
