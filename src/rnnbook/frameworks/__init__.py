"""Parts III and later: PyTorch and Keras models, and weight conversion to and from NumPy.

Every module here imports torch or tensorflow, so none is imported by ``import rnnbook``:
``torch_interop`` / ``keras_interop`` (gate order and weight layout of the framework layers),
``torch_models`` (a small sequence-model wrapper and training loop).
"""
