"""Parts I–II from scratch in NumPy: every layer, loss, optimiser and check the chapters derive.

One module per idea: ``rnn`` (vanilla RNN), ``lstm``, ``gru``, ``layers`` (temporal affine),
``losses`` (masked softmax cross-entropy), ``gradcheck`` (finite differences), ``optim``,
``clipping`` and ``char_rnn`` (a character-level language model built from the pieces above).
Import the module you need, e.g. ``from rnnbook.scratch.lstm import lstm_forward``.
These modules import NumPy and ``rnnbook.shapes`` / ``rnnbook.data`` only.
"""
