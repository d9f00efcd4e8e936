r"""PyTorch <-> Keras, composed from the two halves, and the files that carry weights between them.

Chapter 12 ports one set of weights through NumPy, PyTorch and Keras. The two halves already
exist: ``torch_interop`` (NumPy <-> ``torch.nn``) and ``keras_interop`` / ``keras_stacked``
(NumPy <-> Keras). A direct PyTorch <-> Keras conversion is their composition, with the NumPy
parameters ``params[layer][direction]`` of ``numpy_stacked`` in the middle:

=================================  ===========================================================
function                           what it converts
=================================  ===========================================================
``state_dict_to_keras``            ``torch.nn`` ``state_dict`` -> Keras weight lists
``keras_to_state_dict``            Keras weight lists -> ``state_dict`` (torch tensors)
``save_npz`` / ``load_npz``        NumPy parameters (and any other arrays) <-> an ``.npz`` file
``pack_params`` / ``unpack_params``  nested parameters <-> flat named arrays
``run_keras_worker``               run a Keras job in a separate Python process (below)
=================================  ===========================================================

Keras weight lists are nested like the NumPy parameters: ``keras_weights[layer][direction]`` is
the list ``[kernel, recurrent_kernel, bias]`` that ``get_weights()`` returns for the forward
(0) or backward (1) layer. For an LSTM the single Keras bias becomes ``bias_ih`` with
``bias_hh = 0`` (PyTorch adds the two); back to Keras, the two are summed.

Why a separate process: with PyTorch's default (CUDA) wheel and TensorFlow in one Python
process, ``import tensorflow; import triton`` can crash the interpreter (segmentation fault),
and building a ``torch.optim`` optimizer imports triton. Google Colab ships exactly that pair.
So a notebook that uses both frameworks keeps PyTorch in its own process and runs Keras with
``python -m rnnbook.frameworks.keras_worker`` (``run_keras_worker``), exchanging ``.npz``
files. This module imports neither framework at import time: torch is imported inside the two
``state_dict`` functions, Keras never.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from rnnbook.frameworks.keras_interop import from_keras, to_keras

KINDS = ("rnn", "lstm", "gru")


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"expected kind to be one of {KINDS}, got {kind!r}")


# ----------------------------------------------------------------------------- PyTorch <-> Keras
def state_dict_to_keras(
    kind: str, state_dict, num_layers: int, bidirectional: bool
) -> list:
    """A ``torch.nn.RNN/LSTM/GRU`` ``state_dict`` -> ``keras_weights[layer][direction]``.

    Each entry is ``[kernel (D_l, kH), recurrent_kernel (H, kH), bias]`` for ``set_weights``
    of the Keras ``SimpleRNN``/``LSTM``/``GRU`` (``GRU(reset_after=True)``, bias (2, 3H)).
    Arrays are float64; Keras casts them to the layer's dtype.
    """
    from rnnbook.frameworks.torch_interop import state_dict_to_numpy

    _check_kind(kind)
    params = state_dict_to_numpy(kind, state_dict, num_layers, bidirectional)
    return [[to_keras(kind, p) for p in dirs] for dirs in params]


def keras_to_state_dict(kind: str, keras_weights, dtype=None) -> dict:
    """``keras_weights[layer][direction]`` -> a ``state_dict`` for ``torch.nn`` (tensors).

    ``dtype`` is a torch dtype (default float64). A Keras ``GRU(reset_after=False)`` has no
    PyTorch equivalent (``torch.nn.GRU`` resets after the matrix product) and is refused.
    """
    import torch

    from rnnbook.frameworks.torch_interop import numpy_to_state_dict

    _check_kind(kind)
    if not keras_weights or not all(keras_weights):
        raise ValueError(
            "expected keras_weights as a non-empty list over layers of lists over "
            "directions"
        )
    if kind == "gru":
        for layer, dirs in enumerate(keras_weights):
            for d, w in enumerate(dirs):
                if np.ndim(w[2]) != 2:
                    raise ValueError(
                        f"keras_weights[{layer}][{d}] is a GRU with reset_after=False "
                        "(bias of shape (3H,)): torch.nn.GRU has no such variant"
                    )
    params = [[from_keras(kind, w) for w in dirs] for dirs in keras_weights]
    return numpy_to_state_dict(kind, params, dtype=dtype or torch.float64)


# ----------------------------------------------------------------------------- .npz files
def pack_params(name: str, params) -> dict:
    """``params[layer][direction][j]`` -> flat arrays keyed ``{name}/{layer}/{direction}/{j}``."""
    return {
        f"{name}/{layer}/{d}/{j}": np.asarray(a)
        for layer, dirs in enumerate(params)
        for d, p in enumerate(dirs)
        for j, a in enumerate(p)
    }


def unpack_params(name: str, arrays: dict):
    """Inverse of ``pack_params``: removes the keys ``{name}/...`` from ``arrays``."""
    keyed = {}
    for k in [k for k in arrays if k.startswith(name + "/")]:
        layer, d, j = (int(s) for s in k[len(name) + 1 :].split("/"))
        keyed[(layer, d, j)] = arrays.pop(k)
    if not keyed:
        return None
    n_layers, n_dirs, n_arrays = (1 + max(k[i] for k in keyed) for i in range(3))
    return [
        [tuple(keyed[(layer, d, j)] for j in range(n_arrays)) for d in range(n_dirs)]
        for layer in range(n_layers)
    ]


def save_npz(path, meta: dict | None = None, params=None, **arrays) -> Path:
    """Write NumPy parameters ``params[layer][direction]``, other arrays and metadata.

    ``meta`` is a JSON-serialisable dict (kind, sizes, options); ``params`` is stored under
    keys ``params/{layer}/{direction}/{j}`` (``pack_params``); ``arrays`` under their own
    names (more parameter sets can be packed into them). Nothing is pickled, so the file
    loads with ``allow_pickle=False`` anywhere.
    """
    if "meta" in arrays or any(k.startswith("params/") for k in arrays):
        raise ValueError("array names 'meta' and 'params/...' are reserved")
    out = {"meta": np.array(json.dumps(meta or {}))}
    if params is not None:
        out.update(pack_params("params", params))
    out.update({name: np.asarray(a) for name, a in arrays.items()})
    path = Path(path)
    np.savez(path, **out)
    return path


def load_npz(path) -> tuple[dict, list | None, dict]:
    """Read a file written by ``save_npz``: returns ``(meta, params, arrays)``."""
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    meta = json.loads(str(data.pop("meta")))
    params = unpack_params("params", data)
    return meta, params, data


# ----------------------------------------------------------------------------- Keras worker
def run_keras_jobs(workdir, jobs: list, timeout: float = 900) -> list:
    """Run Keras jobs in one fresh Python process; return one ``(meta, params, arrays)`` each.

    ``jobs`` is a list of dicts with keys ``task`` (see ``rnnbook.frameworks.keras_worker``)
    and optionally ``meta``, ``params`` and ``arrays``. They are written to
    ``workdir/request.npz`` (``save_npz``; job ``k``'s arrays under ``"{k}:name"``); the worker
    (``python -m rnnbook.frameworks.keras_worker workdir``) writes ``workdir/reply.npz``.
    Starting TensorFlow takes seconds, so send every job at once. Its log lines stay in the
    worker's stderr, shown only if it fails.
    """
    workdir = Path(workdir)
    request, reply = workdir / "request.npz", workdir / "reply.npz"
    metas, arrays = [], {}
    for k, job in enumerate(jobs):
        metas.append({**job.get("meta", {}), "task": job["task"]})
        if job.get("params") is not None:
            arrays.update(pack_params(f"{k}:params", job["params"]))
        arrays.update({f"{k}:{n}": a for n, a in job.get("arrays", {}).items()})
    save_npz(request, {"jobs": metas}, **arrays)
    if reply.exists():
        reply.unlink()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "rnnbook.frameworks.keras_worker", str(workdir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if done.returncode != 0 or not reply.exists():
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(
            f"the Keras worker failed (exit code {done.returncode}):\n{tail}"
        )
    meta, _, data = load_npz(reply)
    results = []
    for k, job_meta in enumerate(meta["jobs"]):
        mine = {n.split(":", 1)[1]: data[n] for n in data if n.startswith(f"{k}:")}
        results.append((job_meta, unpack_params("params", mine), mine))
    return results


def run_keras_worker(workdir, task: str, meta=None, params=None, **arrays):
    """One job of ``run_keras_jobs``: returns its ``(meta, params, arrays)``."""
    job = dict(task=task, meta=meta or {}, params=params, arrays=arrays)
    return run_keras_jobs(workdir, [job])[0]
