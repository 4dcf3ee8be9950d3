"""Validate what the fake serves against Twilio's vendored OpenAPI description."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

from pytest_fakebuilds import Request, Response

SPEC_PATH = Path(__file__).parent / "spec" / "twilio_serverless_v1.json"
TWILIO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string", "minLength": 1},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
    },
}


@cache
def spec() -> dict[str, Any]:
    document = json.loads(SPEC_PATH.read_text())
    patched = copy.deepcopy(document)
    # Known gap of the vendored file: node24 (twilio-python 9.11+, Twilio
    # changelog 2026-07-08).
    runtime = patched["components"]["schemas"]["build_enum_runtime"]
    if "node24" not in runtime["enum"]:
        runtime["enum"].append("node24")
    return patched


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    found = []
    for template, item in spec()["paths"].items():
        regex = re.sub(r"\{\w+\}", r"[^/]+", template)
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                found.append((re.compile(f"^{regex}$"), method.upper(), operation))
    return found


# The upload host is not in the spec: its answer is the Version the spec
# describes for the REST host's fetch.
_UPLOADS = (
    (re.compile(r"^/v1/Services/[^/]+/Functions/[^/]+/Versions$"), "FetchFunctionVersion"),
    (re.compile(r"^/v1/Services/[^/]+/Assets/[^/]+/Versions$"), "FetchAssetVersion"),
)


def _upload_operation(path: str) -> dict[str, Any] | None:
    for pattern, fetch_id in _UPLOADS:
        if pattern.match(path):
            fetch = next(op for _, _, op in _operations() if op["operationId"] == fetch_id)
            return {
                "operationId": fetch_id.replace("Fetch", "Create"),
                "responses": {"201": fetch["responses"]["200"]},
            }
    return None


def operation_for(method: str, path: str, host: str = "") -> dict[str, Any] | None:
    if host.startswith("serverless-upload"):
        return _upload_operation(path) if method == "POST" else None
    if method == "POST" and not host.endswith("twilio.com"):
        # A server's own URL: a POST to …/Versions there is the upload.
        upload = _upload_operation(path)
        if upload is not None:
            return upload
    for pattern, op_method, operation in _operations():
        if op_method == method and pattern.match(path):
            return operation
    return None


@cache
def _validator(schema_id: int) -> OAS30Validator:
    schema = _SCHEMAS[schema_id]
    root = dict(schema)
    root["components"] = spec()["components"]
    return OAS30Validator(root, format_checker=FormatChecker())


# The schemas validated against, by id: they live as long as the process (parts of
# the cached spec, or ERROR_SCHEMA), so an id names one schema for good.
_SCHEMAS: dict[int, dict[str, Any]] = {}


def _validate(instance: object, schema: dict[str, Any]) -> None:
    _SCHEMAS.setdefault(id(schema), schema)
    _validator(id(schema)).validate(instance)


# Bodies already found valid, with the schema they were checked against: a body
# the suite serves again byte for byte (listings of an unchanged store, say) is
# not validated again; validation is a pure function of the two.
_VALID: dict[tuple[int, int, bytes], None] = {}
_VALID_MAX = 20_000
_VALID_BODY_MAX = 64 * 1024


def _validate_body(body: bytes, status: int, schema: dict[str, Any]) -> Any:
    """The parsed body, after checking it against ``schema`` (unless already done)."""
    __tracebackhide__ = True
    parsed = json.loads(body)
    key = (id(schema), status, body)
    if key in _VALID:
        return parsed
    _validate(parsed, schema)
    if len(body) <= _VALID_BODY_MAX:
        if len(_VALID) >= _VALID_MAX:
            _VALID.clear()
        _VALID[key] = None
    return parsed


def _check_dates(value: object, where: str = "$") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("date_") and item is not None:
                assert isinstance(item, str), f"{where}.{key} = {item!r}"
                assert TWILIO_DATE.match(item), f"{where}.{key} = {item!r} is not Twilio's form"
            _check_dates(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_dates(item, f"{where}[{index}]")


def assert_valid(request: Request, response: Response) -> None:
    """Fail unless ``response`` is what the spec allows for ``request``."""
    __tracebackhide__ = True
    if response.status >= 400:
        body = _validate_body(response.body, response.status, ERROR_SCHEMA)
        assert body["status"] == response.status, body
        assert response.headers.get("Content-Type", "").startswith("application/json")
        return
    operation = operation_for(request.method, request.path, request.host)
    assert operation is not None, f"{request.method} {request.path} answered {response.status}"
    declared = operation["responses"].get(str(response.status))
    assert declared is not None, (
        f"{operation['operationId']} declares {sorted(operation['responses'])}, "
        f"served {response.status}"
    )
    content = declared.get("content")
    if content is None:
        assert response.body == b"", f"{operation['operationId']} must have an empty body"
        return
    assert response.headers.get("Content-Type", "").startswith("application/json")
    body = _validate_body(response.body, response.status, content["application/json"]["schema"])
    _check_dates(body)
