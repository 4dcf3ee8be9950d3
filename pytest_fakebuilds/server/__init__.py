"""The fake out of process: one port that is both the API at its own URL and an
HTTPS proxy for ``*.twilio.com``, for clients in any language.

- ``app``: the HTTP server and the request handler (own URL, proxy, control).
- ``tls``: the certificate authority made for the run, and the certificates
  it issues to the Twilio hosts a client asks the proxy for.
- ``control``: the ``/_fake/`` endpoints that let any client steer the fake.
- ``dashboard``: the page at ``/_fake/``.
- ``cli``: ``python -m pytest_fakebuilds serve|run`` and ``fakebuilds``.
"""

from __future__ import annotations

from .app import FakeServer

__all__ = ["FakeServer"]
