"""Print each notebook's execution time, slowest first, against the course's time budget.

    python tools/notebook_times.py [--cache _build/.jupyter_cache] [--junit FILE ...] [--enforce]

Times come from the book build's jupyter-cache (chapters and exercises: the time of the run that
produced the cached outputs, which on a fresh clone is this run) and, with ``--junit``, from
pytest's JUnit XML of an nbval run (solutions: the sum of the cells' times).

Budget (CONTRIBUTING.md, "Time budget"), measured on the 2-core CI machine on CPU:
- chapters of Parts I-II (chapters/01-09): 90 s each -- over it prints a warning;
- any notebook: 180 s -- over it, ``--enforce`` exits 1.
The 90 s line only warns because the shared machine is noisy (stalls of a second or more);
the 180 s line is far enough above every budgeted notebook that crossing it is a real regression.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK_DIRS = ("chapters", "exercises")
SOFT_LIMIT_S = 90.0
HARD_LIMIT_S = 180.0
# Chapters held to the soft limit: Parts I-II, chapters 01-09.
SOFT_LIMITED = re.compile(r"^chapters/0[1-9]_")


def budget(rel: str) -> float:
    return SOFT_LIMIT_S if SOFT_LIMITED.match(rel) else HARD_LIMIT_S


def times_from_cache(cache_dir: Path, root: Path) -> dict[str, float]:
    """``{relative path: seconds}`` for the book's notebooks found in the jupyter-cache."""
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    latest: dict[str, tuple] = {}
    for record in cache.list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is None:
            continue
        previous = latest.get(record.uri)
        if previous is None or record.created > previous[0]:
            latest[record.uri] = (record.created, seconds)
    times = {}
    for folder in BOOK_DIRS:
        for path in sorted((root / folder).glob("*.ipynb")):
            rel = path.relative_to(root).as_posix()
            try:  # the record of the notebook's current contents
                times[rel] = cache.match_cache_file(str(path)).data["execution_seconds"]
            except (KeyError, TypeError):
                if str(path) in latest:  # an older version of it (the build failed?)
                    times[rel] = latest[str(path)][1]
    return times


def times_from_junit(xml_file: Path, root: Path) -> dict[str, float]:
    """``{relative path: seconds}`` summed over the cells of each notebook in an nbval run."""
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(xml_file).getroot().iter("testcase"):
        # nbval items: classname "solutions.04_char_rnn_numpy.ipynb" (folders become dots;
        # notebook names have none), or a "file" attribute with junit_family=xunit1.
        name = case.get("file") or case.get("classname", "")
        if not name.endswith(".ipynb"):
            continue
        if "/" not in name:
            name = name.removesuffix(".ipynb").replace(".", "/") + ".ipynb"
        totals[name.removeprefix("./")] += float(case.get("time", 0.0))
    return dict(totals)


def report(times: dict[str, float]) -> tuple[list[str], list[str], list[str]]:
    """Table lines (slowest first), notebooks over their budget, notebooks over the limit."""
    lines = [f"{'seconds':>8}  {'budget':>6}  {'':4}  notebook"]
    warn, fail = [], []
    for rel, seconds in sorted(times.items(), key=lambda kv: (-kv[1], kv[0])):
        limit = budget(rel)
        flag = ""
        if seconds > HARD_LIMIT_S:
            flag = "FAIL"
            fail.append(rel)
        elif seconds > limit:
            flag = "over"
            warn.append(rel)
        lines.append(f"{seconds:8.1f}  {limit:6.0f}  {flag:4}  {rel}")
    return lines, warn, fail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument(
        "--cache", type=Path, help="default: ROOT/_build/.jupyter_cache"
    )
    parser.add_argument("--junit", type=Path, action="append", default=[])
    parser.add_argument(
        "--enforce", action="store_true", help=f"exit 1 over {HARD_LIMIT_S:.0f} s"
    )
    args = parser.parse_args(argv)
    cache = args.cache or args.root / "_build" / ".jupyter_cache"
    times: dict[str, float] = {}
    if cache.is_dir():
        times.update(times_from_cache(cache, args.root))
    for xml_file in args.junit:
        times.update(times_from_junit(xml_file, args.root))
    if not times:
        print(f"no execution times found in {cache} or {args.junit}", file=sys.stderr)
        return 1 if args.enforce else 0
    lines, warn, fail = report(times)
    print("\n".join(lines))
    print(f"total {sum(times.values()):.0f} s over {len(times)} notebooks")
    if warn:
        print(
            f"warning: over the {SOFT_LIMIT_S:.0f} s budget of Parts I-II chapters: "
            + ", ".join(warn)
        )
    if fail:
        print(
            f"{'error' if args.enforce else 'warning'}: over the {HARD_LIMIT_S:.0f} s "
            "limit for any notebook: " + ", ".join(fail)
        )
        return 1 if args.enforce else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
