r"""A small Linear Recurrent Unit (LRU) in PyTorch (chapter 19; Orvieto et al. 2023).

The layer maps inputs ``u`` (N, T, H) to outputs ``y`` (N, T, H) through a complex diagonal
linear recurrence with ``P`` states:

    x_t = lambda * x_{t-1} + gamma * (B u_t)        x_t, lambda, gamma : (P,) complex / real
    y_t = Re(C x_t) + D * u_t                       B : (P, H), C : (H, P) complex, D : (H,)

* **Exponential parametrisation.** ``lambda = exp(-exp(nu_log) + i exp(theta_log))``, so
  ``|lambda| = exp(-exp(nu_log)) < 1`` for every value of the trainable ``nu_log``: the
  recurrence stays stable whatever the optimiser does.
* **Ring initialisation.** ``|lambda|`` is drawn so that ``lambda`` is uniform on the ring
  ``r_min <= |lambda| <= r_max`` (area-uniform: ``|lambda|^2`` uniform on
  ``[r_min^2, r_max^2]``), the phase uniform on ``[0, max_phase]``
  (:func:`rnnbook.scratch.ssm.lru_ring_init` is the NumPy version).
* **Normalisation.** ``gamma = sqrt(1 - |lambda|^2)`` (stored as ``gamma_log``, trainable)
  keeps the state's variance near the input's for white-noise inputs even when
  ``|lambda|`` is close to 1.

``lru_recurrence`` computes ``x`` two ways: a loop over T steps and a parallel scan. Because
``lambda`` does not depend on t, the scan only needs the ``b`` half of the pair operator of
chapter 17: at level ``d = 1, 2, 4, ...`` every position adds ``lambda^d`` times the value
``d`` steps back (Hillis-Steele, ceil(log2 T) levels). The chapter-17 scans in
``rnnbook.frameworks.torch_scan`` accept real tensors only, which is why this module has its
own few lines for complex states.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["lru_recurrence", "lru_last_state", "LRU", "LRUModel"]


def lru_recurrence(lam, b, method="scan"):
    """``x_t = lam * x_{t-1} + b_t`` with ``x_{-1} = 0`` for a constant diagonal ``lam``.

    lam : (P,) complex, b : (N, T, P) complex; method "scan" (parallel) or "loop".
    Returns x : (N, T, P) complex.
    """
    if not (isinstance(b, torch.Tensor) and b.dim() == 3):
        raise ValueError(f"expected b of shape (N, T, P), got {getattr(b, 'shape', b)}")
    if lam.shape != (b.shape[2],):
        raise ValueError(
            f"expected lam of shape (P,) = ({b.shape[2]},), got {tuple(lam.shape)}"
        )
    if method == "loop":
        x = torch.zeros_like(b[:, 0])
        states = []
        for b_t in b.unbind(1):  # unbind: a linear-time backward (see torch_scan)
            x = lam * x + b_t
            states.append(x)
        return torch.stack(states, dim=1)
    if method != "scan":
        raise ValueError(f"method must be 'scan' or 'loop', got {method!r}")
    x, T, d, lam_d = b, b.shape[1], 1, lam
    while d < T:
        # Position t adds lam^d x_{t-d}: afterwards x_t sums 2d terms of the prefix.
        x = torch.cat([x[:, :d], x[:, d:] + lam_d * x[:, :-d]], dim=1)
        lam_d = lam_d * lam_d
        d *= 2
    return x


def lru_last_state(lam, b):
    """Only the last state ``x_{T-1} = sum_t lam^(T-1-t) b_t``: one weighted sum over t.

    lam : (P,) complex, b : (N, T, P) complex. Returns x : (N, P) complex. The powers come
    from ``exp(k log lam)``, which is safe for |lam| < 1 (no division by small powers).
    """
    T = b.shape[1]
    k = torch.arange(T - 1, -1, -1, device=b.device, dtype=b.real.dtype)
    powers = torch.exp(k[:, None] * torch.log(lam))  # (T, P)
    return torch.einsum("ntp,tp->np", b, powers)


class LRU(nn.Module):
    """One LRU layer: (N, T, H) -> (N, T, H) with ``n_state`` complex states.

    r_min, r_max : the ring ``r_min <= |lambda| <= r_max`` the eigenvalues start on;
    max_phase : phases start uniform on ``[0, max_phase]``.
    """

    def __init__(self, hidden, n_state, r_min=0.9, r_max=0.999, max_phase=2 * math.pi):
        super().__init__()
        if not 0 <= r_min < r_max < 1:
            raise ValueError(f"need 0 <= r_min < r_max < 1, got {r_min}, {r_max}")
        u1, u2 = torch.rand(n_state), torch.rand(n_state)
        # |lambda|^2 uniform on [r_min^2, r_max^2]  <=>  uniform density on the ring.
        nu = -0.5 * torch.log(u1 * (r_max**2 - r_min**2) + r_min**2)
        theta = max_phase * u2
        self.nu_log = nn.Parameter(torch.log(nu))
        self.theta_log = nn.Parameter(torch.log(theta))
        gamma = torch.sqrt(1 - torch.exp(-2 * nu))
        self.gamma_log = nn.Parameter(torch.log(gamma))
        scale_b = 1 / math.sqrt(2 * hidden)
        self.B_re = nn.Parameter(torch.randn(n_state, hidden) * scale_b)
        self.B_im = nn.Parameter(torch.randn(n_state, hidden) * scale_b)
        scale_c = 1 / math.sqrt(n_state)
        self.C_re = nn.Parameter(torch.randn(hidden, n_state) * scale_c)
        self.C_im = nn.Parameter(torch.randn(hidden, n_state) * scale_c)
        self.D = nn.Parameter(torch.randn(hidden))

    def eigenvalues(self):
        """lambda : (P,) complex."""
        return torch.exp(
            torch.complex(-torch.exp(self.nu_log), torch.exp(self.theta_log))
        )

    def forward(self, u, method="scan"):
        """u : (N, T, H) real -> y : (N, T, H) real.

        method "scan" or "loop" (all T outputs), or "last": only y_{T-1}, shape (N, H).
        """
        B = torch.complex(self.B_re, self.B_im) * torch.exp(self.gamma_log)[:, None]
        b = u.to(B.dtype) @ B.T  # (N, T, P)
        C = torch.complex(self.C_re, self.C_im)
        if method == "last":
            x = lru_last_state(self.eigenvalues(), b)
            return (x @ C.T).real + self.D * u[:, -1]
        x = lru_recurrence(self.eigenvalues(), b, method=method)
        return (x @ C.T).real + self.D * u

    def step(self, u_t, x_prev):
        """One generation step: u_t (N, H), x_prev (N, P) complex -> (y_t, x_t)."""
        B = torch.complex(self.B_re, self.B_im) * torch.exp(self.gamma_log)[:, None]
        x_t = self.eigenvalues() * x_prev + u_t.to(B.dtype) @ B.T
        C = torch.complex(self.C_re, self.C_im)
        return (x_t @ C.T).real + self.D * u_t, x_t


class LRUModel(nn.Module):
    """Encoder -> ``layers`` x [LRU -> GELU MLP, residual] -> linear readout of the last step.

    Regression of one number per sequence (the adding problem): x (N, T, D) -> (N,).
    The per-step ReLU encoder supplies the nonlinearity the linear recurrence lacks: on the
    adding problem a unit ``relu(v + m - 1)`` is exactly value times marker. ``norm=True``
    puts a LayerNorm before each LRU (as in deep LRU stacks); off by default because it
    rescales the sparse marked steps like every other step.
    """

    def __init__(self, d_in, hidden, n_state, layers=1, norm=False, **lru_kwargs):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU())
        self.norms = nn.ModuleList(
            nn.LayerNorm(hidden) if norm else nn.Identity() for _ in range(layers)
        )
        self.lrus = nn.ModuleList(
            LRU(hidden, n_state, **lru_kwargs) for _ in range(layers)
        )
        self.mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(hidden, hidden), nn.GELU()) for _ in range(layers)
        )
        self.readout = nn.Linear(hidden, 1)

    def forward(self, x, method="scan"):
        """x (N, T, D) -> (N,). Method "last" computes the last layer's state at the last
        step only (the same number; T times less work in that recurrence)."""
        z = self.encoder(x)
        n_layers = len(self.lrus)
        for i, (norm, lru, mlp) in enumerate(zip(self.norms, self.lrus, self.mlps)):
            if method == "last" and i == n_layers - 1:
                z_last = z[:, -1] + mlp(lru(norm(z), method="last"))
                return self.readout(z_last).squeeze(-1)
            z = z + mlp(lru(norm(z), method="scan" if method == "last" else method))
        return self.readout(z[:, -1]).squeeze(-1)
