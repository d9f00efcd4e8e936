"""Execute the book's notebooks two at a time into the book build's jupyter-cache.

    python tools/prefill_cache.py [--jobs 2] [--cache _build/.jupyter_cache]

``jupyter-book build`` executes notebooks one after another. On the 2-core CI machine most
notebooks use one core (a Python loop, or torch with one thread), so the build is faster when
two run at once. This script executes every notebook of the table of contents whose current
contents are not in the cache yet, exactly as MyST-NB's "cache" mode would (same cache, same
working directory, same time limit), in ``--jobs`` worker processes, and stores each result in
the cache. The book build then finds every notebook cached and only renders. A notebook that
fails is not cached: the book build executes it again and reports the error with its traceback.
The recorded execution time is the notebook's own wall time while sharing the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_notebooks() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def execution_timeout() -> int:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return int(config.get("execute", {}).get("timeout", 900))


def execute(path: str, timeout: int) -> tuple[str, str | None, float, str | None]:
    """Run one notebook in its own folder; return (path, executed JSON or None, s, error)."""
    from jupyter_cache.executors.utils import single_nb_execution

    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        nb,
        cwd=str(Path(path).parent),
        allow_errors=False,
        timeout=timeout,
        meta_override=True,
    )
    if result.err is not None:
        return path, None, result.time, f"{type(result.err).__name__}"
    return path, nbformat.writes(nb), result.time, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", default=str(ROOT / "_build" / ".jupyter_cache"))
    args = parser.parse_args(argv)

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(args.cache)
    todo = []
    for path in toc_notebooks():
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    print(f"[prefill] {len(todo)} notebook(s) to execute, {args.jobs} at a time")
    timeout, failed, start = execution_timeout(), 0, time.time()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(execute, str(p), timeout) for p in todo]
        for future in as_completed(futures):
            path, executed, seconds, error = future.result()
            rel = Path(path).relative_to(ROOT)
            if error:
                failed += 1
                print(f"[prefill] {rel}: failed ({error}) after {seconds:.0f} s")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(
                    nbformat.reads(executed, as_version=4),
                    path,
                    data={"execution_seconds": seconds},
                ),
                check_validity=False,
                overwrite=True,
            )
            print(f"[prefill] {rel}: {seconds:.0f} s")
    print(f"[prefill] done in {time.time() - start:.0f} s; {failed} failed")
    return 0  # failures are reported by the book build, with their tracebacks


if __name__ == "__main__":
    sys.exit(main())
