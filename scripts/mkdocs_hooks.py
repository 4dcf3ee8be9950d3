"""MkDocs hooks for the documentation site (mkdocs.yml, ``hooks:``).

The package's docstrings use Sphinx's cross-reference roles (``:meth:`now```),
which mkdocstrings renders as Markdown, leaving the role's name in the text:
``:meth:<code>now</code>``. This hook turns each into plain code, ``now()``.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(meth|func|attr|class|exc|mod|data|obj):<code>(~?)([^<]+)</code>")


def _code(match: re.Match[str]) -> str:
    role, short, target = match.groups()
    name = target.rsplit(".", 1)[-1] if short else target  # ~a.b.C shows C, as in Sphinx
    return f"<code>{name}{'()' if role in ('meth', 'func') else ''}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return ROLE.sub(_code, html)
