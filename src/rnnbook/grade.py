"""Instructor grader: ``python -m rnnbook.grade SUBMISSIONS_DIR --out grades.csv``.

A thin entry point; the work is done in ``rnnbook.grading.grader`` (run with ``--help`` for the
options, and see the book's "For instructors" page for the CSV columns and failure reasons).
"""

import sys

from rnnbook.grading.grader import main

if __name__ == "__main__":
    sys.exit(main())
