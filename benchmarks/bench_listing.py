"""Listing every build of a Service: the per-item cost as the store grows.

The builds of one service are created through ``FakeBuilds.handle`` and
listed through the ``twilio`` client, ``builds.list(page_size=1000)``; the
measure itself, shared with ``bench_versions.py``, is in ``_listing.py``.
Paging is by keyset, so the per-item cost should not grow with the store.
"""

from __future__ import annotations

import _listing
from _common import Row


def run(quick: bool) -> list[Row]:
    return _listing.run(_listing.BUILDS, quick)
