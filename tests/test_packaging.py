"""The package as users install it: a wheel built from the source tree holds every
subpackage, the licence and the metadata a user checks before depending on it.

The wheel is built from a copy of what the sdist ships (pyproject.toml, README.md,
LICENSE, the package), in a subprocess with setuptools' own build backend and no
build isolation, so the test needs no network. .ci/run also builds both artifacts
with ``python -m build``, checks them with ``twine check`` and runs a smoke test
against the installed wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pytest_fakebuilds"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

BUILD_WHEEL = """
import sys
import setuptools.build_meta as backend
print(backend.build_wheel(sys.argv[1]))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-c", BUILD_WHEEL, str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"building the wheel failed:\n{done.stdout}\n{done.stderr}"
    name = done.stdout.strip().splitlines()[-1]
    archive = zipfile.ZipFile(out / name)
    yield archive
    archive.close()


def dist_info(wheel: zipfile.ZipFile) -> str:
    (directory,) = {name.split("/")[0] for name in wheel.namelist() if ".dist-info/" in name}
    return directory


def metadata(wheel: zipfile.ZipFile) -> Message:
    return Parser().parsestr(wheel.read(f"{dist_info(wheel)}/METADATA").decode("utf-8"))


def test_every_subpackage_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    packages = sorted(
        init.parent.relative_to(ROOT).as_posix() for init in PACKAGE.rglob("__init__.py")
    )
    assert len(packages) >= 5  # the package and its subpackages were found at all
    names = set(wheel.namelist())
    missing = [package for package in packages if f"{package}/__init__.py" not in names]
    assert missing == [], f"subpackages left out of the wheel: {missing}"


def test_every_module_and_the_typing_marker_are_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    modules = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix in (".py", ".typed")
    }
    assert "pytest_fakebuilds/py.typed" in modules
    assert modules - set(wheel.namelist()) == set()


def test_the_licence_text_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    licence = wheel.read(f"{dist_info(wheel)}/licenses/LICENSE").decode("utf-8")
    assert licence == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n")
    assert "Copyright (c) 2026 pytest-fakebuilds contributors" in licence
    assert metadata(wheel)["License-Expression"] == "MIT"
    assert metadata(wheel).get_all("License-File") == ["LICENSE"]


def test_the_metadata_names_python_versions_urls_and_the_plugin(wheel: zipfile.ZipFile) -> None:
    meta = metadata(wheel)
    assert meta["Requires-Python"] == ">=3.10"
    classifiers = meta.get_all("Classifier") or []
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    for classifier in (
        "Framework :: Pytest",
        "Typing :: Typed",
        "Topic :: Software Development :: Testing",
    ):
        assert classifier in classifiers
    # The licence is the License-Expression field (PEP 639), which forbids a
    # "License ::" classifier beside it (setuptools refuses to build with both).
    assert not [c for c in classifiers if c.startswith("License ::")]
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
    assert set(urls) >= {"Homepage", "Documentation", "Changelog", "Issues"}
    assert all(url.startswith("https://") for url in urls.values())
    entry_points = wheel.read(f"{dist_info(wheel)}/entry_points.txt").decode("utf-8")
    assert "[pytest11]\nfakebuilds = pytest_fakebuilds.plugin" in entry_points
    assert "fakebuilds = pytest_fakebuilds.server.cli:main" in entry_points


def test_the_version_is_said_once() -> None:
    from pytest_fakebuilds import __version__

    assert PYPROJECT["project"]["version"] == __version__
