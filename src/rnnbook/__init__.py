"""Reference code for the course "Recurrent Neural Networks, from equations to applications".

Modules, one concept each (import the one you need; importing ``rnnbook`` itself is cheap and
never imports torch or tensorflow):

- ``rnnbook.shapes``        -- argument validation with messages that name the shapes
- ``rnnbook.rnn``           -- vanilla (Elman) RNN: step and sequence, forward and backward
- ``rnnbook.layers``        -- temporal affine (output) layer
- ``rnnbook.losses``        -- softmax cross-entropy over time steps, with a padding mask
- ``rnnbook.gradcheck``     -- centred-difference gradients and relative errors
- ``rnnbook.lstm``, ``rnnbook.gru`` -- gated cells, forward and backward
- ``rnnbook.optim``, ``rnnbook.clipping`` -- NumPy optimisers and gradient clipping
- ``rnnbook.data``          -- offline corpora and batching for truncated BPTT
- ``rnnbook.char_rnn``      -- a character-level language model in NumPy
- ``rnnbook.tasks``         -- synthetic long-range tasks (adding, copy memory)
- ``rnnbook.plotting``      -- figures drawn by code (unrolled graphs, I/O patterns)
- ``rnnbook.torch_interop``, ``rnnbook.keras_interop``, ``rnnbook.torch_models`` -- framework
  helpers (import torch / tensorflow; kept apart so ``import rnnbook`` stays light)
- ``rnnbook.grading``       -- instant-feedback checks for the exercise notebooks, and the grader
"""

__version__ = "0.1.0"
