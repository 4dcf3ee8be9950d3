"""Write docs/coverage.md: every Serverless v1 operation, and whether the fake serves it.

    python scripts/coverage.py           # rewrite docs/coverage.md
    python scripts/coverage.py --check   # exit 1 if docs/coverage.md is not what this writes

The operations are those of Twilio's OpenAPI description vendored in
``tests/spec/twilio_serverless_v1.json``, plus the two uploads, which the file
does not describe (they live on ``serverless-upload.twilio.com``). Whether the
fake serves one is read from the fake's own route table,
``pytest_fakebuilds.serverless.build_router().routes``: a route on the same
host, with the same method and path template, whose handler is named after
the operation. ``tests/test_coverage.py`` checks that the page is current and
that the route table holds nothing the table leaves out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_fakebuilds.serverless import build_router

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "tests" / "spec" / "twilio_serverless_v1.json"
OUTPUT = ROOT / "docs" / "coverage.md"

METHODS = ("get", "post", "put", "patch", "delete")
# The order of the operations within a resource; any other verb goes last.
VERBS = ("create", "list", "fetch", "update", "delete")
TAG_PREFIX = "ServerlessV1"
API_HOST = "serverless.twilio.com"
UPLOAD_HOST = "serverless-upload.twilio.com"


@dataclass(frozen=True)
class Operation:
    """One operation of the API: where it lives and what it is called."""

    resource: str  # "Function Version"
    operation: str  # "list_function_version": twilio-oai's operationId in snake_case
    method: str  # "GET"
    template: str  # "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions"
    host: str = "api"  # "api" (serverless.twilio.com) or "upload"

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What a route of the fake must match to serve this operation."""
        return (self.host, self.method, self.template, self.operation)


UPLOADS = (
    Operation(
        "Function Version",
        "create_function_version",
        "POST",
        "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions",
        "upload",
    ),
    Operation(
        "Asset Version",
        "create_asset_version",
        "POST",
        "/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions",
        "upload",
    ),
)


def snake_case(operation_id: str) -> str:
    """``FetchBuildStatus`` -> ``fetch_build_status``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def resource_name(tag: str) -> str:
    """``ServerlessV1FunctionVersion`` -> ``Function Version``."""
    name = tag.removeprefix(TAG_PREFIX)
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name)


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def spec_operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation of the OpenAPI description, on the REST host."""
    found = []
    for template, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                Operation(
                    resource_name(operation["tags"][0]),
                    snake_case(operation["operationId"]),
                    method.upper(),
                    template,
                )
            )
    return found


def _order(operation: Operation) -> tuple[tuple[str, ...], int, str]:
    # Resources as a tree, depth first (a Service, then what hangs off it),
    # found from the path with its placeholders taken out; within one, the
    # verbs in the order create, list, fetch, update, delete; uploads go with
    # the resource they create.
    segments = operation.template.split("/")[2:]
    collection = tuple(segment for segment in segments if not segment.startswith("{"))
    verb = operation.operation.split("_", 1)[0]
    rank = VERBS.index(verb) if verb in VERBS else len(VERBS)
    return collection, rank, operation.operation


def operations(spec: dict[str, Any] | None = None) -> list[Operation]:
    """The spec's operations plus the two uploads, in the table's order."""
    listed = spec_operations(load_spec() if spec is None else spec) + list(UPLOADS)
    return sorted(listed, key=_order)


def served_keys() -> set[tuple[str, str, str, str]]:
    """(host, method, template, operation) of every route the fake registers."""
    return {
        (route.host, route.method, route.template, route.operation)
        for route in build_router().routes
    }


def render(spec: dict[str, Any] | None = None) -> str:
    """The text of docs/coverage.md."""
    listed = operations(spec)
    served = served_keys()
    count = sum(operation.key in served for operation in listed)
    in_spec = sum(operation.host == "api" for operation in listed)
    uploads = len(listed) - in_spec
    lines = [
        "# API coverage",
        "",
        "<!-- Generated by scripts/coverage.py; do not edit by hand. -->",
        "",
        "Every operation of Twilio's Serverless v1 API, and whether the fake serves",
        "it. The page is generated, after the model of moto's",
        "[implementation coverage](https://github.com/getmoto/moto/blob/master/IMPLEMENTATION_COVERAGE.md)",
        "page: the operations come from Twilio's own OpenAPI description, vendored",
        "in `tests/spec/twilio_serverless_v1.json` (see `tests/spec/README.md` for",
        "its origin), plus the two uploads, which that file does not describe. A ✓",
        "is read from the fake's own route table",
        "(`pytest_fakebuilds.serverless.build_router().routes`): a route with the",
        "same host, method and path template whose handler is named after the",
        "operation. `tests/test_coverage.py` fails when this page is out of date,",
        "when an operation is not served, or when the fake registers a route that",
        "is not listed here.",
        "",
        "Regenerate it after changing the routes or the vendored file:",
        "",
        "```console",
        "python scripts/coverage.py           # rewrites docs/coverage.md",
        "python scripts/coverage.py --check   # exits 1 if docs/coverage.md is out of date",
        "```",
        "",
        f"Paths are on `{API_HOST}` except the uploads, which are on",
        f"`{UPLOAD_HOST}`; both hosts also answer in their regional",
        "and edge forms (`serverless.<edge>.<region>.twilio.com`,",
        "`serverless-upload.<edge>.<region>.twilio.com`). The operation is",
        "twilio-oai's operationId in snake_case, which is also the name of the",
        "fake's handler. Any other method on a listed REST path answers 405",
        "(error 20004); any other path, and any other request on the upload",
        "host, 404 (error 20404).",
        "",
        f"**{count} of {len(listed)} operations served** ({in_spec} in the OpenAPI "
        f"description, plus the {uploads} uploads).",
        "",
        "| resource | operation | method | path | served |",
        "| --- | --- | --- | --- | --- |",
    ]
    for operation in listed:
        path = f"`{operation.template}`"
        if operation.host == "upload":
            path += f" on `{UPLOAD_HOST}`"
        mark = "✓" if operation.key in served else "✗"
        lines.append(
            f"| {operation.resource} | `{operation.operation}` | {operation.method} "
            f"| {path} | {mark} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if docs/coverage.md differs; write nothing"
    )
    args = parser.parse_args(argv)
    text = render()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
    if args.check:
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python scripts/coverage.py")
            return 1
        return 0
    if current != text:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
