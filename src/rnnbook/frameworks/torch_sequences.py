r"""Variable-length batches in PyTorch: padding, packing, and reading the right final states.

A batch of sequences of lengths ``L_1 ... L_N`` (``T = max L_n``) is padded to (N, T, D).
Run unpacked, a recurrent layer also reads the padding, and its "final" state is the state
after step T, not after step ``L_n``. ``pack_padded_sequence`` tells the layer where each
sequence ends; then ``h_n`` holds, for each sequence, the forward direction's state after its
last real step and the backward direction's state after reading it back to step 0.

- ``run_packed``: pack, run a ``torch.nn`` recurrent layer, unpack
- ``split_h_n``: ``h_n`` (L * dirs, N, H) -> (L, dirs, N, H)
- ``last_layer_state``: the last layer's final state, ``[forward, backward]`` concatenated
- ``gather_last_steps``: ``output[n, L_n - 1]`` for every sequence (padded output)
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def _lengths_tensor(lengths, N, T):
    lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
    if lengths.shape != (N,):
        raise ValueError(
            f"expected lengths of shape (N,) = ({N},), got {tuple(lengths.shape)}"
        )
    if lengths.min() < 1 or lengths.max() > T:
        raise ValueError(
            f"expected every entry of lengths in 1..T = 1..{T}, got {lengths.tolist()}"
        )
    return lengths


def run_packed(rnn, x, lengths, state=None):
    """Run a batch-first ``torch.nn.RNN/LSTM/GRU`` on padded sequences as a packed batch.

    Parameters
    ----------
    rnn : a recurrent layer built with ``batch_first=True``
    x : (N, T, D) padded inputs (padding values are never read)
    lengths : (N,) real lengths, any order (``enforce_sorted=False`` sorts and unsorts)
    state : optional initial state, as for ``rnn(x, state)``

    Returns
    -------
    output : (N, T, dirs * H), zero after each sequence's end
    state : ``h_n`` or ``(h_n, c_n)``, in the original order of the batch
    """
    if not rnn.batch_first:
        raise ValueError("expected a layer built with batch_first=True")
    if x.dim() != 3:
        raise ValueError(f"expected x of shape (N, T, D), got {tuple(x.shape)}")
    lengths = _lengths_tensor(lengths, x.shape[0], x.shape[1])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out_packed, state = rnn(packed, state)
    output, _ = pad_packed_sequence(
        out_packed, batch_first=True, total_length=x.shape[1]
    )
    return output, state


def split_h_n(h_n, num_layers: int, bidirectional: bool):
    """View ``h_n`` (num_layers * dirs, N, H) as (num_layers, dirs, N, H).

    Row ``layer * dirs + direction`` of ``h_n`` is ``[layer, direction]`` of the result.
    """
    dirs = 2 if bidirectional else 1
    if h_n.dim() != 3 or h_n.shape[0] != num_layers * dirs:
        raise ValueError(
            f"expected h_n of shape (num_layers * dirs, N, H) with num_layers * dirs = "
            f"{num_layers * dirs}, got {tuple(h_n.shape)}"
        )
    return h_n.view(num_layers, dirs, h_n.shape[1], h_n.shape[2])


def last_layer_state(h_n, num_layers: int, bidirectional: bool):
    """The last layer's final hidden state, (N, dirs * H): ``[forward, backward]``.

    Equal to ``output[:, -1]`` only for the forward half and only without padding; the
    backward half is ``output[:, 0, H:]`` (the backward direction ends at step 0).
    """
    last = split_h_n(h_n, num_layers, bidirectional)[-1]  # (dirs, N, H)
    return torch.cat(list(last), dim=1)


def gather_last_steps(output, lengths):
    """``output[n, lengths[n] - 1]`` for every n: (N, T, F) -> (N, F).

    For a forward layer run packed (or on right-padded sequences without packing, where the
    steps before ``L_n`` never saw padding) this is each sequence's last real state.
    """
    if output.dim() != 3:
        raise ValueError(
            f"expected output of shape (N, T, F), got {tuple(output.shape)}"
        )
    N, T, _ = output.shape
    lengths = _lengths_tensor(lengths, N, T).to(output.device)
    return output[torch.arange(N, device=output.device), lengths - 1]
