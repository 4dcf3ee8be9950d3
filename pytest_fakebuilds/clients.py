"""A fake's twilio clients: the ways a test gets a ``twilio.rest.Client`` on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .serverless.backend import Backend

if TYPE_CHECKING:
    from twilio.rest import Client

    from .fake import FakeBuilds


class ClientFactories:
    """Mixed into :class:`FakeBuilds`; documented there."""

    _backend: Backend

    def client(self, *, transport: str | None = None, **kwargs: Any) -> Client:
        """A ``twilio.rest.Client`` with the fake's credentials.

        ``kwargs`` go to the Client (``region=``, ``edge=``, ``http_client=``...);
        ``username``/``password`` override the credentials, e.g. with an API key.

        ``transport`` is how the client's calls reach the fake:

        - ``"direct"`` (the default): a :class:`~pytest_fakebuilds.DirectHttpClient`
          hands each call to this fake's core in process, encoded exactly as
          ``requests`` would encode it. The client answers only while this
          fake is active (else :class:`~pytest_fakebuilds.FakeNotActiveError`),
          and always from this fake, also while other fakes are active.
        - ``"requests"``: twilio's own ``TwilioHttpClient`` on ``requests``,
          answered through the interception every active fake installs, as
          a client built by the code under test is.

        With ``http_client=``, the client uses that HTTP client and
        ``transport`` must not be given.
        """
        Client = _needed("twilio.rest", "Client", "client()", "the twilio package", "twilio")
        username = kwargs.pop("username", self._backend.account_sid)
        password = kwargs.pop("password", self._backend.auth_token)
        kwargs.setdefault("account_sid", self._backend.account_sid)
        if kwargs.get("http_client") is not None:
            if transport is not None:
                raise TypeError("client() takes http_client= or transport=, not both")
        elif transport is None or transport == "direct":
            from .direct import DirectHttpClient

            kwargs["http_client"] = DirectHttpClient(cast("FakeBuilds", self))
        elif transport != "requests":
            raise ValueError(f"transport must be 'direct' or 'requests', got {transport!r}")
        return Client(username, password, **kwargs)

    def async_client(self, **kwargs: Any) -> Client:
        """A ``twilio.rest.Client`` on twilio's ``AsyncTwilioHttpClient`` (aiohttp),
        with the fake's credentials, for the ``*_async`` methods.

        Takes the same ``kwargs`` as :meth:`client`. Call it inside a running
        event loop (aiohttp makes its session there); close it with
        ``await client.http_client.close()``. Its calls reach the fake through
        aiohttp, as those of an ``AsyncTwilioHttpClient`` the code under test
        builds do, while any fake is active. It sends the same
        ``Authorization`` header twilio's does, without the ``BasicAuth``
        object aiohttp 3.14 deprecates.
        """
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "FakeBuilds.async_client() needs a running event loop (aiohttp makes its "
                "session in it): call it from async code"
            ) from None
        async_http_client = _needed(
            "pytest_fakebuilds.aio",
            "async_http_client",
            "async_client()",
            "twilio and aiohttp",
            "twilio,async",
        )
        if kwargs.get("http_client") is None:
            kwargs["http_client"] = async_http_client()
        return self.client(**kwargs)


def _needed(module: str, name: str, method: str, what: str, extras: str) -> Any:
    """``module.name``, or an ImportError saying which extra to install."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            f"FakeBuilds.{method} needs {what}: pip install 'pytest-fakebuilds[{extras}]'"
        ) from exc
