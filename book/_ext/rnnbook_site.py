"""Sphinx extension with the website's own fixes (loaded by _config.yml, `local_extensions`).

1. Author-year labels in the bibliography.  The citations in the text read "Cho et al., 2014"
   (``bibtex_reference_style: author_year``), but pybtex's default label style prints the
   bibliography list with alpha labels such as ``[CvMerrienboerG+14]``.  The label style
   registered here produces the same text as the citations: one author "Elman, 1990", two
   authors "Hochreiter and Schmidhuber, 1997", three or more "Cho et al., 2014" (a letter is
   appended to the year when two entries would get the same label).  ``_config.yml`` selects it
   with ``bibtex_default_style: rnnbook_authoryear``.

2. One copy of each inline script.  sphinx-thebe registers its inline configuration script
   (``const THEBE_JS_URL = ...``) in a way that Sphinx adds to every page twice; the second copy
   is a JavaScript ``SyntaxError`` ("Identifier 'THEBE_JS_URL' has already been declared") in
   the console of every page.  Identical scripts are dropped from each page's script list.
"""

from __future__ import annotations

from collections import Counter

import pybtex.plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _last_name(person) -> str:
    """Surname as the citations print it (von part included), without LaTeX markup."""
    latex = " ".join(person.prelast_names + person.last_names)
    return Text.from_latex(latex).render_as("text")


def author_year_label(entry) -> str:
    """'Elman, 1990', 'Hochreiter and Schmidhuber, 1997', 'Cho et al., 2014'."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(p) for p in persons]
    if not names:
        who = entry.fields.get("key", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels that read like the author-year citations in the text."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year_label(e) for e in entries]
        counts = Counter(labels)
        seen: Counter = Counter()
        for label in labels:
            if counts[label] > 1:  # same authors and year: 2014a, 2014b, ...
                suffix = "abcdefghijklmnopqrstuvwxyz"[seen[label]]
                seen[label] += 1
                yield label + suffix
            else:
                yield label


class AuthorYearStyle(UnsrtStyle):
    """pybtex's unsrt entry formatting, sorted by author, year and title, author-year labels."""

    default_label_style = "rnnbook_authoryear"
    default_sorting_style = "author_year_title"


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        key = (
            getattr(script, "filename", None) or "",
            tuple(sorted((k, str(v)) for k, v in attributes.items())),
        )
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    context["script_files"] = (
        unique  # a new list: the builder's own list stays untouched
    )


def setup(app):
    pybtex.plugin.register_plugin(
        "pybtex.style.labels", "rnnbook_authoryear", AuthorYearLabelStyle
    )
    pybtex.plugin.register_plugin(
        "pybtex.style.formatting", "rnnbook_authoryear", AuthorYearStyle
    )
    app.connect("html-page-context", _drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
