"""The NumPy optimisers against torch.optim with the same hyper-parameters, in float64."""

import numpy as np
import pytest
import torch

from rnnbook.scratch.optim import SGD, Adagrad, Adam

SHAPES = {
    "Wxh": (4, 3),
    "Whh": (4, 4),
    "bh": (4,),
    "w": (1,),
}  # includes a one-element tensor


def _run_both(np_cls, torch_cls, np_kwargs, torch_kwargs, steps=7, seed=0):
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt = np_cls(params, **np_kwargs)
    topt = torch_cls(list(tparams.values()), **torch_kwargs)
    for _ in range(steps):
        # Gradients of very different sizes per entry, as in a real model.
        grads = {
            k: rng.standard_normal(s) * 10.0 ** rng.uniform(-3, 2, size=s)
            for k, s in SHAPES.items()
        }
        for k, p in tparams.items():
            p.grad = torch.tensor(grads[k])
        topt.step()
        opt.step(grads)
    return params, {k: p.detach().numpy() for k, p in tparams.items()}


def _max_abs_diff(a, b):
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_torch(momentum):
    ours, theirs = _run_both(
        SGD,
        torch.optim.SGD,
        dict(lr=0.05, momentum=momentum),
        dict(lr=0.05, momentum=momentum),
    )
    assert _max_abs_diff(ours, theirs) <= 1e-10


@pytest.mark.parametrize("eps", [1e-10, 1e-3])
def test_adagrad_matches_torch(eps):
    ours, theirs = _run_both(
        Adagrad, torch.optim.Adagrad, dict(lr=0.1, eps=eps), dict(lr=0.1, eps=eps)
    )
    assert _max_abs_diff(ours, theirs) <= 1e-10


@pytest.mark.parametrize("betas,eps", [((0.9, 0.999), 1e-8), ((0.5, 0.9), 1e-3)])
def test_adam_matches_torch(betas, eps):
    kw = dict(lr=0.01, betas=betas, eps=eps)
    ours, theirs = _run_both(Adam, torch.optim.Adam, kw, kw, steps=10)
    assert _max_abs_diff(ours, theirs) <= 1e-10


def test_updates_in_place():
    w = np.ones((2, 2))
    params = {"w": w}
    Adam(params, lr=0.1).step({"w": np.ones((2, 2))})
    assert params["w"] is w
    np.testing.assert_allclose(w, 0.9)  # Adam's first step moves every entry by lr


def test_sgd_does_not_alias_the_gradient():
    params = {"w": np.zeros(3)}
    g = np.ones(3)
    opt = SGD(params, lr=1.0, momentum=0.5)
    opt.step({"w": g})
    opt.step({"w": g})
    np.testing.assert_array_equal(
        g, 1.0
    )  # the caller's gradient is not used as the buffer


def test_bad_grads_are_named():
    opt = SGD({"Whh": np.zeros((3, 3))}, lr=0.1)
    with pytest.raises(
        ValueError, match=r"grads\['Whh'\] of shape \(3, 3\), got \(3, 2\)"
    ):
        opt.step({"Whh": np.zeros((3, 2))})
    with pytest.raises(KeyError, match="keys of params"):
        opt.step({"dWhh": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="learning rate"):
        Adam({"w": np.zeros(1)}, lr=0.0)
