r"""Diagonal state-space models and the LRU's initialisation in NumPy (chapter 19).

A continuous-time linear state-space model (SSM) with input ``u(t)`` and state ``x(t)``,

    x'(t) = A x(t) + B u(t),        y(t) = Re(C x(t)),

becomes a recurrence once it is sampled with step ``dt`` (discretisation):

    x_k = Abar x_{k-1} + Bbar u_k,  y_k = Re(C x_k).

Zero-order hold (ZOH: ``u`` constant over each step) gives ``Abar = exp(dt A)`` and
``Bbar = A^{-1} (exp(dt A) - I) B``; the bilinear (Tustin) rule gives
``Abar = (I - dt/2 A)^{-1} (I + dt/2 A)`` and ``Bbar = (I - dt/2 A)^{-1} dt B``. With a
diagonal ``A`` (S4D, S5 after diagonalising, the LRU) every matrix function is a function of
the diagonal entries, and the model is ``P`` independent complex scalar recurrences.

Unrolling the recurrence from ``x_{-1} = 0`` gives the **convolution view**

    y_t = sum_{k=0}^{t} K_k u_{t-k},     K_k = Re(sum_p C_p Abar_p^k Bbar_p),

so a time-invariant SSM can be computed either step by step (recurrent view, O(1) memory per
step) or as one long causal convolution with the kernel ``K`` (parallel over t, FFT).

Shapes: one SSM per channel (single input, single output, as in S4D): ``u`` (N, T, H);
``A``, ``B``, ``C`` (H, P) complex with ``P`` states per channel; ``dt`` (H,) positive;
the kernel ``K`` is (H, T) real.

The LRU (Orvieto et al. 2023) starts from the discrete side: its eigenvalues ``lambda`` are
initialised uniformly on a ring ``r_min <= |lambda| <= r_max`` of the complex plane
(:func:`lru_ring_init`) and stored through ``nu_log``, ``theta_log`` (:func:`lru_parameters`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "discretize_zoh",
    "discretize_bilinear",
    "discretize_zoh_dense",
    "ssm_recurrence",
    "ssm_kernel",
    "causal_convolution",
    "s4d_lin_init",
    "lru_ring_init",
    "lru_parameters",
    "lru_eigenvalues",
]


def _as_complex(name, value, ndim):
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"expected {name} to be a numpy array, got {type(value).__name__}"
        )
    if value.ndim != ndim:
        raise ValueError(
            f"expected {name} to have {ndim} dimensions, got shape {value.shape}"
        )
    if not (
        np.issubdtype(value.dtype, np.floating)
        or np.issubdtype(value.dtype, np.complexfloating)
    ):
        raise TypeError(f"expected {name} to hold numbers, got dtype {value.dtype}")
    return value


def _check_diagonal(A, B, dt):
    _as_complex("A", A, 2)
    _as_complex("B", B, 2)
    if B.shape != A.shape:
        raise ValueError(f"expected B of shape (H, P) = {A.shape}, got {B.shape}")
    dt = np.asarray(dt, dtype=float)
    if dt.shape != (A.shape[0],):
        raise ValueError(f"expected dt of shape (H,) = ({A.shape[0]},), got {dt.shape}")
    if np.any(dt <= 0):
        raise ValueError(f"expected dt > 0, got min(dt) = {dt.min()}")
    if np.any(A == 0):
        raise ValueError("A has a zero entry: ZOH divides by A (use a small nonzero)")
    return dt[:, None]


def discretize_zoh(A, B, dt):
    """Zero-order hold for diagonal ``A``: ``Abar = exp(dt A)``, ``Bbar = (Abar - 1) / A * B``.

    A, B : (H, P) complex (the diagonals of H channels' P x P matrices and their input
    vectors); dt : (H,) positive step sizes. Returns Abar, Bbar : (H, P) complex.
    """
    dt = _check_diagonal(A, B, dt)
    Abar = np.exp(dt * A)
    return Abar, (Abar - 1) / A * B


def discretize_bilinear(A, B, dt):
    """Bilinear (Tustin) rule for diagonal ``A``.

    ``Abar = (1 + dt/2 A) / (1 - dt/2 A)``, ``Bbar = dt / (1 - dt/2 A) * B``.
    A, B : (H, P) complex; dt : (H,). Returns Abar, Bbar : (H, P) complex.
    """
    dt = _check_diagonal(A, B, dt)
    denom = 1 - dt / 2 * A
    return (1 + dt / 2 * A) / denom, dt / denom * B


def discretize_zoh_dense(A, B, dt):
    """ZOH for a dense (diagonalisable) ``A`` by diagonalising it, as S5 does.

    ``A = V diag(lam) V^{-1}`` gives ``exp(dt A) = V diag(exp(dt lam)) V^{-1}`` and
    ``A^{-1} (exp(dt A) - I) = V diag((exp(dt lam) - 1) / lam) V^{-1}``.
    A : (P, P) real or complex, invertible and diagonalisable; B : (P, D); dt : float > 0.
    Returns Abar (P, P), Bbar (P, D) (complex; real up to rounding when A, B are real).
    """
    _as_complex("A", A, 2)
    _as_complex("B", B, 2)
    P = A.shape[0]
    if A.shape != (P, P) or B.shape[0] != P:
        raise ValueError(
            f"expected A of shape (P, P) and B of shape (P, D), got {A.shape}, {B.shape}"
        )
    if not dt > 0:
        raise ValueError(f"expected dt > 0, got {dt}")
    lam, V = np.linalg.eig(A)
    V_inv = np.linalg.inv(V)
    Abar = (V * np.exp(dt * lam)) @ V_inv
    Bbar = (V * ((np.exp(dt * lam) - 1) / lam)) @ V_inv @ B
    return Abar, Bbar


def ssm_recurrence(Abar, Bbar, C, u):
    """Recurrent view: ``x_t = Abar * x_{t-1} + Bbar u_t``, ``y_t = Re(sum_p C_p x_t)``.

    Abar, Bbar, C : (H, P) complex; u : (N, T, H) real. Returns y : (N, T, H) real.
    One loop over time; each step updates all N x H x P states at once.
    """
    for name, value in (("Abar", Abar), ("Bbar", Bbar), ("C", C)):
        _as_complex(name, value, 2)
        if value.shape != Abar.shape:
            raise ValueError(
                f"expected {name} of shape (H, P) = {Abar.shape}, got {value.shape}"
            )
    _as_complex("u", u, 3)
    if u.shape[2] != Abar.shape[0]:
        raise ValueError(
            f"expected u of shape (N, T, H) with H = {Abar.shape[0]}, got {u.shape}"
        )
    N, T, H = u.shape
    x = np.zeros((N, H, Abar.shape[1]), dtype=np.result_type(Abar, Bbar, u))
    y = np.empty((N, T, H))
    for t in range(T):
        x = Abar * x + Bbar * u[:, t, :, None]
        y[:, t] = (C * x).sum(axis=-1).real
    return y


def ssm_kernel(Abar, Bbar, C, T):
    """Convolution kernel ``K[h, k] = Re(sum_p C[h,p] Abar[h,p]^k Bbar[h,p])``, k < T.

    Abar, Bbar, C : (H, P) complex; T : kernel length. Returns K : (H, T) real.
    The powers are formed as ``exp(k log Abar)`` (a Vandermonde matrix), not by repeated
    multiplication, so each entry costs O(1) and the whole kernel is one array expression.
    """
    for name, value in (("Abar", Abar), ("Bbar", Bbar), ("C", C)):
        _as_complex(name, value, 2)
        if value.shape != Abar.shape:
            raise ValueError(
                f"expected {name} of shape (H, P) = {Abar.shape}, got {value.shape}"
            )
    k = np.arange(T)
    powers = np.exp(np.log(Abar.astype(complex))[..., None] * k)  # (H, P, T)
    return np.einsum("hp,hpk->hk", C * Bbar, powers).real


def causal_convolution(K, u, method="fft"):
    """``y[n, t, h] = sum_{k=0}^{t} K[h, k] u[n, t-k, h]``; K (H, T), u (N, T, H).

    method "fft": zero-pad both to length 2T (so the circular convolution the FFT computes
    equals the linear one on the first T outputs), multiply spectra, invert: O(T log T).
    method "direct": the sum as written, O(T^2) (the reference).
    """
    _as_complex("K", K, 2)
    _as_complex("u", u, 3)
    N, T, H = u.shape
    if K.shape != (H, T):
        raise ValueError(f"expected K of shape (H, T) = {(H, T)}, got {K.shape}")
    if method == "direct":
        y = np.zeros((N, T, H))
        for t in range(T):
            # u[:, t::-1] is u_t, u_{t-1}, ..., u_0, paired with K_0, K_1, ..., K_t.
            y[:, t] = np.einsum("nkh,hk->nh", u[:, t::-1], K[:, : t + 1])
        return y
    if method != "fft":
        raise ValueError(f"method must be 'fft' or 'direct', got {method!r}")
    n = 2 * T
    spectrum = np.fft.rfft(u, n=n, axis=1) * np.fft.rfft(K, n=n, axis=1).T[None]
    return np.fft.irfft(spectrum, n=n, axis=1)[:, :T]


def s4d_lin_init(H, P, dt_min=1e-3, dt_max=1e-1, seed=0):
    """S4D-Lin initialisation: ``A[h, p] = -1/2 + i pi p``, ``B = 1``, random ``C``.

    The step sizes ``dt`` are log-uniform on [dt_min, dt_max].
    Returns A, B, C : (H, P) complex and dt : (H,).
    (Gu et al. 2022, "On the parameterization and initialization of diagonal state
    space models".)
    """
    rng = np.random.default_rng(seed)
    A = np.broadcast_to(-0.5 + 1j * np.pi * np.arange(P), (H, P)).copy()
    B = np.ones((H, P), dtype=complex)
    C = (rng.standard_normal((H, P)) + 1j * rng.standard_normal((H, P))) / np.sqrt(2)
    dt = np.exp(rng.uniform(np.log(dt_min), np.log(dt_max), size=H))
    return A, B, C, dt


def lru_ring_init(P, r_min=0.9, r_max=0.999, max_phase=2 * np.pi, seed=0):
    """LRU eigenvalues uniform on the ring ``r_min <= |lambda| <= r_max``, phase in [0, max_phase].

    Uniform *on the ring* means uniform per unit area: the area inside radius r grows like
    r^2, so ``|lambda|^2`` (not ``|lambda|``) is uniform on ``[r_min^2, r_max^2]``.
    Returns lambda : (P,) complex.
    """
    if not 0 <= r_min < r_max <= 1:
        raise ValueError(
            f"need 0 <= r_min < r_max <= 1, got r_min={r_min}, r_max={r_max}"
        )
    rng = np.random.default_rng(seed)
    radius = np.sqrt(rng.uniform(r_min**2, r_max**2, size=P))
    theta = rng.uniform(0.0, max_phase, size=P)
    return radius * np.exp(1j * theta)


def lru_parameters(lam):
    """The LRU's trainable parameters for eigenvalues ``lam`` (P,) complex, 0 < |lam| < 1.

    ``lam = exp(-exp(nu_log) + i exp(theta_log))`` and ``gamma = sqrt(1 - |lam|^2)``.
    Returns nu_log, theta_log, gamma_log : (P,) each (phases must be in (0, 2 pi)).
    """
    nu = -np.log(np.abs(lam))
    theta = np.angle(lam) % (2 * np.pi)
    return np.log(nu), np.log(theta), 0.5 * np.log(1 - np.abs(lam) ** 2)


def lru_eigenvalues(nu_log, theta_log):
    """``lambda = exp(-exp(nu_log) + i exp(theta_log))``: |lambda| < 1 for any real input."""
    return np.exp(-np.exp(nu_log) + 1j * np.exp(theta_log))
