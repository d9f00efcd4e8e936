"""Write (or check) the Colab setup cell at the top of every notebook.

Colab opens one notebook alone, without the repository, so each notebook's first code cell
installs the course package from the repository URL in ``_config.yml`` -- on Colab only; on a
local machine the cell does nothing. The URL is written in ``_config.yml`` and nowhere else: this
script copies it into the notebooks.

    python tools/notebook_setup.py          # insert or update the cell in every notebook
    python tools/notebook_setup.py --check  # exit 1 if any notebook's cell is missing or stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("chapters", "solutions", "exercises", "appendix")
MARKER = "# Colab setup"


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def setup_cell_source(url: str) -> str:
    return f'''{MARKER}: on Google Colab, install the course package with its offline data sets.
# Elsewhere this cell does nothing (see "How to use this book" for a local install).
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "{url}"
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run(pip + [f"rnnbook[data] @ git+{{url}}"], check=True)'''


def notebooks() -> list[Path]:
    return sorted(p for d in NOTEBOOK_DIRS for p in (ROOT / d).glob("*.ipynb"))


def first_code_cell(nb):
    return next((c for c in nb.cells if c.cell_type == "code"), None)


KERNELSPEC = {
    "name": "python3",
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
}
# The set-up cell stays in the notebook (Colab needs it) but is removed from the website.
TAGS = ["colab-setup", "remove-cell"]


def is_current(nb, source: str) -> bool:
    cell = first_code_cell(nb)
    return (
        cell is not None
        and cell.source == source
        and cell.metadata.get("tags") == TAGS
        and nb.metadata.get("kernelspec") == KERNELSPEC
    )


def apply(nb, source: str) -> None:
    cell = first_code_cell(nb)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if cell is not None and cell.source.startswith(MARKER):
        cell.source = source
        cell.metadata["tags"] = list(TAGS)
        return
    new = nbformat.v4.new_code_cell(source)
    new.metadata["tags"] = list(TAGS)
    # Place it right after the leading markdown (title, objectives), before any code.
    index = next(
        (i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells)
    )
    nb.cells.insert(index, new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only report stale notebooks"
    )
    args = parser.parse_args(argv)
    source = setup_cell_source(repository_url())
    stale = []
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        if is_current(nb, source):
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            apply(nb, source)
            nbformat.write(nb, path)
    verb = "stale" if args.check else "updated"
    for path in stale:
        print(f"{verb}: {path}")
    if args.check and stale:
        print(
            "Run `python tools/notebook_setup.py` to write the Colab setup cell.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
