"""Every ```python block of the README and of docs/ runs (each block on its own, in a fresh namespace),
and every relative link of those pages points at a file of the repository."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _blocks():
    for page in PAGES:
        for i, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8"))):
            yield pytest.param(page, match.group(1), id=f"{page.relative_to(ROOT)}[{i}]")


def test_the_readme_has_runnable_examples():
    assert len(BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))) >= 2


@pytest.mark.parametrize("page, code", list(_blocks()))
def test_python_block_runs(page, code):
    exec(compile(code, f"{page.name} (python block)", "exec"), {"__name__": "__docs__"})


# pages written in parallel by other changes; a link to them is checked once they exist
PENDING: set = set()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    missing = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        path = (page.parent / target).resolve()
        if not path.exists() and str(path.relative_to(ROOT)) not in PENDING:
            missing.append(target)
    assert not missing, f"{page.name}: links to missing files {missing}"


FRAGMENT_LINK = re.compile(r"\]\(([^)#\s]*)#([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.M)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def heading_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, escapes and punctuation other than ``-``
    dropped (letters of any script kept), each space a ``-``."""
    text = re.sub(r"\\(.)", r"\1", heading.strip().lower()).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def page_anchors(page: Path) -> set:
    anchors, seen = set(), {}
    for match in HEADING.finditer(FENCE.sub("", page.read_text(encoding="utf-8"))):
        anchor = heading_anchor(match.group(1))
        n = seen.get(anchor, 0)
        seen[anchor] = n + 1
        anchors.add(anchor if n == 0 else f"{anchor}-{n}")  # GitHub numbers repeated headings
    return anchors


def test_heading_anchor_follows_github():
    assert heading_anchor("Table 3 and the λ sweep under P\\* (3 seeds)") == "table-3-and-the-λ-sweep-under-p-3-seeds"
    assert heading_anchor("ACGNet: the G2 graph of `Table 3`") == "acgnet-the-g2-graph-of-table-3"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_heading_links_resolve(page):
    """A link to ``page.md#anchor`` (or ``#anchor`` on the same page) names a heading of that page."""
    missing = []
    for target, anchor in FRAGMENT_LINK.findall(page.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        path = (page.parent / target).resolve() if target else page
        if path.suffix == ".md" and path.exists() and anchor not in page_anchors(path):
            missing.append(f"{target}#{anchor}")
    assert not missing, f"{page.name}: links to headings that do not exist {missing}"
