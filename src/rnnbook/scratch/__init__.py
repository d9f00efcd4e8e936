"""Everything the book builds from scratch in NumPy, one module per idea.

- Parts I–II: ``rnn`` (vanilla RNN), ``lstm``, ``gru``, ``layers`` (temporal affine),
  ``losses`` (masked softmax cross-entropy), ``gradcheck`` (finite differences), ``optim``,
  ``clipping``, ``char_rnn`` (a character-level language model), ``stacked`` (deep and
  bidirectional), ``layer_norm``, ``checkpoint`` (gradient checkpointing).
- Part IV: ``ngram`` (Kneser–Ney), ``dtw``, ``forecast_metrics``, ``edit_distance``.
- Part V: ``scan`` (parallel scans), ``ssm`` (S4D, LRU), ``selective_scan``, ``mlstm``
  (xLSTM's matrix memory).

Import the module you need, e.g. ``from rnnbook.scratch.lstm import lstm_forward``.
These modules import NumPy and ``rnnbook.shapes`` / ``rnnbook.data`` only.
"""
