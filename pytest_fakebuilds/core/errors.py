"""Twilio's error answers, in one place.

Rules raise an :class:`ApiError` (one subclass per kind of refusal) whatever
called them; each edge renders it its own way: the dispatch core as Twilio's
error body (``code``, ``message``, ``more_info``, ``status``), a test helper
by letting it propagate as a Python exception. Rules never need the request
path: a 404 names the path only when it is rendered for HTTP, as Twilio does.

Messages quoted from the real API are kept verbatim as constants; the rest
are the fake's own wording, listed in docs/behaviour.md.
"""

from __future__ import annotations

import json

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"

# Quoted from real responses (see docs/behaviour.md for sources).
AUTHENTICATE = "Authenticate"
NOT_FOUND = "The requested resource {path} was not found"
VERSION_REQUIRED = "At least one Function Version or Asset Version is required for Build."
SERVICE_LIMIT = "Services are limited to less than or equal to {limit}"
ENVIRONMENT_EXISTS = "Environment with this UniqueName or DomainSuffix already exists."
ALREADY_DEPLOYED = "Environment already has requested deployment."
BUILD_IN_USE = "Cannot delete Build because it's part of an active Deployment."

# The fake's own wording where no real message was found.
METHOD_NOT_ALLOWED = "Method not allowed"
INTERNAL_ERROR = "An internal server error has occurred"
MISSING_PARAMETER = "Missing required parameter {param} in the post body"
TOO_LONG = "Invalid {param}: must be at most {limit} {unit}"
NOT_A_BOOLEAN = "Invalid {param}: '{value}' is not a boolean (true or false)"
INVALID_NAME = (
    "Invalid {param}: '{value}' may hold only letters, digits and hyphens, "
    "and may not start or end with a hyphen"
)
INVALID_VISIBILITY = "Invalid Visibility: '{value}' is not one of public, protected, private"
INVALID_SID = "Invalid {param}: '{value}' is not a valid {kind} SID"
INVALID_DATE = "Invalid {param}: '{value}' is not an ISO 8601 date-time"
INVALID_PAGE_SIZE = "Invalid PageSize: '{value}' is not an integer between 1 and 1000"
INVALID_PAGE = "Invalid Page: '{value}' is not a non-negative integer"
INVALID_PAGE_TOKEN = "Invalid PageToken"
UNSUPPORTED_RUNTIME = "Unsupported Runtime: '{value}' is not one of {allowed}"
INVALID_DEPENDENCIES = "Invalid Dependencies: {reason}"
INVALID_VERSION_SID = "Invalid {param}: '{sid}' is not a valid {kind} Version SID"
UNKNOWN_VERSION = "Invalid {param}: {kind} Version {sid} was not found in Service {service_sid}"
TOO_MANY_VERSIONS = "Invalid {param}: a Build may include at most {limit} {kind} Versions"
SERVICE_EXISTS = "Service with this UniqueName already exists."
ENVIRONMENT_LIMIT = "Environments are limited to less than or equal to {limit} per Service"
VARIABLE_EXISTS = "Variable with this Key already exists."
UNKNOWN_BUILD = "Invalid BuildSid: Build {sid} was not found in Service {service_sid}"
BUILD_NOT_COMPLETED = (
    "Invalid BuildSid: Build {sid} is {status}; only a completed Build can be deployed"
)
RESOURCE_IN_USE = (
    "Cannot delete {kind} because one of its Versions is part of an active Deployment."
)
NOT_MULTIPART = "Invalid Content-Type: an upload is a multipart/form-data request"
BAD_MULTIPART = "Invalid multipart body: {reason}"
CONTENT_NOT_A_FILE = "Invalid Content: the Content part must be a file"
TOO_LARGE = (
    "Request Entity Too Large: {visibility} Assets are limited to {limit} bytes, "
    "the Content was {size} bytes"
)


class FakeBuildsError(Exception):
    """Base class of the errors the fake raises in the test process itself."""


class FakeInternalError(FakeBuildsError):
    """The fake itself failed while answering; the client saw a 500."""


class ApiError(FakeBuildsError):
    """A refusal that real Twilio answers with an error body.

    Raised by the rules whoever called them: over HTTP the client gets
    ``status`` and a body with ``code`` and ``message``; from a helper
    such as ``create_service`` the test gets this exception.
    """

    status = 400
    code = 20001

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.code}, {self.message!r})"

    def wire_message(self, path: str) -> str:
        """The message as Twilio words it for a request to ``path``."""
        return self.message

    def body(self, path: str) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.wire_message(path),
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }

    def render(self, path: str) -> bytes:
        return json.dumps(self.body(path)).encode()


class InvalidParameterError(ApiError, ValueError):
    """400: a parameter is missing, malformed, or breaks a rule (code 20001 unless told)."""


class NotFoundError(ApiError, LookupError):
    """404/20404. Over HTTP Twilio names the request path (without ``/v1``);
    in Python the message names the record that was looked for."""

    status = 404
    code = 20404

    # Equivalent mutants: the default is only raised by the router, and only
    # rendered over HTTP, where wire_message names the path instead.
    def __init__(self, what: str = "The requested resource") -> None:  # pragma: no mutate
        super().__init__(f"{what} was not found")

    def wire_message(self, path: str) -> str:
        shown = path[3:] if path.startswith("/v1/") else path
        return NOT_FOUND.format(path=shown)


class ConflictError(ApiError, ValueError):
    """409/20409: the request conflicts with what the account holds."""

    status = 409
    code = 20409


class TooLargeError(ApiError, ValueError):
    """413: an upload over the size Twilio accepts."""

    status = 413
    code = 20413


class UnauthenticatedError(ApiError):
    status = 401
    code = 20003

    def __init__(self) -> None:
        super().__init__(AUTHENTICATE)


class MethodNotAllowedError(ApiError):
    status = 405
    code = 20004

    def __init__(self) -> None:
        super().__init__(METHOD_NOT_ALLOWED)


class InternalServerError(ApiError):
    status = 500
    code = 20500

    def __init__(self) -> None:
        super().__init__(INTERNAL_ERROR)


def bad_request(message: str, code: int = 20001) -> InvalidParameterError:
    return InvalidParameterError(message, code=code)


class FakeNotActiveError(FakeBuildsError, RuntimeError):
    """A client made by ``fake.client()`` was used while its fake was not active.

    The direct transport answers from its own fake only: with the fake
    stopped (or not started yet) there is nothing to answer, and nothing may
    go to Twilio instead.
    """
