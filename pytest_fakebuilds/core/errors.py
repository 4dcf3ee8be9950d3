"""Twilio's error answers, in one place.

Every error the fake serves is an :class:`ApiError` raised somewhere below the
router and rendered here, so the body shape (``code``, ``message``,
``more_info``, ``status``) cannot drift between handlers. Messages that the
reference quotes from the real API are kept verbatim as constants.
"""

from __future__ import annotations

import json

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"

# Quoted from real responses (see docs/behaviour.md for sources).
AUTHENTICATE = "Authenticate"
NOT_FOUND = "The requested resource {path} was not found"
VERSION_REQUIRED = "At least one Function Version or Asset Version is required for Build."

# The fake's own wording where no real message was found.
METHOD_NOT_ALLOWED = "Method not allowed"
INTERNAL_ERROR = "An internal server error has occurred"
INVALID_PAGE_SIZE = "Invalid PageSize: {value!r} is not an integer between 1 and 1000"
INVALID_PAGE = "Invalid Page: {value!r} is not a non-negative integer"
INVALID_PAGE_TOKEN = "Invalid PageToken"
UNSUPPORTED_RUNTIME = "Unsupported Runtime: {value!r} is not one of {allowed}"
INVALID_DEPENDENCIES = "Invalid Dependencies: {reason}"
INVALID_VERSION_SID = "Invalid {param}: {sid!r} is not a valid {kind} Version SID"
UNKNOWN_VERSION = "Invalid {param}: {kind} Version {sid} was not found in Service {service_sid}"
TOO_MANY_VERSIONS = "Invalid {param}: a Build may include at most {limit} {kind} Versions"


class ApiError(Exception):
    """An answer the real API gives with a Twilio error body.

    Raised by handlers; the dispatch core turns it into the HTTP response, so a
    handler never builds an error body itself.
    """

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code}, {self.message!r})"

    def body(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }

    def render(self) -> bytes:
        return json.dumps(self.body()).encode()


def not_found(path: str) -> ApiError:
    """404/20404, naming the path without ``/v1`` as Twilio does."""
    shown = path[3:] if path.startswith("/v1/") else path
    return ApiError(404, 20404, NOT_FOUND.format(path=shown))


def unauthenticated() -> ApiError:
    return ApiError(401, 20003, AUTHENTICATE)


def method_not_allowed() -> ApiError:
    return ApiError(405, 20004, METHOD_NOT_ALLOWED)


def internal_error() -> ApiError:
    return ApiError(500, 20500, INTERNAL_ERROR)


def bad_request(message: str, code: int = 20001) -> ApiError:
    return ApiError(400, code, message)


class FakeBuildsError(Exception):
    """Base class of the errors the fake raises in the test process itself."""


class FakeInternalError(FakeBuildsError):
    """The fake itself failed while answering; the client saw a 500."""
