"""Parts III–V: PyTorch and Keras models, weight conversion, and the application models.

None of these modules is imported by ``import rnnbook``; most import torch, the ``keras_*``
ones TensorFlow. A notebook keeps to one framework in its own process (PyTorch's CUDA build and
TensorFlow can crash together); Keras work for a PyTorch notebook runs in a subprocess
(``keras_worker``, ``keras_forecaster``, ``keras_seq_classifier``).

- Part III: ``torch_interop``, ``keras_interop``, ``numpy_stacked``, ``keras_stacked``,
  ``convert`` (weights across NumPy, PyTorch and Keras), ``torch_cells``, ``torch_sequences``
  (packing), ``torch_models`` (a small sequence-model wrapper), ``timing``.
- Part IV: ``char_lm`` (language models), ``seq_classifiers``, ``forecasters``, ``seq2seq``
  and ``decoding`` (greedy and beam search).
- Part V: ``torch_scan`` (parallel scans), ``min_rnn`` (minGRU, minLSTM), ``lru``,
  ``generation_cost``.
"""
