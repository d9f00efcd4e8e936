"""Data sets and tasks, all available offline (nothing downloads at run time).

``text`` -- the Shakespeare corpus, character vocabularies, splits and truncated-BPTT batches;
``tasks`` -- synthetic long-range tasks (adding problem, copy memory).
These modules import NumPy and ``rnnbook.shapes`` only.
"""
