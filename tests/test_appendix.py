"""Structure of the appendix: interview questions, misconceptions and the glossary.

Checks that every question and misconception has a code cell that backs it and a link to
the chapter that explains it, that every link and citation in the appendix resolves, and
that the glossary has enough complete rows.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPENDIX = ROOT / "appendix"
INTERVIEW = APPENDIX / "interview_questions.ipynb"
MISCONCEPTIONS = APPENDIX / "misconceptions.ipynb"
GLOSSARY = APPENDIX / "glossary.md"

LABEL_DEF = re.compile(r"^\(([A-Za-z0-9_-]+)\)=\s*$", re.MULTILINE)
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
REF_ROLE = re.compile(r"\{(?:ref|numref)\}`(?:[^`<]*<)?([^`>]+)>?`")
DOC_ROLE = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _defined_labels():
    """Every `(label)=` target defined in the book's notebooks and Markdown pages."""
    labels = set()
    for folder in ("chapters", "exercises", "solutions", "appendix", "book"):
        for path in (ROOT / folder).glob("*"):
            if path.suffix == ".ipynb":
                text = "\n".join(
                    _source(c) for c in _cells(path) if c["cell_type"] == "markdown"
                )
            elif path.suffix == ".md":
                text = path.read_text(encoding="utf-8")
            else:
                continue
            labels.update(LABEL_DEF.findall(text))
    return labels


LABELS = _defined_labels()
CHAPTER_LABEL = re.compile(r"^sec-(\d\d)-")


def _bib_keys():
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"^@\w+\{([^,\s]+),", text, re.MULTILINE))


def _chapter_links(text):
    """Links in `text` that lead into a chapter (a chapter file or a `sec-NN-` label)."""
    found = []
    for target in MD_LINK.findall(text) + REF_ROLE.findall(text):
        if re.search(r"(^|/)chapters/\d\d_\w+\.ipynb$", target):
            found.append(target)
        elif CHAPTER_LABEL.match(target) and target in LABELS:
            found.append(target)
    return found


def _sections(path, prefix):
    """Split a notebook at `## {prefix}.k` headings: {heading: (markdown, [code sources])}."""
    sections, current = {}, None
    for cell in _cells(path):
        src = _source(cell)
        if cell["cell_type"] == "markdown":
            match = re.search(rf"^## ({prefix}\.\d+ .*)$", src, re.MULTILINE)
            if match:
                current = match.group(1)
                sections[current] = [src, []]
            elif current:
                sections[current][0] += "\n" + src
        elif current and src.strip():
            sections[current][1].append(src)
    return sections


@pytest.mark.parametrize("path", [INTERVIEW, MISCONCEPTIONS], ids=lambda p: p.name)
def test_notebook_layout(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown"
    assert re.search(r"^# ", _source(cells[0]), re.MULTILINE), "title cell first"
    assert cells[1]["cell_type"] == "code"
    assert _source(cells[1]).startswith("# Colab setup")
    for cell in cells:
        if cell["cell_type"] == "code":
            assert not cell["outputs"], f"{path.name} is stored with outputs"


def test_interview_questions_have_code_and_chapter_links():
    sections = _sections(INTERVIEW, "A")
    assert len(sections) >= 13, sorted(sections)
    for heading, (markdown, code) in sections.items():
        assert code, f"{heading}: no code cell backs the answer"
        assert _chapter_links(markdown), f"{heading}: no link to a chapter"


def test_interview_covers_the_issue_questions():
    headings = " ".join(_sections(INTERVIEW, "A")).lower()
    for topic in (
        "cnn",
        "vanish",
        "lstm mitigate",
        "gru",
        "parallelised",
        "activation",
        "bidirectional",
        "batch normalisation",
        "return",
        "perplexity",
        "evaluated",
        "limits",
        "training work",
    ):
        assert topic in headings, f"no question about {topic!r}"


def test_misconceptions_have_verdict_code_and_links():
    sections = _sections(MISCONCEPTIONS, "B")
    assert len(sections) >= 12, sorted(sections)
    verdicts = set()
    for heading, (markdown, code) in sections.items():
        match = re.search(r"\*\*Verdict: (true|false|it depends)\b", markdown)
        assert match, f"{heading}: no verdict (true / false / it depends)"
        verdicts.add(match.group(1))
        assert code, f"{heading}: no code cell demonstrates the verdict"
        assert _chapter_links(markdown), f"{heading}: no link to a chapter"
    assert {"false", "it depends"} <= verdicts


def _glossary_rows():
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        # split at unescaped pipes; an empty cell (no symbol) stays an empty string
        inner = line.strip()[1:-1]
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", inner)]
        if cells[0] == "English":
            continue
        rows.append(cells)
    return rows


def test_glossary_rows_are_complete():
    rows = _glossary_rows()
    assert len(rows) >= 80, f"only {len(rows)} glossary rows"
    english = [row[0] for row in rows]
    assert len(set(english)) == len(english), "a term appears twice"
    for row in rows:
        assert len(row) == 5, f"row needs 5 columns: {row}"
        term, chinese, _symbol, definition, where = row
        assert term and definition, f"empty term or definition: {row}"
        # a proper name with no Chinese rendering (minGRU) may stay in Latin letters
        assert CJK.search(chinese) or (chinese and chinese in term), (
            f"{term}: no Chinese term"
        )
        labels = REF_ROLE.findall(where)
        assert labels, f"{term}: no {{ref}} link to where the book defines it"
        for label in labels:
            assert label in LABELS, f"{term}: link to undefined label {label}"


def test_glossary_covers_every_part():
    chapters = set()
    for row in _glossary_rows():
        for label in REF_ROLE.findall(row[4]):
            match = CHAPTER_LABEL.match(label)
            if match:
                chapters.add(int(match.group(1)))
    parts = {"I": range(1, 6), "II": range(6, 10), "III": range(10, 13)}
    parts["IV"] = range(13, 17)
    for name, numbers in parts.items():
        assert chapters & set(numbers), f"no glossary term from Part {name}"


@pytest.mark.parametrize(
    "path", [INTERVIEW, MISCONCEPTIONS, GLOSSARY], ids=lambda p: p.name
)
def test_every_link_and_citation_resolves(path):
    if path.suffix == ".ipynb":
        text = "\n".join(
            _source(c) for c in _cells(path) if c["cell_type"] == "markdown"
        )
    else:
        text = path.read_text(encoding="utf-8")
    for target in MD_LINK.findall(text):
        if target.startswith(("http://", "https://")):
            continue
        if target.endswith((".ipynb", ".md")):
            assert (path.parent / target).resolve().exists(), f"missing file {target}"
        else:
            assert target in LABELS, f"link to undefined label {target}"
    for label in REF_ROLE.findall(text):
        assert label in LABELS, f"{{ref}} to undefined label {label}"
    for doc in DOC_ROLE.findall(text):
        found = [
            (path.parent / f"{doc}{ext}").exists() for ext in ("", ".md", ".ipynb")
        ]
        assert any(found), f"{{doc}} target {doc} does not exist"
    keys = _bib_keys()
    for group in CITE_ROLE.findall(text):
        for key in group.split(","):
            assert key.strip() in keys, f"citation {key.strip()} not in references.bib"
