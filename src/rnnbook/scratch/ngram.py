r"""Character n-gram language models with interpolated Kneser–Ney smoothing, in NumPy.

An order-``n`` model predicts the next character from the ``n - 1`` characters before it. Raw
relative frequencies give probability 0 to every continuation not seen in training, so the
probabilities are *smoothed*. Interpolated Kneser–Ney (Kneser & Ney 1995; Chen & Goodman 1999)
subtracts a fixed discount ``D`` from every seen count and gives the freed mass to a lower-order
distribution::

    P(w | h) = max(c(h w) - D, 0) / c(h)  +  D * N1+(h .) / c(h) * P(w | h')

``h'`` is ``h`` without its first (oldest) character, ``c(h) = sum_w c(h w)`` and ``N1+(h .)``
is the number of distinct characters seen after ``h``. The highest order uses raw counts; every
lower order uses *continuation counts* ``N1+(. h w)``, the number of distinct characters seen
before ``h w``: a lower-order distribution is only consulted for contexts the higher order has
not covered well, so what matters is in how many contexts a string occurs, not how often. The
lowest order (no context) is interpolated with the uniform distribution ``1 / V``, so that every
character gets a non-zero probability. A context never seen in training (``c(h) = 0``) hands its
whole mass to ``P(w | h')``. Each order's discount is the estimate ``D = n1 / (n1 + 2 n2)``,
``n_r`` the number of strings of that order with count ``r``.

Everything is vectorised: n-grams are integer keys ``sum_j id_j V^(n-1-j)`` (exact in int64 for
``V^n < 2^63``), counted with ``np.unique`` and looked up with ``np.searchsorted``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KneserNeyLM", "kneser_ney_family", "ngram_keys"]


def ngram_keys(ids: np.ndarray, k: int, V: int) -> np.ndarray:
    """Integer keys of the k-grams ``ids[t-k+1 .. t]`` for ``t = k-1 .. len(ids)-1``.

    Returns a (len(ids) - k + 1,) int64 array; ``k = 0`` gives zeros (the empty context) for
    every position ``t = 0 .. len(ids)``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if k == 0:
        return np.zeros(len(ids) + 1, dtype=np.int64)
    keys = ids[: len(ids) - k + 1].copy()
    for j in range(1, k):
        keys = keys * V + ids[j : len(ids) - k + 1 + j]
    return keys


def _lookup(
    table_keys: np.ndarray, values: np.ndarray, query: np.ndarray
) -> np.ndarray:
    """``values`` at the positions of ``query`` in the sorted ``table_keys``; 0 if absent."""
    if len(table_keys) == 0:
        return np.zeros(len(query), dtype=values.dtype)
    pos = np.searchsorted(table_keys, query)
    pos = np.minimum(pos, len(table_keys) - 1)
    found = table_keys[pos] == query
    return np.where(found, values[pos], 0)


