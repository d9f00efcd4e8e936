"""The PyTorch LRU (rnnbook.frameworks.lru) and the decoders of chapter 21
(rnnbook.frameworks.generation_cost): parallel forms against step-by-step references."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnbook.frameworks.generation_cost import (  # noqa: E402
    RecurrentDecoder,
    TransformerDecoder,
    max_step_error,
    memory_bytes,
    time_generation_step,
)
from rnnbook.frameworks.lru import LRU, LRUModel, lru_last_state, lru_recurrence  # noqa: E402
from rnnbook.scratch import ssm  # noqa: E402


@pytest.mark.parametrize("T", [1, 2, 5, 64, 1000])
def test_scan_and_last_state_equal_the_loop(T):
    g = torch.Generator().manual_seed(T)
    lam = torch.exp(
        torch.complex(
            -torch.rand(6, generator=g, dtype=torch.float64) * 0.1,
            torch.rand(6, generator=g, dtype=torch.float64),
        )
    )
    b = torch.randn(3, T, 6, generator=g, dtype=torch.complex128)
    loop = lru_recurrence(lam, b, method="loop")
    # an independent loop in NumPy
    x, ref = np.zeros((3, 6), complex), []
    for t in range(T):
        x = lam.numpy() * x + b[:, t].numpy()
        ref.append(x)
    np.testing.assert_allclose(loop.numpy(), np.stack(ref, 1), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(lru_recurrence(lam, b), loop, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(
        lru_last_state(lam, b), loop[:, -1], rtol=1e-10, atol=1e-10
    )


def test_layer_matches_its_equations_and_the_numpy_ring():
    torch.manual_seed(0)
    layer = LRU(4, 8, r_min=0.5, r_max=0.9, max_phase=1.0).double()
    lam = layer.eigenvalues().detach().numpy()
    assert np.all((np.abs(lam) >= 0.5 - 1e-12) & (np.abs(lam) <= 0.9 + 1e-12))
    assert np.all((np.angle(lam) >= 0) & (np.angle(lam) <= 1.0 + 1e-12))
    gamma = np.exp(layer.gamma_log.detach().numpy())
    np.testing.assert_allclose(gamma, np.sqrt(1 - np.abs(lam) ** 2))
    nu_log, theta_log, _ = ssm.lru_parameters(lam)
    np.testing.assert_allclose(nu_log, layer.nu_log.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(theta_log, layer.theta_log.detach().numpy(), rtol=1e-10)
    # y_t = Re(C x_t) + D u_t with x_t from a plain loop
    u = torch.randn(2, 9, 4, dtype=torch.float64)
    B = (layer.B_re + 1j * layer.B_im).detach().numpy() * gamma[:, None]
    C = (layer.C_re + 1j * layer.C_im).detach().numpy()
    D = layer.D.detach().numpy()
    x, ys = np.zeros((2, 8), complex), []
    for t in range(9):
        x = lam * x + u[:, t].numpy() @ B.T
        ys.append((x @ C.T).real + D * u[:, t].numpy())
    with torch.no_grad():
        np.testing.assert_allclose(layer(u).numpy(), np.stack(ys, 1), atol=1e-12)


def test_model_last_method_equals_full_forward():
    torch.manual_seed(1)
    model = LRUModel(2, 8, 6, layers=2).double()
    x = torch.randn(3, 40, 2, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(model(x, "last"), model(x, "scan"))
        torch.testing.assert_close(model(x, "loop"), model(x, "scan"))


@pytest.mark.parametrize("kind", ["lru", "mingru", "transformer"])
def test_decoders_generate_what_they_train_on(kind):
    torch.manual_seed(2)
    if kind == "transformer":
        model = TransformerDecoder(11, 16, 2, 4)
    else:
        model = RecurrentDecoder(11, 16, 2, 8, mixer=kind)
    assert max_step_error(model, 11) < 1e-4


def test_memory_grows_only_for_the_transformer():
    torch.manual_seed(3)
    rec, tra = RecurrentDecoder(11, 16, 2, 8), TransformerDecoder(11, 16, 2, 4)
    _, m_rec_small = time_generation_step(rec, 10, repeats=1, warmup=0)
    _, m_rec_big = time_generation_step(rec, 1000, repeats=1, warmup=0)
    _, m_tra = time_generation_step(tra, 1000, repeats=1, warmup=0)
    assert m_rec_small == m_rec_big == 2 * 8 * 8  # 2 layers x 8 complex64 states
    assert m_tra == 2 * 2 * 1000 * 16 * 4  # keys and values, 2 layers, float32
    assert memory_bytes([torch.zeros(3), (torch.zeros(2, 2),)]) == 28
    mingru = RecurrentDecoder(11, 16, 2, 8, mixer="mingru")
    _, m_mingru = time_generation_step(mingru, 1000, repeats=1, warmup=0)
    assert m_mingru == 2 * 8 * 4  # 2 layers x 8 float32 states


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="lam of shape"):
        lru_recurrence(
            torch.ones(3, dtype=torch.complex64),
            torch.ones(1, 4, 5, dtype=torch.complex64),
        )
    with pytest.raises(ValueError, match="method"):
        lru_recurrence(
            torch.ones(5, dtype=torch.complex64),
            torch.ones(1, 4, 5, dtype=torch.complex64),
            method="fft",
        )
    with pytest.raises(ValueError, match="r_min"):
        LRU(4, 4, r_min=0.9, r_max=0.5)
    with pytest.raises(ValueError, match="divisible"):
        TransformerDecoder(5, 10, 1, 3)
    with pytest.raises(ValueError, match="mixer must be one of"):
        RecurrentDecoder(5, 8, 1, 4, mixer="gru")
    with pytest.raises(ValueError, match="LRU options"):
        RecurrentDecoder(5, 8, 1, 4, mixer="mingru", r_min=0.5)
