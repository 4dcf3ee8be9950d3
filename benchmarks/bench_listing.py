"""Listing every build with ``PageSize=1000``: the per-item cost as the store grows.

Two fakes hold 1,000 and 10,000 builds of one service (set up untimed,
through ``FakeBuilds.handle``, the transport-neutral entry every request goes
through). Each round lists all of them through the ``twilio`` client,
``builds.list(page_size=1000)``, which follows ``next_page_url`` page after
page; the two sizes alternate round by round. Paging is by keyset, so the
per-item cost should not grow with the store.
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


def _fake_with_builds(count: int) -> tuple[FakeBuilds, Any, str, dict[str, str]]:
    fake = FakeBuilds(seed=count)
    service = fake.create_service(unique_name="bench")
    version = fake.create_function_version(service.sid, path="/hello")
    token = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    url = f"https://serverless.twilio.com/v1/Services/{service.sid}/Builds"
    body = f"FunctionVersions={version.sid}".encode()
    for _ in range(count):
        response = fake.handle(Request("POST", url, headers, body))
        if response.status != 201:
            raise AssertionError(f"creating a build answered {response.status}")
    return fake, fake.client(), service.sid, headers


def run(quick: bool) -> list[Row]:
    rounds = 1 if quick else 8
    fakes = {size: _fake_with_builds(size) for size in SIZES}

    def lister(size: int) -> Any:
        _fake, client, service_sid, _headers = fakes[size]
        builds = client.serverless.v1.services(service_sid).builds

        def list_all() -> None:
            listed = builds.list(page_size=PAGE_SIZE)
            if len(listed) != size:
                raise AssertionError(f"listed {len(listed)} builds, expected {size}")

        return list_all

    def server(size: int) -> Any:
        fake, _client, service_sid, headers = fakes[size]
        first = (
            f"https://serverless.twilio.com/v1/Services/{service_sid}/Builds?PageSize={PAGE_SIZE}"
        )

        def serve_all() -> None:
            url, served = first, 0
            while url:
                page = json.loads(fake.handle(Request("GET", url, headers)).body)
                served += len(page["builds"])
                url = page["meta"]["next_page_url"]
            if served != size:
                raise AssertionError(f"served {served} builds, expected {size}")

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
            f"listing {large:,} / {small:,} builds (PageSize={PAGE_SIZE}), per item",
            f"{ratio:.2f}x ({us(per_item[large])} vs {us(per_item[small])} per item)",
            f"<= {BAR:.2f}x",
            verdict(ratio <= BAR),
        ),
        Row(
            "↳ the fake's share: FakeBuilds.handle + json.loads, per item",
            f"{core[large] / core[small]:.2f}x ({us(core[large])} vs {us(core[small])} per item)",
        ),
    ]
