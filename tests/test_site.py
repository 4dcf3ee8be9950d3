"""The documentation site's wiring: every page is in the navigation, the API page
documents every public name and names only objects that exist, the changelog page
shows CHANGELOG.md, and the README keeps its two commands on its first screen.

``mkdocs build --strict`` (in .ci/run) checks links and renders the pages; these
checks need no MkDocs and run with the suite.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import pytest_fakebuilds

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MKDOCS = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")

# "  - Title: page.md" lines of the nav (nested sections included).
NAV_PAGE = re.compile(r"^\s*-\s+[^:\n]+:\s+(\S+\.md)\s*$", re.MULTILINE)
# mkdocstrings' "::: dotted.path" lines, and the members listed under one.
AUTODOC = re.compile(r"^::: (\S+)$", re.MULTILINE)
MEMBER = re.compile(r"^ {8}- (\w+)$", re.MULTILINE)


def nav_pages() -> list[str]:
    nav = MKDOCS.split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    return NAV_PAGE.findall(nav)


def resolve(dotted: str) -> object:
    """The object a ``:::`` line names, imported the way griffe would find it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


def test_every_page_is_in_the_navigation_once() -> None:
    pages = nav_pages()
    on_disk = sorted(path.name for path in DOCS.glob("*.md"))
    assert sorted(pages) == on_disk
    assert len(pages) == len(set(pages))
    assert pages[0] == "index.md"  # the site opens on getting started
    assert pages[-1] == "changelog.md"


def test_the_site_fetches_nothing_at_build_time() -> None:
    assert re.search(r"^\s+font: false\b", MKDOCS, re.MULTILINE)
    assert "social" not in MKDOCS  # Material's social cards download fonts
    assert re.search(r"^strict: true$", MKDOCS, re.MULTILINE)


def test_the_changelog_page_shows_the_changelog() -> None:
    page = (DOCS / "changelog.md").read_text(encoding="utf-8")
    assert page.strip() == '--8<-- "CHANGELOG.md"'
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n")
    assert "\n## [Unreleased]\n" in changelog
    assert "keepachangelog.com" in changelog


def test_the_api_page_names_objects_that_exist() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    targets = AUTODOC.findall(text)
    assert targets
    for dotted in targets:
        resolve(dotted)
    for block in re.split(r"^::: ", text, flags=re.MULTILINE)[1:]:
        module, _, rest = block.partition("\n")
        for member in MEMBER.findall(rest.split("\n\n", 1)[0]):
            resolve(f"{module}.{member}")


def test_the_api_page_documents_every_public_name() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set()
    for block in re.split(r"^::: ", text, flags=re.MULTILINE)[1:]:
        target, _, rest = block.partition("\n")
        documented.add(target.rsplit(".", 1)[1])
        documented.update(MEMBER.findall(rest.split("\n\n", 1)[0]))
    public = set(pytest_fakebuilds.__all__) - {"__version__"}
    assert public - documented == set()


@pytest.mark.parametrize("name", sorted(set(pytest_fakebuilds.__all__) - {"__version__"}))
def test_a_public_name_is_the_object_the_api_page_documents(name: str) -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for block in re.split(r"^::: ", text, flags=re.MULTILINE)[1:]:
        target, _, rest = block.partition("\n")
        members = MEMBER.findall(rest.split("\n\n", 1)[0])
        if target.rsplit(".", 1)[1] == name:
            assert resolve(target) is getattr(pytest_fakebuilds, name)
            return
        if name in members:
            assert resolve(f"{target}.{name}") is getattr(pytest_fakebuilds, name)
            return
    pytest.fail(f"{name} is not on docs/api.md")


def test_the_readme_keeps_its_two_commands_first_and_links_the_pages() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(readme.splitlines()[:24])
    assert 'pip install -e ".[test]"' in first_screen
    assert re.search(r"^pytest\b", first_screen, re.MULTILINE)
    for page in nav_pages():
        if page in ("index.md", "api.md"):
            continue  # getting started is the README's own content; api.md hangs off reference
        link = "(CHANGELOG.md)" if page == "changelog.md" else f"(docs/{page})"
        assert link in readme, f"README.md does not link {link}"
