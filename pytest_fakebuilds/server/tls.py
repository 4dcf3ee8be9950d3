"""A certificate authority made for one run, and the certificates it issues.

The CA's key lives in a private temporary directory (mode 0700), removed
when the server stops; only the CA certificate is written where clients can
read it, and nothing is installed in any trust store: a client trusts the
proxy only because it was told to (``NODE_EXTRA_CA_CERTS``,
``REQUESTS_CA_BUNDLE``, ``--cacert``...).
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any


class Authority:
    """The run's CA; ``ca_cert`` is the PEM file clients are pointed at."""

    def __init__(self) -> None:
        import trustme

        self._ca: Any = trustme.CA(organization_name="pytest-fakebuilds")
        self._directory = Path(tempfile.mkdtemp(prefix="fakebuilds-ca-"))
        os.chmod(self._directory, 0o700)
        self.ca_cert = self._directory / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_cert))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a certificate for ``host``."""
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                self._ca.issue_cert(host).configure_cert(context)
                self._contexts[host] = context
            return context

    def close(self) -> None:
        shutil.rmtree(self._directory, ignore_errors=True)
