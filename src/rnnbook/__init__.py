"""Reference code for the course "Recurrent Neural Networks, from equations to applications".

Modules, one concept each (import the one you need; importing ``rnnbook`` itself is cheap and
never imports torch or tensorflow):

- ``rnnbook.shapes``        -- argument validation with messages that name the shapes
- ``rnnbook.rnn``           -- vanilla (Elman) RNN: step and sequence, forward and backward
- ``rnnbook.torch_interop`` -- copy NumPy weights into ``torch.nn`` layers (imports torch)
- ``rnnbook.grading``       -- instant-feedback checks for the exercise notebooks
"""

__version__ = "0.1.0"
