"""Listing every Version of a Function: the per-item cost as its history grows.

The Versions of one Function are created with the helper
``create_function_version(service_sid, path, function_sid=...)`` and listed
through the ``twilio`` client,
``functions(F).function_versions.list(page_size=1000)``; the measure itself,
shared with ``bench_listing.py``, is in ``_listing.py``. Versions are listed
per Function, by keyset, so the per-item cost should not grow with the
Function's history.
"""

from __future__ import annotations

import _listing
from _common import Row


def run(quick: bool) -> list[Row]:
    return _listing.run(_listing.VERSIONS, quick)
