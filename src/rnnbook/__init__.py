"""Reference code for the course "Recurrent Neural Networks, from equations to applications".

The folders follow the course (importing ``rnnbook`` itself is cheap and never imports torch or
tensorflow; import the module you need):

- ``rnnbook.shapes``      -- argument validation with messages that name the shapes
- ``rnnbook.data``        -- offline data sets and tasks: ``text`` (Shakespeare, batching for
  truncated BPTT), ``tasks`` (adding problem, copy memory)
- ``rnnbook.scratch``     -- Parts I-II in NumPy: ``rnn``, ``lstm``, ``gru``, ``layers``,
  ``losses``, ``gradcheck``, ``optim``, ``clipping``, ``char_rnn``
- ``rnnbook.frameworks``  -- PyTorch and Keras: ``torch_interop``, ``keras_interop``,
  ``torch_models`` (these import torch / tensorflow)
- ``rnnbook.plotting``    -- figures drawn by code and the book's plot style
- ``rnnbook.grading``     -- instant-feedback checks for the exercise notebooks, and the grader
- ``rnnbook.exercise_sets`` -- the tests of each exercise set

Import rules: shapes < data < scratch < frameworks < plotting (a module imports only from its own
layer or lower ones); ``grading`` imports nothing else from the package; ``exercise_sets`` may
import anything.
"""

__version__ = "0.1.0"
