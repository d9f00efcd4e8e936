r"""First-order optimisers in NumPy that update a dict of parameters in place.

Every optimiser holds a reference to the model's parameter dict ``params`` (name -> array) and
its ``step(grads)`` takes a dict with the *same keys* holding the gradients of the loss
(``grads["Whh"]`` is :math:`\partial L / \partial W_{hh}`, of the shape of ``params["Whh"]``).
The arrays in ``params`` are modified in place, so a model that keeps those arrays sees the
update. The update rules follow ``torch.optim`` (same defaults, same placement of ``eps``), and
the tests check them against it:

``SGD``      :math:`b \leftarrow \mu b + g` (with ``momentum`` :math:`\mu`, :math:`b = g` at the
             first step), :math:`\theta \leftarrow \theta - \eta b`.
``Adagrad``  :math:`s \leftarrow s + g^2`,
             :math:`\theta \leftarrow \theta - \eta\, g / (\sqrt{s} + \epsilon)`
             (Duchi et al., 2011).
``Adam``     :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`,
             :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
             :math:`\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)` with
             :math:`\hat m = m / (1-\beta_1^t)`, :math:`\hat v = v / (1-\beta_2^t)`
             (Kingma and Ba, 2015).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Optimizer", "SGD", "Adagrad", "Adam"]


class Optimizer:
    """Base class: stores ``params`` and checks that ``grads`` match them."""

    def __init__(self, params: dict[str, np.ndarray], lr: float):
        if not isinstance(params, dict) or not params:
            raise TypeError(
                "params must be a non-empty dict mapping names to numpy arrays"
            )
        for name, p in params.items():
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(
                    f"params[{name!r}] must be a float numpy array, got {type(p).__name__}"
                )
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.params = params
        self.lr = lr
        self.t = 0  # number of steps taken

    def _check(self, grads: dict[str, np.ndarray]) -> None:
        if set(grads) != set(self.params):
            raise KeyError(
                f"grads must have the keys of params {sorted(self.params)}, got {sorted(grads)}"
            )
        for name, g in grads.items():
            if np.shape(g) != self.params[name].shape:
                raise ValueError(
                    f"expected grads[{name!r}] of shape {self.params[name].shape}, "
                    f"got {np.shape(g)}"
                )

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Update every ``params[name]`` in place from ``grads[name]``."""
        self._check(grads)
        self.t += 1
        for name, p in self.params.items():
            self._update(name, p, grads[name])

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with heavy-ball momentum (``torch.optim.SGD``)."""

    def __init__(self, params, lr: float = 1e-2, momentum: float = 0.0):
        super().__init__(params, lr)
        self.momentum = momentum
        self.buffers: dict[str, np.ndarray] = {}

    def _update(self, name, p, g):
        if self.momentum:
            if name in self.buffers:
                b = self.buffers[name]
                b *= self.momentum
                b += g
            else:
                b = self.buffers[name] = np.array(g, dtype=p.dtype, copy=True)
            g = b
        p -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad: per-parameter step sizes shrink with the sum of squared past gradients."""

    def __init__(self, params, lr: float = 1e-2, eps: float = 1e-10):
        super().__init__(params, lr)
        self.eps = eps
        self.sum_sq = {name: np.zeros_like(p) for name, p in params.items()}

    def _update(self, name, p, g):
        s = self.sum_sq[name]
        s += g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam: momentum on the gradient and on its square, with bias correction."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}

    def _update(self, name, p, g):
        m, v = self.m[name], self.v[name]
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * (g * g)
        m_hat = m / (1.0 - self.beta1**self.t)
        v_hat = v / (1.0 - self.beta2**self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