class KneserNeyLM:
    """Interpolated Kneser–Ney character n-gram model.

    Parameters
    ----------
    ids : (L,) integer array of training ids in ``[0, V)``
    V : vocabulary size
    order : n, the model conditions on the previous ``n - 1`` characters (1 = unigram)
    discounts : optional list of ``order`` discounts in (0, 1], lowest order first; by default
        each is estimated as ``n1 / (n1 + 2 n2)`` from that order's counts

    After fitting, ``self.tables[k]`` (k = 1 .. order) holds for the k-grams: sorted ``keys``,
    their ``counts`` (raw at the top order, continuation counts below), and for their contexts
    (the first k-1 characters) sorted ``ctx_keys``, ``ctx_total`` (sum of counts) and
    ``ctx_types`` (number of distinct next characters).
    """

    def __init__(self, ids, V: int, order: int, discounts=None, _cache=None):
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"expected ids of shape (L,), got {ids.shape}")
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"expected integer ids, got dtype {ids.dtype}")
        if V < 1:
            raise ValueError(f"V must be at least 1, got {V}")
        if order < 1:
            raise ValueError(f"order must be at least 1, got {order}")
        if float(V) ** order >= 2.0**62:
            raise ValueError(f"V**order = {V}**{order} is too large for int64 keys")
        if len(ids) < order:
            raise ValueError(f"{len(ids)} ids are too few for order {order}")
        if ids.size and (ids.min() < 0 or ids.max() >= V):
            raise ValueError(
                f"ids must lie in [0, {V}), got [{ids.min()}, {ids.max()}]"
            )
        if discounts is not None and len(discounts) != order:
            raise ValueError(
                f"expected {order} discounts (one per order), got {len(discounts)}"
            )
        self.V, self.order = V, order
        self.tables: dict[int, dict] = {}
        self.discounts: list[float] = []
        # top order: raw counts of every n-gram; below: continuation counts
        self.tables[order] = _raw_stats(ids, order, V, _cache)
        for k in range(order - 1, 0, -1):
            self.tables[k] = _continuation_stats(ids, k, V, _cache)
        for k in range(1, order + 1):
            if discounts is not None:
                d = float(discounts[k - 1])
                if not 0.0 < d <= 1.0:
                    raise ValueError(f"discounts must lie in (0, 1], got {d}")
            else:
                c = self.tables[k]["counts"]
                n1, n2 = np.sum(c == 1), np.sum(c == 2)
                d = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5
                d = float(min(max(d, 0.05), 1.0))
            self.discounts.append(d)

    def _level(self, k: int, ctx: np.ndarray, gram: np.ndarray, lower: np.ndarray):
        """P_k(w | h) for arrays of context keys and k-gram keys, given P_{k-1}."""
        tab, D = self.tables[k], self.discounts[k - 1]
        c = _lookup(tab["keys"], tab["counts"], gram).astype(np.float64)
        total = _lookup(tab["ctx_keys"], tab["ctx_total"], ctx).astype(np.float64)
        types = _lookup(tab["ctx_keys"], tab["ctx_types"], ctx).astype(np.float64)
        seen = total > 0
        safe = np.where(seen, total, 1.0)
        p = np.maximum(c - D, 0.0) / safe + D * types / safe * lower
        return np.where(seen, p, lower)

    def log_probs(self, ids, start: int | None = None) -> np.ndarray:
        """Natural-log probabilities of ``ids[t]`` given ``ids[t-n+1 .. t-1]``, ``t >= start``.

        ``start`` defaults to ``order - 1`` (the first position with a full context); it must
        be at least ``order - 1``. Returns a (len(ids) - start,) float64 array.
        """
        ids = np.asarray(ids, dtype=np.int64)
        n = self.order
        start = n - 1 if start is None else start
        if ids.ndim != 1:
            raise ValueError(f"expected ids of shape (L,), got {ids.shape}")
        if start < n - 1 or start >= len(ids):
            raise ValueError(
                f"start must lie in [{n - 1}, {len(ids)}) for order {n}, got {start}"
            )
        if ids.min() < 0 or ids.max() >= self.V:
            raise ValueError(f"ids must lie in [0, {self.V})")
        L = len(ids) - start
        p = np.full(L, 1.0 / self.V)
        for k in range(1, n + 1):
            gram = ngram_keys(ids, k, self.V)[start - k + 1 :][:L]
            ctx = gram // self.V
            p = self._level(k, ctx, gram, p)
        return np.log(p)

    def cross_entropy(self, ids, start: int | None = None) -> float:
        """Mean negative log-probability in nats per character (see ``log_probs``)."""
        return float(-np.mean(self.log_probs(ids, start)))

    def next_distribution(self, context) -> np.ndarray:
        """(V,) probabilities of the next character after ``context`` (its last n-1 ids)."""
        context = np.asarray(context, dtype=np.int64)
        if context.ndim != 1 or len(context) < self.order - 1:
            raise ValueError(
                f"expected a context of shape (L,) with L >= {self.order - 1}, "
                f"got {context.shape}"
            )
        context = context[len(context) - (self.order - 1) :]
        w = np.arange(self.V, dtype=np.int64)
        p = np.full(self.V, 1.0 / self.V)
        for k in range(1, self.order + 1):
            ctx_key = 0
            for i in context[len(context) - (k - 1) :] if k > 1 else []:
                ctx_key = ctx_key * self.V + int(i)
            ctx = np.full(self.V, ctx_key, dtype=np.int64)
            p = self._level(k, ctx, ctx * self.V + w, p)
        return p


def _context_stats(keys: np.ndarray, counts: np.ndarray, V: int) -> dict:
    ctx = keys // V
    ctx_keys, start = np.unique(ctx, return_index=True)  # keys sorted -> ctx sorted
    total = np.add.reduceat(counts, start)
    types = np.diff(np.append(start, len(keys)))
    return {
        "keys": keys,
        "counts": counts,
        "ctx_keys": ctx_keys,
        "ctx_total": total,
        "ctx_types": types,
    }


def _raw_stats(ids, k: int, V: int, cache: dict | None) -> dict:
    """Table of the raw counts c(g) of the k-grams g of ``ids``."""
    if cache is not None and ("raw", k) in cache:
        return cache[("raw", k)]
    keys, counts = np.unique(ngram_keys(ids, k, V), return_counts=True)
    table = _context_stats(keys, counts.astype(np.int64), V)
    if cache is not None:
        cache[("raw", k)] = table
    return table


def _continuation_stats(ids, k: int, V: int, cache: dict | None) -> dict:
    """Table of the continuation counts N1+(. g): distinct characters seen before g."""
    if cache is not None and ("cont", k) in cache:
        return cache[("cont", k)]
    longer = _raw_stats(ids, k + 1, V, cache)["keys"]  # distinct (k+1)-grams
    keys, counts = np.unique(longer % V**k, return_counts=True)
    table = _context_stats(keys, counts.astype(np.int64), V)
    if cache is not None:
        cache[("cont", k)] = table
    return table


def kneser_ney_family(ids, V: int, max_order: int) -> list[KneserNeyLM]:
    """Models of orders ``1 .. max_order`` on the same ids, sharing their count tables."""
    cache: dict = {}
    return [KneserNeyLM(ids, V, n, _cache=cache) for n in range(1, max_order + 1)]
