"""The HTTP server: the fake's API at its own URL, an HTTPS proxy for Twilio's
hosts, and the ``/_fake/`` control endpoints, all on one port.

- A request in origin form (``GET /v1/Services``) is the API at the server's
  own URL; a multipart ``POST`` to ``…/Versions`` there is an upload, as the
  REST API has no other POST on those paths.
- ``CONNECT serverless.twilio.com:443`` (or any ``*.twilio.com`` host) is
  answered by terminating TLS with a certificate from the run's own CA and
  serving the requests inside the tunnel as if they had reached that host;
  the fake answers Twilio's 404 for Twilio hosts it does not serve.
- Nothing is ever forwarded: ``CONNECT`` to any other host, and any
  absolute-form request for another host, get 403 and a sentence saying why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .handler import Handler, Server, url_host

if TYPE_CHECKING:
    from ..fake import FakeBuilds
    from .tls import Authority


class FakeServer:
    """A fake served over HTTP, on ``127.0.0.1`` and a free port by default.

    ``url`` is the API's own URL, ``proxy`` the proxy to give clients that
    cannot be pointed elsewhere, ``ca_cert`` the CA file they must trust and
    ``env`` the environment a child process needs. ``fake`` is the
    :class:`FakeBuilds` behind it (a new one after a reset).
    """

    def __init__(
        self,
        fake: FakeBuilds,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        proxy: bool = True,
    ) -> None:
        if not allow_remote and not _is_loopback(host):
            raise ValueError(
                f"binding {host} would serve other machines; pass allow_remote=True "
                "(--allow-remote) to do it anyway"
            )
        self.fake = fake
        self.host = host
        self._wanted_port = port
        self._proxy_enabled = proxy
        self.authority: Authority | None = None
        self._httpd: Server | None = None
        self._thread: threading.Thread | None = None
        self.fake_lock = threading.Lock()
        self.on_reset: Callable[[FakeBuilds], None] | None = None
        # What /_fake/api/reset goes back to.
        self._initial = fake.snapshot()

    # Lifecycle --------------------------------------------------------------------

    def start(self) -> FakeServer:
        if self._httpd is not None:
            raise RuntimeError("this FakeServer is already started")
        if self._proxy_enabled:
            from .tls import Authority

            self.authority = Authority()
        httpd = Server((self.host, self._wanted_port), Handler)
        httpd.app = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            # stop() waits for the loop to look again: at 20 ms a test's
            # server stops at once, and an idle server wakes 50 times a second.
            kwargs={"poll_interval": 0.02},
            name="fakebuilds-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.authority is not None:
            self.authority.close()
            self.authority = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # What clients need ---------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API at the server's own URL: ``http://127.0.0.1:PORT`` (not
        ``localhost``: Node tries ``::1`` first)."""
        return f"http://{url_host(self.host)}:{self.port}"

    @property
    def proxy(self) -> str:
        return self.url

    @property
    def ca_cert(self) -> str | None:
        return str(self.authority.ca_cert) if self.authority is not None else None

    @property
    def env(self) -> dict[str, str]:
        """What a child process needs: the proxy, the CA, the credentials."""
        env = {
            "TWILIO_ACCOUNT_SID": self.fake.account_sid,
            "TWILIO_AUTH_TOKEN": self.fake.auth_token,
        }
        if self.authority is not None:
            ca = str(self.authority.ca_cert)
            env.update(
                {
                    # Node's toolkit reads only HTTP_PROXY, though it speaks HTTPS.
                    "HTTP_PROXY": self.proxy,
                    "HTTPS_PROXY": self.proxy,
                    "REQUESTS_CA_BUNDLE": ca,
                    "SSL_CERT_FILE": ca,
                    "NODE_EXTRA_CA_CERTS": ca,
                    "CURL_CA_BUNDLE": ca,
                }
            )
        return env

    def client(self, **kwargs: Any) -> Any:
        """A ``twilio.rest.Client`` with the fake's credentials, pointed at the
        server's own URL (nothing in this process is intercepted), on twilio's
        own ``TwilioHttpClient`` unless ``http_client=`` or ``transport=`` says otherwise."""
        if kwargs.get("http_client") is None:
            kwargs.setdefault("transport", "requests")
        client = self.fake.client(**kwargs)
        client.serverless.base_url = self.url
        return client

    def describe(self) -> dict[str, Any]:
        """The facts ``serve --json`` prints."""
        return {
            "url": self.url,
            "proxy": self.proxy if self.authority is not None else None,
            "account_sid": self.fake.account_sid,
            "auth_token": self.fake.auth_token,
            "ca_cert": self.ca_cert,
            "env": self.env,
            "dashboard": f"{self.url}/_fake/",
            "seed": self.fake.seed,
        }

    def fresh(self) -> FakeBuilds:
        """A fake in the state this server started in."""
        from ..fake import FakeBuilds

        speed = getattr(self.fake._clock, "speed", None)
        return FakeBuilds.from_snapshot(self._initial, freeze=False, clock_speed=speed)

    def reset(self, fake: FakeBuilds) -> None:
        with self.fake_lock:
            self.fake = fake
        if self.on_reset is not None:
            self.on_reset(fake)

    def own(self, host: str, port: int | None) -> bool:
        """Whether ``host:port`` names this server (an absolute-form request to it)."""
        if self._httpd is None or port != self.port:
            return False
        return host in ("127.0.0.1", "localhost", "::1", self.host)


def _is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
