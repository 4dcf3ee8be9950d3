"""aiohttp's way into the fakes, installed only once aiohttp is imported.

A process that never imports aiohttp never pays for it: while a fake is
active, an import finder waits for aiohttp's first import and installs the
adapter (:mod:`pytest_fakebuilds.aio`) as soon as that import ends.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .transport import Adapter, _Interception


class AiohttpWhenImported(importlib.abc.MetaPathFinder):
    """aiohttp's adapter, installed once aiohttp is imported: at once when it
    already is, else by this finder, as soon as aiohttp's first import ends
    while a fake is active."""

    def __init__(self, interception: _Interception) -> None:
        self._interception = interception
        self._patch: Adapter | None = None

    def install(self) -> None:
        if "aiohttp" in sys.modules:
            self._install_patch()
        else:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        with suppress(ValueError):
            sys.meta_path.remove(self)
        if self._patch is not None:
            self._patch.uninstall()
            self._patch = None

    def _install_patch(self) -> None:
        from .aio import AiohttpPatch

        patch = AiohttpPatch()
        patch.install()
        self._patch = patch

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "aiohttp":
            return None
        with suppress(ValueError):
            sys.meta_path.remove(self)  # one import of aiohttp is all it waits for
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _ThenCall(spec.loader, self._imported)
        return spec

    def _imported(self) -> None:
        def install() -> None:
            if self._patch is None:
                self._install_patch()

        self._interception.while_installed(self, install)


class _ThenCall(importlib.abc.Loader):
    """A module's own loader, calling back once the module has been executed."""

    def __init__(self, loader: Any, then: Callable[[], None]) -> None:
        self._loader = loader
        self._then = then

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._then()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
