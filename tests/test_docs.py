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
