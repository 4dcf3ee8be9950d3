"""Listing every Version of a Function with ``PageSize=1000``: the per-item cost as it grows.

Two fakes hold 1,000 and 10,000 Function Versions of one Function (set up
untimed, with the ``create_function_version(service_sid, path,
function_sid=...)`` helper). Each round lists all of them through the
``twilio`` client, ``functions(F).function_versions.list(page_size=1000)``,
which follows ``next_page_url`` page after page; the two sizes alternate
round by round. Versions are listed per Function, by keyset, so the per-item
cost should not grow with the Function's history.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from _common import Row, interleave, median, us, verdict

from pytest_fakebuilds import FakeBuilds, Request

SIZES = (1_000, 10_000)
PAGE_SIZE = 1_000
BAR = 1.20


def _fake_with_versions(count: int) -> tuple[FakeBuilds, Any, str, str, dict[str, str]]:
    fake = FakeBuilds(seed=count)
    service = fake.create_service(unique_name="bench")
    function = fake.create_function(service.sid, "hello")
    for _ in range(count):
        fake.create_function_version(service.sid, "/hello", function_sid=function.sid)
    token = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    return fake, fake.client(), service.sid, function.sid, headers


def run(quick: bool) -> list[Row]:
    rounds = 1 if quick else 8
    fakes = {size: _fake_with_versions(size) for size in SIZES}

    def lister(size: int) -> Any:
        _fake, client, service_sid, function_sid, _headers = fakes[size]
        functions = client.serverless.v1.services(service_sid).functions
        versions = functions(function_sid).function_versions

        def list_all() -> None:
            listed = versions.list(page_size=PAGE_SIZE)
            if len(listed) != size:
                raise AssertionError(f"listed {len(listed)} versions, expected {size}")

        return list_all

    def server(size: int) -> Any:
        fake, _client, service_sid, function_sid, headers = fakes[size]
        first = (
            f"https://serverless.twilio.com/v1/Services/{service_sid}"
            f"/Functions/{function_sid}/Versions?PageSize={PAGE_SIZE}"
        )

        def serve_all() -> None:
            url, served = first, 0
            while url:
                page = json.loads(fake.handle(Request("GET", url, headers)).body)
                served += len(page["function_versions"])
                url = page["meta"]["next_page_url"]
            if served != size:
                raise AssertionError(f"served {served} versions, expected {size}")

        return serve_all

    names = {size: f"{size}" for size in SIZES}
    variants = {names[size]: lister(size) for size in SIZES}
    variants.update({f"core {size}": server(size) for size in SIZES})
    samples = interleave(
        variants,
        rounds=rounds,
        inner=1,
        setup={names[size]: fakes[size][0].start for size in SIZES},
        teardown={names[size]: fakes[size][0].stop for size in SIZES},
    )
    small, large = SIZES
    per_item = {size: median(samples[names[size]]) / size for size in SIZES}
    ratio = per_item[large] / per_item[small]
    core = {size: median(samples[f"core {size}"]) / size for size in SIZES}
    return [
        Row(
            f"listing {large:,} / {small:,} function versions (PageSize={PAGE_SIZE}), per item",
            f"{ratio:.2f}x ({us(per_item[large])} vs {us(per_item[small])} per item)",
            f"<= {BAR:.2f}x",
            verdict(ratio <= BAR),
        ),
        Row(
            "↳ the fake's share: FakeBuilds.handle + json.loads, per item",
            f"{core[large] / core[small]:.2f}x ({us(core[large])} vs {us(core[small])} per item)",
        ),
    ]
